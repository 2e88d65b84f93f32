"""Precision, recall and latency of the PII layer on MultiPriv-PII (zh and en paragraphs).

Ground truth: each record's ``idCardNumbers``, ``phoneNumbers`` and ``emailAddress`` values,
located verbatim in its ``naturalParagraph`` (values absent from the paragraph are not counted).
A prediction counts when its span equals a ground-truth span of the same kind exactly. Records
whose ground-truth e-mail contains a space (32 en records; not a valid address, and the paragraph
usually spells it differently) are left out of the e-mail rows and counted as skipped.

The data is CC BY-NC-SA 4.0 and is read from ``/work/shared/data/raw`` only, never copied.

    python benchmarks/pii_eval.py [--data DIR] [--out benchmarks/results/pii.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from hegui.safety.pii import analyze
from hegui.safety.pii.identity import CnResidentIdRecognizer
from hegui.safety.pii.registry import default_recognizers

DATA = Path("/work/shared/data/raw/multipriv-pii/LLM")
COLD_DEV = Path("/work/shared/data/raw/cold/COLDataset/dev.csv")  # Chinese comments, Apache-2.0
FILES = {"zh": "data_person_1000_zh.json", "en": "data_person_1000.json"}
FIELDS = {"id_card": "idCardNumbers", "phone": "phoneNumbers", "email": "emailAddress"}
# Structured Chinese addresses only: the en records' street addresses are out of scope.
EXTRA_FIELDS = {"zh": {"address": "location"}, "en": {}}
KIND_OF = {
    "CN_RESIDENT_ID": "id_card",
    "CN_MOBILE": "phone",
    "CN_LANDLINE": "phone",
    "PHONE": "phone",
    "EMAIL": "email",
    "CN_ADDRESS": "address",
}


class StrictResidentId(CnResidentIdRecognizer):
    """The ID recognizer without the context fallback: only valid check digits count."""

    INVALID_WITH_CONTEXT = None


def spans_of(value: str, text: str) -> set[tuple[int, int]]:
    out, i = set(), text.find(value)
    while value and i >= 0:
        out.add((i, i + len(value)))
        i = text.find(value, i + 1)
    return out


def malformed(kind: str, value: str) -> bool:
    """Ground-truth e-mails with a space are not addresses (the paragraph often repairs them)."""
    return kind == "email" and any(c.isspace() for c in value)


def evaluate(
    records: list[dict], recognizers: tuple, fields: dict[str, str]
) -> tuple[Counter, list[float]]:
    counts: Counter = Counter()
    cpu_ms: list[float] = []
    for r in records:
        text = r["naturalParagraph"]
        skip = {k for k, f in fields.items() if malformed(k, str(r[f]))}
        for k in skip:
            counts[k, "skipped"] += 1
        truth = {
            (k, s) for k, f in fields.items() if k not in skip for s in spans_of(str(r[f]), text)
        }
        t0 = time.process_time()
        found = analyze(text, recognizers=recognizers)
        cpu_ms.append((time.process_time() - t0) * 1e3)
        pred = {
            (KIND_OF[e.entity_type], (e.start, e.end)) for e in found if e.entity_type in KIND_OF
        }
        for kind in fields.keys() - skip:
            p = {s for k, s in pred if k == kind}
            g = {s for k, s in truth if k == kind}
            counts[kind, "tp"] += len(p & g)
            counts[kind, "fp"] += len(p - g)
            counts[kind, "fn"] += len(g - p)
    return counts, cpu_ms


def windows(texts: list[str], size: int = 1000, count: int = 200) -> list[str]:
    """``count`` consecutive ``size``-character windows of the texts joined together."""
    joined = "\n".join(texts)
    return [joined[i * size : (i + 1) * size] for i in range(min(count, len(joined) // size))]


def cpu_us(text: str, repeats: int = 5) -> float:
    """Least CPU time of ``repeats`` runs of ``analyze(text)``: the floor, less noise from neighbours."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        analyze(text)
        best = min(best, time.process_time() - t0)
    return best * 1e6


