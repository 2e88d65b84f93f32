"""The policy's rule index decides exactly as a scan of every rule does."""

from __future__ import annotations

import itertools
import random

import pytest

from hegui import taxonomy
from hegui.safety import Action, Direction, Layer
from hegui.safety.policy import PRESETS, Policy, Rule, load_policy
from hegui.safety.types import ACTION_ORDER, Evidence, Finding


def _scan(
    policy: Policy, f: Finding, direction: Direction, minor: bool
) -> tuple[Action, Rule | None]:
    """The rule choice written out over all rules (what ``_action_for`` did before its index)."""
    matching = [r for r in policy.rules if r.matches(f, direction, minor)]
    if not matching:
        return policy.default_action, None
    rule = max(matching, key=lambda r: (r.specificity, ACTION_ORDER[r.action]))
    if rule.review is not None and f.score < rule.threshold:
        return Action.REVIEW, rule
    return rule.action, rule


@pytest.mark.parametrize("preset", PRESETS)
def test_indexed_rules_choose_what_a_full_scan_chooses(preset: str) -> None:
    policy = load_policy(preset)
    rng = random.Random(13)
    codes = [*taxonomy.RISKS, "A.1", "Z.9.z"]
    scores = [0.0, 0.29, 0.3, 0.45, 0.5, 0.55, 0.7, 0.9, 1.0, float("nan")]
    for code, layer, direction, minor in itertools.product(
        codes, list(Layer), list(Direction), (False, True)
    ):
        score = rng.choice(scores)
        f = Finding(code, score, Evidence(layer, 0, 1, "x", "test", None, score))
        assert policy._action_for(f, direction, minor) == _scan(policy, f, direction, minor)


def test_replacing_the_rules_rebuilds_the_index() -> None:
    policy = load_policy("balanced")
    f = Finding("A.1.a", 0.9, Evidence(Layer.LEXICON, 0, 1, "x", "test", None, 0.9))
    assert policy.decide([f], Direction.INPUT).action is Action.REFUSE
    policy.rules = [Rule("*", Action.FLAG)]
    assert policy.decide([f], Direction.INPUT).action is Action.FLAG
