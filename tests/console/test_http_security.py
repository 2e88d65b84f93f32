"""Security of the console over HTTP, generated from the router so new routes are covered:
every staff route refuses anonymous users and lower roles, every POST needs the CSRF token,
sessions expire, logins are throttled, and the login never redirects off-site."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

import hegui.console.app  # noqa: F401  (registers every page)
from hegui.config import ConsoleSettings, Settings
from hegui.console.web import ROUTES
from hegui.ops.staff import ROLES, has_role
from hegui.store.crypto import Keyring
from hegui.store.db import open_store
from tests.console.web import Console, add_staff, console
from tests.store.conftest import copy_sqlite

PARAMS = {
    "cid": "cmp_0",
    "rid": "pir_0",
    "aid": "1",
    "iid": "inc_0",
    "kind": "access",
    "sid": "1",
    "tid": "1",
}


def _fill(path: str) -> str:
    for name, value in PARAMS.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"add a sample value for the parameter in {path}"
    return path


def _routes(public: bool) -> list[tuple[str, str, str | None]]:
    out = []
    for route in ROUTES:
        role = getattr(route.endpoint, "required_role", "missing")
        assert role == "missing" or role is None or role in ROLES
        assert role != "missing", f"{route.path} was not declared with @page"
        if (role is None) != public:
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                out.append((method, _fill(route.path), role))
    return out


STAFF_ROUTES = _routes(public=False)
ALL_POSTS = [r for r in _routes(public=False) + _routes(public=True) if r[0] == "POST"]


def test_the_router_has_the_pages_we_expect() -> None:
    paths = {path for _m, path, _r in STAFF_ROUTES}
    assert {"/console/", "/console/complaints", "/console/audit", "/console/staff"} <= paths
    assert len(STAFF_ROUTES) >= 25


@pytest.fixture(scope="module")
def staffed(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated template with one staff member per role, hashed once for the module's
    hundred tests (four argon2 hashes each cost ~0.1 s of a core)."""
    path = tmp_path_factory.mktemp("staffed") / "hegui.db"
    store = open_store(copy_sqlite(sqlite_template, path))
    try:
        for role in ROLES:
            add_staff(store, role, role)
    finally:
        store.close()
    return path


@pytest.fixture
def site(staffed: Path, tmp_path: Path, keyring: Keyring) -> Iterator[Console]:
    store = open_store(copy_sqlite(staffed, tmp_path / "hegui.db"))
    settings = Settings(console=ConsoleSettings(login_failures=3))
    try:
        with console(store, keyring, settings) as c:
            yield c
    finally:
        store.close()


@pytest.mark.parametrize(("method", "path", "role"), STAFF_ROUTES, ids=lambda v: str(v))
def test_anonymous_visitors_are_refused(site: Console, method: str, path: str, role: str) -> None:
    token = site.csrf("/console/login")  # even with a valid visitor CSRF token
    response = site.client.request(
        method, path, data={"csrf": token} if method == "POST" else None, follow_redirects=False
    )
    if method == "GET":
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/console/login"
        )
    else:
        assert response.status_code == 401


@pytest.mark.parametrize(("method", "path", "role"), STAFF_ROUTES, ids=lambda v: str(v))
def test_lower_roles_are_refused(site: Console, method: str, path: str, role: str) -> None:
    lower = [r for r in ROLES if not has_role(r, role)]
    if not lower:
        pytest.skip("every role may use this page")
    site.login(lower[-1])
    token = site.csrf("/console/")
    response = site.client.request(
        method, path, data={"csrf": token} if method == "POST" else None, follow_redirects=False
    )
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "path", "role"), ALL_POSTS, ids=lambda v: str(v))
def test_every_post_needs_the_csrf_token(
    site: Console, method: str, path: str, role: str | None
) -> None:
    site.login("admin")
    good = site.csrf("/console/")
    for data in ({}, {"csrf": "forged"}, {"csrf": good[:-1]}):
        response = site.client.post(path, data=data, follow_redirects=False)
        assert response.status_code == 403, (path, data, response.status_code)
        assert "CSRF" in response.text


