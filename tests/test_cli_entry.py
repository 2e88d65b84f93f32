"""The console script runs an app holding only the command it names (hegui.cli.app_for); every
top-level command must behave there exactly as in the whole app."""

from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from hegui.cli import app, app_for

NAMES = sorted(get_command(app).commands)  # type: ignore[attr-defined]  # what click dispatches on


def same(args: list[str]) -> None:
    runner = CliRunner()
    whole = runner.invoke(app, args)
    one = runner.invoke(app_for(args), args)
    assert (one.exit_code, one.output) == (whole.exit_code, whole.output)


def test_every_top_level_command_is_found() -> None:
    assert len(NAMES) == len(set(NAMES))
    assert {"check", "serve", "corpus", "ops", "label"} <= set(NAMES)
    for name in NAMES:
        assert app_for([name, "--help"]) is not app, name


@pytest.mark.parametrize("name", NAMES)
def test_help_is_the_same(name: str) -> None:
    same([name, "--help"])


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--no-such-option"],
        ["check"],
        ["corpus", "source", "--help"],
        ["corpus", "nope"],
        ["ops", "complaints", "--help"],
        ["key"],
    ],
    ids=" ".join,
)
def test_usage_and_errors_are_the_same(args: list[str]) -> None:
    same(args)


@pytest.mark.parametrize("args", [[], ["--help"], ["chek"], ["--no-such-option"]], ids=repr)
def test_anything_else_gets_the_whole_app(args: list[str]) -> None:
    assert app_for(args) is app
