"""Sub-commands of the risk engine: ``check``, ``lexicon …`` and ``train``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the engine's commands to ``app`` (each module keeps its heavy imports inside commands)."""
    from hegui.safety import check_cli
    from hegui.safety.classifier.training import cli as classifier_cli
    from hegui.safety.lexicon import cli as lexicon_cli

    check_cli.register(app)
    lexicon_cli.register(app)
    classifier_cli.register(app)
