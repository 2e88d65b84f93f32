"""Corpus scan benchmarks: ours and the peer in one run, ratios printed (issue 17 targets).

    python benchmarks/corpus.py throughput --mb 1024 [--datatrove-python PY] [--write]
    python benchmarks/corpus.py ray --mb 60 [--write]
    python benchmarks/corpus.py dedup --families 2000 [--write]
    python benchmarks/corpus.py pii [--write]
    python benchmarks/corpus.py memory --gb 10 [--write]

* **throughput**: ``hegui corpus scan`` (risk engine + PII + licence markers + quality + exact
  and near dedup, 2 forked workers) against a datatrove pipeline on the same shards and cores:
  its FineWeb-style filters (Gopher repetition, Gopher quality, C4 without the terminal
  punctuation rule, FineWeb quality) then its 4-stage MinHash dedup (14 buckets x 8 hashes), and
  datatrove's MinHash dedup alone. Input MB per wall second; CPU seconds of all processes.
* **ray**: ``--engine ray`` with 1 and 2 workers on this machine (local instance); the steady
  rate (records/s after the first result) and the whole-run time.
* **dedup**: precision and recall of near-duplicate detection at Jaccard >= 0.8 on generated
  families with exact ground truth; datasketch MinHashLSH (128 permutations, threshold 0.8,
  estimated Jaccard >= 0.8) on the same set.
* **pii**: recall of the scan's personal-information counts on MultiPriv-PII paragraphs.
* **memory**: peak RSS (and PSS, shared pages counted once) of the scan's process tree on a
  generated input of ``--gb`` GB.

Corpora are generated under ``--work`` (default /tmp/hegui-corpus-bench) from ``../shared/data``
and never committed. datatrove conflicts with nothing at runtime but pulls many packages; give it
its own venv and pass ``--datatrove-python /path/to/venv/bin/python``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_data import build_corpus, greedy_truth, near_duplicate_set

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SOURCE = [
    "--origin", "benchmark corpus built from ../shared/data", "--licence", "MIT/Apache-2.0",
    "--legal-basis", "public", "--kind", "open_source", "--region", "domestic",
    "--collected", "2026-12", "--method", "generated", "--languages", "zh,en",
    "--modality", "text", "--personal-info", "--consent-evidence", "n/a (synthetic)",
]  # fmt: skip


def _machine() -> str:
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores, load average {load:.2f} as the run ended "
        f"(shared machine: other jobs were running), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def _hegui(*args: str) -> list[str]:
    return [sys.executable, "-m", "hegui.cli", *args]


def _tree_cpu(proc: subprocess.Popen[str], stop: threading.Event, seen: dict[int, float]) -> None:
    """CPU seconds of every process in the tree, sampled: pool workers that their parent never
    waits for (datatrove's) are missed by RUSAGE_CHILDREN, not by this."""
    import psutil

    root = psutil.Process(proc.pid)
    while not stop.is_set():
        try:
            for p in [root, *root.children(recursive=True)]:
                t = p.cpu_times()
                seen[p.pid] = max(seen.get(p.pid, 0.0), t.user + t.system)
        except psutil.Error:
            pass
        stop.wait(0.5)


def _timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds, CPU seconds of the whole process tree (sampled every 0.5 s), the result."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop, seen = threading.Event(), {}  # type: ignore[var-annotated]
    sampler = threading.Thread(target=_tree_cpu, args=(proc, stop, seen), daemon=True)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:4]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.monotonic() - start, sum(seen.values()), done


def _store(work: Path) -> str:
    url = f"sqlite:///{work / 'bench.db'}"
    if not (work / "bench.db").exists():
        subprocess.run(
            _hegui("corpus", "source", "add", "bench", *SOURCE, "--url", url),
            check=True,
            capture_output=True,
        )
    return url


