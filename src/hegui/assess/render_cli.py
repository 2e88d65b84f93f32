"""Terminal output of ``hegui assess``: coverage tables, the run summary, progress bars."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.table import Table

from hegui.assess.bank import BankSet
from hegui.assess.coverage import Coverage
from hegui.assess.standard import BANK_RULES

__all__ = ["print_coverage", "print_summary", "run_progress"]


def print_coverage(result: Coverage, banks: BankSet) -> None:
    console = Console()
    for b in result.banks:
        rule = BANK_RULES[b.bank]
        table = Table(title=f"{rule.zh} / {rule.en} ({rule.clause})")
        for col in ("key", "name", "questions", "minimum", ""):
            table.add_column(col, justify="right" if col in ("questions", "minimum") else "left")
        for k in b.keys:
            table.add_row(
                k.key, k.name, str(k.count), str(k.minimum or "-"), "ok" if k.ok else "BELOW"
            )
        table.add_section()
        total_ok = b.total >= b.total_minimum
        table.add_row(
            "total", "", str(b.total), str(b.total_minimum), "ok" if total_ok else "BELOW"
        )
        console.print(table)
        langs = ", ".join(f"{k} {v}" for k, v in b.languages.items())
        console.print(f"  languages: {langs or '-'}; sources: {len(b.sources)}")
    for err in banks.errors[:20]:
        console.print(f"[yellow]bad line[/] {err}")
    if len(banks.errors) > 20:
        console.print(f"… and {len(banks.errors) - 20} more bad lines")
    state = "all minimums met" if result.ok else "minimums NOT met"
    console.print(f"{len(result.files)} file(s), {result.errors} bad line(s); {state}")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def print_summary(summary: dict[str, Any]) -> None:
    console = Console()
    table = Table(title="hegui assess: results against TC260-003 §9")
    for col in (
        "bank",
        "judged",
        "rate",
        "95 % CI",
        "threshold",
        "sample ≥",
        "verdict",
        "n to be sure",
    ):
        table.add_column(col)
    for bank, b in summary["banks"].items():
        t = b["threshold"]
        ci = f"{_pct(t['ci95'][0])} – {_pct(t['ci95'][1])}"
        need = t["needed_n"]
        table.add_row(
            f"{bank} ({t['rate_name']})", f"{t['judged']}/{t['selected']}", _pct(t["rate"]), ci,
            f"{t['direction']} {_pct(t['threshold'])}", str(t["sample_minimum"]), t["verdict"],
            "-" if need is None else f"{need:,}",
        )  # fmt: skip
    console.print(table)
    if summary["unjudged"]:
        why = ", ".join(f"{k} {v}" for k, v in summary["unjudged_reasons"].items())
        console.print(f"{summary['unjudged']} item(s) could not be judged: {why}")
    console.print("overall: " + ("PASS" if summary["overall"] else "FAIL"))


@contextlib.contextmanager
def run_progress(enabled: bool, what: str) -> Iterator[Callable[..., None] | None]:
    """A rich progress bar on stderr, fed by ``(done, total, *_)`` calls; ``None`` when off."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        f"[bold]{what}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=False,
    ) as bar:  # fmt: skip
        task = bar.add_task(what, total=None)

        def update(done: int, total: int, *_: Any) -> None:
            bar.update(task, completed=done, total=total)

        yield update
