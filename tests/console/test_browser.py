"""The whole Article 9–15 workflow in a real browser (Debian's Chromium driven by Playwright)
against a real gateway with the console mounted, as ``hegui serve`` runs it.

The browser is Debian's ``chromium-headless-shell`` where it is installed: the same Chromium
build without the desktop shell, which is what Playwright itself runs headless; it needs a third
of the full browser's CPU for these pages. Full ``chromium`` is used where only it is installed.

Each step takes a screenshot; with ``HEGUI_CONSOLE_SCREENSHOTS=1`` they are saved into
``docs/img/console/`` (which ``docs/console.md`` shows), otherwise into a temporary folder, so a
test run leaves the tree clean. CI installs both with apt (``.ci/run``); elsewhere the tests
skip when neither is there.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hegui.store.crypto import Keyring
from hegui.store.db import open_store
from tests.console.conftest import Person, make_person
from tests.console.serve import serve_settings, serving
from tests.console.web import PASSWORD, add_staff
from tests.gateway.servers import ServerThread
from tests.preconditions import require

CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium")
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img" / "console"
SHOTS = (
    DOCS_SHOTS
    if os.environ.get("HEGUI_CONSOLE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "hegui-console-screenshots"
)
TRACKING = re.compile(r"[CR]-[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}")


@dataclass
class Site:
    url: str
    browser: Any
    person: Person
    other: Person

    def page(self, lang: str = "zh") -> Any:
        context = self.browser.new_context(viewport={"width": 1200, "height": 860}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        if lang == "en":
            page.goto(self.url + "/portal/?lang=en")
        return page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, upstream: ServerThread) -> Iterator[Site]:
    require(
        CHROMIUM is not None,
        "Chromium is not installed (apt-get install chromium-headless-shell)",
    )
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'hegui.db'}"
    store = open_store(url)
    try:
        keyring = Keyring(b"k" * 32)
        person = make_person(store, keyring, name="王小明")
        other = make_person(store, keyring, name="陈静", prompt="请帮我写一份请假条")
        for name, role in (("admin", "admin"), ("reviewer", "reviewer"), ("auditor", "auditor")):
            add_staff(store, name, role)
    finally:
        store.close()
    with (
        serving(serve_settings(url, [upstream.url])) as server,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield Site(server.url, browser, person, other)
        finally:
            browser.close()


def log_in(site: Site, username: str) -> Any:
    page = site.page()
    page.goto(site.url + "/console/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/console/")
    return page


def test_01_admin_publishes_the_disclosure_and_a_new_agreement(site: Site) -> None:
    page = site.page()
    page.goto(site.url + "/console/")
    shot(page, "01-login")
    page.close()
    page = log_in(site, "admin")
    page.goto(site.url + "/console/disclosures")
    page.fill("#version", "2026-12")
    page.fill("#audience", "年满 18 周岁的个人用户；未成年人须开启未成年人模式。")
    page.fill("#uses", "写作辅助、问答、翻译。不适用于医疗诊断、法律意见与投资决策。")
    page.fill("#limitations", "模型可能生成不准确的内容，请核实重要信息。")
    page.fill("#models", "示例大模型 v2（自研）")
    page.fill("#filing_number", "网信算备 110000000000000000001 号（示例）")
    page.fill("#minors", "每日时长限制、休息提醒、22:00–6:00 宵禁。")
    page.fill(
        "#labels", "文本回答末尾显示“本回答由人工智能生成”；图片、音频、视频含隐式元数据标识。"
    )
    page.click("form[action='/console/disclosures'] button[type=submit]")
    page.wait_for_url(site.url + "/console/disclosures")
    shot(page, "02-disclosure-editor")
    page.goto(site.url + "/console/agreements")
    page.fill("#version", "v2")
    page.fill(
        "#text", "第一条 本服务面向年满18周岁的用户……\n第二条 用户不得利用本服务生成违法内容……"
    )
    page.click("form[action='/console/agreements'] button[type=submit]")
    page.wait_for_url(site.url + "/console/agreements")
    assert page.locator("text=v2").first.is_visible()
    public = site.page()
    public.goto(site.url + "/portal/disclosure")
    assert "网信算备" in public.content()
    shot(public, "03-portal-disclosure")


def test_02_user_accepts_the_new_agreement_and_is_served_again(site: Site) -> None:
    import httpx

    api = {"authorization": f"Bearer {site.person.api_key}"}
    body = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}
    assert httpx.post(site.url + "/v1/chat/completions", json=body, headers=api).status_code == 403
    page = site.page()
    page.goto(site.url + "/portal/")
    shot(page, "04-portal-home")
    page.click("a.tile[href='/portal/agreement']")
    page.fill("#api_key", site.person.api_key)
    page.click("button[type=submit]")
    assert page.locator(".ok").inner_text().count("v2") == 1
    shot(page, "05-agreement-accepted")
    assert httpx.post(site.url + "/v1/chat/completions", json=body, headers=api).status_code == 200


def test_03_complaint_is_filed_answered_and_read_back(site: Site) -> None:
    page = site.page()
    page.goto(site.url + "/portal/")
    page.click("a.tile[href='/portal/complaints/new']")
    page.select_option("#category", "generated_content")
    page.fill("#reference", "chatcmpl-7f3a")
    page.fill("#content", "回答中出现了不实信息 <b>请核查</b>")
    page.fill("#contact", "wang@example.org")
    shot(page, "06-complaint-form")
    page.click("button[type=submit]")
    tracking = page.locator("#tracking").inner_text().strip()
    assert TRACKING.fullmatch(tracking)
    shot(page, "07-complaint-tracking")
    staff = log_in(site, "reviewer")
    staff.click("nav a[href='/console/complaints']")
    staff.click("#queue tbody tr:first-child a")
    assert "<b>请核查</b>" in staff.locator("#content").inner_text()  # shown as text, not markup
    staff.select_option("#assignee", "reviewer")
    staff.click("form[action$='/assign'] button")
    staff.fill("#answer", "您好，经核查该回答确有错误，已调整模型并删除相关内容。")
    shot(staff, "08-console-complaint")
    staff.click("form[action$='/answer'] button")
    page.goto(site.url + "/portal/status")
    page.fill("#tracking", tracking)
    page.click("button[type=submit]")
    assert page.locator("#status").inner_text() == "answered"
    assert "已调整模型" in page.locator("#answer").inner_text()
    shot(page, "09-complaint-status")


def test_04_deletion_request_in_four_clicks_and_erasure_by_staff(site: Site) -> None:
    page = site.page()
    page.goto(site.url + "/portal/")
    clicks = 0
    page.click("a.tile[href='/portal/rights']")
    clicks += 1
    shot(page, "10-rights")
    page.click("a.tile[href='/portal/rights/delete']")
    clicks += 1
    page.fill("#api_key", site.other.api_key)
    page.fill("#detail", "请删除我的账号和全部记录")
    page.click("button[type=submit]")
    clicks += 1
    assert clicks <= 4
    tracking = page.locator("#tracking").inner_text().strip()
    shot(page, "11-rights-received")
    staff = log_in(site, "reviewer")
    staff.goto(site.url + "/console/requests")
    shot(staff, "12-console-requests")
    staff.click("tbody tr:first-child a")
    staff.fill("#note", "已删除您的账号、密钥与全部使用记录。")
    staff.click("form[action$='/fulfil'] button")
    assert staff.locator("#status").inner_text() == "done"
    shot(staff, "13-console-request-done")
    page.goto(site.url + "/portal/status")
    page.fill("#tracking", tracking)
    page.click("button[type=submit]")
    assert page.locator("#status").inner_text() == "done"


def test_05_reviewer_suspends_a_user_and_the_gateway_refuses_at_once(site: Site) -> None:
    import httpx

    api = {"authorization": f"Bearer {site.person.api_key}"}
    body = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}
    staff = log_in(site, "reviewer")
    staff.goto(site.url + "/console/users?q=王小明")
    staff.click("tbody tr:first-child a")
    staff.select_option("#sanction", "suspended")
    staff.fill("#reason", "多次试图生成违法内容")
    staff.fill("#until", "2027-01-31T18:00")
    staff.click("form[action$='/sanction'] button")
    assert staff.locator("#standing").inner_text() == "suspended"
    shot(staff, "14-console-sanction")
    assert httpx.post(site.url + "/v1/chat/completions", json=body, headers=api).status_code == 403


def test_06_incident_is_disposed_of_and_exported(site: Site) -> None:
    staff = log_in(site, "reviewer")
    staff.goto(site.url + "/console/incidents")
    shot(staff, "15-console-incidents")
    staff.click("tbody tr:first-child a")
    for kind, note in (
        ("stop_transmission", "已停止向该用户传输"),
        ("rectify", "补充训练数据并调整过滤策略"),
    ):
        staff.select_option("#kind", kind)
        staff.fill("#note", note)
        staff.click("form[action$='/actions'] button")
    staff.fill("form[action*='/actions/'] input[name=note]", "整改完成，复测通过")
    staff.click("form[action*='/actions/'] button")
    staff.click("form[action$='/close'] button")
    assert staff.locator("#status").inner_text() == "closed"
    shot(staff, "16-console-incident")
    with staff.expect_download() as download:
        staff.click("text=导出报告 JSON")
    assert download.value.suggested_filename.endswith(".json")


def test_07_dashboard_and_audit_log_for_the_auditor(site: Site) -> None:
    auditor = log_in(site, "auditor")
    assert auditor.locator("svg.chart").count() == 2
    shot(auditor, "17-console-dashboard")
    auditor.click("nav a[href='/console/audit']")
    auditor.click("text=校验哈希链")
    assert "哈希链完整" in auditor.locator("#verify").inner_text()
    shot(auditor, "18-console-audit")
    auditor.goto(site.url + "/console/complaints?lang=en")
    assert auditor.locator("form[action$='/escalate']").count() == 0  # read-only role
    shot(auditor, "19-console-english")


def test_08_reviewer_approves_a_safe_answer_and_tries_it(site: Site) -> None:
    staff = log_in(site, "reviewer")
    staff.click("nav a[href='/console/safe-answers']")
    staff.fill("#question", "台湾是中国的一部分吗")
    staff.fill("#answer", "台湾是中国领土不可分割的一部分。")
    staff.click("form[method=post][action='/console/safe-answers'] button[type=submit]")
    staff.wait_for_selector("td:has-text('台湾是中国领土不可分割的一部分。')")
    staff.fill("#probe", "臺灣是中國的一部分嗎？")
    staff.click("form[action='/console/safe-answers'][method=get] button")
    staff.wait_for_selector("#match")
    assert "1.00" in staff.locator("#match").inner_text()
    shot(staff, "20-console-safe-answers")


def test_09_reviewer_adds_a_lexicon_term(site: Site) -> None:
    staff = log_in(site, "reviewer")
    staff.click("nav a[href='/console/lexicon']")
    staff.fill("#term", "蓝莓暗号")
    staff.fill("#code", "A.1.a")
    staff.fill("#note", "用户举报 C-…，inc_…")
    staff.click("form[method=post][action='/console/lexicon'] button[type=submit]")
    staff.wait_for_selector("td:has-text('蓝莓暗号')")
    staff.fill("#q", "暗号")
    staff.click("form[action='/console/lexicon'][method=get] button")
    staff.wait_for_selector("td:has-text('蓝莓暗号')")
    shot(staff, "21-console-lexicon")
