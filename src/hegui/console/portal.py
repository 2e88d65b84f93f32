"""The public portal (/portal): disclosure, agreement, complaints and reports, rights requests.

No login: a member of the public holds a tracking number (complaints, requests) or their API key
(agreement acceptance, personal-information requests, their export). Every form carries the
visitor's CSRF token; a complaint form also carries a one-time nonce so a double submission
files one complaint, not two.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, select
from starlette.responses import Response

from hegui.console.web import Page, page, redirect
from hegui.errors import InputError
from hegui.ops import agreements as agreement_ops
from hegui.ops import complaints as complaint_ops
from hegui.ops import disclosures as disclosure_ops
from hegui.ops import personal_data
from hegui.ops import pi_requests as request_ops
from hegui.store.schema import agreements

__all__: list[str] = []

_NONCES_KEPT = 10_000


@page("/portal/")
async def portal_home(p: Page) -> Response:
    return p.render("portal/index.html")


@page("/portal/disclosure")
async def portal_disclosure(p: Page) -> Response:
    current = await p.read(disclosure_ops.current_disclosure)
    return p.render("portal/disclosure.html", disclosure=current, fields=disclosure_ops.FIELDS)


def _agreement_history(conn: Connection) -> list[dict[str, object]]:
    rows = conn.execute(
        select(agreements).order_by(agreements.c.published_at.desc(), agreements.c.version.desc())
    )
    return [dict(r._mapping) for r in rows]


@page("/portal/agreement")
async def portal_agreement(p: Page) -> Response:
    history = await p.read(_agreement_history)
    return p.render("portal/agreement.html", history=history, accepted=None)


@page("/portal/agreement/accept", methods=("POST",))
async def portal_agreement_accept(p: Page) -> Response:
    api_key = p.field("api_key")

    def accept(conn: Connection) -> tuple[str, str]:
        account_id = request_ops.identify(conn, api_key)
        if account_id is None:
            raise InputError(p.t("API 密钥无效。", "That API key is not valid."))
        account = agreement_ops.accept_agreement(conn, account_id, actor=f"account:{account_id}")
        return account_id, account.agreement_version or ""

    account_id, version = await p.write(accept)
    history = await p.read(_agreement_history)
    # the gateway's cached view of the account still has the old version: drop it, everywhere
    await p.services.invalidate(f"account:{account_id}")
    return p.render("portal/agreement.html", history=history, accepted=version)


@page("/portal/complaints/new")
async def portal_complaint_form(p: Page) -> Response:
    return _complaint_form(p, {}, None)


def _complaint_form(p: Page, values: dict[str, str], error: str | None) -> Response:
    return p.render(
        "portal/complaint_form.html",
        400 if error else 200,
        categories=complaint_ops.CATEGORIES,
        values=values,
        error=error,
        nonce=secrets.token_urlsafe(16),
    )


def _fresh_nonce(p: Page) -> str:
    """The form's one-time nonce; a second submission of the same form is refused."""
    nonce = p.field("nonce")
    if not nonce or nonce in p.services.used_forms:
        raise InputError(p.t(
            "此表单已提交过；受理编号显示在上一次提交后的页面上。",
            "This form was already submitted; the tracking number was shown after the first submission.",
        ))  # fmt: skip
    return nonce


def _spend_nonce(p: Page, nonce: str) -> None:
    used = p.services.used_forms
    used[nonce] = None
    while len(used) > _NONCES_KEPT:
        del used[next(iter(used))]


@page("/portal/complaints/new", methods=("POST",))
async def portal_complaint_submit(p: Page) -> Response:
    nonce = _fresh_nonce(p)
    settings, keyring, now = p.settings.console, p.keyring, p.now
    try:
        complaint, tracking = await p.write(
            lambda c: complaint_ops.file_complaint(
                c,
                category=p.field("category"),
                content=p.field("content"),
                reference=p.field("reference"),
                contact=p.field("contact"),
                keyring=keyring,
                settings=settings,
                now=now,
            )
        )
    except InputError as exc:
        return _complaint_form(p, p.form, str(exc))
    _spend_nonce(p, nonce)
    return p.render("portal/complaint_done.html", tracking=tracking, complaint=complaint)


