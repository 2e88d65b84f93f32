"""The gateway's own import graph: only its entry points know the app, and nothing goes round.

Handlers take :class:`hegui.gateway.services.Services`, ASGI types live in ``asgi``, response
helpers in ``responses``; so ``hegui.gateway.app`` is imported only by the package's lazy
``__init__`` and the CLI, and the graph of gateway modules has no cycle. Every import counts:
top level, inside functions, and under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[2] / "src" / "hegui" / "gateway"
APP = "hegui.gateway.app"
MAY_IMPORT_APP = {"hegui.gateway", "hegui.gateway.cli"}


def _name(path: Path) -> str:
    parts = path.relative_to(GATEWAY.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_name(p): p for p in sorted(GATEWAY.rglob("*.py"))}


def _imports(module: str, source: str, known: set[str]) -> set[str]:
    """Every gateway module ``source`` imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    package = module if module in known and _is_package(module) else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" for alias in node.names]
            targets = [t if t in known else base for t in targets]
        else:
            continue
        found.update(t for t in targets if t in known and t != module)
    return found


def _is_package(module: str) -> bool:
    return (GATEWAY.parent.parent / module.replace(".", "/") / "__init__.py").exists()


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {m: _imports(m, p.read_text(encoding="utf-8"), known) for m, p in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_only_the_entry_points_import_the_app() -> None:
    wrong = sorted(m for m, deps in _graph().items() if APP in deps and m not in MAY_IMPORT_APP)
    assert not wrong, f"{wrong} import {APP}; pass them Services instead"


def test_the_gateway_import_graph_has_no_cycle() -> None:
    graph = _graph()
    assert len(graph) > 20  # the walk found the modules
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_checks_see_what_they_look_for() -> None:
    known = {"hegui.gateway.app", "hegui.gateway.chat", "hegui.gateway.relay"}
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from hegui.gateway.app import Gateway\n"
        "def f():\n    from hegui.gateway import relay\n"
    )
    assert _imports("hegui.gateway.chat", source, known) == {APP, "hegui.gateway.relay"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_gateway_exception_is_in_the_hegui_tree() -> None:
    """One tree: every exception class the gateway defines derives from HeguiError."""
    import importlib

    from hegui.errors import HeguiError

    outside = []
    for module in _modules():
        mod = importlib.import_module(module)
        for name, obj in vars(mod).items():
            if (
                isinstance(obj, type)
                and issubclass(obj, BaseException)
                and obj.__module__ == module
                and not issubclass(obj, HeguiError)
            ):
                outside.append(f"{module}.{name}")
    assert not outside, outside


def test_one_name_for_a_lost_upstream_connection() -> None:
    from hegui.gateway.errors import UpstreamLostError, to_gateway_error

    err = to_gateway_error(UpstreamLostError("upstream closed the connection"))
    assert (err.status, err.type, err.code) == (502, "upstream_error", "upstream_disconnected")
    assert err.message == "upstream connection lost: upstream closed the connection"
    names = ("UpstreamConnectError", "LostError", "upstream_lost")
    stale = [
        f"{p.relative_to(GATEWAY)}: {n}"
        for p in GATEWAY.rglob("*.py")
        for n in names
        if any(
            isinstance(node, ast.Name | ast.ClassDef | ast.FunctionDef)
            and getattr(node, "id", getattr(node, "name", None)) == n
            for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        )
    ]
    assert not stale, stale
