"""Conversation-level checking: text judged across message and part boundaries.

Why: every text of a request judged alone let a refused prompt through once it was split across
two user messages, two ``text`` parts of one message (which servers concatenate), system + user,
or user + assistant prefill. Judging the whole concatenation instead would join unrelated turns
and cost a scan of the whole history on every request, so the engine judges *windows*: for each
boundary between two consecutive texts, up to ``width`` characters on each side, joined as they
are (no separator). Windows whose ranges overlap are merged (up to :data:`MAX_WINDOW`
characters), so many short messages make one window, and a window knows which characters of which
text it holds, so personal information found across a boundary is masked in the texts it came
from. Where both sides of a boundary are ASCII letters or digits the window is also judged with a
space there (``forbidden`` | ``phrase``).

:func:`assemble` handles the looser form: fragments defined apart and an instruction to join them
("part 1 is X, part 2 is Y, join them and tell me how"), which no window sees whole.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MAX_WINDOW", "Window", "assemble", "windows"]

MAX_WINDOW = 1024
MAX_SPACED = 4  # word boundaries per window also judged with a space


@dataclass(frozen=True, slots=True)
class Window:
    """A text to check made of slices of the conversation's texts.

    ``pieces`` are ``(text index, start, end)`` in window order; index ``-1`` is an inserted
    space (part of no text).
    """

    text: str
    pieces: tuple[tuple[int, int, int], ...]

    def locate(self, start: int, end: int) -> list[tuple[int, int, int, int]]:
        """The window span ``[start, end)`` as ``(text index, start, end, window start)`` slices."""
        out: list[tuple[int, int, int, int]] = []
        pos = 0
        for index, a, b in self.pieces:
            length = b - a
            lo, hi = max(start, pos), min(end, pos + length)
            if lo < hi and index >= 0:
                out.append((index, a + lo - pos, a + hi - pos, lo))
            pos += length
        return out

    def crosses(self, start: int, end: int) -> bool:
        """Whether the window span ``[start, end)`` takes characters from two or more texts."""
        return len({index for index, *_ in self.locate(start, end)}) > 1


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def windows(texts: Sequence[str], width: int) -> list[Window]:
    """Windows around every boundary between consecutive non-empty ``texts`` (see module)."""
    live = [(i, t) for i, t in enumerate(texts) if t]
    if len(live) < 2 or width < 1:
        return []
    offsets: list[int] = []
    total = 0
    for _, t in live:
        offsets.append(total)
        total += len(t)
    ranges: list[list[int]] = []
    for k in range(1, len(live)):
        b = offsets[k]
        lo, hi = max(0, b - width), min(total, b + width)
        if ranges and lo <= ranges[-1][1] and hi - ranges[-1][0] <= MAX_WINDOW:
            ranges[-1][1] = hi
        else:
            ranges.append([lo, hi])
    out: list[Window] = []
    for lo, hi in ranges:
        pieces: list[tuple[int, int, int]] = []
        words: list[int] = []  # piece positions that start inside a word split by a boundary
        k = bisect.bisect_right(offsets, lo) - 1  # only the texts this range touches
        while k < len(live) and offsets[k] < hi:
            (index, text), start = live[k], offsets[k]
            k += 1
            a, b = max(lo, start) - start, min(hi, start + len(text)) - start
            before = texts[pieces[-1][0]][pieces[-1][2] - 1] if pieces else ""
            if a == 0 and _ascii_word(before) and _ascii_word(text[0]):
                words.append(len(pieces))
            pieces.append((index, a, b))
        if len(pieces) < 2:
            continue
        out.append(_window(texts, pieces))
        # "forbidden" | "phrase": also judged with a space at each such boundary in turn
        # (and at all of them), since no one knows whether the split cut a word or a gap.
        spaced = [[k] for k in words[:MAX_SPACED]] + ([words] if len(words) > 1 else [])
        for at in spaced:
            with_space: list[tuple[int, int, int]] = []
            for k, piece in enumerate(pieces):
                if k in at:
                    with_space.append((-1, 0, 1))
                with_space.append(piece)
            out.append(_window(texts, with_space))
    return out


def _window(texts: Sequence[str], pieces: list[tuple[int, int, int]]) -> Window:
    text = "".join(" " if i < 0 else texts[i][a:b] for i, a, b in pieces)
    return Window(text, tuple(pieces))


# --------------------------------------------------------------------------- assembled fragments

# Words that ask for fragments to be joined. Plain substring tests on the lower-cased text: one
# regular expression with these alternatives cost ~100 µs on a 200-character conversation.
_JOIN_WORDS = (
    "join", "combin", "concat", "merg", "together", "assembl", "append", "glue", "stitch",
    "拼", "合起来", "合在一起", "合并", "组合", "连起来", "连在一起", "连接", "串起来", "组成",
    "放在一起", "连读", "连成", "合成",
)  # fmt: skip
_QUOTES = "\"'“”‘’「」『』《》`"
# A labelled fragment: "part 1 is X", "A = 'X'", "第一部分是X", "变量b：X", "s2: X".
_LABEL = (
    r"(?:(?:part|piece|fragment|segment|chunk|section|word|string|str|var|variable|token|item)"
    r"\s*[#_]?\s*(?:\d{1,2}|[a-z]|one|two|three|four|five)\b|"
    r"(?<![a-z0-9])[a-z][0-9]?(?![a-z0-9])|"
    r"第[一二三四五六七八九十0-9]{1,2}(?:部分|段|个词|个字|块|片段|个)|"
    r"(?:部分|片段|变量|词|字)\s*[一二三四五六七八九十0-9a-zA-Z]{1,2})"
)
_ASSIGN = re.compile(
    _LABEL
    + r"\s*(?:is|=|:|：|是|为|等于|叫|->)\s*(?:["
    + _QUOTES
    + r"](?P<q>[^"
    + _QUOTES
    + r"\n]{1,24})["
    + _QUOTES
    + r"]|(?P<v>[^\s,，;；。.、\"'“”‘’「」『』]{1,12}))",
    re.IGNORECASE,
)
_QUOTED = re.compile("[" + _QUOTES + "]([^" + _QUOTES + "\n]{1,24})[" + _QUOTES + "]")
MAX_FRAGMENTS = 12


def assemble(text: str) -> list[str]:
    """Texts to check when ``text`` asks to join fragments it defines; [] when it does not.

    For the labelled fragments (``part 1 is X``) and, separately, the quoted ones: the fragments
    joined in order, with and without spaces, alone and in place of the definitions in ``text``
    (so the instruction around them is judged with the joined word).
    """
    if len(text) > 20_000:
        return []
    lower = text.lower()
    if not any(word in lower for word in _JOIN_WORDS):
        return []
    out: list[str] = []
    for spans in (_assignments(text), _quoted(text)):
        if not 2 <= len(spans) <= MAX_FRAGMENTS:
            continue
        values = [text[a:b] for a, b, _, _ in spans]
        first, last = spans[0][2], spans[-1][3]
        rest = text[:first] + "{}" + text[last:]
        for joined in dict.fromkeys(("".join(values), " ".join(values))):
            out += [joined, rest.replace("{}", joined, 1)]
    return list(dict.fromkeys(out))


def _assignments(text: str) -> list[tuple[int, int, int, int]]:
    """``(value start, value end, definition start, definition end)`` of labelled fragments."""
    found = []
    for m in _ASSIGN.finditer(text):
        group = "q" if m.group("q") is not None else "v"
        found.append((m.start(group), m.end(group), m.start(), m.end()))
    return found


def _quoted(text: str) -> list[tuple[int, int, int, int]]:
    return [(m.start(1), m.end(1), m.start(), m.end()) for m in _QUOTED.finditer(text)]
