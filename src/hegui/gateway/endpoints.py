"""The smaller endpoints: ``/v1/moderations``, ``/v1/images/generations``, ``/v1/models``.

``/v1/moderations`` answers in OpenAI's moderation schema with hegui risk codes mapped onto
OpenAI's categories; the full verdict is under ``results[].hegui``. Generated images get the
GB 45438 labels (visible notice + metadata); an image returned by URL is fetched through the
upstream client, labelled, and returned as ``b64_json`` (the URL is dropped, since the file behind
it carries no label). The image answer is an allow-list too: its ``revised_prompt`` is checked.
"""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING, Any

import orjson

from hegui.gateway.answers import clean_usage, ident
from hegui.gateway.channels import request_slots
from hegui.gateway.end_user import pseudonymise_user
from hegui.gateway.errors import GatewayError, upstream_failure
from hegui.gateway.incidents import refuse_input, report_violation
from hegui.gateway.labels import LABEL_HEADER
from hegui.gateway.limits import check_item_count, check_text_size, text_size
from hegui.gateway.responses import JSON_HEADERS, send_bytes
from hegui.gateway.schema import new_id, require_model
from hegui.gateway.stream import is_violation
from hegui.safety.types import Verdict

if TYPE_CHECKING:
    from hegui.gateway.asgi import Send
    from hegui.gateway.exchange import Exchange
    from hegui.gateway.services import Services

__all__ = ["CATEGORY_MAP", "OPENAI_CATEGORIES", "images", "list_models", "moderations"]

OPENAI_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

# hegui risk code (or its A.x prefix) → OpenAI moderation categories.
CATEGORY_MAP: dict[str, tuple[str, ...]] = {
    "A.1.a": ("illicit",),
    "A.1.b": ("illicit",),
    "A.1.c": ("illicit",),
    "A.1.d": ("violence", "illicit/violent"),
    "A.1.e": ("hate",),
    "A.1.f": ("violence", "sexual"),
    "A.1.g": ("illicit",),
    "A.1.h": ("illicit",),
    "A.2": ("hate",),
    "A.3": ("illicit",),
    "A.4.a": ("self-harm",),
    "A.4.b": ("harassment",),
    "A.4.c": ("harassment",),
    "A.4.d": ("harassment",),
}


def _categories(code: str) -> tuple[str, ...]:
    return CATEGORY_MAP.get(code) or CATEGORY_MAP.get(code[:3], ())


def moderation_result(verdict: Verdict) -> dict[str, Any]:
    scores = dict.fromkeys(OPENAI_CATEGORIES, 0.0)
    for risk in verdict.risks:
        for cat in _categories(risk.code):
            scores[cat] = max(scores[cat], round(risk.score, 4))
    flagged_cats = {c: scores[c] > 0 for c in OPENAI_CATEGORIES}
    return {
        "flagged": bool(verdict.risks) or verdict.failed,
        "categories": flagged_cats,
        "category_scores": scores,
        "hegui": verdict.to_dict(),
    }


async def moderations(services: Services, ex: Exchange, doc: dict[str, Any], send: Send) -> None:
    g = services.gateway
    check_item_count(doc, "moderations", g.max_messages)
    value = doc.get("input")
    if isinstance(value, str):
        texts = [value]
    elif isinstance(value, list):
        texts = []
        for item in value:
            if isinstance(item, str):
                texts.append(item)
            elif (
                isinstance(item, dict)
                and item.get("type") == "text"
                and isinstance(item.get("text"), str)
            ):
                texts.append(item["text"])
            elif isinstance(item, dict) and item.get("type") == "image_url":
                continue
            else:
                raise GatewayError(
                    400,
                    "'input' items must be strings or {type: text} objects.",
                    param="input",
                    decision="invalid",
                )
    else:
        raise GatewayError(
            400, "'input' must be a string or an array.", param="input", decision="invalid"
        )
    check_text_size(text_size(texts), g.max_checked_chars)
    ex.model = str(doc.get("model") or "hegui-moderation")
    results = []
    for verdict in await services.moderation.check_each(texts, "input"):
        ex.add_codes(verdict.codes)
        if verdict.failed:
            ex.decision = "failed"
        results.append(moderation_result(verdict))
    body = {"id": new_id("modr"), "model": ex.model, "results": results}
    await send_bytes(send, 200, orjson.dumps(body), JSON_HEADERS)


async def list_models(services: Services, send: Send) -> None:
    now = int(time.time())
    data = [
        {"id": m, "object": "model", "created": now, "owned_by": "hegui-upstream"}
        for m in services.pool.model_ids()
    ]
    await send_bytes(send, 200, orjson.dumps({"object": "list", "data": data}), JSON_HEADERS)


