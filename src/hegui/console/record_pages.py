"""Staff console pages over records: users and sanctions, incidents, agreements, disclosures,
the audit log and staff accounts. Thin: read the form, call one ops function, redirect.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from sqlalchemy import Connection, select
from starlette.responses import Response

from hegui.console.web import Page, int_param, json_page, page, redirect, wants_json
from hegui.errors import InputError
from hegui.ops import accounts as account_ops
from hegui.ops import agreements as agreement_ops
from hegui.ops import disclosures as disclosure_ops
from hegui.ops import incident_actions as incident_ops
from hegui.ops import lexicon_terms, overview, safe_answers, sanctions
from hegui.ops import staff as staff_ops
from hegui.ops.incidents import get_incident
from hegui.store.schema import agreements

__all__: list[str] = []


# ------------------------------------------------------------------ users and sanctions


@page("/console/users", role="auditor")
async def users(p: Page) -> Response:
    query = p.request.query_params.get("q", "")
    found = await p.read(lambda c: overview.find_accounts(c, query))
    if wants_json(p):
        return json_page({"items": found})
    return p.render("console/users.html", users=found, q=query)


@page("/console/users/{aid}", role="auditor")
async def user_detail(p: Page) -> Response:
    aid = p.request.path_params["aid"]
    account = await p.read(lambda c: account_ops.get_account(c, aid))
    history = await p.read(lambda c: overview.sanction_history(c, aid))
    return p.render("console/user.html", account=account, history=history, ladder=sanctions.LADDER)


@page("/console/users/{aid}/sanction", methods=("POST",), role="reviewer")
async def user_sanction(p: Page) -> Response:
    aid, actor, now = p.request.path_params["aid"], p.actor, p.now
    step = sanctions.parse_sanction(p.field("sanction"))
    reason = p.field("reason")
    until = None
    if p.field("until").strip():
        try:
            until = datetime.fromisoformat(p.field("until").strip())
        except ValueError:
            raise InputError("end time must look like 2026-12-31T18:00") from None
        if until.tzinfo is None:
            from zoneinfo import ZoneInfo

            until = until.replace(tzinfo=ZoneInfo(p.settings.console.timezone))
    await p.write(
        lambda c: sanctions.set_sanction(
            c, aid, step, reason=reason, actor=actor, until=until, now=now
        )
    )
    await p.services.invalidate(f"account:{aid}")  # enforced at once, on every replica
    return redirect(f"/console/users/{aid}")


# ------------------------------------------------------------------ incidents


@page("/console/incidents", role="auditor")
async def incidents(p: Page) -> Response:
    state = p.request.query_params.get("state", "open")
    offset = int_param(p.request.query_params.get("offset"), 0)
    items = await p.read(lambda c: incident_ops.list_incidents(c, state=state, offset=offset))
    counts = await p.read(incident_ops.incident_counts)
    if wants_json(p):
        return json_page({"counts": counts, "items": items})
    return p.render(
        "console/incidents.html", items=items, counts=counts, state=state, offset=offset
    )


@page("/console/incidents", methods=("POST",), role="reviewer")
async def incident_create(p: Page) -> Response:
    keyring, actor, now = p.keyring, p.actor, p.now
    codes = p.field("risk_codes").replace("，", ",").split(",")
    description = p.field("description")
    iid = await p.write(
        lambda c: incident_ops.open_incident(
            c, risk_codes=codes, description=description, keyring=keyring, actor=actor, now=now
        )
    )
    return redirect(f"/console/incidents/{iid}")


@page("/console/incidents/{iid}", role="auditor")
async def incident_detail(p: Page) -> Response:
    iid, keyring = p.request.path_params["iid"], p.keyring
    item = await p.read(lambda c: get_incident(c, iid, keyring=keyring))
    actions = await p.read(lambda c: incident_ops.list_actions(c, iid))
    return p.render(
        "console/incident.html", item=item, actions=actions, kinds=incident_ops.ACTION_KINDS
    )


@page("/console/incidents/{iid}/actions", methods=("POST",), role="reviewer")
async def incident_action(p: Page) -> Response:
    iid, actor, now = p.request.path_params["iid"], p.actor, p.now
    kind, note = p.field("kind"), p.field("note")
    await p.write(lambda c: incident_ops.add_action(c, iid, kind, note, actor=actor, now=now))
    return redirect(f"/console/incidents/{iid}")


@page("/console/incidents/{iid}/actions/{aid}/close", methods=("POST",), role="reviewer")
async def incident_action_close(p: Page) -> Response:
    iid, actor, now = p.request.path_params["iid"], p.actor, p.now
    aid = int_param(p.request.path_params["aid"], 0)
    note = p.field("note")
    await p.write(lambda c: incident_ops.close_action(c, aid, note, actor=actor, now=now))
    return redirect(f"/console/incidents/{iid}")


@page("/console/incidents/{iid}/close", methods=("POST",), role="reviewer")
async def incident_close(p: Page) -> Response:
    iid, actor, now = p.request.path_params["iid"], p.actor, p.now
    await p.write(lambda c: incident_ops.close_incident(c, iid, actor=actor, now=now))
    return redirect(f"/console/incidents/{iid}")


@page("/console/incidents/{iid}/report.json", role="auditor")
async def incident_report(p: Page) -> Response:
    iid, keyring = p.request.path_params["iid"], p.keyring
    report = await p.read(lambda c: incident_ops.incident_report(c, iid, keyring=keyring))
    body = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    return Response(
        body,
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="{iid}.json"',
            "cache-control": "no-store",
        },
    )


@page("/console/incidents/{iid}/report.pdf", role="auditor")
async def incident_report_pdf(p: Page) -> Response:
    from hegui.console.report_pdf import incident_pdf

    iid, keyring = p.request.path_params["iid"], p.keyring
    report = await p.read(lambda c: incident_ops.incident_report(c, iid, keyring=keyring))
    pdf = await asyncio.to_thread(incident_pdf, report, incident_ops.ACTION_KINDS)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "content-disposition": f'attachment; filename="{iid}.pdf"',
            "cache-control": "no-store",
        },
    )


# ------------------------------------------------------------------ agreements and disclosures


def _agreements(conn: Connection) -> list[dict[str, object]]:
    rows = conn.execute(select(agreements).order_by(agreements.c.published_at.desc()))
    return [dict(r._mapping) for r in rows]


@page("/console/agreements", role="auditor")
async def agreement_list(p: Page) -> Response:
    return p.render("console/agreements.html", history=await p.read(_agreements))


@page("/console/agreements", methods=("POST",), role="admin")
async def agreement_publish(p: Page) -> Response:
    version, url, text, actor, now = (
        p.field("version"),
        p.field("url"),
        p.field("text"),
        p.actor,
        p.now,
    )
    if not text.strip():
        raise InputError(p.t("协议正文不能为空。", "The agreement text must not be empty."))
    if len(text) > 200_000:
        raise InputError("the agreement text is longer than 200,000 characters")
    await p.write(
        lambda c: agreement_ops.publish_agreement(
            c, version, url or "/portal/agreement", actor=actor, text=text, now=now
        )
    )
    await p.services.invalidate("agreement:published")  # everyone is asked to accept again
    return redirect("/console/agreements")


@page("/console/disclosures", role="auditor")
async def disclosure_list(p: Page) -> Response:
    history = await p.read(disclosure_ops.disclosure_history)
    return p.render("console/disclosures.html", history=history, fields=disclosure_ops.FIELDS)


@page("/console/disclosures", methods=("POST",), role="admin")
async def disclosure_publish(p: Page) -> Response:
    content = {k: p.field(k) for k in disclosure_ops.FIELDS}
    version, actor, now = p.field("version"), p.actor, p.now
    limit = p.settings.console.max_field_chars
    await p.write(
        lambda c: disclosure_ops.publish_disclosure(
            c, version, content, actor=actor, limit=limit, now=now
        )
    )
    return redirect("/console/disclosures")


# ------------------------------------------------------------------ audit log and staff


@page("/console/audit", role="auditor")
async def audit_log(p: Page) -> Response:
    params = p.request.query_params
    before = int_param(params.get("before"), 0) or None
    check = params.get("check") == "1"
    data = await p.read(lambda c: overview.audit_page(c, before=before, check=check))
    if wants_json(p):
        return json_page(data)
    return p.render("console/audit.html", events=data["events"], verify=data["verify"])


@page("/console/staff", role="admin")
async def staff_list(p: Page) -> Response:
    members = await p.read(staff_ops.list_staff)
    return p.render("console/staff.html", members=members, roles=staff_ops.ROLES)


@page("/console/staff", methods=("POST",), role="admin")
async def staff_create(p: Page) -> Response:
    fields = {k: p.field(k) for k in ("username", "name", "role", "password")}
    actor, now = p.actor, p.now
    await p.write(lambda c: staff_ops.create_staff(c, **fields, actor=actor, now=now))
    return redirect("/console/staff")


# ------------------------------------------------------------------ safe answers


@page("/console/safe-answers", role="auditor")
async def safe_answer_list(p: Page) -> Response:
    items = await p.read(safe_answers.list_answers)
    probe = p.request.query_params.get("probe", "")[:2000]
    match = None
    if probe.strip():
        index = await p.read(safe_answers.load_active)
        match = safe_answers.best_match(index, probe, 0.0)
    return p.render(
        "console/safe_answers.html",
        items=items,
        probe=probe,
        match=match,
        threshold=p.settings.console.safe_answer_threshold,
    )


@page("/console/safe-answers", methods=("POST",), role="reviewer")
async def safe_answer_add(p: Page) -> Response:
    question, answer, actor = p.field("question"), p.field("answer"), p.actor
    await p.write(lambda c: safe_answers.add_answer(c, question, answer, actor=actor))
    return redirect("/console/safe-answers")


@page("/console/safe-answers/{sid}/toggle", methods=("POST",), role="reviewer")
async def safe_answer_toggle(p: Page) -> Response:
    sid, actor = int_param(p.request.path_params["sid"], 0), p.actor
    active = p.field("active") == "1"
    await p.write(lambda c: safe_answers.set_active(c, sid, active, actor=actor))
    return redirect("/console/safe-answers")


# ------------------------------------------------------------------ lexicon terms


@page("/console/lexicon", role="auditor")
async def lexicon_list(p: Page) -> Response:
    query = p.request.query_params.get("q", "")[:100]
    terms = await p.read(lambda c: lexicon_terms.list_terms(c, query))
    builtin = await asyncio.to_thread(lexicon_terms.search_builtin, query) if query else []
    return p.render("console/lexicon.html", terms=terms, builtin=builtin, q=query)


@page("/console/lexicon", methods=("POST",), role="reviewer")
async def lexicon_add(p: Page) -> Response:
    term, code, severity, note, actor = (
        p.field("term"),
        p.field("code"),
        p.field("severity") or "high",
        p.field("note"),
        p.actor,
    )
    await p.write(
        lambda c: lexicon_terms.add_term(c, term, code, severity=severity, note=note, actor=actor)
    )
    return redirect("/console/lexicon")


@page("/console/lexicon/{tid}/toggle", methods=("POST",), role="reviewer")
async def lexicon_toggle(p: Page) -> Response:
    tid, actor = int_param(p.request.path_params["tid"], 0), p.actor
    active = p.field("active") == "1"
    await p.write(lambda c: lexicon_terms.set_term_active(c, tid, active, actor=actor))
    return redirect("/console/lexicon")
