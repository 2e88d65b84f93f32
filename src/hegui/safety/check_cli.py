"""``hegui check``: the engine from the shell (contract in DESIGN.md).

Exit codes: 0 every text safe, 1 some text unsafe, 2 usage or input error (in batch mode also
when some line could not be read; the run still finishes and writes an error record for it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, BinaryIO, TextIO

import typer

_PEEK = 2_000


def register(app: typer.Typer) -> None:
    """Add ``check`` to ``app``."""
    app.command("check")(check)


def check(
    text: Annotated[
        str | None, typer.Argument(help="Text to check; omit when using --input.")
    ] = None,
    input: Annotated[
        str | None,
        typer.Option(
            "--input", "-i", help='JSONL file of {"id", "text"} records; \'-\' for stdin.'
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", help="Where to write JSONL verdicts; '-' (default) for stdout."
        ),
    ] = None,
    direction: Annotated[
        str,
        typer.Option(
            "--direction", "-d", help="input (a user's prompt) or output (a model's answer)."
        ),
    ] = "input",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the single-text verdict as JSON.")
    ] = False,
    config: Annotated[
        str | None, typer.Option("--config", help="hegui.toml to read engine settings from.")
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option("--policy", help="Policy file (TOML/YAML) or preset (strict, balanced, lenient) instead of the built-in one."),
    ] = None,
    lexicon: Annotated[
        list[str] | None,
        typer.Option("--lexicon", help="Extra lexicon file or folder (repeatable)."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="Processes for batch mode (default: all cores).")
    ] = 0,
) -> None:
    """Check text for prohibited content, discrimination and personal information."""
    from hegui.errors import InputError

    if direction not in ("input", "output"):
        raise InputError(f"--direction must be 'input' or 'output', not {direction!r}")
    if (text is None) == (input is None):
        raise InputError("give either a TEXT argument or --input FILE (use '-' for stdin)")
    _configure(config, policy, lexicon)
    if text is not None:
        raise typer.Exit(_check_one(text, direction, as_json))
    raise typer.Exit(_check_batch(input or "-", output or "-", direction, workers))


def _configure(config: str | None, policy: str | None, lexicon: list[str] | None) -> None:
    """Install the engine built from the settings as the process default (batch workers inherit it)."""
    import os

    uses_env = any(key.startswith("HEGUI_") for key in os.environ)
    if (
        config is None
        and policy is None
        and not lexicon
        and not uses_env
        and not Path("hegui.toml").exists()
    ):
        return
    from hegui.config import load_settings
    from hegui.safety import engine as engine_module

    settings = load_settings(config)
    if policy:
        settings.engine.policy = policy
    if lexicon:
        settings.engine.lexicons = [*settings.engine.lexicons, *lexicon]
    engine_module._default = engine_module.Engine.from_settings(settings.engine)


def _check_one(text: str, direction: str, as_json: bool) -> int:
    from hegui.errors import InputError
    from hegui.safety.engine import Engine

    if any("\udc80" <= ch <= "\udcff" for ch in text):
        raise InputError("text is not valid UTF-8")
    verdict = Engine.default().check(text, direction)
    if as_json:
        import json

        print(json.dumps(verdict.to_dict(), ensure_ascii=False))
    else:
        from hegui.safety.report import render_verdict

        print(render_verdict(verdict))
    return 0 if verdict.safe else 1


def _check_batch(source: str, target: str, direction: str, workers: int) -> int:
    from itertools import chain

    from hegui.safety.batch import BatchStats, check_jsonl

    stream = _open_input(source)
    head = [line for _, line in zip(range(_PEEK), stream, strict=False)]
    lines = chain(head, stream)
    expected = len(head) if len(head) < _PEEK else None
    out = sys.stdout if target == "-" else _open_output(target)
    totals = BatchStats()
    try:
        for block, stats in check_jsonl(
            lines, direction, workers=workers or None, expected=expected
        ):
            out.write(block)
            totals.add(stats)
    finally:
        if out is not sys.stdout:
            out.close()
        if stream is not sys.stdin.buffer:
            stream.close()
    if totals.errors:
        print(
            f"hegui: {totals.errors} line(s) could not be checked (see error records)",
            file=sys.stderr,
        )
        return 2
    return 1 if totals.unsafe else 0


def _open_input(source: str) -> BinaryIO:
    from hegui.errors import InputError

    if source == "-":
        return sys.stdin.buffer
    try:
        return open(source, "rb")
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror}") from None


def _open_output(target: str) -> TextIO:
    from hegui.errors import InputError

    try:
        return open(target, "w", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}") from None
