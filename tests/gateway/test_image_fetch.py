"""Images answered by URL are fetched on a client of their own (issue: shared upstream client).

A slow image host must not hold the upstreams' connections, the fetch has its own timeout and
size limit, redirects are not followed, and the upstreams' proxy never applies to image URLs.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from hegui.gateway.image_fetch import ImageFetcher
from hegui.gateway.upstream.clients import own_transport
from hegui.gateway.upstream.lean import LeanTransport

from .conftest import Running, gateway_settings
from .servers import ServerThread


class ImageHost:
    """The mock upstream, plus image URLs that misbehave: slow, too big, redirected."""

    def __init__(self, mock: Any) -> None:
        self.upstream = mock.MockUpstream("img")
        self.png: bytes = mock._png()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/img/"):
            await self.upstream(scope, receive, send)
            return
        if path == "/img/slow.png":
            await asyncio.sleep(30)
        if path == "/img/moved.png":
            head = [(b"location", b"/image.png")]
            await send({"type": "http.response.start", "status": 302, "headers": head})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": self.png})


@pytest.fixture
def host(mock_module: Any) -> Any:
    with ServerThread(ImageHost(mock_module)) as server:
        yield server


def _image(gw: Running, url: str) -> httpx.Response:
    body = {"model": "mock-model", "prompt": "a cat", "mock": {"as_url": url}}
    return gw.client.post("/v1/images/generations", json=body)


def test_a_slow_image_host_does_not_hold_the_upstream_connections(
    make_gateway: Callable[..., Running], host: ServerThread
) -> None:
    # One connection to the upstream, whose images live on the same host (a common layout).
    gw = make_gateway([host.url], pool_connections=1, upstream_timeout=8.0, image_fetch_timeout=1.5)
    answers: dict[str, Any] = {}

    def slow_image() -> None:
        started = time.monotonic()
        answers["image"] = _image(gw, f"{host.url}/img/slow.png")
        answers["image_s"] = time.monotonic() - started

    worker = threading.Thread(target=slow_image)
    worker.start()
    time.sleep(0.5)  # the image request is now waiting on the slow host
    started = time.monotonic()
    chat = gw.chat("你好")
    chat_s = time.monotonic() - started
    worker.join(20)
    assert chat.status_code == 200, chat.text
    assert chat_s < 1.0, f"the chat waited {chat_s:.2f} s behind the image fetch"
    image = answers["image"]
    assert image.status_code == 504 and image.json()["error"]["code"] == "upstream_timeout"
    assert answers["image_s"] < 5.0  # the image timeout, not the upstream one


def test_image_size_limit_and_redirects(
    make_gateway: Callable[..., Running], host: ServerThread
) -> None:
    gw = make_gateway([host.url], image_fetch_max_bytes=100)  # the PNG is 156 bytes
    r = _image(gw, f"{host.url}/img/big.png")
    assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_too_large"
    r = _image(gw, f"{host.url}/img/moved.png")
    assert r.status_code == 502 and "HTTP 302" in r.json()["error"]["message"]
    gw2 = make_gateway([host.url])
    assert _image(gw2, f"{host.url}/img/big.png").status_code == 200


def test_the_upstreams_proxy_never_applies_to_image_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://user:secret@proxy.internal:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://user:secret@proxy.internal:3128")
    g = gateway_settings(["http://127.0.0.1:9"]).gateway
    upstreams = own_transport(g)
    images = ImageFetcher(g)
    assert isinstance(upstreams, LeanTransport) and isinstance(images.transport, LeanTransport)
    for url in ("http://images.example/a.png", "https://images.example/a.png"):
        assert upstreams._target(url).proxy is not None  # the upstreams follow the environment
        assert images.transport._target(url).proxy is None
        assert b"Proxy-Authorization" not in images.transport._target(url).start


@pytest.mark.parametrize("client", ["lean", "aiohttp"])
def test_no_tls_context_is_built_before_an_https_image_is_fetched(
    client: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: every gateway built the image fetcher's TLS context at start-up (the CA bundle,
    ~20 ms of a core), though most never fetch an image and none over https at start-up."""
    import ssl

    made: list[object] = []
    real = ssl.create_default_context
    monkeypatch.setattr(
        ssl, "create_default_context", lambda *a, **k: made.append(a) or real(*a, **k)
    )
    g = gateway_settings(["http://127.0.0.1:9"], upstream_client=client).gateway
    ImageFetcher(g)
    own_transport(g)
    assert made == []
