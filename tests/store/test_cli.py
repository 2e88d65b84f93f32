"""The store room's commands, through Typer's CliRunner and (for exit code 2) the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hegui.cli import app
from hegui.errors import InputError
from hegui.store.db import open_store
from hegui.store.migrate import head_revision
from hegui.store.schema import audit_events

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # no stray hegui.toml, key file lands in tmp_path
    monkeypatch.delenv("HEGUI_STORE__URL", raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    open_store(url).close()  # reading and changing records needs a store (none is made by them)
    return url


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output.strip()


def test_account_key_agreement_workflow(url: str, tmp_path: Path) -> None:
    assert run("db", "upgrade", "--url", url) == f"database at revision {head_revision()}"
    (tmp_path / "agreement.txt").write_text("服务协议全文", encoding="utf-8")
    assert (
        run(
            "agreement",
            "publish",
            "2026-11",
            "--url",
            "https://e/agreement",
            "--file",
            str(tmp_path / "agreement.txt"),
            "--db",
            url,
        )
        == "published agreement 2026-11"
    )
    account = json.loads(
        run(
            "account",
            "create",
            "--name",
            "张三",
            "--age-band",
            "under_16",
            "--accept-agreement",
            "--json",
            "--url",
            url,
        )
    )
    assert account["agreement_version"] == "2026-11" and account["age_band"] == "under_16"
    key = run("key", "create", account["id"], "--url", url)
    assert key.startswith("hg-") and len(key.splitlines()) == 1
    key_id = key.split("-")[1]
    listed = json.loads(run("key", "list", account["id"], "--json", "--url", url))
    assert [k["key_id"] for k in listed] == [key_id] and key not in json.dumps(listed)
    assert run("key", "revoke", key_id, "--url", url) == f"revoked {key_id}"
    changed = json.loads(
        run(
            "account",
            "set",
            account["id"],
            "--sanction",
            "suspended",
            "--reason",
            "3 violations",
            "--until",
            "2099-01-01T00:00+08:00",
            "--training-opt-out",
            "--age-band",
            "16_17",
            "--json",
            "--url",
            url,
        )
    )
    assert (changed["sanction"], changed["training_opt_out"], changed["age_band"]) == (
        "suspended",
        True,
        "16_17",
    )
    assert "张三" in run("account", "list", "--url", url)
    verify = json.loads(runner.invoke(app, ["audit", "verify", "--json", "--url", url]).output)
    assert verify["ok"] and verify["events"] == 8


def test_audit_verify_exits_1_when_tampered(url: str) -> None:
    run("account", "create", "--name", "a", "--age-band", "adult", "--url", url)
    run("account", "create", "--name", "b", "--age-band", "adult", "--url", url)
    result = runner.invoke(app, ["audit", "verify", "--url", url])
    assert result.exit_code == 0 and "intact" in result.output
    store = open_store(url)
    store.write(lambda c: c.execute(audit_events.delete().where(audit_events.c.seq == 1)))
    store.close()
    result = runner.invoke(app, ["audit", "verify", "--url", url])
    assert result.exit_code == 1
    assert "event 2: deleted" in result.output and "TAMPERED" in result.output


def test_purge_dry_run_and_real(url: str) -> None:
    dry = json.loads(run("purge", "--dry-run", "--json", "--url", url))
    assert dry["dry_run"] is True and dry["usage_records_deleted"] == 0
    assert "usage_records_deleted: 0" in run("purge", "--url", url)
    verify = json.loads(runner.invoke(app, ["audit", "verify", "--json", "--url", url]).output)
    assert verify["events"] == 1  # the real purge is audited, the dry run is not


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["account", "create", "--name", "x", "--age-band", "child"], "unknown age band"),
        (["account", "set", "nobody", "--age-band", "adult"], "no account"),
        (["account", "set", "nobody"], "nothing to change"),
        (["account", "set", "nobody", "--sanction", "warned"], "needs --reason"),
        (
            [
                "account",
                "set",
                "nobody",
                "--sanction",
                "warned",
                "--reason",
                "r",
                "--until",
                "soon",
            ],
            "ISO 8601",
        ),
        (["key", "revoke", "000000000000"], "no key"),
        (["agreement", "accept", "nobody"], "no agreement has been published"),
    ],
)
def test_bad_input_raises_input_error(url: str, args: list[str], message: str) -> None:
    result = runner.invoke(app, [*args, "--url", url])
    assert isinstance(result.exception, InputError)
    assert message in str(result.exception)


def test_errors_exit_2_with_one_line(url: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "hegui.cli", "key", "revoke", "nope", "--url", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "hegui: error: no key 'nope'"


def test_unreachable_database_exits_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hegui.cli",
            "account",
            "list",
            "--url",
            "postgresql://postgres@127.0.0.1:1/none",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.startswith("hegui: error: database")
        and len(proc.stderr.strip().splitlines()) == 1
    )
