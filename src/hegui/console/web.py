"""The console's request plumbing: one decorator declares a page's path, methods and role.

:func:`page` registers a route in :data:`ROUTES` and wraps its handler so that, before the handler
runs, the staff session is loaded (staff pages), the role is checked (anonymous → login page,
wrong role → 403), and every POST's CSRF token is compared with the session's (staff) or with the
visitor's cookie (public pages, double-submit). Handlers get a :class:`Page` and return a
response; :class:`hegui.errors.InputError` becomes the same page's clear message with status 400,
and :class:`hegui.errors.StoreError` a 503 page. Rules stay in :mod:`hegui.ops`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from hegui.config import Settings
from hegui.errors import AuthThrottledError, InputError, StoreError
from hegui.ops import staff as staff_ops
from hegui.store.crypto import Keyring
from hegui.store.db import Store

__all__ = ["ROUTES", "Page", "Services", "page", "render"]

T = TypeVar("T")
log = logging.getLogger("hegui.console")

STAFF_COOKIE = "hegui_console"
VISITOR_COOKIE = "hegui_csrf"
LANG_COOKIE = "hegui_lang"
MAX_FORM_BYTES = 256 * 1024
STATIC = Path(__file__).with_name("static")

_env = Environment(
    loader=PackageLoader("hegui.console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(slots=True)
class Services:
    """What the console needs from the process it runs in (the gateway's backend, or a test's)."""

    settings: Settings
    store: Callable[[], Store]
    keyring: Callable[[], Keyring]
    invalidate: Callable[[str], Awaitable[None]]
    clock: Callable[[], datetime]
    used_forms: dict[str, None] = field(default_factory=dict)  # public form nonces (this process)


@dataclass(slots=True)
class Page:
    request: Request
    services: Services
    lang: str
    staff: staff_ops.Session | None
    csrf: str
    form: dict[str, str]
    new_visitor_token: str | None = None

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def keyring(self) -> Keyring:
        return self.services.keyring()

    @property
    def now(self) -> datetime:
        return self.services.clock()

    @property
    def actor(self) -> str:
        return f"staff:{self.staff.staff.username}" if self.staff else "public"

    def t(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh

    async def read(self, fn: Callable[[Connection], T]) -> T:
        store = self.services.store()

        def run() -> T:
            with store.read() as conn:
                return fn(conn)

        return await asyncio.to_thread(run)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        return await self.services.store().awrite(fn)

    def field(self, name: str) -> str:
        return self.form.get(name, "")

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return render(self, template, status, **context)


def render(page: Page, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with the page's language, session and CSRF token available."""
    zone = ZoneInfo(page.settings.console.timezone)
    body = _env.get_template(template).render(
        _=page.t,
        local=lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        lang=page.lang,
        staff=page.staff.staff if page.staff else None,
        csrf=page.csrf,
        path=page.request.url.path,
        settings=page.settings.console,
        **context,
    )
    response = HTMLResponse(body, status_code=status)
    _secure(response)
    if page.new_visitor_token:
        response.set_cookie(
            VISITOR_COOKIE,
            page.new_visitor_token,
            httponly=True,
            samesite="strict",
            secure=page.settings.console.secure_cookies,
            path="/",
        )
    return response


