"""Upstreams reached through an HTTP proxy, with both upstream clients (lean and aiohttp).

The proxy is real (``netfixtures.ProxyThread``) and the upstream is named ``upstream.test``, a
name only the proxy can resolve: an answer proves the proxy carried the request, and the proxy's
log shows the absolute-form request line the gateway sent. ``NO_PROXY`` sends a request past the
proxy; per-upstream ``proxy`` settings (with credentials) win over the environment.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .conftest import Running
from .netfixtures import PrefixedUpstream, ProxyThread
from .servers import ServerThread

CLIENTS = ["lean", "aiohttp"]
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")


@pytest.fixture(autouse=True)
def clean_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)


@pytest.fixture(scope="module")
def vendor(mock_module: Any) -> Iterator[tuple[PrefixedUpstream, ServerThread]]:
    app = PrefixedUpstream(mock_module.MockUpstream("ark"), "/api/v3")
    with ServerThread(app) as server:
        yield app, server


@pytest.mark.parametrize("client", CLIENTS)
def test_http_proxy_from_the_environment(
    client: str,
    vendor: tuple[PrefixedUpstream, ServerThread],
    make_gateway: Callable[..., Running],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, server = vendor
    with ProxyThread(hosts={"upstream.test": "127.0.0.1"}) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # the test's own client: direct
        base = f"http://upstream.test:{server.port}/api/v3"
        gw = make_gateway([base], upstream_client=client)
        assert (
            gw.chat("你好", mock={"reply": "经由代理"})
            .json()["choices"][0]["message"]["content"]
            .startswith("经由代理")
        )
        r = gw.chat("你好", stream=True, mock={"reply": "经由代理的流", "chunks": 3})
        assert r.status_code == 200 and "data: [DONE]" in r.text
        assert proxy.seen == [
            f"GET {base}/models",
            f"POST {base}/chat/completions",
            f"POST {base}/chat/completions",
        ]


@pytest.mark.parametrize("client", CLIENTS)
def test_per_upstream_proxy_with_credentials(
    client: str,
    vendor: tuple[PrefixedUpstream, ServerThread],
    make_gateway: Callable[..., Running],
) -> None:
    _, server = vendor
    base = f"http://upstream.test:{server.port}/api/v3"
    with ProxyThread(hosts={"upstream.test": "127.0.0.1"}, auth=("hegui", "p@ss")) as proxy:
        good = f"http://hegui:p%40ss@127.0.0.1:{proxy.port}"
        gw = make_gateway([{"url": base, "proxy": good}], upstream_client=client)
        assert gw.chat("你好").status_code == 200
        assert proxy.refused == 0 and f"POST {base}/chat/completions" in proxy.seen

        bad = f"http://hegui:wrong@127.0.0.1:{proxy.port}"
        gw = make_gateway([{"url": base, "proxy": bad}], upstream_client=client)
        r = gw.chat("你好")
        assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_unavailable"
        assert proxy.refused > 0
        assert "wrong" not in r.text and "127.0.0.1" not in r.text


def _lan_address() -> str | None:
    """A local address that is not loopback (loopback never goes through a proxy)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent; this only picks a source address
            address = str(s.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.parametrize("client", CLIENTS)
def test_no_proxy_goes_direct(
    client: str,
    mock_module: Any,
    make_gateway: Callable[..., Running],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address = _lan_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    app = PrefixedUpstream(mock_module.MockUpstream("lan"), "/v1")
    with ServerThread(app, host=address) as server, ProxyThread() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        gw = make_gateway([server.url + "/v1"], upstream_client=client)
        assert gw.chat("你好").status_code == 200
        assert f"POST {server.url}/v1/chat/completions" in proxy.seen  # not in NO_PROXY: proxied

        proxy.seen.clear()
        monkeypatch.setenv("NO_PROXY", f"127.0.0.1,localhost,{address}")
        gw = make_gateway([server.url + "/v1"], upstream_client=client)
        assert gw.chat("你好").status_code == 200
        assert proxy.seen == [] and app.paths("POST")[-1] == "/v1/chat/completions"


def test_a_loopback_upstream_ignores_the_environments_proxy(
    vendor: tuple[PrefixedUpstream, ServerThread],
    make_gateway: Callable[..., Running],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, server = vendor
    with ProxyThread() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost")  # the test client only; 127.0.0.1 is not listed
        gw = make_gateway([server.url + "/api/v3"])
        assert gw.chat("你好").status_code == 200
        assert not any("/api/v3" in line for line in proxy.seen)
