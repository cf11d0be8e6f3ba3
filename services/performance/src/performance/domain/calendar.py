"""Working days on the Indonesian government calendar (lokal-id), in an agency's own time zone."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import lokal

log = logging.getLogger(__name__)

DEFAULT_ZONE = "Asia/Jakarta"


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day (no weekend, libur nasional or cuti bersama).

    lokal-id only knows the years whose joint ministerial decree has been published; for other years
    the weekend rule alone applies (logged once per year), so old or future data still has an answer.
    """
    try:
        return bool(lokal.is_working_day(day))
    except ValueError:
        _warn_missing_year(day.year)
        return day.weekday() < 5


@lru_cache(maxsize=64)
def _warn_missing_year(year: int) -> None:
    log.warning("no holiday data for this year; counting weekends only", extra={"year": year})


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    """The ``ZoneInfo`` of an IANA name (Asia/Jakarta when unknown)."""
    return ZoneInfo(name or DEFAULT_ZONE)


def local_date(moment: datetime, zone_name: str | None = None) -> date:
    """The calendar date of ``moment`` in the given time zone."""
    return moment.astimezone(zone(zone_name)).date()


@lru_cache(maxsize=65536)
def working_days_after(start: date, end: date) -> int:
    """Working days ``d`` with ``start < d <= end``: 0 when finished on the day it started.

    Cached: ingest computes one per closed assignment, and most share their pair of dates."""
    count, day = 0, start + timedelta(days=1)
    while day <= end:
        count += is_working_day(day)
        day += timedelta(days=1)
    return count


def turnaround_working_days(started: datetime, finished: datetime, zone_name: str | None = None) -> int:
    """How many working days an agency took, counted on the calendar of its own time zone."""
    return working_days_after(local_date(started, zone_name), local_date(finished, zone_name))


def last_working_day(day: date) -> date:
    """``day`` itself if it is a working day, else the working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def working_days_before(day: date, n: int) -> date:
    """The date exactly ``n`` working days before the working day ``day``."""
    while n > 0:
        day -= timedelta(days=1)
        n -= is_working_day(day)
    return day


def next_working_day_end(moment: datetime, zone_name: str | None = None) -> datetime:
    """The end (midnight after) of the next working day after ``moment``'s local date."""
    day = local_date(moment, zone_name) + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone(zone_name))
