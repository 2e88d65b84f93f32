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
    ``overlaps=True`` keeps every match instead of resolving overlapping spans.
    """
    folded = fold_width(text)
    digits = count_digits(folded)
    wanted = None if entities is None else frozenset(entities)
    found: list[PiiEntity] = []
    for rec in recognizers if recognizers is not None else default_recognizers():
        if wanted is not None and rec.ENTITY not in wanted:
            continue
        for e in rec.analyze(folded, digits):
            if e.score < min_score:
                continue
            if folded is not text:
                e = PiiEntity(e.entity_type, e.start, e.end, e.score, text[e.start : e.end],
                              e.recognizer, e.pattern, e.raw_score)  # fmt: skip
            found.append(e)
    if overlaps:
        return sorted(found, key=lambda e: (e.start, e.end))
    return resolve_overlaps(found)
