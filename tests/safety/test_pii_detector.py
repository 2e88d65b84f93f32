"""``PiiDetector`` as an engine layer, the registry, and the public surface of ``hegui.safety.pii``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import hegui.safety.pii as pii
from hegui.safety.pii import PiiDetector, recognizer_names, resident_id_check_char
from hegui.safety.types import Detector, Direction, Doc, Layer

ID = "11010519491231002" + resident_id_check_char("11010519491231002")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "pii.md"


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector()


def test_detector_satisfies_the_engine_protocol(detector: PiiDetector) -> None:
    assert isinstance(detector, Detector)
    assert (detector.name, detector.layer) == ("pii", Layer.PII)


@pytest.mark.parametrize("direction", list(Direction))
def test_when_id_inside_chinese_text_then_finding_points_at_original(
    detector: PiiDetector, direction: Direction
) -> None:
    text = f"我的身份证号是{ID}请保密"
    [finding] = detector.detect(Doc(text), direction)
    ev = finding.evidence
    assert (finding.code, finding.score) == ("A.4.f", 1.0)
    assert (ev.layer, ev.detector, ev.pattern) == (Layer.PII, "cn_resident_id", "CN_RESIDENT_ID")
    assert text[ev.start : ev.end] == ev.text == ID
    assert ev.raw_score is not None and ev.raw_score < ev.score


def test_when_text_has_full_width_digits_then_evidence_is_the_original_slice(
    detector: PiiDetector,
) -> None:
    text = "请拨打１３８１２３４５６７８。"
    [finding] = detector.detect(Doc(text), Direction.INPUT)
    assert finding.evidence.text == "１３８１２３４５６７８"
    assert text[finding.evidence.start : finding.evidence.end] == finding.evidence.text


def test_organisation_codes_are_not_personal_information_by_default() -> None:
    text = "统一社会信用代码91350100M000100Y43，联系人邮箱a@b.cn"
    default = PiiDetector().detect(Doc(text), Direction.OUTPUT)
    assert [f.evidence.pattern for f in default] == ["EMAIL"]
    with_uscc = PiiDetector(entities=["CN_USCC", "EMAIL"]).detect(Doc(text), Direction.OUTPUT)
    assert [f.evidence.pattern for f in with_uscc] == ["CN_USCC", "EMAIL"]


def test_min_score_drops_weak_findings() -> None:
    text = "G12345678 和 13812345678"
    assert [f.evidence.pattern for f in PiiDetector().detect(Doc(text), Direction.INPUT)] == [
        "PASSPORT",
        "CN_MOBILE",
    ]
    assert [
        f.evidence.pattern for f in PiiDetector(min_score=0.5).detect(Doc(text), Direction.INPUT)
    ] == ["CN_MOBILE"]


def test_evidence_serialises_for_the_check_contract(detector: PiiDetector) -> None:
    [finding] = detector.detect(Doc("邮箱a@b.cn"), Direction.INPUT)
    assert finding.evidence.to_dict() == {
        "layer": "pii",
        "start": 2,
        "end": 8,
        "text": "a@b.cn",
        "detector": "email",
        "pattern": "EMAIL",
    }


def test_registered_recognizers_are_exactly_those_documented() -> None:
    table = re.findall(r"^\| `([a-z_]+)` \|", DOCS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert table == recognizer_names()


def test_every_registered_recognizer_has_a_unique_name_and_entity() -> None:
    names = recognizer_names()
    assert len(names) == len(set(names))
    entities = [cls.ENTITY for cls in pii.RECOGNIZERS]
    assert len(entities) == len(set(entities))
    for cls in pii.RECOGNIZERS:
        assert cls.__doc__ and cls.PATTERNS, cls


def test_public_names_resolve() -> None:
    for name in pii.__all__:
        assert hasattr(pii, name), name
