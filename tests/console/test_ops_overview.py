"""Dashboard figures, account search and the audit page, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from hegui.ops import overview
from hegui.store.crypto import Keyring
from hegui.store.db import Store
from tests.console.conftest import NOW, make_person


def test_dashboard_counts_decisions_and_risk_codes_per_local_day(
    store: Store, keyring: Keyring
) -> None:
    make_person(store, keyring)  # one refused (A.1.a) and one allowed record at NOW
    with store.read() as conn:
        data = overview.dashboard(conn, tz="Asia/Shanghai", now=NOW + timedelta(hours=1))
        late = overview.dashboard(conn, tz="Asia/Shanghai", now=NOW + timedelta(days=20))
    assert data["days"][-1] == "2026-11-28" and len(data["days"]) == 14
    assert data["decisions"]["2026-11-28"] == {"refuse": 1, "allow": 1}
    assert data["risk_codes"]["2026-11-28"] == {"A.1.a": 1}
    assert data["requests"] == 2 and data["refusal_rate"] == 0.5
    assert data["incidents"] == {"open": 1, "total": 1}
    assert late["requests"] == 0  # outside the 14-day window


def test_account_search_escapes_wildcards(store: Store, keyring: Keyring) -> None:
    person = make_person(store, keyring, name="王_小%明")
    make_person(store, keyring, name="王大明")
    with store.read() as conn:
        assert [a["id"] for a in overview.find_accounts(conn, "_小%")] == [person.account_id]
        assert [a["id"] for a in overview.find_accounts(conn, person.account_id[:6])] == [
            person.account_id
        ]
        assert len(overview.find_accounts(conn, "")) == 2
        page = overview.audit_page(conn, limit=3, check=True)
    assert len(page["events"]) == 3 and page["verify"]["ok"]
    assert page["events"][0]["seq"] > page["events"][-1]["seq"]
