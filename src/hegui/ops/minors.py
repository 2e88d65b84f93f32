"""Minors' mode (Minors' Mode Guide 2024; reference/standards.md §3.6).

Under 16: 1 h a day; 16–17: 2 h a day; no service 22:00–06:00; a rest reminder after 30 minutes
of continuous use. All numbers come from :class:`hegui.config.MinorsSettings`. The rules are pure
functions over a :class:`MinorsState` and an injected ``now``; where the state lives (memory,
Redis, the ``minors_usage`` table) is the gateway backend's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hegui.config import MinorsSettings
from hegui.errors import ConfigError
from hegui.ops.records import AgeBand, MinorsDecision
from hegui.store.schema import minors_usage

__all__ = [
    "MinorsState",
    "add_usage",
    "daily_budget_seconds",
    "decide",
    "in_curfew",
    "load_state",
    "local_day",
    "save_state",
]


@dataclass(frozen=True, slots=True)
class MinorsState:
    """One account's use on one local day."""

    seconds: float = 0.0
    session_start: datetime | None = None
    last_at: datetime | None = None


def _clock(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"minors: {value!r} is not a HH:MM time") from None


def local_day(now: datetime, settings: MinorsSettings) -> str:
    """The local calendar day (ISO date) that daily budgets are counted against."""
    return now.astimezone(ZoneInfo(settings.timezone)).date().isoformat()


def in_curfew(now: datetime, settings: MinorsSettings) -> bool:
    """True inside the nightly window (which may wrap past midnight)."""
    start, end = _clock(settings.curfew_start), _clock(settings.curfew_end)
    local = now.astimezone(ZoneInfo(settings.timezone)).time()
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def daily_budget_seconds(age_band: AgeBand, settings: MinorsSettings) -> float | None:
    """Seconds of service allowed per local day; None for adults (no limit)."""
    minutes = {
        AgeBand.UNDER_16: settings.daily_minutes_under_16,
        AgeBand.AGE_16_17: settings.daily_minutes_16_17,
    }.get(age_band)
    return None if minutes is None else minutes * 60.0


def _continuing(state: MinorsState, now: datetime, settings: MinorsSettings) -> bool:
    if state.last_at is None or state.session_start is None:
        return False
    return now - state.last_at < timedelta(minutes=settings.rest_break_minutes)


def decide(
    age_band: AgeBand, state: MinorsState, now: datetime, settings: MinorsSettings
) -> MinorsDecision:
    """May this account be served now, and should the answer carry a rest reminder?"""
    used = state.seconds / 60.0
    budget = daily_budget_seconds(age_band, settings)
    if budget is None:
        return MinorsDecision(allowed=True, minutes_used_today=used)
    if in_curfew(now, settings):
        return MinorsDecision(allowed=False, reason="curfew", minutes_used_today=used)
    if state.seconds >= budget:
        return MinorsDecision(allowed=False, reason="daily_limit", minutes_used_today=used)
    remind = (
        _continuing(state, now, settings)
        and state.session_start is not None
        and now - state.session_start >= timedelta(minutes=settings.rest_reminder_minutes)
    )
    return MinorsDecision(allowed=True, remind_rest=remind, minutes_used_today=used)


def add_usage(
    state: MinorsState, seconds: float, now: datetime, settings: MinorsSettings
) -> MinorsState:
    """Count ``seconds`` of service ending at ``now``; a long enough pause starts a new session."""
    seconds = max(0.0, seconds)
    start = (
        state.session_start
        if _continuing(state, now, settings)
        else now - timedelta(seconds=seconds)
    )
    return MinorsState(seconds=state.seconds + seconds, session_start=start, last_at=now)


def load_state(conn: Connection, account_id: str, day: str) -> MinorsState:
    """The stored state for one account and day (empty when none)."""
    row = conn.execute(
        select(minors_usage).where(
            minors_usage.c.account_id == account_id, minors_usage.c.day == day
        )
    ).one_or_none()
    if row is None:
        return MinorsState()
    return MinorsState(seconds=row.seconds, session_start=row.session_start, last_at=row.last_at)


def save_state(conn: Connection, account_id: str, day: str, state: MinorsState) -> None:
    """Upsert, never lowering the stored total (replicas may write slightly stale copies)."""
    values = {
        "account_id": account_id,
        "day": day,
        "seconds": state.seconds,
        "session_start": state.session_start,
        "last_at": state.last_at,
    }
    if conn.dialect.name == "postgresql":
        pg = pg_insert(minors_usage).values(**values)
        seconds = func.greatest(minors_usage.c.seconds, pg.excluded.seconds)
        conn.execute(pg.on_conflict_do_update(index_elements=_DAY_KEY, set_=_merge(pg, seconds)))
    else:
        lite = sqlite_insert(minors_usage).values(**values)
        seconds = func.max(minors_usage.c.seconds, lite.excluded.seconds)
        conn.execute(
            lite.on_conflict_do_update(index_elements=_DAY_KEY, set_=_merge(lite, seconds))
        )


_DAY_KEY = ["account_id", "day"]


def _merge(stmt: Any, seconds: Any) -> dict[str, Any]:
    return {
        "seconds": seconds,
        "session_start": stmt.excluded.session_start,
        "last_at": stmt.excluded.last_at,
    }
