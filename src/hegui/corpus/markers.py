"""Licence and copyright markers in a record's text (Article 7: respect intellectual property).

A marker is evidence, not a verdict: "版权所有" in a news archive bought under contract is
expected, the same notice in a scraped page means the page was not free to take. So the scan
counts every marker, and drops a record for a *restrictive* marker (:data:`RESTRICTIVE`) only
when its source's legal basis does not cover it (:func:`restrictive_applies`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

__all__ = ["MARKERS", "RESTRICTIVE", "find_markers", "restrictive_applies"]

# kind -> pattern, in the syntax both Hyperscan and ``re`` accept (no look-behind): ASCII words
# are guarded by ``(?:^|[^A-Za-z])``, never ``\b``, which does not fire beside Chinese characters.
_NOT_LETTER_BEFORE = r"(?:^|[^A-Za-z])"
_NOT_LETTER_AFTER = r"(?:[^A-Za-z]|$)"
MARKERS: dict[str, str] = {
    "rights_reserved": (
        r"all\s+rights\s+reserved|版权所有|保留(?:一切|所有)权利|翻印必究|"
        r"(?:禁止|严禁|不得|谢绝|请勿)(?:任何)?(?:形式|方式)?的?(?:转载|复制|摘编|镜像)|"
        r"未经[^。\n]{0,20}(?:许可|授权|同意)[^。\n]{0,12}(?:不得|禁止|严禁|请勿)"
    ),
    "noncommercial": (
        rf"{_NOT_LETTER_BEFORE}CC[- ]?BY(?:-SA)?-NC{_NOT_LETTER_AFTER}|non-?commercial\s+use|"
        r"非商业(?:性)?(?:用途|使用)|禁止商用|不得(?:用于)?商业"
    ),
    "copyright_notice": (
        rf"©|\(c\)\s*(?:19|20)[0-9][0-9]|{_NOT_LETTER_BEFORE}copyright{_NOT_LETTER_AFTER}|"
        r"版权(?:归|属于|声明)"
    ),
    "open_licence": (
        rf"SPDX-License-Identifier|creative\s+commons|{_NOT_LETTER_BEFORE}CC[- ]?(?:BY(?:-SA|-ND)*|0)"
        r"(?:[^A-Za-z-]|-[0-9]|$)|MIT\s+License|Apache\s+License|"
        r"GNU\s+(?:Lesser\s+|Affero\s+)?General\s+Public|知识共享|开源许可"
    ),
    "attribution_required": r"转载请注明|请注明出处|转载须注明|attribution\s+required",
}
_KINDS = tuple(MARKERS)
# Markers that forbid reuse: drop the record unless the source's legal basis covers it.
RESTRICTIVE = frozenset({"rights_reserved", "noncommercial"})
# Legal bases under which the provider holds the rights itself (contract, own data, consent).
_COVERED = frozenset({"contract", "own", "consent"})


class _Matcher:
    """One Hyperscan database for all markers (a few µs per text); ``re`` when it is missing."""

    def __init__(self) -> None:
        try:
            import hyperscan
        except ImportError:
            self._db: Any = None
            self._re = re.compile(
                "|".join(f"(?P<m{i}>{p})" for i, p in enumerate(MARKERS.values())),
                re.IGNORECASE | re.MULTILINE,
            )
            return
        flags = (
            hyperscan.HS_FLAG_CASELESS
            | hyperscan.HS_FLAG_UTF8
            | hyperscan.HS_FLAG_UCP
            | hyperscan.HS_FLAG_SINGLEMATCH
            | hyperscan.HS_FLAG_MULTILINE
        )
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(
            expressions=[p.encode() for p in MARKERS.values()],
            ids=list(range(len(MARKERS))),
            elements=len(MARKERS),
            flags=[flags] * len(MARKERS),
        )
        self._scratch = hyperscan.Scratch(self._db)

    def find(self, text: str) -> set[str]:
        found: set[int] = set()
        if self._db is None:
            for match in self._re.finditer(text):
                found.add(int((match.lastgroup or "m0")[1:]))
        else:
            data = text.encode("utf-8", "surrogatepass")
            self._db.scan(data, match_event_handler=_collect, context=found, scratch=self._scratch)
        return {_KINDS[i] for i in found}


def _collect(pid: int, start: int, end: int, flags: int, found: set[int]) -> None:
    found.add(pid)


@cache
def _matcher() -> _Matcher:
    return _Matcher()


def find_markers(text: str) -> set[str]:
    """The marker kinds present in ``text``."""
    return _matcher().find(text)


def restrictive_applies(markers: set[str], legal_basis: str | None) -> list[str]:
    """Restrictive markers that make a record unusable under this legal basis (sorted)."""
    if legal_basis in _COVERED:
        return []
    return sorted(markers & RESTRICTIVE)
