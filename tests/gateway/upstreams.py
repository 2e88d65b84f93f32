"""Upstreams that misbehave in time: answer late, or never, whatever the request says."""

from __future__ import annotations

import asyncio
import json
from typing import Any

MODELS = json.dumps(
    {"object": "list", "data": [{"id": "mock-model", "object": "model", "owned_by": "slow"}]}
).encode()


class SlowUpstream:
    """Answers ``GET /v1/models`` at once; every POST only after ``delay`` seconds (inf: never).

    Streamed answers are three SSE chunks of ``reply``; others one chat completion.
    """

    def __init__(self, delay: float, reply: str = "晚到的回答") -> None:
        self.delay = delay
        self.reply = reply
        self.posts = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                done = "startup" if msg["type"] == "lifespan.startup" else "shutdown"
                await send({"type": f"lifespan.{done}.complete"})
                if done == "shutdown":
                    return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        if scope["method"] == "GET":
            return await _answer(send, 200, MODELS, b"application/json")
        self.posts += 1
        await asyncio.sleep(3600 if self.delay == float("inf") else self.delay)
        if json.loads(body).get("stream"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")],
                }
            )
            for piece in (self.reply[:2], self.reply[2:], ""):
                delta = {"content": piece} if piece else {}
                doc = {"id": "c1", "object": "chat.completion.chunk", "model": "mock-model",
                       "choices": [{"index": 0, "delta": delta,
                                    "finish_reason": None if piece else "stop"}]}  # fmt: skip
                frame = b"data: " + json.dumps(doc, ensure_ascii=False).encode() + b"\n\n"
                await send({"type": "http.response.body", "body": frame, "more_body": True})
            await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})
            return
        doc = {
            "id": "c1",
            "object": "chat.completion",
            "model": "mock-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.reply},
                    "finish_reason": "stop",
                }
            ],
        }
        await _answer(send, 200, json.dumps(doc, ensure_ascii=False).encode(), b"application/json")


async def _answer(send: Any, status: int, body: bytes, ctype: bytes) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", ctype)]}
    )
    await send({"type": "http.response.body", "body": body})
