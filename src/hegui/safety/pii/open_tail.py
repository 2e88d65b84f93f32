"""The end of a streamed text that may still become a personal-information value.

Values are masked in place, so a stream must not release the first half of a value whose second
half has not arrived. Held back: a trailing run of the characters values are written in (digits,
Latin letters and their separators: mobile, ID, card, e-mail, IP, passport, USCC, plate), and,
within the current clause, everything from the first cue that a name or address recognizer reads
(``姓名：``, ``地址``, ``My name is``, a province name). Text without such cues leaves at once.
"""

from __future__ import annotations

import re

from hegui.safety.pii.address import PROVINCES

__all__ = ["open_tail"]

_CLAUSE_END = re.compile(r"[。！？!?；;\n]")
_VALUE_RUN = re.compile(r"[0-9A-Za-z@._%+\-:/·#\u200b-\u200f\u2060\ufeff]+$")
_CUES = re.compile(
    "(?:地址|住址|住在|居住|现居|家住|寄到|送到|收货|姓名|名字|联系人|收件人|收货人|持卡人|户主|申请人|"
    f"监护人|我叫|本人|(?i:name)|{PROVINCES})"
)


def open_tail(text: str) -> int:
    """Index in ``text`` from which its end must wait for more text (``len(text)``: none)."""
    start = len(text)
    run = _VALUE_RUN.search(text)
    if run is not None and run.group().strip():
        start = run.start()
    ends = [m.end() for m in _CLAUSE_END.finditer(text)]
    clause = ends[-1] if ends else 0
    cue = _CUES.search(text, clause)
    if cue is not None:
        start = min(start, cue.start())
    return start
