from datetime import UTC, date, datetime, timedelta

import pytest

from performance.domain.ageing import bucket_of, bucket_thresholds
from performance.domain.calendar import is_working_day, next_working_day_end, turnaround_working_days
from performance.domain.period import parse_period


def test_turnaround_counts_working_days_after_the_start_day_in_the_agency_time_zone() -> None:
    # Mon 2026-11-02 09:00 WIB → Wed 2026-11-04 10:00 WIB: two working days.
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    assert turnaround_working_days(start, start + timedelta(days=2, hours=1), "Asia/Jakarta") == 2
    assert turnaround_working_days(start, start + timedelta(hours=3), "Asia/Jakarta") == 0
    # Fri → Mon skips the weekend.
    friday = datetime(2026, 11, 6, 2, 0, tzinfo=UTC)
    assert turnaround_working_days(friday, friday + timedelta(days=3), "Asia/Jakarta") == 1


def test_time_zone_decides_the_local_date() -> None:
    # 2026-11-02 16:30 UTC is Monday 23:30 in Jakarta but Tuesday 01:30 in Jayapura.
    start = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)
    end = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)
    assert turnaround_working_days(start, end, "Asia/Jakarta") == 1
    assert turnaround_working_days(start, end, "Asia/Jayapura") == 0


def test_national_holidays_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 8, 17))
    assert is_working_day(date(2026, 11, 30))


def test_years_without_holiday_data_fall_back_to_weekends() -> None:
    assert is_working_day(date(2019, 1, 2))
    assert not is_working_day(date(2019, 1, 5))


@pytest.mark.parametrize(
    "as_of", [date(2026, 12, 31), date(2026, 12, 27), date(2026, 6, 1), date(2026, 3, 23)]
)
def test_ageing_thresholds_agree_with_counting_each_item(as_of: date) -> None:
    marks = bucket_thresholds(as_of)
    for back in range(0, 40):
        assigned = as_of - timedelta(days=back)
        expected = bucket_of(assigned, as_of)
        by_threshold = next(m.label for m in marks if m.since is None or assigned >= m.since)
        assert by_threshold == expected, (assigned, as_of)


def test_next_working_day_end_skips_the_weekend() -> None:
    friday_noon = datetime(2026, 11, 6, 5, 0, tzinfo=UTC)
    end = next_working_day_end(friday_noon, "Asia/Jakarta")
    assert end.date() == date(2026, 11, 10) and end.hour == 0


def test_periods_are_months_or_days() -> None:
    p = parse_period("2026-12")
    assert (p.first, p.end, p.last) == (date(2026, 12, 1), date(2027, 1, 1), date(2026, 12, 31))
    d = parse_period("2026-02-28")
    assert (d.first, d.end) == (date(2026, 2, 28), date(2026, 3, 1))
    start, _ = p.bounds("Asia/Makassar")
    assert start.utcoffset() == timedelta(hours=8)
    for bad in ("2026-13", "2026", "2026-02-30", "x"):
        with pytest.raises(ValueError):
            parse_period(bad)
