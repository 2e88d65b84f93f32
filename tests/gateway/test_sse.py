"""The SSE parser: events whole, whatever the network chunking."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.gateway.errors import SSEProtocolError
from hegui.gateway.upstream.sse import SSEEvent, SSEParser

STREAM = (
    ": keep-alive\n\n"
    'data: {"a": "你好"}\n\n'
    ":\n"
    "event: message\r\ndata: line1\r\ndata: line2\r\n\r\n"
    "data:nospace\n\n"
    "data: [DONE]\n\n"
).encode()
EXPECTED = [
    SSEEvent('{"a": "你好"}'),
    SSEEvent("line1\nline2", "message"),
    SSEEvent("nospace"),
    SSEEvent("[DONE]"),
]


def parse_all(chunks: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for c in chunks:
        events += parser.feed(c)
    return events + parser.close()


def test_when_whole_stream_then_comments_dropped_and_fields_joined() -> None:
    assert parse_all([STREAM]) == EXPECTED


def test_when_one_byte_chunks_then_multibyte_characters_survive() -> None:
    assert parse_all([STREAM[i : i + 1] for i in range(len(STREAM))]) == EXPECTED


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(STREAM)), min_size=1, max_size=40))
def test_when_random_chunking_then_same_events(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks, prev = [], 0
    for p in points:
        chunks.append(STREAM[prev:p])
        prev = p
    chunks.append(STREAM[prev:])
    assert parse_all(chunks) == EXPECTED


def test_when_last_event_unterminated_then_close_flushes_it() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: tail") == []
    assert parser.close() == [SSEEvent("tail")]


def test_when_invalid_utf8_then_protocol_error() -> None:
    with pytest.raises(SSEProtocolError):
        SSEParser().feed(b"data: \xff\xfe\n\n")


def test_when_line_exceeds_limit_then_protocol_error() -> None:
    with pytest.raises(SSEProtocolError):
        SSEParser(max_line_bytes=10).feed(b"data: " + b"x" * 20)
