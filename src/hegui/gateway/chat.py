"""``/v1/chat/completions`` and ``/v1/completions``: check the prompt, call, check the answer.

Input: every text of the conversation goes through the engine (cached per message, so only new
turns cost a scan). Refuse → an ordinary answer with ``finish_reason: "content_filter"``;
block → HTTP 400; failed check → 503; redact → personal information masked before forwarding.
Output: non-streamed answers are checked whole here; streams go through :mod:`relay`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from hegui.gateway.backend import AgeBand
from hegui.gateway.errors import GatewayError
from hegui.gateway.incidents import report_violation
from hegui.gateway.labels import LABEL_HEADER
from hegui.gateway.schema import (
    chat_completion,
    chunk,
    input_slots,
    output_slots,
    require_model,
    require_stream,
)
from hegui.gateway.sse import DONE
from hegui.gateway.stream import is_violation
from hegui.safety.types import Action, Verdict

if TYPE_CHECKING:
    from hegui.gateway.app import Gateway, Receive, Send
    from hegui.gateway.exchange import Exchange
    from hegui.gateway.upstream import UpstreamResponse

__all__ = ["generate", "upstream_failure"]

PATHS = {"chat": "/v1/chat/completions", "completions": "/v1/completions"}
JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
DEFAULT_REFUSAL = "抱歉，这个问题我无法回答。"


async def generate(
    gw: Gateway,
    ex: Exchange,
    doc: dict[str, Any],
    raw: bytes,
    kind: str,
    send: Send,
    receive: Receive | None = None,
) -> None:
    model = require_model(doc)
    ex.model = model
    stream = require_stream(doc)
    slots = input_slots(doc, kind)
    if not gw.pool.upstreams:
        raise GatewayError(
            503,
            "No upstream model server is configured (hegui serve --upstream URL).",
            type="service_unavailable",
            code="no_upstream",
        )
    if not gw.pool.knows(model):
        raise GatewayError(
            404,
            f"The model `{model}` does not exist",
            code="model_not_found",
            param="model",
            decision="invalid",
        )
    minor = ex.account is not None and ex.account.age_band is not AgeBand.ADULT
    conv = await gw.moderation.conversation(slots, minor=minor)
    if gw.settings.store.store_content != "none":  # kept encrypted per policy, PI already masked
        ex.content = "\n".join(str(c[k]) for c, k in slots)
    ex.add_codes(conv.codes)
    verdict = conv.verdict
    if is_violation(verdict):
        info = await report_violation(
            gw, ex, verdict, direction="input", stage="prompt", evidence=conv.evidence
        )
        if verdict.failed:
            raise GatewayError(
                503,
                "The request could not be checked, so it was not served.",
                type="service_unavailable",
                code="moderation_failed",
                hegui=info,
                decision="failed",
            )
        if verdict.action is Action.BLOCK:
            raise GatewayError(
                400,
                "The request was blocked by the content policy.",
                code="content_filter",
                hegui=info,
                decision="block",
            )
        await _refusal(gw, ex, model, kind, stream, verdict, info, send)
        return
    body = raw
    if conv.redacted:
        ex.decision = "redact"
        body = orjson.dumps(doc)
    elif verdict.action in (Action.FLAG, Action.REVIEW):
        ex.decision = str(verdict.action)
    resp = await gw.pool.send(model, PATHS[kind], body)
    if resp.status != 200:
        try:
            data = await resp.read(gw.max_upstream_bytes)
        finally:
            resp.close()
        raise upstream_failure(resp.status, data)
    if stream:
        from hegui.gateway.relay import StreamRelay

        await StreamRelay(gw, ex, kind, minor, send, receive).run(resp)
    else:
        await _complete(gw, ex, kind, minor, resp, send)


def upstream_failure(status: int, data: bytes) -> GatewayError:
    """An upstream's non-200 answer: its own OpenAI error for 4xx, 502 for anything else."""
    err = None
    try:
        doc = orjson.loads(data)
        err = doc.get("error") if isinstance(doc, dict) else None
    except orjson.JSONDecodeError:
        pass
    if 400 <= status < 500 and isinstance(err, dict):
        return GatewayError(
            status,
            str(err.get("message") or "upstream rejected the request"),
            type=str(err.get("type") or "invalid_request_error"),
            code=err.get("code") if isinstance(err.get("code"), str) else None,
            param=err.get("param") if isinstance(err.get("param"), str) else None,
            decision="upstream_error",
        )
    return GatewayError(
        502,
        f"upstream answered HTTP {status}",
        type="upstream_error",
        code="upstream_error",
        decision="upstream_error",
    )


