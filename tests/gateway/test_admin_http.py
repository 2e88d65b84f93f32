"""The admin HTTP API (``/admin/v1``) over real HTTP, on SQLite and PostgreSQL (issue 14).

Scoped tokens: a bad token is 401, a missing scope 403, and neither leaves anything behind;
every mutating call is an audited ops call; the OpenAPI schema is served.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from hegui.store import audit
from hegui.store.audit_records import verify_records
from hegui.store.db import open_store
from hegui.store.schema import accounts, api_keys, audit_events
from tests.lazy import openai

from . import test_store_backend
from .test_end_users_http import make_token
from .test_store_backend import count, seed, start

db_url = test_store_backend.db_url

A = "/admin/v1"


def _h(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_scopes_and_bad_tokens_are_refused_and_create_nothing(
    make_gateway, upstream, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    seed(db_url)
    reader = make_token(db_url, "accounts:read")
    g = start(make_gateway, upstream.url, db_url)
    before_accounts, before_events = count(db_url, accounts), count(db_url, audit_events)
    r = httpx.post(g.url + A + "/accounts", json={"name": "app"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_admin_token"
    r = httpx.post(g.url + A + "/accounts", json={"name": "app"}, headers=_h("hga-nope"))
    assert r.status_code == 401
    wrong = reader[:-4] + ("AAAA" if not reader.endswith("AAAA") else "BBBB")
    assert httpx.get(g.url + A + "/accounts", headers=_h(wrong)).status_code == 401
    r = httpx.post(g.url + A + "/accounts", json={"name": "app"}, headers=_h(reader))
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["type"] == "permission_error" and err["code"] == "insufficient_scope"
    assert count(db_url, accounts) == before_accounts
    assert count(db_url, audit_events) == before_events
    assert httpx.get(g.url + A + "/accounts", headers=_h(reader)).status_code == 200


def test_b2c_setup_end_to_end_through_the_admin_api(make_gateway, upstream, db_url: str) -> None:  # type: ignore[no-untyped-def]
    token = make_token(db_url, "*")
    g = start(make_gateway, upstream.url, db_url)
    http = httpx.Client(base_url=g.url, headers=_h(token), timeout=20)
    schema = http.get(A + "/openapi.json").json()
    assert "/admin/v1/accounts/{account_id}/sanction" in schema["paths"]
    r = http.post(A + "/agreements", json={"version": "v1", "url": "https://example.test/t"})
    assert r.status_code == 201
    r = http.post(A + "/accounts", json={"name": "my app"})
    assert r.status_code == 201
    app_id = r.json()["id"]
    assert (
        http.post(A + f"/accounts/{app_id}/agreement", json={}).json()["agreement_version"] == "v1"
    )
    r = http.post(A + f"/accounts/{app_id}/keys")
    assert r.status_code == 201
    api_key = r.json()["api_key"]
    assert [k["account_id"] for k in http.get(A + "/keys").json()["data"]] == [app_id]
    client = openai.OpenAI(base_url=g.url + "/v1", api_key=api_key, max_retries=0)
    me = {"authorization": f"Bearer {api_key}", "x-hegui-user": "u-1"}
    assert http.post("/v1/hegui/end_users/me/agreement", headers=me, json={}).status_code == 200
    chat = client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "你好"}], user="u-1"
    )
    assert chat.choices[0].message.content
    page = http.get(A + f"/accounts/{app_id}/end_users").json()
    assert len(page["data"]) == 1 and page["has_more"] is False
    end_user = page["data"][0]["id"]
    assert http.get(A + f"/end_users/{end_user}").json()["agreement_version"] == "v1"
    listed = http.get(A + "/accounts").json()["data"]
    assert [a["id"] for a in listed] == [app_id]  # not the end user
    r = http.post(
        A + f"/accounts/{end_user}/sanction", json={"sanction": "suspended", "reason": "abuse"}
    )
    assert r.status_code == 200 and r.json()["changed"] is True
    try:
        client.chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": "你好"}], user="u-1"
        )
        raise AssertionError("a suspended end user was served")
    except openai.PermissionDeniedError as exc:
        assert isinstance(exc.body, dict) and exc.body["code"] == "end_user_suspended"
    r = http.post(A + f"/accounts/{end_user}/sanction", json={"sanction": "normal", "reason": "ok"})
    assert r.status_code == 200
    assert client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "你好"}], user="u-1"
    ).choices
    r = http.post(A + f"/end_users/{end_user}/minors", json={"age_band": "16_17"})
    assert r.status_code == 200 and r.json()["age_band"] == "16_17"
    key_id = api_key.split("-")[1]
    assert http.post(A + f"/keys/{key_id}/revoke").status_code == 200
    assert http.post(A + f"/keys/{key_id}/revoke").status_code == 400  # twice: input error
    try:
        client.models.list()
        raise AssertionError("a revoked key was served")
    except openai.AuthenticationError:
        pass
    # bad input: clear errors, nothing created
    n = count(db_url, accounts)
    r = http.post(A + "/accounts", json={"name": "", "age_band": "adult"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "name"
    r = http.post(A + "/accounts", json={"name": "x", "age_band": "toddler"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "age_band"
    assert http.post(A + "/accounts/nope/keys").status_code == 404
    assert http.post(A + f"/accounts/{end_user}/keys").status_code == 400
    assert count(db_url, accounts) == n and count(db_url, api_keys) == 1
    _audited_as_the_token(db_url, token)


def test_every_listing_pages_by_after_and_limit(make_gateway, upstream, db_url: str) -> None:  # type: ignore[no-untyped-def]
    token = make_token(db_url, "*")
    g = start(make_gateway, upstream.url, db_url)
    http = httpx.Client(base_url=g.url, headers=_h(token), timeout=20)
    made = [http.post(A + "/accounts", json={"name": f"app {i}"}).json()["id"] for i in range(5)]
    for account_id in made:
        assert http.post(A + f"/accounts/{account_id}/keys").status_code == 201
    for path, key in (("/accounts", "id"), ("/keys", "key_id")):
        seen: list[str] = []
        after: str | None = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"after": after} if after else {})
            page = http.get(A + path, params=params).json()
            assert page["object"] == "list" and len(page["data"]) <= 2
            seen += [item[key] for item in page["data"]]
            pages += 1
            if not page["has_more"]:
                break
            after = page["last_id"]
            assert after == page["data"][-1][key]
        assert pages == 3 and len(seen) == len(set(seen))
        everything = http.get(A + path).json()  # the default page holds them all
        assert [i[key] for i in everything["data"]] == seen and everything["has_more"] is False
    owned = {k["account_id"] for k in http.get(A + "/keys").json()["data"]}
    assert owned >= set(made)
    # bad paging parameters: 400 OpenAI error objects naming the parameter
    for path in ("/accounts", "/keys", f"/accounts/{made[0]}/end_users"):
        for params, param in (
            ({"limit": 0}, "limit"),
            ({"limit": 1001}, "limit"),
            ({"limit": "ten"}, "limit"),
            ({"after": "no-such-id"}, "after"),
        ):
            r = http.get(A + path, params=params)
            assert r.status_code == 400, (path, params, r.text)
            err = r.json()["error"]
            assert err["type"] == "invalid_request_error" and err["param"] == param, err
    schema = http.get(A + "/openapi.json").json()
    for path in (
        "/admin/v1/accounts",
        "/admin/v1/keys",
        "/admin/v1/accounts/{account_id}/end_users",
    ):
        params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert params["limit"]["schema"]["maximum"] == 1000
        assert params["limit"]["schema"]["default"] == 100
        assert "after" in params


def _audited_as_the_token(url: str, token: str) -> None:
    token_id = token.split("-")[1]
    store = open_store(url, upgrade=False)
    try:
        with store.read() as conn:
            actions: list[Any] = [(r.actor, r.action) for r in conn.execute(select(audit_events))]
            assert audit.verify(conn).ok and verify_records(conn).ok
    finally:
        store.close()
    mine = {a for actor, a in actions if actor == f"admin:{token_id}"}
    assert {
        "agreement.publish",
        "account.create",
        "agreement.accept",
        "key.create",
        "sanction.set",
        "account.age_band",
        "key.revoke",
    } <= mine
