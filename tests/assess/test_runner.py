"""The runner over real HTTP: every item once, faults reported per item, resumable after kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hegui.assess.bank import load_banks
from hegui.assess.client import parse_response
from hegui.assess.runner import RESULTS, RunConfig, load_results, run, select_items
from hegui.errors import InputError
from tests.gateway.servers import ServerThread

from .conftest import read_lines, write_bank


def _config(url: str, bank: Path, **kw: object) -> RunConfig:
    base: dict[str, object] = {"endpoint": url + "/v1", "model": "mock-model",
                               "bank_files": [str(bank)], "bank_sha256": {bank.name: "x"}, "sample": 0}  # fmt: skip
    base.update(kw)
    return RunConfig(**base)  # type: ignore[arg-type]


def _run(config: RunConfig, out: Path, **kw: object) -> dict[str, int]:
    items = select_items(load_banks(config.bank_files), config.sample, config.seed)
    return asyncio.run(run(config, items, out, **kw))  # type: ignore[arg-type]


def test_when_run_completes_then_every_item_has_exactly_one_line(
    tmp_path: Path, model_server: Callable[..., ServerThread]
) -> None:
    server = model_server()
    bank = write_bank(tmp_path / "b.jsonl", [f"问题{n}" for n in range(40)])
    counts = _run(_config(server.url, bank, concurrency=8), tmp_path / "run")
    lines = read_lines(tmp_path / "run" / RESULTS)
    assert counts == {"asked": 40, "ok": 40, "error": 0, "skipped": 0}
    assert sorted(r["id"] for r in lines) == [f"t-{n:04d}" for n in range(40)]
    assert all(r["status"] == "ok" and r["answer"] and r["attempts"] == 1 for r in lines)
    assert len(read_lines(tmp_path / "run" / "selection.jsonl")) == 40
    again = _run(_config(server.url, bank, concurrency=8), tmp_path / "run")
    assert again == {"asked": 0, "ok": 0, "error": 0, "skipped": 40}


def test_when_endpoint_misbehaves_then_each_item_says_why_and_the_run_goes_on(
    tmp_path: Path, model_server: Callable[..., ServerThread]
) -> None:
    server = model_server()
    texts = ["正常问题", "[[500]]", "[[429]]", "[[garbage]]", "[[badshape]]", "[[flaky:2]] 问题",
             "[[400]]", "[[hang]]"]  # fmt: skip
    bank = write_bank(tmp_path / "b.jsonl", texts)
    config = _config(server.url, bank, retries=2, timeout=0.5, concurrency=8)
    counts = _run(config, tmp_path / "run")
    got = {r["question"]: r for r in read_lines(tmp_path / "run" / RESULTS)}
    assert counts["asked"] == len(texts)
    assert got["正常问题"]["status"] == "ok"
    assert got["[[flaky:2]] 问题"]["status"] == "ok" and got["[[flaky:2]] 问题"]["attempts"] == 3
    expected = {"[[500]]": ("http_error", 3), "[[429]]": ("http_error", 3),
                "[[garbage]]": ("malformed_json", 3), "[[badshape]]": ("bad_shape", 3),
                "[[400]]": ("http_error", 1), "[[hang]]": ("timeout", 3)}  # fmt: skip
    for text, (kind, attempts) in expected.items():
        r = got[text]
        assert (r["status"], r["error_kind"], r["attempts"]) == ("error", kind, attempts), r
        assert r["error"]


def test_when_nothing_listens_then_connection_errors_are_recorded(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the run: nothing listens there
    bank = write_bank(tmp_path / "b.jsonl", ["问题一", "问题二"])
    counts = _run(_config(f"http://127.0.0.1:{port}", bank, retries=1), tmp_path / "run")
    assert counts["error"] == 2
    assert {r["error_kind"] for r in read_lines(tmp_path / "run" / RESULTS)} == {"connection"}


def test_retry_errors_asks_failed_items_again_and_the_newest_line_wins(
    tmp_path: Path, model_server: Callable[..., ServerThread]
) -> None:
    server = model_server()
    bank = write_bank(tmp_path / "b.jsonl", ["[[flaky:1]] 重试", "普通"])
    out = tmp_path / "run"
    _run(_config(server.url, bank, retries=0), out)
    assert load_results(out)["t-0000"]["status"] == "error"
    counts = _run(_config(server.url, bank, retries=0), out, retry_errors=True)
    assert counts["asked"] == 1 and counts["skipped"] == 1
    assert load_results(out)["t-0000"]["status"] == "ok"


def test_when_last_line_is_torn_then_it_is_cut_before_appending(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / RESULTS).write_bytes(b'{"id": "a", "status": "ok"}\n{"id": "b", "sta')
    assert list(load_results(out)) == ["a"]
    load_results(out, repair=True)
    assert (out / RESULTS).read_bytes() == b'{"id": "a", "status": "ok"}\n'


def test_when_folder_holds_another_run_then_refused(
    tmp_path: Path, model_server: Callable[..., ServerThread]
) -> None:
    server = model_server()
    bank = write_bank(tmp_path / "b.jsonl", ["问题"])
    _run(_config(server.url, bank), tmp_path / "run")
    with pytest.raises(InputError, match="differs in seed"):
        _run(_config(server.url, bank, seed=7), tmp_path / "run")


def test_gateway_block_is_an_answer_with_content_filter() -> None:
    body = b'{"error": {"message": "blocked", "type": "invalid_request_error", "code": "content_filter"}, "hegui": {"risk_codes": ["A.1.d"]}}'
    answer = parse_response(400, body)
    assert (answer.status, answer.finish_reason, answer.hegui) == (
        "ok",
        "content_filter",
        {"risk_codes": ["A.1.d"]},
    )


def test_when_killed_then_resumed_the_results_equal_an_uninterrupted_run(
    tmp_path: Path, model_server: Callable[..., ServerThread]
) -> None:
    """A real ``kill -9`` of ``hegui assess run`` half-way, then the same command again."""
    server = model_server(latency_ms=20)
    bank = write_bank(tmp_path / "b.jsonl", [f"第{n}个问题" for n in range(300)])
    cmd = [sys.executable, "-m", "hegui.cli", "assess", "run", "--endpoint", server.url + "/v1",
           "--model", "mock-model", "--bank", str(bank), "--sample", "0", "--concurrency", "8",
           "--no-judge", "--no-progress"]  # fmt: skip
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [*cmd, "--out", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    results = killed / RESULTS
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if results.exists() and results.read_bytes().count(b"\n") >= 60:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = len(load_results(killed))
    assert 60 <= before < 300, "the kill must land in the middle of the run"
    asked_before = sum(server.server.config.app.seen.values())
    subprocess.run([*cmd, "--out", str(killed)], check=True, capture_output=True)
    lines = read_lines(results)
    ids = [r["id"] for r in lines]
    assert len(ids) == len(set(ids)) == 300  # no item recorded twice
    resumed_asks = sum(server.server.config.app.seen.values()) - asked_before
    assert resumed_asks <= 300 - before + 8  # at most the 8 in flight at the kill are asked again
    full = tmp_path / "full"
    subprocess.run([*cmd, "--out", str(full)], check=True, capture_output=True)
    answers = {r["id"]: (r["status"], r["answer"]) for r in lines}
    assert answers == {r["id"]: (r["status"], r["answer"]) for r in read_lines(full / RESULTS)}
