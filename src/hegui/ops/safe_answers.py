"""Safe-answer knowledge base (安全代答): approved answers to recurring sensitive questions.

Staff keep question/answer pairs. When the engine refuses an *input*, the gateway answers with the
approved answer whose question is most similar to the refused text, instead of the generic
template, provided the similarity reaches ``console.safe_answer_threshold``. Similarity is the
Dice coefficient of character bigrams after the engine's own normalisation
(:func:`hegui.safety.normalize.normalize`: width, case, traditional→simplified, separators), so
``台湾是中国的一部分吗？`` and ``臺灣是中國的一部分嗎`` match.

:class:`SafeAnswerChecker` wraps the engine for the gateway: it keeps the active answers in
memory, reloads them from the database every few seconds (so a change made in the console reaches
every replica within that time, without restart), and counts each answer served.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from hegui.errors import InputError
from hegui.ops.forms import required_text
from hegui.ops.toggles import set_row_active
from hegui.safety.normalize import normalize
from hegui.safety.types import Action, Verdict
from hegui.store import audit
from hegui.store.schema import safe_answers, utcnow

__all__ = [
    "SafeAnswer",
    "SafeAnswerChecker",
    "add_answer",
    "best_match",
    "bigrams",
    "list_answers",
    "load_active",
    "record_served",
    "set_active",
    "similarity",
]

log = logging.getLogger(__name__)
RELOAD_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class SafeAnswer:
    id: int
    question: str
    answer: str
    active: bool
    served: int


def bigrams(text: str) -> Counter[str]:
    """Character bigrams of the normalised text, spaces and punctuation dropped."""
    folded = "".join(ch for ch in normalize(text).text if ch.isalnum())
    if len(folded) == 1:
        return Counter({folded: 1})
    return Counter(folded[i : i + 2] for i in range(len(folded) - 1))


def similarity(a: Counter[str], b: Counter[str]) -> float:
    """Dice coefficient of two bigram multisets (1.0 identical, 0.0 nothing shared)."""
    total = sum(a.values()) + sum(b.values())
    if total == 0:
        return 0.0
    return 2 * sum((a & b).values()) / total


def add_answer(
    conn: Connection, question: str, answer: str, *, actor: str, now: datetime | None = None
) -> int:
    """Approve a new answer (active at once)."""
    q = required_text(question, "question", 2000)
    a = required_text(answer, "answer", 5000)
    if not bigrams(q):
        raise InputError("the question needs some letters or characters")
    now = now or utcnow()
    answer_id = conn.execute(
        insert(safe_answers)
        .values(
            question=q,
            answer=a,
            active=True,
            served=0,
            created_by=actor[:100],
            created_at=now,
            updated_at=now,
        )
        .returning(safe_answers.c.id)
    ).scalar_one()
    audit.append(
        conn,
        actor=actor,
        action="safe_answer.add",
        subject=f"safe_answer:{answer_id}",
        after={"question": q, "answer": a},
        at=now,
    )
    return int(answer_id)


def set_active(
    conn: Connection, answer_id: int, active: bool, *, actor: str, now: datetime | None = None
) -> None:
    """Withdraw (or restore) an answer; withdrawn answers are never served."""
    set_row_active(
        conn,
        safe_answers,
        answer_id,
        active,
        kind="safe_answer",
        subject=f"safe_answer:{answer_id}",
        missing=f"no safe answer {answer_id}",
        actor=actor,
        now=now,
    )


def list_answers(conn: Connection) -> list[SafeAnswer]:
    rows = conn.execute(select(safe_answers).order_by(safe_answers.c.id))
    return [SafeAnswer(r.id, r.question, r.answer, bool(r.active), r.served) for r in rows]


def load_active(conn: Connection) -> list[tuple[int, Counter[str], str]]:
    """The active answers, ready for matching: (id, question bigrams, answer)."""
    rows = conn.execute(
        select(safe_answers.c.id, safe_answers.c.question, safe_answers.c.answer).where(
            safe_answers.c.active.is_(True)
        )
    )
    return [(r.id, bigrams(r.question), r.answer) for r in rows]


def best_match(
    index: list[tuple[int, Counter[str], str]], text: str, threshold: float
) -> tuple[int, str, float] | None:
    """The most similar approved answer at or above ``threshold``, or None."""
    grams = bigrams(text)
    best: tuple[int, str, float] | None = None
    for answer_id, question, answer in index:
        score = similarity(grams, question)
        if score >= threshold and (best is None or score > best[2]):
            best = (answer_id, answer, score)
    return best


def record_served(conn: Connection, counts: dict[int, int]) -> None:
    """Add to the served counters (the gateway flushes its in-memory counts)."""
    for answer_id, n in counts.items():
        conn.execute(
            update(safe_answers)
            .where(safe_answers.c.id == answer_id)
            .values(served=safe_answers.c.served + n)
        )


class SafeAnswerChecker:
    """The engine, with refused inputs answered from the knowledge base (module docstring).

    Everything else (outputs, allowed texts, attributes such as ``max_term_length``) is the
    wrapped engine's. The store is reached through ``backend.store`` once the backend started.
    """

    def __init__(self, engine: Any, backend: Any, threshold: float) -> None:
        self._engine = engine
        self._backend = backend
        self._threshold = threshold
        self._index: list[tuple[int, Counter[str], str]] = []
        self._loaded_at = -1.0
        self._loading = False
        self.served: Counter[int] = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def check(self, text: str, direction: Any = "input", context: Any = None) -> Verdict:
        if context is None:
            verdict: Verdict = self._engine.check(text, direction)
        else:
            verdict = self._engine.check(text, direction, context)
        return self._answer(verdict, text, direction)

    async def acheck(self, text: str, direction: Any = "input", context: Any = None) -> Verdict:
        verdict: Verdict = await self._engine.acheck(text, direction, context)
        return self._answer(verdict, text, direction)

    def _answer(self, verdict: Verdict, text: str, direction: Any) -> Verdict:
        if verdict.action is not Action.REFUSE or str(direction) != "input" or verdict.failed:
            return verdict
        self._maybe_reload()
        match = best_match(self._index, text, self._threshold)
        if match is None:
            return verdict
        self.served[match[0]] += 1
        self._flush_later()
        return replace(verdict, message=match[1])

    def _maybe_reload(self) -> None:
        if self._loading or time.monotonic() - self._loaded_at < RELOAD_SECONDS:
            return
        if self._loaded_at < 0:  # first refusal: one small synchronous read, then in background
            try:
                with self._backend.store.read() as conn:
                    self._index = load_active(conn)
            except Exception as exc:
                log.warning("safe answers not loaded: %r", exc)
                return
            self._loaded_at = time.monotonic()
            return
        try:
            loop = asyncio.get_running_loop()
            store = self._backend.store
        except Exception:  # no loop (a sync caller) or backend not started: keep what we have
            return
        self._loading = True

        def load() -> list[tuple[int, Counter[str], str]]:
            with store.read() as conn:
                return load_active(conn)

        task = loop.create_task(asyncio.to_thread(load))
        task.add_done_callback(self._loaded)

    def _loaded(self, task: asyncio.Task[list[tuple[int, Counter[str], str]]]) -> None:
        self._loading = False
        self._loaded_at = time.monotonic()
        if task.cancelled() or task.exception() is not None:
            log.warning(
                "safe answers not reloaded: %r", None if task.cancelled() else task.exception()
            )
            return
        self._index = task.result()

    def _flush_later(self) -> None:
        try:
            loop = asyncio.get_running_loop()
            store = self._backend.store
        except Exception:
            return
        counts, self.served = dict(self.served), Counter()
        task = loop.create_task(store.awrite(lambda c: record_served(c, counts)))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def reload(self) -> None:
        """Load the active answers now (start-up, tests)."""
        store = self._backend.store

        def load() -> list[tuple[int, Counter[str], str]]:
            with store.read() as conn:
                return load_active(conn)

        self._index = await asyncio.to_thread(load)
        self._loaded_at = time.monotonic()
