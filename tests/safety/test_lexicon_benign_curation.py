"""The benign-hit curation of issue 13, round 2 (``scripts/lexicon_benign_curate.py``).

Before: 田园女权, 代孕, 脑残 and 41 more terms that benign text (COLD's and SWSR's non-offensive
comments, exam questions, dialogue) carries about as often as risky text flagged it on their
own, and 赔钱货, 限男性 and 黑人都是罪犯 could refuse a benign text alone. The record lists each
change with the benign and risky training hits it was decided on; the shipped lexicon must
agree with it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hegui.safety.lexicon.detector import LexiconDetector
from hegui.safety.types import Direction, Doc

RECORD = Path(__file__).resolve().parents[2] / "scripts" / "lexicon_benign_curation.tsv"


def _record() -> list[dict[str, str]]:
    with RECORD.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@pytest.fixture(scope="module")
def detector() -> LexiconDetector:
    return LexiconDetector.default()


def test_record_is_complete_and_decided_by_benign_hits() -> None:
    rows = _record()
    assert len(rows) >= 40
    assert all(int(r["benign_train_hits"]) >= 2 for r in rows)
    assert {r["action"] for r in rows} == {"drop", "high→medium"}
    assert all((r["severity"] == "high") == (r["action"] == "high→medium") for r in rows)


def test_dropped_terms_no_longer_flag_alone(detector: LexiconDetector) -> None:
    dropped = [r["term"] for r in _record() if r["action"] == "drop"]
    for term in dropped:
        found = [f for f in detector.detect(Doc(term), Direction.INPUT)
                 if f.evidence.pattern.split(" (")[0] == term]  # fmt: skip
        assert found == [], term


def test_demoted_terms_flag_but_never_refuse_alone(detector: LexiconDetector) -> None:
    for r in _record():
        if r["action"] != "high→medium":
            continue
        found = [f for f in detector.detect(Doc(r["term"]), Direction.INPUT)
                 if f.evidence.pattern.split(" (")[0] == r["term"]]  # fmt: skip
        assert found and max(f.score for f in found) < 1.0, r["term"]


def test_a_benign_comment_about_a_topic_word_is_not_flagged(detector: LexiconDetector) -> None:
    text = "关于代孕合法化的讨论，我觉得应该多听听法律学者的意见。"
    assert detector.detect(Doc(text), Direction.INPUT) == []


HINT_RECORD = RECORD.with_name("lexicon_hint_curation.tsv")


def test_hint_terms_are_reported_as_low_and_allowed_alone(detector: LexiconDetector) -> None:
    """Third pass: medium terms found in benign training text became low hints (菠菜 is also
    spinach, 辱华 a news topic); the engine keeps them as evidence, the policy does not act."""
    from hegui.safety import Action, Engine
    from hegui.safety.policy import Policy

    with HINT_RECORD.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) >= 50 and all(int(r["benign_train_hits"]) >= 1 for r in rows)
    engine = Engine([detector], Policy.builtin(), cache_size=0)
    for r in rows:
        found = [f for f in detector.detect(Doc(r["term"]), Direction.INPUT)
                 if f.evidence.pattern.split(" (")[0] == r["term"]]  # fmt: skip
        assert found and max(f.score for f in found) < 0.5, r["term"]
    verdict = engine.check("菠菜炒鸡蛋怎么做好吃？", Direction.INPUT)
    assert verdict.action is Action.ALLOW and verdict.risks
