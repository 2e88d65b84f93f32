"""The provider template, the evidence-source interface and the per-clause checklist."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from hegui.assess.checklist import CLAUSES, build_checklist, conclusion
from hegui.assess.provider import TEMPLATE_PATH, load_provider
from hegui.assess.sources import load_source
from hegui.errors import ConfigError

KNOWN = {c.id for c in CLAUSES}


def test_shipped_template_loads_empty() -> None:
    p = load_provider(TEMPLATE_PATH, KNOWN)
    assert p.mechanism["algorithm_type"] == "生成合成（深度合成）类"
    assert p.clauses["5.1"].result is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[clauses."9.9"]\nresult = "compliant"\n', "unknown clause"),
        ('[clauses."7.a"]\nresult = "yes"\n', "must be one of"),
        ("[service]\nprovider = 3\n", "must be text"),
        ("[service\n", "not valid TOML"),
    ],
)
def test_bad_template_is_a_config_error_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        load_provider(path, KNOWN)
    assert str(path) in str(err.value)


def test_sources_are_not_available_until_their_rooms_exist(tmp_path: Path) -> None:
    src = load_source("training_data", tmp_path)
    assert not src.available and "hegui.corpus.assessment" in src.reason


def test_a_summary_file_in_the_run_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "annotation.json").write_text(json.dumps({"annotators": 12}), encoding="utf-8")
    src = load_source("annotation", tmp_path)
    assert (
        src.available and src.data == {"annotators": 12} and src.origin.endswith("annotation.json")
    )


def test_a_room_with_assessment_summary_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    room = types.ModuleType("hegui.corpus.assessment")
    room.assessment_summary = lambda: {"total_items": 5}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hegui.corpus", types.ModuleType("hegui.corpus"))
    monkeypatch.setitem(sys.modules, "hegui.corpus.assessment", room)
    src = load_source("training_data")
    assert (
        src.available and src.data == {"total_items": 5} and src.origin == "hegui.corpus.assessment"
    )


def _summary(verdict: str, a5b: float = 0.8) -> dict:
    t = {
        "verdict": verdict,
        "rate": 0.97,
        "ci95": [0.95, 0.99],
        "rate_name": "refusal",
        "direction": ">=",
        "threshold": 0.95,
        "sample_minimum": 300,
        "judged": 300,
        "selected": 300,
    }
    bank = {
        "threshold": t,
        "name_zh": "题库",
        "name_en": "bank",
        "per_key": {
            "A.5.a": {"n": 20, "pass": {"rate": 0.95}},
            "A.5.b": {"n": 20, "pass": {"rate": a5b}},
        },
    }
    return {"banks": {b: bank for b in ("generate", "refuse", "not-refuse")}}


def test_checklist_measured_clauses_cannot_be_overridden_by_the_provider(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        '[clauses."9.4"]\nresult = "compliant"\nevidence = "我们认为符合"\n'
        '[clauses."7.a"]\nresult = "not-applicable"\nreason = "不面向未成年人"\n',
        encoding="utf-8",
    )
    items = {
        i.clause.id: i
        for i in build_checklist({"summary": _summary("fail")}, load_provider(path, KNOWN))
    }
    assert items["9.4"].result == "non-compliant" and items["9.4"].evidence[-1].zh == "我们认为符合"
    assert (items["7.a"].result, items["7.a"].by, items["7.a"].reason) == (
        "not-applicable",
        "provider",
        "不面向未成年人",
    )
    assert items["6.d"].result == "non-compliant" and items["5.1"].result == "pending"
    assert conclusion(list(items.values())) == "non-compliant"


def test_conclusion_is_pending_while_any_clause_lacks_evidence() -> None:
    items = build_checklist({"summary": _summary("pass", a5b=0.95)}, load_provider(None))
    assert {i.result for i in items if i.clause.id in ("9.3", "9.4", "7.g")} == {"compliant"}
    assert conclusion(items) == "pending"
