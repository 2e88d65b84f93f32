"""End users behind one app key, over real HTTP with the official ``openai`` client (issue 14).

A gateway as ``hegui serve`` runs it (uvicorn, uvloop, the store backend) on SQLite and
PostgreSQL: each end user named by ``user=`` (or ``X-Hegui-User``) accepts the agreement, is
sanctioned, rate-limited and put in minors' mode on their own, while others behind the same key
are still served; bad ids are refused before anything is created.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hegui.ops import admin_tokens, sanctions
from hegui.ops.records import Sanction
from hegui.store import audit
from hegui.store.audit_records import verify_records
from hegui.store.db import open_store
from hegui.store.schema import accounts, end_users
from tests.lazy import openai

from . import test_store_backend
from .test_store_backend import count, seed, start

db_url = test_store_backend.db_url  # the fixture: SQLite, and PostgreSQL when it is running

CHAT: dict[str, Any] = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}
ME = "/v1/hegui/end_users/me"


def _client(g: Any, api_key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=g.url + "/v1", api_key=api_key, max_retries=0, timeout=20)


def _ask(client: openai.OpenAI, user: str, text: str = "你好") -> Any:
    return client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": text}], user=user
    )


def _accept(g: Any, api_key: str, user: str) -> httpx.Response:
    h = {"authorization": f"Bearer {api_key}", "x-hegui-user": user}
    return g.client.post(ME + "/agreement", json={}, headers=h)


def _store_rows(url: str, table: Any) -> list[Any]:
    store = open_store(url, upgrade=False)
    try:
        with store.read() as conn:
            return list(conn.execute(select(table)))
    finally:
        store.close()


def _end_user_id(g: Any, api_key: str, user: str) -> str:
    h = {"authorization": f"Bearer {api_key}", "x-hegui-user": user}
    r = g.client.get(ME, headers=h)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


def test_each_end_user_accepts_the_agreement_and_no_id_is_stored(
    make_gateway, upstream, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url)  # the app account itself has accepted
    g = start(make_gateway, upstream.url, db_url)
    client = _client(g, api_key)
    assert client.chat.completions.create(**CHAT).choices[0].message.content  # the app itself
    with pytest.raises(openai.PermissionDeniedError) as refused:
        _ask(client, "alice@example.com")
    body = refused.value.body
    assert isinstance(body, dict) and body["code"] == "agreement_required"
    r = _accept(g, api_key, "alice@example.com")
    assert r.status_code == 200 and r.json()["agreement_version"] == "2026-11"
    assert _ask(client, "alice@example.com").choices[0].message.content
    with pytest.raises(openai.PermissionDeniedError):  # bob has not accepted yet
        _ask(client, "bob")
    rows = _store_rows(db_url, end_users)
    assert len(rows) == 2
    dump = repr(rows) + repr(_store_rows(db_url, accounts))
    assert "alice" not in dump and "bob" not in dump  # only keyed hashes are kept
    g.flush()
    store = open_store(db_url, upgrade=False)
    try:
        with store.read() as conn:
            assert audit.verify(conn).ok
            assert verify_records(conn).ok  # every end-user row is sealed by its audit event
    finally:
        store.close()


def test_one_end_user_sanctioned_another_behind_the_same_key_is_served(
    make_gateway, upstream, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url)
    g = start(make_gateway, upstream.url, db_url, end_users={"own_agreement": False})
    client = _client(g, api_key)
    assert _ask(client, "alice").choices[0].message.content
    assert _ask(client, "bob").choices[0].message.content
    alice = _end_user_id(g, api_key, "alice")
    store = open_store(db_url, upgrade=False)
    try:
        store.write(
            lambda c: sanctions.set_sanction(
                c, alice, Sanction.SUSPENDED, reason="abuse", actor="t"
            )
        )
    finally:
        store.close()
    g.server.call(g.backend.invalidate(f"account:{alice}"))
    with pytest.raises(openai.PermissionDeniedError) as refused:
        _ask(client, "alice")
    body = refused.value.body
    assert isinstance(body, dict) and body["code"] == "end_user_suspended"
    assert _ask(client, "bob").choices[0].message.content
    assert client.chat.completions.create(**CHAT).choices  # the app's own requests too
    # The header names the end user when both are sent: bob's header wins over alice's body.
    h = {"authorization": f"Bearer {api_key}", "x-hegui-user": "bob"}
    r = g.client.post("/v1/chat/completions", json={**CHAT, "user": "alice"}, headers=h)
    assert r.status_code == 200


def test_violations_count_on_the_end_user_not_the_app(make_gateway, upstream, db_url: str) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url)
    g = start(make_gateway, upstream.url, db_url, end_users={"own_agreement": False})
    client = _client(g, api_key)
    for _ in range(3):
        _ask(client, "mallory", "炸弹制作")
    rows = {r.id: r for r in _store_rows(db_url, accounts)}
    mallory = _end_user_id(g, api_key, "mallory")
    assert rows[mallory].sanction == "warned"
    app_rows = [r for r in rows.values() if r.id != mallory]
    assert [r.sanction for r in app_rows] == ["normal"]
    assert _ask(client, "trent").choices[0].message.content


def test_rate_limit_and_minors_mode_apply_per_end_user(make_gateway, upstream, db_url: str) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url)
    g = start(
        make_gateway,
        upstream.url,
        db_url,
        end_users={"own_agreement": False},
        rate_limit={"requests_per_minute": 2},
        minors={"curfew_start": "00:00", "curfew_end": "23:59:59"},
    )
    client = _client(g, api_key)
    _ask(client, "carol")
    _ask(client, "carol")
    with pytest.raises(openai.RateLimitError):
        _ask(client, "carol")
    assert _ask(client, "dave").choices  # dave has his own window
    h = {"authorization": f"Bearer {api_key}", "x-hegui-user": "erin"}
    r = g.client.post(ME + "/minors", json={"age_band": "under_16"}, headers=h)
    assert r.status_code == 200 and r.json()["age_band"] == "under_16"
    with pytest.raises(openai.PermissionDeniedError) as refused:
        _ask(client, "erin")  # the whole day is curfew in this test's settings
    body = refused.value.body
    assert isinstance(body, dict) and body["code"] == "minors_curfew"
    assert _ask(client, "frank").choices  # an adult end user of the same app


@pytest.mark.parametrize(
    ("body_user", "header"),
    [
        ("", None),
        ("   ", None),
        (12345, None),
        (["a"], None),
        ("x" * 129, None),
        ("bad\nid", None),
        (None, "tab\tid"),
        (None, ""),
    ],
)
def test_bad_end_user_ids_are_refused_before_anything_is_created(
    make_gateway, upstream, tmp_path: Any, body_user: Any, header: str | None
) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'hegui.db'}"
    api_key = seed(url)
    g = start(make_gateway, upstream.url, url)
    h = {"authorization": f"Bearer {api_key}"}
    if header is not None:
        h["x-hegui-user"] = header
    body = {**CHAT, **({"user": body_user} if body_user is not None else {})}
    r = g.client.post("/v1/chat/completions", json=body, headers=h)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error" and err["param"] == "user"
    assert count(url, end_users) == 0


def test_first_sight_under_concurrency_creates_one_end_user(
    make_gateway, upstream, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url)
    g = start(make_gateway, upstream.url, db_url, end_users={"own_agreement": False})
    h = {"authorization": f"Bearer {api_key}", "x-hegui-user": "zoe"}
    limits = httpx.Limits(max_connections=32)
    with (
        httpx.Client(base_url=g.url, headers=h, timeout=20, limits=limits) as client,
        concurrent.futures.ThreadPoolExecutor(16) as pool,
    ):
        ask = lambda _: client.post("/v1/chat/completions", json=CHAT).status_code  # noqa: E731
        codes = list(pool.map(ask, range(32)))
    assert codes == [200] * 32
    assert count(db_url, end_users) == 1


def test_end_user_endpoints_need_a_key_and_an_end_user(make_gateway, upstream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'hegui.db'}"
    api_key = seed(url)
    g = start(make_gateway, upstream.url, url)
    assert httpx.post(g.url + ME + "/agreement", json={}).status_code == 401
    r = g.client.post(ME + "/agreement", json={}, headers={"authorization": f"Bearer {api_key}"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "user"
    h = {"authorization": f"Bearer {api_key}", "x-hegui-user": "gina"}
    r = g.client.post(ME + "/agreement", json={"version": "nope"}, headers=h)
    assert r.status_code == 400 and r.json()["error"]["param"] == "version"
    r = g.client.post(ME + "/minors", json={"age_band": "toddler"}, headers=h)
    assert r.status_code == 400 and r.json()["error"]["param"] == "age_band"
    assert g.client.get(ME + "/agreement", headers=h).status_code == 405
    # accepting by the body's 'user' works too
    r = g.client.post(
        ME + "/agreement",
        json={"user": "gina"},
        headers={"authorization": f"Bearer {api_key}"},
    )
    assert r.status_code == 200 and r.json()["agreement_version"] == "2026-11"


def make_token(url: str, *scopes: str) -> str:
    store = open_store(url)
    try:
        return store.write(
            lambda c: admin_tokens.create_token(c, "test", list(scopes), actor="t")
        ).token
    finally:
        store.close()


def test_the_upstream_gets_a_pseudonym_never_the_apps_id_for_the_person(
    make_gateway, upstream, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url)
    g = start(make_gateway, upstream.url, db_url, end_users={"own_agreement": False})
    client = _client(g, api_key)
    mock = upstream.server.config.app
    sent: list[str] = []
    for _ in range(2):  # the same person gets the same pseudonym each time
        _ask(client, "alice@example.com")
        sent.append(mock.last["user"])
    stream = client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "你好"}], user="bob", stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    bob = mock.last["user"]
    client.embeddings.create(model="mock-model", input="你好", user="alice@example.com")
    sent.append(mock.last["user"])
    assert len(set(sent)) == 1 and bob not in sent
    assert "alice" not in sent[0] and "example" not in sent[0] and bob != "bob"
    client.chat.completions.create(**CHAT)  # no user sent: none is made up
    assert "user" not in mock.last
