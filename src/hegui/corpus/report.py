"""``report.json``: the scan's numbers per source and in total, against the filing thresholds.

What it answers: TC260-003 §5.1 (per source: legal basis, licence, harmful share ≤ 5 %,
personal information and consent), §9.2 (technical check coverage and pass rate; the manual
sample's size and, after ``hegui corpus review``, its pass rate ≥ 96 %) and Article 19 (source,
scale, type of the training data). Every share carries its Wilson 95 % interval.
"""

from __future__ import annotations

from typing import Any

from hegui.corpus.registry import EDITABLE, Source
from hegui.corpus.stats import proportion
from hegui.corpus.tally import SourceTally, Tally

__all__ = [
    "MANUAL_PASS_MIN",
    "QUALITY_REASONS",
    "SAMPLE_MIN",
    "TECHNICAL_COVERAGE_MIN",
    "TECHNICAL_PASS_MIN",
    "UNSAFE_MAX",
    "build_report",
    "excluded_sources",
    "summary_lines",
]

UNSAFE_MAX = 0.05  # TC260-003 §5.1: a source with more harmful records must not be used
MANUAL_PASS_MIN = 0.96  # §9.2: manual check of ≥ 4,000 random items, ≥ 96 % acceptable
SAMPLE_MIN = 4000
TECHNICAL_COVERAGE_MIN = 0.10  # §9.2: technical check of ≥ 10 % of the corpus, ≥ 98 % acceptable
TECHNICAL_PASS_MIN = 0.98
QUALITY_REASONS = ("empty", "too_short", "garbage_characters", "repetitive", "language")
_REGISTER_FIELDS = (*EDITABLE[:-1], "usable")  # the register entry without its notes


def _unsafe(t: SourceTally) -> dict[str, Any]:
    out = proportion(t.unsafe, t.checked)
    share, upper = out["share"], out["ci95"][1]
    out["limit"] = UNSAFE_MAX
    out["pass"] = share is not None and share <= UNSAFE_MAX
    out["pass_at_upper_bound"] = share is not None and upper <= UNSAFE_MAX
    return out


def excluded_sources(
    tally: Tally, registry: dict[str, Source], *, enforce_limit: bool = True
) -> dict[str, str]:
    """Sources whose records must not be kept: incomplete register entry, or over the limit."""
    out: dict[str, str] = {}
    for source_id, t in tally.sources.items():
        source = registry.get(source_id)
        if source is None:
            continue  # unregistered: every record already carries "unregistered_source"
        if source.missing:
            out[source_id] = "source_incomplete"
        elif enforce_limit and t.checked and t.unsafe / t.checked > UNSAFE_MAX:
            out[source_id] = "source_over_limit"
    return out


def _section(t: SourceTally) -> dict[str, Any]:
    return {
        "records": t.records,
        "kept": t.kept,
        "dropped": t.dropped,
        "dropped_by_reason": dict(t.reasons.most_common()),
        "checked": t.checked,
        "unchecked": t.unchecked,
        "chars": t.chars,
        "unsafe": _unsafe(t),
        "engine_failed": t.failed,
        "risk_codes": dict(sorted(t.risks.items())),
        "actions": dict(t.actions.most_common()),
        "personal_information": {
            **proportion(t.pii_records, t.checked),
            "entities": dict(t.pii.most_common()),
            "redacted_records": t.redacted,
        },
        "duplicates": {"exact": t.exact_duplicates, "near": t.near_duplicates},
        "quality": {r: t.reasons.get(r, 0) for r in QUALITY_REASONS},
        "markers": dict(t.markers.most_common()),
        "languages": dict(t.languages.most_common()),
        "encodings": dict(t.encodings.most_common()),
        "lengths": dict(t.lengths),
    }


def _source_section(source_id: str, t: SourceTally, source: Source | None) -> dict[str, Any]:
    """Problems make a source unusable (register, 5 % rule); notes are for a person to check."""
    out: dict[str, Any] = {"id": source_id, "registered": source is not None}
    problems: list[str] = []
    notes: list[str] = []
    if source is None:
        problems.append("not in the source register (`hegui corpus source add`)")
    else:
        out["register"] = {k: getattr(source, k) for k in _REGISTER_FIELDS}
        out["missing_fields"] = source.missing
        if source.missing:
            problems.append("register entry lacks " + ", ".join(source.missing))
        if t.pii_records and source.personal_info is False:
            notes.append(
                f"{t.pii_records:,} records hold personal information "
                f"({', '.join(sorted(t.pii))}; {t.redacted:,} kept records redacted), but the "
                "register says the source holds none: check the legal basis (PIPL Art. 13)"
            )
    section = _section(t)
    if not section["unsafe"]["pass"] and t.checked:
        problems.append(
            f"harmful share {section['unsafe']['share']:.2%} is over the {UNSAFE_MAX:.0%} limit"
        )
    out.update(section)
    out["usable"] = not problems
    out["problems"] = problems
    out["notes"] = notes
    return out


