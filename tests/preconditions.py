"""Preconditions that CI must have and a developer's laptop may lack.

CI (``.ci/run`` exports ``HEGUI_REQUIRE_DATA=1``; CI machines also set ``CI``) has the public
data sets at ``../shared/data`` and the shipped starter lexicon: there a missing precondition
fails the test instead of silently skipping it. Elsewhere the test skips with the reason.
"""

from __future__ import annotations

import os

import pytest


def data_required() -> bool:
    """True where a missing data precondition is an error (CI), not a reason to skip."""
    flag = os.environ.get("HEGUI_REQUIRE_DATA", "").strip().lower()
    ci = os.environ.get("CI", "").strip().lower()
    return flag in {"1", "true", "yes"} or ci in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Fail (in CI) or skip (elsewhere) unless ``condition`` holds."""
    if condition:
        return
    if data_required():
        pytest.fail(f"precondition missing in CI: {reason}", pytrace=False)
    pytest.skip(reason)
