"""Policy files: loading, validation errors with file and line, rule precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from hegui.errors import ConfigError
from hegui.safety import Action, Direction, Layer
from hegui.safety.policy import Policy, load_policy, preset_path
from hegui.safety.templates import Templates, detect_lang
from hegui.safety.types import ACTION_ORDER, Evidence, Finding


def finding(code: str, score: float = 1.0, layer: Layer = Layer.LEXICON) -> Finding:
    return Finding(code, score, Evidence(layer, 0, 1, "x", "test", None, score))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_policy_loads_and_covers_both_directions() -> None:
    policy = Policy.builtin()
    assert policy.decide([finding("A.1.a")], Direction.INPUT).action is Action.REFUSE
    assert policy.decide([finding("A.1.a")], Direction.OUTPUT).action is Action.BLOCK
    assert (
        policy.decide([finding("A.4.f", layer=Layer.PII)], Direction.INPUT).action is Action.REDACT
    )
    assert (
        policy.decide([finding("A.4.f", layer=Layer.CLASSIFIER)], Direction.INPUT).action
        is Action.REFUSE
    )


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        # below the policy threshold: ignored
        (0.2, Action.ALLOW),
        # above the policy threshold, below the rule's: default action
        (0.4, Action.FLAG),
        # the classifier's decision point, inside the built-in (balanced) review band of A.2
        (0.5, Action.REVIEW),
        # at the rule's threshold
        (0.7, Action.REFUSE),
    ],
)
def test_thresholds(score: float, expected: Action) -> None:
    found = finding("A.2.e", score, layer=Layer.CLASSIFIER)
    assert Policy.builtin().decide([found], Direction.INPUT).action is expected


@pytest.mark.parametrize("code", ["A.1.h", "A.2.c", "A.3.e", "A.4.a", "X.a"])
@pytest.mark.parametrize(
    ("direction", "strict"), [(Direction.INPUT, Action.REFUSE), (Direction.OUTPUT, Action.BLOCK)]
)
def test_lexicon_severity_decides(code: str, direction: Direction, strict: Action) -> None:
    """Only a high lexicon term (1.0) refuses or blocks alone; medium (0.7) flags; low (0.4) is
    a hint that is allowed on its own.

    Medium terms are offence names and distress phrases found in legal questions and in
    refusals ("我不能提供有关毒品交易的信息"); refusing on them was the engine's over-refusal.
    Low terms are words benign text also carries (issue 13: they were most of the lexicon
    layer's benign flags).
    """
    policy = Policy.builtin()
    if code == "X.a" and direction is Direction.OUTPUT:
        strict = Action.FLAG  # X.a (jailbreak) has no output rule: default action
    assert policy.decide([finding(code, 1.0)], direction).action is strict
    assert policy.decide([finding(code, 0.7)], direction).action is Action.FLAG
    decision = policy.decide([finding(code, 0.4)], direction)
    assert decision.action is Action.ALLOW and len(decision.kept) == 1  # reported, not acted on
    # the lexicon rules name their layer, so the classifier keeps the category threshold
    assert policy.decide([finding(code, 0.7, Layer.CLASSIFIER)], direction).action is strict


def test_low_lexicon_hint_is_allowed_in_balanced_and_lenient_and_flagged_in_strict() -> None:
    hint = finding("A.2.e", 0.4)
    for preset in ("balanced", "lenient"):
        assert (
            load_policy(preset_path(preset)).decide([hint], Direction.INPUT).action is Action.ALLOW
        )
    assert load_policy(preset_path("strict")).decide([hint], Direction.INPUT).action is Action.FLAG
    # a hint never lowers what another layer decides
    both = [hint, finding("A.2.e", 0.8, Layer.CLASSIFIER)]
    assert Policy.builtin().decide(both, Direction.INPUT).action is Action.REFUSE
    # nor a medium term of the same text
    assert (
        Policy.builtin().decide([hint, finding("A.2.e", 0.7)], Direction.INPUT).action
        is Action.FLAG
    )


def test_strictest_action_over_findings_wins() -> None:
    decision = Policy.builtin().decide(
        [finding("A.4.f", layer=Layer.PII), finding("A.1.d")], Direction.INPUT
    )
    assert decision.action is Action.REFUSE
    assert len(decision.redact) == 1


def test_toml_policy_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.toml",
        """
version = "ops-1"
[defaults]
threshold = 0.1
action = "allow"

[[rules]]
risk = "A.2.d"
direction = "input"
action = "flag"

[[rules]]
risk = "*"
action = "block"
threshold = 0.9

[templates."A.1".refusal]
zh = "不行。"
en = "No."
""",
    )
    policy = load_policy(path)
    assert policy.version == "ops-1"
    assert policy.decide([finding("A.2.d", 0.95)], Direction.INPUT).action is Action.FLAG
    assert policy.decide([finding("A.3.a", 0.95)], Direction.INPUT).action is Action.BLOCK
    assert policy.decide([finding("A.3.a", 0.5)], Direction.INPUT).action is Action.ALLOW
    assert policy.templates.text("A.1.c", "refusal", "zh") == "不行。"


def test_yaml_policy_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        "defaults:\n  threshold: 0.2\nrules:\n  - risk: A.1\n    action: block\n  - risk: A.4.f\n    layer: pii\n    action: allow\n",
    )
    policy = load_policy(path)
    assert policy.decide([finding("A.1.g")], Direction.INPUT).action is Action.BLOCK
    assert (
        policy.decide([finding("A.4.f", layer=Layer.PII)], Direction.INPUT).action is Action.ALLOW
    )


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        (
            "bad-code.toml",
            '[[rules]]\nrisk = "A.1.a"\naction = "refuse"\n\n[[rules]]\nrisk = "A.9.z"\naction = "refuse"\n',
            5,
            "unknown risk code 'A.9.z'",
        ),
        (
            "bad-action.toml",
            '[[rules]]\nrisk = "A.1"\naction = "explode"\n',
            1,
            "unknown action 'explode'",
        ),
        (
            "bad-threshold.toml",
            '[[rules]]\nrisk = "A.1"\naction = "flag"\nthreshold = 2\n',
            1,
            "threshold must be",
        ),
        (
            "bad-key.toml",
            '[[rules]]\nrisk = "A.1"\naction = "flag"\nseverity = "x"\n',
            1,
            "unknown rule key",
        ),
        ("syntax.toml", '[[rules]\nrisk = "A.1"\n', 1, "invalid TOML"),
        (
            "bad-code.yaml",
            "rules:\n  - risk: A.1\n    action: flag\n  - risk: B.2\n    action: flag\n",
            4,
            "unknown risk code 'B.2'",
        ),
        ("syntax.yaml", "rules:\n  - risk: [A.1\n", None, "invalid YAML"),
    ],
)
def test_invalid_policy_names_file_and_line(
    tmp_path: Path, name: str, text: str, line: int | None, message: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    if line is not None:
        assert info.value.line == line


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_policy(tmp_path / "none.toml")


def test_templates_fall_back_by_category_then_default() -> None:
    t = Templates.builtin()
    assert t.text("A.1.d", "safe_answer", "zh") != t.text("A.2.a", "safe_answer", "zh")
    assert t.text("A.3.a", "safe_answer", "en") == t.text("A.3.a", "refusal", "en")
    assert t.text(None, "refusal", "zh") == t.text("A.5.a", "refusal", "zh")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("你好，世界", "zh"),
        ("hello world", "en"),
        ("请 explain this", "en"),
        ("12345", "zh"),
        ("how 做", "zh"),
        ("这个 function 怎么用", "zh"),
    ],
)
def test_detect_lang(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


def test_review_band_serves_and_queues_uncertain_scores(tmp_path: Path) -> None:
    path = write(tmp_path, "p.toml", '[[rules]]\nrisk = "A.1"\ndirection = "input"\nthreshold = 0.7\n'
                                     'review = 0.5\naction = "refuse"\n')  # fmt: skip
    policy = load_policy(path)
    clf = Layer.CLASSIFIER
    assert policy.decide([finding("A.1.h", 0.8, clf)], Direction.INPUT).action is Action.REFUSE
    assert policy.decide([finding("A.1.h", 0.6, clf)], Direction.INPUT).action is Action.REVIEW
    assert (
        policy.decide([finding("A.1.h", 0.45, clf)], Direction.INPUT).action is Action.FLAG
    )  # default
    # review ranks between flag and redact: a refusal elsewhere still wins
    both = [finding("A.1.h", 0.6, clf), finding("A.1.h", 0.9, clf)]
    assert policy.decide(both, Direction.INPUT).action is Action.REFUSE


def test_review_must_lie_below_the_threshold(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.toml",
        '[[rules]]\nrisk = "A.1"\nthreshold = 0.5\nreview = 0.6\naction = "refuse"\n',
    )
    with pytest.raises(
        ConfigError, match=r"p.toml:1: review \(0.6\) must be below threshold \(0.5\)"
    ):
        load_policy(path)


def test_presets_load_by_name_and_order_by_sensitivity() -> None:
    from hegui.safety.policy import PRESETS, preset_path

    policies = {name: load_policy(name) for name in PRESETS}
    assert load_policy("balanced").rules == Policy.builtin().rules
    # the same classifier score: refused by strict, reviewed or served by the others
    score = finding("A.1.h", 0.55, Layer.CLASSIFIER)
    order = [
        ACTION_ORDER[policies[n].decide([score], Direction.INPUT).action]
        for n in ("strict", "balanced", "lenient")
    ]
    assert order == sorted(order, reverse=True) and order[0] > order[-1]
    with pytest.raises(ConfigError, match="unknown preset"):
        preset_path("paranoid")


def test_policy_file_builds_on_a_preset(tmp_path: Path) -> None:
    path = write(tmp_path, "p.toml", 'preset = "strict"\nversion = "ops"\n[[rules]]\nrisk = "A.3.a"\n'
                                     'layer = "classifier"\nthreshold = 0.99\naction = "flag"\n')  # fmt: skip
    policy = load_policy(path)
    strict = load_policy("strict")
    assert (
        policy.rules[: len(strict.rules)] == strict.rules
        and len(policy.rules) == len(strict.rules) + 1
    )
    assert policy.threshold == strict.threshold and policy.version == "ops"
    bad = write(tmp_path, "bad.toml", 'preset = "paranoid"\n')
    with pytest.raises(
        ConfigError, match=r"bad\.toml:1: preset must be one of strict, balanced, lenient"
    ):
        load_policy(bad)
