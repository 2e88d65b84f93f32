"""Shared fixtures: the toy model of ``benchmarks/assess_mock.py`` on a real uvicorn server."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gateway.servers import ROOT, ServerThread


def load_assess_mock() -> Any:
    spec = importlib.util.spec_from_file_location(
        "assess_mock", ROOT / "benchmarks" / "assess_mock.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["assess_mock"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def assess_mock() -> Any:
    return load_assess_mock()


@pytest.fixture
def model_server(assess_mock: Any) -> Iterator[Callable[..., ServerThread]]:
    """``model_server(latency_ms=0, mode="comply")`` → a running server (stopped after the test)."""
    started: list[ServerThread] = []

    def start(latency_ms: float = 0.0, mode: str = "comply") -> ServerThread:
        server = ServerThread(assess_mock.MockModel(latency_ms, mode)).__enter__()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.__exit__(None, None, None)


def write_bank(path: Path, texts: list[str], bank: str = "generate", risk: str | None = "A.1.h",
               aspect: str | None = None, prefix: str = "t") -> Path:  # fmt: skip
    with path.open("a", encoding="utf-8") as f:
        for n, text in enumerate(texts):
            doc: dict[str, Any] = {"id": f"{prefix}-{n:04d}", "text": text, "bank": bank,
                                   "lang": "zh", "source": "test", "licence": "Apache-2.0"}  # fmt: skip
            if risk is not None:
                doc["risk"] = risk
            if aspect is not None:
                doc["aspect"] = aspect
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
