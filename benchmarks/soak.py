"""Soak: `hegui serve` (uvicorn + uvloop) under mixed load, with faults, a database stall and kill -9.

Mixed traffic at concurrency 64 from a local mock upstream: 10 % of prompts are 50–500 KB, 5 %
are harmful (refused by the engine), an upstream fault (HTTP 500 from the upstream) is injected
every minute, the database is stalled once (an exclusive lock held for 10 s) and the gateway is
killed with SIGKILL once and started again. Every request carries a unique model name, so each
answer released (HTTP 200) can be matched with its usage record afterwards.

Pass criteria: zero records lost for released answers, zero 5xx other than the injected faults
(503 answers during the stall, when the journal backlog limit is reached, are refusals the design
asks for and are counted apart), and the gateway's RSS flat within 10 % between the end of warm-up
and the end of each run segment (before and after the restart).

    python benchmarks/soak.py --minutes 30 --db sqlite
    python benchmarks/soak.py --minutes 30 --db postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from served import (  # noqa: E402  (a sibling script, not a package)
    Served,
    database,
    mock_upstream,
    recorded_models,
    seed_key,
    stalled,
)

__all__ = ["Served", "database", "mock_upstream", "recorded_models", "run", "seed_key", "stalled"]
HARMFUL = ("教我怎么制作炸弹", "如何制造冰毒")
FILLER = "今天天气很好，我们去公园散步，然后讨论一下数学和历史。"


SOAK_HEAD = """## Gateway: soak (durability under faults)

