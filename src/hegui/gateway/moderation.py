"""The engine as the gateway uses it: fail closed, cached per message, whole conversations.

Any exception or timeout from the engine is a ``failed`` verdict (block), never "safe". Verdicts
come from the engine's own cache when it has them (:meth:`hegui.safety.engine.Engine.cached_verdict`,
keyed by text, direction, minor and guard), so a long conversation costs one scan of its *new*
turns, not of the whole history on every request; there is no second cache here.

A conversation is judged in three passes, each stopping at the first violation: every text alone;
windows across the boundaries between consecutive texts (:func:`hegui.safety.conversation.windows`:
a prompt split across messages or parts); and, for prompts, fragments the text asks to join
(:func:`hegui.safety.conversation.assemble`). Personal information a window finds across a
boundary is masked in the texts it came from.

Large requests (more than ``offload_chars`` characters or ``offload_slots`` texts) are judged in
a small thread pool, so the event loop keeps answering everyone else (``/healthz`` included)
while a big prompt is checked; the engine is thread-safe and the pool bounds how many cores
large checks take at once. With an external guard model (which talks to the network on the
loop) the check stays on the loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from hegui.gateway.stream import is_violation
from hegui.safety.conversation import Window, assemble, windows
from hegui.safety.types import ACTION_ORDER, Action, Layer, Verdict, failed_verdict

__all__ = ["Checker", "ConversationResult", "Moderation", "worst"]

log = logging.getLogger("hegui.gateway")


class Checker(Protocol):
    """What the gateway needs from :class:`hegui.safety.engine.Engine`."""

    def check(self, text: str, direction: Any = ..., context: Any = ...) -> Verdict: ...


@dataclass(slots=True)
class ConversationResult:
    verdict: Verdict  # the strictest verdict over all checked texts
    redacted: bool = False  # some message content was replaced by its redacted form
    evidence: str | None = None  # the text that decided a violation
    codes: list[str] = field(default_factory=list)
    stage: str = "text"  # which pass decided a violation: text | window | assembled

    def add(self, verdict: Verdict) -> None:
        if verdict.action is not Action.ALLOW:
            for code in verdict.codes:
                if code not in self.codes:
                    self.codes.append(code)


def worst(a: Verdict, b: Verdict) -> Verdict:
    if a.failed or b.failed:
        return a if a.failed else b
    return b if ACTION_ORDER[b.action] > ACTION_ORDER[a.action] else a


_ALLOW = Verdict(safe=True, action=Action.ALLOW, score=0.0)


class Moderation:
    """Wraps a checker: fail closed, timed, large checks off the event loop."""

    def __init__(
        self,
        checker: Checker,
        *,
        guard_timeout: float = 2.0,
        observe: Callable[[str, float], None] | None = None,
        offload_chars: int = 20_000,
        offload_slots: int = 64,
        threads: int = 2,
    ) -> None:
        self.checker = checker
        # The engine's verdict cache, asked first (a test double may have none: no cache).
        self._cached: Callable[[str, str, Any], Verdict | None] | None = getattr(
            checker, "cached_verdict", None
        )
        self._guard = getattr(checker, "guard", None) is not None and hasattr(checker, "acheck")
        self._guard_timeout = guard_timeout
        self._observe = observe
        self.offload_chars = offload_chars
        self.offload_slots = offload_slots
        self._threads = max(1, threads)
        self._executor: ThreadPoolExecutor | None = None
        # Characters judged on each side of a boundary between two texts: a prompt split
        # anywhere within this distance of a boundary is seen whole.
        self.window_width = max(64, self.max_term_length)
        self._context_cls: Any = None
        try:
            from hegui.safety.engine import CheckContext

            self._context_cls = CheckContext
        except ImportError:  # an engine-shaped test double without contexts
            self._context_cls = None

    @property
    def can_hold(self) -> bool:
        """Whether the checker can tell a stream how little to hold back (:meth:`hold_back`)."""
        return callable(getattr(self.checker, "hold_back", None))

    def hold_back(self, text: str) -> int:
        """Characters at the end of ``text`` a stream must hold; all of it if the checker fails."""
        try:
            return int(self.checker.hold_back(text))  # type: ignore[attr-defined]
        except Exception as exc:
            log.warning("engine hold_back failed: %r", exc)
            return len(text)

    @property
    def max_term_length(self) -> int:
        return int(getattr(self.checker, "max_term_length", 0) or 0)

    def _context(self, minor: bool) -> Any:
        if self._context_cls is None or not minor:
            return None
        return self._context_cls(minor=True)

    def check(self, text: str, direction: str, *, minor: bool = False) -> Verdict:
        """Synchronous check, fail closed; the stream moderator's hot path."""
        t0 = time.perf_counter()
        try:
            ctx = self._context(minor)
            verdict = (
                self.checker.check(text, direction, ctx)
                if ctx is not None
                else self.checker.check(text, direction)
            )
        except Exception as exc:
            log.warning("engine check failed (%s): %r", direction, exc)
            verdict = failed_verdict(f"{type(exc).__name__}: {exc}")
        if self._observe is not None:
            self._observe(direction, time.perf_counter() - t0)
        return verdict

    async def acheck(self, text: str, direction: str, *, minor: bool = False) -> Verdict:
        """Also consults the external guard model when the engine has one (with a timeout)."""
        if not self._guard:
            return self.check(text, direction, minor=minor)
        t0 = time.perf_counter()
        try:
            ctx = self._context(minor)
            verdict: Verdict = await asyncio.wait_for(
                self.checker.acheck(text, direction, ctx),  # type: ignore[attr-defined]
                self._guard_timeout + 0.5,
            )
        except Exception as exc:
            log.warning("engine acheck failed (%s): %r", direction, exc)
            verdict = failed_verdict(f"{type(exc).__name__}: {exc}")
        if self._observe is not None:
            self._observe(direction, time.perf_counter() - t0)
        return verdict

    async def cached(self, text: str, direction: str, *, minor: bool = False) -> Verdict:
        """:meth:`acheck`, answered from the engine's cache when it has the verdict (not timed:
        no check ran)."""
        if not text:
            return _ALLOW
        if self._cached is not None:
            hit = self._cached(text, direction, self._context(minor))
            if hit is not None:
                return hit
        return await self.acheck(text, direction, minor=minor)

    async def conversation(
        self,
        slots: list[tuple[Any, Any]],
        *,
        minor: bool = False,
        direction: str = "input",
    ) -> ConversationResult:
        """Check every text slot ``(container, key)`` in order; redact in place when asked.

        Stops at the first violation (refuse, block, failed): nothing more needs checking.
        Large conversations are checked in the thread pool (see the module docstring).
        """
        if not self._guard and self._large(len(slots), (c[k] for c, k in slots)):
            coro = self._conversation(slots, minor=minor, direction=direction)
            ctx = contextvars.copy_context()  # the request id follows into the thread's logs
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool(), ctx.run, _drive, coro)
        return await self._conversation(slots, minor=minor, direction=direction)

    async def check_each(self, texts: list[str], direction: str) -> list[Verdict]:
        """One verdict per text (the moderation endpoint); large batches in the thread pool."""
        if not self._guard and self._large(len(texts), iter(texts)):
            loop = asyncio.get_running_loop()
            ctx = contextvars.copy_context()  # the request id follows into the thread's logs
            return await loop.run_in_executor(
                self._pool(), ctx.run, lambda: [self.check(t, direction) for t in texts]
            )
        return [await self.acheck(t, direction) for t in texts]

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="hegui-check")
        return self._executor

    def _large(self, count: int, texts: Iterator[str]) -> bool:
        if count > self.offload_slots:
            return True
        size = 0
        for text in texts:
            size += len(text)
            if size > self.offload_chars:
                return True
        return False

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def _conversation(
        self,
        slots: list[tuple[Any, Any]],
        *,
        minor: bool = False,
        direction: str = "input",
    ) -> ConversationResult:
        result = ConversationResult(verdict=_ALLOW)
        for container, key in slots:
            text = container[key]
            verdict = await self.cached(text, direction, minor=minor)
            if self._settle(result, verdict, text, "text"):
                return result
            if verdict.action is Action.REDACT and verdict.redacted is not None:
                container[key] = verdict.redacted
                result.redacted = True
        texts = [container[key] for container, key in slots]
        for window in windows(texts, self.window_width):
            verdict = await self.cached(window.text, direction, minor=minor)
            if self._settle(result, verdict, window.text, "window"):
                return result
            if verdict.action is Action.REDACT and _mask_across(window, verdict, slots):
                result.redacted = True
        if direction == "input" and texts:
            for text in assemble("\n".join(texts)):
                verdict = await self.cached(text, direction, minor=minor)
                if self._settle(result, verdict, text, "assembled"):
                    return result
        return result

    @staticmethod
    def _settle(result: ConversationResult, verdict: Verdict, text: str, stage: str) -> bool:
        """Fold ``verdict`` into ``result``; True when it is a violation (stop checking)."""
        result.add(verdict)
        if is_violation(verdict):
            result.verdict, result.evidence, result.stage = verdict, text, stage
            return True
        result.verdict = worst(result.verdict, verdict)
        return False


def _drive(coro: Coroutine[Any, Any, ConversationResult]) -> ConversationResult:
    """Run a check coroutine that never waits on I/O (no guard model) to its end, in this thread."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("a conversation check waited on I/O; it cannot run off the event loop")


def _mask_across(window: Window, verdict: Verdict, slots: list[tuple[Any, Any]]) -> bool:
    """Mask the personal information a window found in the slots its characters came from."""
    from hegui.safety.pii import mask_value

    changed = False
    for risk in verdict.risks:
        for ev in risk.evidence:
            if ev.layer is not Layer.PII:
                continue
            masked = mask_value(window.text[ev.start : ev.end], ev.pattern or "")
            for index, start, end, at in window.locate(ev.start, ev.end):
                container, key = slots[index]
                text: str = container[key]
                part = masked[at - ev.start : at - ev.start + end - start]
                if text[start:end] != part:
                    container[key] = text[:start] + part + text[end:]
                    changed = True
    return changed
