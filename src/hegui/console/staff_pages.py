"""Staff console pages: login, dashboard, complaints and personal-information request queues.

Thin: read the form, call one :mod:`hegui.ops` function, redirect (303) or render.
"""

from __future__ import annotations

from sqlalchemy import Connection
from starlette.responses import JSONResponse, Response

from hegui.console.charts import bar_chart
from hegui.console.web import STAFF_COOKIE, Page, int_param, json_page, page, redirect, wants_json
from hegui.errors import InputError
from hegui.ops import complaints as complaint_ops
from hegui.ops import overview, personal_data
from hegui.ops import pi_requests as request_ops
from hegui.ops import staff as staff_ops

__all__: list[str] = []


def _plain(item: object) -> dict[str, object]:
    import dataclasses

    return dataclasses.asdict(item)  # type: ignore[call-overload,no-any-return]


def _next(value: str) -> str:
    """Only same-site console paths are followed after login (no open redirect)."""
    if value.startswith("/console/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/console/"


@page("/console/login")
async def login_form(p: Page) -> Response:
    return p.render("console/login.html", next=_next(p.request.query_params.get("next", "")))


@page("/console/login", methods=("POST",))
async def login(p: Page) -> Response:
    peer = p.request.client
    client = peer.host if peer else "unknown"
    settings, now = p.settings.console, p.now
    username, password = p.field("username"), p.field("password")
    session = await p.write(
        lambda c: staff_ops.log_in(c, username, password, client=client, settings=settings, now=now)
    )
    if session is None:
        return p.render(
            "console/login.html",
            401,
            next=_next(p.field("next")),
            error=p.t("用户名或密码错误。", "Wrong user name or password."),
        )
    response = redirect(_next(p.field("next")))
    response.set_cookie(
        STAFF_COOKIE,
        session.token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


@page("/console/logout", methods=("POST",), role="auditor")
async def logout(p: Page) -> Response:
    assert p.staff is not None
    token = p.staff.token
    await p.write(lambda c: staff_ops.end_session(c, token))
    response = redirect("/console/login")
    response.delete_cookie(STAFF_COOKIE, path="/")
    return response


@page("/console/", role="auditor")
async def dashboard(p: Page) -> Response:
    tz, now = p.settings.console.timezone, p.now
    data = await p.read(lambda c: overview.dashboard(c, tz=tz, now=now))
    if p.request.query_params.get("format") == "json":
        return JSONResponse(data)
    decisions = bar_chart(
        data["days"],
        {d: data["decisions"][d] for d in data["days"]},
        title=p.t("每日决策", "Decisions per day"),
    )
    codes = bar_chart(
        data["days"],
        {d: data["risk_codes"][d] for d in data["days"]},
        title=p.t("每日风险类别", "Risk codes per day"),
    )
    return p.render("console/dashboard.html", data=data, decisions=decisions, codes=codes)


# ------------------------------------------------------------------ complaints


@page("/console/complaints", role="auditor")
async def complaints(p: Page) -> Response:
    state = p.request.query_params.get("state", "open")
    offset = int_param(p.request.query_params.get("offset"), 0)
    keyring, now = p.keyring, p.now
    items = await p.read(
        lambda c: complaint_ops.list_complaints(
            c, keyring=keyring, now=now, state=state, offset=offset
        )
    )
    counts = await p.read(lambda c: complaint_ops.complaint_counts(c, now))
    if wants_json(p):
        return json_page(
            {"counts": counts, "items": [{**_plain(i), "overdue": i.overdue(now)} for i in items]}
        )
    template = (
        "console/complaint_rows.html"
        if p.request.headers.get("hx-request")
        else "console/complaints.html"
    )
    return p.render(
        template,
        items=items,
        counts=counts,
        state=state,
        offset=offset,
        now=now,
        categories=complaint_ops.CATEGORIES,
    )


@page("/console/complaints/escalate", methods=("POST",), role="reviewer")
async def complaints_escalate(p: Page) -> Response:
    actor, now = p.actor, p.now
    await p.write(lambda c: complaint_ops.escalate_overdue(c, actor=actor, now=now))
    return redirect("/console/complaints?state=overdue")


@page("/console/complaints/{cid}", role="auditor")
async def complaint_detail(p: Page) -> Response:
    cid, keyring = p.request.path_params["cid"], p.keyring
    item = await p.read(lambda c: complaint_ops.get_complaint(c, cid, keyring=keyring))
    staff = await p.read(staff_ops.list_staff)
    return p.render(
        "console/complaint.html",
        item=item,
        now=p.now,
        staff_list=staff,
        categories=complaint_ops.CATEGORIES,
    )


@page("/console/complaints/{cid}/assign", methods=("POST",), role="reviewer")
async def complaint_assign(p: Page) -> Response:
    cid, actor, now, who = p.request.path_params["cid"], p.actor, p.now, p.field("assignee")
    await p.write(lambda c: complaint_ops.assign_complaint(c, cid, who, actor=actor, now=now))
    return redirect(f"/console/complaints/{cid}")


@page("/console/complaints/{cid}/answer", methods=("POST",), role="reviewer")
async def complaint_answer(p: Page) -> Response:
    cid, actor, now, text = p.request.path_params["cid"], p.actor, p.now, p.field("answer")
    settings = p.settings.console
    await p.write(
        lambda c: complaint_ops.answer_complaint(
            c, cid, text, actor=actor, settings=settings, now=now
        )
    )
    return redirect(f"/console/complaints/{cid}")


# ------------------------------------------------------------------ personal-information requests


@page("/console/requests", role="auditor")
async def requests(p: Page) -> Response:
    state = p.request.query_params.get("state", "open")
    offset = int_param(p.request.query_params.get("offset"), 0)
    keyring, now = p.keyring, p.now
    items = await p.read(
        lambda c: request_ops.list_requests(c, keyring=keyring, now=now, state=state, offset=offset)
    )
    counts = await p.read(lambda c: request_ops.request_counts(c, now))
    if wants_json(p):
        return json_page(
            {"counts": counts, "items": [{**_plain(i), "overdue": i.overdue(now)} for i in items]}
        )
    return p.render(
        "console/requests.html",
        items=items,
        counts=counts,
        state=state,
        offset=offset,
        now=now,
        kinds=request_ops.KINDS,
    )


@page("/console/requests/{rid}", role="auditor")
async def request_detail(p: Page) -> Response:
    rid, keyring = p.request.path_params["rid"], p.keyring
    item = await p.read(lambda c: request_ops.get_request(c, rid, keyring=keyring))
    return p.render("console/request.html", item=item, now=p.now, kinds=request_ops.KINDS)


@page("/console/requests/{rid}/fulfil", methods=("POST",), role="reviewer")
async def request_fulfil(p: Page) -> Response:
    rid, keyring, actor, now = p.request.path_params["rid"], p.keyring, p.actor, p.now
    name, band, note = p.field("name"), p.field("age_band"), p.field("note")
    req = await p.write(
        lambda c: request_ops.fulfil_request(
            c, rid, keyring=keyring, actor=actor, name=name, age_band=band, note=note, now=now
        )
    )
    if req.kind in ("delete", "opt_out", "correct", "supplement"):
        await p.services.invalidate("*")  # erased or changed accounts leave every gateway cache
    return redirect(f"/console/requests/{rid}")


@page("/console/requests/{rid}/reject", methods=("POST",), role="reviewer")
async def request_reject(p: Page) -> Response:
    rid, keyring, actor, reason = (
        p.request.path_params["rid"],
        p.keyring,
        p.actor,
        p.field("reason"),
    )
    await p.write(
        lambda c: request_ops.reject_request(c, rid, reason, keyring=keyring, actor=actor)
    )
    return redirect(f"/console/requests/{rid}")


@page("/console/requests/{rid}/export", role="reviewer")
async def request_export(p: Page) -> Response:
    rid, keyring = p.request.path_params["rid"], p.keyring

    def build(conn: Connection) -> bytes:
        req = request_ops.get_request(conn, rid, keyring=keyring)
        if req.account_id is None:
            raise InputError("the account of this request no longer exists")
        data = personal_data.collect(conn, req.account_id, keyring=keyring)
        return personal_data.export_zip(data)

    blob = await p.read(build)
    return Response(
        blob,
        media_type="application/zip",
        headers={
            "content-disposition": f'attachment; filename="{rid}.zip"',
            "cache-control": "no-store",
        },
    )
