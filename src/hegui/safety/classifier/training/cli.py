"""CLI of the classifier layer: ``hegui train``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

_DEFAULT_DATA = Path("../shared/data/raw")
_DEFAULT_OUT = Path("src/hegui/safety/data/classifier/model.npz")
_DEFAULT_DEV = Path("eval")


def train_command(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Folder laid out like ../shared/data/raw (only permissive sets are read).")] = _DEFAULT_DATA,
    out: Annotated[Path, typer.Option("--out", help="Model file to write (split_manifest.json is written beside it).")] = _DEFAULT_OUT,
    seed: Annotated[int, typer.Option("--seed", help="Seed for augmentation and calibration; same data + seed → same file.")] = 0,
    dev_dir: Annotated[Path, typer.Option("--dev-dir", help="Folder of *.jsonl dev sets: training rows that nearly repeat one of their items are left out.")] = _DEFAULT_DEV,
    seeds_dir: Annotated[Path | None, typer.Option("--seeds-dir", help="Folder of hegui's own seed lines (default: the shipped training/seeds/).")] = None,
    written: Annotated[bool, typer.Option("--written/--no-written", help="Include hegui's generated black-market posts and Chinese wrappers.")] = True,
) -> None:
    """Train the text classifier from the shared data sets and print dev metrics."""
    from rich.console import Console
    from rich.table import Table

    from hegui.safety.classifier.training.datasets import SEEDS_DIR
    from hegui.safety.classifier.training.train import TrainConfig, train

    console = Console(stderr=True)
    with console.status("training…") as status:

        def progress(msg: str) -> None:
            status.update(msg)
            console.log(msg)

        result = train(data_dir, out, TrainConfig(seed=seed), progress=progress, dev_dir=dev_dir,
                       seeds_dir=seeds_dir or SEEDS_DIR, written=written)
    table = Table(title=f"{result.model_path} ({result.size_bytes / 1024:.0f} KiB) — dev split")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in result.dev_metrics.items():
        table.add_row(name, f"{value:.4f}")
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add this layer's commands to ``app``."""
    app.command("train")(train_command)
