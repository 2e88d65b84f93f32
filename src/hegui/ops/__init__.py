"""Compliance workflows as plain functions over the store, and the gateway's StoreBackend.

Each module takes a SQLAlchemy connection inside a transaction and writes its audit event in that
same transaction. Names load lazily (see ``hegui.store``).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["StoreBackend"]


def __getattr__(name: str) -> Any:
    if name == "StoreBackend":
        return importlib.import_module("hegui.ops.backend").StoreBackend
    raise AttributeError(f"module 'hegui.ops' has no attribute {name!r}")
