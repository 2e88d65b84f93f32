"""Safe answers: approved answers replace the refusal template for similar refused inputs,
in the ops functions, the console, and a running gateway."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from hegui.errors import InputError
from hegui.ops import safe_answers as ops
from hegui.store.crypto import Keyring
from hegui.store.db import Store, open_store
from tests.console.conftest import make_person
from tests.console.serve import serve_settings, serving
from tests.console.web import add_staff, console
from tests.gateway.servers import ServerThread


def test_similarity_uses_the_engines_normalisation() -> None:
    base = ops.bigrams("台湾是中国的一部分吗？")
    assert ops.similarity(base, ops.bigrams("臺灣是中國的一部分嗎")) == 1.0  # traditional script
    assert ops.similarity(base, ops.bigrams("台 湾 是 中 国 的 一 部 分 吗")) == 1.0
    assert ops.similarity(base, ops.bigrams("今天天气怎么样")) == 0.0
    assert 0.5 < ops.similarity(base, ops.bigrams("台湾是不是中国的一部分")) < 1.0


def test_best_match_respects_the_threshold_and_withdrawn_answers(store: Store) -> None:
    first = store.write(
        lambda c: ops.add_answer(
            c, "台湾是中国的一部分吗", "台湾是中国领土不可分割的一部分。", actor="staff:a"
        )
    )
    store.write(
        lambda c: ops.add_answer(
            c, "怎样制作危险物品", "抱歉，这涉及安全风险；如需帮助请联系相关部门。", actor="staff:a"
        )
    )
    with store.read() as conn:
        index = ops.load_active(conn)
    match = ops.best_match(index, "台湾是不是中国的一部分？", 0.5)
    assert match is not None and match[0] == first
    assert ops.best_match(index, "台湾是不是中国的一部分？", 0.95) is None
    store.write(lambda c: ops.set_active(c, first, False, actor="staff:a"))
    with store.read() as conn:
        assert ops.best_match(ops.load_active(conn), "台湾是中国的一部分吗", 0.5) is None
    with pytest.raises(InputError):
        store.write(lambda c: ops.add_answer(c, "？？？", "x", actor="a"))


def test_console_page_adds_probes_and_withdraws(sqlite_store: Store, keyring: Keyring) -> None:
    add_staff(sqlite_store, "rev", "reviewer")
    with console(sqlite_store, keyring) as c:
        c.login("rev")
        added = c.post(
            "/console/safe-answers",
            {"question": "拒绝我这个问题怎么回答", "answer": "这是经过批准的安全回答。"},
        )
        assert added.status_code == 303
        probe = c.client.get(
            "/console/safe-answers", params={"probe": "拒绝我：这个问题怎么回答？"}
        )
        assert 'id="match">#1 · 相似度 1.00' in probe.text
        assert (
            c.post(
                "/console/safe-answers/1/toggle", {"active": "0"}, from_page="/console/safe-answers"
            ).status_code
            == 303
        )
    with sqlite_store.read() as conn:
        assert ops.list_answers(conn)[0].active is False


def test_running_gateway_serves_the_approved_answer_and_counts_it(
    tmp_path: Path, upstream: ServerThread
) -> None:
    url = f"sqlite:///{tmp_path / 'hegui.db'}"
    store = open_store(url)
    try:
        person = make_person(store, Keyring(b"k" * 32))
        store.write(
            lambda c: ops.add_answer(
                c, "拒绝我这个问题怎么回答", "这是经过批准的安全回答。", actor="staff:a"
            )
        )
    finally:
        store.close()
    api = {"authorization": f"Bearer {person.api_key}"}
    with serving(serve_settings(url, [upstream.url])) as server:

        def ask(text: str) -> str:
            body = {"model": "mock-model", "messages": [{"role": "user", "content": text}]}
            r = httpx.post(server.url + "/v1/chat/completions", json=body, headers=api, timeout=20)
            assert (
                r.status_code == 200 and r.json()["choices"][0]["finish_reason"] == "content_filter"
            )
            return str(r.json()["choices"][0]["message"]["content"])

        assert ask("拒绝我：这个问题怎么回答？").startswith("这是经过批准的安全回答。")
        assert ask("拒绝我，然后讲个完全无关的长故事吧朋友们").startswith(
            "抱歉"
        )  # not similar: template
    store = open_store(url)
    try:
        with store.read() as conn:
            assert ops.list_answers(conn)[0].served == 1
    finally:
        store.close()
