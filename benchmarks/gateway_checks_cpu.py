"""CPU per request of the gateway's checking plumbing, with the engine stubbed out.

Run: python benchmarks/gateway_checks_cpu.py [--requests 3000]

What issue 11 added around the engine, measured in process (least CPU time of 5 runs, so a
loaded machine inflates it less than wall-clock benchmarks): finding every request string
(``channels.request_slots``) and judging the conversation (``Moderation.conversation``: each text,
the boundary windows, the join-instruction scan) for the gateway benchmark's one-message prompt
and for a four-turn chat with a system prompt; rebuilding and checking the benchmark's answer
(``answers.clean_answer`` + ``choice_slots``). The engine is a stub that allows everything: its
own cost is ``benchmarks/engine_latency.py``'s, paid once per text or window.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import time
from typing import Any

PROMPT = "请用两三句话介绍一下杭州的西湖，以及适合游览的季节。"
REPLY = (
    "Hello! This is a mock answer from the upstream model. It has a few sentences of ordinary text "
    "so that the gateway has something realistic to check. 这是一个模拟的回答，用于测试网关。"
)
BODIES: dict[str, dict[str, Any]] = {
    "one message (the gateway benchmark's)": {
        "model": "m",
        "messages": [{"role": "user", "content": PROMPT}],
    },
    "system + 3 turns": {
        "model": "m",
        "messages": [
            {"role": "system", "content": "你是一个乐于助人的助手。"},
            {"role": "user", "content": PROMPT},
            {"role": "assistant", "content": REPLY},
            {"role": "user", "content": "还有别的推荐吗？"},
        ],
    },
}
ANSWER = {
    "id": "chatcmpl-mock",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 40, "total_tokens": 52},
}


class _Allow:
    def check(self, text: str, direction: Any = "input", context: Any = None) -> Any:
        from hegui.safety.types import Action, Verdict

        return Verdict(safe=True, action=Action.ALLOW, score=0.0)


async def _run(n: int) -> None:
    from hegui.gateway.answers import choice_slots, clean_answer
    from hegui.gateway.channels import request_slots
    from hegui.gateway.moderation import Moderation

    mod = Moderation(_Allow())
    print("| work per request (engine stubbed) | CPU µs |")
    print("|---|---:|")
    for name, body in BODIES.items():
        best = float("inf")
        for _ in range(5):
            docs = [copy.deepcopy(body) for _ in range(n)]
            for i, doc in enumerate(docs):  # new prompts: the verdict cache cannot answer
                doc["messages"][-1]["content"] += str(i)
            t0 = time.process_time()
            for doc in docs:
                await mod.conversation(request_slots(doc, "chat"))
            best = min(best, (time.process_time() - t0) / n)
        print(f"| request: {name} | {best * 1e6:.1f} |")
    best = float("inf")
    for _ in range(5):
        docs = [copy.deepcopy(ANSWER) for _ in range(n)]
        t0 = time.process_time()
        for doc in docs:
            for choice in clean_answer(doc, "chat", "m")["choices"]:
                await mod.conversation(choice_slots(choice, "chat"), direction="output")
        best = min(best, (time.process_time() - t0) / n)
    print(f"| answer: rebuild from the allow-list and check | {best * 1e6:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=3000)
    asyncio.run(_run(ap.parse_args().requests))


if __name__ == "__main__":
    main()
