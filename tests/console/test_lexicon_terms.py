"""Lexicon terms kept in the console: audited changes, the engine's own matching, and a running
gateway that refuses a new term within seconds, without a restart."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from hegui.config import EngineSettings
from hegui.errors import InputError
from hegui.ops import lexicon_terms as ops
from hegui.safety.types import Direction, Doc
from hegui.store.crypto import Keyring
from hegui.store.db import Store, open_store
from tests.console.conftest import make_person
from tests.console.serve import serve_settings
from tests.console.web import add_staff, console
from tests.gateway.servers import ServerThread


def test_terms_are_validated_listed_and_withdrawn(store: Store) -> None:
    first = store.write(
        lambda c: ops.add_term(c, "蓝莓暗号", "A.1.a", note="incident inc_1", actor="staff:a")
    )
    store.write(lambda c: ops.add_term(c, "青柠暗号", "A.1.h", severity="medium", actor="staff:a"))
    with pytest.raises(InputError, match="unknown risk code"):
        store.write(lambda c: ops.add_term(c, "x", "Z.1", actor="a"))
    with pytest.raises(InputError, match="severity"):
        store.write(lambda c: ops.add_term(c, "x", "A.1.a", severity="huge", actor="a"))
    with store.read() as conn:
        before = ops.terms_version(conn)
        assert [t["term"] for t in ops.list_terms(conn, "inc_1")] == ["蓝莓暗号"]
        assert len(ops.list_terms(conn)) == 2
    store.write(lambda c: ops.set_term_active(c, first, False, actor="staff:a"))
    with store.read() as conn:
        assert ops.terms_version(conn) != before
        assert [e.term for e in ops.load_entries(conn)] == ["青柠暗号"]


def test_detector_follows_the_table(store: Store) -> None:
    detector = ops.StoreTermsDetector(SimpleNamespace(store=store))
    doc = Doc("我们用蓝 莓暗号交流")
    assert detector.detect(doc, Direction.INPUT) == []
    term = store.write(lambda c: ops.add_term(c, "蓝莓暗号", "A.1.a", actor="staff:a"))
    detector.refresh()
    [finding] = detector.detect(doc, Direction.INPUT)
    assert finding.code == "A.1.a" and finding.evidence.text == "蓝 莓暗号"  # as the user wrote it
    store.write(lambda c: ops.set_term_active(c, term, False, actor="staff:a"))
    detector.refresh()
    assert detector.detect(doc, Direction.INPUT) == []


def test_a_staff_term_streamed_one_character_at_a_time_never_leaves_in_part(
    store: Store,
) -> None:
    """``stream_hold = "tail"`` holds only an end that could still grow into a term: the staff
    terms count too, not only the built-in lexicon (issue 14)."""
    from hegui.gateway.errors import StreamStopError
    from hegui.gateway.stream import StreamModerator
    from hegui.safety.engine import Engine

    store.write(lambda c: ops.add_term(c, "蓝莓暗号", "A.1.a", actor="staff:a"))
    engine = Engine.default()
    terms = ops.StoreTermsDetector(SimpleNamespace(store=store))
    terms.refresh()
    engine.detectors.append(terms)
    assert engine.hold_back("今天我们用蓝莓") >= 2  # "蓝莓" may still become the term
    mod = StreamModerator(
        lambda t: engine.check(t, "output"), window=70, step=0, hold=engine.hold_back
    )
    out: list[str] = []
    with pytest.raises(StreamStopError):
        for ch in "好的。今天我们用蓝莓暗号交流吧":
            out.append(mod.feed("c", ch))
    assert "蓝" not in "".join(out) and "".join(out).startswith("好的")


def test_console_page_adds_searches_and_withdraws(sqlite_store: Store, keyring: Keyring) -> None:
    add_staff(sqlite_store, "rev", "reviewer")
    with console(sqlite_store, keyring) as c:
        c.login("rev")
        assert (
            c.post(
                "/console/lexicon", {"term": "蓝莓暗号", "code": "A.1.a", "severity": "high"}
            ).status_code
            == 303
        )
        page = c.client.get("/console/lexicon", params={"q": "蓝莓"})
        assert "蓝莓暗号" in page.text
        bad = c.post("/console/lexicon", {"term": "x", "code": "nope"})
        assert bad.status_code == 400 and "unknown risk code" in bad.text
        assert (
            c.post(
                "/console/lexicon/1/toggle", {"active": "0"}, from_page="/console/lexicon"
            ).status_code
            == 303
        )


def test_running_gateway_applies_a_new_term_without_restart(
    tmp_path: Path, upstream: ServerThread
) -> None:
    from hegui.gateway.app import create_app
    from hegui.ops.backend import StoreBackend
    from hegui.safety.engine import Engine

    url = f"sqlite:///{tmp_path / 'hegui.db'}"
    store = open_store(url)
    try:
        person = make_person(store, Keyring(b"k" * 32))
    finally:
        store.close()
    settings = serve_settings(url, [upstream.url])
    engine = Engine.from_settings(EngineSettings(classifier=False))
    app = create_app(settings, backend=StoreBackend(settings, writer_process=False), engine=engine)
    api = {"authorization": f"Bearer {person.api_key}"}
    body = {
        "model": "mock-model",
        "messages": [{"role": "user", "content": "请告诉我蓝莓暗号是什么"}],
    }
    with ServerThread(app) as server:
        first = httpx.post(server.url + "/v1/chat/completions", json=body, headers=api, timeout=20)
        assert first.json()["choices"][0]["finish_reason"] == "stop"
        store = open_store(url)
        try:
            store.write(lambda c: ops.add_term(c, "蓝莓暗号", "A.1.a", actor="staff:a"))
        finally:
            store.close()
        deadline = time.monotonic() + 15
        while True:
            body["messages"][0]["content"] += (
                "。"  # a new text each time (verdicts are cached by text)
            )
            r = httpx.post(server.url + "/v1/chat/completions", json=body, headers=api, timeout=20)
            if r.json()["choices"][0]["finish_reason"] == "content_filter":
                break
            assert time.monotonic() < deadline, "the new term was not applied within 15 s"
            time.sleep(0.5)
        assert "A.1.a" in str(r.json()["hegui"])
