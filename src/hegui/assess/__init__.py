"""Security self-assessment (TC260-003 §8–9, Article 17): banks, runner, judge, report, pack.

Callers import from here::

    from hegui.assess import load_banks, coverage, select_items, RunConfig, run, judge_run

Names load on first use, so ``hegui check`` does not pay for the runner's HTTP client when the
``hegui`` command starts.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "BANK_RULES",
    "BankItem",
    "BankSet",
    "Coverage",
    "Judge",
    "Judgement",
    "RefusalFinding",
    "RunConfig",
    "Stance",
    "coverage",
    "detect_refusal",
    "judge_run",
    "load_banks",
    "load_provider",
    "load_source",
    "needed_sample",
    "run",
    "select_items",
    "summarize",
    "wilson",
    "write_pack",
    "write_report",
]

_WHERE = {
    "BANK_RULES": "standard",
    "BankItem": "bank",
    "BankSet": "bank",
    "load_banks": "bank",
    "Coverage": "coverage",
    "coverage": "coverage",
    "Judge": "judge",
    "Judgement": "judge",
    "RefusalFinding": "refusal",
    "Stance": "refusal",
    "detect_refusal": "refusal",
    "RunConfig": "runner",
    "run": "runner",
    "select_items": "runner",
    "judge_run": "evaluate",
    "summarize": "metrics",
    "wilson": "stats",
    "needed_sample": "stats",
    "load_provider": "provider",
    "load_source": "sources",
    "write_report": "report",
    "write_pack": "pack",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'hegui.assess' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"hegui.assess.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
