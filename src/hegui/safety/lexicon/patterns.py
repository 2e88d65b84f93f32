"""Lexicon entries → the distinct patterns compiled into the automata, with their roles.

Why a pattern is shared: a term, a generated variant of another term, an allow term and an
exception phrase can normalise to the same text; it is compiled once and remembers every role
and every entry it stands for, so one hit resolves all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hegui.errors import ConfigError
from hegui.safety.lexicon.format import Entry
from hegui.safety.lexicon.variants import term_variants
from hegui.safety.normalize import normalize
from hegui.safety.normalize_tables import REPLACEMENT

__all__ = ["ALLOW", "DENY", "EXCEPT", "Pattern", "build_patterns"]

DENY, ALLOW, EXCEPT = 1, 2, 4


@dataclass(slots=True)
class Pattern:
    """A compiled pattern and the entries it stands for."""

    text: str
    role: int = 0  # bit set of DENY, ALLOW, EXCEPT
    deny: list[tuple[int, bool, str | None]] | None = None  # (entry index, word mode, variant)
    protects: list[int] | None = None  # entries this phrase is an exception for


def _normalize_many(texts: list[str], entries: Sequence[Entry], owners: list[int]) -> list[str]:
    """Normalise many short strings in one call (joined by U+FFFD, which no step crosses)."""
    if not texts:  # a lexicon without entries (one header line, say): "" would split into [""]
        return []
    joined = normalize("\ufffd".join(texts)).text.split("\ufffd")
    if len(joined) == len(texts) and all(joined):
        return joined
    for text, owner in zip(texts, owners, strict=True):
        norm = normalize(text).text
        if not norm or chr(REPLACEMENT) in norm:
            e = entries[owner]
            what = (
                "is empty after normalisation" if not norm else "has characters hegui cannot match"
            )
            raise ConfigError(f"term or exception {text!r} {what}", path=e.path, line=e.line)
    raise AssertionError("batch normalisation disagreed with per-term normalisation")


def build_patterns(entries: Sequence[Entry], variants: bool, start: int = 0) -> list[Pattern]:
    """One :class:`Pattern` per distinct normalised text of every term, variant and phrase.

    Patterns name entries by their index in ``entries`` plus ``start`` (a lexicon layered over a
    base one numbers its entries after the base's)."""
    texts: list[str] = []
    owners: list[int] = []
    for i, e in enumerate(entries):
        texts.append(e.term)
        owners.append(i)
        texts.extend(e.exceptions)
        owners.extend([i] * len(e.exceptions))
    normalized = iter(_normalize_many(texts, entries, owners))
    by_text: dict[str, Pattern] = {}

    def pattern(text: str) -> Pattern:
        p = by_text.get(text)
        if p is None:
            p = by_text[text] = Pattern(text)
        return p

    for i, e in enumerate(entries, start):
        term = next(normalized)
        exceptions = [next(normalized) for _ in e.exceptions]
        if e.allow:
            pattern(term).role |= ALLOW
            continue
        forms: list[tuple[str, bool, str | None]] = [(term, e.mode == "word", None)]
        if variants:
            forms += [(v, kind == "pinyin", kind) for v, kind in term_variants(term)]
        for text, word, kind in forms:
            p = pattern(text)
            p.role |= DENY
            if p.deny is None:
                p.deny = []
            if all(index != i for index, _, _ in p.deny):  # one hit per entry and span
                p.deny.append((i, word, kind))
        for raw, phrase in zip(e.exceptions, exceptions, strict=True):
            if term not in phrase:
                raise ConfigError(
                    f"exception {raw!r} does not contain the term {e.term!r}",
                    path=e.path,
                    line=e.line,
                )
            p = pattern(phrase)
            p.role |= EXCEPT
            p.protects = (p.protects or []) + [i]
    return list(by_text.values())
