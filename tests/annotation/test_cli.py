"""``hegui annotate`` from the shell: the commands, their files, and exit codes 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from hegui.annotation.labels import default_label_set
from hegui.cli import app
from tests.annotation.helpers import GOLD, jsonl, task_rows
from tests.annotation.labelstudio_docs import USER_MAP, label_studio_export

runner = CliRunner()


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEGUI_STORE__URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return tmp_path


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result.output.strip()


def _hegui(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in a child process (exit code 2 and stderr come from main())."""
    url = f"sqlite:///{work / 'cli.db'}"
    return subprocess.run(
        [sys.executable, "-m", "hegui.cli", *args, "--url", url],
        capture_output=True,
        text=True,
        cwd=work,
    )


def _seat_people(work: Path) -> None:
    run("annotate", "rules", "default", "--version", "r1", "-o", "rules.md")
    assert "published security rules r1 (32 labels)" in run(
        "annotate", "rules", "publish", "r1", "rules.md"
    )
    (work / "exam.jsonl").write_bytes(
        jsonl([{"id": i, "text": f"t{i}", "labels": [g]} for i, g in GOLD])
    )
    run("annotate", "exam", "set", "r1", "exam.jsonl", "--pass-mark", "0.9", "--valid-days", "365")
    run("annotate", "exam", "paper", "r1", "-o", "paper.jsonl")
    paper = [orjson.loads(line) for line in (work / "paper.jsonl").read_bytes().splitlines()]
    assert all(item["labels"] is None for item in paper) and len(paper) == len(GOLD)
    answers = [{**item, "labels": dict(GOLD)[item["id"]].split(",")} for item in paper]
    (work / "answers.jsonl").write_bytes(jsonl(answers))
    for person, role in (
        ("alice", "annotator"),
        ("bob", "annotator"),
        ("dan", "annotator"),
        ("carol", "reviewer"),
    ):
        run("annotate", "annotator", "add", person, "--name", person.title(), "--role", role)
        assert "passed" in run("annotate", "exam", "take", person, "r1", "answers.jsonl")
    run(
        "annotate",
        "annotator",
        "train",
        "alice",
        "--topic",
        "rules r1",
        "--hours",
        "2",
        "--trainer",
        "Lead",
        "--date",
        "2026-12-01",
        "--rules",
        "r1",
    )


def test_label_studio_round_trip_from_the_shell(work: Path) -> None:
    _seat_people(work)
    run("annotate", "project", "create", "ls", "--double-share", "0")
    (work / "export.json").write_bytes(orjson.dumps(label_studio_export()))
    (work / "users.json").write_text(json.dumps(USER_MAP))
    out = run("annotate", "import", "ls", "export.json", "--user-map", "users.json", "--json")
    assert json.loads(out)["annotations_added"] == 6 and json.loads(out)["format"] == "label-studio"
    run(
        "annotate",
        "export",
        "ls",
        "-o",
        "back.json",
        "--format",
        "label-studio",
        "--user-map",
        "users.json",
    )
    assert orjson.loads((work / "back.json").read_bytes()) == label_studio_export()


