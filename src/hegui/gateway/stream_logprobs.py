"""Streamed logprobs that follow the released text (chat ``logprobs.content`` / ``.refusal``).

A token's logprob row spells a piece of the answer, so a row may leave only once the text it
spells has been checked and released, and only if it spells exactly that text. The relay tells
:class:`StreamLogprobs` what it released on each channel; a row goes out with the first chunk
after its bytes (the upstream's ``bytes``, else its token's UTF-8) match the next released bytes.
So a row never runs ahead of the hold-back, and a token of withheld text never leaves:

- text still held back: its rows wait with it;
- text masked (personal information): the masked text no longer matches the tokens, so that
  channel's logprobs end there (rows of text released before are kept);
- the stream stopped (refusal): held rows are dropped with their text;
- rows whose tokens do not spell the text (a lying or buggy upstream): that channel's logprobs end.

The alternatives (``top_logprobs``) are texts a client can display too; each rank is streamed
through a :class:`StreamModerator` of its own, as the non-streamed answer judges each rank joined
(:func:`hegui.gateway.answers.follow_logprobs`). A row's alternatives leave once their rank was
released; if any rank is prohibited, fails its check or is masked, every alternative from then on
is dropped (``top_logprobs: []``), the answer itself goes on. Completions (``text``) streams carry
no logprobs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hegui.gateway.errors import StreamStopError
from hegui.gateway.stream import Check, StreamModerator

__all__ = ["StreamLogprobs"]

_KINDS = ("content", "refusal")


@dataclass(slots=True)
class _Row:
    token: str
    logprob: float
    raw: bytes
    alts: list[dict[str, Any]]
    alt_ends: list[int]  # per rank: characters fed to that rank's channel through this row


@dataclass(slots=True)
class _Channel:
    rows: deque[_Row] = field(default_factory=deque)
    released: bytes = b""  # released text not yet matched by rows
    off: bool = False
    alt_fed: dict[int, str] = field(default_factory=dict)
    alt_out: dict[int, int] = field(default_factory=dict)


def _number(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else 0.0


def _raw(item: dict[str, Any], token: str) -> bytes:
    data = item.get("bytes")
    if isinstance(data, list) and all(type(b) is int and 0 <= b < 256 for b in data):
        return bytes(data)
    return token.encode("utf-8")


class StreamLogprobs:
    """One per streamed chat answer that carries logprobs."""

    def __init__(
        self, check: Check, window: int, step: int, hold: Callable[[str], int] | None
    ) -> None:
        self._alts = StreamModerator(check, window=window, step=step, hold=hold)
        self._alts_off = False
        self._channels: dict[tuple[int, str], _Channel] = {}

    def add(self, idx: int, logprobs: Any) -> None:
        """Queue the rows of an upstream chunk's ``choices[idx].logprobs``."""
        if not isinstance(logprobs, dict):
            return
        for kind in _KINDS:
            items = logprobs.get(kind)
            if not isinstance(items, list) or not items:
                continue
            ch = self._channels.setdefault((idx, kind), _Channel())
            if ch.off:
                continue
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("token"), str):
                    self._end(ch)  # a malformed row cannot follow its text
                    break
                ch.rows.append(self._row(idx, kind, ch, item))

    def _row(self, idx: int, kind: str, ch: _Channel, item: dict[str, Any]) -> _Row:
        token: str = item["token"]
        raw = _raw(item, token)
        if token.encode("utf-8") != raw:  # shown as what the checked bytes spell
            token = raw.decode("utf-8", "replace")
        top = item.get("top_logprobs")
        alts: list[dict[str, Any]] = []
        ends: list[int] = []
        if not self._alts_off and isinstance(top, list):
            for alt in top:
                if not isinstance(alt, dict) or not isinstance(alt.get("token"), str):
                    continue
                rank, text = len(alts), alt["token"]
                alts.append(
                    {
                        "token": text,
                        "logprob": _number(alt.get("logprob")),
                        "bytes": list(text.encode()),
                    }
                )
                fed = ch.alt_fed.get(rank, "") + text
                ch.alt_fed[rank] = fed
                ends.append(len(fed))
                self._feed_alt((idx, kind, rank), ch, rank, text)
        return _Row(token, _number(item.get("logprob")), raw, alts, ends)

    def _feed_alt(self, key: tuple[int, str, int], ch: _Channel, rank: int, text: str) -> None:
        if self._alts_off:
            return
        try:
            self._alt_released(ch, rank, self._alts.feed(key, text))
        except StreamStopError:
            self._alts_off = True

    def _alt_released(self, ch: _Channel, rank: int, text: str) -> None:
        if not text:
            return
        done = ch.alt_out.get(rank, 0)
        if ch.alt_fed.get(rank, "")[done : done + len(text)] != text:  # masked: not the tokens
            self._alts_off = True
            return
        ch.alt_out[rank] = done + len(text)

    def released(self, idx: int, kind: str, text: str) -> None:
        """``text`` of ``choices[idx]``'s ``kind`` channel was released to the client."""
        ch = self._channels.get((idx, kind))
        if ch is not None and not ch.off and text:
            ch.released += text.encode("utf-8")

    def take(self, idx: int, final: bool = False) -> dict[str, Any] | None:
        """The ``logprobs`` object for a chunk of ``choices[idx]``: the rows now released."""
        out: dict[str, Any] = {}
        for kind in _KINDS:
            ch = self._channels.get((idx, kind))
            if ch is None:
                continue
            rows = self._ready(ch, final)
            if rows:
                out[kind] = rows
        if not out:
            return None
        return {kind: out.get(kind) for kind in _KINDS}

    def attach(
        self, idx: int, choice: dict[str, Any] | None, final: bool = False
    ) -> dict[str, Any] | None:
        """``choice`` (a chat chunk's) with the rows now released; one is made if need be."""
        rows = self.take(idx, final)
        if rows is None:
            return choice
        if choice is None:
            choice = {"index": idx, "delta": {}, "logprobs": None, "finish_reason": None}
        choice["logprobs"] = rows
        return choice

    def finish(self) -> None:
        """End of stream: check and release the alternatives' held ends."""
        if self._alts_off:
            return
        try:
            tail = self._alts.finish()
        except StreamStopError:
            self._alts_off = True
            return
        for key, text in tail.items():
            assert isinstance(key, tuple)
            ch = self._channels.get((key[0], key[1]))
            if ch is not None:
                self._alt_released(ch, int(key[2]), text)

    def _ready(self, ch: _Channel, final: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while ch.rows and not ch.off:
            row = ch.rows[0]
            n = len(row.raw)
            if len(ch.released) < n:
                break
            if ch.released[:n] != row.raw:
                self._end(ch)
                break
            alts: list[dict[str, Any]] = []
            if not self._alts_off:
                waiting = any(
                    ch.alt_out.get(rank, 0) < end for rank, end in enumerate(row.alt_ends)
                )
                if waiting and not final:
                    break
                alts = [] if waiting else row.alts
            ch.released = ch.released[n:]
            ch.rows.popleft()
            out.append(
                {
                    "token": row.token,
                    "logprob": row.logprob,
                    "bytes": list(row.raw),
                    "top_logprobs": alts,
                }
            )
        return out

    @staticmethod
    def _end(ch: _Channel) -> None:
        ch.off = True
        ch.rows.clear()
        ch.released = b""
