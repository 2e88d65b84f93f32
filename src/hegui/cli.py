"""The ``hegui`` command. Each room registers its own sub-commands through ``register(app)``.

Room CLI modules import only ``typer`` at module level and load their heavy machinery inside the
command functions, so ``hegui check "文本"`` starts fast. Errors that hegui raises on purpose
(:class:`hegui.errors.HeguiError`) end the process with exit code 2 and a one-line message.
"""

from __future__ import annotations

import sys

import typer

from hegui.errors import HeguiError

__all__ = ["app", "main"]

app = typer.Typer(
    name="hegui",
    help="合规 hegui — compliance system for generative AI services in China.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script; maps hegui errors to exit code 2."""
    try:
        app(args=argv, standalone_mode=True)
    except HeguiError as exc:
        print(f"hegui: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
