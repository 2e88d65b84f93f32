"""``hegui corpus …``: the source register, scans and the manual review, from the shell.

Thin on purpose: each command opens the store, calls the plain functions of this package and
prints. Heavy imports stay inside the command bodies so ``hegui check`` starts fast. Exit codes:
``scan`` 0 when every source is usable, 1 when one is not; ``review`` 0 when the manual check
passes, 1 when it does not (yet); 2 for usage and input errors.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from hegui.corpus.registry import Source
    from hegui.store.db import Store

UrlOpt = Annotated[str | None, typer.Option("--url", help="Database URL (overrides store.url).")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="hegui.toml to read (default ./hegui.toml).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
_FIELD_HELP = {
    "name": "Display name.",
    "origin": "Where the data comes from (URL, vendor, product, team).",
    "licence": "Licence or contract (SPDX id such as CC-BY-4.0, or a contract reference).",
    "legal_basis": "consent, public, contract or own.",
    "kind": "open_source, self_collected, commercial or user_input.",
    "region": "domestic or foreign (filings report the foreign share).",
    "collected": "Collection date or range, e.g. 2024-03 or 2023-01..2024-06.",
    "collection_method": "How it was collected (crawl, purchase, export, annotation …).",
    "languages": "Comma-separated languages, e.g. zh,en.",
    "modality": "text, image, audio, video or multimodal.",
    "consent_evidence": "Where the consent (or other lawful basis) for personal information is kept.",
    "notes": "Anything else an inspector should know.",
}


def _opt(name: str) -> Any:
    flag = "--method" if name == "collection_method" else "--" + name.replace("_", "-")
    extra = ("--license",) if name == "licence" else ()
    return typer.Option(flag, *extra, help=_FIELD_HELP[name])


def _field_parameters() -> list[inspect.Parameter]:
    """One option per register field, shared by ``source add`` and ``source update``."""
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter(name, kw, default=None, annotation=Annotated[str | None, _opt(name)])
        for name in _FIELD_HELP
    ]
    personal = typer.Option(
        "--personal-info/--no-personal-info", help="Whether the source holds personal information."
    )
    params.append(
        inspect.Parameter(
            "personal_info", kw, default=None, annotation=Annotated[bool | None, personal]
        )
    )
    return params


def _with_fields(fn: Callable[..., None]) -> Callable[..., None]:
    """Give a command the register-field options after its own arguments; they arrive in
    ``**fields`` (options left out arrive as None and are dropped here)."""
    sig = inspect.signature(fn, eval_str=True)
    own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> None:
        names = {p.name for p in own}
        fields = {k: v for k, v in kwargs.items() if k not in names and v is not None}
        fn(*args, **{k: v for k, v in kwargs.items() if k in names}, **fields)

    command.__signature__ = sig.replace(parameters=own + _field_parameters())  # type: ignore[attr-defined]
    return command


def _source_text(source: Source) -> str:
    state = source.state()
    lines = [f"{k}: {'—' if v is None else v}" for k, v in state.items()]
    missing = source.missing
    lines.append("missing for usable: " + (", ".join(missing) if missing else "nothing"))
    return "\n".join(lines)


@contextmanager
def _opened(url: str | None, config: Path | None, mode: str = "create") -> Iterator[Store]:
    from hegui.store.cli import open_for_cli

    _, store = open_for_cli(url, config, mode=mode)
    try:
        yield store
    finally:
        store.close()


def _register_sources(corpus: typer.Typer) -> None:
    from hegui.store.cli import cli_actor

    source = typer.Typer(help="The training-data source register.", no_args_is_help=True)
    corpus.add_typer(source, name="source")

    @source.command("add")
    @_with_fields
    def add(
        source_id: Annotated[
            str, typer.Argument(help="Short id, e.g. weibo-2024 (a-z 0-9 . _ -).")
        ],
        usable: Annotated[
            bool, typer.Option("--usable", help="Mark usable now (every required field needed).")
        ] = False,
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
        **fields: Any,
    ) -> None:
        """Register a training-data source (audited)."""
        from hegui.corpus.registry import add_source

        with _opened(url, config) as store:
            created = store.write(
                lambda c: add_source(
                    c, source_id=source_id, actor=cli_actor(), usable=usable, **fields
                )
            )
        _print_source(created, as_json)

    @source.command("update")
    @_with_fields
    def update(
        source_id: Annotated[str, typer.Argument(help="The source to change.")],
        usable: Annotated[
            bool | None,
            typer.Option("--usable/--not-usable", help="Mark usable (needs every field) or not."),
        ] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
        **fields: Any,
    ) -> None:
        """Change a source's fields or its usable flag (audited, with before/after digests)."""
        from hegui.corpus.registry import update_source

        with _opened(url, config) as store:
            changed = store.write(
                lambda c: update_source(c, source_id, actor=cli_actor(), usable=usable, **fields)
            )
        _print_source(changed, as_json)

    @source.command("list")
    def list_(url: UrlOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
        """Every registered source, with what it still lacks."""
        from hegui.corpus.registry import list_sources

        with _opened(url, config, "read") as store, store.read() as conn:
            sources = list_sources(conn)
        if as_json:
            typer.echo(json.dumps([s.state() for s in sources], ensure_ascii=False))
            return
        for s in sources:
            flag = "usable" if s.usable else "not usable"
            missing = f"  missing: {', '.join(s.missing)}" if s.missing else ""
            typer.echo(
                f"{s.id}\t{flag}\t{s.legal_basis or '—'}\t{s.licence or '—'}\t{s.kind or '—'}{missing}"
            )

    @source.command("show")
    def show(
        source_id: Annotated[str, typer.Argument(help="The source to show.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """One source's register entry and its latest scan results."""
        from hegui.corpus.registry import get_source
        from hegui.corpus.scans import source_history

        with _opened(url, config, "read") as store, store.read() as conn:
            found = get_source(conn, source_id)
            history = source_history(conn, source_id)
        if as_json:
            data = {**found.state(), "missing": found.missing, "scans": history}
            typer.echo(json.dumps(data, ensure_ascii=False, default=str))
            return
        typer.echo(_source_text(found))
        for h in history:
            verdict = "pass" if h["passed"] else "FAIL"
            typer.echo(
                f"scan {h['scan_id']} {h['finished_at']:%Y-%m-%d %H:%M}: {h['records']:,} records, "
                f"harmful {h['unsafe_share']:.2%} ({verdict}), kept {h['kept']:,} — {h['out_dir']}"
            )


def _print_source(source: Source, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({**source.state(), "missing": source.missing}, ensure_ascii=False))
    else:
        typer.echo(_source_text(source))


def register(app: typer.Typer) -> None:
    """Add ``corpus`` (source register, scan, review) to ``app``."""
    from hegui.corpus import cli_scan

    corpus = typer.Typer(
        help="Training-data governance: source register, corpus scan, manual review.",
        no_args_is_help=True,
    )
    app.add_typer(corpus, name="corpus")
    _register_sources(corpus)
    cli_scan.register(corpus)
