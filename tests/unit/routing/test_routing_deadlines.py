from __future__ import annotations

from datetime import UTC, date, datetime

from routing.domain.deadlines import add_working_days, due_at, is_working_day
from satupintu_shared.catalog import TimeZone


def test_the_deadline_is_the_end_of_the_nth_working_day_in_the_agencys_zone() -> None:
    monday_morning = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 10:00 WIB
    assert due_at(monday_morning, 3, TimeZone.WIB) == datetime(2026, 12, 3, 16, 59, 59, tzinfo=UTC)


def test_weekends_are_skipped() -> None:
    friday = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    assert due_at(friday, 1, TimeZone.WIB) == datetime(2026, 12, 7, 16, 59, 59, tzinfo=UTC)


def test_national_holidays_and_cuti_bersama_of_idulfitri_are_skipped() -> None:
    # 18, 20, 23, 24 March 2026 are cuti bersama; 19, 21, 22 libur nasional.
    monday = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
    assert due_at(monday, 3, TimeZone.WIB) == datetime(2026, 3, 26, 16, 59, 59, tzinfo=UTC)


def test_cuti_bersama_before_christmas_is_not_a_working_day() -> None:
    assert not is_working_day(date(2026, 12, 24))  # cuti bersama
    assert not is_working_day(date(2026, 12, 25))  # libur nasional
    assert add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)


def test_the_same_instant_falls_on_different_days_in_wib_wita_and_wit() -> None:
    late_monday_wib = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 23:30 WIB, Tue 00:30 WITA, Tue 01:30 WIT
    assert due_at(late_monday_wib, 1, TimeZone.WIB) == datetime(2026, 12, 1, 16, 59, 59, tzinfo=UTC)
    assert due_at(late_monday_wib, 1, TimeZone.WITA) == datetime(2026, 12, 2, 15, 59, 59, tzinfo=UTC)
    assert due_at(late_monday_wib, 1, TimeZone.WIT) == datetime(2026, 12, 2, 14, 59, 59, tzinfo=UTC)


def test_a_year_without_official_holiday_data_still_skips_weekends() -> None:
    assert add_working_days(date(2028, 1, 7), 1) == date(2028, 1, 10)
    assert not is_working_day(date(2028, 1, 8))
