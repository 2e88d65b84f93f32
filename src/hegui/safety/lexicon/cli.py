"""``hegui lexicon …``: lexicon statistics against the TC260 minimums, and file validation."""

from __future__ import annotations

from typing import Annotated

import typer

lexicon_app = typer.Typer(
    name="lexicon", help="Inspect and validate keyword lexicons.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add this layer's commands to ``app``."""
    app.add_typer(lexicon_app, name="lexicon")


@lexicon_app.command("stats")
def stats(
    lexicon: Annotated[
        list[str] | None,
        typer.Option("--lexicon", help="Extra lexicon file or folder (repeatable)."),
    ] = None,
    builtin: Annotated[
        bool, typer.Option("--builtin/--no-builtin", help="Include the shipped starter lexicon.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Terms per risk against TC260-003 minimums; exit 0 when all are met, 1 when not."""
    from hegui.safety.lexicon.stats import lexicon_stats

    result = lexicon_stats(lexicon or [], builtin=builtin)
    if as_json:
        import json

        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_table(result)
    raise typer.Exit(0 if result.ok else 1)


@lexicon_app.command("check-file")
def check_file(path: Annotated[str, typer.Argument(help="Lexicon TSV file to validate.")]) -> None:
    """Validate one lexicon file (format, risk codes, exceptions); exit 2 naming file:line."""
    from hegui.safety.lexicon.format import read_file
    from hegui.safety.lexicon.matcher import LexiconMatcher

    entries = read_file(path)
    matcher = LexiconMatcher(entries, variants=False, engine="ahocorasick")  # fast, same checks
    allow = sum(e.allow for e in entries)
    print(f"{path}: ok, {len(entries)} entries ({allow} allow), {matcher.pattern_count} patterns")


@lexicon_app.command("import")
def import_lists(
    out: Annotated[str, typer.Option("--out", help="Folder for the curated <code>.tsv files (replaced).")],
    benign: Annotated[list[str], typer.Option("--benign", help="JSONL file of benign texts ({\"text\": …}) to measure every term on (repeatable).")],
    houbb: Annotated[str | None, typer.Option("--houbb", help="Folder of houbb/sensitive-word (sensitive_word_tags.txt).")] = None,
    konsheng: Annotated[str | None, typer.Option("--konsheng", help="Folder of konsheng/Sensitive-lexicon (Vocabulary/*.txt).")] = None,
    word_freq: Annotated[str | None, typer.Option("--word-freq", help="'word freq' lines, e.g. jieba's dict.txt: very common words are dropped, dictionary words only flag.")] = None,
) -> None:
    """Import and curate third-party keyword lists into lexicon files with per-term provenance."""
    import json
    from pathlib import Path

    from hegui.errors import InputError
    from hegui.safety.lexicon import importer
    from hegui.safety.lexicon.format import builtin_dir, read_files

    if not houbb and not konsheng:
        raise InputError("nothing to import: give --houbb and/or --konsheng")
    for folder in filter(None, (houbb, konsheng)):
        if not Path(folder).is_dir():
            raise InputError(f"lexicon folder not found: {folder}")
    texts: list[str] = []
    for path in map(Path, benign):
        if not path.is_file():
            raise InputError(f"benign text file not found: {path}")
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    freq = importer.read_word_freq(Path(word_freq)) if word_freq else {}
    starter = read_files([builtin_dir()])
    kept, _ = importer.import_lists(Path(houbb) if houbb else None, Path(konsheng) if konsheng else None,
                                    texts, freq, starter)  # fmt: skip
    header = ("imported by `hegui lexicon import` from permissive lists (houbb/sensitive-word, "
              "Apache-2.0; konsheng/Sensitive-lexicon, MIT); see NOTICE. Not hand-written: "
              "each term's code, severity and source column come from scripts/lexicon_import.py")  # fmt: skip
    counts = importer.write_files(kept, Path(out), header)
    print(f"{sum(counts.values())} terms written to {out}: "
          + ", ".join(f"{code} {n}" for code, n in counts.items()))


def _print_table(result: object) -> None:
    from rich.console import Console
    from rich.table import Table

    from hegui.safety.lexicon.stats import LexiconStats

    assert isinstance(result, LexiconStats)
    table = Table(title="hegui lexicon stats (TC260-003 §8.1 minimums)")
    for column in ("code", "risk", "terms", "minimum", ""):
        table.add_column(column, justify="right" if column in ("terms", "minimum") else "left")
    for r in result.risks:
        table.add_row(
            r.code, r.name, str(r.count), str(r.minimum or "-"), "ok" if r.ok else "BELOW"
        )
    table.add_section()
    total_ok = result.total >= result.total_minimum
    table.add_row(
        "total",
        "all risks",
        str(result.total),
        str(result.total_minimum),
        "ok" if total_ok else "BELOW",
    )
    table.add_row("allow", "allow-list terms", str(result.allow), "-", "")
    console = Console()
    console.print(table)
    console.print(
        f"{len(result.files)} file(s); {'all minimums met' if result.ok else 'minimums NOT met'}"
    )
