"""The ``hegui`` command. Each room registers its own sub-commands through ``register(app)``.

Room CLI modules import only ``typer`` at module level and load their heavy machinery inside the
command functions, so ``hegui check "文本"`` starts fast; and the console script turns only the
command it runs into click parameters (:func:`app_for`). Errors that hegui raises on purpose
(:class:`hegui.errors.HeguiError`) end the process with exit code 2 and a one-line message.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.main import get_command_name
from typer.models import CommandInfo, TyperInfo

from hegui.errors import HeguiError

__all__ = ["app", "app_for", "main"]

_SETTINGS: dict[str, Any] = {
    "name": "hegui",
    "help": "合规 hegui — compliance system for generative AI services in China.",
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
}
app = typer.Typer(**_SETTINGS)


def _register_rooms() -> None:
    from hegui.annotation import cli as annotation_cli
    from hegui.assess import cli as assess_cli
    from hegui.corpus import cli as corpus_cli
    from hegui.gateway import cli as gateway_cli
    from hegui.labeling import cli as labeling_cli
    from hegui.ops import cli as ops_cli
    from hegui.ops import cli_accounts
    from hegui.safety import cli as safety_cli
    from hegui.store import cli as store_cli

    rooms = (
        safety_cli,
        gateway_cli,
        store_cli,
        cli_accounts,
        labeling_cli,
        corpus_cli,
        annotation_cli,
        assess_cli,
        ops_cli,
    )
    for room in rooms:
        room.register(app)


_register_rooms()


def app_for(args: Sequence[str]) -> typer.Typer:
    """The app that runs ``args``: one holding only the top-level command or group they name.

    Typer turns every command's signature into click parameters before it runs any: 0.1 s for
    hegui's 81 commands, a sixth of ``hegui account list``. The one command run needs only its
    own. Anything else (``--help``, no arguments, an unknown name) gets the whole app.
    """
    name = args[0] if args else ""
    for command in app.registered_commands:
        if (command.name or get_command_name(command.callback.__name__)) == name:  # type: ignore[union-attr]
            return _only([command], [])
    for group in app.registered_groups:
        if group.name == name:
            return _only([], [group])
    return app


def _only(commands: list[CommandInfo], groups: list[TyperInfo]) -> typer.Typer:
    one = typer.Typer(**_SETTINGS)
    one.callback()(_group)  # a group like the whole app, so ``hegui NAME ...`` parses the same
    one.registered_commands, one.registered_groups = commands, groups
    return one


def _group() -> None:
    """The top level takes no options of its own."""


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script; maps hegui errors to exit code 2."""
    args = sys.argv[1:] if argv is None else argv
    try:
        app_for(args)(args=args, standalone_mode=True)
    except HeguiError as exc:
        print(f"hegui: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
