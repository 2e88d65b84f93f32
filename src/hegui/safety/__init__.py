"""The risk engine: normalisation, lexicon, personal information, classifier, policy.

Callers import from here and nothing deeper::

    from hegui.safety import Engine
    verdict = Engine.default().check("文本", "input")
"""

from hegui.safety.engine import CheckContext, Engine
from hegui.safety.policy import Policy, Rule, load_policy
from hegui.safety.types import (
    Action,
    Detector,
    Direction,
    Doc,
    Evidence,
    Finding,
    Layer,
    RiskHit,
    Verdict,
    failed_verdict,
)

__all__ = [
    "Action",
    "CheckContext",
    "Detector",
    "Direction",
    "Doc",
    "Engine",
    "Evidence",
    "Finding",
    "Layer",
    "Policy",
    "RiskHit",
    "Rule",
    "Verdict",
    "failed_verdict",
    "load_policy",
]
