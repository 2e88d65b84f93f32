"""Staff workflows over HTTP: complaints with SLA, requests with erasure, sanctions, incidents,
agreements and disclosures, audit log — on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

from hegui.config import ConsoleSettings
from hegui.ops import accounts, complaints, pi_requests
from hegui.store.crypto import Keyring
from hegui.store.db import Store
from tests.console.conftest import find_everywhere, make_person
from tests.console.web import add_staff, console


def test_complaint_is_assigned_answered_and_overdue_items_are_flagged(
    store: Store, keyring: Keyring
) -> None:
    add_staff(store, "rev", "reviewer")
    settings = ConsoleSettings()
    late, _ = store.write(
        lambda c: complaints.file_complaint(
            c, category="service", content="很慢", keyring=keyring, settings=settings
        )
    )
    fresh, tracking = store.write(
        lambda c: complaints.file_complaint(
            c, category="other", content="问题", keyring=keyring, settings=settings
        )
    )
    with console(store, keyring) as c:
        c.login("rev")
        c.clock.now = late.due_at + timedelta(minutes=1)  # the clock moves past the deadline
        c.login("rev")
        queue = c.client.get("/console/complaints?state=overdue")
        assert (
            late.id in queue.text and "OVERDUE" in c.client.get("/console/complaints?lang=en").text
        )
        dash = c.client.get("/console/?format=json").json()
        assert dash["complaints"]["overdue"] == 2
        assert (
            c.post("/console/complaints/escalate", {}, from_page="/console/complaints").status_code
            == 303
        )
        assert "escalated" in c.client.get("/console/complaints").text
        page = f"/console/complaints/{fresh.id}"
        assert c.post(f"{page}/assign", {"assignee": "rev"}, from_page=page).status_code == 303
        assert (
            c.post(f"{page}/answer", {"answer": "已处理，谢谢"}, from_page=page).status_code == 303
        )
        status = c.post("/portal/status", {"tracking": tracking})
        assert "已处理，谢谢" in status.text and 'id="status">answered<' in status.text
        again = c.post(f"{page}/answer", {"answer": "x"}, from_page="/console/")
        assert again.status_code == 400 and "already answered" in again.text


def test_deletion_request_erases_the_person_from_the_console(
    store: Store, keyring: Keyring
) -> None:
    add_staff(store, "rev", "reviewer")
    person = make_person(store, keyring)
    req, _ = store.write(
        lambda c: pi_requests.file_request(
            c,
            account_id=person.account_id,
            kind="delete",
            keyring=keyring,
            settings=ConsoleSettings(),
        )
    )
    with console(store, keyring) as c:
        c.login("rev")
        page = f"/console/requests/{req.id}"
        assert c.post(f"{page}/fulfil", {"note": "已删除"}, from_page=page).status_code == 303
        assert 'id="status">done<' in c.client.get(page).text
        assert c.invalidated == ["*"]
    assert (
        find_everywhere(store, [person.name, person.prompt, person.pseudonym, person.api_key]) == []
    )


def test_copy_request_export_from_the_console(store: Store, keyring: Keyring) -> None:
    add_staff(store, "rev", "reviewer")
    person = make_person(store, keyring)
    req, _ = store.write(
        lambda c: pi_requests.file_request(
            c,
            account_id=person.account_id,
            kind="copy",
            keyring=keyring,
            settings=ConsoleSettings(),
        )
    )
    with console(store, keyring) as c:
        c.login("rev")
        blob = c.client.get(f"/console/requests/{req.id}/export")
        assert blob.headers["content-type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(blob.content)).namelist()
        assert "personal_data.json" in names and "usage_records.csv" in names


def test_sanction_change_is_recorded_and_pushed_to_the_gateway(
    store: Store, keyring: Keyring
) -> None:
    add_staff(store, "rev", "reviewer")
    person = make_person(store, keyring)
    with console(store, keyring) as c:
        c.login("rev")
        page = f"/console/users/{person.account_id}"
        done = c.post(
            f"{page}/sanction",
            {"sanction": "suspended", "reason": "多次违规", "until": "2026-12-31T18:00"},
            from_page=page,
        )
        assert done.status_code == 303
        assert c.invalidated == [f"account:{person.account_id}"]
        shown = c.client.get(page).text
        assert 'id="standing">suspended<' in shown and "多次违规" in shown and "测试警告" in shown
        bad = c.post(f"{page}/sanction", {"sanction": "banished", "reason": "x"}, from_page=page)
        assert bad.status_code == 400 and "unknown sanction" in bad.text
    with store.read() as conn:
        acct = accounts.get_account(conn, person.account_id)
        assert acct.sanction.value == "suspended" and acct.sanction_until is not None
        assert acct.sanction_until.isoformat() == "2026-12-31T10:00:00+00:00"  # 18:00 Shanghai


def test_incident_disposal_and_report_export(store: Store, keyring: Keyring) -> None:
    add_staff(store, "rev", "reviewer")
    with console(store, keyring) as c:
        c.login("rev")
        made = c.post(
            "/console/incidents",
            {"risk_codes": "A.1.a，A.2.b", "description": "巡查发现的违规内容"},
        )
        assert made.status_code == 303
        page = made.headers["location"]
        iid = page.rsplit("/", 1)[1]
        assert (
            c.post(
                f"{page}/actions", {"kind": "stop_transmission", "note": "已下线"}, from_page=page
            ).status_code
            == 303
        )
        assert (
            c.post(
                f"{page}/actions", {"kind": "rectify", "note": "调整模型"}, from_page=page
            ).status_code
            == 303
        )
        refused = c.post(f"{page}/close", {}, from_page=page)
        assert refused.status_code == 400 and "still open" in refused.text
        action_id = re.search(rf"{page}/actions/(\d+)/close", c.client.get(page).text).group(1)
        assert (
            c.post(
                f"{page}/actions/{action_id}/close", {"note": "完成"}, from_page=page
            ).status_code
            == 303
        )
        assert c.post(f"{page}/close", {}, from_page=page).status_code == 303
        report = json.loads(c.client.get(f"{page}/report.json").content)
        assert report["incident"]["id"] == iid and report["incident"]["status"] == "closed"
        assert report["evidence"] == "巡查发现的违规内容"
        assert [a["kind"] for a in report["actions"]] == ["stop_transmission", "rectify"]


def test_agreements_and_disclosures_are_published_by_admins(store: Store, keyring: Keyring) -> None:
    add_staff(store, "boss", "admin")
    with console(store, keyring) as c:
        c.login("boss")
        assert (
            c.post(
                "/console/agreements", {"version": "2026-12", "text": "新版服务协议正文", "url": ""}
            ).status_code
            == 303
        )
        assert c.invalidated == ["agreement:published"]
        assert "新版服务协议正文" in c.client.get("/portal/agreement").text
        dup = c.post("/console/agreements", {"version": "2026-12", "text": "x"})
        assert dup.status_code == 400 and "already published" in dup.text
        fields = {
            "version": "d1",
            "audience": "年满18周岁的用户",
            "uses": "写作辅助",
            "filing_number": "Beijing-XX-202612",
            "labels": "文字“由AI生成”",
        }
        assert c.post("/console/disclosures", fields).status_code == 303
        public = c.client.get("/portal/disclosure").text
        assert "年满18周岁的用户" in public and "Beijing-XX-202612" in public


def test_audit_log_viewer_verifies_the_chain(store: Store, keyring: Keyring) -> None:
    add_staff(store, "aud", "auditor")
    make_person(store, keyring)
    with console(store, keyring) as c:
        c.login("aud")
        page = c.client.get("/console/audit?check=1&lang=en")
        assert "Chain intact" in page.text and "account.create" in page.text
        assert (
            '<form method="post" action="/console/users' not in c.client.get("/console/users").text
        )
    with store.write_engine.begin() as conn:  # tamper with one event behind hegui's back
        conn.exec_driver_sql("UPDATE audit_events SET actor = 'mallory' WHERE seq = 1")
    with console(store, keyring) as c:
        c.login("aud")
        page = c.client.get("/console/audit?check=1&lang=en")
        assert "Problems found" in page.text and "edited" in page.text


def test_incident_report_as_pdf_carries_the_evidence(sqlite_store: Store, keyring: Keyring) -> None:
    from pypdf import PdfReader

    from hegui.ops import incident_actions

    add_staff(sqlite_store, "aud", "auditor")
    iid = sqlite_store.write(
        lambda c: incident_actions.open_incident(
            c,
            risk_codes=["A.1.a"],
            description="巡查发现 evidence-7731",
            keyring=keyring,
            actor="staff:a",
        )
    )
    sqlite_store.write(
        lambda c: incident_actions.add_action(c, iid, "report", "已报告", actor="staff:a")
    )
    with console(sqlite_store, keyring) as c:
        c.login("aud")
        pdf = c.client.get(f"/console/incidents/{iid}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert iid in text and "evidence-7731" in text and "A.1.a" in text


def test_list_pages_have_json_twins_behind_the_same_roles(
    sqlite_store: Store, keyring: Keyring
) -> None:
    add_staff(sqlite_store, "aud", "auditor")
    person = make_person(sqlite_store, keyring)
    settings = ConsoleSettings()
    sqlite_store.write(
        lambda c: complaints.file_complaint(
            c, category="other", content="问题", keyring=keyring, settings=settings
        )
    )
    sqlite_store.write(
        lambda c: pi_requests.file_request(
            c, account_id=person.account_id, kind="access", keyring=keyring, settings=settings
        )
    )
    with console(sqlite_store, keyring) as c:
        assert (
            c.client.get("/console/complaints?format=json", follow_redirects=False).status_code
            == 303
        )
        c.login("aud")
        queue = c.client.get("/console/complaints?format=json").json()
        assert queue["counts"]["open"] == 1 and queue["items"][0]["content"] == "问题"
        assert "overdue" in queue["items"][0]
        assert c.client.get("/console/requests?format=json").json()["items"][0]["kind"] == "access"
        assert c.client.get("/console/incidents?format=json").json()["counts"]["open"] == 1
        assert (
            c.client.get("/console/users?format=json").json()["items"][0]["id"] == person.account_id
        )
        audit = c.client.get("/console/audit?format=json&check=1").json()
        assert audit["verify"]["ok"] and audit["events"][0]["seq"] > 1
