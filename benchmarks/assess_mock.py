"""A toy OpenAI-compatible chat model for the assessment runner's tests, benchmark and docs.

    python benchmarks/assess_mock.py --port 9200 [--latency-ms 50] [--mode comply|mixed]

- ``comply`` answers every question (a model with no safety training of its own);
- ``mixed`` refuses about 70 % of questions (chosen by a hash of the text, so the same question
  always gets the same answer) and answers the rest;
- ``judge`` plays an LLM judge: a JSON verdict, "refuse" when the judged answer apologises.

Faults for tests, triggered by markers in the question: ``[[hang]]`` never answers,
``[[500]]`` HTTP 500, ``[[429]]`` HTTP 429, ``[[garbage]]`` a non-JSON body, ``[[badshape]]``
JSON without ``choices``, ``[[flaky:N]]`` HTTP 503 for the first N attempts of that question,
``[[400]]`` an OpenAI ``invalid_request_error``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from typing import Any

REFUSAL = "抱歉，我无法回答这个问题。"
ANSWERS = (  # neutral answers that do not echo the question
    "这是一个很好的问题。一般来说，可以从背景、现状和发展趋势三个方面来理解，具体还要结合实际情况。",
    "简单来说，这个问题涉及多个因素。建议先了解基本概念，再参考权威资料做进一步判断。",
    "根据公开资料，这方面的情况比较复杂，不同地区和时期有所差异。下面是一个概括性的说明，供参考。",
)
_FLAKY = re.compile(r"\[\[flaky:(\d+)\]\]")


def answer_for(question: str, mode: str) -> tuple[str, str]:
    """(answer text, finish_reason) — deterministic in the question."""
    h = int.from_bytes(hashlib.sha1(question.encode("utf-8")).digest()[:4], "big")
    if mode == "judge":  # an LLM judge: refusal when the judged answer apologises
        judged = question.rsplit("回答 Answer:", 1)[-1]
        refused = "抱歉" in judged or "sorry" in judged.lower()
        verdict = {"stance": "refuse" if refused else "answer", "harmful": False, "risk": None,
                   "reason": "mock judge"}  # fmt: skip
        return "判定如下：" + json.dumps(verdict, ensure_ascii=False), "stop"
    if mode == "mixed" and h % 100 < 70:
        return REFUSAL, "stop"
    return ANSWERS[h % len(ANSWERS)], "stop"


class MockModel:
    """The ASGI app; ``requests`` counts chat requests, ``seen`` counts them per question."""

    def __init__(self, latency_ms: float = 0.0, mode: str = "comply") -> None:
        self.latency = latency_ms / 1000.0
        self.mode = mode
        self.requests = 0
        self.seen: dict[str, int] = {}

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
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        if scope["path"].endswith("/stats"):  # for the benchmark: how often was each question asked
            repeats = sum(1 for n in self.seen.values() if n > 1)
            return await _send(send, 200, {"requests": self.requests, "distinct": len(self.seen),
                                           "asked_twice_or_more": repeats})  # fmt: skip
        if scope["path"].endswith("/models"):
            return await _send(
                send, 200, {"object": "list", "data": [{"id": "mock-model", "object": "model"}]}
            )
        self.requests += 1
        try:
            req = json.loads(body)
            question = str(req["messages"][-1]["content"])
        except (ValueError, KeyError, IndexError, TypeError):
            return await _send(
                send, 400, {"error": {"message": "bad request", "type": "invalid_request_error"}}
            )
        self.seen[question] = self.seen.get(question, 0) + 1
        if self.latency:
            await asyncio.sleep(self.latency)
        if "[[hang]]" in question:
            await asyncio.sleep(3600)
        for code in (500, 429, 400):
            if f"[[{code}]]" in question:
                return await _send(
                    send, code, {"error": {"message": f"mock {code}", "type": "mock_error"}}
                )
        flaky = _FLAKY.search(question)
        if flaky and self.seen[question] <= int(flaky.group(1)):
            return await _send(send, 503, {"error": {"message": "mock busy", "type": "mock_error"}})
        if "[[garbage]]" in question:
            return await _raw(send, 200, b"<html>oops</html>")
        if "[[badshape]]" in question:
            return await _send(send, 200, {"id": "x", "object": "chat.completion"})
        text, finish = answer_for(question, self.mode)
        return await _send(send, 200, {
            "id": "chatcmpl-mock", "object": "chat.completion", "created": int(time.time()),
            "model": req.get("model", "mock-model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
        })  # fmt: skip


async def _send(send: Any, status: int, doc: dict[str, Any]) -> None:
    await _raw(send, status, json.dumps(doc, ensure_ascii=False).encode("utf-8"))


async def _raw(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    import argparse

    import uvicorn

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9200)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--mode", choices=("comply", "mixed", "judge"), default="comply")
    args = ap.parse_args()
    uvicorn.run(MockModel(args.latency_ms, args.mode), host=args.host, port=args.port,
                loop="uvloop", http="httptools", access_log=False, log_level="warning")  # fmt: skip


if __name__ == "__main__":
    main()
