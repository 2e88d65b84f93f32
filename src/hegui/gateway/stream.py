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
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from hegui.safety.types import Action, Layer, Verdict

__all__ = ["Check", "StreamModerator", "StreamStopError", "failed_verdict", "is_violation"]

log = logging.getLogger("hegui.gateway")

Check = Callable[[str], Verdict]
MASK = "*"


def failed_verdict(error: str) -> Verdict:
    """The fail-closed verdict used when the checker raised or timed out."""
    return Verdict(safe=False, action=Action.BLOCK, score=1.0, failed=True, error=error)


def is_violation(verdict: Verdict) -> bool:
    """True when the text must not be released (refuse, block, or a failed check)."""
    return verdict.failed or verdict.action in (Action.REFUSE, Action.BLOCK)


class StreamStopError(Exception):
    """Raised by :meth:`StreamModerator.feed` / ``finish`` when the stream must stop."""

    def __init__(self, verdict: Verdict, channel: Hashable) -> None:
        super().__init__(verdict.error or ",".join(verdict.codes) or "content_filter")
        self.verdict = verdict
        self.channel = channel


@dataclass(slots=True)
class _Channel:
    pending: str = ""
    context: str = ""
    released: int = 0
    flagged: list[str] = field(default_factory=list)


class StreamModerator:
    """Per-stream state; create one per response. Not thread-safe (one stream, one task).

    ``step`` batches releases after the first one: a check runs only once ``window + step``
    characters are held, which bounds checks to roughly one per ``step`` characters.
    """

    def __init__(self, check: Check, *, window: int = 64, step: int = 16) -> None:
        if window < 1:
            raise ValueError("window must be at least 1 character")
        self._check = check
        self.window = window
        self.step = max(0, step)
        self._channels: dict[Hashable, _Channel] = {}
        self.checks = 0
        self.codes: set[str] = set()  # risk codes of flagged/redacted windows (allowed through)
        self.review = False  # a window was sent to review (served, queued for a person)
        self.stopped: StreamStopError | None = None

    def feed(self, channel: Hashable, text: str) -> str:
        """Add generated ``text`` to ``channel``; return the text now safe to send (maybe "")."""
        if self.stopped is not None:
            raise self.stopped
        ch = self._channels.get(channel)
        if ch is None:
            ch = self._channels[channel] = _Channel()
        ch.pending += text
        threshold = self.window + (self.step if ch.released else 0)
        if len(ch.pending) <= threshold:
            return ""
        return self._release(channel, ch, len(ch.pending) - self.window)

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
            ch.pending = _mask(ch.pending, verdict, len(ctx))
        out, ch.pending = ch.pending[:upto], ch.pending[upto:]
        ch.released += len(out)
        ch.context = (ctx + out)[-self.window :]
        return out


def _mask(pending: str, verdict: Verdict, offset: int) -> str:
    """Replace personal-information spans (offsets into context+pending) inside ``pending``."""
    chars = list(pending)
    for risk in verdict.risks:
        for ev in risk.evidence:
            if ev.layer is not Layer.PII:
                continue
            for i in range(max(ev.start - offset, 0), min(ev.end - offset, len(chars))):
                chars[i] = MASK
    return "".join(chars)
