"""CPU the gateway spends per request with and without its operator features (issue 10).

Starts ``hegui serve`` (uvicorn, uvloop, httptools, SQLite store, no API keys) against the mock
upstream, sends N unique short chat requests at concurrency C and reads the serving process's CPU
time from /proc before and after: CPU µs per request is robust on a busy machine, where
requests per second are not. Variants: access log off, text, JSON.

    python benchmarks/gateway_ops_overhead.py [--requests 3000] [--concurrency 16]

Needs Linux (/proc). The other processes (mock upstream, client) are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def _cpu(pid: int) -> float:
    """utime + stime of ``pid`` and its threads, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(base: str, n: int, c: int) -> None:
    sem = asyncio.Semaphore(c)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def one(i: int) -> None:
            async with sem:
                body = {
                    "model": "mock-model",
                    "messages": [{"role": "user", "content": f"你好{i}"}],
                }
                r = await client.post("/v1/chat/completions", json=body)
                assert r.status_code == 200, r.text

        await asyncio.gather(*(one(i) for i in range(n)))


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gateway did not become ready")


def measure(upstream: str, variant: str, n: int, c: int, tmp: Path) -> float:
    port = _port()
    cfg = tmp / f"{variant}.toml"
    access = "false" if variant == "off" else "true"
    fmt = "json" if variant == "json" else "text"
    cfg.write_text(
        f'[store]\nurl = "sqlite:///{tmp / (variant + ".db")}"\n'
        f'secret_key = "{"A" * 43}="\n'
        "[gateway]\nrequire_api_key = false\nhealth_interval = 0\n"
        f'[logging]\naccess_log = {access}\nformat = "{fmt}"\n'
        '[labeling]\nuscc = "91350100M000100Y43"\n',
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "hegui.cli", "serve", "--port", str(port),
           "--upstream", upstream, "--config", str(cfg)]  # fmt: skip
    with (tmp / f"{variant}.log").open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        asyncio.run(_load(base, 200, c))  # warm up
        before = _cpu(proc.pid)
        asyncio.run(_load(base, n, c))
        return (_cpu(proc.pid) - before) / n * 1e6
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    port = _port()
    mock = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "mock_upstream.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        with tempfile.TemporaryDirectory() as d:
            results: dict[str, list[float]] = {"off": [], "text": [], "json": []}
            for _ in range(args.rounds):
                for variant in results:
                    us = measure(f"http://127.0.0.1:{port}", variant, args.requests, args.concurrency, Path(d))  # fmt: skip
                    results[variant].append(us)
        print(f"| access log | gateway CPU µs per request (best of {args.rounds}) |")
        print("|---|---:|")
        for variant, values in results.items():
            print(f"| {variant} | {min(values):.0f} |")
    finally:
        mock.terminate()
        mock.wait(10)


if __name__ == "__main__":
    main()
