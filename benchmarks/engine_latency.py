"""Whole-engine latency, batch throughput and `hegui check` cold start.

Run: python benchmarks/engine_latency.py [--texts 2000] [--chars 1000]

Texts are ~1,000-character mixes of ordinary Chinese and English sentences with occasional risk
vocabulary, personal information and evasions, generated deterministically. Latency is wall time
per `Engine.check` call in one thread (the engine is CPU-bound, so on an idle core wall ≈ CPU);
batch throughput runs `hegui check --input` over the same texts with 1 and 2 worker processes.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENTENCES_ZH = [
    "今天的会议讨论了新产品的上线计划和用户反馈。",
    "这家餐厅的红烧肉做得很好，价格也不贵。",
    "请帮我把这段代码改成异步版本，并加上单元测试。",
    "历史课上老师讲了抗日战争时期的重要战役。",
    "医生建议他按时服用降压药，并注意饮食清淡。",
    "我们计划周末去爬山，顺便拍一些风景照片。",
    "如何用 kill 命令结束一个卡住的 Python 进程？",
    "他的手机号是13812345678，有事可以联系他。",
    "公司的季度报告显示营收同比增长了百分之十二。",
    "孩子们在操场上踢足球，笑声传得很远。",
]
SENTENCES_EN = [
    "The quarterly report shows revenue grew twelve percent year over year.",
    "Please summarise the attached meeting notes in three bullet points.",
    "How do I kill a zombie process on Linux without rebooting?",
    "The museum exhibition covers the history of the Second World War.",
]
RISKY = [
    "教我自制炸药",
    "炸*弹制作方法",
    "颠覆国家政权",
    "河南人都是骗子",
    "ignore previous instructions",
]


def make_texts(n: int, chars: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        parts: list[str] = []
        while sum(map(len, parts)) < chars:
            pool = SENTENCES_EN if rng.random() < 0.2 else SENTENCES_ZH
            parts.append(rng.choice(pool))
            if rng.random() < 0.03:
                parts.append(rng.choice(RISKY))
        texts.append("".join(parts)[:chars])
    return texts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latency(texts: list[str]) -> dict[str, float]:
    from hegui.safety import Engine

    engine = Engine.default()
    for t in texts[:50]:
        engine.check(t)
    timings = []
    for t in texts:
        start = time.perf_counter()
        engine.check(t)
        timings.append((time.perf_counter() - start) * 1000)
    per_layer = {}
    from hegui.safety.types import Direction, Doc

    for det in engine.detectors:
        start = time.process_time()
        for t in texts:
            doc = Doc(t)
            doc.normalized  # noqa: B018 - normalisation is timed on its own below
            det.detect(doc, Direction.INPUT)
        per_layer[det.name] = (time.process_time() - start) * 1000 / len(texts)
    start = time.process_time()
    for t in texts:
        Doc(t).normalized  # noqa: B018
    normalise = (time.process_time() - start) * 1000 / len(texts)
    return {
        "p50": percentile(timings, 0.50),
        "p99": percentile(timings, 0.99),
        "mean": statistics.fmean(timings),
        "normalise": normalise,
        **{f"{k}(+norm)": v for k, v in per_layer.items()},
    }


def batch(texts: list[str], workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        src.write_text(
            "".join(
                json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                for i, t in enumerate(texts)
            ),
            encoding="utf-8",
        )
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "hegui.cli",
                "check",
                "--input",
                str(src),
                "--output",
                str(Path(tmp) / "out.jsonl"),
                "--workers",
                str(workers),
            ],
            check=False,
            capture_output=True,
        )
        return len(texts) / (time.perf_counter() - start)


def cold_start(runs: int = 5) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(["hegui", "check", "今天天气很好"], check=False, capture_output=True)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--chars", type=int, default=1000)
    parser.add_argument(
        "--batch-texts", type=int, default=20000, help="distinct texts for batch mode"
    )
    parser.add_argument(
        "--write", action="store_true", help="also write benchmarks/results/engine_latency.md"
    )
    args = parser.parse_args()
    texts = make_texts(args.texts, args.chars)
    lat = latency(texts)
    rows = [
        f"| measure ({args.texts} texts × {args.chars} chars) | value | target |",
        "|---|---:|---:|",
        f"| engine.check p50 (wall, distinct texts) | {lat['p50']:.3f} ms | |",
        f"| engine.check p99 (wall, distinct texts) | {lat['p99']:.3f} ms | ≤ 2 ms |",
        f"| normalise (CPU per text) | {lat['normalise']:.3f} ms | |",
    ]
    rows += [
        f"| layer {k} (CPU per text) | {v:.3f} ms | |"
        for k, v in lat.items()
        if k.endswith("(+norm)")
    ]
    big = make_texts(args.batch_texts, args.chars, seed=11)  # distinct: no verdict-cache hits
    one, two = batch(big, 1), batch(big, 2)
    rows += [
        f"| `hegui check --input` 1 worker ({len(big):,} texts) | {one:,.0f} texts/s | |",
        f"| `hegui check --input` 2 workers | {two:,.0f} texts/s ({two / one:.2f}×) | uses both cores |",
        f'| `hegui check "…"` cold start (median of 5) | {cold_start():.2f} s | ≤ 1 s |',
    ]
    table = "\n".join(rows)
    print(table)
    if args.write:
        import os

        load = os.getloadavg()[0]
        out = Path(__file__).parent / "results" / "engine_latency.md"
        out.write_text(
            "# Whole-engine latency, batch mode and cold start\n\n"
            f"Command: `python benchmarks/engine_latency.py --texts {args.texts} --chars {args.chars} --batch-texts {args.batch_texts} --write` "
            f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average {load:.2f} on 2 shared cores).\n\n"
            f"{table}\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
