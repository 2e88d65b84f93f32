"""``POST /v1/embeddings``: inputs checked like chat input, then passed through to the upstream.

An embedding is not text anyone reads, but its input is user content sent to a model service:
the content policy and the personal-information policy apply as to a prompt. Each input is
checked (``input`` a string or a list of strings; token arrays are refused with a 400, since
token ids cannot be checked); a prohibited input answers 400 ``content_filter`` (503
``moderation_failed`` when the check failed) with the ``hegui`` object and an input incident;
personal information is masked before forwarding, so the vectors are those of the masked text.
The upstream's answer is rebuilt from the documented fields (vectors as numbers or base64, the
model, token usage), and its token usage goes on the usage record. No label: nothing generated
is shown to a person.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson

from hegui.gateway.answers import clean_usage, ident
from hegui.gateway.channels import request_slots
from hegui.gateway.chat import PATHS
from hegui.gateway.end_user import pseudonymise_user
from hegui.gateway.errors import GatewayError, upstream_failure
from hegui.gateway.incidents import refuse_input
from hegui.gateway.limits import check_item_count, check_text_size, text_size
from hegui.gateway.responses import JSON_HEADERS, send_bytes
from hegui.gateway.schema import require_model
from hegui.gateway.stream import is_violation
from hegui.ops.records import AgeBand
from hegui.safety.types import Action

if TYPE_CHECKING:
    from hegui.gateway.asgi import Send
    from hegui.gateway.exchange import Exchange
    from hegui.gateway.services import Services

__all__ = ["clean_embeddings", "embeddings"]

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


async def embeddings(services: Services, ex: Exchange, doc: dict[str, Any], send: Send) -> None:
    g = services.gateway
    ex.model = model = require_model(doc)
    check_item_count(doc, "embeddings", g.max_messages)
    slots = request_slots(doc, "embeddings", unchecked=services.unchecked_fields)
    check_text_size(text_size([c[k] for c, k in slots]), g.max_checked_chars)
    services.pool.require(model)
    minor = ex.account is not None and ex.account.age_band is not AgeBand.ADULT
    conv = await services.moderation.conversation(slots, minor=minor)
    if services.store_content != "none":
        ex.content = "\n".join(str(c[k]) for c, k in slots)
    ex.add_codes(conv.codes)
    verdict = conv.verdict
    if is_violation(verdict):
        await refuse_input(
            services,
            ex,
            conv,
            param="input",
            refused="The input was refused by the content policy.",
        )
    if conv.redacted:
        ex.decision = "redact"
    elif verdict.action in (Action.FLAG, Action.REVIEW):
        ex.decision = str(verdict.action)
    pseudonymise_user(doc, ex.account)
    resp = await services.pool.send(model, PATHS["embeddings"], orjson.dumps(doc))
    try:
        data = await resp.read(services.max_upstream_bytes)
    finally:
        resp.close()
    if resp.status != 200:
        raise upstream_failure(resp.status, data)
    answer = clean_embeddings(data, model)
    usage = answer.get("usage") or {}
    ex.prompt_tokens = _count(usage.get("prompt_tokens"))
    answer["hegui"] = {"action": ex.decision, "risk_codes": list(ex.codes), **ex.hegui}
    await send_bytes(send, 200, orjson.dumps(answer), JSON_HEADERS)


def clean_embeddings(data: bytes, model: str) -> dict[str, Any]:
    """The allow-listed embeddings answer; 502 when the upstream's is not one."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        doc = None
    items = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or not isinstance(items, list):
        raise _invalid()
    out: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise _invalid()
        vector = item.get("embedding")
        if isinstance(vector, str):
            if not _BASE64.fullmatch(vector):
                raise _invalid()
        elif not isinstance(vector, list) or not all(
            type(x) is float or type(x) is int for x in vector
        ):
            raise _invalid()
        index = item.get("index")
        index = index if type(index) is int else n
        out.append({"object": "embedding", "index": index, "embedding": vector})
    answer: dict[str, Any] = {
        "object": "list",
        "data": out,
        "model": ident(doc.get("model")) or model,
    }
    usage = clean_usage(doc.get("usage"))
    if usage is not None:
        answer["usage"] = usage
    return answer


def _invalid() -> GatewayError:
    return GatewayError(
        502,
        "upstream returned an answer that is not an OpenAI embeddings list",
        type="upstream_error",
        code="upstream_invalid",
        decision="upstream_error",
    )


def _count(value: Any) -> int:
    return value if type(value) is int else 0
