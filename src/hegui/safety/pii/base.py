"""The recognizer shape shared by every PII recognizer (after Presidio's ``PatternRecognizer``).

A recognizer is mostly data: named :class:`Pattern` s with a strength score, context words and a
three-way :meth:`Recognizer.validate` (``True`` lifts the score to 1.0, ``False`` drops the
match, ``None`` keeps the pattern score). Patterns are compiled once, written to start with a
literal or character class so ``re`` can skip ahead, and a cheap :meth:`Recognizer.precheck`
skips a recognizer entirely on texts that cannot contain its entity.

Recognizers see a width-folded copy of the text (full-width ``１３８`` → ``138``) whose offsets
equal the original's, so spans can be reported against what the user wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "ASCII_AFTER",
    "ASCII_BEFORE",
    "Pattern",
    "PiiEntity",
    "Recognizer",
    "bounded",
    "count_digits",
    "fold_width",
]

# Identifier boundaries: never ``\b``, which treats CJK characters as word characters, so that
# ``卡号6222…`` would not break between 号 and 6. These look only at ASCII letters and digits.
ASCII_BEFORE = r"(?<![0-9A-Za-z])"
ASCII_AFTER = r"(?![0-9A-Za-z])"


def bounded(
    first: str, rest: str, *, not_before: str = "0-9A-Za-z", after: str = ASCII_AFTER
) -> str:
    """``first`` + ``rest`` guarded by ASCII look-arounds, written so ``re`` can scan fast.

    ``first`` is one character or class; the look-behind comes *after* it (checking the character
    before ``first``), so the pattern still starts with ``first`` and ``re`` uses it to skip ahead.
    """
    return f"{first}(?<![{not_before}]{first}){rest}{after}"


_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Chinese text is full of full-width punctuation (，：！); folding is only worth its cost when a
# full-width digit, letter or ＠ is present, which is rare.
_NEEDS_FOLD = re.compile("[\uff10-\uff19\uff20-\uff3a\uff41-\uff5a]")


def count_digits(text: str) -> int:
    """Number of ASCII digits in ``text`` (ten C-level scans; cheaper than a Python loop)."""
    return sum(map(text.count, "0123456789"))


def fold_width(text: str) -> str:
    """Full-width ASCII variants and the ideographic space to ASCII, one char for one char.

    Skipped (the text is returned as is) when no full-width digit, letter or ``＠`` occurs.

    Deliberately not ``hegui.safety.normalize.fold_width``: that one also folds case, and case
    carries meaning here (passport ``E…``, USCC and plate letters, capitalised English names).
    """
    if text.isascii() or _NEEDS_FOLD.search(text) is None:
        return text
    return text.translate(_FULL_WIDTH)


@dataclass(frozen=True, slots=True)
class Pattern:
    """A named regular expression with the score its match gets before validation.

    A pattern may mark the value inside a larger match with the group ``(?P<v>…)`` (for example
    the name after ``姓名：``); otherwise the whole match is the value. ``needs`` names a
    substring that must occur ``needs_count`` times for the pattern to run at all (``.`` three
    times for an IPv4 address), a cheap skip that spares the regex pass.
    """

    name: str
    regex: str
    score: float
    needs: str = ""
    needs_count: int = 1


@dataclass(frozen=True, slots=True)
class PiiEntity:
    """One piece of personal information found in a text; offsets index the original text."""

    entity_type: str
    start: int
    end: int
    score: float
    text: str
    recognizer: str = ""
    pattern: str = ""
    raw_score: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "entity_type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "text": self.text,
            "recognizer": self.recognizer,
        }


class Recognizer:
    """Base class: subclasses set the class constants and, where a checksum exists, ``validate``.

    ``CONTEXT`` words (lower case) found within ``context_window`` characters before the match,
    or half as many after it, add ``CONTEXT_BOOST`` to an unvalidated score. When
    ``INVALID_WITH_CONTEXT`` is set, a match that fails validation but is still :meth:`plausible`
    is kept at that score if a context word is present, instead of being dropped.
    ``NEGATIVE_CONTEXT`` words just before a match drop it (``version 1.2.3.4`` is no IP address).
    """

    NAME: ClassVar[str]
    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[tuple[Pattern, ...]]
    CONTEXT: ClassVar[tuple[str, ...]] = ()
    NEGATIVE_CONTEXT: ClassVar[tuple[str, ...]] = ()
    CONTEXT_BOOST: ClassVar[float] = 0.3
    INVALID_WITH_CONTEXT: ClassVar[float | None] = None
    MIN_DIGITS: ClassVar[int] = 0
    REQUIRES_ANY: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, context_window: int = 24, context: tuple[str, ...] | None = None) -> None:
        self.context_window = context_window
        self.context = tuple(w.lower() for w in (self.CONTEXT if context is None else context))
        # One compiled regex per pattern, not one alternation: a pattern that starts with a
        # literal or a character class lets ``re`` skip ahead, an alternation would not.
        self._compiled = tuple((p, re.compile(p.regex), "(?P<v>" in p.regex) for p in self.PATTERNS)

    def precheck(self, text: str, digits: int) -> bool:
        """Cheap test that the text may hold this entity; ``False`` skips the regex pass.

        ``digits`` is the number of ASCII digits in ``text``, counted once for all recognizers;
        the default needs ``MIN_DIGITS`` of them and one of the ``REQUIRES_ANY`` substrings.
        """
        if digits < self.MIN_DIGITS:
            return False
        return not self.REQUIRES_ANY or any(c in text for c in self.REQUIRES_ANY)

    def validate(self, value: str) -> bool | None:
        """``True``: checksum passes (score 1.0); ``False``: drop; ``None``: no checksum."""
        return None

    def validated_score(self, value: str) -> float:
        """Score of a match whose ``validate`` returned ``True``; override to grade checksums."""
        return 1.0

    def defer(self, text: str, start: int, end: int) -> bool:
        """True when the match belongs to a more specific recognizer and must be skipped here."""
        return False

    def plausible(self, value: str) -> bool:
        """Whether a match that failed ``validate`` may still be kept under ``INVALID_WITH_CONTEXT``."""
        return True

    def has_context(self, text: str, start: int, end: int) -> bool:
        """True when a context word occurs shortly before (or just after) ``text[start:end]``."""
        if not self.context:
            return False
        window = (
            text[max(0, start - self.context_window) : start]
            + " "
            + text[end : end + self.context_window // 2]
        )
        window = window.lower()
        return any(w in window for w in self.context)

    def _negative(self, text: str, start: int) -> bool:
        window = text[max(0, start - 12) : start].lower()
        return any(w in window for w in self.NEGATIVE_CONTEXT)

    def analyze(self, text: str, digits: int | None = None) -> list[PiiEntity]:
        """Entities in ``text`` (already width-folded); ``text`` fields hold the folded slice."""
        if digits is None:
            digits = count_digits(text)
        if not self.precheck(text, digits):
            return []
        found: list[PiiEntity] = []
        for pattern, regex, has_value in self._compiled:
            if pattern.needs and text.count(pattern.needs) < pattern.needs_count:
                continue
            for m in regex.finditer(text):
                self._consider(text, m.span("v") if has_value else m.span(), pattern, found)
        return found

    def _consider(
        self, text: str, span: tuple[int, int], pattern: Pattern, found: list[PiiEntity]
    ) -> None:
        """Validate and score one match; append it to ``found`` unless it is dropped."""
        start, end = span
        value = text[start:end]
        verdict = self.validate(value)  # first: most look-alikes fail it and cost nothing more
        if verdict is False and self.INVALID_WITH_CONTEXT is None:
            return
        if (self.NEGATIVE_CONTEXT and self._negative(text, start)) or self.defer(text, start, end):
            return
        if verdict is True:
            score = self.validated_score(value)
        elif verdict is False:
            if (
                self.INVALID_WITH_CONTEXT is None
                or not self.plausible(value)
                or not self.has_context(text, start, end)
            ):
                return
            score = self.INVALID_WITH_CONTEXT
        else:
            score = pattern.score
            if self.has_context(text, start, end):
                score = round(min(1.0, score + self.CONTEXT_BOOST), 4)
        found.append(PiiEntity(self.ENTITY, start, end, score, value, self.NAME, pattern.name, pattern.score))
