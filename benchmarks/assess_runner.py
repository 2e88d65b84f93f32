"""The assessment runner: 3,000 questions at concurrency 32 against a 50 ms mock, kill and resume.

    python benchmarks/assess_runner.py [--n 3000] [--concurrency 32] [--latency-ms 50] [--out FILE]

The toy model (``benchmarks/assess_mock.py``) runs as its own uvicorn process. Rows:

- ``hegui assess run`` (the whole command, Python start-up included) and its ``run()``
  coroutine alone, writing every result to ``results.jsonl`` as it arrives;
- the peer: the official ``openai`` client (``AsyncOpenAI``) with an ``asyncio.Semaphore`` of
  the same size, which is what a hand-written script does (no retries, nothing written);
- the floor: n × latency / concurrency;
- kill -9 at about 40 % and resume: lines, duplicate ids, questions asked twice, and whether
  the results equal an uninterrupted run;
- judging the 3,000 answers (refusal model + risk engine), for scale.

Writes ``benchmarks/results/assess_runner.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url + "/v1/stats", timeout=10) as resp:
        return json.loads(resp.read())


def _start_mock(latency_ms: float) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "assess_mock.py"), "--port", str(port),
                             "--latency-ms", str(latency_ms)])  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _stats(url)
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("mock model did not start")


def _bank(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            doc = {"id": f"b-{i:05d}", "text": f"第{i}个测试问题：请介绍一下相关情况。", "bank": "generate",
                   "risk": "A.1.h", "lang": "zh", "source": "bench", "licence": "Apache-2.0"}  # fmt: skip
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")


def _cli(url: str, bank: Path, out: Path, concurrency: int) -> list[str]:
    return [sys.executable, "-m", "hegui.cli", "assess", "run", "--endpoint", url + "/v1", "--model", "mock-model",
            "--bank", str(bank), "--sample", "0", "--concurrency", str(concurrency), "--no-judge",
            "--no-progress", "--out", str(out)]  # fmt: skip


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


async def _peer(url: str, texts: list[str], concurrency: int) -> int:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=url + "/v1", api_key="none", max_retries=0)
    gate = asyncio.Semaphore(concurrency)

    async def one(text: str) -> str:
        async with gate:
            r = await client.chat.completions.create(
                model="mock-model", messages=[{"role": "user", "content": text}]
            )
            return r.choices[0].message.content or ""

    try:
        return len(await asyncio.gather(*(one(t) for t in texts)))
    finally:
        await client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "assess_runner.md"
    )
    args = ap.parse_args()
    n, c = args.n, args.concurrency
    mock, url = _start_mock(args.latency_ms)
    rows: list[tuple[str, str]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmpdir = Path(tmp)
            bank = tmpdir / "bank.jsonl"
            _bank(bank, n)

            started = time.perf_counter()
            subprocess.run(_cli(url, bank, tmpdir / "cli", c), check=True, capture_output=True)
            cli_s = time.perf_counter() - started
            full = {r["id"]: r["answer"] for r in _lines(tmpdir / "cli" / "results.jsonl")}
            rows.append(
                (f"`hegui assess run` ({n:,} questions, c={c}, whole command)", f"{cli_s:.2f} s")
            )

            from hegui.assess.bank import load_banks
            from hegui.assess.runner import RunConfig, file_sha256, run, select_items

            items = select_items(load_banks([bank]), 0, 0)
            config = RunConfig(url + "/v1", "mock-model", [str(bank)], {bank.name: file_sha256(bank)}, sample=0,
                               concurrency=c)  # fmt: skip
            started = time.perf_counter()
            asyncio.run(run(config, items, tmpdir / "inproc"))
            inproc_s = time.perf_counter() - started
            rows.append(
                ("runner coroutine `run()` alone (same work, no start-up)", f"{inproc_s:.2f} s")
            )

            started = time.perf_counter()
            asyncio.run(_peer(url, [i.text for i in items], c))
            peer_s = time.perf_counter() - started
            rows.append(
                (
                    f"peer: `openai.AsyncOpenAI` + `asyncio.Semaphore({c})`, nothing written",
                    f"{peer_s:.2f} s",
                )
            )
            rows.append(
                (
                    f"floor: {n:,} × {args.latency_ms:g} ms / {c}",
                    f"{n * args.latency_ms / 1000 / c:.2f} s",
                )
            )
            rows.append(("ratio hegui run() / peer", f"{inproc_s / peer_s:.2f}"))

            before = _stats(url)
            killed = tmpdir / "killed"
            proc = subprocess.Popen(
                _cli(url, bank, killed, c), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            results = killed / "results.jsonl"
            while not (results.exists() and results.read_bytes().count(b"\n") >= int(0.4 * n)):
                time.sleep(0.005)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            at_kill = results.read_bytes().count(b"\n")
            subprocess.run(_cli(url, bank, killed, c), check=True, capture_output=True)
            after = _stats(url)
            lines = _lines(results)
            ids = [str(r["id"]) for r in lines]
            asked = after["requests"] - before["requests"]
            same = {r["id"]: r["answer"] for r in lines} == full
            rows.append(("kill -9 at", f"{at_kill:,} of {n:,} results written"))
            rows.append(("after resume: lines / distinct ids", f"{len(ids):,} / {len(set(ids)):,}"))
            rows.append(("requests sent by the killed run and the resume together",
                         f"{asked:,} (= {n:,} + {asked - n} in flight at the kill, asked again)"))  # fmt: skip
            rows.append(("final results equal an uninterrupted run", "yes" if same else "NO"))

            from hegui.assess.evaluate import judge_run

            started = time.perf_counter()
            judge_run(tmpdir / "cli")
            rows.append(
                (
                    f"judging the {n:,} answers (`hegui assess judge`, one thread)",
                    f"{time.perf_counter() - started:.1f} s",
                )
            )
    finally:
        mock.send_signal(signal.SIGTERM)
        mock.wait(10)
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    text = (f"# Assessment runner\n\nCommand: `python benchmarks/assess_runner.py`\n\n"
            f"Target: {n:,} questions against a local mock with {args.latency_ms:g} ms latency at concurrency {c} "
            f"in ≤ 10 s wall time; killed and resumed, the final results equal an uninterrupted run.\n\n"
            f"| measure | value |\n|---|---|\n{table}\n")  # fmt: skip
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
