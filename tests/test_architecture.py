"""The house's import rules (docs/architecture.md), checked on the source with an AST walk.

Each room may import only the rooms listed for it; the shared leaves (errors, config, taxonomy,
stats) are open to all. A forbidden import anywhere in a room's modules — also inside a function —
fails with the file and the line, so a wrong dependency is caught the day it is written.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "hegui"
LEAVES = {"errors", "config", "taxonomy", "stats"}

# room -> rooms it may import (besides itself and the leaves)
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "config": set(),
    "taxonomy": set(),
    "stats": set(),
    "safety": set(),
    "store": set(),
    "labeling": {"safety"},
    "ops": {"store", "safety", "labeling"},
    "gateway": {"ops", "safety", "labeling", "console"},  # it mounts the portal and console
    "console": {"ops", "store", "safety", "labeling", "assess"},
    "corpus": {"store", "safety"},
    "annotation": {"store", "safety"},
    "assess": {"safety", "labeling"},
    "cli": {
        "safety",
        "gateway",
        "store",
        "ops",
        "labeling",
        "console",
        "corpus",
        "annotation",
        "assess",
    },
}


def _room(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def _imported_rooms(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "hegui" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def test_every_room_has_a_rule() -> None:
    rooms = {_room(p) for p in SRC.rglob("*.py") if p.name != "__init__.py" or p.parent != SRC}
    assert rooms - {"__init__"} <= set(ALLOWED), sorted(rooms - set(ALLOWED))


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_room_imports_only_what_it_may(room: str) -> None:
    base = SRC / room if (SRC / room).is_dir() else SRC / f"{room}.py"
    if not base.exists():
        pytest.skip(f"no room {room} in this version")  # a room DESIGN.md plans (console/)
    files = sorted(base.rglob("*.py")) if base.is_dir() else [base]
    may = ALLOWED[room] | LEAVES | {room}
    wrong = [
        f"{path.relative_to(SRC.parent)}:{line} imports hegui.{target}"
        for path in files
        for line, target in _imported_rooms(ast.parse(path.read_text(encoding="utf-8")))
        if target not in may
    ]
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_a_forbidden_import() -> None:
    tree = ast.parse("def f():\n    from hegui.gateway.app import Gateway\n")
    assert _imported_rooms(tree) == [(2, "gateway")]
