"""Minors' mode rules with an injected clock: budgets, curfew, rest reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hegui.config import MinorsSettings
from hegui.ops import minors
from hegui.ops.minors import MinorsState
from hegui.ops.records import AgeBand

CFG = MinorsSettings()


def sh(hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time on 2026-11-28, as UTC."""
    return datetime(2026, 11, 28, hour, minute, tzinfo=UTC) - timedelta(hours=8)


@pytest.mark.parametrize(
    ("hour", "minute", "curfew"),
    [
        (21, 59, False),
        (22, 0, True),
        (23, 30, True),
        (0, 0, True),
        (5, 59, True),
        (6, 0, False),
        (12, 0, False),
    ],
)
def test_curfew_wraps_midnight_in_local_time(hour: int, minute: int, curfew: bool) -> None:
    assert minors.in_curfew(sh(hour, minute), CFG) is curfew


def test_curfew_window_inside_one_day() -> None:
    assert minors.in_curfew(sh(13), MinorsSettings(curfew_start="12:00", curfew_end="14:00"))
    assert not minors.in_curfew(sh(13), MinorsSettings(curfew_start="00:00", curfew_end="00:00"))


@pytest.mark.parametrize(
    ("band", "used_minutes", "allowed", "reason"),
    [
        (AgeBand.UNDER_16, 59.9, True, None),
        (AgeBand.UNDER_16, 60, False, "daily_limit"),
        (AgeBand.AGE_16_17, 60, True, None),
        (AgeBand.AGE_16_17, 120, False, "daily_limit"),
        (AgeBand.ADULT, 10_000, True, None),
    ],
)
def test_daily_budgets(
    band: AgeBand, used_minutes: float, allowed: bool, reason: str | None
) -> None:
    decision = minors.decide(band, MinorsState(seconds=used_minutes * 60), sh(12), CFG)
    assert (decision.allowed, decision.reason) == (allowed, reason)
    assert decision.minutes_used_today == pytest.approx(used_minutes)


def test_curfew_refuses_minors_but_not_adults() -> None:
    assert minors.decide(AgeBand.AGE_16_17, MinorsState(), sh(23), CFG).reason == "curfew"
    assert minors.decide(AgeBand.ADULT, MinorsState(), sh(23), CFG).allowed


def test_rest_reminder_after_thirty_minutes_of_continuous_use() -> None:
    state, now = MinorsState(), sh(12)
    for _ in range(30):  # a request a minute from 12:01, each taking 20 s: session began 12:00:40
        now += timedelta(minutes=1)
        state = minors.add_usage(state, 20, now, CFG)
    assert not minors.decide(AgeBand.UNDER_16, state, now, CFG).remind_rest
    now += timedelta(minutes=1)
    state = minors.add_usage(state, 20, now, CFG)
    assert minors.decide(AgeBand.UNDER_16, state, now, CFG).remind_rest
    # a 10-minute break ends the session: no reminder, and the next use starts a new one
    assert not minors.decide(AgeBand.UNDER_16, state, now + timedelta(minutes=10), CFG).remind_rest
    state = minors.add_usage(state, 20, now + timedelta(minutes=11), CFG)
    assert state.session_start == now + timedelta(minutes=11) - timedelta(seconds=20)
    assert state.seconds == pytest.approx(32 * 20)


def test_local_day_follows_the_configured_zone() -> None:
    assert minors.local_day(sh(23, 59), CFG) == "2026-11-28"
    assert minors.local_day(sh(23, 59) + timedelta(minutes=1), CFG) == "2026-11-29"


def test_bad_clock_setting_is_a_config_error() -> None:
    from hegui.errors import ConfigError

    with pytest.raises(ConfigError, match="HH:MM"):
        minors.in_curfew(sh(12), MinorsSettings(curfew_start="10pm"))
