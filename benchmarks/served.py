"""Run `hegui serve` as users start it, for the soak and the durability tests: a mock upstream
process, a fresh SQLite or PostgreSQL database with a key, the gateway process (killable and
restartable), a database stall, and the usage records written afterwards.

    python benchmarks/served.py --serve-mock PORT   # the mock upstream that lists no models
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=2"
SECRET = base64.b64encode(bytes(range(32))).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as client:  # one client: each new one loads the CA bundle
        while time.monotonic() < deadline:
            try:
                if client.get(url).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


@contextlib.contextmanager
def mock_upstream() -> Iterator[str]:
    """The mock upstream in its own process (so it does not share the load generator's GIL)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve-mock", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/models")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database: a SQLite file in ``folder`` or a throwaway PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'hegui.db'}"
        return
    import psycopg

    name = f"hegui_soak_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_key(url: str) -> str:
    """An adult account that accepted the agreement, and its API key."""
    from hegui.ops import accounts, agreements, keys
    from hegui.ops.records import AgeBand
    from hegui.store.db import open_store

    store = open_store(url)
    try:
        store.write(
            lambda c: agreements.publish_agreement(
                c, "soak-1", "https://example.test/t", actor="soak"
            )
        )
        acc = store.write(
            lambda c: accounts.create_account(c, name="soak", age_band=AgeBand.ADULT, actor="soak")
        )
        store.write(lambda c: agreements.accept_agreement(c, acc.id, actor="soak"))
        return store.write(lambda c: keys.create_key(c, acc.id, actor="soak")).api_key
    finally:
        store.close()


def recorded_models(url: str) -> Counter[str]:
    """How many usage records each model name has."""
    from sqlalchemy import select

    from hegui.store.db import open_store
    from hegui.store.schema import usage_records

    store = open_store(url, upgrade=False)
    try:
        with store.read() as conn:
            return Counter(conn.execute(select(usage_records.c.model)).scalars())
    finally:
        store.close()


class Served:
    """``hegui serve`` as a user starts it, in its own process group; restartable."""

    def __init__(self, url: str, upstream: str, folder: Path, **store: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = folder
        lines = [
            "[store]",
            f'url = "{url}"',
            f'secret_key = "{SECRET}"',
            *(f"{k} = {v!r}".replace("'", '"') for k, v in store.items()),
            "[gateway]",
            "health_interval = 0",
            "upstream_timeout = 30.0",
            'unchecked_fields = ["mock"]',
            "[sanctions]",  # the harmful share is one account's: warn it, never lock it out
            'max_automatic = "warned"',
            "[labeling]",
            'uscc = "91350100M000100Y43"',
        ]
        self.config = folder / "hegui.toml"
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.upstream = upstream
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = folder / "serve.log"

    def start(self) -> None:
        exe = Path(sys.executable).with_name("hegui")
        cmd = [str(exe), "serve", "--config", str(self.config), "--upstream", self.upstream]
        cmd += ["--port", str(self.port)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=self.folder, stdout=out, stderr=out, start_new_session=True
            )
        wait_http(f"{self.url}/healthz")

    def kill9(self) -> None:
        """SIGKILL the serving process only (its writer notices and drains, as after a crash)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(10)

    def rss_kb(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return 0
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return 0
        return 0


@contextlib.contextmanager
def stalled(url: str) -> Iterator[None]:
    """Hold an exclusive lock that blocks every usage-record write until the block ends."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as pg:
        pg.execute("LOCK TABLE usage_records IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            pg.rollback()


def serve_mock(port: int) -> None:
    """The mock upstream, listing no models: the gateway then routes every model name to it
    (each soak request has its own model name, to match answers with records)."""
    import importlib.util

    import uvicorn

    spec = importlib.util.spec_from_file_location(
        "mock_upstream", ROOT / "benchmarks" / "mock_upstream.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    inner = mod.MockUpstream("soak")

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/models"):
            body = b'{"object":"list","data":[]}'
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await inner(scope, receive, send)

    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", log_level="warning")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--serve-mock", type=int, required=True)
    serve_mock(ap.parse_args().serve_mock)
