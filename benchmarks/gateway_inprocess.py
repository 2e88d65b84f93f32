"""CPU and time per request of the gateway's own path, in process: no network, no other server.

    python benchmarks/gateway_inprocess.py [--requests 2000] [--concurrency 1] [--stub]
        [--no-log] [--journal /dev/shm/hegui-journal] [--profile tottime]

The real :class:`~hegui.gateway.app.Gateway` over the real store backend (SQLite, usage journal,
writer process) answers unique chat requests sent straight to its ASGI interface; the upstream is
a canned answer (no socket), so what is measured is hegui's own work: admission, checks (or a
stub engine with ``--stub``), the usage record and its journal, the access log. Reports the event
loop thread's CPU, the whole process's CPU (journal and log threads included; the writer process
is not) and wall time per request. CPU time is steady on a busy machine where wall time is not;
``--journal`` on a tmpfs folder takes the disk's ``fdatasync`` out of the wall time. To compare
two versions, run this file with ``PYTHONPATH=<other checkout>/src`` in the same minute.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import io
import os
import pstats
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import orjson

PROMPT = "请用两三句话介绍一下杭州的西湖，以及适合游览的季节。"
REPLY = (
    "Hello! This is a mock answer from the upstream model. It has a few sentences of ordinary text "
    "so that the gateway has something realistic to check. 这是一个模拟的回答，用于测试网关。"
)
ANSWER = orjson.dumps(
    {
        "id": "chatcmpl-x",
        "object": "chat.completion",
        "created": 1,
        "model": "mock-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": REPLY},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 40, "total_tokens": 52},
    }
)
MODELS = orjson.dumps({"object": "list", "data": [{"id": "mock-model", "object": "model"}]})


class _Canned:
    """An upstream response that is already complete."""

    def __init__(self, body: bytes) -> None:
        self.status = 200
        self.headers = {"content-type": "application/json"}
        self._body = body

    async def read(self, limit: int) -> bytes:
        return self._body

    async def _chunks(self) -> AsyncIterator[bytes]:
        yield self._body

    def chunks(self) -> AsyncIterator[bytes]:
        return self._chunks()

    def close(self) -> None:
        pass


class CannedTransport:
    async def request(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str], timeout: float
    ) -> _Canned:
        return _Canned(MODELS if url.endswith("/models") else ANSWER)

    async def close(self) -> None:
        pass


class AllowAll:
    def check(self, text: str, direction: object = "input", context: object = None) -> Any:
        from hegui.safety.types import Action, Verdict

        return Verdict(safe=True, action=Action.ALLOW, score=0.0)


def build(args: argparse.Namespace, tmp: Path) -> Any:
    from hegui.config import Settings
    from hegui.gateway.app import create_app, tune_gc
    from hegui.gateway.logging_setup import configure_logging

    store: dict[str, Any] = {
        "url": f"sqlite:///{tmp / 'hegui.db'}",
        "secret_key": base64.b64encode(os.urandom(32)).decode(),
    }
    if args.journal:
        store["usage_journal"] = str(Path(args.journal) / tmp.name)
    settings = Settings.model_validate(
        {
            "store": store,
            "gateway": {
                "upstreams": ["http://127.0.0.1:9/v1"],
                "health_interval": 0,
                "require_api_key": False,
            },
            "labeling": {"uscc": "91350100M000100Y43"},
            "rate_limit": {"requests_per_minute": 0},
        }
    )
    if not args.no_log:
        configure_logging("info", "text", stream=(tmp / "log.txt").open("w", encoding="utf-8"))
    app = create_app(
        settings, engine=AllowAll() if args.stub else None, transport=CannedTransport()
    )
    tune_gc()
    return app


async def one(app: Any, i: int) -> None:
    body = orjson.dumps(
        {"model": "mock-model", "messages": [{"role": "user", "content": f"{PROMPT} #{i}"}]}
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/chat/completions",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
        "client": ("127.0.0.1", 50000),
        "query_string": b"",
    }
    asked = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # the client stays
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    if status != 200:
        raise RuntimeError(f"request {i} answered {status}")


async def run(app: Any, args: argparse.Namespace) -> None:
    await app.startup()
    for i in range(200):  # warm-up: caches, connections, the writer process
        await one(app, -1 - i)
    numbers = iter(range(args.requests))

    async def worker() -> None:
        for i in numbers:
            await one(app, i)

    profile = cProfile.Profile() if args.profile else None
    cpu0, wall0, loop0 = time.process_time(), time.perf_counter(), time.thread_time()
    if profile is not None:
        profile.enable()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    if profile is not None:
        profile.disable()
    cpu, wall, loop = (
        time.process_time() - cpu0,
        time.perf_counter() - wall0,
        time.thread_time() - loop0,
    )
    await app.shutdown()
    n = args.requests
    print(
        f"c={args.concurrency} {'stub' if args.stub else 'engine'}"
        f" access log {'off' if args.no_log else 'on'}:"
        f" event loop thread {1e6 * loop / n:.1f} µs/req, process CPU {1e6 * cpu / n:.1f} µs/req,"
        f" wall {1e6 * wall / n:.1f} µs/req"
    )
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(args.profile).print_stats(40)
        print(out.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--stub", action="store_true", help="an engine that allows everything")
    ap.add_argument("--no-log", action="store_true", help="no log handler (access log off)")
    ap.add_argument("--journal", help="folder for the usage journal (e.g. on tmpfs)")
    ap.add_argument("--profile", help="cProfile the measured requests, sorted by this key")
    args = ap.parse_args()
    import uvloop

    with tempfile.TemporaryDirectory(prefix="hegui-inproc-") as tmp:
        uvloop.run(run(build(args, Path(tmp)), args))


if __name__ == "__main__":
    main()
