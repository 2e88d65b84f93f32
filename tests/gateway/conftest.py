"""Shared fixtures: a real mock upstream and real gateways on loopback."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from hegui.config import Settings
from hegui.gateway.app import Gateway, create_app
from tests.store.conftest import pg_template, sqlite_template  # noqa: F401  (migrated templates)

from .doubles import MemoryBackend, TermChecker
from .servers import ServerThread, load_mock_module


@pytest.fixture(scope="session")
def mock_module() -> Any:
    return load_mock_module()


@pytest.fixture(scope="session")
def upstream(mock_module: Any) -> Iterator[ServerThread]:
    with ServerThread(mock_module.MockUpstream("up-a")) as server:
        yield server


def gateway_settings(upstreams: list[str], **gateway: Any) -> Settings:
    data: dict[str, Any] = {
        "upstreams": upstreams,
        "health_interval": 0,
        "upstream_timeout": 5.0,
        "explicit_label": "本回答由人工智能生成",
        "stream_window_chars": 16,
        "unchecked_fields": ["mock"],  # the test upstream's controls (benchmarks/mock_upstream.py)
    }
    data.update(gateway)
    return Settings.model_validate({"gateway": data, "labeling": {"uscc": "91350100M000100Y43"}})


_TLS = ssl.create_default_context()


class Running:
    """A gateway under uvicorn plus its test doubles and an HTTP client."""

    def __init__(
        self, server: ServerThread, app: Gateway, backend: Any, checker: TermChecker
    ) -> None:
        self.server = server
        self.app = app
        self.backend = backend
        self.checker = checker
        self.url = server.url
        self.client = httpx.Client(
            base_url=server.url,
            headers={"authorization": "Bearer sk-good"},
            timeout=20,
            verify=_TLS,  # plain HTTP: shared, instead of loading the CA bundle per gateway
        )

    def chat(
        self,
        content: str = "你好",
        *,
        stream: bool = False,
        mock: dict[str, Any] | None = None,
        model: str = "mock-model",
        **extra: Any,
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "user", "content": content}],
            "stream": stream,
        }
        if mock is not None:
            body["mock"] = mock
        body.update(extra)
        return self.client.post("/v1/chat/completions", json=body)

    def records(self, n: int, timeout: float = 5.0) -> list[Any]:
        """The usage records once ``n`` exist (they are written just after the response is sent)."""
        deadline = time.monotonic() + timeout
        while len(self.backend.usage) < n and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.02)  # let a wrongly duplicated record show up too
        return list(self.backend.usage)

    def flush(self) -> None:
        self.server.call(self.backend.flush())

    def close(self) -> None:
        """Stop the server (its backend closes in the lifespan); a second call does nothing."""
        if self.server.thread.is_alive():
            self.client.close()
            self.server.__exit__(None, None, None)


@pytest.fixture
def make_gateway() -> Iterator[Callable[..., Running]]:
    stack: list[Running] = []

    @contextmanager
    def _noop() -> Iterator[None]:
        yield

    def factory(
        upstreams: list[str],
        *,
        backend: Any = None,
        checker: TermChecker | None = None,
        settings: Settings | None = None,
        **gateway: Any,
    ) -> Running:
        backend = backend if backend is not None else MemoryBackend()
        checker = checker or TermChecker()
        settings = settings or gateway_settings(upstreams, **gateway)
        app = create_app(settings, backend=backend, engine=checker)
        server = ServerThread(app).__enter__()
        running = Running(server, app, backend, checker)
        stack.append(running)
        return running

    yield factory
    for running in reversed(stack):
        running.close()


@pytest.fixture
def gw(make_gateway: Callable[..., Running], upstream: ServerThread) -> Running:
    return make_gateway([upstream.url])
