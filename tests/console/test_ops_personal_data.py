"""Personal-information requests: identity by API key, export zip, correction, opt-out, erasure.

The erasure test searches every column of every table (and, on SQLite, the database files
themselves) for the person's name, API key, pseudonym and the text they sent.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from hegui.config import ConsoleSettings
from hegui.errors import InputError
from hegui.ops import accounts, complaints, personal_data, pi_requests
from hegui.store.audit import verify
from hegui.store.audit_records import verify_records
from hegui.store.crypto import Keyring
from hegui.store.db import Store
from tests.console.conftest import NOW, find_everywhere, make_person


def test_identity_needs_the_whole_live_key(store: Store, keyring: Keyring) -> None:
    person = make_person(store, keyring)
    with store.read() as conn:
        assert pi_requests.identify(conn, person.api_key) == person.account_id
        assert pi_requests.identify(conn, person.api_key[:-2] + "xx") is None
        assert pi_requests.identify(conn, "not a key") is None


def test_copy_request_exports_everything_as_json_and_csv(
    store: Store, keyring: Keyring, console_settings: ConsoleSettings
) -> None:
    person = make_person(store, keyring)
    store.write(
        lambda c: complaints.file_complaint(
            c,
            category="service",
            content="服务太慢",
            contact="13800138000",
            account_id=person.account_id,
            keyring=keyring,
            settings=console_settings,
            now=NOW,
        )
    )
    req, tracking = store.write(
        lambda c: pi_requests.file_request(
            c,
            account_id=person.account_id,
            kind="copy",
            keyring=keyring,
            settings=console_settings,
            now=NOW,
        )
    )
    assert tracking.startswith("R-")
    done = store.write(
        lambda c: pi_requests.fulfil_request(c, req.id, keyring=keyring, actor="staff:a", now=NOW)
    )
    assert done.status == "done"
    with store.read() as conn:
        blob = personal_data.export_zip(
            personal_data.collect(conn, person.account_id, keyring=keyring)
        )
    zf = zipfile.ZipFile(io.BytesIO(blob))
    data = json.loads(zf.read("personal_data.json"))
    assert data["accounts"][0]["name"] == person.name
    assert {r["content"] for r in data["usage_records"]} == {
        person.prompt,
        person.prompt + "（二）",
    }
    assert data["incidents"][0]["evidence"] == person.prompt
    assert data["complaints"][0]["contact"] == "13800138000"
    assert (
        data["api_keys"][0]["key_id"] == person.key_id and "secret_hash" not in data["api_keys"][0]
    )
    assert data["sanction_events"][0]["reason"] == "测试警告"
    rows = list(csv.DictReader(io.StringIO(zf.read("usage_records.csv").decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[0]["pseudonym"] == person.pseudonym


def test_correction_and_opt_out_change_the_account(
    store: Store, keyring: Keyring, console_settings: ConsoleSettings
) -> None:
    person = make_person(store, keyring)
    fix, _ = store.write(
        lambda c: pi_requests.file_request(
            c,
            account_id=person.account_id,
            kind="correct",
            detail="名字写错了",
            keyring=keyring,
            settings=console_settings,
        )
    )
    opt, _ = store.write(
        lambda c: pi_requests.file_request(
            c,
            account_id=person.account_id,
            kind="opt_out",
            keyring=keyring,
            settings=console_settings,
        )
    )
    store.write(
        lambda c: pi_requests.fulfil_request(
            c, fix.id, keyring=keyring, actor="staff:a", name="张三"
        )
    )
    store.write(lambda c: pi_requests.fulfil_request(c, opt.id, keyring=keyring, actor="staff:a"))
    with store.read() as conn:
        acct = accounts.get_account(conn, person.account_id)
        assert acct.name == "张三" and acct.training_opt_out
        assert verify(conn).ok and verify_records(conn).ok
    with pytest.raises(InputError, match="already done"):
        store.write(lambda c: pi_requests.fulfil_request(c, opt.id, keyring=keyring, actor="x"))
    with pytest.raises(InputError, match="say what"):
        store.write(
            lambda c: pi_requests.file_request(
                c,
                account_id=person.account_id,
                kind="supplement",
                keyring=keyring,
                settings=console_settings,
            )
        )


def test_rejection_carries_the_reason(
    store: Store, keyring: Keyring, console_settings: ConsoleSettings
) -> None:
    person = make_person(store, keyring)
    req, tracking = store.write(
        lambda c: pi_requests.file_request(
            c,
            account_id=person.account_id,
            kind="access",
            keyring=keyring,
            settings=console_settings,
        )
    )
    store.write(
        lambda c: pi_requests.reject_request(
            c, req.id, "身份无法核实", keyring=keyring, actor="staff:a"
        )
    )
    with store.read() as conn:
        seen = pi_requests.request_by_tracking(conn, tracking, keyring=keyring)
        assert seen is not None and (seen.status, seen.outcome) == ("rejected", "身份无法核实")


def test_deletion_leaves_no_copy_of_the_person_anywhere(
    store: Store, keyring: Keyring, console_settings: ConsoleSettings
) -> None:
    person = make_person(store, keyring)
    other = make_person(store, keyring, name="李四对照", prompt="另一个人的问题")
    store.write(
        lambda c: complaints.file_complaint(
            c,
            category="service",
            content="投诉内容甲乙丙",
            contact="zhang@example.org",
            account_id=person.account_id,
            keyring=keyring,
            settings=console_settings,
            now=NOW,
        )
    )
    req, tracking = store.write(
        lambda c: pi_requests.file_request(
            c,
            account_id=person.account_id,
            kind="delete",
            detail="请删除我的全部信息",
            keyring=keyring,
            settings=console_settings,
            now=NOW,
        )
    )
    needles = [person.name, person.api_key, person.pseudonym, person.prompt]
    assert find_everywhere(store, [person.name, person.pseudonym])  # the search does find them
    store.write(
        lambda c: pi_requests.fulfil_request(c, req.id, keyring=keyring, actor="staff:a", now=NOW)
    )
    assert find_everywhere(store, needles) == []
    # the random account id remains only in the append-only audit chain (no name, no content)
    left = find_everywhere(store, [person.account_id])
    assert all(h.startswith("audit_events.") or h == "file:hegui.db" for h in left), left
    with store.read() as conn:
        with pytest.raises(InputError):
            accounts.get_account(conn, person.account_id)
        assert accounts.get_account(conn, other.account_id).name == "李四对照"
        status = pi_requests.request_by_tracking(conn, tracking, keyring=keyring)
        assert status is not None and status.status == "done" and status.detail is None
        assert verify(conn).ok
        assert verify_records(conn).ok, verify_records(conn).as_dict()
    assert find_everywhere(store, [other.name, other.pseudonym])  # the other person is untouched
