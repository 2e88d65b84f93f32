"""Imports run one way: console → ops → store; the store knows no ops or console, ops no console,
and the console reaches the gateway only through the backend object it is given."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "hegui"


def _imports(*paths: Path) -> set[str]:
    names: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
    return names


def test_store_imports_neither_ops_nor_console() -> None:
    """(Its CLI module is a door like the console, and calls ops.)"""
    found = _imports(*(p for p in (SRC / "store").rglob("*.py") if p.name != "cli.py"))
    assert not [m for m in found if m.startswith(("hegui.ops", "hegui.console"))]


def test_ops_imports_no_console() -> None:
    assert not [m for m in _imports(*(SRC / "ops").rglob("*.py")) if m.startswith("hegui.console")]


def test_console_imports_no_gateway() -> None:
    found = _imports(*(SRC / "console").rglob("*.py"))
    assert not [m for m in found if m.startswith("hegui.gateway")]