@page("/portal/status")
async def portal_status_form(p: Page) -> Response:
    return p.render("portal/status_form.html")


@page("/portal/status", methods=("POST",))
async def portal_status(p: Page) -> Response:
    tracking = p.field("tracking").strip()[:60]
    keyring = p.keyring
    if tracking.upper().startswith("R"):
        req = await p.read(lambda c: request_ops.request_by_tracking(c, tracking, keyring=keyring))
        if req is not None:
            return p.render(
                "portal/status.html", kind="request", item=req, kinds=request_ops.KINDS,
                tracking=tracking,
            )  # fmt: skip
    else:
        status = await p.read(lambda c: complaint_ops.public_status(c, tracking))
        if status is not None:
            return p.render(
                "portal/status.html", kind="complaint", item=status,
                categories=complaint_ops.CATEGORIES, tracking=tracking,
            )  # fmt: skip
    raise InputError(p.t("未找到该受理编号。", "No complaint or request has that tracking number."))


@page("/portal/status/export", methods=("POST",))
async def portal_export(p: Page) -> Response:
    """The person's own export: needs the request's tracking number *and* their API key."""
    tracking, api_key, keyring = p.field("tracking"), p.field("api_key"), p.keyring

    def build(conn: Connection) -> bytes:
        req = request_ops.request_by_tracking(conn, tracking, keyring=keyring)
        who = request_ops.identify(conn, api_key)
        if req is None or who is None or req.account_id != who:
            raise InputError(
                p.t("受理编号或 API 密钥不正确。", "Wrong tracking number or API key.")
            )
        if req.kind not in request_ops.EXPORT_KINDS or req.status != "done":
            raise InputError(
                p.t("该申请没有可下载的副本。", "This request has no export to download.")
            )
        return personal_data.export_zip(personal_data.collect(conn, who, keyring=keyring))

    blob = await p.read(build)
    return Response(
        blob,
        media_type="application/zip",
        headers={
            "content-disposition": 'attachment; filename="personal_data.zip"',
            "cache-control": "no-store",
        },
    )


@page("/portal/rights")
async def portal_rights(p: Page) -> Response:
    return p.render("portal/rights.html", kinds=request_ops.KINDS)


@page("/portal/rights/{kind}")
async def portal_rights_form(p: Page) -> Response:
    kind = p.request.path_params["kind"]
    if kind not in request_ops.KINDS:
        raise InputError(p.t("未知的申请类型。", "Unknown kind of request."))
    return p.render(
        "portal/rights_form.html",
        kind=kind,
        kinds=request_ops.KINDS,
        nonce=secrets.token_urlsafe(16),
    )


@page("/portal/rights/{kind}", methods=("POST",))
async def portal_rights_submit(p: Page) -> Response:
    kind = p.request.path_params["kind"]
    nonce = _fresh_nonce(p)
    api_key, detail = p.field("api_key"), p.field("detail")
    settings, keyring, now = p.settings.console, p.keyring, p.now

    def file(conn: Connection) -> tuple[request_ops.PiRequest, str]:
        account_id = request_ops.identify(conn, api_key)
        if account_id is None:
            raise InputError(
                p.t(
                    "API 密钥无效，无法核实身份。",
                    "That API key is not valid; identity not verified.",
                )
            )
        return request_ops.file_request(
            conn, account_id=account_id, kind=kind, detail=detail, keyring=keyring,
            settings=settings, now=now,
        )  # fmt: skip

    req, tracking = await p.write(file)
    _spend_nonce(p, nonce)
    return p.render("portal/rights_done.html", tracking=tracking, item=req, kinds=request_ops.KINDS)


@page("/portal")
async def portal_bare(p: Page) -> Response:
    return redirect("/portal/")
