"""The corpus room's public surface, and imports that run one way (store never imports corpus)."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "hegui"


def test_all_is_sorted_and_resolves() -> None:
    module = importlib.import_module("hegui.corpus")
    assert module.__all__ == sorted(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("room", ["store", "safety"])
def test_room_does_not_import_corpus(room: str) -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in sorted((SRC / room).rglob("*.py"))
        if any(m == "hegui.corpus" or m.startswith("hegui.corpus.") for m in _imports(path))
    ]
    assert offenders == []


def test_corpus_uses_the_engine_through_its_public_surface() -> None:
    allowed = {"hegui.safety", "hegui.safety.batch"}
    offenders = {
        (str(path.relative_to(SRC)), m)
        for path in sorted((SRC / "corpus").rglob("*.py"))
        for m in _imports(path)
        if m.startswith("hegui.safety") and m not in allowed
    }
    assert offenders == set()


def test_the_cli_does_not_load_the_scan_machinery() -> None:
    code = "import sys, hegui.cli; print(sorted(m for m in ('numpy', 'pyarrow', 'sqlalchemy', 'hegui.corpus.scan') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
