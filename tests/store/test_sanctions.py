"""The sanction ladder and its escalation policy (3 in a row or 5 a day → next step)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hegui.config import SanctionSettings
from hegui.errors import InputError
from hegui.ops import accounts, sanctions
from hegui.ops.records import AgeBand, Sanction
from hegui.store import audit
from hegui.store.db import Store
from hegui.store.schema import sanction_events

from .conftest import NOW

POLICY = SanctionSettings()


@pytest.mark.parametrize(
    ("streak", "today", "expected"),
    [
        (1, 1, None),
        (2, 2, None),
        (3, 3, "3 violations in a row"),
        (1, 4, None),
        (1, 5, "5 violations today"),
        (2, 5, "5 violations today"),
        (1, 6, None),
        (1, 10, "10 violations today"),
        (4, 7, "4 violations in a row"),
    ],
)
def test_escalation_reason(streak: int, today: int, expected: str | None) -> None:
    assert sanctions.escalation_reason(streak, today, POLICY) == expected


def test_escalation_rules_can_be_switched_off() -> None:
    off = SanctionSettings(violations_in_a_row=0, violations_per_day=0)
    assert sanctions.escalation_reason(10, 10, off) is None


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (Sanction.NORMAL, Sanction.WARNED),
        (Sanction.WARNED, Sanction.RESTRICTED),
        (Sanction.RESTRICTED, Sanction.SUSPENDED),
        (Sanction.SUSPENDED, Sanction.TERMINATED),
        (Sanction.TERMINATED, Sanction.TERMINATED),
    ],
)
def test_ladder_steps(current: Sanction, expected: Sanction) -> None:
    assert sanctions.next_step(current) is expected


def _account(store: Store) -> str:
    return store.write(
        lambda c: accounts.create_account(c, name="u", age_band=AgeBand.ADULT, actor="t", now=NOW)
    ).id


def _violate(store: Store, acc: str, streak: int, minutes: int, policy: SanctionSettings = POLICY):
    at = NOW + timedelta(minutes=minutes)
    return store.write(
        lambda c: sanctions.record_violation(
            c, acc, ["A.1.a"], streak=streak, policy=policy, tz="Asia/Shanghai", now=at
        )
    )


def test_violations_climb_the_ladder_one_step_at_a_time(store: Store) -> None:
    acc = _account(store)
    # (streak the gateway counted, expected state after) — streak resets after each escalation.
    steps = [
        (1, "normal"),
        (2, "normal"),
        (3, "warned"),
        (1, "warned"),
        (2, "restricted"),
        (1, "restricted"),
        (2, "restricted"),
        (3, "suspended"),
        (1, "suspended"),
        (2, "suspended"),
    ]
    seen = []
    for minute, (streak, _) in enumerate(steps):
        seen.append(_violate(store, acc, streak, minute).sanction.value)
    assert seen == [s for _, s in steps]
    with store.read() as conn:
        events = conn.execute(sanction_events.select().order_by(sanction_events.c.id)).all()
        account = accounts.get_account(conn, acc)
        assert audit.verify(conn).ok
    assert [(e.from_state, e.to_state, e.actor) for e in events] == [
        ("normal", "warned", "policy"),
        ("warned", "restricted", "policy"),
        ("restricted", "suspended", "policy"),
    ]
    assert events[1].reason == "5 violations today"
    assert events[1].until == NOW + timedelta(minutes=4, hours=POLICY.restricted_hours)
    # never beyond max_automatic ('suspended'): the 10th violation today changes nothing
    assert account.sanction is Sanction.SUSPENDED


def test_violations_on_another_local_day_do_not_count_today(store: Store) -> None:
    acc = _account(store)
    for minute in range(4):
        _violate(store, acc, 1, minute)
    # 16:00 UTC is midnight in Shanghai: a new day, so this is the 1st today, not the 5th
    assert _violate(store, acc, 1, 12 * 60).sanction is Sanction.NORMAL


def test_timed_sanction_expires_back_to_normal(store: Store) -> None:
    acc = _account(store)
    store.write(
        lambda c: sanctions.set_sanction(
            c,
            acc,
            Sanction.SUSPENDED,
            reason="manual",
            actor="staff",
            until=NOW + timedelta(hours=1),
            now=NOW,
        )
    )
    assert (
        store.write(lambda c: sanctions.expire_if_due(c, acc, now=NOW + timedelta(minutes=59)))
        is None
    )
    outcome = store.write(lambda c: sanctions.expire_if_due(c, acc, now=NOW + timedelta(hours=1)))
    assert outcome is not None and outcome.sanction is Sanction.NORMAL and outcome.changed
    with store.read() as conn:
        last = conn.execute(sanction_events.select().order_by(sanction_events.c.id.desc())).first()
    assert last is not None and (last.to_state, last.actor, last.reason) == (
        "normal",
        "system",
        "suspended expired",
    )


def test_manual_sanction_needs_reason_and_future_end(store: Store) -> None:
    acc = _account(store)
    with pytest.raises(InputError, match="reason"):
        store.write(
            lambda c: sanctions.set_sanction(c, acc, Sanction.WARNED, reason=" ", actor="s")
        )
    with pytest.raises(InputError, match="future"):
        store.write(
            lambda c: sanctions.set_sanction(
                c,
                acc,
                Sanction.WARNED,
                reason="r",
                actor="s",
                until=NOW - timedelta(days=1),
                now=NOW,
            )
        )
    with pytest.raises(InputError, match="unknown sanction"):
        sanctions.parse_sanction("banned")
