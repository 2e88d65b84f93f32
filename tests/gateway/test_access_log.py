"""The access log written in batches (issue 14, gateway speed): nothing lost, nothing reordered.

Log lines are appended in memory on the event loop and written by one thread in batches
(:mod:`hegui.gateway.log_batch`); access lines skip ``logging`` when hegui's handler is the only
one to see them. These tests hold the batch open (a long ``interval``) where it matters, so a
line that only a timer would have written shows up as missing.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hegui.gateway.logging_setup import (
    configure_logging,
    flush_logs,
    log_access,
    stop_batching,
    unconfigure_logging,
)
from hegui.gateway.request_id import reset_request_id, set_request_id

from .servers import ServerThread

LONG = 3600.0  # a batch interval no test waits for


@pytest.fixture
def restore_logging() -> Iterator[None]:
    yield
    unconfigure_logging()


def access_as(rid: str, path: str = "/v1/chat/completions", status: int = 200) -> None:
    token = set_request_id(rid)
    try:
        log_access("POST", path, status, 0.0123)
    finally:
        reset_request_id(token)


def test_pending_lines_are_written_when_logging_is_removed(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("info", "json", stream=out, interval=LONG)
    for i in range(300):
        access_as(f"rid-{i}")
    assert out.getvalue() == ""  # still in the batch: the interval has not passed
    unconfigure_logging()
    docs = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [d["request_id"] for d in docs] == [f"rid-{i}" for i in range(300)]
    assert all(d["logger"] == "hegui.access" and d["status"] == 200 for d in docs)


def test_flush_logs_writes_the_batch_now(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("info", "text", stream=out, interval=LONG)
    access_as("abc-1")
    flush_logs()
    line = out.getvalue()
    assert line.endswith("INFO hegui.access [abc-1] POST /v1/chat/completions 200 12.3ms\n")


def test_after_stop_batching_every_line_is_written_as_it_comes(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("info", "text", stream=out, interval=LONG)
    access_as("pending-1")
    stop_batching()
    assert "[pending-1]" in out.getvalue()
    logging.getLogger("uvicorn.error").info("Finished server process")
    access_as("late-1")
    lines = out.getvalue().splitlines()  # no flush, no thread: written by the callers
    assert len(lines) == 3 and "Finished server process" in lines[1] and "[late-1]" in lines[2]


def test_a_batch_is_written_after_its_interval_without_a_flush(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("info", "text", stream=out, interval=0.05)
    access_as("t-1")
    deadline = time.monotonic() + 5
    while "[t-1]" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "[t-1] POST /v1/chat/completions 200" in out.getvalue()


def test_an_error_line_is_written_at_once_with_the_batch_before_it(
    restore_logging: None,
) -> None:
    out = io.StringIO()
    configure_logging("info", "text", stream=out, interval=LONG)
    access_as("before-error")
    logging.getLogger("hegui.gateway").error("store down")
    deadline = time.monotonic() + 5
    while "store down" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "[before-error]" in lines[0] and "store down" in lines[1]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_short_cut_writes_the_same_line_as_logging(fmt: str, restore_logging: None) -> None:
    """An access line is the same whether it took the short cut or went through ``logging``
    (another handler on ``hegui.access`` sends it the long way)."""
    out = io.StringIO()
    configure_logging("info", fmt, stream=out, interval=LONG)
    access_as("same-1", status=404)
    other = logging.NullHandler()
    logging.getLogger("hegui.access").addHandler(other)
    try:
        access_as("same-1", status=404)
    finally:
        logging.getLogger("hegui.access").removeHandler(other)
    flush_logs()
    short, long_way = out.getvalue().splitlines()
    if fmt == "json":
        a, b = json.loads(short), json.loads(long_way)
        assert a.keys() == b.keys() and list(a) == list(b)  # same fields, same order
        a.pop("ts"), b.pop("ts")
        assert a == b and a["request_id"] == "same-1" and a["duration_ms"] == 12.3
    else:
        assert short.split(" ", 1)[1] == long_way.split(" ", 1)[1]
        assert (
            short.split(" ", 1)[1]
            == "INFO hegui.access [same-1] POST /v1/chat/completions 404 12.3ms"
        )


def test_a_log_capture_still_sees_access_lines(
    restore_logging: None, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("info", "text", stream=io.StringIO(), interval=LONG)
    with caplog.at_level(logging.INFO, logger="hegui.access"):
        access_as("seen-1")
    assert [r.getMessage() for r in caplog.records] == ["POST /v1/chat/completions 200 12.3ms"]


def test_no_access_line_below_its_level(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("warning", "text", stream=out, interval=LONG)
    access_as("quiet-1")
    flush_logs()
    assert out.getvalue() == ""


def test_lines_keep_their_order_across_requests_tasks_and_threads(restore_logging: None) -> None:
    """Each request's own lines stay in order (its warning before its access line), and lines
    from other threads (the check pool's) keep the order they were made in."""
    out = io.StringIO()
    configure_logging("info", "json", stream=out, interval=0.002)
    made: list[tuple[str, str]] = []
    lock = threading.Lock()
    gateway_log = logging.getLogger("hegui.gateway")

    async def request(i: int) -> None:
        rid = f"r{i}"
        token = set_request_id(rid)
        try:
            for step in range(3):
                with lock:
                    gateway_log.warning("step %d", step)
                    made.append((rid, f"step {step}"))
                await asyncio.sleep(0)
            with lock:
                log_access("POST", "/v1/chat/completions", 200, 0.001)
                made.append((rid, "POST /v1/chat/completions 200 1.0ms"))
        finally:
            reset_request_id(token)

    async def many(first: int) -> None:
        await asyncio.gather(*(request(first + i) for i in range(150)))

    threads = [threading.Thread(target=asyncio.run, args=(many(1000 * n),)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    unconfigure_logging()
    written = [
        (d["request_id"], d["message"]) for d in map(json.loads, out.getvalue().splitlines())
    ]
    assert written == made
    assert len(written) == 3 * 150 * 4


# ------------------------------------------------------------------ hegui serve, stopped
def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_hegui_serve_writes_every_access_line_before_it_exits(
    fmt: str, tmp_path: Path, upstream: ServerThread
) -> None:
    """SIGTERM (a graceful stop) right after the last answer: every request has its line, with
    its id, although the batch interval (a minute, the longest allowed) never came round."""
    port = _free_port()
    secret = base64.b64encode(bytes(range(32))).decode()
    (tmp_path / "hegui.toml").write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "h.db"}"\nsecret_key = "{secret}"\n'
        "[gateway]\nrequire_api_key = false\nhealth_interval = 0\n"
        '[labeling]\nuscc = "91350100M000100Y43"\n'
        f'[logging]\nformat = "{fmt}"\nbatch_seconds = 60\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEGUI_")}
    err_path = tmp_path / "serve.err"
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "hegui.cli", "serve", "--port", str(port)),
                *("--upstream", upstream.url, "--config", str(tmp_path / "hegui.toml")),
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    sent: list[str] = []
    try:
        deadline = time.monotonic() + 90
        with httpx.Client(timeout=2) as probe:  # one client: each new one loads the CA bundle
            while time.monotonic() < deadline:
                assert proc.poll() is None, err_path.read_text(encoding="utf-8")
                try:
                    if probe.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
        body = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}
        with httpx.Client(base_url=base, timeout=20) as c:
            for i in range(25):
                rid = f"shutdown-{fmt}-{i}"
                r = c.post("/v1/chat/completions", json=body, headers={"x-request-id": rid})
                assert r.status_code == 200 and r.headers["x-request-id"] == rid
                sent.append(rid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    text = err_path.read_text(encoding="utf-8")
    if fmt == "json":
        docs = [json.loads(x) for x in text.splitlines() if x.startswith("{")]
        access = [d["request_id"] for d in docs if d["logger"] == "hegui.access"]
        assert all(d["request_id"] for d in docs)
    else:
        access = [x.split(" ")[3][1:-1] for x in text.splitlines() if " INFO hegui.access " in x]
    chat = [rid for rid in access if rid.startswith("shutdown-")]
    assert chat == sent, text
    assert "Finished server process" in text  # lines after the lifespan ended are kept too


def test_a_handler_closed_by_dict_config_keeps_writing(restore_logging: None) -> None:
    """``logging.config.dictConfig`` (uvicorn runs it unless ``log_config=None``) closes every
    handler, ours included, but leaves it on the root logger: no line may be lost after that."""
    import logging.config

    out = io.StringIO()
    configure_logging("info", "text", stream=out, interval=LONG)
    access_as("before-1")
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    access_as("after-1")
    logging.getLogger("hegui.gateway").warning("after dictConfig")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and "[before-1]" in lines[0] and "[after-1]" in lines[1]
