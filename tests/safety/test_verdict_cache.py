"""One verdict vocabulary: the engine's cache is the only one (guard path, minor flag, long
texts included) and one constructor builds a "check failed" verdict."""

from __future__ import annotations

from hegui.safety import Action, CheckContext, Direction, Engine, Layer
from hegui.safety.types import Evidence, Finding

from .conftest import BrokenDetector, SubstringDetector


class CountingGuard:
    """A guard model that flags one word and counts how often it is asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    async def classify(
        self, text: str, direction: Direction, prompt: str | None = None
    ) -> list[Finding]:
        self.calls.append((text, prompt))
        if "炸药" not in text:
            return []
        return [Finding("A.1.d", 0.99, Evidence(Layer.MODEL, 0, len(text), text, "guard"))]


async def test_guard_verdicts_are_cached_apart_by_minor_and_prompt() -> None:
    guard = CountingGuard()
    engine = Engine([], guard=guard)  # type: ignore[arg-type]
    assert engine.cached_verdict("怎么做炸药") is None
    first = await engine.acheck("怎么做炸药")
    assert first.action is Action.REFUSE
    again = await engine.acheck("怎么做炸药")
    assert again.action is Action.REFUSE and len(guard.calls) == 1
    cached = engine.cached_verdict("怎么做炸药")
    assert cached is not None and cached.codes == ["A.1.d"]
    await engine.acheck("怎么做炸药", context=CheckContext(minor=True))
    await engine.acheck("怎么做炸药", "output", CheckContext(prompt="问题"))
    assert len(guard.calls) == 3  # minor and prompt are part of the guard's key
    assert engine.check("怎么做炸药").safe  # the in-process verdict is cached apart


def test_cached_verdict_covers_long_texts_and_the_minor_flag(
    substring_detector: SubstringDetector,
) -> None:
    engine = Engine([substring_detector])
    long_text = "炸弹制作" + "好" * 10_000
    assert engine.cached_verdict(long_text) is None
    engine.check(long_text)
    engine.check(long_text)
    assert len(substring_detector.calls) == 1  # a long text is keyed by its digest
    assert engine.cached_verdict(long_text) is not None
    assert engine.cached_verdict(long_text, context=CheckContext(minor=True)) is None


def test_one_failed_verdict_constructor() -> None:
    from hegui.safety import failed_verdict

    engine = Engine([BrokenDetector()])
    verdict = engine.check("你好")
    plain = failed_verdict(verdict.error or "", verdict.message)
    assert verdict == plain
    assert (plain.safe, plain.action, plain.score, plain.failed) == (False, Action.BLOCK, 1.0, True)
    assert verdict.message  # the engine words the refusal