def _art19(sources: list[dict[str, Any]], total: SourceTally) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    regions: dict[str, int] = {}
    modalities: dict[str, int] = {}
    for s in sources:
        reg = s.get("register") or {}
        for key, bucket in (("kind", kinds), ("region", regions), ("modality", modalities)):
            label = reg.get(key) or "unknown"
            bucket[label] = bucket.get(label, 0) + s["kept"]
    kept = total.kept
    return {
        "sources": len(sources),
        "records_scanned": total.records,
        "records_kept": kept,
        "characters_scanned": total.chars,
        "kept_by_kind": kinds,
        "kept_by_region": regions,
        "foreign_share_of_kept": round(regions.get("foreign", 0) / kept, 6) if kept else None,
        "kept_by_modality": modalities,
        "languages": dict(total.languages.most_common()),
    }


def _technical(tally: Tally, sources: list[dict[str, Any]]) -> dict[str, Any]:
    """§9.2 technical check over the corpus that will be used: the usable sources' records.

    Every record is checked (coverage is the share the engine could check). Before filtering,
    the acceptable share says how clean the sources are; after filtering it is 100 % by
    construction, since the scan keeps only what the engine accepted, which is why the manual
    check of a random sample of the kept records is the independent evidence.
    """
    scope = SourceTally()
    for s in sources:
        if s["usable"]:
            scope.merge(tally.sources[s["id"]])
    before = proportion(scope.checked - scope.unsafe, scope.checked)
    coverage = scope.checked / scope.records if scope.records else 0.0
    return {
        "scope": "records of the usable sources",
        "sources": [s["id"] for s in sources if s["usable"]],
        "records": scope.records,
        "coverage": round(coverage, 6),
        "coverage_min": TECHNICAL_COVERAGE_MIN,
        "before_filtering": before,
        "after_filtering": {"records": scope.kept, "share": 1.0 if scope.kept else None},
        "pass_min": TECHNICAL_PASS_MIN,
        "pass": coverage >= TECHNICAL_COVERAGE_MIN and scope.kept > 0,
    }


def build_report(
    *,
    scan: dict[str, Any],
    tally: Tally,
    registry: dict[str, Source],
    files: list[dict[str, Any]],
    skipped: list[dict[str, str]],
    sample: dict[str, Any],
) -> dict[str, Any]:
    """The whole report as plain JSON values."""
    sources = [
        _source_section(sid, t, registry.get(sid)) for sid, t in sorted(tally.sources.items())
    ]
    total = tally.total()
    totals = _section(total)
    return {
        "scan": scan,
        "thresholds": {
            "unsafe_share_max": UNSAFE_MAX,
            "manual_sample_min": SAMPLE_MIN,
            "manual_pass_min": MANUAL_PASS_MIN,
            "technical_coverage_min": TECHNICAL_COVERAGE_MIN,
            "technical_pass_min": TECHNICAL_PASS_MIN,
        },
        "sources": sources,
        "total": totals,
        "problems": {
            "counts": dict(tally.problems.most_common()),
            "examples": tally.examples,
            "skipped_files": skipped,
        },
        "files": files,
        "sample": sample,
        "tc260": {
            "5.1_sources": [
                {
                    "source": s["id"],
                    "legal_basis": (s.get("register") or {}).get("legal_basis"),
                    "licence": (s.get("register") or {}).get("licence"),
                    "unsafe_share": s["unsafe"]["share"],
                    "ci95": s["unsafe"]["ci95"],
                    "pass": s["unsafe"]["pass"],
                    "usable": s["usable"],
                }
                for s in sources
            ],
            "9.2_technical_check": _technical(tally, sources),
            "9.2_manual_check": {
                "sample_size": sample["size"],
                "sample_min": SAMPLE_MIN,
                "pass_min": MANUAL_PASS_MIN,
                "status": "awaiting review (hegui corpus review DIR --verdicts FILE)",
            },
            "art19": _art19(sources, total),
        },
        "review": None,
    }


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A few lines for the terminal: per source and total, with the pass/fail verdicts."""
    lines = []
    for s in report["sources"]:
        notes = [f"  note: {n}" for n in s.get("notes", [])]
        u = s["unsafe"]
        share = "n/a" if u["share"] is None else f"{u['share']:.2%}"
        lo, hi = u["ci95"]
        verdict = "usable" if s["usable"] else "NOT USABLE: " + "; ".join(s["problems"])
        if s["usable"] and not (s.get("register") or {}).get("usable"):
            verdict += f" (not yet marked usable: hegui corpus source update {s['id']} --usable)"
        lines.append(
            f"{s['id']}: {s['records']:,} records, kept {s['kept']:,}, harmful {share} "
            f"[{lo:.2%}–{hi:.2%}] — {verdict}"
        )
        lines.extend(notes)
    t = report["total"]
    lines.append(
        f"total: {t['records']:,} records, kept {t['kept']:,}, dropped {t['dropped']:,}, "
        f"duplicates {t['duplicates']['exact']:,} exact + {t['duplicates']['near']:,} near"
    )
    problems = report["problems"]["counts"]
    if problems or report["problems"]["skipped_files"]:
        parts = [f"{n:,} {kind}" for kind, n in problems.items()]
        if report["problems"]["skipped_files"]:
            parts.append(f"{len(report['problems']['skipped_files'])} skipped files")
        lines.append(
            "problems: " + ", ".join(parts) + " (file and line in report.json / dropped.jsonl)"
        )
    lines.append(f"review sample: {report['sample']['size']:,} records in sample.jsonl")
    return lines