async def images(services: Services, ex: Exchange, doc: dict[str, Any], send: Send) -> None:
    model = doc.get("model") or "default"
    if not isinstance(model, str):
        raise GatewayError(400, "'model' must be a string.", param="model", decision="invalid")
    ex.model = require_model({"model": model})
    prompt = doc.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        raise GatewayError(
            400, "'prompt' must be a non-empty string.", param="prompt", decision="invalid"
        )
    services.pool.require()
    slots = request_slots(doc, "images", unchecked=services.unchecked_fields)
    check_text_size(text_size([c[k] for c, k in slots]), services.gateway.max_checked_chars)
    conv = await services.moderation.conversation(slots)
    ex.add_codes(conv.codes)
    verdict = conv.verdict
    if is_violation(verdict):
        await refuse_input(
            services,
            ex,
            conv,
            param="prompt",
            refused="The prompt was refused by the content policy.",
        )
    if conv.redacted:
        ex.decision = "redact"
    pseudonymise_user(doc, ex.account)
    resp = await services.pool.send(ex.model, "/v1/images/generations", orjson.dumps(doc))
    try:
        data = await resp.read(services.max_upstream_bytes)
    finally:
        resp.close()
    if resp.status != 200:
        raise upstream_failure(resp.status, data)
    try:
        answer = orjson.loads(data)
        items = answer["data"]
        assert isinstance(items, list)
    except (orjson.JSONDecodeError, KeyError, TypeError, AssertionError):
        raise GatewayError(
            502,
            "upstream returned an invalid image answer",
            type="upstream_error",
            code="upstream_invalid",
            decision="upstream_error",
        ) from None
    from hegui.labeling import label_image_bytes, new_label

    answer = await _clean_images(services, ex, answer, items)
    # Each image is its own piece of content, so each gets its own label (own ProduceID).
    labels = []
    for item in answer["data"]:
        raw = item.pop("raw", None)
        if raw is not None:
            label = new_label(services.labeling, producer=services.labeler.producer)
            labelled = label_image_bytes(raw, settings=services.labeling, label=label)
            item["b64_json"] = base64.b64encode(labelled).decode()
            labels.append(label.to_dict())
    if not labels:
        labels.append(new_label(services.labeling, producer=services.labeler.producer).to_dict())
    answer["hegui"] = {
        "action": ex.decision,
        "risk_codes": list(ex.codes),
        "label": labels[0],  # the header's label; ``labels`` has one per image, in order
        "labels": labels,
        **ex.hegui,
    }
    header = orjson.dumps(labels[0])
    await send_bytes(send, 200, orjson.dumps(answer), [*JSON_HEADERS, (LABEL_HEADER, header)])


async def _clean_images(
    services: Services, ex: Exchange, answer: dict[str, Any], items: list[Any]
) -> dict[str, Any]:
    """The allow-listed image answer: images (as bytes to label), ``revised_prompt`` checked,
    numeric usage, identifier-like settings; anything else the upstream sent is dropped.

    A prohibited ``revised_prompt`` means the image was drawn from it: the answer is withheld
    (400 ``content_filter``, an output incident).
    """
    clean: dict[str, Any] = {"created": answer.get("created")}
    if not isinstance(clean["created"], int) or isinstance(clean["created"], bool):
        clean["created"] = int(time.time())
    for key in ("background", "output_format", "quality", "size"):
        if ident(answer.get(key)):
            clean[key] = answer[key]
    usage = clean_usage(answer.get("usage"))
    if usage is not None:
        clean["usage"] = usage
    clean["data"] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        raw = None
        if isinstance(item.get("b64_json"), str):
            raw = base64.b64decode(item["b64_json"])
        elif isinstance(item.get("url"), str):
            raw = await services.images.fetch(item["url"])
        out: dict[str, Any] = {"raw": raw}
        if isinstance(item.get("revised_prompt"), str):
            out["revised_prompt"] = item["revised_prompt"]
        clean["data"].append(out)
    slots = [(d, "revised_prompt") for d in clean["data"] if d.get("revised_prompt")]
    conv = await services.moderation.conversation(slots, direction="output")
    ex.add_codes(conv.codes)
    if is_violation(conv.verdict):
        info = await report_violation(
            services,
            ex,
            conv.verdict,
            direction="output",
            stage="completion",
            evidence=conv.evidence,
        )
        status, code = (
            (503, "moderation_failed") if conv.verdict.failed else (400, "content_filter")
        )
        raise GatewayError(
            status,
            "The generated image was withheld by the content policy.",
            code=code,
            hegui=info,
            decision=info["action"],
        )
    if conv.redacted:
        ex.decision = "redact"
    return clean
