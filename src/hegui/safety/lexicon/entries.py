"""The entry sequences a :class:`~hegui.safety.lexicon.matcher.LexiconMatcher` holds.

A matcher loaded from the disk cache builds its 50,000 entries only when a hit looks at one
(:class:`LazyEntries`), and a matcher layered over a base lexicon (the built-in one) keeps the
base's entries and appends the operator's (:class:`ChainedEntries`), so neither copies them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

from hegui.safety.lexicon.format import Entry

__all__ = ["ChainedEntries", "LazyEntries", "entry_columns", "entry_fields"]


def entry_fields(e: Entry) -> tuple[object, ...]:
    """An entry's constructor arguments in order (the cache stores them column by column)."""
    return (e.term, e.code, e.severity, e.mode, e.exceptions, e.path, e.line, e.source)


class _Entries(Sequence[Entry]):
    """Slices and negative indexes on top of :meth:`_get`."""

    def _get(self, index: int) -> Entry:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> list[Entry]: ...
    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        if isinstance(index, slice):
            return [self._get(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._get(index)


class LazyEntries(_Entries):
    """The entries of a cached matcher, built from their columns when first looked at (a text
    hits a handful of the 50,000)."""

    def __init__(self, columns: tuple[tuple[object, ...], ...], count: int) -> None:
        self._columns = columns
        self._count = count
        self._made: dict[int, Entry] = {}

    def __len__(self) -> int:
        return self._count

    def _get(self, index: int) -> Entry:
        entry = self._made.get(index)
        if entry is None:
            entry = Entry(*(column[index] for column in self._columns))  # type: ignore[arg-type]
            self._made[index] = entry
        return entry


class ChainedEntries(_Entries):
    """A base lexicon's entries followed by more, indexed as one sequence."""

    def __init__(self, base: Sequence[Entry], more: Sequence[Entry]) -> None:
        self.base = base
        self.more = more

    def __len__(self) -> int:
        return len(self.base) + len(self.more)

    def _get(self, index: int) -> Entry:
        n = len(self.base)
        return self.base[index] if index < n else self.more[index - n]


def entry_columns(entries: Sequence[Entry]) -> tuple[tuple[object, ...], ...]:
    """The entries column by column, as the cache stores them, without building lazy ones."""
    if isinstance(entries, LazyEntries):
        return entries._columns
    if isinstance(entries, ChainedEntries):
        below, above = entry_columns(entries.base), entry_columns(entries.more)
        if not below or not above:
            return below or above
        return tuple(a + b for a, b in zip(below, above, strict=True))
    return tuple(zip(*(entry_fields(e) for e in entries), strict=True))
