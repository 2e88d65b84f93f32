"""The gateway keeps no verdict cache of its own: repeated texts are answered by the engine's."""

from __future__ import annotations

from hegui.gateway.moderation import Moderation
from hegui.safety import Direction, Doc, Engine, Finding, Layer
from hegui.safety.engine import CheckContext


class Counting:
    """An in-process layer that finds nothing and counts the texts it is given."""

    name = "counting"
    layer = Layer.LEXICON

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, doc: Doc, direction: Direction) -> list[Finding]:
        self.calls += 1
        return []


class CountingGuard:
    def __init__(self) -> None:
        self.calls = 0

    async def classify(
        self, text: str, direction: Direction, prompt: str | None = None
    ) -> list[Finding]:
        self.calls += 1
        return []


async def test_repeated_texts_come_from_the_engine_cache_and_are_not_timed() -> None:
    layer = Counting()
    engine = Engine([layer])
    timed: list[str] = []
    mod = Moderation(engine, observe=lambda direction, _s: timed.append(direction))
    for _ in range(3):
        assert (await mod.cached("今天天气很好", "input")).safe
    assert layer.calls == 1 and timed == ["input"]  # one check; the hits cost no check time
    assert engine.cached_verdict("今天天气很好") is not None
    await mod.cached("今天天气很好", "input", minor=True)
    assert layer.calls == 2  # the minor flag is part of the key
    assert engine.cached_verdict("今天天气很好", context=CheckContext(minor=True)) is not None
    engine._cache = type(engine._cache)(0)  # the engine forgets: the gateway has nothing else
    await mod.cached("今天天气很好", "input")
    assert layer.calls == 3


async def test_guard_verdicts_come_from_the_engine_cache() -> None:
    guard = CountingGuard()
    engine = Engine([Counting()], guard=guard)  # type: ignore[arg-type]
    mod = Moderation(engine)
    for _ in range(3):
        assert (await mod.cached("今天天气很好", "output")).safe
    assert guard.calls == 1
