"""``/v1/chat/completions`` and ``/v1/completions``: check the prompt, call, check the answer.

Input: every text of the conversation goes through the engine (cached per message, so only new
turns cost a scan). Refuse → an ordinary answer with ``finish_reason: "content_filter"``;
block → HTTP 400; failed check → 503; redact → personal information masked before forwarding.
Output: non-streamed answers are allow-listed and checked whole here (:mod:`answers`); streams go
through :mod:`relay`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from hegui.gateway.answers import (
    choice_slots,
    clean_answer,
    follow_logprobs,
    label_choice,
    snapshot,
)
from hegui.gateway.body import while_connected
from hegui.gateway.channels import request_slots
from hegui.gateway.early_stream import EarlyStream
from hegui.gateway.end_user import pseudonymise_user
from hegui.gateway.errors import (
    ClientGoneError,
    GatewayError,
    to_gateway_error,
    upstream_failure,
)
from hegui.gateway.incidents import report_violation
from hegui.gateway.labels import LABEL_HEADER
from hegui.gateway.limits import check_item_count, check_text_size, text_size
from hegui.gateway.relay import StreamRelay
from hegui.gateway.responses import DEFAULT_REFUSAL, JSON_HEADERS, SSE_HEADERS, send_bytes
from hegui.gateway.schema import (
    chat_completion,
    chunk,
    include_usage,
    require_model,
    require_stream,
    usage_frame,
)
from hegui.gateway.stream import is_violation
from hegui.gateway.upstream.sse import DONE
from hegui.ops.records import AgeBand
from hegui.safety.types import Action, Verdict

if TYPE_CHECKING:
    from hegui.gateway.asgi import Receive, Send
    from hegui.gateway.exchange import Exchange
    from hegui.gateway.services import Services
    from hegui.gateway.upstream.transport import UpstreamResponse

__all__ = ["generate"]

# Upstream paths per endpoint (embeddings.py uses its entry too).
PATHS = {
    "chat": "/v1/chat/completions",
    "completions": "/v1/completions",
    "embeddings": "/v1/embeddings",
}


async def generate(
    services: Services,
    ex: Exchange,
    doc: dict[str, Any],
    raw: bytes,
    kind: str,
    send: Send,
    receive: Receive | None = None,
) -> None:
    g = services.gateway
    model = require_model(doc)
    ex.model = model
    stream = require_stream(doc)
    check_item_count(doc, kind, g.max_messages)
    slots = request_slots(doc, kind, unchecked=services.unchecked_fields)
    check_text_size(text_size([c[k] for c, k in slots]), g.max_checked_chars)
    if stream and "audio" in (doc.get("modalities") or ()):
        raise GatewayError(
            400,
            "Streamed audio answers are not supported: their audio cannot be held back with its"
            " transcript while it is checked. Ask without 'stream'.",
            code="invalid_request",
            param="modalities",
            decision="invalid",
        )
    services.pool.require(model)
    minor = ex.account is not None and ex.account.age_band is not AgeBand.ADULT
    conv = await services.moderation.conversation(slots, minor=minor)
    if services.store_content != "none":  # kept encrypted per policy, PI already masked
        ex.content = "\n".join(str(c[k]) for c, k in slots)
    ex.add_codes(conv.codes)
    verdict = conv.verdict
    if is_violation(verdict):
        info = await report_violation(
            services, ex, verdict, direction="input", stage="prompt", evidence=conv.evidence
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
        usage = stream and include_usage(doc)
        await _refusal(services, ex, model, kind, stream, verdict, info, send, usage)
        return
    body = raw
    if pseudonymise_user(doc, ex.account) or conv.redacted:
        body = orjson.dumps(doc)
    if conv.redacted:
        ex.decision = "redact"
    elif verdict.action in (Action.FLAG, Action.REVIEW):
        ex.decision = str(verdict.action)
    prefill = _prefill(doc) if kind == "chat" else ""
    if not stream:
        data = await while_connected(_fetch(services, model, PATHS[kind], body), receive)
        await _complete(services, ex, kind, minor, data, send, prefill)
        return
    label = services.labeler.implicit()
    early = EarlyStream(
        send,
        [*SSE_HEADERS, (LABEL_HEADER, label[1])],
        g.stream_headers_after,
        g.stream_keepalive_interval,
    )
    try:
        resp = await early.wait(while_connected(_call(services, model, PATHS[kind], body), receive))
    except ClientGoneError:
        raise
    except Exception as exc:
        if not early.started:
            raise
        err = to_gateway_error(exc)
        ex.status, ex.decision = err.status, err.decision
        await early.fail(err)
        return
    relay = StreamRelay(
        services, ex, kind, minor, send, receive, prefill, label=label, usage=include_usage(doc)
    )
    await relay.run(resp, started=early.started)


async def _fetch(services: Services, model: str, path: str, body: bytes) -> bytes:
    """A whole non-streamed answer (200 only, as :func:`_call`)."""
    resp = await _call(services, model, path, body)
    try:
        return await resp.read(services.max_upstream_bytes)
    finally:
        resp.close()


async def _call(services: Services, model: str, path: str, body: bytes) -> UpstreamResponse:
    """The upstream's answer when it is 200; its error as a :class:`GatewayError` otherwise."""
    resp = await services.pool.send(model, path, body)
    if resp.status != 200:
        try:
            data = await resp.read(services.max_upstream_bytes)
        finally:
            resp.close()
        raise upstream_failure(resp.status, data)
    return resp


