"""Hold-and-release moderation of a streamed answer (Art. 14: stop generation, stop transmission).

Text arrives in deltas on one or more *channels* (an answer's ``content``, its
``reasoning_content``, each tool call's ``arguments``). For each channel the moderator keeps the
last ``window`` characters back. Whenever more than that has arrived it checks the held text
together with ``window`` characters of already-released context and, if clean, releases
everything except the last ``window`` characters. Since ``window`` is at least the longest
lexicon term, a term that starts in released text always ends inside text that was part of the
check: nothing prohibited is released, whatever the chunking. At the end of the stream the
trailing fragment is checked before it is released.

Text is released exactly as generated (never re-joined). A checker exception, a ``failed``
verdict, or a ``refuse``/``block`` action stops the stream (:class:`StreamStopError`); a ``redact``
verdict masks the personal-information spans inside the held text before release.

Two evasions stretch a term or a number beyond the window, so the window counts what a reader
sees: the context kept from released text holds ``window`` *visible* characters however many
invisible characters and separators sit between them (``炸`` + 100 zero-width spaces + ``弹``), up
to :data:`MAX_CONTEXT`; and a release never ends inside a run of digits, numerals, separators and
invisible characters (``1\u200b3\u200b8…``), which is held until it ends (up to :data:`MAX_RUN`),
so a number is checked whole before any of its digits leaves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from hegui.gateway.errors import StreamStopError
from hegui.safety.pii.fold import NUMERALS, is_run_char
from hegui.safety.redact import redact_evidence
from hegui.safety.types import Action, Layer, Verdict, failed_verdict

__all__ = ["Check", "StreamModerator", "is_violation"]

log = logging.getLogger("hegui.gateway")

Check = Callable[[str], Verdict]
MAX_CONTEXT = 2048  # longest context kept to reach ``window`` visible characters
MAX_RUN = 1024  # longest digit run held back whole


def is_violation(verdict: Verdict) -> bool:
    """True when the text must not be released (refuse, block, or a failed check)."""
    return verdict.failed or verdict.action in (Action.REFUSE, Action.BLOCK)


@dataclass(slots=True)
class _Channel:
    pending: str = ""
    context: str = ""
    released: int = 0
    flagged: list[str] = field(default_factory=list)
    wait_for: int = 0  # while a digit run is held: pending length before the next check
    next_at: int = 1  # hold mode: pending length at which the next check runs


class StreamModerator:
    """Per-stream state; create one per response. Not thread-safe (one stream, one task).

    ``step`` batches releases after the first one: a check runs only once ``window + step``
    characters are held, which bounds checks to roughly one per ``step`` characters.
    """

    def __init__(
        self,
        check: Check,
        *,
        window: int = 64,
        step: int = 16,
        lead: Callable[[Hashable], str] | None = None,
        hold: Callable[[str], int] | None = None,
    ) -> None:
        """``lead(channel)``: text the client shows before the channel's first character (an
        assistant prefill the answer continues); it is checked as context, never released.

        ``hold(text)``: how many characters at the end of ``text`` could still grow into a
        violation (:meth:`hegui.safety.engine.Engine.hold_back`). With it, only that end is held
        and ``window`` is the released context each check sees; the first text is checked and
        released as soon as anything beyond the held end has arrived."""
        if window < 1:
            raise ValueError("window must be at least 1 character")
        self._check = check
        self._lead = lead
        self._hold = hold
        self.window = window
        self.step = max(0, step)
        self._channels: dict[Hashable, _Channel] = {}
        self.checks = 0
        self.codes: set[str] = set()  # risk codes of flagged/redacted windows (allowed through)
        self.redacted = False  # some released text was masked (the answer's decision: redact)
        self.review = False  # a window was sent to review (served, queued for a person)
        self.stopped: StreamStopError | None = None

    def feed(self, channel: Hashable, text: str) -> str:
        """Add generated ``text`` to ``channel``; return the text now safe to send (maybe "")."""
        if self.stopped is not None:
            raise self.stopped
        ch = self._channels.get(channel)
        if ch is None:
            lead = self._lead(channel) if self._lead is not None else ""
            ch = self._channels[channel] = _Channel(context=_visible_tail(lead, self.window))
        ch.pending += text
        if self._hold is not None:
            return self._feed_held(channel, ch)
        threshold = self.window + (self.step if ch.released else 0)
        if len(ch.pending) <= threshold or len(ch.pending) < ch.wait_for:
            return ""
        return self._release(channel, ch, len(ch.pending) - self.window)

    def _feed_held(self, key: Hashable, ch: _Channel) -> str:
        """Hold mode: check once enough new text is in, release all but the open end."""
        if len(ch.pending) < max(ch.next_at, ch.wait_for):
            return ""
        assert self._hold is not None
        hold = min(self._hold(ch.context + ch.pending), len(ch.pending))
        if hold == len(ch.pending):  # all of it may still grow into something: wait for more
            ch.next_at = len(ch.pending) + 1
            return ""
        out = self._release(key, ch, len(ch.pending) - hold)
        ch.next_at = len(ch.pending) + (self.step if out else 1)
        return out

    def finish(self) -> dict[Hashable, str]:
        """End of stream: check and release every channel's trailing fragment."""
        if self.stopped is not None:
            raise self.stopped
        out: dict[Hashable, str] = {}
        for key, ch in self._channels.items():
            if ch.pending:
                out[key] = self._release(key, ch, len(ch.pending))
        return out

    def held(self, channel: Hashable) -> str:
        """Text received on ``channel`` but not yet released (for diagnostics and tests)."""
        ch = self._channels.get(channel)
        return ch.pending if ch else ""

    def _release(self, key: Hashable, ch: _Channel, upto: int) -> str:
        ctx = ch.context
        subject = ctx + ch.pending
        self.checks += 1
        try:
            verdict = self._check(subject)
        except Exception as exc:  # fail closed on *any* checker error
            log.warning("stream check failed: %r", exc)
            verdict = failed_verdict(f"{type(exc).__name__}: {exc}")
        if is_violation(verdict):
            self.stopped = StreamStopError(verdict, key)
            raise self.stopped
        if verdict.action is not Action.ALLOW:
            self.codes.update(verdict.codes)
        self.review = self.review or verdict.action is Action.REVIEW
        if verdict.action is Action.REDACT:
            masked = _mask(ctx, ch.pending, verdict)
            self.redacted = self.redacted or masked != ch.pending
            ch.pending = masked
        if upto < len(ch.pending):
            upto = _before_digit_run(ch.pending, upto)
        out, ch.pending = ch.pending[:upto], ch.pending[upto:]
        held = len(ch.pending)
        # Held past the window (a digit run): check again only after a growing amount more, so a
        # long run costs a few checks, not one per character.
        ch.wait_for = held + max(self.step, held // 4, 1) if held > self.window else 0
        ch.released += len(out)
        ch.context = _visible_tail(ctx + out, self.window)
        return out


def _before_digit_run(text: str, cut: int) -> int:
    """Move a cut that falls inside a digit run back to where the run starts.

    A run longer than :data:`MAX_RUN` is no number a recognizer reads: the cut stays.
    """
    if cut <= 0 or not (is_run_char(text[cut - 1]) and is_run_char(text[cut])):
        return cut
    start = cut - 1
    floor = max(0, cut - MAX_RUN)
    while start > floor and is_run_char(text[start - 1]):
        start -= 1
    if start == floor and floor > 0 and is_run_char(text[floor - 1]):
        return cut
    run = text[start : cut + 1]
    if not any(c.isdigit() or c in NUMERALS for c in run):
        return cut  # separators and invisible characters alone: nothing to keep together
    return start


def _visible_tail(text: str, window: int) -> str:
    """The end of ``text`` holding ``window`` visible characters (at most :data:`MAX_CONTEXT`)."""
    tail = text[-window:]
    if len(tail) < window or len(tail.translate(_UNSEEN)) == window:
        return tail
    take = window
    while take < min(len(text), MAX_CONTEXT):
        take = min(take * 2, len(text), MAX_CONTEXT)
        tail = text[-take:]
        if len(tail.translate(_UNSEEN)) >= window:
            break
    return tail


def _unseen_table() -> dict[int, None]:
    """Characters a reader does not see as text: invisible ones and the normaliser's separators."""
    from hegui.safety.normalize_tables import DELETE, SEP, tables

    t = tables()
    unseen = (t.lut == DELETE) | ((t.classes & SEP) != 0)
    return dict.fromkeys(int(c) for c in unseen.nonzero()[0])


_UNSEEN = _unseen_table()


def _mask(context: str, pending: str, verdict: Verdict) -> str:
    """``pending`` with the personal information the verdict found (offsets into
    context+pending) masked the way non-streamed answers are (``138****5678``)."""
    found = [ev for risk in verdict.risks for ev in risk.evidence if ev.layer is Layer.PII]
    return redact_evidence(context + pending, found)[len(context) :]