def test_a_post_from_a_browser_with_no_visitor_cookie_is_refused(site: Console) -> None:
    token = site.csrf("/portal/complaints/new")
    site.client.cookies.clear()
    response = site.client.post(
        "/portal/complaints/new",
        data={"csrf": token, "nonce": "n", "category": "other", "content": "x"},
    )
    assert response.status_code == 403


def test_sessions_expire(site: Console) -> None:
    site.login("auditor")
    assert site.client.get("/console/", follow_redirects=False).status_code == 200
    site.clock.now += timedelta(hours=8, seconds=1)
    response = site.client.get("/console/", follow_redirects=False)
    assert response.status_code == 303 and "/console/login" in response.headers["location"]


def test_logout_ends_the_session_on_the_server(site: Console) -> None:
    site.login("auditor")
    cookie = site.client.cookies.get("hegui_console")
    assert site.post("/console/logout", {}, from_page="/console/").status_code == 303
    site.client.cookies.set("hegui_console", cookie)
    assert site.client.get("/console/", follow_redirects=False).status_code == 303


def test_logins_are_throttled_and_never_redirect_off_site(site: Console) -> None:
    for _ in range(3):
        wrong = site.post("/console/login", {"username": "admin", "password": "nope"})
        assert wrong.status_code == 401
    blocked = site.post(
        "/console/login", {"username": "admin", "password": "correct horse battery"}
    )
    assert blocked.status_code == 429 and "retry-after" in blocked.headers
    response = site.post(
        "/console/login",
        {"username": "reviewer", "password": "correct horse battery", "next": "//evil.example/x"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/console/"


def test_pages_carry_a_strict_content_security_policy(site: Console) -> None:
    page = site.client.get("/portal/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert (
        "HttpOnly" in page.headers["set-cookie"] and "SameSite=strict" in page.headers["set-cookie"]
    )
    js = site.client.get("/console/static/htmx.min.js")
    assert js.status_code == 200 and "htmx" in js.text[:200]


XSS = '<script>alert("x")</script>'


def test_markup_in_every_staff_form_comes_back_escaped(site: Console) -> None:
    from tests.console.conftest import make_person

    store = site.services.store()
    person = make_person(store, site.services.keyring(), name=XSS)
    site.login("admin")
    posts = [
        (
            "/console/disclosures",
            {
                "version": XSS[:60],
                **{
                    k: XSS
                    for k in (
                        "audience",
                        "uses",
                        "limitations",
                        "models",
                        "filing_number",
                        "minors",
                        "labels",
                        "contact",
                    )
                },
            },
        ),
        ("/console/agreements", {"version": "x" + XSS[:40], "text": XSS}),
        ("/console/incidents", {"risk_codes": "A.1.a", "description": XSS}),
        (
            f"/console/users/{person.account_id}/sanction",
            {"sanction": "warned", "reason": XSS + "!"},
        ),
        ("/console/safe-answers", {"question": XSS + "问题", "answer": XSS}),
        ("/console/lexicon", {"term": XSS, "code": "A.1.a", "note": XSS}),
        (
            "/console/staff",
            {"username": "eve", "name": XSS, "role": "auditor", "password": "long enough pw"},
        ),
    ]
    locations = {}
    for path, data in posts:
        response = site.post(path, data, from_page="/console/")
        assert response.status_code == 303, path
        locations[path] = response.headers["location"]
    assert "<script>alert" not in site.client.get("/console/incidents").text
    pages = [
        "/console/disclosures",
        "/portal/disclosure",
        "/console/agreements",
        "/portal/agreement",
        f"/console/users/{person.account_id}",
        "/console/users?q=script",
        "/console/safe-answers?probe=" + XSS,
        "/console/lexicon?q=script",
        "/console/staff",
    ]
    pages.append(locations["/console/incidents"])  # the incident just opened
    for path in pages:
        text = site.client.get(path).text
        assert "<script>alert" not in text, path
        assert "&lt;script&gt;" in text, path
