"""The one place recognizers are registered, and ``analyze()`` that runs them over a text.

Order matters only for ties: when two recognizers claim overlapping spans, the higher score wins,
then the longer span, then the recognizer listed first here (the more specific one).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from functools import cache

from hegui.safety.pii.address import AddressRecognizer
from hegui.safety.pii.base import PiiEntity, Recognizer, count_digits, fold_width
from hegui.safety.pii.finance import BankCardRecognizer, UsccRecognizer
from hegui.safety.pii.fold import fold_digit_runs
from hegui.safety.pii.identity import CnResidentIdRecognizer, PassportRecognizer
from hegui.safety.pii.names import PersonNameRecognizer
from hegui.safety.pii.network import EmailRecognizer, IpRecognizer
from hegui.safety.pii.phone import CnLandlineRecognizer, CnMobileRecognizer, PhoneRecognizer
from hegui.safety.pii.plate import PlateRecognizer

__all__ = ["RECOGNIZERS", "analyze", "default_recognizers", "recognizer_names", "resolve_overlaps"]

RECOGNIZERS: tuple[type[Recognizer], ...] = (
    CnResidentIdRecognizer,
    UsccRecognizer,
    BankCardRecognizer,
    CnMobileRecognizer,
    CnLandlineRecognizer,
    PhoneRecognizer,
    PassportRecognizer,
    EmailRecognizer,
    IpRecognizer,
    PlateRecognizer,
    PersonNameRecognizer,
    AddressRecognizer,
)


def recognizer_names() -> list[str]:
    """Registered recognizer names in priority order (``docs/pii.md`` lists the same)."""
    return [r.NAME for r in RECOGNIZERS]


@cache
def default_recognizers() -> tuple[Recognizer, ...]:
    """One shared instance per registered recognizer; they hold only compiled patterns."""
    return tuple(cls() for cls in RECOGNIZERS)


def resolve_overlaps(entities: Iterable[PiiEntity]) -> list[PiiEntity]:
    """Keep a set of non-overlapping entities: higher score, then longer span, then input order."""
    ranked = sorted(enumerate(entities), key=lambda ie: (-ie[1].score, ie[1].start - ie[1].end, ie[0]))
    starts: list[int] = []  # kept spans, sorted and disjoint, so ends are sorted too
    kept: list[PiiEntity] = []
    for _, e in ranked:
        i = bisect.bisect_right(starts, e.start)
        if (i > 0 and kept[i - 1].end > e.start) or (i < len(kept) and kept[i].start < e.end):
            continue
        starts.insert(i, e.start)
        kept.insert(i, e)
    return kept


# Recognizers of numbers people space out, dot, hide zero-width characters in or spell in
# Chinese numerals; they run a second time on the digit-folded copy (``pii/fold.py``).
DIGIT_RUN_ENTITIES = frozenset({"CN_RESIDENT_ID", "CN_MOBILE", "BANK_CARD"})


def _in_digit_runs(
    text: str, folded: str, recognizers: Sequence[Recognizer], min_score: float
) -> list[PiiEntity]:
    """Entities found only once separators, invisible characters and numerals are folded."""
    runs = fold_digit_runs(folded)
    if runs is None:
        return []
    digits = count_digits(runs.text)
    out: list[PiiEntity] = []
    for rec in recognizers:
        if rec.ENTITY not in DIGIT_RUN_ENTITIES:
            continue
        for e in rec.analyze(runs.text, digits):
            start, end = runs.span(e.start, e.end)
            if e.score < min_score or not runs.touches_run(start, end):
                continue  # not in a folded run: the first pass reported it already
            out.append(PiiEntity(e.entity_type, start, end, e.score, text[start:end],
                                 e.recognizer, e.pattern, e.raw_score))  # fmt: skip
    return out


def analyze(
    text: str,
    *,
    entities: Iterable[str] | None = None,
    min_score: float = 0.0,
    recognizers: Sequence[Recognizer] | None = None,
    overlaps: bool = False,
) -> list[PiiEntity]:
    """Personal information in ``text``, sorted by position; offsets and ``text`` are the original's.

    ``entities`` limits the entity types reported, ``min_score`` drops weaker matches, and
    ``overlaps=True`` keeps every match instead of resolving overlapping spans. Numbers written
    with separators, invisible characters or Chinese numerals between their digits are found on
    a digit-folded copy (:mod:`hegui.safety.pii.fold`), with spans in the original text.
    """
    folded = fold_width(text)
    digits = count_digits(folded)
    wanted = None if entities is None else frozenset(entities)
    found: list[PiiEntity] = []
    chosen = [
        rec
        for rec in (recognizers if recognizers is not None else default_recognizers())
        if wanted is None or rec.ENTITY in wanted
    ]
    for rec in chosen:
        for e in rec.analyze(folded, digits):
            if e.score < min_score:
                continue
            if folded is not text:
                e = PiiEntity(e.entity_type, e.start, e.end, e.score, text[e.start : e.end],
                              e.recognizer, e.pattern, e.raw_score)  # fmt: skip
            found.append(e)
    found += _in_digit_runs(text, folded, chosen, min_score)
    if overlaps:
        return sorted(found, key=lambda e: (e.start, e.end))
    return resolve_overlaps(found)
