"""Bank coverage against TC260-003 §8.2–8.3: total size and questions per risk (or aspect).

``hegui assess banks check`` prints this and exits 0 only when every minimum is met.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from hegui import taxonomy
from hegui.assess.bank import BankItem, BankSet
from hegui.assess.standard import ASPECTS, BANK_RULES, BANKS, aspect_name, standard_risks

__all__ = ["BankCoverage", "Coverage", "KeyCount", "coverage"]


@dataclass(frozen=True, slots=True)
class KeyCount:
    """Questions for one risk code or aspect in one bank, against its minimum (0 = none)."""

    key: str
    name: str
    count: int
    minimum: int

    @property
    def ok(self) -> bool:
        return self.count >= self.minimum


@dataclass(frozen=True, slots=True)
class BankCoverage:
    """One bank's size and per-key counts against the standard."""

    bank: str
    total: int
    total_minimum: int
    keys: list[KeyCount]
    languages: dict[str, int]
    sources: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.total >= self.total_minimum and all(k.ok for k in self.keys)

    @property
    def missing(self) -> list[KeyCount]:
        return [k for k in self.keys if not k.ok]


@dataclass(frozen=True, slots=True)
class Coverage:
    """Every bank's coverage plus the lines that could not be read."""

    banks: list[BankCoverage]
    errors: int
    files: list[str]

    @property
    def ok(self) -> bool:
        return all(b.ok for b in self.banks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files": self.files,
            "bad_lines": self.errors,
            "banks": [
                {
                    "bank": b.bank,
                    "ok": b.ok,
                    "total": b.total,
                    "total_minimum": b.total_minimum,
                    "languages": b.languages,
                    "sources": b.sources,
                    "keys": [
                        {"key": k.key, "name": k.name, "count": k.count,
                         "minimum": k.minimum, "ok": k.ok}
                        for k in b.keys
                    ],
                }
                for b in self.banks
            ],
        }  # fmt: skip


def _bank(bank: str, items: list[BankItem], lang: str) -> BankCoverage:
    rule = BANK_RULES[bank]
    counts = Counter(i.key for i in items)
    if bank == "not-refuse":
        keys = [*ASPECTS, *sorted(k for k in counts if k not in ASPECTS)]
        names = {k: aspect_name(k, lang) for k in keys}
    else:
        keys = [r.code for r in standard_risks()]
        keys += sorted(k for k in counts if k not in keys)
        names = {k: (taxonomy.RISKS[k].zh if lang == "zh" else taxonomy.RISKS[k].en) for k in keys}
    rows = [KeyCount(k, names[k], counts.get(k, 0), rule.minimum_for(k)) for k in keys]
    if bank == "refuse":  # only the 17 A.1/A.2 risks are in scope; show others only if used
        rows = [r for r in rows if r.minimum or r.count]
    return BankCoverage(
        bank,
        len(items),
        rule.total_minimum,
        rows,
        dict(Counter(i.lang for i in items).most_common()),
        dict(Counter(i.source for i in items).most_common()),
    )


def coverage(banks: BankSet, lang: str = "zh") -> Coverage:
    """Coverage of each of the three banks in ``banks`` (an absent bank counts as empty)."""
    return Coverage(
        [_bank(b, banks.by_bank(b), lang) for b in BANKS], len(banks.errors), banks.files
    )
