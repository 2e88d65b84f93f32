"""The Annex E label model, the provider code and the lenient parser."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.config import LabelingSettings
from hegui.errors import LabelError
from hegui.labeling import AigcLabel, new_label, parse_label
from hegui.labeling.model import FIELD_NAMES
from hegui.labeling.provider import (
    DEMO_PRODUCER,
    DEMO_USCC,
    configured_producer,
    parse_provider_code,
    provider_code,
    valid_uscc,
)

TENCENT = "001191440300708461136T1XGW3"
CHARSET = "".join(chr(c) for c in [0x21, *range(0x23, 0x5C), *range(0x5D, 0x7F)])
values = st.text(alphabet=CHARSET, min_size=1, max_size=40)


def test_json_is_compact_and_in_annex_e_order() -> None:
    label = AigcLabel("1", TENCENT, "abc", "", TENCENT, "abc", "")
    assert label.to_json() == (
        '{"Label":"1","ContentProducer":"001191440300708461136T1XGW3","ProduceID":"abc",'
        '"ReservedCode1":"","ContentPropagator":"001191440300708461136T1XGW3","PropagateID":"abc","ReservedCode2":""}'
    )
    assert list(json.loads(label.to_json())) == list(FIELD_NAMES)


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("label", "4", "Label must be"),
        ("label", "1 ", "charset"),
        ("content_producer", "腾讯", "charset"),
        ("content_producer", 'a"b', "charset"),
        ("content_producer", "a\\b", "charset"),
        ("content_producer", "a b", "charset"),
        ("produce_id", "", "empty"),
    ],
)
def test_strict_construction_refuses_what_annex_e_forbids(field: str, value: str, why: str) -> None:
    base = {"label": "1", "content_producer": TENCENT, "produce_id": "x"}
    with pytest.raises(LabelError, match=why):
        AigcLabel(**{**base, field: value})


def test_new_label_mirrors_producer_and_ids_are_unique() -> None:
    labels = [new_label(producer=TENCENT) for _ in range(200)]
    assert len({lbl.produce_id for lbl in labels}) == 200
    first = labels[0]
    assert first.content_propagator == first.content_producer == TENCENT
    assert first.propagate_id == first.produce_id


def test_propagation_keeps_producer_fields() -> None:
    label = new_label(producer=TENCENT).with_reserved1("sig")
    platform = provider_code("91440300708461136T", "XGW3", "2")
    moved = label.propagate(platform, "p-1", "sig2")
    assert moved.to_dict() == {
        **label.to_dict(),
        "ContentPropagator": platform,
        "PropagateID": "p-1",
        "ReservedCode2": "sig2",
    }


@pytest.mark.parametrize(
    ("uscc", "ok"),
    [
        ("91440300708461136T", True),  # Tencent, from real files
        ("91110102MAD55U9H0F", True),
        ("91110102MACQD9K640", True),  # ByteDance (Doubao)
        ("91440300708461136X", False),  # wrong check character
        ("91440300708461136", False),
        ("9144030070846113IT", False),  # I is not in the GB 32100 alphabet
        (DEMO_USCC, True),
    ],
)
def test_uscc_check_character(uscc: str, ok: bool) -> None:
    assert valid_uscc(uscc) is ok


def test_provider_code_layout() -> None:
    code = provider_code("91440300708461136T", "XGW3")
    assert code == TENCENT and len(code) == 27
    parts = parse_provider_code(code)
    assert parts is not None and parts.uscc == "91440300708461136T" and parts.service_type == "1"
    assert parse_provider_code("MiniMax") is None
    for bad in (
        ("91440300708461136X", "XGW3", "1"),
        ("91440300708461136T", "xg", "1"),
        ("91440300708461136T", "XGW3", "3"),
    ):
        with pytest.raises(LabelError):
            provider_code(*bad)


def test_configured_producer_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert configured_producer(LabelingSettings(producer=TENCENT)) == TENCENT
    assert (
        configured_producer(LabelingSettings(uscc="91110102MAD55U9H0F", model_code="0002"))
        == "001191110102MAD55U9H0F10002"
    )
    with pytest.raises(LabelError):
        configured_producer(LabelingSettings(producer="001191440300708461136X1XGW3"))
    assert configured_producer(LabelingSettings(), warn=False) == DEMO_PRODUCER


@pytest.mark.parametrize(
    ("text", "form", "problem", "warning"),
    [
        (
            '{"AIGC":{"Label":"1","ContentProducer":"a","ProduceID":"b"}}',
            "wrapped",
            None,
            "ReservedCode1 is missing",
        ),
        (
            "{&quot;Label&quot;:&quot;1&quot;,&quot;ContentProducer&quot;:&quot;a&quot;,&quot;ProduceID&quot;:&quot;b&quot;}",
            "bare",
            None,
            "HTML-entity-escaped",
        ),
        ('{"Label":1,"ContentProducer":"a","ProduceID":"b"}', "bare", "number", None),
        (
            '{"Label":"AIGC","ContentProducer":"MiniMax","ProduceID":"b"}',
            "bare",
            "Label must be",
            None,
        ),
        ('{"Label":"1","ContentProducer":"a"}', "bare", "ProduceID is missing", None),
        ('AIGC{"Label":"1","ContentProducer":"a","ProduceID":"b"}', "bare", None, "bare AIGC"),
        ('{"ProduceID":"b","Label":"1","ContentProducer":"a"}', "bare", None, "order"),
        ('{"Label":"1",', "bare", "not JSON", None),
        ("[1,2]", "bare", "not an object", None),
        (
            '{"AIGC":"{\\"Label\\":\\"1\\",\\"ContentProducer\\":\\"a\\",\\"ProduceID\\":\\"b\\"}"}',
            "wrapped",
            None,
            None,
        ),
    ],
)
def test_lenient_parse_reads_real_world_variants(
    text: str, form: str, problem: str | None, warning: str | None
) -> None:
    parsed = parse_label(text)
    assert parsed.form == form
    if problem is None:
        assert parsed.wellformed, parsed.problems
        assert parsed.label is not None
    else:
        assert any(problem in p for p in parsed.problems)
        assert parsed.label is None
        with pytest.raises(LabelError):
            parse_label(text, lenient=False)
    if warning is not None:
        assert any(warning in w for w in parsed.warnings)


@given(
    st.tuples(
        st.sampled_from("123"),
        values,
        values,
        st.text(CHARSET, max_size=20),
        values,
        values,
        st.text(CHARSET, max_size=20),
    )
)
@settings(max_examples=200, deadline=None, derandomize=True)
def test_any_valid_label_round_trips(parts: tuple[str, ...]) -> None:
    label = AigcLabel(*parts)
    parsed = parse_label(label.to_json(), lenient=False)
    assert parsed.label == label
    assert parsed.warnings == []


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_parser_never_crashes_and_judges_consistently(text: str) -> None:
    parsed = parse_label(text)
    assert parsed.wellformed == (parsed.label is not None)
    if parsed.wellformed:
        assert all(f in parsed.fields for f in ("Label", "ContentProducer", "ProduceID"))


@given(
    st.dictionaries(
        st.sampled_from(FIELD_NAMES),
        st.one_of(st.text(max_size=10), st.integers(), st.none()),
        max_size=7,
    )
)
@settings(max_examples=300, deadline=None, derandomize=True)
def test_validator_accepts_exactly_the_charset(values_in: dict[str, object]) -> None:
    parsed = parse_label(json.dumps(values_in))
    expected_ok = (
        all(isinstance(values_in.get(k), str) for k in ("Label", "ContentProducer", "ProduceID"))
        and all(isinstance(v, str) and all(c in CHARSET for c in v) for v in values_in.values())
        and values_in.get("Label") in ("1", "2", "3")
        and all(values_in.get(k) for k in ("ContentProducer", "ProduceID"))
    )
    assert parsed.wellformed == expected_ok
