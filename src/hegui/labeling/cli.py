"""``hegui label`` and ``hegui verify``: GB 45438 implicit labels from the shell.

Both take many files (and folders with ``-r``) in one call and spread them over every core
(:mod:`.batch`), printing one JSON line per file. Exit codes of ``verify`` (for scripts): 0 every
file carries one well-formed label; 1 at least one file has no label (or only the watermark) and
none is worse; 3 at least one label is malformed, tampered with or duplicated; 2 usage or input
error (unreadable, corrupt or unsupported file, bad option).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hegui.errors import LabelError

_CONFIG = typer.Option("--config", help="hegui.toml to read the labeling settings from.")


def _settings(config: str | None, producer: str | None = None) -> Any:
    from hegui.config import load_settings

    labeling = load_settings(config).labeling
    if producer is not None:
        labeling = labeling.model_copy(update={"producer": producer})
    return labeling


def label(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Files (or folders with -r) to label: PNG, JPEG, WebP, GIF, TIFF, HEIF/AVIF, WAV, "
            "MP3, FLAC, OGG/Opus, MP4/MOV, MKV/WebM, AVI, PDF, DOCX/XLSX/PPTX, Markdown, HTML, text."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Where to write the labelled copy (one file)."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir", help="Folder for the labelled copies (same names, sub-folders kept)."
        ),
    ] = None,
    in_place: Annotated[
        bool,
        typer.Option("--in-place", help="Replace each file itself (atomically)."),
    ] = False,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Descend into folders.")
    ] = False,
    producer: Annotated[
        str | None, typer.Option("--producer", help="27-character provider code (ContentProducer).")
    ] = None,
    value: Annotated[
        str,
        typer.Option("--label", help='Label value: "1" AI-generated, "2" possibly, "3" suspected.'),
    ] = "1",
    explicit: Annotated[
        bool,
        typer.Option("--explicit/--no-explicit", help="Also add the visible notice (GB 45438 §5)."),
    ] = False,
    watermark: Annotated[
        bool,
        typer.Option(
            "--watermark", help="Also embed the invisible image watermark carrying the ProduceID."
        ),
    ] = False,
    propagator: Annotated[
        str | None,
        typer.Option(
            "--propagator",
            "--propagate",
            help="Keep the producer's label and add this platform code as ContentPropagator (Art. 6).",
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace a label written by another producer (reported)."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing malformed or tampered label.")
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", "-j", help="Processes to use (default: every core).")
    ] = 0,
    config: Annotated[str | None, _CONFIG] = None,
) -> None:
    """Write one GB 45438 implicit label (Annex E) into each FILE and print one JSON line per file.

    Exit code: 0 all labelled, 2 usage error or any file that could not be labelled (its line
    carries the error, and the original is untouched).
    """
    from hegui.labeling import batch

    targets = batch.plan_targets(
        files, out=out, out_dir=out_dir, in_place=in_place, recursive=recursive
    )
    settings = _settings(config, producer)
    options = {
        "label_value": value,
        "settings": settings,
        "propagator": propagator,
        "replace": replace,
        "force": force,
        "explicit": explicit,
        "watermark": watermark or settings.watermark,
    }
    if settings.producer is None and settings.uscc is None:
        from hegui.labeling.provider import configured_producer

        configured_producer(settings, warn=True)  # warn once here, not once per worker
    jobs = [(src, target, options) for src, target in targets]
    failed = 0
    for result in batch.run(
        batch.label_one,
        jobs,
        workers=_workers(workers),
        progress=_tty(),
        what="labelling",
        paths=[src for src, _target in targets],
    ):
        if "error" in result:
            failed += 1
            if len(jobs) == 1:
                raise LabelError(result["error"])
            typer.echo(f"hegui: error: {result['error']}", err=True)
        elif result.get("replaced_labels"):
            producers = ", ".join(r["ContentProducer"] for r in result["replaced_labels"])
            typer.echo(
                f"hegui: warning: {result['file']}: replaced the label of {producers}", err=True
            )
        typer.echo(json.dumps(result, ensure_ascii=False))
    raise typer.Exit(2 if failed else 0)


def _workers(requested: int) -> int:
    return requested if requested > 0 else max(1, os.cpu_count() or 1)


def _tty() -> bool:
    return sys.stderr.isatty()


def verify(
    files: Annotated[list[Path], typer.Argument(help="Files or folders to check.")],
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Descend into folders.")
    ] = False,
    watermark: Annotated[
        bool,
        typer.Option(
            "--watermark",
            help="Also decode the invisible image watermark, with or without a metadata label.",
        ),
    ] = False,
    as_array: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON array instead of one JSON object per line."),
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", "-j", help="Processes to use (default: every core).")
    ] = 0,
    config: Annotated[str | None, _CONFIG] = None,
) -> None:
    """Read every label carrier of each file and report found / none / watermark-only / malformed / tampered / multiple / error.

    Exit code: 0 all labelled and well-formed, 1 some unlabelled (or carrying only the
    watermark), 3 some malformed, tampered or duplicated, 2 usage or input error.
    """
    from hegui.errors import InputError
    from hegui.labeling import batch

    settings = _settings(config)
    paths = [path for path, _rel in batch.expand(files, recursive)]
    if not paths:
        raise InputError("no files to verify")
    options = {"settings": settings, "watermark": watermark}
    reports = []
    for report in batch.run(
        batch.verify_one,
        [(path, options) for path in paths],
        workers=_workers(workers),
        progress=_tty(),
        what="verifying",
        paths=paths,
    ):
        reports.append(report)
        if not as_array:
            typer.echo(json.dumps(report, ensure_ascii=False))
    if as_array:
        typer.echo(json.dumps(reports, ensure_ascii=False, indent=2))
    raise typer.Exit(_exit_code([r["status"] for r in reports]))


def _exit_code(statuses: list[str]) -> int:
    if any(s in ("malformed", "tampered", "multiple") for s in statuses):
        return 3
    if "error" in statuses:
        return 2
    return 1 if any(s in ("none", "watermark-only") for s in statuses) else 0


def register(app: typer.Typer) -> None:
    """Add ``label`` and ``verify`` to ``app`` (heavy imports stay inside the command bodies)."""
    app.command("label")(label)
    app.command("verify")(verify)
