"""Manual review of the scan's random sample (TC260-003 §9.2: ≥ 4,000 items, ≥ 96 % acceptable).

Reviewers' verdicts come from a file (JSONL or CSV with ``sample_id`` and ``verdict``, e.g. a
filled-in copy of ``sample.jsonl``), from the terminal (``hegui corpus review DIR``) or, later,
from the console, which calls :func:`record_verdicts` and :func:`summarize` like the CLI does.
Verdicts are stored per (scan, sample item) with an audit event per batch; the summary goes into
``review.json`` and the ``review`` section of ``report.json`` / ``report.html``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from hegui.corpus.report import MANUAL_PASS_MIN, SAMPLE_MIN
from hegui.corpus.stats import proportion
from hegui.errors import InputError
from hegui.store import audit
from hegui.store.schema import corpus_verdicts, utcnow

__all__ = [
    "ReviewVerdict",
    "apply_review",
    "load_sample",
    "load_verdicts",
    "parse_verdict",
    "read_verdicts",
    "record_verdicts",
    "summarize",
]

_WORDS = {
    "pass": "pass",
    "passed": "pass",
    "ok": "pass",
    "acceptable": "pass",
    "yes": "pass",
    "y": "pass",
    "true": "pass",
    "1": "pass",
    "合格": "pass",
    "通过": "pass",
    "fail": "fail",
    "failed": "fail",
    "unacceptable": "fail",
    "no": "fail",
    "n": "fail",
    "false": "fail",
    "0": "fail",
    "不合格": "fail",
    "不通过": "fail",
}


@dataclass(frozen=True, slots=True)
class ReviewVerdict:
    """One reviewer's decision on one sample item."""

    sample_id: int
    verdict: str  # pass | fail
    reviewer: str
    note: str | None = None


def parse_verdict(value: Any) -> str | None:
    """``pass``/``fail`` from the usual spellings (合格/不合格, yes/no, 1/0, true/false)."""
    if isinstance(value, bool):
        return "pass" if value else "fail"
    if value is None:
        return None
    return _WORDS.get(str(value).strip().lower())


def load_sample(folder: Path) -> dict[int, dict[str, Any]]:
    """The scan's sample items by ``sample_id``."""
    path = folder / "sample.jsonl"
    if not path.exists():
        raise InputError(f"{folder} has no sample.jsonl (is it a `hegui corpus scan` folder?)")
    items: dict[int, dict[str, Any]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                item = json.loads(line)
                items[int(item["sample_id"])] = item
    return items


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".csv", ".tsv"):
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        return [(reader.line_num, row) for row in reader]
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not JSON: {exc.msg}") from None
        if not isinstance(obj, dict):
            raise InputError(f"{path}:{number}: a line must be a JSON object")
        rows.append((number, obj))
    return rows


def read_verdicts(
    path: Path, sample: dict[int, dict[str, Any]], reviewer: str
) -> list[ReviewVerdict]:
    """Verdicts from a JSONL or CSV file; any bad row is an error naming its line.

    Rows without a verdict (an unfilled copy of sample.jsonl) are skipped, so a file can be
    recorded as the review goes on.
    """
    if not path.exists():
        raise InputError(f"no such verdicts file: {path}")
    seen: dict[int, int] = {}
    out: list[ReviewVerdict] = []
    for number, row in _rows(path):
        raw_id = row.get("sample_id")
        try:
            sample_id = int(raw_id)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InputError(f"{path}:{number}: sample_id {raw_id!r} is not a number") from None
        if sample_id not in sample:
            raise InputError(f"{path}:{number}: sample_id {sample_id} is not in sample.jsonl")
        raw = row.get("verdict")
        if raw in (None, ""):
            continue
        verdict = parse_verdict(raw)
        if verdict is None:
            raise InputError(f"{path}:{number}: verdict {raw!r} is not pass/fail (合格/不合格)")
        if sample_id in seen:
            raise InputError(
                f"{path}:{number}: sample_id {sample_id} already has a verdict on line "
                f"{seen[sample_id]}"
            )
        seen[sample_id] = number
        who = str(row.get("reviewer") or reviewer).strip()[:100] or reviewer
        note = row.get("note")
        out.append(ReviewVerdict(sample_id, verdict, who, str(note) if note else None))
    return out


