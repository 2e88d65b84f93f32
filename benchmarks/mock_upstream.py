"""A raw-ASGI OpenAI-compatible mock upstream for the gateway tests and benchmark.

Behaviour is chosen per request through an extra ``"mock"`` object in the JSON body, which the
gateway forwards untouched:

- ``reply``: answer text (default: a fixed 684-byte-class answer); ``chunks``: how many stream
  events (default 200; the reply is cut into that many pieces, or repeated to fill them);
  ``chunk_chars``: cut the reply into pieces of this many characters instead;
  ``gap_ms``: sleep between stream events;
- ``tool_args`` / ``reasoning``: stream these as tool-call arguments / ``reasoning_content``;
- ``comments``: interleave SSE comments and keep-alives; ``crlf``: use ``\\r\\n`` line ends;
  ``split_bytes``: send each event in pieces of this many bytes (splits UTF-8 characters);
- ``answer``: a whole JSON answer returned as is (non-streamed); ``events``: a list of JSON
  objects streamed as the SSE events, then ``[DONE]`` (for answers shaped in any way);
- ``stream_options.include_usage``: a usage chunk before ``[DONE]``, as OpenAI sends it;
- ``/embeddings``: eight numbers per input, from its bytes (``encoding_format: base64`` too);
- ``behaviour``: ``hang`` (never answer), ``hang_after:N`` (stall after N events),
  ``die_after:N`` (drop the connection after N events), ``garbage`` (non-JSON body),
  ``garbage_event`` (a non-JSON SSE event), ``status:500`` (HTTP error), ``no_done``.

Run alone: ``python benchmarks/mock_upstream.py --port 9100``.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import struct
import time
from typing import Any

REPLY = (
    "Hello! This is a mock answer from the upstream model. It has a few sentences of ordinary text "
    "so that the gateway has something realistic to check. 这是一个模拟的回答，用于测试网关。"
)
MODELS = ("mock-model", "mock-2", "mock-gap2")  # "gapN" in a model name: N ms between stream events


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 40)).save(buf, format="PNG")
    return buf.getvalue()


class MockUpstream:
    """The ASGI app. ``name`` appears in answers (``system_fingerprint``) to tell upstreams apart."""

    def __init__(self, name: str = "mock") -> None:
        self.name = name
        self.requests = 0
        self.aborted = 0  # streams cut short because the client (the gateway) went away
        self.last: dict[str, Any] | None = None  # the last JSON request body (what was forwarded)
        self._png: bytes | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path = scope["path"]
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        self.requests += 1
        if path.endswith("/models"):
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": self.name} for m in MODELS
            ]
            return await _send(send, 200, json.dumps({"object": "list", "data": data}).encode())
        if path.endswith("/image.png"):
            self._png = self._png or _png()
            return await _send(send, 200, self._png, b"image/png")
        try:
            req = json.loads(body)
        except ValueError:
            return await _send(
                send, 400, b'{"error":{"message":"bad json","type":"invalid_request_error"}}'
            )
        self.last = req if isinstance(req, dict) else None
        opts = req.get("mock") or {}
        behaviour = str(opts.get("behaviour", ""))
        if behaviour == "hang":
            await asyncio.sleep(3600)
        if behaviour.startswith("status:"):
            return await _send(send, int(behaviour[7:]), b'{"detail":"mock failure"}')
        if behaviour == "garbage":
            return await _send(send, 200, b"<html>not json", b"text/html")
        if isinstance(opts.get("events"), list) and req.get("stream"):
            return await self._events(send, opts["events"])
        if isinstance(opts.get("answer"), dict):
            return await _send(send, 200, json.dumps(opts["answer"], ensure_ascii=False).encode())
        if path.endswith("/images/generations"):
            return await self._image(send, req, opts)
        if path.endswith("/embeddings"):
            return await _send(send, 200, _embeddings(req))
        kind = "completions" if path.endswith("/v1/completions") else "chat"
        if req.get("stream"):
            return await self._stream(send, receive, req, opts, kind, behaviour)
        reply = str(opts.get("reply", REPLY))
        if kind == "completions":
            choice: dict[str, Any] = {
                "index": 0,
                "text": reply,
                "finish_reason": "stop",
                "logprobs": None,
            }
        else:
            message: dict[str, Any] = {"role": "assistant", "content": reply}
            if "tool_args" in opts:
                message["tool_calls"] = [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": opts["tool_args"]},
                    }
                ]
            choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
        doc = {
            "id": "chatcmpl-mock",
            "object": "chat.completion" if kind == "chat" else "text_completion",
            "created": int(time.time()),
            "model": req.get("model", "mock-model"),
            "system_fingerprint": self.name,
            "choices": [choice],
            "usage": {"prompt_tokens": 12, "completion_tokens": 40, "total_tokens": 52},
        }
        await _send(send, 200, json.dumps(doc, ensure_ascii=False).encode())

    async def _events(self, send: Any, events: list[Any]) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        for ev in events:
            frame = b"data: " + json.dumps(ev, ensure_ascii=False).encode() + b"\n\n"
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})

    async def _image(self, send: Any, req: dict[str, Any], opts: dict[str, Any]) -> None:
        self._png = self._png or _png()
        if opts.get("as_url"):
            item = {"url": str(opts["as_url"])}
        else:
            item = {"b64_json": base64.b64encode(self._png).decode()}
        n = req.get("n") if isinstance(req.get("n"), int) else 1
        data = [dict(item) for _ in range(max(1, min(n, 10)))]
        await _send(send, 200, json.dumps({"created": int(time.time()), "data": data}).encode())

    async def _stream(
        self,
        send: Any,
        receive: Any,
        req: dict[str, Any],
        opts: dict[str, Any],
        kind: str,
        behaviour: str,
    ) -> None:
        pieces = _pieces(str(opts.get("reply", REPLY)), opts)
        gap_match = re.search(r"gap(\d+)", str(req.get("model", "")))
        gap = float(opts.get("gap_ms", gap_match.group(1) if gap_match else 0)) / 1000.0
        nl = b"\r\n" if opts.get("crlf") else b"\n"
        split = int(opts.get("split_bytes", 0))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        base = {
            "id": "chatcmpl-mock",
            "object": "chat.completion.chunk" if kind == "chat" else "text_completion",
            "created": int(time.time()),
            "model": req.get("model", "mock-model"),
            "system_fingerprint": self.name,
        }
        events: list[dict[str, Any]] = []
        if kind == "chat":
            events.append(
                {
                    **base,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"role": "assistant", "content": ""},
                            "finish_reason": None,
                        }
                    ],
                }
            )
            for p in (
                _pieces(str(opts["reasoning"]), {"chunk_chars": 1}) if "reasoning" in opts else ()
            ):
                events.append(
                    {
                        **base,
                        "choices": [
                            {"index": 0, "delta": {"reasoning_content": p}, "finish_reason": None}
                        ],
                    }
                )
            for p in pieces:
                events.append(
                    {
                        **base,
                        "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}],
                    }
                )
            if "tool_args" in opts:
                events.append(
                    {
                        **base,
                        "choices": [
                            {
                                "index": 0,
                                "delta": {
                                    "tool_calls": [
                                        {
                                            "index": 0,
                                            "id": "call_1",
                                            "type": "function",
                                            "function": {"name": "lookup", "arguments": ""},
                                        }
                                    ]
                                },
                                "finish_reason": None,
                            }
                        ],
                    }
                )
                for p in _pieces(str(opts["tool_args"]), {"chunk_chars": 1}):
                    events.append(
                        {
                            **base,
                            "choices": [
                                {
                                    "index": 0,
                                    "delta": {
                                        "tool_calls": [{"index": 0, "function": {"arguments": p}}]
                                    },
                                    "finish_reason": None,
                                }
                            ],
                        }
                    )
            events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        else:
            for p in pieces:
                events.append({**base, "choices": [{"index": 0, "text": p, "finish_reason": None}]})
            events.append({**base, "choices": [{"index": 0, "text": "", "finish_reason": "stop"}]})
        options = req.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            usage = {"prompt_tokens": 12, "completion_tokens": 40, "total_tokens": 52}
            events.append({**base, "choices": [], "usage": usage})
        stop_at = (
            int(behaviour.split(":")[1])
            if ":" in behaviour and behaviour.split(":")[0] in ("die_after", "hang_after")
            else None
        )
        gone = asyncio.ensure_future(receive())  # completes when the client disconnects
        for i, ev in enumerate(events):
            if gone.done():  # like a real model server: stop generating for a gone client
                self.aborted += 1
                return
            if stop_at is not None and i == stop_at:
                if behaviour.startswith("hang_after"):
                    await asyncio.sleep(3600)
                raise RuntimeError("mock upstream dies mid-stream")
            frame = b""
            if opts.get("comments"):
                frame += b": keep-alive" + nl + nl + b":" + nl
            if behaviour == "garbage_event" and i == len(events) // 2:
                frame += b"data: {not json" + nl + nl
            frame += b"data: " + json.dumps(ev, ensure_ascii=False).encode() + nl + nl
            if split:
                for k in range(0, len(frame), split):
                    await send(
                        {
                            "type": "http.response.body",
                            "body": frame[k : k + split],
                            "more_body": True,
                        }
                    )
            else:
                await send({"type": "http.response.body", "body": frame, "more_body": True})
            if gap:
                await asyncio.sleep(gap)
        tail = b"" if behaviour == "no_done" else b"data: [DONE]" + nl + nl
        await send({"type": "http.response.body", "body": tail, "more_body": False})
        gone.cancel()


def _embeddings(req: dict[str, Any]) -> bytes:
    """Eight numbers per input from the bytes of its text (equal texts, equal vectors)."""
    texts = req["input"] if isinstance(req.get("input"), list) else [req.get("input")]
    data = []
    for i, text in enumerate(texts):
        raw = str(text).encode()
        vector = [round(sum(raw[k::8]) % 997 / 997.0, 6) for k in range(8)]
        if req.get("encoding_format") == "base64":
            item: Any = base64.b64encode(struct.pack("<8f", *vector)).decode()
        else:
            item = vector
        data.append({"object": "embedding", "index": i, "embedding": item})
    tokens = sum(len(str(t)) for t in texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    doc = {"object": "list", "data": data, "model": req.get("model"), "usage": usage}
    return json.dumps(doc).encode()


def _pieces(reply: str, opts: dict[str, Any]) -> list[str]:
    if "chunk_chars" in opts:
        n = max(1, int(opts["chunk_chars"]))
        return [reply[i : i + n] for i in range(0, len(reply), n)]
    count = int(opts.get("chunks", 200))
    if len(reply) >= count:
        step = -(-len(reply) // count)
        return [reply[i : i + step] for i in range(0, len(reply), step)]
    return [reply[i % len(reply)] for i in range(count)]


async def _send(send: Any, status: int, body: bytes, ctype: bytes = b"application/json") -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


app = MockUpstream()


def main() -> None:
    import argparse

    import uvicorn

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9100)
    ap.add_argument("--name", default="mock")
    args = ap.parse_args()
    uvicorn.run(
        MockUpstream(args.name),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
