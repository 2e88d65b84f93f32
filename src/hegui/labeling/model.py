"""The GB 45438 Annex E implicit label: seven string fields, strict on write, lenient on read.

Writers build an :class:`AigcLabel`, which refuses anything Annex E does not allow (values outside
the j) charset, a ``Label`` other than "1"/"2"/"3"). Readers call :func:`parse`, which accepts the
variants seen in real files (the ``{"AIGC": {...}}`` wrapper, HTML-escaped JSON, numbers instead
of strings, a bare ``AIGC{...}`` prefix) and reports every deviation instead of failing.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field, fields
from typing import Any

from hegui.errors import LabelError

__all__ = ["FIELD_NAMES", "AigcLabel", "ParsedLabel", "check_value", "parse"]

#: Annex E field names, in the order the standard gives them (and the order we serialise).
FIELD_NAMES: tuple[str, ...] = (
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
)
_REQUIRED = ("Label", "ContentProducer", "ProduceID")
_LABEL_VALUES = ("1", "2", "3")  # is / possibly / suspected AI-generated (Annex E)
# Annex E j): GB 18030 code points 0x21, 0x23-0x5B, 0x5D-0x7E (printable ASCII minus space, " and \).
_BAD_CHAR = re.compile(r"[^\x21\x23-\x5b\x5d-\x7e]")
_MAX_VALUE = 4096


def check_value(name: str, value: str) -> str | None:
    """Return why ``value`` is not allowed in field ``name``, or ``None`` when it is."""
    bad = _BAD_CHAR.search(value)
    if bad:
        return f"{name} has a character outside the Annex E j) charset: {bad.group()!r}"
    if len(value) > _MAX_VALUE:
        return f"{name} is longer than {_MAX_VALUE} characters"
    if name == "Label" and value not in _LABEL_VALUES:
        return f'Label must be "1", "2" or "3", not {value!r}'
    if name in _REQUIRED and not value:
        return f"{name} is empty"
    return None


@dataclass(frozen=True, slots=True)
class AigcLabel:
    """One implicit label. Construction validates every field (Annex E a) and j))."""

    label: str
    content_producer: str
    produce_id: str
    reserved_code1: str = ""
    content_propagator: str = ""
    propagate_id: str = ""
    reserved_code2: str = ""

    def __post_init__(self) -> None:
        for name, value in zip(FIELD_NAMES, self._values(), strict=True):
            if not isinstance(value, str):
                raise LabelError(f"{name} must be a string, not {type(value).__name__}")
            problem = check_value(name, value)
            if problem:
                raise LabelError(problem)

    def _values(self) -> tuple[str, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    def to_dict(self) -> dict[str, str]:
        """The seven fields under their Annex E names, in order."""
        return dict(zip(FIELD_NAMES, self._values(), strict=True))

    def to_json(self) -> str:
        """Compact JSON in Annex E order: the exact bytes every carrier stores."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=True)

    @classmethod
    def from_dict(cls, values: dict[str, str]) -> AigcLabel:
        """Build from Annex E names (strict; missing reserved fields default to "")."""
        try:
            return cls(*(values.get(n, "") for n in FIELD_NAMES))
        except TypeError as exc:  # pragma: no cover - defensive
            raise LabelError(str(exc)) from None

    def propagate(self, propagator: str, propagate_id: str, reserved2: str = "") -> AigcLabel:
        """A copy carrying a platform's propagation fields; producer fields are untouched (Art. 6)."""
        return AigcLabel(
            self.label,
            self.content_producer,
            self.produce_id,
            self.reserved_code1,
            propagator,
            propagate_id,
            reserved2,
        )

    def with_reserved1(self, value: str) -> AigcLabel:
        """A copy with ``ReservedCode1`` set (the producer's integrity value)."""
        return AigcLabel(
            self.label,
            self.content_producer,
            self.produce_id,
            value,
            self.content_propagator,
            self.propagate_id,
            self.reserved_code2,
        )


@dataclass(frozen=True, slots=True)
class ParsedLabel:
    """What a reader made of one stored label value.

    ``fields`` holds every Annex E field found (as text); ``problems`` make the label malformed;
    ``warnings`` are deviations that real files show but that do not break the label.
    """

    raw: str
    fields: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    form: str = "bare"

    @property
    def wellformed(self) -> bool:
        return not self.problems

    @property
    def label(self) -> AigcLabel | None:
        """The strict label, or ``None`` when the stored value is malformed."""
        if self.problems:
            return None
        return AigcLabel.from_dict(self.fields)


def _load_json(text: str) -> tuple[Any, list[str]]:
    """Decode a stored value; entity-unescaping is tried only when the value is not JSON as is,
    so a genuine ``&quot;`` inside a valid value survives."""
    notes: list[str] = []
    stripped = text.strip()
    if stripped.startswith("AIGC") and "{" in stripped:
        stripped = stripped[stripped.index("{") :]
        notes.append("bare AIGC{...} prefix")
    try:
        return json.loads(stripped), notes
    except (json.JSONDecodeError, RecursionError) as exc:
        first = exc
    if "&" in stripped:
        try:
            value = json.loads(html.unescape(stripped))
        except (json.JSONDecodeError, RecursionError):
            pass
        else:
            return value, [*notes, "value was HTML-entity-escaped"]
    raise ValueError(f"not JSON: {first}")


def parse(text: str, *, lenient: bool = True) -> ParsedLabel:
    """Read a stored label value. ``lenient=False`` raises :class:`LabelError` on any problem."""
    try:
        value, warnings = _load_json(text)
    except ValueError as exc:
        result = ParsedLabel(raw=text, problems=[str(exc)])
    else:
        result = parse_mapping(value, raw=text, warnings=warnings)
    if not lenient and result.problems:
        raise LabelError("; ".join(result.problems))
    return result


def parse_mapping(value: Any, *, raw: str, warnings: list[str] | None = None) -> ParsedLabel:
    """Judge an already decoded JSON/YAML value against Annex E."""
    warnings = list(warnings or [])
    problems: list[str] = []
    form = "bare"
    if isinstance(value, dict) and list(value) == ["AIGC"]:
        value, form = value["AIGC"], "wrapped"
        if isinstance(value, str):
            inner = parse(value)
            return ParsedLabel(
                raw, inner.fields, inner.problems, warnings + inner.warnings, "wrapped"
            )
    if not isinstance(value, dict):
        return ParsedLabel(
            raw, {}, [f"label is a {type(value).__name__}, not an object"], warnings, form
        )
    found: dict[str, str] = {}
    for name in FIELD_NAMES:
        if name not in value:
            (problems if name in _REQUIRED else warnings).append(f"{name} is missing")
            continue
        item = value[name]
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            problems.append(f"{name} is a {type(item).__name__}, not a string")
            continue
        if not isinstance(item, str):
            problems.append(f"{name} is a number ({item!r}), not a string")
            item = str(item)
        found[name] = item
        problem = check_value(name, item)
        if problem:
            problems.append(problem)
    extra = [k for k in value if k not in FIELD_NAMES]
    if extra:
        missing = [n for n in FIELD_NAMES if n not in value]
        # An unknown key *in place of* a missing field is a damaged or renamed field, not an extra.
        (problems if missing else warnings).append(f"unknown keys: {', '.join(map(str, extra))}")
    present = [k for k in value if k in FIELD_NAMES]
    if present != [n for n in FIELD_NAMES if n in value]:
        warnings.append("keys are not in Annex E order")
    return ParsedLabel(raw, found, problems, warnings, form)
