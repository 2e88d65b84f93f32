"""A good key's latency under a flood of wrong secrets, and what timing says about key ids.

Run: python benchmarks/auth_flood.py [--rate 100] [--flood 32] [--requests 200]

A gateway started as ``hegui serve`` (its own process; SQLite store, no upstream) answers
``GET /v1/models``: the request is all authentication. Measured, in one run:

1. a good key's latency alone (sequential requests, p50/p99);
2. the same while well-formed keys with the good key's id and wrong secrets arrive at ``--rate``
   per second (up to ``--flood`` at once), and the gateway's CPU time per request meanwhile: an
   argon2 check costs ~40 ms of a core, so a modest flood saturated the machine (issue 11
   measured 3 ms becoming 263 ms for a good key);
3. the timing oracle: mean time of a wrong secret for a key id that exists vs one that does not.

Works against any hegui version (it uses only the public settings), so the same command gives
the before/after pair.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _serve(url: str, secret: str) -> tuple[str, subprocess.Popen[bytes]]:
    """``hegui serve`` in its own process, as deployed (uvicorn + uvloop), on a free port."""
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "HEGUI_STORE__URL": url, "HEGUI_STORE__SECRET_KEY": secret}
    env["HEGUI_LABELING__USCC"] = "91350100M000100Y43"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hegui.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return base, proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("hegui serve did not start")


def _seed(url: str, n: int) -> list[str]:
    from hegui.ops import accounts, keys
    from hegui.ops.records import AgeBand
    from hegui.store.db import open_store

    store = open_store(url)
    try:
        out = []
        for i in range(n):
            acc = store.write(
                lambda c, i=i: accounts.create_account(
                    c, name=f"u{i}", age_band=AgeBand.ADULT, actor="bench"
                )
            )
            out.append(
                store.write(lambda c, a=acc.id: keys.create_key(c, a, actor="bench")).api_key
            )
        return out
    finally:
        store.close()


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _measure(
    base: str, good: str, wrong: list[str], pid: int, args: argparse.Namespace
) -> None:
    import httpx

    limits = httpx.Limits(max_connections=args.flood + 4)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def one(key: str) -> tuple[float, int]:
            t0 = time.perf_counter()
            r = await client.get("/v1/models", headers={"authorization": f"Bearer {key}"})
            return time.perf_counter() - t0, r.status_code

        await one(good)  # verified once: from now on answered from memory
        quiet = [(await one(good))[0] for _ in range(args.requests)]

        stop = asyncio.Event()
        codes: dict[int, int] = {}
        gate = asyncio.Semaphore(args.flood)

        async def attempt(key: str) -> None:
            async with gate:
                _, code = await one(key)
            codes[code] = codes.get(code, 0) + 1

        async def flood() -> None:  # open loop: a fixed rate, whatever the answers cost
            pending: set[asyncio.Task[None]] = set()
            i = 0
            start = time.perf_counter()
            while not stop.is_set():
                task = asyncio.create_task(attempt(wrong[i % len(wrong)]))
                pending.add(task)
                task.add_done_callback(pending.discard)
                i += 1
                await asyncio.sleep(max(0.0, start + i / args.rate - time.perf_counter()))
            await asyncio.gather(*pending)

        cpu0 = _cpu_seconds(pid)
        flooding = asyncio.create_task(flood())
        await asyncio.sleep(1.0)
        loaded = []
        for _ in range(args.requests):
            dt, code = await one(good)
            assert code == 200, code
            loaded.append(dt)
        stop.set()
        await flooding
        cpu = _cpu_seconds(pid) - cpu0
    sent = sum(codes.values())
    print(f"| good key alone | {_pct(quiet, 0.5):.2f} | {_pct(quiet, 0.99):.2f} |")
    print(
        f"| good key during {args.rate} wrong secrets/s ({args.flood} at once) |"
        f" {_pct(loaded, 0.5):.2f} | {_pct(loaded, 0.99):.2f} |"
    )
    print(
        f"\nflood: {sent} requests, answers {dict(sorted(codes.items()))}; gateway CPU"
        f" {1000 * cpu / max(1, sent + len(loaded)):.2f} ms per request during the flood"
    )


async def _oracle(base: str, good_keys: list[str]) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def one(key: str) -> float:
            t0 = time.perf_counter()
            await client.get("/v1/models", headers={"authorization": f"Bearer {key}"})
            return time.perf_counter() - t0

        real, unknown = [], []
        for key in good_keys:  # a few tries per id stay under the per-id throttle
            kid = key.split("-")[1]
            for _ in range(3):
                real.append(await one(f"hg-{kid}-{secrets.token_urlsafe(32)}"))
                unknown.append(await one(f"hg-{secrets.token_hex(6)}-{secrets.token_urlsafe(32)}"))
    print(f"\n| wrong secret for … | mean ms | (n={len(real)} each) |")
    print("|---|---:|---|")
    print(f"| a key id that exists | {statistics.mean(real) * 1000:.2f} | |")
    print(f"| a key id that does not | {statistics.mean(unknown) * 1000:.2f} | |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flood", type=int, default=32, help="most flood requests in flight")
    ap.add_argument("--rate", type=int, default=100, help="wrong secrets per second")
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()

    import hegui

    tmp = Path(tempfile.mkdtemp(prefix="hegui-auth-"))
    secret = base64.b64encode(bytes(32)).decode()
    print(f"hegui from {Path(hegui.__file__).parent}; python {sys.version.split()[0]}\n")
    for phase in ("flood", "oracle"):
        url = f"sqlite:///{tmp / (phase + '.db')}"
        keys = _seed(url, 5)
        base, proc = _serve(url, secret)
        try:
            if phase == "flood":
                kid = keys[0].split("-")[1]
                wrong = [f"hg-{kid}-{secrets.token_urlsafe(32)}" for _ in range(20_000)]
                print("| requests (`GET /v1/models`) | p50 ms | p99 ms |")
                print("|---|---:|---:|")
                asyncio.run(_measure(base, keys[0], wrong, proc.pid, args))
            else:
                asyncio.run(_oracle(base, keys))
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
