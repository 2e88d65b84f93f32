"""Heavy client libraries the tests import on first use.

Every xdist worker imports every test module while collecting, though it runs only its share of
them: a library imported at module level costs each worker its import time (the OpenAI client,
~0.5 s of a core) for tests that another worker runs.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["openai"]


class _OnFirstUse:
    """Stands for a module; imports it when one of its names is first looked up."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):  # pytest's collector probes module globals for its markers
            raise AttributeError(attr)
        return getattr(importlib.import_module(self._name), attr)


openai: Any = _OnFirstUse("openai")
