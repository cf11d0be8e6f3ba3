"""Reporting periods: a calendar month (YYYY-MM) or a day (YYYY-MM-DD) in the agency's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .calendar import zone

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """A half-open range of local dates ``[first, end)``."""

    label: str
    first: date
    end: date

    def bounds(self, zone_name: str | None) -> tuple[datetime, datetime]:
        """The period as aware datetimes in ``zone_name`` (start inclusive, end exclusive)."""
        tz = zone(zone_name)
        start = datetime.combine(self.first, datetime.min.time(), tzinfo=tz)
        return start, datetime.combine(self.end, datetime.min.time(), tzinfo=tz)

    @property
    def last(self) -> date:
        """The last day in the period."""
        return self.end - timedelta(days=1)


def parse_period(text: str) -> Period:
    """Parse ``YYYY-MM`` or ``YYYY-MM-DD``; ValueError with a readable message otherwise."""
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(f"month {month} does not exist")
        first = date(year, month, 1)
        end = date(year + (month == 12), month % 12 + 1, 1)
        return Period(text, first, end)
    if _DAY.match(text):
        day = date.fromisoformat(text)
        return Period(text, day, day + timedelta(days=1))
    raise ValueError("period must be YYYY-MM (a month) or YYYY-MM-DD (a day)")


def current_month(now: datetime, zone_name: str | None = None) -> Period:
    """The month containing ``now`` in the given time zone."""
    return parse_period(now.astimezone(zone(zone_name)).strftime("%Y-%m"))
