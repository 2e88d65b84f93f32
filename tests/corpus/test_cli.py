"""``hegui corpus …`` as users run it: register, scan, review; exit codes; kill -9 and resume."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hegui.cli import app
from hegui.store.audit import verify
from hegui.store.db import open_store
from tests.corpus.conftest import corpus_records, read_jsonl, write_jsonl

runner = CliRunner()
SOURCE_ARGS = [
    "--origin", "written for the tests", "--licence", "CC-BY-4.0", "--legal-basis", "public",
    "--kind", "open_source", "--region", "domestic", "--collected", "2026-11",
    "--method", "generated", "--languages", "zh,en", "--modality", "text", "--no-personal-info",
]  # fmt: skip


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEGUI_STORE__URL", raising=False)
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run(*args: str, code: int = 0, stdin: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exit_code == code, (result.output, result.exception)
    return result.output


def _clean_corpus(tmp_path: Path, n: int = 90) -> Path:
    rows = [r for i, r in enumerate(corpus_records(n * 2)) if i % 6 in (0, 1, 5)][:n]
    return write_jsonl(tmp_path / "clean.jsonl", rows)


def test_register_scan_and_review_from_a_file(url: str, tmp_path: Path) -> None:
    run("corpus", "source", "add", "demo", "--name", "Demo", *SOURCE_ARGS, "--usable", "--url", url)
    listed = run("corpus", "source", "list", "--json", "--url", url)
    assert [s["id"] for s in json.loads(listed)] == ["demo"]
    corpus = _clean_corpus(tmp_path)
    out = tmp_path / "scan"
    text = run("corpus", "scan", str(corpus), "--source", "demo", "--out", str(out), "--url", url)
    assert "demo: 90 records, kept 90" in text and "usable" in text
    sample = read_jsonl(out / "sample.jsonl")
    assert len(sample) == 90  # fewer kept records than 4,000: the sample is all of them
    # a reviewers' CSV with Chinese verdicts; one item fails
    with open(tmp_path / "verdicts.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["sample_id", "verdict", "reviewer", "note"])
        for item in sample:
            verdict = "不合格" if item["sample_id"] == 3 else "合格"
            writer.writerow([item["sample_id"], verdict, "王五", ""])
    text = run(
        "corpus", "review", str(out), "--verdicts", str(tmp_path / "verdicts.csv"), "--url", url
    )
    assert "reviewed 90 of 90: 89 acceptable = 98.89%" in text and "PASS" in text
    write_jsonl(tmp_path / "more.jsonl", [{"sample_id": i, "verdict": "fail"} for i in (4, 5, 6)])
    text = run(
        "corpus",
        "review",
        str(out),
        "--verdicts",
        str(tmp_path / "more.jsonl"),
        "--url",
        url,
        code=1,
    )
    assert "reviewed 90 of 90: 86 acceptable = 95.56%" in text and "FAIL" in text
    # the reviewer corrects item 3 in a JSONL file: the later verdict replaces the earlier one
    fixes = [{"sample_id": i, "verdict": "pass", "note": "看错了"} for i in (3, 4, 5, 6)]
    write_jsonl(tmp_path / "fix.jsonl", fixes)
    summary = json.loads(
        run(
            "corpus",
            "review",
            str(out),
            "--verdicts",
            str(tmp_path / "fix.jsonl"),
            "--json",
            "--url",
            url,
        )
    )
    assert summary["pass"] and summary["passed"] == 90 and summary["size_ok"]
    assert "王五" in summary["reviewers"] and len(summary["reviewers"]) == 2
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["review"]["pass_rate"] == 1.0
    assert report["tc260"]["9.2_manual_check"]["status"] == "reviewed"
    assert "manual check" in (out / "report.html").read_text(encoding="utf-8")
    shown = json.loads(run("corpus", "source", "show", "demo", "--json", "--url", url))
    assert shown["scans"][0]["kept"] == 90 and shown["scans"][0]["passed"]
    store = open_store(url)
    try:
        with store.read() as conn:
            assert verify(conn).ok
            actions = [
                r[0] for r in conn.exec_driver_sql("SELECT action FROM audit_events ORDER BY seq")
            ]
    finally:
        store.close()
    assert actions == [
        "corpus.source.add",
        "corpus.scan.start",
        "corpus.scan.finish",
        "corpus.review.record",
        "corpus.review.record",
        "corpus.review.record",
    ]


def test_review_at_the_terminal_stores_each_answer(url: str, tmp_path: Path) -> None:
    run("corpus", "source", "add", "demo", *SOURCE_ARGS, "--url", url)
    out = tmp_path / "scan"
    run("corpus", "scan", str(_clean_corpus(tmp_path, 30)), "--source", "demo", "--out", str(out), "--sample", "3", "--url", url)  # fmt: skip
    text = run(
        "corpus",
        "review",
        str(out),
        "--reviewer",
        "赵六",
        "--url",
        url,
        stdin="p\nx\nf\n有广告\nq\n",
        code=1,
    )
    assert "3 of 3 sample items to review" in text
    assert "reviewed 2 of 3" in text and "incomplete" in text
    text = run(
        "corpus", "review", str(out), "--reviewer", "赵六", "--url", url, stdin="p\n", code=1
    )
    assert "1 of 3 sample items to review" in text and "reviewed 3 of 3: 2 acceptable" in text


def test_scan_of_an_incomplete_source_exits_1_and_says_why(url: str, tmp_path: Path) -> None:
    run("corpus", "source", "add", "half", "--licence", "MIT", "--url", url)
    out = tmp_path / "scan"
    text = run("corpus", "scan", str(_clean_corpus(tmp_path, 10)), "--source", "half", "--out", str(out), "--url", url, code=1)  # fmt: skip
    assert "NOT USABLE: register entry lacks origin, legal_basis" in text
    assert read_jsonl(out / "kept.jsonl") == []


def _hegui(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hegui.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "nobody"], "hegui: error: no corpus source 'nobody'; register it first"),
        (["--source", "demo", "--pii", "maybe"], "hegui: error: --pii must be one of auto, keep"),
        (["--source", "demo", "--engine", "spark"], "hegui: error: --engine must be local or ray"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    run("corpus", "source", "add", "demo", *SOURCE_ARGS, "--url", url)
    corpus = _clean_corpus(tmp_path, 5)
    done = _hegui("corpus", "scan", str(corpus), "--out", str(tmp_path / "o"), "--url", url, *args)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(message)


def test_a_killed_scan_resumes_without_counting_anything_twice(url: str, tmp_path: Path) -> None:
    run("corpus", "source", "add", "demo", *SOURCE_ARGS, "--url", url)
    rows = [r for i, r in enumerate(corpus_records(9000)) if i % 6 in (0, 1, 5)]
    corpus = write_jsonl(tmp_path / "big.jsonl", rows)
    args = ["corpus", "scan", str(corpus), "--source", "demo", "--sample", "50", "--url", url]
    reference = _hegui(*args, "--out", str(tmp_path / "ref"), "--workers", "2")
    assert reference.returncode == 0, reference.stderr
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "hegui.cli", *args, "--out", str(out), "--workers", "2", "--checkpoint-every", "0"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    state = out / ".scan" / "state.json"
    deadline = time.monotonic() + 120
    records = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if state.exists():
            records = json.loads(state.read_text())["checkpoint"]["records"]
            if records >= 600:
                break
        time.sleep(0.01)
    assert proc.poll() is None, "the scan finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < records < len(rows)
    resumed = _hegui(*args, "--out", str(out), "--workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming scan" in resumed.stderr
    for name in ("kept.jsonl", "dropped.jsonl", "sample.jsonl"):
        assert (out / name).read_bytes() == (tmp_path / "ref" / name).read_bytes(), name
    ref_report = json.loads((tmp_path / "ref" / "report.json").read_text())
    report = json.loads((out / "report.json").read_text())
    assert report["total"] == ref_report["total"]
    assert report["total"]["records"] == len(rows)