def _scan(work: Path, data: Path, out: Path, *extra: str) -> tuple[float, float, dict[str, Any]]:
    shutil.rmtree(out, ignore_errors=True)
    args = ["corpus", "scan", str(data), "--source", "bench", "--out", str(out), "--quiet"]
    wall, cpu, _ = _timed(_hegui(*args, "--url", _store(work), *extra))
    return wall, cpu, json.loads((out / "report.json").read_text())


def _corpus(work: Path, mb: float) -> Path:
    folder = work / f"corpus-{mb:g}mb"
    if not (folder / "DONE").exists():
        shutil.rmtree(folder, ignore_errors=True)
        info = build_corpus(folder, mb)
        (folder / "DONE").write_text(json.dumps(info))
    return folder


_DATATROVE = r"""
import sys, json, time
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.pipeline.filters import (GopherRepetitionFilter, GopherQualityFilter,
    C4QualityFilter, FineWebQualityFilter)
from datatrove.pipeline.dedup import (MinhashDedupSignature, MinhashDedupBuckets,
    MinhashDedupCluster, MinhashDedupFilter)
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.utils.hashing import HashConfig
data, work, tasks, workers, with_filters = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
cfg = MinhashConfig(hash_config=HashConfig(precision=64), num_buckets=14, hashes_per_bucket=8)
def run(pipeline, n, name):
    LocalPipelineExecutor(pipeline=pipeline, tasks=n, workers=min(workers, n), logging_dir=f"{work}/logs/{name}").run()
source = data
if with_filters:
    run([JsonlReader(data), GopherRepetitionFilter(), GopherQualityFilter(),
         C4QualityFilter(filter_no_terminal_punct=False), FineWebQualityFilter(),
         JsonlWriter(f"{work}/filtered")], tasks, "filter")
    source = f"{work}/filtered"
run([JsonlReader(source), MinhashDedupSignature(output_folder=f"{work}/sigs", config=cfg)], tasks, "sigs")
run([MinhashDedupBuckets(input_folder=f"{work}/sigs", output_folder=f"{work}/buckets", config=cfg)], cfg.num_buckets, "buckets")
run([MinhashDedupCluster(input_folder=f"{work}/buckets", output_folder=f"{work}/remove", config=cfg)], 1, "cluster")
run([JsonlReader(source), MinhashDedupFilter(input_folder=f"{work}/remove"), JsonlWriter(f"{work}/out")], tasks, "filter_dups")
kept = 0
import glob, gzip
for path in glob.glob(f"{work}/out/*.jsonl*"):
    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as fh:
        kept += sum(1 for _ in fh)
print(json.dumps({"kept": kept}))
"""


def _datatrove(py: str, data: Path, work: Path, with_filters: bool) -> tuple[float, float, int]:
    out = work / ("dt-filters" if with_filters else "dt-dedup")
    shutil.rmtree(out, ignore_errors=True)
    shards = len(list(data.glob("*.jsonl")))
    wall, cpu, done = _timed(
        [py, "-c", _DATATROVE, str(data), str(out), str(shards), "2", "1" if with_filters else "0"]
    )
    kept = json.loads(done.stdout.strip().splitlines()[-1])["kept"]
    shutil.rmtree(out, ignore_errors=True)
    return wall, cpu, kept


