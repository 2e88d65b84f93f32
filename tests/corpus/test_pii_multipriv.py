"""Personal information found by the scan on MultiPriv-PII paragraphs (recall ≥ 0.99).

MultiPriv-PII is CC BY-NC-SA 4.0: read from ``../shared/data/raw`` at test time, converted to
JSONL in a temporary folder, never copied into the repository. A record counts as found for a
kind when the scan reports at least one entity of that kind for it and the ground-truth value
appears verbatim in the paragraph (values the paragraph spells differently are not counted).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hegui.corpus.quality import QualityRules
from tests.corpus.conftest import read_jsonl, shared_data, write_jsonl

KINDS = {
    "id_card": ("idCardNumbers", {"CN_RESIDENT_ID"}),
    "phone": ("phoneNumbers", {"CN_MOBILE", "CN_LANDLINE", "PHONE"}),
    "email": ("emailAddress", {"EMAIL"}),
}


def _records() -> list[dict[str, Any]]:
    folder = shared_data("multipriv-pii", "LLM")
    rows = []
    for lang, name in (("zh", "data_person_1000_zh.json"), ("en", "data_person_1000.json")):
        for i, person in enumerate(json.loads((folder / name).read_text(encoding="utf-8"))):
            truth = {k: str(person.get(field, "")) for k, (field, _) in KINDS.items()}
            rows.append({"id": f"{lang}-{i}", "text": person["naturalParagraph"], "truth": truth})
    return rows


def test_scan_finds_ids_phones_and_emails_in_multipriv_paragraphs(
    scan_dir: Any, tmp_path: Path
) -> None:
    rows = _records()
    path = write_jsonl(tmp_path / "multipriv.jsonl", rows)
    quality = QualityRules(min_chars=1)
    _, out = scan_dir([path], pii="keep", enforce_limit=False, dedup=False, quality=quality)
    found: dict[str, dict[str, int]] = {}
    for k in read_jsonl(out / "kept.jsonl"):
        found[k["id"]] = k["_hegui"]["pii"]
    for d in read_jsonl(out / "dropped.jsonl"):
        found[d["id"]] = d.get("pii", {})
    assert len(found) == len(rows)
    recall = {}
    for kind, (_, types) in KINDS.items():
        relevant = [r for r in rows if r["truth"][kind] and r["truth"][kind] in r["text"]]
        hits = sum(any(found[r["id"]].get(t, 0) for t in types) for r in relevant)
        recall[kind] = hits / len(relevant)
        assert len(relevant) > 1800, kind
    assert min(recall.values()) >= 0.99, recall


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ground_truth_is_present(kind: str) -> None:
    rows = _records()
    assert sum(bool(r["truth"][kind]) for r in rows) == len(rows)