def reference_us() -> float:
    """CPU µs of a fixed pure-Python loop (``sum(range(100_000))``), to compare runs and machines
    (typically under 1,000 µs on an idle modern core; more means a slower or busier machine)."""
    best = float("inf")
    for _ in range(5):
        t0 = time.process_time()
        sum(range(100_000))
        best = min(best, time.process_time() - t0)
    return best * 1e6


def latency_rows(data: Path) -> list[str]:
    import csv

    sets: dict[str, list[str]] = {}
    if COLD_DEV.exists():
        with COLD_DEV.open(encoding="utf-8-sig") as fh:
            sets["typical zh (COLD dev comments)"] = windows(
                [row["TEXT"] for row in csv.DictReader(fh)]
            )
    for lang, name in FILES.items():
        paras = [
            r["naturalParagraph"] for r in json.loads((data / name).read_text(encoding="utf-8"))
        ]
        sets[f"dense {lang} (MultiPriv paragraphs)"] = windows(paras)
    rows = []
    for label, texts in sets.items():
        us = sorted(cpu_us(t) for t in texts)
        found = sum(len(analyze(t)) for t in texts) / len(texts)
        rows.append(
            f"| {label} | {len(texts)} | {found:.1f} | {statistics.mean(us):.0f} | {us[int(0.95 * len(us))]:.0f} |"
        )
    return rows


def ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=None, help="also write the table as Markdown here")
    args = ap.parse_args(argv)

    default = default_recognizers()
    strict = tuple(
        StrictResidentId() if isinstance(r, CnResidentIdRecognizer) else r for r in default
    )
    lines = [
        "| lang | mode | entity | TP | FP | FN | precision | recall | records skipped |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    latency = []
    for lang, name in FILES.items():
        records = json.loads((args.data / name).read_text(encoding="utf-8"))
        analyze(records[0]["naturalParagraph"])  # warm the compiled patterns
        fields = FIELDS | EXTRA_FIELDS[lang]
        for mode, recs in (("default", default), ("strict checksum", strict)):
            counts, cpu_ms = evaluate(records, recs, fields)
            for kind in fields:
                if mode != "default" and kind != "id_card":
                    continue
                tp, fp, fn = counts[kind, "tp"], counts[kind, "fp"], counts[kind, "fn"]
                lines.append(
                    f"| {lang} | {mode} | {kind} | {tp} | {fp} | {fn} "
                    f"| {ratio(tp, tp + fp):.4f} | {ratio(tp, tp + fn):.4f} | {counts[kind, 'skipped']} |"
                )
            if mode == "default":
                chars = sum(len(r["naturalParagraph"]) for r in records)
                total = sum(cpu_ms)
                latency.append(
                    f"| {lang} | {len(records)} | {chars / len(records):.0f} | {statistics.mean(cpu_ms):.3f} "
                    f"| {sorted(cpu_ms)[int(0.95 * len(cpu_ms))]:.3f} | {total / chars * 1000:.3f} |"
                )
    lines += [
        "",
        "Per paragraph (one run each):",
        "",
        "| lang | texts | mean chars | mean CPU ms/text | p95 CPU ms/text | CPU ms per 1,000 chars |",
        "|---|---|---|---|---|---|",
        *latency,
        "",
        f"1,000-character texts (least CPU time of 5 runs per text; reference loop "
        f"`sum(range(100_000))` took {reference_us():.0f} µs on this machine at the time):",
        "",
        "| texts | count | entities per text | mean CPU µs | p95 CPU µs |",
        "|---|---|---|---|---|",
        *latency_rows(args.data),
    ]
    table = "\n".join(lines)
    print(table)
    if args.out is not None:
        cmd = "python benchmarks/pii_eval.py --out " + str(args.out)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            "# PII layer on MultiPriv-PII\n\n"
            f"Command: `{cmd}` (from the repository root)\n\n"
            "Exact-span matches; `strict checksum` keeps only resident IDs whose GB 11643 check "
            "character and province code are valid (no context fallback). E-mail rows skip records "
            "whose ground-truth address contains a space (malformed). Latency is CPU time "
            "(`time.process_time`) of `analyze()` per paragraph on a shared 2-core machine. "
            "The zh `address` row (structured addresses vs the `location` field) is a bonus; "
            "the target covers ID card, phone and e-mail. "
            f"Load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.\n\n"
            + table
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
