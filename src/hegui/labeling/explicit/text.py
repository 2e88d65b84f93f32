"""GB 45438 §5.1 text notice: a prompt at the start or end carrying an AI and a generation element.

The standard asks for an *AI element* ("人工智能" or "AI") and a *generation element* ("生成" or
"合成"); it does not fix the wording, so the check matches elements, never a fixed string.
"""

from __future__ import annotations

import re
import unicodedata

from hegui.errors import LabelError

__all__ = ["DEFAULT_NOTICE", "POSITIONS", "add_text_notice", "has_text_notice", "is_valid_notice"]

DEFAULT_NOTICE = "本内容由人工智能生成"
POSITIONS = ("start", "end", "both")
_SEPARATOR = "\n\n"
# "AI" counts only as a word of its own in Latin text ("AI生成", "by AI"), not inside "said".
_AI_ELEMENT = re.compile(r"人工智能|(?<![A-Za-z])AI(?![A-Za-z])", re.IGNORECASE)
_GEN_ELEMENT = re.compile(r"生成|合成")
# A notice is one short line; a long first paragraph that merely discusses AI is not a label.
_MAX_NOTICE_CHARS = 80


def is_valid_notice(notice: str) -> bool:
    """True when ``notice`` holds both elements GB 45438 §5.1 requires (after NFKC, so ＡＩ counts)."""
    folded = unicodedata.normalize("NFKC", notice)
    return bool(_AI_ELEMENT.search(folded) and _GEN_ELEMENT.search(folded))


def add_text_notice(text: str, *, notice: str = DEFAULT_NOTICE, position: str = "end") -> str:
    """Return ``text`` with ``notice`` as its own paragraph at the start, the end or both.

    Adding is idempotent: a position that already carries a valid notice is left alone, so a
    gateway that labels twice does not stack notices.
    """
    if position not in POSITIONS:
        raise LabelError(f"unknown notice position {position!r}; use one of {', '.join(POSITIONS)}")
    notice = notice.strip()
    if not is_valid_notice(notice):
        raise LabelError(
            f"notice {notice!r} lacks an AI element (人工智能/AI) or a generation element (生成/合成)"
        )
    if not text.strip():
        return notice
    first, last = _edge_lines(text)
    out = text
    if position in ("start", "both") and not _is_notice_line(first):
        out = f"{notice}{_SEPARATOR}{out}"
    if position in ("end", "both") and not _is_notice_line(last):
        out = f"{out.rstrip()}{_SEPARATOR}{notice}"
    return out


def has_text_notice(text: str) -> bool:
    """True when the first or last non-empty line is a short notice with both elements."""
    if not text.strip():
        return False
    first, last = _edge_lines(text)
    return _is_notice_line(first) or _is_notice_line(last)


def _edge_lines(text: str) -> tuple[str, str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0], lines[-1]


def _is_notice_line(line: str) -> bool:
    return len(line) <= _MAX_NOTICE_CHARS and is_valid_notice(line)