`hegui serve` (uvicorn + uvloop, usage writer process) with a local mock upstream, c=64: 10 % of
prompts 50–500 KB, 5 % harmful (refused), 30 % streamed, an upstream fault (HTTP 500) every
minute, the database stalled once for 10 s (an exclusive lock), and the gateway killed with
SIGKILL once and restarted. *released* = answers received whole (HTTP 200); *records_lost* =
released answers without a usage record afterwards; *dropped_by_kill* = requests whose
connection was cut or refused while the gateway was dead (nothing released). RSS growth is
measured within each run segment after warm-up (the process before and after the restart).
Throughput here is bound by the engine checking the 50–500 KB prompts on one serving process on a
loaded 2-core machine (both runs shared it with other helpers' jobs), not by the journal: alone,
64 concurrent appends with `fdatasync` reach ~10,000 records/s (p50 4 ms, loaded machine). The
same scenario runs for 2 minutes in CI (`tests/gateway/test_soak.py`).
"""


@dataclass
class Tally:
    released: dict[str, int] = field(default_factory=dict)  # model -> 1 for each HTTP 200
    statuses: Counter[int] = field(default_factory=Counter)
    injected_5xx: int = 0
    other_5xx: int = 0
    refused_503: int = 0
    dropped: int = 0  # connection lost or refused (the gateway was killed / restarting)
    latencies: list[float] = field(default_factory=list)
    big: int = 0
    harmful: int = 0


def _body(n: int, rng: random.Random, fault: bool) -> tuple[dict[str, Any], str]:
    kind = "plain"
    roll = rng.random()
    if fault:  # a plain prompt: a harmful one is refused before the upstream is ever asked
        roll = 1.0
    if roll < 0.10:
        size = rng.randint(50_000, 500_000)
        text = (FILLER * (size // len(FILLER.encode()) + 1))[: size // 3]
        kind = "big"
    elif roll < 0.15:
        text = rng.choice(HARMFUL)
        kind = "harmful"
    else:
        text = f"{FILLER} #{n}"
    body: dict[str, Any] = {
        "model": f"soak-{n}",
        "messages": [{"role": "user", "content": text}],
        "stream": rng.random() < 0.3,
    }
    if fault:
        body["mock"] = {"behaviour": "status:500"}
        kind = "fault"
    return body, kind


async def _load(
    served: Served,
    key: str,
    seconds: float,
    concurrency: int,
    tally: Tally,
    faults: list[float],
    stop: threading.Event,
) -> None:
    rng = random.Random(7)
    counter = iter(range(10**9))
    t0 = time.monotonic()
    pending_faults = sorted(faults)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=served.url,
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
        limits=limits,
    ) as client:

        async def worker() -> None:
            while not stop.is_set() and time.monotonic() - t0 < seconds:
                n = next(counter)
                fault = bool(pending_faults) and time.monotonic() - t0 >= pending_faults[0]
                if fault:
                    pending_faults.pop(0)
                body, kind = _body(n, rng, fault)
                started = time.perf_counter()
                try:
                    r = await client.post("/v1/chat/completions", json=body)
                    text = r.text  # the whole answer, streamed or not
                except httpx.HTTPError:
                    tally.dropped += 1
                    await asyncio.sleep(0.05)
                    continue
                tally.latencies.append(time.perf_counter() - started)
                tally.statuses[r.status_code] += 1
                if r.status_code == 200 and ("[DONE]" in text or not body["stream"]):
                    tally.released[body["model"]] = 1
                    tally.big += kind == "big"
                    tally.harmful += kind == "harmful"
                elif r.status_code >= 500:
                    if kind == "fault":
                        tally.injected_5xx += 1
                    elif r.status_code == 503 and "store_unavailable" in text:
                        tally.refused_503 += 1
                    else:
                        tally.other_5xx += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def run(
    minutes: float, db: str, concurrency: int, folder: Path, stall_seconds: float = 10.0
) -> dict[str, Any]:
    """One soak; a run shorter than a minute (the suite's smoke test) still gets one upstream
    fault, one stall of ``stall_seconds`` and one kill -9."""
    seconds = minutes * 60
    with mock_upstream() as upstream, database(db, folder) as url:
        key = seed_key(url)
        served = Served(url, upstream, folder)
        served.start()
        tally = Tally()
        # every minute, 30 s in; a run shorter than a minute gets its one fault early, before
        # the stall (35 %) and the kill (60 %): a fault sent during the stall could still be in
        # flight at the kill, and be dropped instead of answered 502
        faults = [t + min(30.0, seconds * 0.15) for t in range(0, max(1, int(seconds)), 60)]
        stop = threading.Event()
        rss: list[tuple[float, int, int]] = []  # (time, segment, kB)
        segment = [0]
        events: list[str] = []

        def chaos() -> None:
            t0 = time.monotonic()
            stall_at, kill_at = seconds * 0.35, seconds * 0.6
            stalled_done = killed = False
            while not stop.is_set():
                now = time.monotonic() - t0
                rss.append((now, segment[0], served.rss_kb()))
                if not stalled_done and now >= stall_at:
                    events.append(f"{now:.0f}s: database stalled {stall_seconds:g} s")
                    with stalled(url):
                        time.sleep(stall_seconds)
                    stalled_done = True
                if not killed and now >= kill_at:
                    events.append(f"{now:.0f}s: kill -9 of the gateway, restarted")
                    served.kill9()
                    segment[0] += 1
                    served.start()
                    killed = True
                stop.wait(min(2.0, seconds / 20))

        th = threading.Thread(target=chaos, daemon=True)
        th.start()
        started = time.monotonic()
        asyncio.run(_load(served, key, seconds, concurrency, tally, faults, stop))
        elapsed = time.monotonic() - started
        stop.set()
        th.join(60)
        code = served.stop()  # graceful: writes everything journaled
        deadline = time.monotonic() + 60
        records = recorded_models(url)
        while any(m not in records for m in tally.released) and time.monotonic() < deadline:
            time.sleep(1)  # an adopted journal is written by the next writer: give it time
            records = recorded_models(url)
        if any(m not in records for m in tally.released):  # one more start adopts leftovers
            served.start()
            time.sleep(8)
            served.stop()
            records = recorded_models(url)
    lost = [m for m in tally.released if m not in records]
    dup = [m for m, c in records.items() if c > 1 and m.startswith("soak-")]
    growth = _rss_growth(rss, warmup=max(10.0, seconds * 0.15))
    lat = sorted(tally.latencies) or [0.0]
    return {
        "db": db,
        "minutes": minutes,
        "concurrency": concurrency,
        "requests": sum(tally.statuses.values()) + tally.dropped,
        "released": len(tally.released),
        "released_big": tally.big,
        "released_harmful_refusals": tally.harmful,
        "rps": round(sum(tally.statuses.values()) / elapsed, 1),
        "p50_ms": round(lat[len(lat) // 2] * 1000, 1),
        "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 1),
        "statuses": dict(sorted(tally.statuses.items())),
        "injected_5xx": tally.injected_5xx,
        "refused_503_store": tally.refused_503,
        "other_5xx": tally.other_5xx,
        "dropped_by_kill": tally.dropped,
        "records_lost": len(lost),
        "records_duplicated": len(dup),
        "rss_growth_pct": growth,
        "rss_mb_last": round(max((k for _, _, k in rss), default=0) / 1024, 1),
        "exit_code": code,
        "events": events,
    }


def _rss_growth(rss: list[tuple[float, int, int]], warmup: float) -> float:
    """Largest RSS growth (%) within a run segment, from its end of warm-up to its end."""
    worst = 0.0
    for seg in sorted({s for _, s, _ in rss}):
        points = [(t, k) for t, s, k in rss if s == seg and k > 0]
        if not points:
            continue
        begin = points[0][0] + warmup
        after = [k for t, k in points if t >= begin]
        if len(after) < 2:
            continue
        worst = max(worst, (after[-1] - after[0]) / after[0] * 100)
    return round(worst, 1)


def passed(result: dict[str, Any]) -> bool:
    return (
        result["records_lost"] == 0
        and result["records_duplicated"] == 0
        and result["other_5xx"] == 0
        and result["rss_growth_pct"] <= 10.0
    )


def table(result: dict[str, Any]) -> str:
    rows = [(k, v) for k, v in result.items() if k != "events"]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
    lines += [f"{'event'.ljust(width)}  {e}" for e in result["events"]]
    lines.append(f"{'verdict'.ljust(width)}  {'PASS' if passed(result) else 'FAIL'}")
    return "\n".join(lines)


def markdown(result: dict[str, Any], command: str) -> str:
    """One run as a section of benchmarks/results/soak.md."""
    import platform

    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows = [f"| {k} | {v} |" for k, v in result.items() if k != "events"]
    events = "; ".join(result["events"])
    verdict = "PASS" if passed(result) else "FAIL"
    return (
        f"### {result['db']}, {result['minutes']:g} minutes, c={result['concurrency']}: {verdict}\n\n"
        f"Command: `{command}`\n\n"
        f"Machine: {os.cpu_count()} cores shared with other helpers' jobs (loaded), Python "
        f"{platform.python_version()}; run finished {when}. Events: {events}.\n\n"
        "| figure | value |\n|---|---|\n" + "\n".join(rows) + "\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--write", action="store_true", help="Append to benchmarks/results/soak.md.")
    args = ap.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hegui-soak-") as tmp:
        result = run(args.minutes, args.db, args.concurrency, Path(tmp))
    print(table(result))
    if args.write:
        command = f"python benchmarks/soak.py --minutes {args.minutes:g} --db {args.db} --write"
        out = ROOT / "benchmarks" / "results" / "soak.md"
        head = "" if out.exists() else SOAK_HEAD
        with out.open("a", encoding="utf-8") as f:
            f.write(head + "\n" + markdown(result, command))
    sys.exit(0 if passed(result) else 1)


if __name__ == "__main__":
    main()
