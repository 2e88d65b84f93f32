"""One Hyperscan pass that says which recognizers could match, so the others never run.

Why: a prompt with a few digits passes several recognizers' cheap prechecks, and each then
runs its regular expressions in Python (2-4 µs apiece); on a gateway prompt that was a third of
the engine's time. Every recognizer pattern is compiled once into a Hyperscan database in
*prefilter* mode, which approximates what Hyperscan cannot do exactly (look-arounds, for one)
by matching a superset: a recognizer whose patterns all fail to match here cannot match in
Python either, and is skipped. Recognizers with their own ``analyze`` and patterns Hyperscan
cannot compile at all, and those marked ``PREFILTER = False`` (their cue-word precheck is
cheaper), always run. Without Hyperscan every recognizer runs, as before.

Hyperscan's Unicode classes (``HS_FLAG_UCP``) would grow the database tenfold, to 2.5 MB that a
busy server keeps evicting from cache; so the database uses ASCII ``\\d`` and ``\\s``, which
match less than Python's only on text with a non-ASCII digit or space. Such text skips the
prefilter (every recognizer runs): the guard regex below finds it.
Compiling takes about a second and a half, so the database is cached on disk beside the
compiled lexicons (``$HEGUI_CACHE_DIR``), keyed by the patterns and the Hyperscan version.
``tests/safety/test_pii_prefilter.py`` checks that results are the same with and without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hegui.safety.lexicon.matcher import cache_dir
from hegui.safety.pii.base import Recognizer

__all__ = ["Prefilter", "to_hyperscan"]

log = logging.getLogger(__name__)

_PY_ESCAPES = re.compile(r"\\\\|\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})|\{,(\d+)\}")


def to_hyperscan(regex: str) -> str:
    """Python ``re`` syntax → PCRE as Hyperscan reads it: ``\\uXXXX`` escapes and ``{,n}``
    (PCRE would read it as literal text) differ; PCRE also reads ``(?P<name>…)``, ``(?P=name)``.
    Python-only flags such as ``(?a)`` make Hyperscan refuse the pattern: it then always runs."""

    def swap(m: re.Match[str]) -> str:
        token = m.group(0)
        if token == "\\\\":
            return token
        if m.group(3) is not None:
            return f"{{0,{m.group(3)}}}"
        code = (m.group(1) or m.group(2)).lstrip("0") or "0"
        return f"\\x{{{code}}}"

    return _PY_ESCAPES.sub(swap, regex)


# characters Python's \d or \s match and ASCII-mode Hyperscan's do not
_UNICODE_CLASS = re.compile(r"[^\D0-9]|[^\S\t\n\v\f\r ]")


def _collect(pid: int, start: int, end: int, flags: int, found: set[int]) -> None:
    found.add(pid)


class Prefilter:
    """Indices of the recognizers worth running on a text (one scan of its UTF-8 bytes)."""

    def __init__(self, recognizers: Sequence[Recognizer]) -> None:
        import hyperscan

        exprs: list[bytes] = []
        ids: list[int] = []
        always: set[int] = set()
        flags = (hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_UTF8
                 | hyperscan.HS_FLAG_ALLOWEMPTY)  # fmt: skip
        for i, rec in enumerate(recognizers):
            if not rec.PREFILTER or type(rec).analyze is not Recognizer.analyze or not rec.PATTERNS:
                always.add(i)
                continue
            exprs += [to_hyperscan(p.regex).encode() for p in rec.PATTERNS]
            ids += [i] * len(rec.PATTERNS)
        self._db: Any = None
        try:
            self._db = _database(hyperscan, exprs, ids, flags) if exprs else None
        except hyperscan.error:  # leave out the recognizers with a pattern Hyperscan rejects
            always |= {i for e, i in zip(exprs, ids, strict=True) if not _compiles(hyperscan, e, flags)}
            keep = [k for k, i in enumerate(ids) if i not in always]
            exprs, ids = [exprs[k] for k in keep], [ids[k] for k in keep]
            self._db = _database(hyperscan, exprs, ids, flags) if exprs else None
            log.debug("PII prefilter: recognizers %s always run", sorted(always))
        self._always = frozenset(always)
        self._local = threading.local()
        self._scratch_type = hyperscan.Scratch

    @classmethod
    def build(cls, recognizers: Sequence[Recognizer]) -> Prefilter | None:
        """None where Hyperscan is not installed (every recognizer then runs)."""
        try:
            return cls(recognizers)
        except ImportError:
            return None

    def candidates(self, text: str) -> set[int] | None:
        """Recognizer indices that may match ``text``; None means "run them all"."""
        if self._db is None or (not text.isascii() and _UNICODE_CLASS.search(text)):
            return None
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: Hyperscan needs valid UTF-8
            return None
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:  # not thread-safe: one per thread
            scratch = self._local.scratch = self._scratch_type(self._db)
        found: set[int] = set(self._always)
        self._db.scan(data, match_event_handler=_collect, context=found, scratch=scratch)
        return found


def _compile(hyperscan: Any, exprs: list[bytes], ids: list[int], flags: int) -> Any:
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=exprs, ids=ids, elements=len(exprs), flags=[flags] * len(exprs))
    return db


def _compiles(hyperscan: Any, expr: bytes, flags: int) -> bool:
    try:
        _compile(hyperscan, [expr], [0], flags)
    except hyperscan.error:
        return False
    return True


def _cache_path(hyperscan: Any, exprs: list[bytes], ids: list[int], flags: int) -> Path:
    digest = hashlib.sha256(f"{getattr(hyperscan, '__version__', '')}|{flags}|{ids}".encode())
    for e in exprs:
        digest.update(e + b"\0")
    return cache_dir() / f"pii-prefilter-{digest.hexdigest()[:32]}.hs"


def _database(hyperscan: Any, exprs: list[bytes], ids: list[int], flags: int) -> Any:
    """The compiled database, from the disk cache when a valid copy is there."""
    path = _cache_path(hyperscan, exprs, ids, flags)
    with contextlib.suppress(Exception):  # missing, truncated or foreign: compile afresh
        return hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK)
    db = _compile(hyperscan, exprs, ids, flags)
    with contextlib.suppress(OSError):  # a read-only home only costs a compile next time
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(bytes(hyperscan.dumpb(db)))
        os.replace(tmp, path)
    return db
