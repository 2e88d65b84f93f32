"""``hegui serve`` as a test runs it: the gateway app with its store backend and the console
mounted on the same port, under uvicorn with uvloop, over a real database file."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hegui.config import Settings
from hegui.gateway.app import create_app
from hegui.ops.backend import StoreBackend
from tests.gateway.doubles import TermChecker
from tests.gateway.servers import ServerThread

MASTER_KEY = base64.b64encode(b"k" * 32).decode("ascii")  # the tests' Keyring(b"k" * 32)


def serve_settings(db_url: str, upstreams: list[str], **console: Any) -> Settings:
    return Settings.model_validate(
        {
            "store": {"url": db_url, "secret_key": MASTER_KEY, "usage_flush_interval": 0.05},
            "gateway": {"upstreams": upstreams, "health_interval": 0, "unchecked_fields": ["mock"]},
            "labeling": {"uscc": "91350100M000100Y43"},
            "console": console,
        }
    )


@contextmanager
def serving(settings: Settings) -> Iterator[ServerThread]:
    backend = StoreBackend(settings, writer_process=False)
    app = create_app(settings, backend=backend, engine=TermChecker())
    with ServerThread(app) as server:
        yield server