def throughput(a: argparse.Namespace) -> str:
    data = _corpus(a.work, a.mb)
    info = json.loads((data / "DONE").read_text())
    mb = info["bytes"] / (1 << 20)
    wall, cpu, report = _scan(
        a.work, data, a.work / "ours", "--workers", "2", "--keep-failing-sources"
    )
    t = report["total"]
    rows = [
        (
            "ours: hegui corpus scan (engine + PII + markers + quality + exact/near dedup), 2 workers",
            wall,
            cpu,
            t["kept"],
        )
    ]
    if a.datatrove_python:
        for with_filters, label in (
            (
                True,
                "datatrove: Gopher rep. + Gopher quality + C4 + FineWeb filters, then MinHash dedup",
            ),
            (False, "datatrove: MinHash dedup only"),
        ):
            dt_wall, dt_cpu, kept = _datatrove(a.datatrove_python, data, a.work, with_filters)
            rows.append((label, dt_wall, dt_cpu, kept))
    shutil.rmtree(a.work / "ours", ignore_errors=True)
    lines = [
        "### Full-scan throughput vs datatrove",
        "",
        f"Command: `python benchmarks/corpus.py throughput --mb {a.mb:g} --datatrove-python PY --write`; {_machine()}.",
        "",
        f"Input: {mb:,.0f} MB of generated mixed Chinese/English JSONL in {info['shards']} shards, {info['records']:,} records (4 % exact and 4 % near copies planted). Both tools use 2 worker processes on the same 2 cores.",
        "",
        "| pipeline | wall s | MB/s | CPU s (all processes) | records kept | ours / this (MB/s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, w, c, kept in rows:
        lines.append(
            f"| {label} | {w:,.1f} | {mb / w:,.2f} | {c:,.1f} | {kept:,} | {w / wall:,.2f}x |"
        )
    lines += [
        "",
        f"Ours found {t['unsafe']['count']:,} harmful records, {t['personal_information']['count']:,} with personal information, "
        f"{t['duplicates']['exact']:,} exact and {t['duplicates']['near']:,} near duplicates; phases (s): "
        + ", ".join(f"{k} {v}" for k, v in report["scan"]["seconds_this_run"].items())
        + ". Target: ours >= 1x the datatrove filters + MinHash pipeline.",
    ]
    return "\n".join(lines)


def ray(a: argparse.Namespace) -> str:
    data = _corpus(a.work, a.mb)
    rows = []
    for engine in ("local", "ray"):
        for workers in (1, 2):
            extra = ["--workers", str(workers), "--keep-failing-sources"] + (
                ["--engine", "ray"] if engine == "ray" else []
            )
            wall, _, report = _scan(a.work, data, a.work / f"{engine}{workers}", *extra)
            timing = report["scan"]["seconds_this_run"]
            rows.append(
                (
                    engine,
                    workers,
                    wall,
                    timing["startup"],
                    timing["records_per_second"],
                    report["total"]["records"],
                )
            )
            shutil.rmtree(a.work / f"{engine}{workers}", ignore_errors=True)
    lines = [
        "### Scale-out: local forked workers and Ray Data",
        "",
        f"Command: `python benchmarks/corpus.py ray --mb {a.mb:g} --write`; {_machine()}. Ray runs a local instance started by the scan (`--engine ray`, no `--address`).",
        "",
        "| executor | workers | records | wall s | start-up s | steady records/s | vs 1 worker |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    base = {e: r for e, w, _, _, r, _ in rows if w == 1}
    for engine, workers, wall, startup, rate, records in rows:
        lines.append(
            f"| {engine} | {workers} | {records:,} | {wall:,.1f} | {startup:,.1f} | {rate:,.0f} | {rate / base[engine]:,.2f}x |"
        )
    lines += [
        "",
        "Target: Ray with 2 workers >= 1.7x the single-worker rate (steady state, after the workers are up).",
    ]
    return "\n".join(lines)


def dedup(a: argparse.Namespace) -> str:
    rows, family_of = near_duplicate_set(a.families)
    data = a.work / "neardup"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    with open(data / "set.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    wall, _, _ = _scan(
        a.work,
        data,
        a.work / "neardup-out",
        "--workers",
        "2",
        "--keep-failing-sources",
        "--min-chars",
        "1",
        "--pii",
        "keep",
        "--keep-marked",
    )
    dropped = [
        json.loads(x) for x in (a.work / "neardup-out" / "dropped.jsonl").read_text().splitlines()
    ]
    predicted = {
        d["record"]["id"]
        for d in dropped
        if set(d["reasons"]) & {"exact_duplicate", "near_duplicate"}
    }
    other = {d["record"]["id"] for d in dropped if "record" in d} - predicted
    truth_ids = set(greedy_truth(rows, family_of, other))
    out = [
        _pr(
            "ours: one-permutation MinHash LSH (126 bins, 18x7) + exact Jaccard check",
            predicted,
            truth_ids,
            wall,
        )
    ]
    out.append(_datasketch(rows, truth_ids, other))
    lines = [
        "### Near-duplicate precision and recall at Jaccard >= 0.8",
        "",
        f"Command: `python benchmarks/corpus.py dedup --families {a.families} --write`; {_machine()}.",
        "",
        f"{len(rows):,} generated documents in {a.families:,} families (a base and 0-4 copies edited at 0-15 %), shuffled; truth: a record repeats an earlier kept record of its family with exact character-5-gram Jaccard >= 0.8 (plain Python sets), first occurrence wins, among the {len(rows) - len(other):,} records no other rule dropped: {len(truth_ids):,} duplicates.",
        "",
        "| method | predicted | true positives | precision | recall | seconds |",
        "|---|---:|---:|---:|---:|---:|",
        *out,
        "",
        "Target: precision >= 0.95 and recall >= 0.95.",
    ]
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(a.work / "neardup-out", ignore_errors=True)
    return "\n".join(lines)


def _pr(label: str, predicted: set[int], truth: set[int], seconds: float) -> str:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    return f"| {label} | {len(predicted):,} | {tp:,} | {precision:.4f} | {recall:.4f} | {seconds:,.1f} |"


def _datasketch(rows: list[dict[str, Any]], truth: set[int], other: set[Any]) -> str:
    try:
        from datasketch import MinHash, MinHashLSH
    except ImportError:
        return "| datasketch | not installed | | | | |"
    from corpus_data import shingles

    start = time.monotonic()
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    kept: dict[int, MinHash] = {}
    predicted = set()
    for r in rows:
        if r["id"] in other:
            continue
        m = MinHash(num_perm=128)
        for s in shingles(r["text"]):
            m.update(s.encode())
        if any(kept[c].jaccard(m) >= 0.8 for c in lsh.query(m)):
            predicted.add(r["id"])
            continue
        lsh.insert(r["id"], m)
        kept[r["id"]] = m
    return _pr(
        "datasketch MinHashLSH 128 perms, threshold 0.8, estimate >= 0.8",
        predicted,
        truth,
        time.monotonic() - start,
    )


def pii(a: argparse.Namespace) -> str:
    folder = ROOT.parent / "shared" / "data" / "raw" / "multipriv-pii" / "LLM"
    kinds = {
        "id_card": ("idCardNumbers", {"CN_RESIDENT_ID"}),
        "phone": ("phoneNumbers", {"CN_MOBILE", "CN_LANDLINE", "PHONE"}),
        "email": ("emailAddress", {"EMAIL"}),
    }
    data = a.work / "multipriv"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    rows = []
    for lang, name in (("zh", "data_person_1000_zh.json"), ("en", "data_person_1000.json")):
        for i, person in enumerate(json.loads((folder / name).read_text(encoding="utf-8"))):
            rows.append(
                {
                    "id": f"{lang}-{i}",
                    "lang": lang,
                    "text": person["naturalParagraph"],
                    "truth": {k: str(person.get(f, "")) for k, (f, _) in kinds.items()},
                }
            )
    with open(data / "multipriv.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    out = a.work / "multipriv-out"
    _scan(
        a.work,
        data,
        out,
        "--workers",
        "2",
        "--pii",
        "keep",
        "--keep-failing-sources",
        "--no-dedup",
        "--min-chars",
        "1",
        "--keep-marked",
    )
    found = {
        k["id"]: k["_hegui"]["pii"]
        for k in map(json.loads, (out / "kept.jsonl").read_text().splitlines())
    }
    found.update(
        {
            d["id"]: d.get("pii", {})
            for d in map(json.loads, (out / "dropped.jsonl").read_text().splitlines())
        }
    )
    lines = [
        "### Personal information on MultiPriv-PII paragraphs (through the scan)",
        "",
        f"Command: `python benchmarks/corpus.py pii --write`; {_machine()}. MultiPriv-PII is CC BY-NC-SA: read from ../shared/data for evaluation only.",
        "",
        "A record counts as found for a kind when the scan reports at least one entity of that kind and the ground-truth value appears verbatim in the paragraph.",
        "",
        "| lang | kind | records with the value | found | recall |",
        "|---|---|---:|---:|---:|",
    ]
    for lang in ("zh", "en"):
        for kind, (_, types) in kinds.items():
            rel = [
                r
                for r in rows
                if r["lang"] == lang and r["truth"][kind] and r["truth"][kind] in r["text"]
            ]
            hits = sum(any(found[r["id"]].get(t, 0) for t in types) for r in rel)
            lines.append(f"| {lang} | {kind} | {len(rel):,} | {hits:,} | {hits / len(rel):.4f} |")
    lines += ["", "Target: recall >= 0.99 for ID, phone and e-mail (the engine's own detector)."]
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    return "\n".join(lines)


def memory(a: argparse.Namespace) -> str:
    import psutil

    data = _corpus(a.work, a.gb * 1024)
    info = json.loads((data / "DONE").read_text())
    out = a.work / "memory-out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = _hegui(
        "corpus",
        "scan",
        str(data),
        "--source",
        "bench",
        "--out",
        str(out),
        "--quiet",
        "--workers",
        "2",
        "--keep-failing-sources",
        "--url",
        _store(a.work),
    )
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = {"rss": 0, "pss": 0, "parent": 0}
    stop = threading.Event()

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in procs)
                pss = sum(p.memory_full_info().pss for p in procs)
                peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
                peak["parent"] = max(peak["parent"], root.memory_info().rss)
            except psutil.Error:
                pass
            stop.wait(1.0)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    _, err = proc.communicate()
    stop.set()
    thread.join()
    wall = time.monotonic() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(err.decode()[-3000:])
    report = json.loads((out / "report.json").read_text())
    shutil.rmtree(out, ignore_errors=True)
    mb = 1 << 20
    return "\n".join(
        [
            "### Memory on a large input",
            "",
            f"Command: `python benchmarks/corpus.py memory --gb {a.gb:g} --write`; {_machine()}.",
            "",
            f"Input: {info['bytes'] / (1 << 30):,.2f} GiB, {info['records']:,} records in {info['shards']} shards; scan with 2 workers took {wall / 60:,.1f} min ({info['bytes'] / mb / wall:,.2f} MB/s).",
            "",
            "| measure | peak |",
            "|---|---:|",
            f"| parent process RSS | {peak['parent'] / mb:,.0f} MB |",
            f"| process tree RSS (parent + workers; shared pages counted in each) | {peak['rss'] / mb:,.0f} MB |",
            f"| process tree PSS (shared pages counted once) | {peak['pss'] / mb:,.0f} MB |",
            "",
            f"Records {report['total']['records']:,}, kept {report['total']['kept']:,}, exact duplicates {report['total']['duplicates']['exact']:,}, near {report['total']['duplicates']['near']:,}. Target: <= 1 GB RSS.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("part", choices=["throughput", "ray", "dedup", "pii", "memory"])
    parser.add_argument("--mb", type=float, default=1024)
    parser.add_argument("--gb", type=float, default=10)
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--datatrove-python", default=None)
    parser.add_argument("--work", type=Path, default=Path("/tmp/hegui-corpus-bench"))
    parser.add_argument(
        "--write", action="store_true", help="write benchmarks/results/corpus_<part>.md"
    )
    a = parser.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    text = {"throughput": throughput, "ray": ray, "dedup": dedup, "pii": pii, "memory": memory}[
        a.part
    ](a)
    print(text)
    if a.write:
        (RESULTS / f"corpus_{a.part}.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
