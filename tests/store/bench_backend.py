"""Benchmark of the gateway's hot path over the store (not collected by pytest).

    python -m tests.store.bench_backend [--url URL] [--requests 10000] [--concurrency 64]

Prints wall and CPU time for: cached ``authenticate``; ``record_usage`` from N concurrent tasks
followed by ``flush``; and checks that exactly N rows were stored.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from hegui.config import Settings
from hegui.ops.backend import StoreBackend
from hegui.ops.records import UsageRecord
from hegui.store.schema import usage_records

from .test_backend import SECRET, seed


async def run(url: str, requests: int, concurrency: int) -> None:
    seeded = seed(url)
    settings = Settings()
    settings.store.url = url
    settings.store.secret_key = SECRET  # type: ignore[assignment]
    backend = StoreBackend(settings)
    await backend.start()
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        view = await backend.authenticate(seeded.api_key)
        print(f"first authenticate (lookup + argon2): {1000 * (time.perf_counter() - t0):.1f} ms")
        assert view is not None
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(requests):
            await backend.authenticate(seeded.api_key)
        cpu = time.process_time() - c0
        print(f"cached authenticate: {1e6 * cpu / requests:.2f} µs CPU per call")

        async def client(n: int) -> None:
            for _ in range(n):
                await backend.record_usage(
                    UsageRecord(view.pseudonym, view.key_id, "m", "/v1/chat/completions", "allow")
                )
                await asyncio.sleep(0)

        before = backend.records_written
        t0, c0 = time.perf_counter(), time.process_time()
        shares = [
            requests // concurrency + (i < requests % concurrency) for i in range(concurrency)
        ]
        await asyncio.gather(*(client(n) for n in shares))
        enqueue = time.perf_counter() - t0
        await backend.flush()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        with backend.store.read() as conn:
            rows = conn.execute(select(func.count()).select_from(usage_records)).scalar_one()
        print(
            f"record_usage x{requests} from {concurrency} tasks: enqueue {enqueue:.2f} s, "
            f"stored after flush {wall:.2f} s wall / {cpu:.2f} s CPU; rows={rows} "
            f"(written {backend.records_written - before})"
        )
    finally:
        await backend.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--url", default=None, help="database URL (default: a temporary SQLite file)"
    )
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        asyncio.run(run(url, args.requests, args.concurrency))


if __name__ == "__main__":
    main()
