"""The adversarial suite: every request and answer field, prohibited text and PII in each.

Tables live in ``fields.py`` (field path × payload × streamed or not); an endpoint added later
(``/v1/responses`` with issue 14) extends the suite by adding rows. The gateways here run under
uvicorn + uvloop as ``hegui serve`` runs them, in front of the mock upstream, with the
substring test double (``TermChecker``) or the real engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import pytest

from ..conftest import gateway_settings
from ..doubles import MemoryBackend, TermChecker
from ..servers import ServerThread

TERM = "炸弹制作"  # refused by the test double (A.1.d); blocked in answers as well
PHONE = "13800138000"  # redacted by the test double (mobile number)


class Client:
    """An HTTP client to one gateway, and the mock upstream behind it."""

    def __init__(self, http: httpx.Client, mock: Any, backend: MemoryBackend) -> None:
        self.http = http
        self.mock = mock
        self.backend = backend

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        self.mock.last = None
        return self.http.post(path, json=body)

    @property
    def forwarded(self) -> dict[str, Any] | None:
        """The JSON body the upstream received for the last request (None: not forwarded)."""
        return self.mock.last


@contextmanager
def _running(upstream: ServerThread, engine: Any, **gateway: Any) -> Iterator[Client]:
    """A gateway with ``engine`` in front of the mock upstream, and a client to it."""
    from hegui.gateway.app import create_app

    backend = MemoryBackend()
    app = create_app(gateway_settings([upstream.url], **gateway), backend=backend, engine=engine)
    with (
        ServerThread(app) as gw,
        httpx.Client(base_url=gw.url, headers={"authorization": "Bearer sk-good"}, timeout=20) as c,
    ):
        yield Client(c, upstream.server.config.app, backend)


@pytest.fixture(scope="module")
def doubles(upstream: ServerThread) -> Iterator[Client]:
    with _running(upstream, TermChecker()) as client:
        yield client


@pytest.fixture(scope="module")
def real(upstream: ServerThread) -> Iterator[Client]:
    from hegui.safety.engine import Engine

    with _running(upstream, Engine.default(), stream_window_chars=64) as client:
        yield client


@pytest.fixture(scope="module")
def lexicon(upstream: ServerThread) -> Iterator[Client]:
    """The real engine without its classifier (which today refuses most halves on its own):
    what a split has to get past is the lexicon and the PII layer."""
    from hegui.config import EngineSettings
    from hegui.safety.engine import Engine

    with _running(upstream, Engine.from_settings(EngineSettings(classifier=False))) as client:
        yield client


def message_texts(doc: dict[str, Any] | None) -> str:
    """The forwarded messages' texts in order, joined as a server joins them."""
    out = []
    for m in (doc or {}).get("messages", ()):
        content = m.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out += [p.get("text", "") for p in content if isinstance(p, dict)]
    return "".join(out)


def strings(value: Any) -> Iterator[str]:
    """Every string (and object key) inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def _positions(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """``(path, string)`` for every string and key; list items and dict keys carry their position
    as ``("#", n)`` (list items with an ``index`` field, as choices and tool calls, use it)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for n, (k, v) in enumerate(value.items()):
            yield (*path, ("#", n), "key"), k
            yield from _positions(v, (*path, k))
    elif isinstance(value, list):
        for n, v in enumerate(value):
            at = v.get("index", n) if isinstance(v, dict) else n
            yield from _positions(v, (*path, ("#", at)))


def _accumulated(pairs: list[tuple[tuple[Any, ...], str]]) -> list[str]:
    """Strings joined the ways a client could join them: along every field with the positions
    of list items (and keys) merged, and merged except at the deepest level (token ranks)."""
    out: list[str] = []
    for keep_last in (False, True):
        fields: dict[tuple[Any, ...], str] = {}
        for path, text in pairs:
            marks = [i for i, p in enumerate(path) if isinstance(p, tuple)]
            keep = marks[-1:] if keep_last else []
            key = tuple(
                p if not isinstance(p, tuple) or i in keep else "*" for i, p in enumerate(path)
            )
            fields[key] = fields.get(key, "") + text
        out += fields.values()
    return out


def visible(response: httpx.Response) -> str:
    """Everything a client could display from a response: every string of the JSON body (or of
    every SSE event), and those strings accumulated along their fields, as a client accumulates
    a stream or spells tokens, so a payload split over chunks, parts or tokens is whole again."""
    text = response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        docs = [  # "event: ..." lines (Responses streams) are names, not content
            orjson.loads(line[6:])
            for block in text.replace("\r\n", "\n").split("\n\n")
            for line in block.split("\n")
            if line.startswith("data: ") and line[6:] != "[DONE]"
        ]
    else:
        try:
            docs = [response.json()]
        except ValueError:
            return text
    pairs = [pair for doc in docs for pair in _positions(doc, ())]
    return "\n".join([text for _, text in pairs] + _accumulated(pairs))


def refused(response: httpx.Response) -> bool:
    """An ordinary refusal (content_filter answer or final chunk) or a 400 content_filter."""
    if response.status_code == 400:
        return response.json()["error"]["code"] == "content_filter"
    if response.status_code != 200:
        return False
    text = response.text.replace(" ", "")
    return (
        '"finish_reason":"content_filter"' in text  # chat, completions
        or '"incomplete_details":{"reason":"content_filter"}' in text  # responses
    )
