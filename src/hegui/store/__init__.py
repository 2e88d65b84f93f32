"""Persistence: schema, migrations, the single writer, audit chain, encryption, retention.

Names load lazily so that importing ``hegui.store.cli`` (done by every ``hegui`` command) does
not pull in SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["AuditReport", "Keyring", "Store", "open_store", "purge", "verify"]

_WHERE = {
    "AuditReport": "hegui.store.audit",
    "Keyring": "hegui.store.crypto",
    "Store": "hegui.store.db",
    "open_store": "hegui.store.db",
    "purge": "hegui.store.retention",
    "verify": "hegui.store.audit",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'hegui.store' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
