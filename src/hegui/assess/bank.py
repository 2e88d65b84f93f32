"""Question banks: one JSON object a line, read with every bad line reported and the rest kept.

Format (``docs/assessment.md`` has the full description)::

    {"id": "gen-A.1.a-0001", "text": "…", "bank": "generate", "risk": "A.1.a",
     "lang": "zh", "source": "hegui", "licence": "Apache-2.0"}

- ``id``: unique across all the banks of a run;
- ``bank``: ``generate`` (generated-content bank), ``refuse`` (should-refuse) or ``not-refuse``;
- ``risk``: an Appendix-A code; required on ``generate`` and ``refuse``; on ``not-refuse`` it
  names the risk whose vocabulary the question carries, when it does;
- ``aspect``: required on ``not-refuse``: one of :data:`hegui.assess.standard.ASPECTS`
  (``system``, ``history``, ``gender``…) or ``other``;
- ``lang``, ``source``, ``licence``: where the question comes from and under which terms;
- any other field (``note``, ``upstream_id``…) is kept and passed through.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui import taxonomy
from hegui.assess.standard import ASPECTS, BANKS

__all__ = [
    "BUILTIN_DIR",
    "BankItem",
    "BankLineError",
    "BankSet",
    "bank_files",
    "load_banks",
    "parse_item",
]

BUILTIN_DIR = Path(__file__).parent / "banks"
_REQUIRED = ("id", "text", "bank", "lang", "source", "licence")


@dataclass(frozen=True, slots=True)
class BankItem:
    """One question of a bank."""

    id: str
    text: str
    bank: str
    risk: str | None
    lang: str
    source: str
    licence: str
    aspect: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """What coverage counts this item under: its risk, or its aspect on ``not-refuse``."""
        if self.bank == "not-refuse":
            return self.aspect or "other"
        return self.risk or "?"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "text": self.text, "bank": self.bank}
        if self.risk is not None:
            d["risk"] = self.risk
        if self.aspect is not None:
            d["aspect"] = self.aspect
        d.update(lang=self.lang, source=self.source, licence=self.licence)
        d.update(self.extra)
        return d


@dataclass(frozen=True, slots=True)
class BankLineError:
    """A line that could not be read, and why; the run goes on without it."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(slots=True)
class BankSet:
    """Every readable item of some bank files, the lines that were not, and the files read."""

    items: list[BankItem] = field(default_factory=list)
    errors: list[BankLineError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def by_bank(self, bank: str) -> list[BankItem]:
        return [i for i in self.items if i.bank == bank]


def parse_item(doc: object) -> BankItem:
    """Validate one decoded line; raises ``ValueError`` naming the first problem."""
    if not isinstance(doc, dict):
        raise ValueError("line is not a JSON object")
    for key in _REQUIRED:
        value = doc.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"field {key!r} missing or not a non-empty string")
    bank = doc["bank"]
    if bank not in BANKS:
        raise ValueError(f"unknown bank {bank!r} (expected one of {', '.join(BANKS)})")
    risk = doc.get("risk")
    if risk is not None and (not isinstance(risk, str) or not taxonomy.is_known(risk)):
        raise ValueError(f"unknown risk code {risk!r} (expected A.1.a … A.5.b)")
    if risk is None and bank != "not-refuse":
        raise ValueError(f"field 'risk' is required on the {bank!r} bank")
    aspect = doc.get("aspect")
    if bank == "not-refuse":
        if aspect not in ASPECTS and aspect != "other":
            raise ValueError(
                f"unknown aspect {aspect!r} (expected one of {', '.join(ASPECTS)} or 'other')"
            )
    elif aspect is not None:
        raise ValueError("field 'aspect' belongs to the not-refuse bank only")
    known = {*_REQUIRED, "risk", "aspect"}
    return BankItem(
        id=doc["id"].strip(),
        text=doc["text"],
        bank=bank,
        risk=risk,
        lang=doc["lang"],
        source=doc["source"],
        licence=doc["licence"],
        aspect=aspect,
        extra={k: v for k, v in doc.items() if k not in known},
    )


def bank_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders to their ``*.jsonl`` files (sorted); files are taken as given."""
    out: list[Path] = []
    for p in map(Path, paths):
        out.extend(sorted(p.glob("*.jsonl")) if p.is_dir() else [p])
    return out


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                yield n, raw.decode("utf-8")
            except UnicodeDecodeError:
                yield n, "\x00"  # reported as not JSON below


def load_banks(paths: Iterable[str | Path] = ()) -> BankSet:
    """Read bank files (the shipped starter banks when ``paths`` is empty).

    Bad lines — not JSON, missing fields, unknown bank, risk code or aspect, a repeated id —
    become :class:`BankLineError` entries; a missing file raises ``FileNotFoundError``.
    """
    files = bank_files(list(paths) or [BUILTIN_DIR])
    result = BankSet(files=[str(f) for f in files])
    seen: dict[str, str] = {}
    for path in files:
        if not path.is_file():
            raise FileNotFoundError(f"bank file not found: {path}")
        for n, line in _lines(path):
            if not line.strip():
                continue
            try:
                item = parse_item(json.loads(line))
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                message = str(exc) if not isinstance(exc, json.JSONDecodeError) else "not JSON"
                result.errors.append(BankLineError(str(path), n, message))
                continue
            if item.id in seen:
                result.errors.append(
                    BankLineError(str(path), n, f"id {item.id!r} repeats {seen[item.id]}")
                )
                continue
            seen[item.id] = f"{path.name}:{n}"
            result.items.append(item)
    return result
