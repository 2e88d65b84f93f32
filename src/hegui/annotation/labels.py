"""Label sets: which codes a rules version allows, and one canonical form for a set of labels.

An annotation is a non-empty set of codes from the rules' label set: risk codes of
:mod:`hegui.taxonomy` (A.1.a … A.5.b, optionally X.a/X.b) or ``none`` (no risk), which stands
alone. The store keeps a set as its codes in taxonomy order joined by commas (``"A.2.d,A.2.e"``),
so two equal sets are two equal strings and agreement can compare strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hegui import taxonomy
from hegui.errors import InputError

__all__ = [
    "NONE",
    "LabelChecker",
    "default_label_set",
    "display_name",
    "join_labels",
    "normalise_labels",
    "parse_label_set",
    "split_labels",
    "standard_codes",
]

NONE = "none"
_ORDER = {code: i for i, code in enumerate([*taxonomy.RISKS, NONE])}


def standard_codes() -> list[str]:
    """The 31 risk codes of GB/T 45654 Appendix A, in appendix order."""
    return [code for code in taxonomy.RISKS if code.startswith("A.")]


def default_label_set() -> tuple[str, ...]:
    """The label set of the default security rules: the 31 Appendix-A risks plus ``none``."""
    return (*standard_codes(), NONE)


def display_name(code: str) -> str:
    """``A.2.e 性别歧视内容`` for a risk code, ``none 无风险`` for none."""
    if code == NONE:
        return "none 无风险 (no risk)"
    risk = taxonomy.get(code)
    return f"{code} {risk.zh}"


def parse_label_set(codes: Iterable[str]) -> tuple[str, ...]:
    """Check a rules version's label set: known codes, ``none`` included, no repeats."""
    seen: list[str] = []
    for code in codes:
        code = code.strip()
        if not code:
            continue
        if code != NONE and not taxonomy.is_known(code):
            raise InputError(f"label set: unknown risk code {code!r} (see hegui.taxonomy)")
        if code in seen:
            raise InputError(f"label set: {code!r} is listed twice")
        seen.append(code)
    if NONE not in seen:
        raise InputError(f"label set must include {NONE!r} (no risk)")
    if len(seen) < 2:
        raise InputError("label set needs at least one risk code besides 'none'")
    return tuple(sorted(seen, key=_ORDER.__getitem__))


def normalise_labels(value: object, allowed: Iterable[str], *, where: str) -> str:
    """Validate one annotation's labels and return the canonical joined form.

    ``value`` must be a non-empty list of strings from ``allowed``; ``none`` cannot be combined
    with risk codes. ``where`` names the item in the error (file, line, task id).
    """
    if not isinstance(value, list) or not value:
        raise InputError(
            f'{where}: labels must be a non-empty list of codes (use ["{NONE}"] for no risk)'
        )
    allowed_set = set(allowed)
    codes: set[str] = set()
    for item in value:
        if not isinstance(item, str):
            raise InputError(f"{where}: label {item!r} is not a string")
        if item not in allowed_set:
            raise InputError(
                f"{where}: unknown label {item!r} (the rules allow {', '.join(sorted(allowed_set, key=_order))})"
            )
        codes.add(item)
    if NONE in codes and len(codes) > 1:
        raise InputError(f"{where}: {NONE!r} cannot be combined with risk codes")
    return join_labels(codes)


class LabelChecker:
    """:func:`normalise_labels` for one label set, remembering the lists it has accepted.

    Bulk imports see the same few label lists over and over; a remembered list costs one dict
    lookup instead of a validation and a sort.
    """

    def __init__(self, allowed: Iterable[str]) -> None:
        self.allowed = tuple(allowed)
        self._known: dict[tuple[Any, ...], str] = {}

    def __call__(self, value: object, *, where: str) -> str:
        if isinstance(value, list):
            key = tuple(value)
            try:
                return self._known[key]
            except (KeyError, TypeError):
                pass
        joined = normalise_labels(value, self.allowed, where=where)
        self._known[tuple(value)] = joined  # type: ignore[arg-type]  # a list of codes by now
        return joined


def _order(code: str) -> int:
    return _ORDER.get(code, len(_ORDER))


def join_labels(codes: Iterable[str]) -> str:
    """Canonical stored form: codes in taxonomy order, joined by commas."""
    return ",".join(sorted(set(codes), key=_order))


def split_labels(joined: str) -> list[str]:
    """The list form of a stored label string."""
    return joined.split(",") if joined else []
