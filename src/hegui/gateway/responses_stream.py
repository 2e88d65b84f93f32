"""Rewrite what the chat path sends into the Responses API's shape, message by message.

:class:`ResponsesWriter` sits between the chat handler and the client as an ASGI ``send``. The
chat path has already checked, held back and labelled every text, so the writer only renames:

- a JSON answer (``chat.completion``) becomes one ``response`` object (:mod:`responses_output`);
- an SSE stream of ``chat.completion.chunk`` events becomes the Responses events
  ``response.created``, ``response.in_progress``, ``response.output_item.added``,
  ``response.content_part.added``, ``response.output_text.delta`` (``response.refusal.delta``,
  ``response.function_call_arguments.delta``), then for each item its ``.done`` events and
  ``response.output_item.done``, and last ``response.completed``, ``response.incomplete`` (a
  refusal or a stream stopped by the content policy: ``incomplete_details.reason:
  "content_filter"``) or ``response.failed`` (the upstream broke: ``error``). The ``hegui``
  object rides on the final ``response``. There is no ``[DONE]`` in this API.

Anything else (an error status, keep-alive comments) passes through unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from hegui.gateway.responses_output import (
    ResponseShape,
    function_call_item,
    message_item,
    new_item_id,
    status_of,
    text_part,
    usage_of,
)

if TYPE_CHECKING:
    from hegui.gateway.asgi import Message, Send

__all__ = ["ResponsesWriter"]

_PART_EVENT = {"output_text": "response.output_text", "refusal": "response.refusal"}


class _Part:
    __slots__ = ("kind", "logprobs", "text")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.text = ""
        self.logprobs: list[dict[str, Any]] = []

    def doc(self) -> dict[str, Any]:
        if self.kind == "refusal":
            return {"type": "refusal", "refusal": self.text}
        return text_part(self.text, logprobs=self.logprobs)


class _Call:
    __slots__ = ("arguments", "call_id", "item_id", "name")

    def __init__(self, call_id: str, name: str) -> None:
        self.item_id = new_item_id("fc")
        self.call_id = call_id
        self.name = name
        self.arguments = ""


class ResponsesWriter:
    """One per ``/v1/responses`` request; ``send`` is what the chat handler writes to."""

    def __init__(self, send: Send, shape: ResponseShape) -> None:
        self._out = send
        self.shape = shape
        self.mode = ""  # "" until the head: "sse", "json" or "pass"
        self._head: Message | None = None
        self._body = b""
        self._seq = 0
        self._items: list[str | _Call] = []  # output order: the message item's id, or a call
        self._msg_id: str | None = None
        self._parts: list[_Part] = []
        self._calls: dict[int, _Call] = {}
        self._finish: str | None = None
        self._hegui: dict[str, Any] | None = None
        self._usage: dict[str, Any] | None = None
        self._error: dict[str, Any] | None = None
        self._closed = False
        self._rows: list[dict[str, Any]] = []  # logprob rows not yet sent with a text delta

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self._start(message)
            return
        if self.mode == "pass":
            await self._out(message)
            return
        more = bool(message.get("more_body", False))
        self._body += message.get("body", b"")
        if self.mode == "json":
            if not more:
                await self._json()
            return
        frames = self._frames(final=not more)
        if not more and not self._closed:
            frames += self._close()
        if frames or not more:
            await self._out({"type": "http.response.body", "body": frames, "more_body": more})

    async def _start(self, message: Message) -> None:
        headers = list(message.get("headers", ()))
        ctype = next((bytes(v) for k, v in headers if k.lower() == b"content-type"), b"")
        if message["status"] != 200:
            self.mode = "pass"
        elif ctype.startswith(b"text/event-stream"):
            self.mode = "sse"
        else:
            self.mode = "json"
            self._head = message
            return
        if self.mode == "sse":  # the body is rewritten: its length is no longer known
            kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            message = {**message, "headers": kept}
        await self._out(message)
        if self.mode == "sse":
            opening = self.shape.build("in_progress", [])
            first = self._event("response.created", response=opening)
            first += self._event("response.in_progress", response=opening)
            await self._out({"type": "http.response.body", "body": first, "more_body": True})

    async def _json(self) -> None:
        assert self._head is not None
        try:
            answer = orjson.loads(self._body)
        except orjson.JSONDecodeError:
            answer = None
        body = self._body
        if isinstance(answer, dict) and isinstance(answer.get("choices"), list):
            body = orjson.dumps(self.shape.from_chat(answer))
        headers = [(k, v) for k, v in self._head["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self._out({**self._head, "headers": headers})
        await self._out({"type": "http.response.body", "body": body})

    # -------------------------------------------------------------- SSE
    def _event(self, kind: str, **fields: Any) -> bytes:
        doc = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(doc) + b"\n\n"

    def _frames(self, final: bool) -> bytes:
        text = self._body.replace(b"\r\n", b"\n")
        blocks = text.split(b"\n\n")
        self._body = b"" if final else blocks.pop()
        out = b""
        for block in blocks:
            if not block.strip():
                continue
            if block.startswith(b":"):
                out += block + b"\n\n"  # keep-alive comments keep their meaning
                continue
            data = b"\n".join(
                line[5:].lstrip(b" ") for line in block.split(b"\n") if line.startswith(b"data:")
            )
            if data == b"[DONE]":
                out += self._close()
                continue
            try:
                doc = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue
            if isinstance(doc, dict):
                out += self._chunk(doc)
        return out

    def _chunk(self, doc: dict[str, Any]) -> bytes:
        if isinstance(doc.get("hegui"), dict):
            self._hegui = doc["hegui"]
        if isinstance(doc.get("error"), dict):
            self._error = doc["error"]
            return b""
        if isinstance(doc.get("usage"), dict):
            self._usage = doc["usage"]
        out = b""
        for choice in doc.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue  # a response has one answer
            delta = choice.get("delta") or {}
            logprobs = choice.get("logprobs")
            if isinstance(logprobs, dict) and isinstance(logprobs.get("content"), list):
                self._rows += logprobs["content"]  # rows of released text (stream_logprobs.py)
            for key, kind in (("content", "output_text"), ("refusal", "refusal")):
                if isinstance(delta.get(key), str) and delta[key]:
                    out += self._text(kind, delta[key])
            for call in delta.get("tool_calls") or ():
                out += self._call(call)
            if isinstance(choice.get("finish_reason"), str):
                self._finish = choice["finish_reason"]
        return out

    def _text(self, kind: str, text: str) -> bytes:
        out = b""
        if self._msg_id is None:
            self._msg_id = new_item_id("msg")
            item = message_item(self._msg_id, [], "in_progress")
            out += self._event(
                "response.output_item.added", output_index=len(self._items), item=item
            )
            self._items.append(self._msg_id)
        where = {"item_id": self._msg_id, "output_index": self._items.index(self._msg_id)}
        if not self._parts or self._parts[-1].kind != kind:
            self._parts.append(_Part(kind))
            part = self._parts[-1]
            out += self._event(
                "response.content_part.added",
                **where,
                content_index=len(self._parts) - 1,
                part=part.doc(),
            )
        part = self._parts[-1]
        part.text += text
        extra: dict[str, Any] = {}
        if kind == "output_text":
            extra["logprobs"], self._rows = self._rows, []
            part.logprobs += extra["logprobs"]
        return out + self._event(
            f"{_PART_EVENT[kind]}.delta",
            **where,
            content_index=len(self._parts) - 1,
            delta=text,
            **extra,
        )

    def _call(self, tc: Any) -> bytes:
        if not isinstance(tc, dict):
            return b""
        index = tc.get("index", 0)
        fn = tc.get("function") or {}
        out = b""
        call = self._calls.get(index)
        if call is None:
            given = tc.get("id")
            call_id = given if isinstance(given, str) else new_item_id("call")
            call = self._calls[index] = _Call(call_id, str(fn.get("name") or ""))
            item = function_call_item(call.item_id, call.call_id, call.name, "", "in_progress")
            out += self._event(
                "response.output_item.added", output_index=len(self._items), item=item
            )
            self._items.append(call)
        elif isinstance(fn.get("name"), str) and not call.name:
            call.name = fn["name"]
        args = fn.get("arguments")
        if isinstance(args, str) and args:
            call.arguments += args
            out += self._event(
                "response.function_call_arguments.delta",
                item_id=call.item_id,
                output_index=self._items.index(call),
                delta=args,
            )
        return out

    def _close(self) -> bytes:
        """The ``.done`` events of every item, then the final ``response`` event."""
        if self._closed:
            return b""
        self._closed = True
        status, incomplete = status_of(self._finish)
        if self._error is not None:
            status, incomplete = "failed", None
        item_status = "completed" if status == "completed" else "incomplete"
        texts = [p for p in self._parts if p.kind == "output_text"]
        if texts and self._rows:  # rows released after the last text delta
            texts[-1].logprobs += self._rows
        out = b""
        output: list[dict[str, Any]] = []
        for n, entry in enumerate(self._items):
            if isinstance(entry, _Call):
                out += self._event(
                    "response.function_call_arguments.done",
                    item_id=entry.item_id,
                    output_index=n,
                    name=entry.name,
                    arguments=entry.arguments,
                )
                item = function_call_item(
                    entry.item_id, entry.call_id, entry.name, entry.arguments, item_status
                )
            else:
                for c, part in enumerate(self._parts):
                    where = {"item_id": entry, "output_index": n, "content_index": c}
                    if part.kind == "refusal":
                        out += self._event("response.refusal.done", **where, refusal=part.text)
                    else:
                        out += self._event(
                            "response.output_text.done",
                            **where,
                            text=part.text,
                            logprobs=part.logprobs,
                        )
                    out += self._event("response.content_part.done", **where, part=part.doc())
                item = message_item(entry, [p.doc() for p in self._parts], item_status)
            out += self._event("response.output_item.done", output_index=n, item=item)
            output.append(item)
        error = None
        if self._error is not None:
            error = {
                "code": str(self._error.get("code") or "server_error"),
                "message": str(self._error.get("message") or "the answer failed"),
            }
        final = self.shape.build(
            status,
            output,
            usage=usage_of(self._usage),
            incomplete=incomplete,
            error=error,
            hegui=self._hegui,
        )
        kind = {"completed": "response.completed", "incomplete": "response.incomplete"}
        return out + self._event(kind.get(status, "response.failed"), response=final)
