"""The lexicon file format: UTF-8 TSV, one entry per line (spec in ``docs/lexicon.md``).

Why strict: a lexicon is hand-edited data that decides what gets blocked, so every line either
becomes an :class:`Entry` or raises :class:`~hegui.errors.ConfigError` naming the file and line.
Nothing is silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hegui import taxonomy
from hegui.errors import ConfigError

__all__ = [
    "ALLOW",
    "MODES",
    "SEVERITIES",
    "Entry",
    "builtin_dir",
    "builtin_paths",
    "lexicon_files",
    "parse_text",
    "read_file",
    "read_files",
]

ALLOW = "allow"
SEVERITIES: dict[str, float] = {"high": 1.0, "medium": 0.7, "low": 0.4}
"""Severity → finding score. A high-severity hit alone is enough to refuse under the default
policy; medium and low hits are scored lower so the policy can flag or combine them."""
MODES = ("sub", "word")
_HEADER = ("term", "code", "severity", "mode", "exceptions", "source")


@dataclass(frozen=True, slots=True)
class Entry:
    """One lexicon line. ``code`` is a taxonomy code or ``"allow"`` (an allow-list term)."""

    term: str
    code: str
    severity: str = "high"
    mode: str = "sub"
    exceptions: tuple[str, ...] = ()
    path: str = "<memory>"
    line: int = 0
    source: str = ""
    """Provenance of an imported term (``houbb:2,4``, ``konsheng:色情词库``); empty for the
    project's own terms. Informational: matching never reads it."""

    @property
    def allow(self) -> bool:
        return self.code == ALLOW

    @property
    def score(self) -> float:
        return SEVERITIES[self.severity]


def builtin_dir() -> Path:
    """The folder of the starter lexicon shipped in the package."""
    return Path(__file__).resolve().parent.parent / "data" / "lexicon"


def builtin_paths() -> list[Path]:
    """Folders of the shipped lexicon: the starter lexicon written in the project and the terms
    imported from permissive third-party lists (``imported/``, see ``hegui lexicon import``)."""
    base = builtin_dir()
    return [base, *([base / "imported"] if (base / "imported").is_dir() else [])]


def lexicon_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into their ``*.tsv`` files (sorted); a missing path is an error."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(p.glob("*.tsv")))
        elif p.is_file():
            out.append(p)
        else:
            raise ConfigError("lexicon file or folder not found", path=str(p))
    return out


def read_file(path: str | Path) -> list[Entry]:
    """Parse one lexicon file; errors name the file and the line."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read lexicon: {exc.strerror}", path=str(path)) from None
    return parse_bytes(data, str(path))


def read_files(paths: Iterable[str | Path]) -> list[Entry]:
    """Parse several files (folders expanded) into one entry list, in order."""
    entries: list[Entry] = []
    for p in lexicon_files(paths):
        entries.extend(read_file(p))
    return entries


def parse_bytes(data: bytes, path: str) -> list[Entry]:
    """Decode UTF-8 (an optional BOM is allowed) and parse; bad bytes are reported by line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            path=path,
            line=line,
        ) from None
    return parse_text(text, path)


def parse_text(text: str, path: str = "<memory>") -> list[Entry]:
    """Parse the text of a lexicon file."""
    entries: list[Entry] = []
    seen_content = False
    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split("\t")
        if not seen_content:
            seen_content = True
            if tuple(c.strip().lower() for c in cols) == _HEADER[: len(cols)] and len(cols) >= 2:
                continue
        entries.append(_entry(cols, path, number))
    return entries


def _entry(cols: list[str], path: str, line: int) -> Entry:
    def fail(message: str) -> ConfigError:
        return ConfigError(message, path=path, line=line)

    while len(cols) > 2 and not cols[-1].strip():
        cols = cols[:-1]  # trailing empty columns may be omitted or left empty
    if not 2 <= len(cols) <= 6:
        hint = " (columns must be separated by tabs)" if len(cols) == 1 else ""
        raise fail(
            f"expected 2 to 6 tab-separated columns "
            f"(term, code, severity, mode, exceptions, source), got {len(cols)}{hint}"
        )
    term, code = cols[0].strip(), cols[1].strip()
    severity = cols[2].strip().lower() if len(cols) > 2 and cols[2].strip() else "high"
    mode = cols[3].strip().lower() if len(cols) > 3 and cols[3].strip() else "sub"
    raw_exceptions = cols[4].strip() if len(cols) > 4 else ""
    source = cols[5].strip() if len(cols) > 5 else ""
    if not term:
        raise fail("empty term")
    if code != ALLOW and not taxonomy.is_known(code):
        raise fail(
            f"unknown risk code {code!r} (expected a taxonomy code such as A.1.d, or 'allow')"
        )
    if severity not in SEVERITIES:
        raise fail(f"bad severity {severity!r} (expected high, medium or low)")
    if mode not in MODES:
        raise fail(f"bad mode {mode!r} (expected sub or word)")
    exceptions: tuple[str, ...] = ()
    if raw_exceptions:
        if code == ALLOW:
            raise fail("an allow entry takes no exceptions")
        exceptions = tuple(e.strip() for e in raw_exceptions.split("|"))
        if not all(exceptions):
            raise fail(f"empty phrase in exceptions {raw_exceptions!r}")
    return Entry(term, code, severity, mode, exceptions, path, line, source)
