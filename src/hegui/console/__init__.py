"""Public portal (/portal) and staff console (/console): server-rendered pages over hegui.ops.

Names load lazily, so importing the package does not pull in Starlette and Jinja.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["attach", "build_app", "console_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("hegui.console.app"), name)
    raise AttributeError(f"module 'hegui.console' has no attribute {name!r}")
