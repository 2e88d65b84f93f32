"""``hegui corpus scan`` and ``hegui corpus review``: thin commands over :mod:`hegui.corpus`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hegui.corpus.cli import ConfigOpt, JsonOpt, UrlOpt

if TYPE_CHECKING:
    from hegui.config import Settings
    from hegui.corpus.registry import Source


def _engine_settings(settings: Settings) -> dict[str, Any] | None:
    """None for the built-in engine (workers then share ``Engine.default()``)."""
    from hegui.config import EngineSettings

    if settings.engine == EngineSettings():
        return None
    return settings.engine.model_dump()


def _check_sources(paths: list[str], source: str | None, registry: dict[str, Source]) -> None:
    from hegui.corpus.readers import source_prefix
    from hegui.errors import InputError

    named = [source] if source else []
    named += [s for s in (source_prefix(p) for p in paths) if s]
    for sid in named:
        if sid not in registry:
            raise InputError(
                f"no corpus source {sid!r}; register it first: hegui corpus source add {sid} …"
            )


def scan(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files or folders (JSONL, CSV/TSV, Parquet, JSON, .txt/.md; .gz/.zst); "
            "SOURCE=PATH assigns a source to one path."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for the report and outputs.")],
    source: Annotated[
        str | None, typer.Option("--source", help="Registered source of every record.")
    ] = None,
    source_field: Annotated[
        str | None,
        typer.Option("--source-field", help="Record field naming each record's source id."),
    ] = None,
    text_field: Annotated[str, typer.Option("--text-field", help="Field with the text.")] = "text",
    id_field: Annotated[str, typer.Option("--id-field", help="Field with the record id.")] = "id",
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes or Ray actors (0: all cores).")
    ] = 0,
    engine: Annotated[
        str, typer.Option("--engine", help="local (forked workers) or ray (Ray Data).")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option("--address", help="Ray cluster to join (e.g. auto on the head node)."),
    ] = None,
    sample: Annotated[int, typer.Option("--sample", help="Size of the review sample.")] = 4000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the review sample.")] = 0,
    direction: Annotated[
        str, typer.Option("--direction", help="Policy direction to judge records by.")
    ] = "output",
    pii: Annotated[
        str,
        typer.Option(
            "--pii",
            help="Personal information in kept records: auto (redact unless the source has "
            "consent evidence), keep, redact or drop.",
        ),
    ] = "auto",
    languages: Annotated[
        str | None, typer.Option("--languages", help="Keep only these, e.g. zh,en.")
    ] = None,
    min_chars: Annotated[int, typer.Option("--min-chars", help="Shorter records drop.")] = 10,
    near_threshold: Annotated[
        float, typer.Option("--near-threshold", help="Jaccard similarity of near duplicates.")
    ] = 0.8,
    no_dedup: Annotated[
        bool, typer.Option("--no-dedup", help="Skip the near-duplicate search.")
    ] = False,
    keep_marked: Annotated[
        bool,
        typer.Option("--keep-marked", help="Keep records with rights-reserved markers."),
    ] = False,
    keep_failing_sources: Annotated[
        bool,
        typer.Option(
            "--keep-failing-sources",
            help="Keep records of sources over the 5 % limit (analysis only).",
        ),
    ] = False,
    max_record_mb: Annotated[
        float, typer.Option("--max-record-mb", help="Longer lines are reported, not read.")
    ] = 16.0,
    restart: Annotated[
        bool, typer.Option("--restart", help="Discard an unfinished scan in --out.")
    ] = False,
    checkpoint_every: Annotated[
        float, typer.Option("--checkpoint-every", help="Seconds between resume checkpoints.")
    ] = 30.0,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    url: UrlOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Scan a corpus: risk engine, personal information, licences, duplicates, quality."""
    from hegui.corpus.analyze import PII_MODES, ScanOptions
    from hegui.corpus.quality import QualityRules
    from hegui.corpus.registry import list_sources
    from hegui.corpus.report import summary_lines
    from hegui.corpus.scan import ScanJob, open_scan, run_scan
    from hegui.corpus.scans import record_scan_finish, record_scan_start
    from hegui.errors import InputError
    from hegui.store.cli import cli_actor, open_for_cli

    if pii not in PII_MODES:
        raise InputError(f"--pii must be one of {', '.join(PII_MODES)}")
    if engine not in ("local", "ray"):
        raise InputError("--engine must be local or ray")
    if direction not in ("input", "output"):
        raise InputError("--direction must be input or output")
    if not 0 < near_threshold <= 1:
        raise InputError("--near-threshold must be in (0, 1]")
    options = ScanOptions(
        text_field=text_field,
        id_field=id_field,
        source_field=source_field,
        default_source=source,
        direction=direction,
        pii=pii,
        keep_marked=keep_marked,
        quality=QualityRules(
            min_chars=min_chars,
            languages=tuple(x.strip() for x in (languages or "").split(",") if x.strip()),
        ),
        max_record_bytes=max(1, int(max_record_mb * (1 << 20))),
        near_threshold=near_threshold,
        dedup=not no_dedup,
        sample=max(0, sample),
        seed=seed,
    )
    settings, store = open_for_cli(url, config)
    try:
        with store.read() as conn:
            registry = {s.id: s for s in list_sources(conn)}
        _check_sources(paths, source, registry)
        job = ScanJob(
            paths=paths,
            out=out,
            options=options,
            registry=registry,
            engine=_engine_settings(settings),
            workers=workers,
            executor=engine,
            address=address,
            quiet=quiet,
            enforce_limit=not keep_failing_sources,
            checkpoint_seconds=checkpoint_every,
        )
        state = open_scan(job, restart=restart)
        if state.resumed and state.phase != "done" and not quiet:
            typer.echo(f"resuming scan {state.scan_id} after {state.records:,} records", err=True)
        actor = cli_actor()
        store.write(
            lambda c: record_scan_start(
                c,
                scan_id=state.scan_id,
                out_dir=str(out.resolve()),
                options=options.as_dict(),
                actor=actor,
            )
        )
        report = run_scan(job, state)
        digest = hashlib.sha256((out / "report.json").read_bytes()).hexdigest()
        store.write(
            lambda c: record_scan_finish(
                c, scan_id=state.scan_id, report=report, report_sha256=digest, actor=actor
            )
        )
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        typer.echo("\n".join(summary_lines(report)))
        typer.echo(f"report: {out / 'report.html'}")
    raise typer.Exit(0 if all(s["usable"] for s in report["sources"]) else 1)