async def _refusal(
    gw: Gateway,
    ex: Exchange,
    model: str,
    kind: str,
    stream: bool,
    verdict: Verdict,
    info: dict[str, Any],
    send: Send,
) -> None:
    fields, header = gw.labeler.implicit()
    info["label"] = fields
    text = gw.labeler.apply(verdict.message or DEFAULT_REFUSAL, ex.remind_rest)
    if not stream:
        doc = chat_completion(model, text, "content_filter", kind, info)
        await send_bytes(send, 200, orjson.dumps(doc), [*JSON_HEADERS, (LABEL_HEADER, header)])
        return
    frame = chunk({"model": model}, kind, 0, text, "content_filter", info)
    if kind == "chat":
        frame["choices"][0]["delta"]["role"] = "assistant"
    body = b"data: " + orjson.dumps(frame) + b"\n\ndata: " + DONE.encode() + b"\n\n"
    await send_bytes(send, 200, body, [*SSE_HEADERS, (LABEL_HEADER, header)])


async def _complete(
    gw: Gateway, ex: Exchange, kind: str, minor: bool, resp: UpstreamResponse, send: Send
) -> None:
    try:
        data = await resp.read(gw.max_upstream_bytes)
    finally:
        resp.close()
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("choices"), list):
        raise GatewayError(
            502,
            "upstream returned an answer that is not an OpenAI completion",
            type="upstream_error",
            code="upstream_invalid",
            decision="upstream_error",
        )
    usage = doc.get("usage")
    if isinstance(usage, dict):
        ex.prompt_tokens = _int(usage.get("prompt_tokens"))
        ex.completion_tokens = _int(usage.get("completion_tokens"))
    bad: dict[Any, tuple[Verdict, str]] = {}
    for idx, container, key in output_slots(doc, kind):
        if idx in bad:
            continue
        text = container[key]
        verdict = await gw.moderation.acheck(text, "output", minor=minor)
        if verdict.action is not Action.ALLOW:
            ex.add_codes(verdict.codes)
        if is_violation(verdict):
            bad[idx] = (verdict, text)
        elif verdict.action is Action.REDACT and verdict.redacted is not None:
            container[key] = verdict.redacted
            ex.decision = "redact"
        elif verdict.action is Action.REVIEW and ex.decision in ("allow", "flag"):
            ex.decision = "review"
        elif verdict.action is Action.FLAG and ex.decision == "allow":
            ex.decision = "flag"
    fields, header = gw.labeler.implicit()
    hegui: dict[str, Any] = {}
    for n, choice in enumerate(doc["choices"]):
        if not isinstance(choice, dict):
            continue
        idx = choice.get("index", n)
        if idx in bad:
            verdict, text = bad[idx]
            hegui.update(
                await report_violation(
                    gw, ex, verdict, direction="output", stage="completion", evidence=text
                )
            )
            message = gw.labeler.apply(verdict.message or DEFAULT_REFUSAL, ex.remind_rest)
            if kind == "completions":
                choice["text"] = message
            else:
                choice["message"] = {"role": "assistant", "content": message}
            choice["finish_reason"] = "content_filter"
        else:
            _label_choice(gw, ex, kind, choice)
    hegui.setdefault("action", ex.decision)
    hegui["risk_codes"] = list(ex.codes)
    hegui["label"] = fields
    if ex.hegui:
        hegui.update(ex.hegui)
    doc["hegui"] = hegui
    await send_bytes(send, 200, orjson.dumps(doc), [*JSON_HEADERS, (LABEL_HEADER, header)])


def _label_choice(gw: Gateway, ex: Exchange, kind: str, choice: dict[str, Any]) -> None:
    if kind == "completions":
        if isinstance(choice.get("text"), str):
            choice["text"] = gw.labeler.apply(choice["text"], ex.remind_rest)
        return
    msg = choice.get("message")
    if isinstance(msg, dict) and isinstance(msg.get("content"), str):
        msg["content"] = gw.labeler.apply(msg["content"], ex.remind_rest)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


async def send_bytes(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