def test_the_whole_workflow_from_the_shell(work: Path) -> None:
    _seat_people(work)
    run("annotate", "project", "create", "p1", "--double-share", "0.5", "--seed", "1")
    (work / "tasks.jsonl").write_bytes(jsonl(task_rows(12)))
    assert "12 tasks added (6 for double annotation)" in run(
        "annotate", "import", "p1", "tasks.jsonl"
    )
    assert "12 tasks assigned" in run("annotate", "assign", "p1", "alice", "bob")
    for person in ("alice", "bob"):
        run("annotate", "work", "p1", person, "-o", f"{person}.jsonl")
        lines = [
            orjson.loads(line) for line in (work / f"{person}.jsonl").read_bytes().splitlines()
        ]
        for line in lines:
            line["labels"] = ["A.2.e"] if person == "bob" else ["none"]
        (work / f"{person}.done.jsonl").write_bytes(jsonl(lines))
        run("annotate", "import", "p1", f"{person}.done.jsonl", "--annotator", person)
    assert "wrote 6 disputed tasks" in run("annotate", "disputes", "p1", "-o", "disputes.jsonl")
    decided = [
        {"id": orjson.loads(line)["id"], "labels": ["none"]}
        for line in (work / "disputes.jsonl").read_bytes().splitlines()
    ]
    (work / "adjudicated.jsonl").write_bytes(jsonl(decided))
    assert "6 recorded" in run(
        "annotate", "adjudicate", "p1", "adjudicated.jsonl", "--reviewer", "carol"
    )
    assert "drew 4 tasks" in run(
        "annotate", "sample", "p1", "--reviewer", "carol", "--size", "4", "-o", "verify.jsonl"
    )
    checked = [
        {"id": orjson.loads(line)["id"], "labels": ["none"]}
        for line in (work / "verify.jsonl").read_bytes().splitlines()
    ]
    (work / "checked.jsonl").write_bytes(jsonl(checked))
    assert "4 recorded" in run("annotate", "verify", "p1", "checked.jsonl", "--reviewer", "carol")
    summary = run("annotate", "report", "p1", "-o", "qa")
    assert "12 tasks (12 done, 0 disputed)" in summary
    report = json.loads((work / "qa" / "qa.json").read_text())
    assert report["tasks"]["adjudicated"] == 6 and report["verification"]["verified"] == 4
    assert (work / "qa" / "qa.html").read_text().startswith("<!doctype html>")
    run("annotate", "export", "p1", "-o", "all.jsonl")
    assert len((work / "all.jsonl").read_bytes().splitlines()) == 12
    assert "audit chain intact" in run("audit", "verify")
    assert "r1  security" in run("annotate", "rules", "list")
    assert run("annotate", "rules", "show", "r1").startswith("# 安全标注规则")
    assert "alice" in run("annotate", "annotator", "list")
    assert "p1" in run("annotate", "project", "list")


def test_a_failed_exam_exits_1(work: Path) -> None:
    _seat_people(work)
    (work / "wrong.jsonl").write_bytes(jsonl([{"id": i, "labels": ["none"]} for i, _ in GOLD]))
    run("annotate", "annotator", "add", "fay", "--name", "Fay")
    assert "fay: 9/12 (75%), failed" in run(
        "annotate", "exam", "take", "fay", "r1", "wrong.jsonl", code=1
    )


def test_bad_input_exits_2_with_one_line_naming_the_item(work: Path) -> None:
    _seat_people(work)
    run("annotate", "project", "create", "p1")
    rows = task_rows(3)
    rows[1]["labels"], rows[1]["annotator"] = ["A.9.z"], "alice"
    (work / "bad.jsonl").write_bytes(jsonl(rows))
    proc = _hegui(work, "annotate", "import", "p1", "bad.jsonl")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "hegui: error: bad.jsonl line 2 (id t1): unknown label 'A.9.z' (the rules allow "
        + ", ".join(default_label_set())
        + ")"
    ]
    run("annotate", "export", "p1", "-o", "after.jsonl")
    assert (work / "after.jsonl").read_bytes() == b""  # nothing half-imported
    (work / "broken.json").write_text(
        '[{"id": 1, "data": {"text": "x"}, "annotations": [{"completed_by": 10, "result": []}]}]'
    )
    proc = _hegui(work, "annotate", "import", "p1", "broken.json")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "hegui: error: broken.json task #1 (id 1) annotation #1: no 'choices' result from 'risk' "
        "(the project's from_name); results use: nothing"
    )
    for args, message in [
        (("annotate", "import", "p1", "missing.jsonl"), "missing.jsonl: cannot read"),
        (("annotate", "import", "nope", "bad.jsonl"), "no annotation project 'nope'"),
        (("annotate", "export", "p1", "-o", "x", "--format", "csv"), "unknown format 'csv'"),
        (("annotate", "rules", "publish", "r2", "bad.jsonl"), "security rules must cover all 31"),
    ]:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 1 and message in str(result.exception)
