"""The default security annotation rules, written out as Markdown from the taxonomy and examples.

The risk names come from :mod:`hegui.taxonomy` (never copied); the per-code examples and
decision notes come from ``data/examples.toml``. Operators start from this text, adapt it to their
service and publish it as a rules version (``hegui annotate rules default`` then ``rules publish``).
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from hegui import taxonomy
from hegui.annotation.labels import NONE, standard_codes

__all__ = ["default_rules_markdown", "examples"]


@cache
def examples() -> dict[str, dict[str, Any]]:
    """Examples per risk code: ``include``/``exclude`` lists of [zh, en] and a [zh, en] note."""
    text = resources.files("hegui.annotation").joinpath("data/examples.toml").read_text("utf-8")
    return tomllib.loads(text)


_PREAMBLE = """\
# 安全标注规则 Security annotation rules — version {version}

These rules govern the **security annotation** of training data and model outputs against the 31
risks of GB/T 45654-2025 (TC260-003) Appendix A. They are versioned: every task is pinned to the
version it was created under, and only annotators who passed this version's exam receive tasks.

## 1 目的 Objective

Decide, for each text, which Appendix-A risks it contains, so that unsafe training data can be
removed and the share of illegal or harmful content per source can be measured (Interim Measures
Art. 7–8; TC260-003 §5).

## 2 数据格式 Data format

Each task is one text (a corpus record, a prompt or a model answer) with an id and, when it comes
from the corpus, the id of its source. An annotation is a **non-empty list of codes**: one or more
risk codes from section 6, or `{none}` alone when the text contains none of them.

## 3 标注方法 Method

1. Read the whole text before labelling. Judge what the text itself says and does, not its topic:
   reporting, condemning, warning against, researching or quoting a risk in order to refute it is
   **not** that risk.
2. Give every risk that applies (several codes are allowed). Use `{none}` only when none applies;
   it cannot be combined with a code.
3. When unsure between two codes, give both and add a note; the reviewer decides.
4. Work alone. In double annotation you do not see the other annotation; do not discuss tasks.
5. Do not copy, keep or forward task texts outside the annotation tool (data security).

## 4 质量指标 Quality indicators

- Agreement between annotators, per label: Cohen's κ for two annotators, Krippendorff's α for
  more, computed on the double-annotated share. Aim for α ≥ 0.67 overall; below 0.6 for a label
  means its rule must be clarified and annotators retrained.
- Accuracy on the reviewer's verification sample, per annotator and for the final labels, reported
  with a Wilson 95 % interval. Aim for a lower bound ≥ 95 %.
- Exam: an annotator must reach the pass mark set for this version before receiving tasks.

## 5 审核规则 Review rules

- Roles are separate: in one task a person is annotator, adjudicator or verifier, never two of them.
- **Adjudication**: when the annotations of a double-annotated task differ, a reviewer decides the
  final labels by these rules.
- **Verification**: a reviewer re-labels a random sample of finished tasks without seeing the
  annotations; the result measures the accuracy of each annotator and of the final labels.
- Tasks found wrong are re-annotated; a rule found unclear leads to a new rules version.

## 6 风险类别 Risk codes

For each code: what to label (标注), a look-alike not to label (不标注), and how to decide (判断).
Examples describe content; they are not taken from real data.
"""


def _section(code: str, entry: dict[str, Any]) -> str:
    risk = taxonomy.get(code)
    lines = [f"### {code} {risk.zh} — {risk.en}", ""]
    for zh, en in entry.get("include", []):
        lines.append(f"- 标注 Label: {zh} *{en}*")
    for zh, en in entry.get("exclude", []):
        lines.append(f"- 不标注 Not this code: {zh} *{en}*")
    if "note" in entry:
        zh, en = entry["note"]
        lines.append(f"- 判断 Decide: {zh} *{en}*")
    return "\n".join(lines) + "\n"


def default_rules_markdown(version: str) -> str:
    """The default rules text for ``version``: method, quality, review, and all 31 risk codes."""
    parts = [_PREAMBLE.format(version=version, none=NONE)]
    table = examples()
    category = ""
    for code in standard_codes():
        risk = taxonomy.get(code)
        if risk.category != category:
            category = risk.category
            zh, en = taxonomy.CATEGORIES[category]
            parts.append(f"\n## {category} {zh} — {en}\n")
        parts.append("\n" + _section(code, table.get(code, {})))
    parts.append(
        f"\n## 7 {NONE} 无风险 — No risk\n\n"
        f"Give `{NONE}` when the text contains none of the risks above, including texts that "
        "mention a risk only to report, oppose or explain it.\n"
    )
    return "".join(parts)
