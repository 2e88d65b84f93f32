"""Server time per console and portal page with a production-sized database (issue 16 target:
p95 ≤ 200 ms with 100,000 usage records, 10,000 incidents and 10,000 complaints on PostgreSQL).

    python benchmarks/console.py [--url postgresql://postgres@127.0.0.1:5432/hegui_bench] [--runs 30]

The database is created (dropped first if it exists) and filled with bulk inserts: usage records
over the last 14 days (a tenth of them refused, with encrypted content), incidents, complaints
(encrypted, a third overdue), requests and accounts. Each page is then requested ``--runs`` times
in process (Starlette's TestClient, no network) after two warm-up requests; the time is measured
around the whole request, so it is an upper bound of the server time. Prints JSON with p50 and p95
per page. The audit chain's full verification (``/console/audit?check=1``) walks every event and
is measured separately: it is an explicit action, not a page load.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _create_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = f"host={parsed.host or '127.0.0.1'} port={parsed.port or 5432} user={parsed.username or 'postgres'} dbname=test"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{parsed.database}"')


def _fill(store: Any, keyring: Any, usage: int, incidents: int, complaints: int) -> dict[str, Any]:
    from sqlalchemy import insert

    from hegui.config import ConsoleSettings
    from hegui.ops import accounts, keys
    from hegui.ops.forms import hash_tracking, new_tracking
    from hegui.ops.records import AgeBand
    from hegui.ops.staff import create_staff
    from hegui.store import schema
    from hegui.store.schema import utcnow

    rng = random.Random(16)
    now = utcnow()
    codes = ["A.1.a", "A.1.d", "A.2.e", "A.4.f", "A.1.h"]
    people = [
        store.write(
            lambda c, i=i: accounts.create_account(
                c, name=f"用户{i}", age_band=AgeBand.ADULT, actor="bench"
            )
        )
        for i in range(200)
    ]
    store.write(lambda c: keys.create_key(c, people[0].id, actor="bench"))
    store.write(
        lambda c: create_staff(
            c,
            username="bench",
            name="bench",
            role="admin",
            password="bench password",
            actor="bench",
        )
    )
    pseudonyms = [keyring.pseudonym(p.id) for p in people]
    batch: list[dict[str, Any]] = []
    # spread over 14 days and written in time order, as the gateway writes them
    moments = sorted(now - timedelta(seconds=rng.randrange(14 * 86400)) for _ in range(usage))
    for i in range(usage):
        refused = rng.random() < 0.1
        batch.append(
            {
                "pseudonym": rng.choice(pseudonyms),
                "key_id": None,
                "at": moments[i],
                "model": "m",
                "endpoint": "chat",
                "decision": "refuse" if refused else "allow",
                "risk_codes": [rng.choice(codes)] if refused else [],
                "prompt_tokens": 20,
                "completion_tokens": 80,
                "latency_ms": 300.0,
                "status": 200,
                "incident_id": None,
                "content": keyring.encrypt("违规内容示例", "usage") if refused else None,
            }
        )
        if len(batch) == 5000 or i == usage - 1:
            rows = batch
            store.write(lambda c, rows=rows: c.execute(insert(schema.usage_records), rows))
            batch = []
    rows = []
    for i in range(incidents):
        iid = f"inc_{i:016x}"
        rows.append(
            {
                "id": iid,
                "at": now - timedelta(seconds=rng.randrange(90 * 86400)),
                "pseudonym": rng.choice(pseudonyms),
                "direction": "input",
                "stage": "prompt",
                "action": "refuse",
                "risk_codes": [rng.choice(codes)],
                "model": "m",
                "evidence": keyring.encrypt("证据文本", f"incident:{iid}"),
                "detail": {},
                "status": "open" if rng.random() < 0.3 else "closed",
            }
        )
    store.write(lambda c: c.execute(insert(schema.incidents), rows))
    settings = ConsoleSettings()
    rows = []
    for i in range(complaints):
        cid = f"cmp_{i:016x}"
        filed = now - timedelta(days=rng.randrange(60))
        rows.append(
            {
                "id": cid,
                "tracking_hash": hash_tracking(new_tracking("C")),
                "category": "service",
                "reference": None,
                "content": keyring.encrypt("投诉内容" * 10, f"complaint:{cid}"),
                "contact": keyring.encrypt("user@example.org", f"complaint:{cid}"),
                "account_id": None,
                "status": "open" if rng.random() < 0.4 else "answered",
                "assignee": None,
                "answer": None,
                "filed_at": filed,
                "due_at": filed + timedelta(days=21),
                "answered_at": None,
                "escalated_at": None,
            }
        )
    store.write(lambda c: c.execute(insert(schema.complaints), rows))
    tracking = new_tracking("C")
    known = {
        "id": "cmp_known",
        "tracking_hash": hash_tracking(tracking),
        "content": keyring.encrypt("投诉内容", "complaint:cmp_known"),
        "contact": None,
    }
    rows = [dict(rows[0], **known)]
    store.write(lambda c: c.execute(insert(schema.complaints), rows))
    return {
        "account": people[0].id,
        "incident": "inc_" + "0" * 16,
        "complaint": "cmp_known",
        "tracking": tracking,
        "settings": settings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/hegui_bench_console")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--usage", type=int, default=100_000)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--complaints", type=int, default=10_000)
    args = parser.parse_args()

    from starlette.testclient import TestClient

    from hegui.config import Settings
    from hegui.console.app import build_app
    from hegui.console.web import Services
    from hegui.store.crypto import Keyring
    from hegui.store.db import open_store
    from hegui.store.schema import utcnow

    if args.url.startswith("postgresql"):
        _create_database(args.url)
    store = open_store(args.url)
    keyring = Keyring(secrets.token_bytes(32))
    t0 = time.perf_counter()
    ids = _fill(store, keyring, args.usage, args.incidents, args.complaints)
    fill_s = time.perf_counter() - t0

    async def invalidate(message: str) -> None:
        return None

    services = Services(Settings(), lambda: store, lambda: keyring, invalidate, utcnow)
    results: dict[str, dict[str, float]] = {}
    with TestClient(build_app(services)) as client:
        page = client.get("/console/login")
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        client.post(
            "/console/login",
            data={
                "csrf": csrf,
                "username": "bench",
                "password": "bench password",
                "next": "/console/",
            },
        )
        pages = {
            "portal home": ("GET", "/portal/", None),
            "portal disclosure": ("GET", "/portal/disclosure", None),
            "portal agreement": ("GET", "/portal/agreement", None),
            "portal status (POST)": ("POST", "/portal/status", {"tracking": ids["tracking"]}),
            "dashboard": ("GET", "/console/", None),
            "complaints queue": ("GET", "/console/complaints", None),
            "complaints overdue": ("GET", "/console/complaints?state=overdue", None),
            "complaint": ("GET", f"/console/complaints/{ids['complaint']}", None),
            "requests": ("GET", "/console/requests", None),
            "incidents": ("GET", "/console/incidents?state=all", None),
            "incident": ("GET", f"/console/incidents/{ids['incident']}", None),
            "users": ("GET", "/console/users", None),
            "user": ("GET", f"/console/users/{ids['account']}", None),
            "audit log": ("GET", "/console/audit", None),
            "safe answers": ("GET", "/console/safe-answers", None),
        }
        for name, (method, path, data) in pages.items():
            times = []
            for i in range(args.runs + 2):
                form = None
                if data is not None:
                    form = {**data, "csrf": csrf_of(client)}
                start = time.perf_counter()
                response = client.request(method, path, data=form)
                elapsed = (time.perf_counter() - start) * 1000
                assert response.status_code == 200, (name, response.status_code)
                if i >= 2:
                    times.append(elapsed)
            times.sort()
            results[name] = {
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
            }
        start = time.perf_counter()
        assert client.get("/console/audit?check=1").status_code == 200
        verify_ms = (time.perf_counter() - start) * 1000
    store.close()
    print(
        json.dumps(
            {
                "database": args.url.split("@")[-1],
                "rows": {
                    "usage_records": args.usage,
                    "incidents": args.incidents,
                    "complaints": args.complaints,
                },
                "fill_seconds": round(fill_s, 1),
                "runs_per_page": args.runs,
                "pages": results,
                "worst_p95_ms": max(r["p95_ms"] for r in results.values()),
                "audit_verify_ms": round(verify_ms, 1),
            },
            ensure_ascii=False,
            indent=2,
        )
    )


def csrf_of(client: Any) -> str:
    page = client.get("/portal/status")
    return str(page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0])


if __name__ == "__main__":
    main()