def _secure(response: Response) -> None:
    response.headers["content-security-policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["referrer-policy"] = "no-referrer"
    response.headers["cache-control"] = "no-store"


ROUTES: list[Route] = []
Handler = Callable[[Page], Awaitable[Response]]


def page(
    path: str, *, methods: tuple[str, ...] = ("GET",), role: str | None = None
) -> Callable[[Handler], Handler]:
    """Register ``path``; ``role=None`` is a public page, otherwise the least role needed."""

    def deco(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            return await _serve(request, handler, role)

        endpoint.__name__ = handler.__name__
        endpoint.required_role = role  # type: ignore[attr-defined]  # read by the security tests
        ROUTES.append(Route(path, endpoint, methods=list(methods), name=handler.__name__))
        return handler

    return deco


def _lang(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return "en" if chosen == "en" else "zh"


async def _read_form(request: Request) -> dict[str, str]:
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    size = 0
    chunks = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise InputError(f"the form is larger than {MAX_FORM_BYTES // 1024} KiB")
        chunks.append(chunk)
    if not chunks or not any(chunks):
        return {}
    if kind != "application/x-www-form-urlencoded":
        raise InputError("forms must be sent as application/x-www-form-urlencoded")
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the form is not valid UTF-8") from None
    return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=200))


async def _serve(request: Request, handler: Handler, role: str | None) -> Response:
    services: Services = request.app.state.services
    lang = _lang(request)
    session = None
    visitor = request.cookies.get(VISITOR_COOKIE, "")
    new_visitor = None
    if not visitor or len(visitor) > 100:
        visitor = new_visitor = secrets.token_urlsafe(32)
    stub = Page(request, services, lang, None, visitor, {}, new_visitor)
    try:
        if role is not None:
            token = request.cookies.get(STAFF_COOKIE, "")
            now = services.clock()
            session = await stub.read(lambda c: staff_ops.session_for(c, token, now))
            if session is None:
                if request.method == "GET":
                    target = quote(request.url.path, safe="/")
                    return RedirectResponse(f"/console/login?next={target}", status_code=303)
                return stub.render("error.html", 401, message=stub.t(
                    "登录已过期，请重新登录。", "Your session has expired; please log in again."
                ))  # fmt: skip
            if not staff_ops.has_role(session.staff.role, role):
                stub.staff = session
                stub.csrf = session.csrf
                return stub.render("error.html", 403, message=stub.t(
                    "您的角色无权执行此操作。", "Your role does not allow this."
                ))  # fmt: skip
        csrf = session.csrf if session else visitor
        form: dict[str, str] = {}
        if request.method == "POST":
            form = await _read_form(request)
            sent = form.get("csrf") or request.headers.get("x-csrf-token", "")
            if new_visitor is not None or not hmac.compare_digest(sent.encode(), csrf.encode()):
                stub.staff, stub.csrf = session, csrf
                return stub.render("error.html", 403, message=stub.t(
                    "表单已失效（CSRF 校验失败），请刷新页面后重试。",
                    "This form has expired (CSRF check failed); reload the page and try again.",
                ))  # fmt: skip
        current = Page(request, services, lang, session, csrf, form, new_visitor)
        try:
            response = await handler(current)
        except InputError as exc:
            return current.render("error.html", 400, message=str(exc))
        except AuthThrottledError as exc:
            response = current.render("error.html", 429, message=current.t(
                "失败次数过多，请稍后再试。", "Too many failed attempts; try again later."
            ))  # fmt: skip
            response.headers["retry-after"] = str(int(exc.retry_after))
            return response
        if "lang" in request.query_params:
            response.set_cookie(LANG_COOKIE, lang, samesite="lax", path="/")
        return response
    except InputError as exc:
        return stub.render("error.html", 400, message=str(exc))
    except StoreError as exc:
        log.error("console: %s", exc)
        return stub.render("error.html", 503, message=stub.t(
            "数据库暂不可用，请稍后再试。", "The database is unavailable; try again shortly."
        ))  # fmt: skip


def redirect(url: str) -> Response:
    """After a successful POST: back to a page (303, so reloading does not resubmit)."""
    response = RedirectResponse(url, status_code=303)
    _secure(response)
    return response


def int_param(value: str | None, default: int, *, lo: int = 0, hi: int = 1_000_000) -> int:
    try:
        number = int(value) if value not in (None, "") else default
    except ValueError:
        raise InputError(f"not a number: {value!r}") from None
    return max(lo, min(hi, number))


def wants_json(page: Page) -> bool:
    """``?format=json``: the page's data as JSON (its twin for scripts), same roles."""
    return page.request.query_params.get("format") == "json"


def json_page(data: Any) -> Response:
    """JSON of dataclasses, dicts and lists, times as ISO 8601 strings; never cached."""
    import dataclasses
    import json

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, bytes | memoryview):
            return None
        return str(value)

    body = json.dumps(data, ensure_ascii=False, default=plain)
    return Response(
        body,
        media_type="application/json",
        headers={"cache-control": "no-store", "x-content-type-options": "nosniff"},
    )