def _prefill(doc: dict[str, Any]) -> str:
    """The assistant text a chat ends with (an answer continues it), as forwarded (checked)."""
    last = doc["messages"][-1]
    if last.get("role") != "assistant":
        return ""
    content = last.get("content")
    if isinstance(content, list):
        return "".join(
            p["text"] for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return content if isinstance(content, str) else ""


async def _refusal(
    services: Services,
    ex: Exchange,
    model: str,
    kind: str,
    stream: bool,
    verdict: Verdict,
    info: dict[str, Any],
    send: Send,
    usage: bool = False,
) -> None:
    fields, header = services.labeler.implicit()
    info["label"] = fields
    text = services.labeler.apply(verdict.message or DEFAULT_REFUSAL, ex.remind_rest)
    if not stream:
        doc = chat_completion(model, text, "content_filter", kind, info)
        await send_bytes(send, 200, orjson.dumps(doc), [*JSON_HEADERS, (LABEL_HEADER, header)])
        return
    frame = chunk({"model": model}, kind, 0, text, "content_filter", info)
    if kind == "chat":
        frame["choices"][0]["delta"]["role"] = "assistant"
    body = b"data: " + orjson.dumps(frame) + b"\n\n"
    if usage:  # nothing was forwarded: no tokens
        body += usage_frame(frame, kind, None)
    body += b"data: " + DONE.encode() + b"\n\n"
    await send_bytes(send, 200, body, [*SSE_HEADERS, (LABEL_HEADER, header)])


async def _complete(
    services: Services,
    ex: Exchange,
    kind: str,
    minor: bool,
    data: bytes,
    send: Send,
    prefill: str = "",
) -> None:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        doc = None
    answer = clean_answer(doc, kind, ex.model)  # only documented fields go on (answers.py)
    usage = answer.get("usage")
    if isinstance(usage, dict):
        ex.prompt_tokens = _int(usage.get("prompt_tokens"))
        ex.completion_tokens = _int(usage.get("completion_tokens"))
    fields, header = services.labeler.implicit()
    hegui: dict[str, Any] = {}

    async def check(text: str) -> Verdict:
        return await services.moderation.cached(text, "output", minor=minor)

    for choice in answer["choices"]:
        before = snapshot(choice, kind)
        slots = choice_slots(choice, kind)
        if prefill:  # judged with the end of the prefill it continues (a read-only copy)
            slots.insert(0, ([prefill[-services.moderation.window_width :]], 0))
        result = await services.moderation.conversation(slots, minor=minor, direction="output")
        ex.add_codes(result.codes)
        verdict = result.verdict
        if is_violation(verdict):
            hegui.update(
                await report_violation(
                    services,
                    ex,
                    verdict,
                    direction="output",
                    stage="completion",
                    evidence=result.evidence,
                )
            )
            message = services.labeler.apply(verdict.message or DEFAULT_REFUSAL, ex.remind_rest)
            if kind == "completions":
                choice["text"] = message
            else:
                choice["message"] = {"role": "assistant", "content": message}
            choice["finish_reason"] = "content_filter"
            choice["logprobs"] = None  # logprobs follow their text: none for a refused one
            continue
        if result.redacted:
            ex.decision = "redact"
        elif verdict.action is Action.REVIEW and ex.decision in ("allow", "flag"):
            ex.decision = "review"
        elif verdict.action is Action.FLAG and ex.decision == "allow":
            ex.decision = "flag"
        await follow_logprobs(choice, kind, before, check)
        label_choice(choice, kind, lambda t: services.labeler.apply(t, ex.remind_rest))
    hegui.setdefault("action", ex.decision)
    hegui["risk_codes"] = list(ex.codes)
    hegui["label"] = fields
    if ex.hegui:
        hegui.update(ex.hegui)
    answer["hegui"] = hegui
    await send_bytes(send, 200, orjson.dumps(answer), [*JSON_HEADERS, (LABEL_HEADER, header)])


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
