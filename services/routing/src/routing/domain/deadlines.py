"""Working-day deadlines on the Indonesian calendar (lokal-id), in the agency's time zone.

A deadline of N working days ends at the close (23:59:59 local time) of the N-th working day after
the day of assignment: assigned Monday 10:00 with N=3 → due Thursday 23:59:59. Weekends, national
holidays and cuti bersama do not count. For a year lokal-id has no official holiday data for yet,
only weekends are skipped (and that is the best anyone can know that early).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import lokal

from satupintu_shared.catalog import TimeZone

END_OF_DAY = time(23, 59, 59)


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a government working day (weekends only, beyond lokal-id's holiday data)."""
    try:
        return lokal.is_working_day(day, cuti_bersama=True)
    except ValueError:
        return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The date ``n`` working days after ``start``."""
    try:
        return lokal.add_working_days(start, n, cuti_bersama=True)
    except ValueError:
        day, left = start, n
        while left > 0:
            day += timedelta(days=1)
            left -= 1 if is_working_day(day) else 0
        return day


def due_at(assigned_at: datetime, working_days: int, zone: TimeZone) -> datetime:
    """When an assignment made at ``assigned_at`` falls due (UTC), counted in ``zone``."""
    tz = ZoneInfo(zone.iana)
    local_day = assigned_at.astimezone(tz).date()
    due_day = add_working_days(local_day, working_days)
    return datetime.combine(due_day, END_OF_DAY, tzinfo=tz).astimezone(UTC)
