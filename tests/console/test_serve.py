"""The console inside a running gateway (real uvicorn, uvloop, SQLite file): same port as the
API, and a sanction set in the console is enforced by the gateway on the very next request."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from hegui.store.crypto import Keyring
from hegui.store.db import open_store
from tests.console.conftest import make_person
from tests.console.serve import serve_settings, serving
from tests.console.web import PASSWORD, add_staff
from tests.gateway.servers import ServerThread

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def test_console_and_api_share_a_port_and_sanctions_apply_at_once(
    tmp_path: Path,
    upstream: ServerThread,
) -> None:
    url = f"sqlite:///{tmp_path / 'hegui.db'}"
    store = open_store(url)
    try:
        person = make_person(store, Keyring(b"k" * 32))
        add_staff(store, "rev", "reviewer")
    finally:
        store.close()
    with (
        serving(serve_settings(url, [upstream.url])) as server,
        httpx.Client(base_url=server.url, timeout=20) as web,
    ):
        assert web.get("/healthz").status_code == 200
        assert "用户服务中心" in web.get("/portal/").text
        assert web.get("/").headers.get("location") == "/portal/"
        api = {"authorization": f"Bearer {person.api_key}"}
        body = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}
        assert web.post("/v1/chat/completions", json=body, headers=api).status_code == 200
        token = _CSRF.search(web.get("/console/login").text).group(1)
        login = web.post(
            "/console/login",
            data={"csrf": token, "username": "rev", "password": PASSWORD, "next": "/console/"},
        )
        assert login.status_code == 303
        page = f"/console/users/{person.account_id}"
        token = _CSRF.search(web.get(page).text).group(1)
        done = web.post(
            f"{page}/sanction", data={"csrf": token, "sanction": "suspended", "reason": "严重违规"}
        )
        assert done.status_code == 303
        refused = web.post("/v1/chat/completions", json=body, headers=api)
        assert refused.status_code == 403, refused.text
