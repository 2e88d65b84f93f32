"""Incremental Server-Sent Events parser for upstream streams.

Network chunks cut events anywhere: inside a line, inside a multi-byte UTF-8 character, between
``\\r`` and ``\\n``. The parser keeps raw bytes until a whole line has arrived and decodes only
complete lines, so a character split across chunks is never mangled. Comment lines (``:``) and
keep-alives are dropped; ``data:`` lines of one event are joined with ``\\n`` as the spec says.
"""

from __future__ import annotations

from dataclasses import dataclass

from hegui.gateway.errors import SSEProtocolError

__all__ = ["DONE", "SSEEvent", "SSEParser", "encode_data"]

DONE = "[DONE]"


@dataclass(frozen=True, slots=True)
class SSEEvent:
    data: str
    event: str | None = None


class SSEParser:
    """Feed raw bytes, get complete events. One parser per stream (it holds that stream's state)."""

    __slots__ = ("_buf", "_data", "_event", "_max_line")

    def __init__(self, max_line_bytes: int = 8 * 1024 * 1024) -> None:
        self._buf = b""
        self._data: list[str] = []
        self._event: str | None = None
        self._max_line = max_line_bytes

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if (
            not self._buf
            and not self._data
            and chunk.startswith(b"data: ")
            and chunk.endswith(b"\n\n")
            and chunk.count(b"\n") == 2
            and b"\r" not in chunk
        ):  # the common case: one whole single-line event per network chunk
            try:
                return [SSEEvent(chunk[6:-2].decode("utf-8"))]
            except UnicodeDecodeError as exc:
                raise SSEProtocolError(f"invalid UTF-8 in event stream: {exc}") from None
        buf = self._buf + chunk if self._buf else chunk
        events: list[SSEEvent] = []
        start = 0
        while True:
            nl = buf.find(b"\n", start)
            if nl < 0:
                break
            line = buf[start:nl]
            start = nl + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            self._line(line, events)
        self._buf = buf[start:]
        if len(self._buf) > self._max_line:
            raise SSEProtocolError("event stream line too long")
        return events

    def close(self) -> list[SSEEvent]:
        """Flush a last event the upstream did not terminate with a blank line."""
        events: list[SSEEvent] = []
        if self._buf:
            line, self._buf = self._buf.rstrip(b"\r"), b""
            self._line(line, events)
        self._line(b"", events)
        return events

    def _line(self, line: bytes, events: list[SSEEvent]) -> None:
        if not line:
            if self._data:
                events.append(SSEEvent("\n".join(self._data), self._event))
            self._data = []
            self._event = None
            return
        if line[0] == 0x3A:  # ":" comment / keep-alive
            return
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SSEProtocolError(f"invalid UTF-8 in event stream: {exc}") from None
        field, sep, value = text.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value


def encode_data(payload: bytes) -> bytes:
    """One ``data:`` event carrying a single-line JSON payload."""
    return b"data: " + payload + b"\n\n"
