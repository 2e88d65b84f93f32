"""Issue 10 item 9: what operators see — request ids, logs, access lines, metrics, safe errors.

In-process tests run the gateway under uvicorn (uvloop, httptools); the last test starts
``hegui serve --workers 2`` as users do and scrapes it.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from hegui.cli import app
from hegui.gateway.logging_setup import configure_logging, unconfigure_logging

from .conftest import Running
from .servers import ServerThread
from .test_reliability import assert_error, closed_port_url


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    configure_logging("info", "json", stream=out)
    yield out
    unconfigure_logging()


def parsed(out: io.StringIO, want: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The JSON log lines written so far, once at least ``want`` access lines are there."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [json.loads(x) for x in out.getvalue().splitlines() if x]
        if sum(1 for d in lines if d["logger"] == "hegui.access") >= want:
            return lines
        if time.monotonic() > deadline:
            raise AssertionError(out.getvalue())
        time.sleep(0.01)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------------ request ids
def test_request_id_is_returned_and_a_sane_client_id_is_kept(gw: Running) -> None:
    r = gw.chat("你好")
    made = r.headers["x-request-id"]
    assert len(made) == 24 and made.isalnum()
    assert gw.client.get("/healthz").headers["x-request-id"] != made
    r = gw.client.get("/healthz", headers={"x-request-id": "trace-42.abc"})
    assert r.headers["x-request-id"] == "trace-42.abc"
    for bad in (b"x" * 129, b"has space", b"caf\xe9"):
        r = gw.client.get("/healthz", headers={"x-request-id": bad})
        assert r.headers["x-request-id"].encode() != bad and len(r.headers["x-request-id"]) == 24


def test_every_log_line_of_a_request_carries_its_id_and_one_access_line(
    make_gateway, log_lines: io.StringIO
) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([closed_port_url()], breaker_failures=100)  # warnings inside requests
    secret_prompt = "我的秘密问题 13800138000"
    ids = set()
    for _ in range(3):
        r = g.chat(secret_prompt)
        assert r.status_code == 502
        ids.add(r.headers["x-request-id"])
    lines = parsed(log_lines, want=3)
    access = [d for d in lines if d["logger"] == "hegui.access"]
    assert {d["request_id"] for d in access} == ids
    for d in access:
        assert d["method"] == "POST" and d["path"] == "/v1/chat/completions"
        assert d["status"] == 502 and d["duration_ms"] >= 0 and d["level"] == "INFO"
        assert d["ts"].endswith("Z")
    inside = [
        d for d in lines if d["logger"] == "hegui.gateway" and "connect error" in d["message"]
    ]
    assert len(inside) == 9  # 3 attempts per request, each logged with its request's id
    assert {d["request_id"] for d in inside} == ids
    text = log_lines.getvalue()
    assert "秘密" not in text and "13800138000" not in text and "sk-good" not in text


def test_text_log_lines_have_time_level_logger_and_request_id(gw: Running) -> None:
    out = io.StringIO()
    configure_logging("info", "text", stream=out)
    try:
        rid = gw.client.get("/healthz", headers={"x-request-id": "rid-1"}).headers["x-request-id"]
        deadline = time.monotonic() + 5
        while "GET /healthz" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        unconfigure_logging()
    line = next(x for x in out.getvalue().splitlines() if " hegui.access " in x)
    stamp, level, logger, rid_part, rest = line.split(" ", 4)
    assert stamp.endswith("Z") and "T" in stamp
    assert (level, logger, rid_part) == ("INFO", "hegui.access", f"[{rid}]")
    assert rest.startswith("GET /healthz 200 ")


# ------------------------------------------------------------------ no internal addresses
def test_api_errors_and_metrics_never_show_upstream_addresses(make_gateway) -> None:  # type: ignore[no-untyped-def]
    url = closed_port_url()
    port = url.rsplit(":", 1)[1]
    g = make_gateway([f"{url} name=primary"])
    doc = assert_error(g.chat("hi"), 502, "upstream_unavailable")
    message = doc["error"]["message"]
    assert "127.0.0.1" not in message and port not in message and "primary" in message
    metrics = g.client.get("/metrics").text
    assert 'upstream="primary"' in metrics
    assert "127.0.0.1" not in metrics and port not in metrics
    ready = g.client.get("/readyz").text
    assert "127.0.0.1" not in ready and "primary" in ready


# ------------------------------------------------------------------ /metrics access
def test_metrics_behind_a_token(upstream, make_gateway) -> None:  # type: ignore[no-untyped-def]
    from hegui.config import Settings

    settings = Settings.model_validate(
        {
            "gateway": {"upstreams": [upstream.url], "health_interval": 0},
            "labeling": {"uscc": "91350100M000100Y43"},
            "metrics": {"token": "s3cret-token"},
        }
    )
    g = make_gateway([upstream.url], settings=settings)
    r = httpx.get(f"{g.url}/metrics")
    assert_error(r, 401, "invalid_metrics_token")
    assert (
        httpx.get(f"{g.url}/metrics", headers={"authorization": "Bearer wrong"}).status_code == 401
    )
    r = httpx.get(f"{g.url}/metrics", headers={"authorization": "Bearer s3cret-token"})
    assert r.status_code == 200 and "hegui_requests_total" in r.text
    assert "process_resident_memory_bytes" in r.text


def test_metrics_on_a_separate_address(upstream, make_gateway) -> None:  # type: ignore[no-untyped-def]
    from hegui.config import Settings

    port = free_port()
    settings = Settings.model_validate(
        {
            "gateway": {"upstreams": [upstream.url], "health_interval": 0},
            "labeling": {"uscc": "91350100M000100Y43"},
            "metrics": {"bind": f"127.0.0.1:{port}"},
        }
    )
    g = make_gateway([upstream.url], settings=settings)
    assert g.chat("你好").status_code == 200
    assert g.client.get("/metrics").status_code == 404  # not on the API port
    r = httpx.get(f"http://127.0.0.1:{port}/metrics")
    assert r.status_code == 200 and "hegui_requests_total" in r.text
    assert httpx.get(f"http://127.0.0.1:{port}/other").status_code == 404


def test_serve_help_lists_logging_options() -> None:
    out = CliRunner().invoke(app, ["serve", "--help"]).output
    assert "--log-level" in out and "--log-format" in out


def test_serve_rejects_a_bad_log_level_with_exit_2(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from hegui.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["serve", "--log-level", "loud", "--get", "/healthz"])
    assert info.value.code == 2 and "--log-level" in capsys.readouterr().err


# ------------------------------------------------------------------ hegui serve --workers 2
def _total(text: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("hegui_requests_total{")
    )


@pytest.mark.slow
def test_workers_share_metrics_and_log_json(tmp_path: Path, upstream: ServerThread) -> None:
    port = free_port()
    (tmp_path / "hegui.toml").write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "h.db"}"
secret_key = "{__import__("base64").b64encode(bytes(range(32))).decode()}"
[gateway]
require_api_key = false
health_interval = 0
[labeling]
uscc = "91350100M000100Y43"
[metrics]
token = "tok"
""",
        encoding="utf-8",
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("HEGUI_CONFIG", None)
    err_path = tmp_path / "serve.err"
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hegui.cli",
                "serve",
                "--workers",
                "2",
                "--port",
                str(port),
                "--upstream",
                upstream.url,
                "--config",
                str(tmp_path / "hegui.toml"),
                "--log-format",
                "json",
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    auth = {"authorization": "Bearer tok"}
    try:
        deadline = time.monotonic() + 90
        up = 0
        while up < 2 and time.monotonic() < deadline:  # both workers answering
            time.sleep(0.5)
            try:
                r = httpx.get(f"{base}/metrics", headers=auth, timeout=5)
                found = re.search(r"^hegui_workers (\S+)$", r.text, re.M)
                up = int(float(found.group(1))) if found else 0
            except httpx.HTTPError:
                continue
        assert up == 2, err_path.read_text()
        body = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}
        n = 40
        with httpx.Client(base_url=base, timeout=20) as c:
            for _ in range(n):
                assert c.post("/v1/chat/completions", json=body).status_code == 200
            seen = []
            for _ in range(12):
                seen.append(_total(c.get("/metrics", headers=auth).text))
                time.sleep(0.15)
            assert all(b >= a for a, b in itertools.pairwise(seen)), seen  # never backwards
            deadline = time.monotonic() + 5
            text = c.get("/metrics", headers=auth).text
            while _total(text) < n and time.monotonic() < deadline:  # other worker: ≤ 1 s late
                time.sleep(0.2)
                text = c.get("/metrics", headers=auth).text
            assert _total(text) == n, text
            assert "process_cpu_seconds_total" in text and "process_resident_memory_bytes" in text
            # clients that hang up: never a raw traceback in the log
            hang = json.dumps({**body, "mock": {"behaviour": "hang"}}).encode()
            head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(head % len(hang) + hang)
            time.sleep(0.3)
            s.close()  # gone while the upstream thinks
            waiting = socket.create_connection(("127.0.0.1", port))
            waiting.sendall(head % len(hang) + hang)  # still waiting when the server stops
            for _ in range(3):
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(
                    b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 999\r\n\r\n{"
                )
                s.close()
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    lines = [ln for ln in err_path.read_text().splitlines() if ln.startswith("{")]
    docs = [json.loads(ln) for ln in lines]
    access = [d for d in docs if d["logger"] == "hegui.access"]
    assert len([d for d in access if d["path"] == "/v1/chat/completions"]) >= n
    assert all({"ts", "level", "logger", "request_id", "message"} <= set(d) for d in docs)
    log = err_path.read_text()
    assert "Traceback" not in log, log
    assert [d["status"] for d in access if d["status"] == 499]  # the ones that hung up
    assert any("cancelled: server shutting down" in d["message"] for d in docs)
    waiting.close()
    assert not list(tmp_path.glob("hegui-metrics-*"))  # the per-run folder is removed


def test_a_dead_workers_counts_stay_in_the_sum(tmp_path: Path) -> None:
    from hegui.gateway.metrics import GatewayMetrics
    from hegui.gateway.metrics_share import SharedMetrics

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    other = GatewayMetrics(process=False)
    for _ in range(5):
        other.request("chat", 200, "allow", 0.01)
    state = other.state() | {"pid": dead.pid, "process": {"process_cpu_seconds_total": 2.0,
                                                         "process_resident_memory_bytes": 1e12}}  # fmt: skip
    (tmp_path / f"{dead.pid}.json").write_text(json.dumps(state))
    mine = GatewayMetrics(process=False)
    mine.request("chat", 200, "allow", 0.01)
    text = SharedMetrics(tmp_path, mine).render().decode()
    assert 'hegui_requests_total{decision="allow",endpoint="chat",status="200"} 6.0' in text
    assert 'hegui_request_seconds_count{endpoint="chat"} 6.0' in text
    assert "hegui_workers 1.0" in text
    cpu = float(re.search(r"^process_cpu_seconds_total (\S+)$", text, re.M).group(1))  # type: ignore[union-attr]
    rss = float(re.search(r"^process_resident_memory_bytes (\S+)$", text, re.M).group(1))  # type: ignore[union-attr]
    assert cpu >= 2.0 and 0 < rss < 1e12  # the dead worker's CPU counts, its memory does not
