"""Issue 10: readiness tells the truth, no request stalls the others, no user opens the breaker.

Every test runs the gateway under uvicorn with uvloop and httptools, as ``hegui serve`` does,
against local upstreams (benchmarks/mock_upstream.py and the slow ones in ``upstreams.py``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import threading
import time
from typing import Any

import httpx
import pytest

from hegui.config import Settings
from hegui.ops.backend import StoreBackend

from .conftest import Running
from .doubles import TermChecker
from .servers import ServerThread
from .test_reliability import assert_error, closed_port_url
from .test_store_backend import SECRET
from .upstreams import SlowUpstream


def components(r: httpx.Response) -> dict[str, str]:
    return {name: c["status"] for name, c in r.json()["components"].items()}


# ------------------------------------------------------------------ item 4: /readyz
def test_ready_is_503_without_an_upstream(make_gateway) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([])
    r = g.client.get("/readyz")
    assert r.status_code == 503
    doc = r.json()
    assert doc["status"] == "unavailable"
    assert doc["components"]["upstreams"]["error"] == "no upstream configured"
    assert components(r) == {"upstreams": "unavailable", "store": "ok"}


def test_ready_reports_a_dead_usage_writer(make_gateway, upstream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.model_validate(
        {
            "gateway": {"upstreams": [upstream.url], "health_interval": 0},
            "store": {"url": f"sqlite:///{tmp_path / 'h.db'}", "secret_key": SECRET},
            "labeling": {"uscc": "91350100M000100Y43"},
        }
    )
    backend = StoreBackend(settings, writer_process=True)
    g = make_gateway([upstream.url], backend=backend, checker=TermChecker(), settings=settings)
    r = g.client.get("/readyz")
    assert r.status_code == 200, r.text
    assert components(r) == {"upstreams": "ok", "store": "ok", "usage_writer": "ok"}
    writer = r.json()["components"]["usage_writer"]
    assert writer["process_alive"] is True and writer["backlog"] == 0
    proc = backend._usage.writer._proc  # type: ignore[union-attr]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(5)
    r = g.client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["components"]["usage_writer"]["process_alive"] is False
    assert components(r)["usage_writer"] == "unavailable"


def test_registered_health_functions_decide_readiness(gw: Running) -> None:
    calls = {"n": 0}

    def broken() -> dict[str, Any]:
        calls["n"] += 1
        raise RuntimeError("probe exploded")

    gw.app.readiness.register("journal", lambda: {"ok": True, "pending": 3})
    r = gw.client.get("/readyz")
    assert r.status_code == 200 and r.json()["components"]["journal"] == {
        "status": "ok",
        "pending": 3,
    }
    gw.app.readiness.register("journal", broken)
    r = gw.client.get("/readyz")
    assert r.status_code == 503 and calls["n"] == 1
    assert r.json()["components"]["journal"] == {"status": "unavailable", "error": "RuntimeError"}


# ------------------------------------------------------------------ item 8: the breaker
def test_content_triggered_upstream_500s_do_not_open_the_breaker(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([upstream.url], breaker_failures=5)
    for _ in range(7):  # one user's requests that make the only upstream answer 500
        assert_error(g.chat("hi", mock={"behaviour": "status:500"}), 502, "upstream_error")
    r = g.chat("你好")  # everybody else is still served
    assert r.status_code == 200, r.text
    assert g.app.pool.upstreams[0].breaker.state == "closed"
    assert 'hegui_upstream_errors_total{kind="http_500",upstream="upstream-0"} 7.0' in (
        g.client.get("/metrics").text
    )


def test_connect_errors_still_open_the_breaker(make_gateway) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([closed_port_url()], breaker_failures=2, upstream_retries=0)
    for _ in range(2):
        assert_error(g.chat("hi"), 502, "upstream_unavailable")
    assert g.app.pool.upstreams[0].breaker.state == "open"


def test_failed_health_probes_feed_the_breaker(make_gateway) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([closed_port_url()], breaker_failures=2)
    for _ in range(2):
        g.server.call(g.app.pool.check_health())
    assert g.app.pool.upstreams[0].breaker.state == "open"
    assert g.client.get("/readyz").status_code == 503


# ------------------------------------------------------------------ item 7: bounded work
def _many_messages(n: int) -> dict[str, Any]:
    msgs = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"第{i}句话"} for i in range(n)
    ]
    return {"model": "mock-model", "messages": msgs}


def test_too_many_messages_is_400(gw: Running) -> None:
    r = gw.client.post("/v1/chat/completions", json=_many_messages(2049))
    doc = assert_error(r, 400, "too_many_messages")
    assert doc["error"]["param"] == "messages"
    r = gw.client.post("/v1/moderations", json={"input": ["x"] * 2049})
    assert_error(r, 400, "too_many_messages")


def test_too_much_text_is_413(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([upstream.url], max_checked_chars=10_000)
    assert_error(g.chat("字" * 10_001), 413, "too_much_text")
    r = g.client.post("/v1/moderations", json={"input": ["字" * 6000, "字" * 6000]})
    assert_error(r, 413, "too_much_text")
    r = g.client.post(
        "/v1/images/generations", json={"model": "mock-model", "prompt": "字" * 10_001}
    )
    assert_error(r, 413, "too_much_text")
    assert g.chat("字" * 9_000).status_code == 200


def test_healthz_stays_fast_while_a_huge_request_is_checked(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway(
        [upstream.url], max_messages=100_000, max_body_bytes=16 * 1024 * 1024, upstream_timeout=60
    )
    body = _many_messages(55_000)  # ~3 MB of short messages, as in the issue
    result: dict[str, Any] = {}

    def big() -> None:
        with httpx.Client(base_url=g.url, timeout=120) as c:
            t0 = time.perf_counter()
            r = c.post(
                "/v1/chat/completions", json=body, headers={"authorization": "Bearer sk-good"}
            )
            result["status"], result["seconds"] = r.status_code, time.perf_counter() - t0

    worker = threading.Thread(target=big)
    checks_before = g.checker.calls
    worker.start()
    latencies = []
    with httpx.Client(base_url=g.url, timeout=30) as probe:
        while worker.is_alive():
            if g.checker.calls - checks_before > 1000:  # the big prompt is being checked now
                t0 = time.perf_counter()
                assert probe.get("/healthz").status_code == 200
                latencies.append(time.perf_counter() - t0)
            time.sleep(0.02)
    worker.join()
    assert result["status"] == 200
    assert len(latencies) >= 3, (latencies, result)
    # Was: /healthz waited for the whole check (seconds). The median is what the loop answers
    # in; the slowest probe may also wait for a busy core (the suite runs two workers per core).
    assert statistics.median(latencies) < 0.1, (latencies, result)
    assert max(latencies) < min(0.5, result["seconds"] / 2), (latencies, result)


def test_first_byte_timeout_fails_over_to_the_next_upstream(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    with ServerThread(SlowUpstream(float("inf"))) as hung:
        g = make_gateway(
            [f"{hung.url} name=hung weight=1000", f"{upstream.url} name=good weight=0.001"],
            first_byte_timeout=0.5,
            upstream_timeout=30,
        )
        t0 = time.perf_counter()
        r = g.chat("你好")
        took = time.perf_counter() - t0
        assert r.status_code == 200, r.text
        assert 0.4 < took < 5, took
        assert hung.server.config.app.posts == 1


def test_first_byte_timeout_without_another_upstream_is_504(make_gateway) -> None:  # type: ignore[no-untyped-def]
    with ServerThread(SlowUpstream(float("inf"))) as hung:
        g = make_gateway([hung.url], first_byte_timeout=0.5, upstream_timeout=30)
        t0 = time.perf_counter()
        assert_error(g.chat("你好"), 504, "upstream_timeout")
        assert time.perf_counter() - t0 < 5


def test_stream_gets_headers_and_keepalives_before_the_first_byte(make_gateway) -> None:  # type: ignore[no-untyped-def]
    with ServerThread(SlowUpstream(1.5, reply="晚到的回答")) as slow:
        g = make_gateway(
            [slow.url], stream_headers_after=0.2, stream_keepalive_interval=0.3, upstream_timeout=30
        )
        body = {
            "model": "mock-model",
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        }
        t0 = time.perf_counter()
        with g.client.stream("POST", "/v1/chat/completions", json=body) as r:
            head_at = time.perf_counter() - t0
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            chunks = r.iter_raw()
            first = next(chunks)
            first_at = time.perf_counter() - t0
            rest = first + b"".join(chunks)
        assert head_at < 1.0 and first_at < 1.0, (head_at, first_at)
        assert first.startswith(b": keep-alive\n\n")
        text = rest.decode()
        assert text.count(": keep-alive") >= 2
        assert "晚到" in text and text.rstrip().endswith("data: [DONE]")
        assert g.records(1)[-1].status == 200


def test_stream_that_times_out_after_early_headers_ends_with_an_error_event(make_gateway) -> None:  # type: ignore[no-untyped-def]
    with ServerThread(SlowUpstream(float("inf"))) as hung:
        g = make_gateway(
            [hung.url], stream_headers_after=0.1, first_byte_timeout=0.6, upstream_timeout=30
        )
        r = g.chat("hi", stream=True)
        assert r.status_code == 200
        assert r.text.startswith(": keep-alive")
        assert '"code":"upstream_timeout"' in r.text and r.text.rstrip().endswith("data: [DONE]")
        rec = g.records(1)[-1]
        assert rec.status == 504


@pytest.mark.parametrize("stream", [False, True])
def test_client_leaving_while_the_upstream_thinks_ends_the_request(
    make_gateway, upstream, stream: bool
) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([upstream.url], upstream_timeout=30)
    body = json.dumps(
        {
            "model": "mock-model",
            "stream": stream,
            "mock": {"behaviour": "hang"},
            "messages": [{"role": "user", "content": "hi"}],
        }
    ).encode()
    s = socket.create_connection(("127.0.0.1", g.server.port))
    s.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-good\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    time.sleep(0.3)
    s.close()
    rec = g.records(1, timeout=3)  # not after upstream_timeout (30 s)
    assert rec and rec[-1].decision == "client_closed" and rec[-1].status == 499


@pytest.mark.parametrize("stream", [False, True])
def test_fast_upstream_errors_keep_their_http_status(gw: Running, stream: bool) -> None:
    assert_error(gw.chat("hi", stream=stream, mock={"behaviour": "status:500"}), 502)
