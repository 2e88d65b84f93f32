"""The public portal over HTTP: complaints with tracking numbers, status, rights requests,
agreement acceptance, and everything a visitor types coming back escaped."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from hegui.config import ConsoleSettings, Settings
from hegui.ops import accounts
from hegui.store.crypto import Keyring
from hegui.store.db import Store
from hegui.store.schema import complaints, pi_requests
from tests.console.conftest import make_person
from tests.console.web import console

_TRACKING = re.compile(r'id="tracking">([^<]+)<')
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _count(store: Store, table: object) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _file(c: object, content: str, **extra: str) -> object:
    page = c.client.get("/portal/complaints/new")  # type: ignore[attr-defined]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    data = {
        "csrf": csrf,
        "nonce": nonce,
        "category": "generated_content",
        "content": content,
        **extra,
    }
    return c.client.post("/portal/complaints/new", data=data)  # type: ignore[attr-defined]


def test_complaint_gets_a_tracking_number_and_a_status_page_with_the_deadline(
    sqlite_store: Store, keyring: Keyring
) -> None:
    with console(sqlite_store, keyring) as c:
        done = _file(c, "回答里有错误信息", reference="chatcmpl-42")
        assert done.status_code == 200
        tracking = _TRACKING.search(done.text).group(1)
        status = c.post("/portal/status", {"tracking": tracking})
        assert status.status_code == 200 and 'id="status">open<' in status.text
        assert "2026-12-18" in status.text  # 15 working days after Sat 2026-11-28 (Shanghai)
        other = c.post("/portal/status", {"tracking": "C-0000-0000-0000-0000-0001"})
        assert other.status_code == 400 and "未找到" in other.text


def test_double_submission_files_one_complaint(sqlite_store: Store, keyring: Keyring) -> None:
    with console(sqlite_store, keyring) as c:
        page = c.client.get("/portal/complaints/new")
        data = {
            "csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1),
            "nonce": re.search(r'name="nonce" value="([^"]+)"', page.text).group(1),
            "category": "service",
            "content": "慢",
        }
        assert c.client.post("/portal/complaints/new", data=data).status_code == 200
        again = c.client.post("/portal/complaints/new", data=data)
        assert again.status_code == 400 and "已提交过" in again.text
    assert _count(sqlite_store, complaints) == 1


def test_empty_oversized_and_wrong_form_input_is_a_clear_message_and_writes_nothing(
    sqlite_store: Store, keyring: Keyring
) -> None:
    settings = Settings(console=ConsoleSettings(max_field_chars=50))
    with console(sqlite_store, keyring, settings) as c:
        empty = _file(c, "   ")
        assert empty.status_code == 400 and "content must not be empty" in empty.text
        long = _file(c, "长" * 51, contact="kept@example.org")
        assert long.status_code == 400 and "longer than 50" in long.text
        assert 'value="kept@example.org"' in long.text  # what was typed is given back
        wrong = c.client.post(
            "/portal/complaints/new", content=b"{}", headers={"content-type": "application/json"}
        )
        assert wrong.status_code == 400
        huge = c.client.post(
            "/portal/complaints/new",
            content=b"a=" + b"x" * 300_000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert huge.status_code == 400 and "larger than" in huge.text
    assert _count(sqlite_store, complaints) == 0


def test_injected_markup_comes_back_escaped_everywhere(
    sqlite_store: Store, keyring: Keyring
) -> None:
    from tests.console.web import add_staff

    add_staff(sqlite_store, "rev", "reviewer")
    with console(sqlite_store, keyring) as c:
        done = _file(c, XSS, reference=XSS[:150], contact=XSS[:150])
        tracking = _TRACKING.search(done.text).group(1)
        echoed = _file(c, "", contact=XSS[:150])  # the error page echoes the fields back
        c.login("rev")
        queue = c.client.get("/console/complaints")
        cid = re.search(r"/console/complaints/(cmp_[0-9a-f]+)", queue.text).group(1)
        detail = c.client.get(f"/console/complaints/{cid}")
        answered = c.post(
            f"/console/complaints/{cid}/answer",
            {"answer": XSS},
            from_page=f"/console/complaints/{cid}",
        )
        assert answered.status_code == 303
        status = c.post("/portal/status", {"tracking": tracking})
        for page in (queue, detail, status, echoed):
            assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in detail.text
        assert "&lt;script&gt;" in status.text


def test_double_submission_files_one_request(sqlite_store: Store, keyring: Keyring) -> None:
    person = make_person(sqlite_store, keyring)
    with console(sqlite_store, keyring) as c:
        page = c.client.get("/portal/rights/access")
        data = {
            "csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1),
            "nonce": re.search(r'name="nonce" value="([^"]+)"', page.text).group(1),
            "api_key": person.api_key,
        }
        assert c.client.post("/portal/rights/access", data=data).status_code == 200
        again = c.client.post("/portal/rights/access", data=data)
        assert again.status_code == 400 and "已提交过" in again.text
    assert _count(sqlite_store, pi_requests) == 1


def test_rights_request_needs_the_persons_api_key(sqlite_store: Store, keyring: Keyring) -> None:
    person = make_person(sqlite_store, keyring)
    with console(sqlite_store, keyring) as c:
        bad = c.post("/portal/rights/opt_out", {"api_key": person.api_key[:-1] + "Z"})
        assert bad.status_code == 400 and "API" in bad.text
        assert _count(sqlite_store, pi_requests) == 0
        good = c.post(
            "/portal/rights/opt_out", {"api_key": person.api_key, "detail": "不要用于训练"}
        )
        assert good.status_code == 200 and _TRACKING.search(good.text).group(1).startswith("R-")
    assert _count(sqlite_store, pi_requests) == 1


def test_rights_form_is_three_clicks_from_the_front_page(
    sqlite_store: Store, keyring: Keyring
) -> None:
    with console(sqlite_store, keyring) as c:
        front = c.client.get("/portal/")
        assert 'href="/portal/rights"' in front.text  # click 1
        rights = c.client.get("/portal/rights")
        for kind in ("access", "copy", "correct", "supplement", "delete", "opt_out"):
            assert f'href="/portal/rights/{kind}"' in rights.text  # click 2
            assert (
                'action="/portal/rights/' + kind + '"'
                in c.client.get(f"/portal/rights/{kind}").text
            )  # click 3: submit


def test_accepting_the_agreement_with_an_api_key_reaches_the_gateway(
    sqlite_store: Store, keyring: Keyring
) -> None:
    person = make_person(sqlite_store, keyring)
    from hegui.ops.agreements import publish_agreement

    sqlite_store.write(
        lambda conn: publish_agreement(
            conn, "v2", "/portal/agreement", actor="t", text="第二版条款"
        )
    )
    with console(sqlite_store, keyring) as c:
        page = c.client.get("/portal/agreement")
        assert "第二版条款" in page.text and "v1" in page.text  # current and history
        accepted = c.post(
            "/portal/agreement/accept", {"api_key": person.api_key}, from_page="/portal/agreement"
        )
        assert accepted.status_code == 200 and "v2" in accepted.text
        assert c.invalidated == [f"account:{person.account_id}"]
    with sqlite_store.read() as conn:
        assert accounts.get_account(conn, person.account_id).agreement_version == "v2"


def test_export_needs_both_the_tracking_number_and_the_same_persons_key(
    sqlite_store: Store, keyring: Keyring
) -> None:
    from hegui.ops import pi_requests as ops

    alice = make_person(sqlite_store, keyring, name="爱丽丝")
    bob = make_person(sqlite_store, keyring, name="鲍勃")
    settings = ConsoleSettings()
    req, tracking = sqlite_store.write(
        lambda conn: ops.file_request(
            conn, account_id=alice.account_id, kind="copy", keyring=keyring, settings=settings
        )
    )
    sqlite_store.write(lambda conn: ops.fulfil_request(conn, req.id, keyring=keyring, actor="t"))
    with console(sqlite_store, keyring) as c:
        stolen = c.post(
            "/portal/status/export",
            {"tracking": tracking, "api_key": bob.api_key},
            from_page="/portal/status",
        )
        assert stolen.status_code == 400 and "爱丽丝" not in stolen.text
        mine = c.post(
            "/portal/status/export",
            {"tracking": tracking, "api_key": alice.api_key},
            from_page="/portal/status",
        )
        assert mine.status_code == 200 and mine.headers["content-type"] == "application/zip"


def test_english_switch(sqlite_store: Store, keyring: Keyring) -> None:
    with console(sqlite_store, keyring) as c:
        assert "Complaints and reports" in c.client.get("/portal/?lang=en").text
        assert "Complaints and reports" in c.client.get("/portal/complaints/new").text  # remembered
