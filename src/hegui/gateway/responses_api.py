"""``POST /v1/responses``: the OpenAI Responses API, served by translation to chat completions.

Upstreams are OpenAI-compatible *chat* servers, so a Responses request is rewritten into the chat
request it stands for (:mod:`responses_input`) and served by the chat path itself
(:func:`hegui.gateway.chat.generate`): the same input checks, refusals, upstream call, output
checks, hold-and-release streaming with its stop (Art. 14), labels and usage record (endpoint
``responses``). What the chat path sends is renamed into the Responses shape on its way out
(:mod:`responses_stream`). Errors stay OpenAI error objects, as on every endpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from hegui.gateway.chat import generate
from hegui.gateway.responses_input import to_chat_request
from hegui.gateway.responses_output import ResponseShape
from hegui.gateway.responses_stream import ResponsesWriter

if TYPE_CHECKING:
    from hegui.gateway.asgi import Receive, Send
    from hegui.gateway.exchange import Exchange
    from hegui.gateway.services import Services

__all__ = ["responses"]


async def responses(
    services: Services,
    ex: Exchange,
    doc: dict[str, Any],
    send: Send,
    receive: Receive | None = None,
) -> None:
    chat = to_chat_request(doc, services.unchecked_fields)
    writer = ResponsesWriter(send, ResponseShape(doc, str(doc.get("model") or "")))
    await generate(services, ex, chat, orjson.dumps(chat), "chat", writer.send, receive)
