"""Write docs/cli.md from the Typer app, so the command reference cannot drift from the code.

``python scripts/gen_cli_doc.py`` rewrites the page; ``--check`` exits 1 when the page on disk is
not what the app would produce (the test suite runs the check, so CI fails on a stale page).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from hegui.cli import app

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"

_HEADER = """# Command reference

Every `hegui` command with its arguments and options. This page is generated from the program
itself by `python scripts/gen_cli_doc.py`; a test fails when it is out of date.

Errors that hegui raises on purpose end the command with exit code 2 and a one-line message on
standard error.
"""


def _first_paragraph(text: str | None) -> str:
    return (text or "").strip().split("\n\n")[0].replace("\n", " ")


# Typer ships its own copy of click, so commands and parameters are read by duck typing.
Command = Any
Param = Any


def _default(param: Param) -> str:
    if param.param_type_name != "option" or (param.is_flag and not param.secondary_opts):
        return ""
    value = param.default
    if value is None or callable(value) or value == () or value == "":
        return ""
    if param.is_flag:
        return f"`{param.opts[0] if value else param.secondary_opts[0]}`"
    return f"`{value}`"


def _param_row(param: Param) -> str:
    if param.param_type_name == "argument":
        name = f"`{(param.metavar or param.name or '').upper()}`"
        kind = "argument" + ("" if param.required else " (optional)")
        help_text = getattr(param, "help", None) or ""
    else:
        name = " / ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        kind = "option" + (" (required)" if param.required else "")
        help_text = param.help or ""
    help_text = " ".join(help_text.split()).replace("|", "\\|")
    return f"| {name} | {kind} | {_default(param)} | {help_text} |"


def _command_section(path: str, command: Command) -> list[str]:
    lines = [f"## `{path}`", "", _first_paragraph(command.help), ""]
    params = [p for p in command.params if not getattr(p, "hidden", False) and p.name != "help"]
    if params:
        lines += ["| name | kind | default | description |", "|---|---|---|---|"]
        lines += [_param_row(p) for p in params]
        lines.append("")
    return lines


def _walk(path: str, command: Command) -> list[str]:
    if hasattr(command, "commands"):
        lines: list[str] = []
        for name in sorted(command.commands):
            sub = command.commands[name]
            if not sub.hidden:
                lines += _walk(f"{path} {name}", sub)
        return lines
    return _command_section(path, command)


def render() -> str:
    """The whole page for the current app."""
    root = typer.main.get_command(app)
    return "\n".join([_HEADER, *_walk("hegui", root)]).rstrip() + "\n"


def main(argv: list[str]) -> int:
    page = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != page:
            print(f"{DOC} is out of date: run python scripts/gen_cli_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
