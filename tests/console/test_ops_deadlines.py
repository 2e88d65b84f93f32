"""Working-day deadlines: weekends and listed holidays do not count; overdue turns negative."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hegui.errors import InputError
from hegui.ops.deadlines import due_after, parse_holidays, working_days_left

TZ = "Asia/Shanghai"


def test_fifteen_working_days_skip_three_weekends() -> None:
    filed = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    due = due_after(filed, 15, TZ)
    local = due.astimezone(__import__("zoneinfo").ZoneInfo(TZ))
    assert local.date() == date(2026, 12, 28)  # Mon 7 + 15 working days = Mon 28
    assert (local.hour, local.minute) == (23, 59)


def test_holidays_push_the_deadline() -> None:
    filed = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)  # Wednesday
    plain = due_after(filed, 2, TZ)
    with_holiday = due_after(filed, 2, TZ, parse_holidays(["2027-01-01"]))
    assert plain.astimezone(UTC).date() == date(2027, 1, 1)
    assert with_holiday.astimezone(UTC).date() == date(2027, 1, 4)  # Fri off, weekend, Mon


def test_days_left_counts_down_and_goes_negative_when_overdue() -> None:
    filed = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    due = due_after(filed, 15, TZ)
    assert working_days_left(filed, due, TZ) == 15
    assert working_days_left(datetime(2026, 12, 29, 2, tzinfo=UTC), due, TZ) < 0


def test_bad_holiday_and_zero_days_are_input_errors() -> None:
    with pytest.raises(InputError, match="not a date"):
        parse_holidays(["2026-13-01"])
    with pytest.raises(InputError):
        due_after(datetime(2026, 12, 7, tzinfo=UTC), 0, TZ)
