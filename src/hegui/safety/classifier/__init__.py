"""Classifier layer of the risk engine: a linear model over hashed character n-grams.

Names are exported lazily so that ``hegui`` CLI start-up does not pay for numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hegui.safety.classifier.detector import ClassifierDetector
    from hegui.safety.classifier.model import TextClassifier

__all__ = ["ClassifierDetector", "TextClassifier"]


def __getattr__(name: str) -> Any:
    if name == "ClassifierDetector":
        from hegui.safety.classifier.detector import ClassifierDetector

        return ClassifierDetector
    if name == "TextClassifier":
        from hegui.safety.classifier.model import TextClassifier

        return TextClassifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
