"""Deadlines in working days (Art. 15 complaints, PIPL Art. 50 requests), counted in local time.

A deadline of N working days runs to the end (23:59:59.999 local) of the N-th working day after
the day of filing; Saturdays, Sundays and the configured holidays do not count. Working weekends
(调休) are not modelled: list the holiday side only, which errs toward an earlier deadline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hegui.errors import InputError

__all__ = ["due_after", "parse_holidays", "working_days_left"]


def parse_holidays(values: Iterable[str]) -> frozenset[date]:
    """``YYYY-MM-DD`` strings as dates; a malformed one is an input error naming it."""
    out: set[date] = set()
    for value in values:
        try:
            out.add(date.fromisoformat(value))
        except ValueError:
            raise InputError(f"not a date (YYYY-MM-DD): {value!r}") from None
    return frozenset(out)


def _working(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def due_after(
    filed: datetime, working_days: int, tz: str, holidays: frozenset[date] = frozenset()
) -> datetime:
    """The end of the ``working_days``-th working day after ``filed``'s local day."""
    if working_days < 1:
        raise InputError("a deadline needs at least one working day")
    zone = ZoneInfo(tz)
    day = filed.astimezone(zone).date()
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        if _working(day, holidays):
            counted += 1
    end = datetime.combine(day, time(23, 59, 59, 999000), tzinfo=zone)
    return end.astimezone(filed.tzinfo)


def working_days_left(
    now: datetime, due: datetime, tz: str, holidays: frozenset[date] = frozenset()
) -> int:
    """Working days from today (local) until the due day; negative once overdue."""
    zone = ZoneInfo(tz)
    today, last = now.astimezone(zone).date(), due.astimezone(zone).date()
    first, end = (today, last) if today <= last else (last, today)
    count, day = 0, first
    while day < end:
        day += timedelta(days=1)
        if _working(day, holidays):
            count += 1
    if now > due:
        return -max(count, 1)
    return count
