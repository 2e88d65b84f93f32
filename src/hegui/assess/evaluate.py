"""Judge a run folder: ``results.jsonl`` → ``judgements.jsonl`` + ``summary.json``.

Every selected item gets a judgement, including the ones that were never answered (the run was
stopped: reason ``not asked``) or whose request failed, so the summary can say how many items
could not be judged and why. With human labels (``--labels``: JSONL of ``{"id", "refused",
"harmful"}``) the agreement of the rules judge and of the LLM judge with the humans is added:
accuracy and Cohen's κ.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from hegui.assess.judge import Judge, Judgement
from hegui.assess.metrics import summarize
from hegui.assess.runner import RUN_FILE, load_results, read_selection
from hegui.errors import InputError

__all__ = ["JUDGEMENTS", "SUMMARY", "agreement", "judge_run", "read_labels"]

JUDGEMENTS = "judgements.jsonl"
SUMMARY = "summary.json"


def _kappa(pairs: list[tuple[bool, bool]]) -> float | None:
    n = len(pairs)
    if not n:
        return None
    po = sum(a == b for a, b in pairs) / n
    pa, pb = sum(a for a, _ in pairs) / n, sum(b for _, b in pairs) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return None if pe >= 1 else (po - pe) / (1 - pe)


def agreement(judgements: list[Judgement], labels: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Accuracy and Cohen's κ of each judge against human ``refused`` / ``harmful`` labels."""
    out: dict[str, Any] = {"labelled": 0}
    judges: dict[str, dict[str, list[tuple[bool, bool]]]] = {"rules": {}, "llm": {}}
    for j in judgements:
        human = labels.get(j.id)
        if not j.judged or human is None:
            continue
        out["labelled"] += 1
        llm = j.evidence.get("llm") or {}
        refusal = j.evidence.get("refusal", {})
        for field in ("refused", "harmful"):
            if not isinstance(human.get(field), bool):
                continue
            rules_value = j.refused if field == "refused" else j.harmful
            if j.by == "llm":  # the rules' own decision is kept in the evidence
                rules_value = (refusal.get("declined") if j.bank == "not-refuse"
                               else refusal.get("withheld")) if field == "refused" else None  # fmt: skip
            if rules_value is not None:
                judges["rules"].setdefault(field, []).append((bool(rules_value), human[field]))
            if llm.get("ok"):
                from hegui.assess.refusal import Stance, refused_stance

                value = (refused_stance(Stance(llm["stance"]), j.bank) if field == "refused"
                         else bool(llm["harmful"]))  # fmt: skip
                judges["llm"].setdefault(field, []).append((value, human[field]))
    for name, fields in judges.items():
        for field, pairs in fields.items():
            out[f"{name}_{field}"] = {
                "n": len(pairs),
                "accuracy": round(sum(a == b for a, b in pairs) / len(pairs), 4),
                "kappa": None if (k := _kappa(pairs)) is None else round(k, 4),
            }
    return out


def read_labels(path: Path) -> dict[str, dict[str, Any]]:
    labels: dict[str, dict[str, Any]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            raise InputError(f"{path}:{n}: not JSON") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            raise InputError(f"{path}:{n}: a label needs a string 'id'")
        labels[doc["id"]] = doc
    return labels


def judge_run(
    out_dir: Path,
    *,
    judge: Judge | None = None,
    llm: Any | None = None,
    labels: Path | None = None,
    on_progress: Any | None = None,
) -> dict[str, Any]:
    """Judge every selected item of the run in ``out_dir``; write and return the summary."""
    selected = read_selection(out_dir)
    run = json.loads((out_dir / RUN_FILE).read_text(encoding="utf-8"))
    results = load_results(out_dir)
    judge = judge or Judge()
    opinions: dict[str, dict[str, Any]] = {}
    if llm is not None:
        answered = [results[s["id"]] for s in selected
                    if results.get(s["id"], {}).get("status") == "ok"]  # fmt: skip
        pairs = [(str(r.get("question", "")), str(r.get("answer", ""))) for r in answered]
        got = asyncio.run(_ask_llm(llm, pairs))
        opinions = {str(r["id"]): op for r, op in zip(answered, got, strict=True)}
    judgements: list[Judgement] = []
    for n, item in enumerate(selected, 1):
        result = results.get(item["id"])
        if result is None:
            missing = {**item, "status": "error", "error_kind": "not asked",
                       "error": "no result (the run stopped before this item)"}  # fmt: skip
            judgements.append(judge.judge(missing))
        else:
            judgements.append(judge.judge(result, opinions.get(item["id"])))
        if on_progress:
            on_progress(n, len(selected))
    extra: dict[str, Any] = {"judge": {"refusal_model": "hegui.assess refusal_model.json",
                                       "harm_model": "hegui.assess harm_model.json",
                                       "llm": getattr(llm, "model", None)}}  # fmt: skip
    if labels is not None:
        extra["agreement"] = agreement(judgements, read_labels(labels))
    summary = summarize(judgements, run, extra)
    with (out_dir / JUDGEMENTS).open("w", encoding="utf-8") as f:
        for j in judgements:
            f.write(json.dumps(j.to_dict(), ensure_ascii=False) + "\n")
    (out_dir / SUMMARY).write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return summary


async def _ask_llm(llm: Any, pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return list(await llm.opinions(pairs))
