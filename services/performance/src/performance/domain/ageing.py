"""Backlog ageing: open assignments bucketed by how many working days they have been waiting.

Buckets are turned into *date thresholds* so the database can count them with an index-friendly
comparison instead of counting working days row by row: with ``t`` the as-of working day, an item
assigned on local date ``a`` has age ``<= k`` exactly when ``a >= working_days_before(t, k)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .calendar import last_working_day, working_days_after, working_days_before

#: (label, inclusive upper bound in working days); the last bucket is open-ended.
BUCKETS: tuple[tuple[str, int | None], ...] = (("0-2", 2), ("3-5", 5), ("6-10", 10), (">10", None))


@dataclass(frozen=True)
class Bucket:
    """An ageing bucket: items assigned on or after ``since`` and before the previous bucket's ``since``."""

    label: str
    since: date | None


def bucket_thresholds(as_of: date) -> list[Bucket]:
    """The buckets of ``BUCKETS`` as earliest assignment dates, youngest first."""
    anchor = last_working_day(as_of)
    return [Bucket(label, None if k is None else working_days_before(anchor, k)) for label, k in BUCKETS]


def bucket_of(assigned: date, as_of: date) -> str:
    """The bucket of one item, by counting (the reference the thresholds must agree with)."""
    age = working_days_after(assigned, as_of)
    return next(label for label, k in BUCKETS if k is None or age <= k)
