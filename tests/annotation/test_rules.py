"""Versioned rules: the default text covers all 31 risks; versions are checked and never change."""

from __future__ import annotations

import re

import pytest

from hegui import taxonomy
from hegui.annotation.default_rules import default_rules_markdown, examples
from hegui.annotation.labels import (
    NONE,
    default_label_set,
    join_labels,
    normalise_labels,
    parse_label_set,
)
from hegui.annotation.rules import (
    current_rules,
    get_rules,
    list_rules,
    missing_codes,
    publish_rules,
)
from hegui.errors import InputError
from hegui.store import audit
from hegui.store.db import Store

STANDARD = [c for c in taxonomy.RISKS if c.startswith("A.")]


def test_default_rules_have_a_section_with_examples_for_each_of_the_31_risks() -> None:
    text = default_rules_markdown("2026-12")
    assert missing_codes(text) == []
    for code in STANDARD:
        risk = taxonomy.get(code)
        heading = re.search(rf"^### {re.escape(code)} (.+)$", text, re.MULTILINE)
        assert heading is not None, code
        assert risk.zh in heading.group(1) and risk.en in heading.group(1)
        entry = examples()[code]
        assert entry["include"] and entry["exclude"] and len(entry["note"]) == 2
    for section in (
        "目的 Objective",
        "数据格式 Data format",
        "标注方法 Method",
        "质量指标",
        "审核规则",
    ):
        assert section in text  # TC260-003 §5.3: objective, format, method, quality, review


def test_examples_name_only_standard_codes_and_every_one_is_bilingual() -> None:
    table = examples()
    assert sorted(table) == sorted(STANDARD)
    for code, entry in table.items():
        for zh, en in entry["include"] + entry["exclude"]:
            assert re.search(r"[\u4e00-\u9fff]", zh), code
            assert re.search(r"[A-Za-z]", en) and not re.search(r"[\u4e00-\u9fff]", en), code


def test_missing_codes_reads_only_headings() -> None:
    text = default_rules_markdown("x").replace("### A.2.e ", "### ").replace("### A.4.c ", "### ")
    text += "\nA.2.e and A.4.c mentioned in running text do not count.\n"
    assert missing_codes(text) == ["A.2.e", "A.4.c"]


def test_publish_keeps_text_hash_labels_and_audits(store: Store) -> None:
    text = default_rules_markdown("r1")
    rules = store.write(lambda c: publish_rules(c, "r1", text, actor="lead"))
    assert rules.labels == default_label_set() and len(rules.labels) == 32
    assert rules.title.startswith("安全标注规则")
    with store.read() as conn:
        again = get_rules(conn, "r1")
        assert again == rules
        assert current_rules(conn) == rules
        events = [e for e in _events(conn) if e.action == "annotation.rules.publish"]
        assert len(events) == 1 and events[0].subject == "annotation_rules:r1"
        assert events[0].after_hash == audit.digest(rules.summary())
        assert audit.verify(conn).ok


def _events(conn: object) -> list[audit.AuditEvent]:
    from sqlalchemy import select

    from hegui.store.schema import audit_events

    return [audit.AuditEvent(**r._mapping) for r in conn.execute(select(audit_events))]  # type: ignore[attr-defined]


def test_security_rules_must_cover_every_risk_and_versions_never_change(store: Store) -> None:
    text = default_rules_markdown("r1")
    partial = text.replace("### A.3.d ", "### ")
    with pytest.raises(InputError, match=r"all 31 Appendix-A risks; no heading names A\.3\.d"):
        store.write(lambda c: publish_rules(c, "r1", partial, actor="lead"))
    store.write(lambda c: publish_rules(c, "r1", text, actor="lead"))
    with pytest.raises(InputError, match="already published"):
        store.write(lambda c: publish_rules(c, "r1", text + "\nchanged", actor="lead"))
    functional = "# Functional rules\n\nLabel the intent of each prompt.\n"
    store.write(
        lambda c: publish_rules(
            c, "f1", functional, kind="functional", labels=["none", "X.a"], actor="lead"
        )
    )
    with store.read() as conn:
        assert [r.version for r in list_rules(conn)] == ["r1", "f1"]
        assert current_rules(conn, "security").version == "r1"  # type: ignore[union-attr]
        assert current_rules(conn, "functional").labels == ("X.a", NONE)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("version", "kind", "labels", "message"),
    [
        ("bad version!", "security", None, "use 1–64 letters"),
        ("r2", "legal", None, "kind must be one of"),
        ("r2", "security", ["A.2.e", "A.9.z", "none"], "unknown risk code 'A.9.z'"),
        ("r2", "security", ["A.2.e"], "must include 'none'"),
        ("r2", "security", ["none"], "at least one risk code"),
        ("r2", "security", ["A.2.e", "A.2.e", "none"], "listed twice"),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_written(
    store: Store, version: str, kind: str, labels: list[str] | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        store.write(
            lambda c: publish_rules(
                c, version, default_rules_markdown("r2"), kind=kind, labels=labels, actor="lead"
            )
        )
    with store.read() as conn:
        assert list_rules(conn) == []
        assert audit.verify(conn).events == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "non-empty list"),
        ("A.2.e", "non-empty list"),
        (["A.2.z"], "unknown label 'A.2.z'"),
        (["none", "A.2.e"], "cannot be combined"),
        ([3], "is not a string"),
    ],
)
def test_labels_are_checked_against_the_rules(value: object, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        normalise_labels(value, default_label_set(), where="tasks.jsonl line 4 (id t9)")
    assert str(info.value).startswith("tasks.jsonl line 4 (id t9): ")


def test_label_sets_have_one_canonical_form() -> None:
    allowed = default_label_set()
    assert normalise_labels(["A.2.e", "A.1.g", "A.2.e"], allowed, where="x") == "A.1.g,A.2.e"
    assert join_labels(["A.5.b", "A.1.a"]) == "A.1.a,A.5.b"
    assert parse_label_set(["none", "A.2.e", "A.1.a"]) == ("A.1.a", "A.2.e", "none")
