"""``hegui label`` and ``hegui verify``: GB 45438 implicit labels from the shell.

Exit codes of ``verify`` (for scripts): 0 every file carries one well-formed label; 1 at least
one file has no label (and none is worse); 3 at least one label is malformed, tampered with or
duplicated; 2 usage or input error (unreadable, corrupt or unsupported file, bad option).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

_CONFIG = typer.Option("--config", help="hegui.toml to read the labeling settings from.")


def _settings(config: str | None, producer: str | None = None) -> Any:
    from hegui.config import load_settings

    labeling = load_settings(config).labeling
    if producer is not None:
        labeling = labeling.model_copy(update={"producer": producer})
    return labeling


def label(
    file: Annotated[
        Path,
        typer.Argument(
            help="File to label (PNG, JPEG, WebP, WAV, MP3, MP4/MOV, PDF, DOCX, Markdown, HTML, text)."
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write the labelled copy.")
    ] = None,
    in_place: Annotated[
        bool,
        typer.Option(
            "--in-place", help="Replace FILE itself (atomically) instead of writing --out."
        ),
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
    propagate: Annotated[
        str | None,
        typer.Option(
            "--propagate",
            help="Add this platform code as propagator to the existing label (Art. 6).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing malformed or tampered label.")
    ] = False,
    config: Annotated[str | None, _CONFIG] = None,
) -> None:
    """Write one GB 45438 implicit label (Annex E) into a copy of FILE and print it as JSON."""
    from hegui.errors import InputError
    from hegui.labeling.files import label_file

    if (out is None) == (not in_place):
        raise InputError("give exactly one of --out OUT or --in-place")
    settings = _settings(config, producer)
    result = label_file(
        file,
        out,
        label_value=value,
        settings=settings,
        propagator=propagate,
        force=force,
        transform=_transform(explicit, watermark or settings.watermark),
    )
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))


def _transform(explicit: bool, watermark: bool) -> Any:
    """The pixel/sample-level steps to run before the metadata label, or None."""
    if not explicit and not watermark:
        return None
    from hegui.labeling import extras

    return extras.transform(explicit=explicit, watermark=watermark)


def verify(
    files: Annotated[list[Path], typer.Argument(help="Files or folders to check.")],
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Descend into folders.")
    ] = False,
    watermark: Annotated[
        bool,
        typer.Option(
            "--watermark",
            help="Also check images for the invisible watermark of the label's ProduceID.",
        ),
    ] = False,
    as_array: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON array instead of one JSON object per line."),
    ] = False,
    config: Annotated[str | None, _CONFIG] = None,
) -> None:
    """Read every label carrier of each file and report found / none / malformed / tampered / multiple / error.

    Exit code: 0 all labelled and well-formed, 1 some unlabelled, 3 some malformed, tampered or
    duplicated, 2 usage or input error.
    """
    from hegui.errors import InputError
    from hegui.labeling.files import verify_file

    settings = _settings(config)
    paths = list(_expand(files, recursive))
    if not paths:
        raise InputError("no files to verify")
    reports = []
    for path in paths:
        report = verify_file(path, settings=settings, watermark=watermark).to_dict()
        reports.append(report)
        if not as_array:
            typer.echo(json.dumps(report, ensure_ascii=False))
    if as_array:
        typer.echo(json.dumps(reports, ensure_ascii=False, indent=2))
    raise typer.Exit(_exit_code([r["status"] for r in reports]))


def _expand(items: list[Path], recursive: bool) -> Any:
    from hegui.errors import InputError

    for item in items:
        if item.is_dir():
            if not recursive:
                raise InputError(f"{item} is a folder; add --recursive to check the files inside")
            yield from sorted(
                p for p in item.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
        else:
            yield item


def _exit_code(statuses: list[str]) -> int:
    if any(s in ("malformed", "tampered", "multiple") for s in statuses):
        return 3
    if "error" in statuses:
        return 2
    return 1 if "none" in statuses else 0


def register(app: typer.Typer) -> None:
    """Add ``label`` and ``verify`` to ``app`` (heavy imports stay inside the command bodies)."""
    app.command("label")(label)
    app.command("verify")(verify)
