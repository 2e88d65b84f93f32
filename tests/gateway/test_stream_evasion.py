"""Streams against stretched terms and numbers, and one decision for a redaction (issue 11, 5).

A term padded with invisible characters, or a number spread over more characters than the window,
used to have its first part released before the check could see it whole.
"""

from __future__ import annotations

from typing import Any

import pytest

from hegui.gateway.errors import StreamStopError
from hegui.gateway.stream import StreamModerator
from hegui.safety.engine import Engine
from hegui.safety.types import Verdict

from .conftest import Running
from .doubles import TermChecker
from .test_chat_http import sse_events, stream_text

INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


class BlindToInvisibles(TermChecker):
    """The test double matching as the real lexicon does: invisible characters ignored."""

    def check(self, text: str, direction: object = "output", context: object = None) -> Verdict:
        return super().check(text.translate(INVISIBLE), direction, context)


def stream(check: Any, text: str, *, window: int = 16, step: int = 0) -> tuple[str, Any, Any]:
    mod = StreamModerator(check, window=window, step=step)
    out: list[str] = []
    try:
        for ch in text:
            out.append(mod.feed("c", ch))
        out.extend(mod.finish().values())
    except StreamStopError as stop:
        return "".join(out), stop, mod
    return "".join(out), None, mod


@pytest.mark.parametrize("padding", [20, 300, 1500])
def test_term_padded_with_invisible_characters_is_never_completed(padding: int) -> None:
    checker = BlindToInvisibles({"炸弹制作": "A.1.d"})
    text = "这是一段正常的开头内容，" * 3 + "炸" + "\u200b" * padding + "弹制作的方法如下"
    released, stop, _ = stream(lambda t: checker.check(t), text)
    assert stop is not None
    assert "炸弹制作" not in released.translate(INVISIBLE)
    assert "弹" not in released


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


@pytest.mark.parametrize(
    "number",
    [
        "1 3 8 0 0 1 3 8 0 0 0",
        "1\u200b3\u200b8\u200b0\u200b0\u200b1\u200b3\u200b8\u200b0\u200b0\u200b0",
        "1\u200b\u200c3\u200b\u200c8\u200b\u200c0\u200b\u200c0\u200b\u200c1\u200b\u200c3\u200b\u200c8\u200b\u200c0\u200b\u200c0\u200b\u200c0",
        "一三八〇〇一三八〇〇〇",
    ],
)
def test_number_longer_than_the_window_is_masked_whole(engine: Engine, number: str) -> None:
    before, after = "好的，我记下了。" * 4 + "请拨打", "联系我们的客服，谢谢。" * 3
    released, stop, mod = stream(lambda t: engine.check(t, "output"), before + number + after)
    assert stop is None and mod.redacted
    # masked as a non-streamed answer masks it (one masker, issue 12)
    assert released == engine.check(before + number + after, "output").redacted


def test_long_digit_runs_cost_few_checks(engine: Engine) -> None:
    calls = 0

    def check(text: str) -> Verdict:
        nonlocal calls
        calls += 1
        return engine.check(text, "output")

    table = " ".join(str(n % 10) for n in range(900))  # 1,799 characters of digits and spaces
    released, stop, _ = stream(check, "数据：" + table + "。结束", window=64, step=32)
    assert stop is None and len(released) == len(table) + 6
    assert calls < 120  # one per ~16 chars at most, not one per character


def test_streamed_redaction_is_recorded_as_redact(gw: Running) -> None:
    reply = "好的，已经记录下来了。" * 3 + "你可以拨打13800138000联系我们。" + "祝你愉快。" * 3
    r = gw.chat("hi", stream=True, mock={"reply": reply, "chunk_chars": 1})
    events = sse_events(r.text)
    assert "13800138000" not in stream_text(events)
    final = [e for e in events if e.get("hegui")][-1]
    assert final["hegui"]["action"] == "redact"
    assert gw.records(1)[-1].decision == "redact"
