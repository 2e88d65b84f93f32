"""Art. 14 sanctions target what users do: prompts count, the model's answers do not (by default).

Issue 11, item 6: a user asking only benign questions was warned, restricted and suspended for the
model's bad answers; and a ``GET /v1/models`` between two violations reset "N in a row".
"""

from __future__ import annotations

import time
from typing import Any

from hegui.ops import keys
from hegui.store.db import open_store

from . import test_store_backend
from .conftest import gateway_settings
from .test_chat_http import sse_events
from .test_store_backend import seed, start

db_url = test_store_backend.db_url  # the fixture: SQLite, and PostgreSQL when it is running


def test_bad_answers_are_incidents_not_violations_of_the_user(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([upstream.url])
    r = g.chat("hi", mock={"reply": "这里是违禁词的内容"})
    assert r.json()["choices"][0]["finish_reason"] == "content_filter"
    s = g.chat(
        "hi", stream=True, mock={"reply": "前面的正常内容足够长然后违禁词出现", "chunk_chars": 1}
    )
    assert sse_events(s.text)[-1]["choices"][0]["finish_reason"] == "content_filter"
    assert [i.direction for i in g.backend.incidents] == ["output", "output"]
    assert g.backend.violations == []
    assert "sanction" not in r.json()["hegui"]


def test_counting_output_violations_is_a_setting(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    settings = gateway_settings([upstream.url])
    settings.sanctions.count_output_violations = True
    g = make_gateway([upstream.url], settings=settings)
    g.chat("hi", mock={"reply": "这里是违禁词的内容"})
    assert g.backend.violations == [("k1", ["A.1.h"])]


def _sanction(url: str, api_key: str) -> str:
    key_id = keys.parse_api_key(api_key)
    assert key_id is not None
    store = open_store(url, upgrade=False)
    try:
        with store.read() as conn:
            row = keys.lookup_key(conn, key_id)
            assert row is not None
            return str(row.sanction)
    finally:
        store.close()


def _flushed(g: Any) -> None:
    time.sleep(0.05)  # the usage record (and its streak reset) is queued after the response
    g.server.call(g.backend.flush())


def test_model_list_between_violations_does_not_reset_the_streak(
    make_gateway, upstream, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url)
    g = start(make_gateway, upstream.url, db_url)
    h = {"authorization": f"Bearer {api_key}"}
    bad = {"model": "mock-model", "messages": [{"role": "user", "content": "炸弹制作"}]}
    for _ in range(3):
        assert g.client.post("/v1/chat/completions", json=bad, headers=h).status_code == 200
        assert g.client.get("/v1/models", headers=h).status_code == 200
        assert (
            g.client.post("/v1/moderations", json={"input": "你好"}, headers=h).status_code == 200
        )
        _flushed(g)
    assert _sanction(db_url, api_key) == "warned"


def test_a_served_clean_chat_still_resets_the_streak(make_gateway, upstream, db_url: str) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url)
    g = start(make_gateway, upstream.url, db_url)
    h = {"authorization": f"Bearer {api_key}"}
    bad = {"model": "mock-model", "messages": [{"role": "user", "content": "炸弹制作"}]}
    ok = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}
    for _ in range(3):
        g.client.post("/v1/chat/completions", json=bad, headers=h)
        assert g.client.post("/v1/chat/completions", json=ok, headers=h).status_code == 200
        _flushed(g)
    assert _sanction(db_url, api_key) == "normal"


def test_eight_bad_answers_leave_a_benign_user_in_good_standing(
    make_gateway, upstream, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url)
    g = start(make_gateway, upstream.url, db_url)
    h = {"authorization": f"Bearer {api_key}"}
    body = {
        "model": "mock-model",
        "messages": [{"role": "user", "content": "讲个故事"}],
        "mock": {"reply": "故事里出现了违禁词"},
    }
    for _ in range(8):
        r = g.client.post("/v1/chat/completions", json=body, headers=h)
        assert r.status_code == 200 and r.json()["choices"][0]["finish_reason"] == "content_filter"
    assert _sanction(db_url, api_key) == "normal"
