"""Imports run one way: store knows nothing of annotation; annotation uses no gateway or console."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "hegui"


def _imports(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
    return names


def test_the_store_imports_nothing_from_annotation() -> None:
    assert not [m for m in _imports(SRC / "store") if m.startswith("hegui.annotation")]


@pytest.mark.parametrize("room", ["hegui.gateway", "hegui.console", "hegui.safety", "hegui.ops"])
def test_annotation_does_not_reach_into(room: str) -> None:
    assert not [m for m in _imports(SRC / "annotation") if m.startswith(room)]


def test_public_names_are_sorted_and_resolve() -> None:
    for name in ("hegui.annotation", "hegui.stats"):
        module = importlib.import_module(name)
        assert module.__all__ == sorted(module.__all__)
        for attr in module.__all__:
            assert getattr(module, attr) is not None, f"{name}.{attr}"
