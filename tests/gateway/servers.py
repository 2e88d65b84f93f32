"""Run ASGI apps under real uvicorn servers on loopback, each in its own thread and loop."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

ROOT = Path(__file__).resolve().parents[2]


def load_mock_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "mock_upstream", ROOT / "benchmarks" / "mock_upstream.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["mock_upstream"] = mod
    spec.loader.exec_module(mod)
    return mod


class ServerThread:
    """``with ServerThread(app) as s: s.url`` — uvicorn (uvloop + httptools) on a free port.

    ``host`` binds another local address; ``tls`` (uvicorn's ``ssl_*`` options) serves HTTPS.
    """

    def __init__(
        self, app: Any, *, lifespan: str = "on", host: str = "127.0.0.1", **tls: Any
    ) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://{host}:{self.port}"
        config = uvicorn.Config(
            app,
            loop="uvloop",
            http="httptools",
            lifespan=lifespan,
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=1,
            **tls,
        )
        self.server = uvicorn.Server(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import uvloop

        self.loop = uvloop.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve(sockets=[self.sock]))
        self.loop.close()

    def call(self, coro: Any, timeout: float = 10) -> Any:
        """Run a coroutine on the server's loop (e.g. to flush the backend)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