def _interactive(
    folder: Path, sample: dict[int, dict[str, Any]], done: set[int], reviewer: str
) -> Any:
    """Yield verdicts typed at the terminal, one item at a time, until the end or 'q'."""
    from hegui.corpus.review import ReviewVerdict

    todo = [i for i in sorted(sample) if i not in done]
    typer.echo(f"{len(todo):,} of {len(sample):,} sample items to review in {folder}")
    for n, sample_id in enumerate(todo, start=1):
        item = sample[sample_id]
        text = str(item.get("text") or "")
        shown = text if len(text) <= 2000 else text[:2000] + f" … [{len(text):,} characters]"
        typer.echo(
            f"\n#{sample_id} ({n}/{len(todo)}) source {item.get('source')}, "
            f"{item.get('file')}:{item.get('line')}\n{shown}"
        )
        while True:
            answer = typer.prompt("[p]ass / [f]ail / [s]kip / [q]uit", default="s").strip().lower()
            if answer in ("p", "f", "s", "q"):
                break
        if answer == "q":
            return
        if answer == "s":
            continue
        note = (
            typer.prompt("note (optional)", default="", show_default=False) if answer == "f" else ""
        )
        verdict = "pass" if answer == "p" else "fail"
        yield ReviewVerdict(sample_id, verdict, reviewer, note or None)


def review(
    folder: Annotated[Path, typer.Argument(help="The folder of a `hegui corpus scan`.")],
    verdicts: Annotated[
        Path | None,
        typer.Option("--verdicts", help="JSONL or CSV with sample_id, verdict[, reviewer, note]."),
    ] = None,
    reviewer: Annotated[
        str | None, typer.Option("--reviewer", help="Name recorded with each verdict.")
    ] = None,
    url: UrlOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record reviewers' verdicts on the sample and report the pass rate against ≥ 96 %.

    Without --verdicts, asks for each unreviewed item on the terminal (p/f/s/q); every answer is
    stored at once, so a review can stop and go on later.
    """
    from hegui.corpus.review import (
        apply_review,
        load_sample,
        load_verdicts,
        read_verdicts,
        record_verdicts,
        summarize,
    )
    from hegui.corpus.scans import get_scan
    from hegui.corpus.spool import read_json
    from hegui.store.cli import cli_actor, open_for_cli

    sample = load_sample(folder)
    report = read_json(folder / "report.json")
    scan_id = report["scan"]["id"]
    actor = cli_actor()
    who = reviewer or actor
    _, store = open_for_cli(url, config)
    try:
        with store.read() as conn:
            get_scan(conn, scan_id)
            existing = load_verdicts(conn, scan_id)
        if verdicts is not None:
            new = read_verdicts(verdicts, sample, who)
            store.write(lambda c: record_verdicts(c, scan_id, sample, new, actor=actor))
        else:
            done = {v["sample_id"] for v in existing}
            for verdict in _interactive(folder, sample, done, who):

                def record_one(conn: Any, one: Any = verdict) -> Any:
                    return record_verdicts(conn, scan_id, sample, [one], actor=actor)

                store.write(record_one)
        with store.read() as conn:
            summary = summarize(
                sample, load_verdicts(conn, scan_id), report["sample"]["population"]
            )
    finally:
        store.close()
    apply_review(folder, summary)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        rate = summary["pass_rate"]
        shown = "n/a" if rate is None else f"{rate:.2%}"
        lo, hi = summary["ci95"]
        state = "PASS" if summary["pass"] else ("incomplete" if not summary["complete"] else "FAIL")
        typer.echo(
            f"reviewed {summary['reviewed']:,} of {summary['sample_size']:,}: {summary['passed']:,} "
            f"acceptable = {shown} [{lo:.2%}–{hi:.2%}], required ≥ 96 % — {state}"
        )
    raise typer.Exit(0 if summary["pass"] else 1)


def register(corpus: typer.Typer) -> None:
    corpus.command("scan")(scan)
    corpus.command("review")(review)