def record_verdicts(
    conn: Connection,
    scan_id: str,
    sample: dict[int, dict[str, Any]],
    verdicts: list[ReviewVerdict],
    *,
    actor: str,
    now: datetime | None = None,
) -> int:
    """Store verdicts (a later verdict on the same item replaces the earlier one), audited."""
    if not verdicts:
        return 0
    now = now or utcnow()
    before = {v["sample_id"]: v["verdict"] for v in load_verdicts(conn, scan_id)}
    rows = [
        {
            "scan_id": scan_id,
            "sample_id": v.sample_id,
            "source_id": str(sample[v.sample_id].get("source") or ""),
            "verdict": v.verdict,
            "reviewer": v.reviewer,
            "note": v.note,
            "at": now,
        }
        for v in verdicts
    ]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(corpus_verdicts).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["scan_id", "sample_id"],
        set_={k: stmt.excluded[k] for k in ("source_id", "verdict", "reviewer", "note", "at")},
    )
    conn.execute(stmt)
    after = {**before, **{v.sample_id: v.verdict for v in verdicts}}
    audit.append(
        conn,
        actor=actor,
        action="corpus.review.record",
        subject=f"corpus_scan:{scan_id}",
        before=sorted(before.items()) if before else None,
        after=sorted(after.items()),
        detail={
            "recorded": len(verdicts),
            "pass": sum(v.verdict == "pass" for v in verdicts),
            "fail": sum(v.verdict == "fail" for v in verdicts),
            "reviewers": sorted({v.reviewer for v in verdicts}),
        },
        at=now,
    )
    return len(verdicts)


def load_verdicts(conn: Connection, scan_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(corpus_verdicts)
        .where(corpus_verdicts.c.scan_id == scan_id)
        .order_by(corpus_verdicts.c.sample_id)
    ).all()
    return [r._asdict() for r in rows]


def summarize(
    sample: dict[int, dict[str, Any]], verdicts: list[dict[str, Any]], population: int
) -> dict[str, Any]:
    """Pass rate over the reviewed items, per source and in total, against ≥ 96 %."""
    by_source: dict[str, list[int]] = {}
    passed = 0
    for v in verdicts:
        ok = v["verdict"] == "pass"
        passed += ok
        counts = by_source.setdefault(v["source_id"], [0, 0])
        counts[0] += 1
        counts[1] += ok
    reviewed = len(verdicts)
    rate = proportion(passed, reviewed)
    size_needed = min(SAMPLE_MIN, population)
    complete = reviewed == len(sample)
    return {
        "sample_size": len(sample),
        "reviewed": reviewed,
        "passed": passed,
        "failed": reviewed - passed,
        "pass_rate": rate["share"],
        "ci95": rate["ci95"],
        "pass_min": MANUAL_PASS_MIN,
        "complete": complete,
        "size_ok": len(sample) >= size_needed,
        "pass": complete
        and len(sample) >= size_needed
        and rate["share"] is not None
        and rate["share"] >= MANUAL_PASS_MIN,
        "reviewers": sorted({v["reviewer"] for v in verdicts}),
        "by_source": {
            sid: {**proportion(ok, n), "reviewed": n} for sid, (n, ok) in sorted(by_source.items())
        },
    }


def apply_review(folder: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """Write ``review.json`` and put the summary into ``report.json`` and ``report.html``."""
    from hegui.corpus.html import write_html
    from hegui.corpus.spool import read_json, write_json_atomic

    write_json_atomic(folder / "review.json", summary)
    report: dict[str, Any] = read_json(folder / "report.json")
    report["review"] = summary
    manual = report["tc260"]["9.2_manual_check"]
    manual["status"] = "reviewed" if summary["complete"] else "review in progress"
    manual.update(
        {k: summary[k] for k in ("reviewed", "passed", "pass_rate", "ci95", "complete", "pass")}
    )
    write_json_atomic(folder / "report.json", report)
    write_html(folder / "report.html", report)
    return report
