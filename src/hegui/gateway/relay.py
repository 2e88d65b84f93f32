"""Relay an upstream SSE stream through the hold-and-release moderator.

Nothing reaches the client before the :class:`StreamModerator` released it. Which text is
checked: ``content``, ``reasoning_content`` / ``reasoning``, ``refusal``, tool-call and legacy
``function_call`` ``arguments`` (chat), ``text`` (completions): every text a user can see. Tool
and function names are checked as they arrive (whole, in one delta). Everything else is an
allow-list: a chunk keeps only its identifying fields (``answers.clean_envelope``), a delta only
``role``, the texts above and tool calls. Chat logprobs follow the released text
(:mod:`stream_logprobs`): a token leaves with the text it spells, never before it; completions
streams carry none.

On a violation the upstream response is closed (stop generation), one final chunk with
``finish_reason: "content_filter"`` and a ``hegui`` object is sent (stop transmission), then
``data: [DONE]``. An upstream that dies, hangs or sends garbage ends the stream with the checked
remainder, an ``{"error": ...}`` event and ``[DONE]``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import orjson

from hegui.gateway.answers import clean_envelope, clean_usage, finish_reason_ok, ident
from hegui.gateway.errors import StreamStopError, UpstreamBrokeError, UpstreamError
from hegui.gateway.incidents import report_violation
from hegui.gateway.labels import LABEL_HEADER
from hegui.gateway.relay_tail import finish_choice, tail_choice
from hegui.gateway.responses import DEFAULT_REFUSAL, SSE_HEADERS
from hegui.gateway.schema import TEXT_DELTA_KEYS, chunk, usage_frame
from hegui.gateway.stream import StreamModerator
from hegui.gateway.stream_logprobs import StreamLogprobs
from hegui.gateway.upstream.sse import DONE, SSEParser
from hegui.safety.types import Action

if TYPE_CHECKING:
    from hegui.gateway.asgi import Receive, Send
    from hegui.gateway.exchange import Exchange
    from hegui.gateway.services import Services
    from hegui.gateway.upstream.transport import UpstreamResponse

__all__ = ["StreamRelay"]

log = logging.getLogger("hegui.gateway")
_DONE_FRAME = b"data: " + DONE.encode() + b"\n\n"


class StreamRelay:
    """One per streamed response; all per-stream state lives here."""

    def __init__(
        self,
        services: Services,
        ex: Exchange,
        kind: str,
        minor: bool,
        send: Send,
        receive: Receive | None = None,
        prefill: str = "",
        label: tuple[dict[str, Any], bytes] | None = None,
        usage: bool = False,
    ) -> None:
        self.receive = receive
        self.include_usage = usage  # stream_options.include_usage: also on a stopped stream
        self.services = services
        self.ex = ex
        self.kind = kind
        self.send = send
        self.minor = minor
        moderation = services.moderation
        self._check = lambda text: moderation.check(text, "output", minor=minor)
        self._hold = (
            moderation.hold_back if services.stream_hold == "tail" and moderation.can_hold else None
        )
        self.mod = StreamModerator(
            self._check,
            window=services.stream_window,
            step=services.stream_step,
            hold=self._hold,
            # An answer continuing an assistant prefill is judged together with its end.
            lead=(lambda key: prefill if key[1] in ("content", "text") else "")  # type: ignore[index]
            if prefill
            else None,
        )
        self.envelope: dict[str, Any] = {}
        self.finishes: dict[int, str] = {}
        self.usage: dict[str, Any] | None = None
        self.prefixed: set[int] = set()
        self.content_choices: set[int] = set()
        self.logprobs: StreamLogprobs | None = None  # once a chunk carries logprobs
        fields, header = label or services.labeler.implicit()
        self.label_fields: dict[str, Any] = dict(fields)
        self.label_header: bytes = header

    async def run(self, resp: UpstreamResponse, *, started: bool = False) -> None:
        """Relay ``resp``; ``started``: the response head was already sent (early_stream)."""
        if not started:
            await self.send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [*SSE_HEADERS, (LABEL_HEADER, self.label_header)],
                }
            )
        parser = SSEParser()
        broke: str | None = None
        # After the body is read, receive() returns only when the client disconnects (or the
        # response completes): a client that goes away stops the generation too.
        gone = asyncio.ensure_future(self.receive()) if self.receive is not None else None
        try:
            try:
                done = False
                async for raw in resp.chunks():
                    if gone is not None and gone.done():
                        resp.close()
                        self.ex.decision, self.ex.status = "client_closed", 499
                        self.services.metrics.stream_stop("client_closed")
                        return
                    frames, done = self._events(parser.feed(raw))
                    if frames:
                        await self._write(b"".join(frames))
                    if done:
                        break
                if not done:
                    frames, _ = self._events(parser.close())
                    if frames:
                        await self._write(b"".join(frames))
            except (UpstreamError, TimeoutError) as exc:  # lost, broke, not an event stream
                broke = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                log.warning("upstream stream broke: %s", broke)
                self.services.metrics.stream_stop("upstream")
            finally:
                resp.close()
            await self._write(self._ending(broke), more=False)
        except StreamStopError as stop:
            resp.close()
            await self._stop(stop)
        finally:
            if gone is not None and not gone.done():
                gone.cancel()

    async def _write(self, body: bytes, more: bool = True) -> None:
        await self.send({"type": "http.response.body", "body": body, "more_body": more})

    # -------------------------------------------------------------- upstream events
    def _events(self, events: list[Any]) -> tuple[list[bytes], bool]:
        """Frames to send for these events, and whether ``[DONE]`` was seen."""
        frames: list[bytes] = []
        for ev in events:
            if ev.data == DONE:
                return frames, True
            try:
                doc = orjson.loads(ev.data)
            except orjson.JSONDecodeError:
                raise UpstreamBrokeError("upstream sent an event that is not JSON") from None
            if not isinstance(doc, dict):
                raise UpstreamBrokeError("upstream sent an event that is not a JSON object")
            if "error" in doc:
                raise UpstreamBrokeError(f"upstream error event: {str(doc['error'])[:200]}")
            frame = self._chunk(doc)
            if frame is not None:
                frames.append(b"data: " + orjson.dumps(frame) + b"\n\n")
        return frames, False

    def _chunk(self, doc: dict[str, Any]) -> dict[str, Any] | None:
        envelope = clean_envelope(doc)  # allow-listed: nothing unchecked reaches the client
        if not self.envelope:
            self.envelope = envelope
        usage = clean_usage(doc.get("usage"))
        if usage is not None:
            self.usage = usage
        choices = doc.get("choices")
        if not isinstance(choices, list):
            return None
        out: list[dict[str, Any]] = []
        for n, choice in enumerate(choices):
            if not isinstance(choice, dict):
                continue
            idx = choice.get("index", n)
            if not isinstance(idx, int):
                idx = n
            fr = choice.get("finish_reason")
            if isinstance(fr, str):
                self.finishes[idx] = fr if finish_reason_ok(fr) else "stop"
            if self.kind == "chat" and choice.get("logprobs") is not None:
                if self.logprobs is None:  # alternatives judged like the answer's text
                    step, window = self.services.stream_step, self.services.stream_window
                    self.logprobs = StreamLogprobs(self._check, window, step, self._hold)
                self.logprobs.add(idx, choice["logprobs"])
            new = self._choice(idx, choice)
            if self.logprobs is not None:
                new = self.logprobs.attach(idx, new)
            if new is not None:
                out.append(new)
        if not out:
            return None
        envelope["choices"] = out
        return envelope

    def _choice(self, idx: int, choice: dict[str, Any]) -> dict[str, Any] | None:
        feed = self.mod.feed
        if self.kind == "completions":
            text = choice.get("text")
            rel = feed((idx, "text"), text) if isinstance(text, str) else ""
            if not rel:
                return None
            return {
                "index": idx,
                "text": self._first(idx, rel),
                "logprobs": None,
                "finish_reason": None,
            }
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            return None
        new: dict[str, Any] = {}
        for key, value in delta.items():  # an allow-list: unknown delta fields are dropped
            if key in TEXT_DELTA_KEYS:
                if isinstance(value, str):
                    rel = feed((idx, key), value)
                    if rel:
                        if self.logprobs is not None:
                            self.logprobs.released(idx, key, rel)
                        new[key] = self._first(idx, rel) if key == "content" else rel
            elif key == "role" and value == "assistant":
                new[key] = value
            elif key == "tool_calls" and isinstance(value, list):
                calls = [c for c in (self._tool(idx, tc) for tc in value) if c]
                if calls:
                    new["tool_calls"] = calls
            elif key == "function_call" and isinstance(value, dict):
                fn: dict[str, Any] = {}
                if isinstance(value.get("name"), str):
                    fn["name"] = self._name(idx, value["name"])
                if isinstance(value.get("arguments"), str):
                    rel = feed((idx, "function_call"), value["arguments"])
                    if rel:
                        fn["arguments"] = rel
                if fn:
                    new["function_call"] = fn
        if not new:
            return None
        return {"index": idx, "delta": new, "logprobs": None, "finish_reason": None}

    def _tool(self, idx: int, tc: Any) -> dict[str, Any] | None:
        if not isinstance(tc, dict):
            return None
        ti = tc.get("index", 0) if isinstance(tc.get("index", 0), int) else 0
        fn = tc.get("function")
        out: dict[str, Any] = {"index": ti}
        if ident(tc.get("id")):
            out["id"] = tc["id"]
        if tc.get("type") == "function":
            out["type"] = "function"
        if isinstance(fn, dict):
            new_fn: dict[str, Any] = {}
            if isinstance(fn.get("name"), str):
                new_fn["name"] = self._name(idx, fn["name"])
            args = fn.get("arguments")
            if isinstance(args, str):
                rel = self.mod.feed((idx, "tool", ti), args)
                if rel:
                    new_fn["arguments"] = rel
            if new_fn:
                out["function"] = new_fn
        return out if set(out) - {"index"} else None

    def _name(self, idx: int, name: str) -> str:
        """A tool or function name, checked at once (names arrive whole, in one delta)."""
        if not name:
            return name
        verdict = self.services.moderation.check(name, "output", minor=self.minor)
        if verdict.failed or verdict.action in (Action.REFUSE, Action.BLOCK):
            raise StreamStopError(verdict, (idx, "tool_name"))
        if verdict.action is not Action.ALLOW:
            self.mod.codes.update(verdict.codes)
        if verdict.action is Action.REDACT and verdict.redacted is not None:
            self.mod.redacted = True
            return verdict.redacted
        return name

    def _first(self, idx: int, text: str) -> str:
        """Put the explicit notice before the first released answer text of a choice."""
        self.content_choices.add(idx)
        if idx in self.prefixed:
            return text
        self.prefixed.add(idx)
        return self.services.labeler.prefix + text

    # -------------------------------------------------------------- endings
    def _ending(self, broke: str | None) -> bytes:
        """Release the checked trailing fragments, then finish chunks, usage, error, [DONE]."""
        tail = self.mod.finish()  # may raise StreamStopError: checked before anything is sent
        by_choice: dict[int, dict[Hashable, str]] = {}
        for key, text in tail.items():
            by_choice.setdefault(key[0], {})[key] = text  # type: ignore[index]
            if self.logprobs is not None:
                self.logprobs.released(key[0], key[1], text)  # type: ignore[index]
        if self.logprobs is not None:
            self.logprobs.finish()
        frames: list[bytes] = []
        choices = sorted(set(by_choice) | set(self.finishes) | self.content_choices) or [0]
        for idx in choices:
            parts = by_choice.get(idx, {})
            suffix = self.services.labeler.suffix(self.ex.remind_rest) if broke is None else ""
            had_content = idx in self.content_choices
            closing = tail_choice(self.kind, idx, parts, suffix, self._first, had_content)
            if self.logprobs is not None:
                closing = self.logprobs.attach(idx, closing, final=True)
            frames.append(self._frame([closing] if closing is not None else []))
        ex = self.ex
        ex.add_codes(sorted(self.mod.codes))
        if self.mod.redacted and ex.decision in ("allow", "flag"):
            ex.decision = "redact"  # recorded as a non-streamed answer would be
        elif self.mod.review and ex.decision in ("allow", "flag"):
            ex.decision = "review"
        elif self.mod.codes and ex.decision == "allow":
            ex.decision = "flag"
        hegui = {"action": ex.decision, "risk_codes": list(ex.codes), "label": self.label_fields}
        hegui.update(ex.hegui)
        if broke is None:
            for idx in choices:
                fr = self.finishes.get(idx, "stop")
                last = idx == choices[-1]
                frames.append(
                    self._frame([finish_choice(self.kind, idx, fr)], hegui if last else None)
                )
        if self.usage is not None:
            ex.prompt_tokens = _int(self.usage.get("prompt_tokens"))
            ex.completion_tokens = _int(self.usage.get("completion_tokens"))
            frames.append(
                b"data: "
                + orjson.dumps({**self._env(), "choices": [], "usage": self.usage})
                + b"\n\n"
            )
        if broke is not None:
            ex.decision = "upstream_error"
            ex.status = 502
            err = {
                "error": {
                    "message": "upstream stream ended abnormally; answer incomplete",
                    "type": "upstream_error",
                    "param": None,
                    "code": "upstream_disconnected",
                },
                "hegui": hegui,
            }
            frames.append(b"data: " + orjson.dumps(err) + b"\n\n")
        frames.append(_DONE_FRAME)
        return b"".join(frames)

    def _env(self) -> dict[str, Any]:
        env = {k: v for k, v in self.envelope.items() if v is not None}
        env.setdefault(
            "object", "text_completion" if self.kind == "completions" else "chat.completion.chunk"
        )
        env.setdefault("model", self.ex.model)
        return env

    def _frame(self, choices: list[dict[str, Any]], hegui: dict[str, Any] | None = None) -> bytes:
        if not choices:
            return b""
        doc: dict[str, Any] = {**self._env(), "choices": choices}
        if hegui is not None:
            doc["hegui"] = hegui
        return b"data: " + orjson.dumps(doc) + b"\n\n"

    async def _stop(self, stop: StreamStopError) -> None:
        verdict = stop.verdict
        self.services.metrics.stream_stop("failed" if verdict.failed else verdict.action.value)
        info = await report_violation(
            self.services,
            self.ex,
            verdict,
            direction="output",
            stage="stream",
            evidence=None,
            raise_store_errors=False,
        )
        info["label"] = self.label_fields
        key = stop.channel
        idx = key[0] if isinstance(key, tuple) and isinstance(key[0], int) else 0
        message = (verdict.message or DEFAULT_REFUSAL) + self.services.labeler.suffix(
            self.ex.remind_rest
        )
        frame = chunk(self._env(), self.kind, idx, message, "content_filter", info)
        if self.kind == "chat" and idx not in self.prefixed:
            frame["choices"][0]["delta"]["content"] = self.services.labeler.prefix + message
        body = b"data: " + orjson.dumps(frame) + b"\n\n"
        if self.include_usage:  # what the upstream counted before the stop, if it said
            body += usage_frame(frame, self.kind, self.usage)
        await self._write(body + _DONE_FRAME, more=False)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
