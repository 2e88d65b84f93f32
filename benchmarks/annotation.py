"""Annotation benchmark: a 100,000-task project through Label Studio JSON and JSONL, both ways.

Run:  python benchmarks/annotation.py [--tasks 100000] [--write]
      (--write puts the table into benchmarks/results/annotation.md)

1. Generate a Label Studio export in its documented format: ``--tasks`` tasks with a Chinese
   text, ids, timestamps and an empty ``predictions`` list; one annotation each, two on 20 %.
2. For SQLite (a file) and PostgreSQL (a throwaway database at 127.0.0.1:5432, skipped when
   unreachable): import it (parse + validate + insert, one transaction), export it as Label Studio
   JSON and as JSONL (load + render + write), import the JSONL into a second project.
   Target: export and import each ≤ 10 s. The round trip is checked (export == original).
3. Agreement statistics on the same data: hegui.stats next to scikit-learn's
   ``cohen_kappa_score`` and the ``krippendorff`` package (the peers the tests check against).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.annotation.helpers import build_setup  # noqa: E402

from hegui.annotation.jsonl import parse_jsonl, render_jsonl  # noqa: E402
from hegui.annotation.labels import default_label_set  # noqa: E402
from hegui.annotation.labelstudio import parse_label_studio, render_label_studio  # noqa: E402
from hegui.annotation.projects import create_project, get_project  # noqa: E402
from hegui.annotation.tasks import import_tasks, load_tasks  # noqa: E402
from hegui.stats import cohen_kappa, krippendorff_alpha  # noqa: E402
from hegui.store.db import Store, open_store  # noqa: E402

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=2"
CODES = ["none"] * 6 + ["A.2.d", "A.2.e", "A.2.a", "A.1.g", "A.4.c", "A.2.d,A.2.e"]
PEOPLE = {10: "alice", 11: "bob", 12: "dan"}
TARGET_S = 10.0


def label_studio_export(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """n tasks the way Label Studio exports them; annotators mostly agree."""
    import random

    rng = random.Random(seed)
    tasks = []
    aid = 0
    for i in range(n):
        truth = rng.choice(CODES)
        users = rng.sample(sorted(PEOPLE), 2 if rng.random() < 0.2 else 1)
        anns = []
        for user in users:
            aid += 1
            labels = truth if rng.random() < 0.85 else rng.choice(CODES)
            anns.append(
                {
                    "id": aid,
                    "completed_by": user,
                    "result": [
                        {
                            "id": f"r{aid}",
                            "type": "choices",
                            "value": {"choices": labels.split(",")},
                            "origin": "manual",
                            "to_name": "text",
                            "from_name": "risk",
                        }
                    ],
                    "was_cancelled": False,
                    "ground_truth": False,
                    "created_at": "2026-11-01T08:15:08.728353Z",
                    "updated_at": "2026-11-01T08:16:08.728378Z",
                    "lead_time": round(rng.uniform(2, 40), 3),
                    "result_count": 1,
                    "task": i + 1,
                    "project": 83,
                }
            )
        tasks.append(
            {
                "id": i + 1,
                "data": {
                    "text": f"第{i}条评论：这个地方的人怎么样？我觉得还行，交通方便，吃的也不错。"
                },
                "annotations": anns,
                "predictions": [],
                "meta": {},
                "created_at": "2026-11-01T00:00:00.000000Z",
                "updated_at": "2026-11-01T09:16:08.746926Z",
                "inner_id": i + 1,
                "project": 83,
            }
        )
    return tasks


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


@contextmanager
def _databases(tmp: Path, with_pg: bool) -> Iterator[list[tuple[str, str]]]:
    urls = [("SQLite", f"sqlite:///{tmp / 'bench.db'}")]
    name = None
    if with_pg:
        try:
            import psycopg

            name = f"hegui_bench_{secrets.token_hex(4)}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            urls.append(("PostgreSQL", f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"))
        except Exception as exc:  # no server: report SQLite only
            print(f"PostgreSQL skipped ({type(exc).__name__})", file=sys.stderr)
            name = None
    try:
        yield urls
    finally:
        if name is not None:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _bench_store(
    store: Store, raw: bytes, original: list[dict[str, Any]], tmp: Path
) -> list[dict[str, Any]]:
    store.write(lambda c: build_setup(c, double_share=0.2))
    users = {str(k): v for k, v in PEOPLE.items()}
    sha = hashlib.sha256(raw).hexdigest()

    def import_ls() -> Any:
        def run(c: Any) -> Any:
            items = parse_label_studio(
                raw,
                get_project(c, "p1"),
                allowed=default_label_set(),
                source="ls.json",
                user_map=users,
            )
            return import_tasks(
                c, "p1", items, actor="bench", fmt="label-studio", source="ls.json", sha256=sha
            )

        return store.write(run)

    def export_ls() -> bytes:
        with store.read() as conn:
            project = get_project(conn, "p1")
            data = render_label_studio(load_tasks(conn, "p1"), project, user_map=users)
        (tmp / "out.json").write_bytes(data)
        return data

    def export_jsonl() -> bytes:
        with store.read() as conn:
            data = render_jsonl(load_tasks(conn, "p1"), id_field="id")
        (tmp / "out.jsonl").write_bytes(data)
        return data

    def import_jsonl(data: bytes) -> Any:
        def run(c: Any) -> Any:
            items = parse_jsonl(data, get_project(c, "p2"), source="out.jsonl")
            return import_tasks(
                c, "p2", items, actor="bench", fmt="jsonl", source="out.jsonl", sha256="0" * 64
            )

        return store.write(run)

    rows = []
    report, wall, cpu = _timed(import_ls)
    rows.append(
        {
            "step": "import Label Studio JSON",
            "tasks": report.tasks_added,
            "annotations": report.annotations_added,
            "wall": wall,
            "cpu": cpu,
        }
    )
    data, wall, cpu = _timed(export_ls)
    same = orjson.loads(data) == original
    rows.append(
        {
            "step": "export Label Studio JSON",
            "tasks": len(original),
            "annotations": report.annotations_added,
            "wall": wall,
            "cpu": cpu,
            "note": "equal to the input" if same else "DIFFERS",
        }
    )
    lines, wall, cpu = _timed(export_jsonl)
    rows.append(
        {
            "step": "export JSONL",
            "tasks": len(original),
            "annotations": report.annotations_added,
            "wall": wall,
            "cpu": cpu,
        }
    )
    store.write(lambda c: create_project(c, "p2", double_share=0.2, seed=7, actor="bench"))
    again, wall, cpu = _timed(lambda: import_jsonl(lines))
    rows.append(
        {
            "step": "import JSONL (new project)",
            "tasks": again.tasks_added,
            "annotations": again.annotations_added,
            "wall": wall,
            "cpu": cpu,
        }
    )
    return rows


def _stats_rows(original: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import krippendorff
    import numpy as np
    from sklearn.metrics import cohen_kappa_score

    pairs = [t["annotations"] for t in original if len(t["annotations"]) == 2]
    a = [",".join(p[0]["result"][0]["value"]["choices"]) for p in pairs]
    b = [",".join(p[1]["result"][0]["value"]["choices"]) for p in pairs]
    units = [
        [",".join(x["result"][0]["value"]["choices"]) for x in t["annotations"]] for t in original
    ]
    codes = {c: i for i, c in enumerate(sorted({v for u in units for v in u}))}
    matrix = np.full((2, len(units)), np.nan)
    for j, unit in enumerate(units):
        for i, value in enumerate(unit):
            matrix[i, j] = codes[value]
    rows = []
    for name, fn in [
        ("Cohen's κ: hegui.stats.cohen_kappa", lambda: cohen_kappa(a, b)),
        ("Cohen's κ: sklearn cohen_kappa_score", lambda: cohen_kappa_score(a, b)),
        ("Krippendorff's α: hegui.stats.krippendorff_alpha", lambda: krippendorff_alpha(units)),
        (
            "Krippendorff's α: krippendorff.alpha (nominal, from the matrix)",
            lambda: krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"),
        ),
    ]:
        value, _, cpu = _timed(fn)
        rows.append(
            {"name": name, "value": value, "cpu": cpu, "n": len(a) if "κ" in name else len(units)}
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--write", action="store_true", help="write benchmarks/results/annotation.md"
    )
    args = parser.parse_args()

    load_start = os.getloadavg()[0]
    original, gen_wall, _ = _timed(lambda: label_studio_export(args.tasks))
    raw = orjson.dumps(original)
    print(
        f"generated {args.tasks:,} tasks ({len(raw) / 1e6:.1f} MB) in {gen_wall:.1f} s",
        file=sys.stderr,
    )
    results: list[tuple[str, list[dict[str, Any]]]] = []
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        _databases(Path(tmp_name), not args.no_postgres) as urls,
    ):
        tmp = Path(tmp_name)
        for label, url in urls:
            store = open_store(url)
            try:
                rows = _bench_store(store, raw, original, tmp)
            finally:
                store.close()
            results.append((label, rows))
            for row in rows:
                print(
                    f"{label:10} {row['step']:28} wall {row['wall']:6.2f} s  cpu {row['cpu']:6.2f} s  {row.get('note', '')}",
                    file=sys.stderr,
                )
    stats = _stats_rows(original)

    command = (
        "python benchmarks/annotation.py"
        + (f" --tasks {args.tasks}" if args.tasks != 100_000 else "")
        + " --write"
    )
    lines = [
        "# Annotation: 100,000-task project export and import",
        "",
        f"Command (from the repository root): `{command}`",
        "",
        f"Machine: 2 shared cores (other jobs running), Python {platform.python_version()}; run at "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {load_start:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (above 2, wall time is mostly waiting for a core: "
        "read the CPU column).",
        "",
        f"A Label Studio export of {args.tasks:,} tasks ({len(raw) / 1e6:.1f} MB; one annotation each, two on "
        f"{sum(len(t['annotations']) == 2 for t in original) / len(original):.0%}) into a project, out again as "
        "Label Studio JSON and JSONL, and the JSONL into a second project. Import = parse + validate (labels, "
        "exams, roles) + insert in one transaction + audit event; export = load + render + write the file. "
        f"Target: each ≤ {TARGET_S:.0f} s.",
        "",
        "| database | step | tasks | annotations | wall s | CPU s | target |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for label, rows in results:
        for row in rows:
            ok = "met" if row["wall"] <= TARGET_S else "NOT met"
            note = f" ({row['note']})" if row.get("note") else ""
            lines.append(
                f"| {label} | {row['step']}{note} | {row['tasks']:,} | {row['annotations']:,} | "
                f"{row['wall']:.2f} | {row['cpu']:.2f} | {ok} |"
            )
    lines += [
        "",
        "Agreement statistics on the same annotations (the reference implementations the tests "
        "compare with, to 1e-9), CPU seconds:",
        "",
        "| implementation | items | value | CPU s |",
        "|---|---:|---:|---:|",
    ]
    for row in stats:
        lines.append(f"| {row['name']} | {row['n']:,} | {row['value']:.12f} | {row['cpu']:.3f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        (ROOT / "benchmarks" / "results" / "annotation.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
