"""``hegui staff`` and ``hegui ops``: the console's workflows from the shell, same functions."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hegui.cli import app
from hegui.config import ConsoleSettings
from hegui.ops import complaints, pi_requests
from hegui.store.crypto import Keyring
from hegui.store.db import open_store
from tests.console.conftest import MASTER, make_person

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEGUI_STORE__URL", raising=False)
    (tmp_path / "cli.db.key").write_text(MASTER + "\n", encoding="ascii")  # the tests' key
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run(*args: str, stdin: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output.strip()


def test_staff_create_bootstraps_an_admin_who_can_log_in(url: str) -> None:
    assert (
        run(
            "staff",
            "create",
            "--username",
            "admin",
            "--password-stdin",
            "--url",
            url,
            stdin="a long passphrase\n",
        )
        == "created admin (admin)"
    )
    assert json.loads(run("staff", "list", "--json", "--url", url))[0]["role"] == "admin"
    from hegui.ops.staff import log_in

    store = open_store(url)
    try:
        session = store.write(
            lambda c: log_in(
                c, "admin", "a long passphrase", client="cli", settings=ConsoleSettings()
            )
        )
    finally:
        store.close()
    assert session is not None


def test_complaint_and_request_workflows_from_the_shell(url: str, tmp_path: Path) -> None:
    keyring = Keyring(b"k" * 32)
    store = open_store(url)
    try:
        person = make_person(store, keyring)
        complaint, _tracking = store.write(
            lambda c: complaints.file_complaint(
                c, category="service", content="太慢", keyring=keyring, settings=ConsoleSettings()
            )
        )
        req, _ = store.write(
            lambda c: pi_requests.file_request(
                c,
                account_id=person.account_id,
                kind="copy",
                keyring=keyring,
                settings=ConsoleSettings(),
            )
        )
    finally:
        store.close()
    assert complaint.id in run("ops", "complaints", "list", "--url", url)
    run("ops", "complaints", "assign", complaint.id, "--to", "alice", "--url", url)
    run("ops", "complaints", "answer", complaint.id, "--text", "已处理", "--url", url)
    assert (
        json.loads(run("ops", "complaints", "list", "--state", "closed", "--json", "--url", url))[
            0
        ]["answer"]
        == "已处理"
    )
    assert "done" in run("ops", "requests", "fulfil", req.id, "--url", url)
    out = tmp_path / "export.zip"
    run("ops", "requests", "export", person.account_id, "--out", str(out), "--url", url)
    data = json.loads(zipfile.ZipFile(io.BytesIO(out.read_bytes())).read("personal_data.json"))
    assert data["accounts"][0]["name"] == person.name


def test_incident_and_disclosure_from_the_shell(url: str, tmp_path: Path) -> None:
    store = open_store(url)
    try:
        make_person(store, Keyring(b"k" * 32))
    finally:
        store.close()
    [line] = run("ops", "incidents", "list", "--url", url).splitlines()
    iid = line.split()[0]
    run(
        "ops",
        "incidents",
        "action",
        iid,
        "--kind",
        "report",
        "--note",
        "已报告网信部门",
        "--url",
        url,
    )
    report = json.loads(run("ops", "incidents", "report", iid, "--url", url))
    assert report["actions"][0]["status"] == "open" and report["evidence"]
    run(
        "ops",
        "incidents",
        "close",
        iid,
        "--action",
        str(report["actions"][0]["id"]),
        "--note",
        "回执已收到",
        "--url",
        url,
    )
    run("ops", "incidents", "close", iid, "--url", url)
    (tmp_path / "d.json").write_text(
        json.dumps({"audience": "成年人", "uses": "写作"}), encoding="utf-8"
    )
    assert (
        run("ops", "disclosure", "publish", "v1", "--file", str(tmp_path / "d.json"), "--url", url)
        == "disclosure v1 published"
    )


def test_bad_input_exits_2_with_one_line(url: str, tmp_path: Path) -> None:
    env_url = ["--url", url]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hegui.cli",
            "ops",
            "complaints",
            "answer",
            "cmp_nope",
            "--text",
            "x",
            *env_url,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and proc.stderr.strip() == "hegui: error: no complaint 'cmp_nope'"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hegui.cli",
            "staff",
            "create",
            "--username",
            "x",
            "--password-stdin",
            *env_url,
        ],
        input="short\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and "at least 10" in proc.stderr
