"""HTTPS upstreams signed by a private CA that require a client certificate (mutual TLS).

A CA, a server and a client certificate are made in the test (``netfixtures.make_pki``); the mock
upstream runs under uvicorn with the ``ssl`` module asking for a client certificate. Without
``ca_file`` the gateway cannot verify the upstream; without ``client_cert`` the upstream refuses
the gateway; with both, answers (streamed and not) arrive, directly and through a ``CONNECT``
tunnel of an HTTP proxy. Both upstream clients.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Running
from .netfixtures import Pki, PrefixedUpstream, ProxyThread, make_pki
from .servers import ServerThread

CLIENTS = ["lean", "aiohttp"]


@pytest.fixture(autouse=True)
def clean_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_upstream(mock_module: Any, pki: Pki) -> Iterator[tuple[PrefixedUpstream, ServerThread]]:
    app = PrefixedUpstream(mock_module.MockUpstream("tls"), "/api/v3")
    with ServerThread(
        app,
        ssl_certfile=str(pki.server_cert),
        ssl_keyfile=str(pki.server_key),
        ssl_ca_certs=str(pki.ca),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
    ) as server:
        yield app, server


def _entry(base: str, pki: Pki, **extra: Any) -> dict[str, Any]:
    return {
        "url": base,
        "ca_file": str(pki.ca),
        "client_cert": str(pki.client_cert),
        "client_key": str(pki.client_key),
        **extra,
    }


@pytest.mark.parametrize("client", CLIENTS)
def test_mutual_tls_needs_the_ca_and_the_client_certificate(
    client: str,
    pki: Pki,
    tls_upstream: tuple[PrefixedUpstream, ServerThread],
    make_gateway: Callable[..., Running],
) -> None:
    app, server = tls_upstream
    base = server.url + "/api/v3"
    assert base.startswith("https://127.0.0.1:")

    app.seen.clear()
    no_ca = make_gateway(
        [{"url": base, "client_cert": str(pki.client_cert), "client_key": str(pki.client_key)}],
        upstream_client=client,
    )
    r = no_ca.chat("你好")
    assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_unavailable"
    assert app.seen == []  # the system CAs do not know the private CA: no request got through

    no_cert = make_gateway([{"url": base, "ca_file": str(pki.ca)}], upstream_client=client)
    r = no_cert.chat("你好")
    assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_unavailable"
    assert app.seen == []  # the upstream wants a client certificate

    gw = make_gateway([_entry(base, pki)], upstream_client=client)
    r = gw.chat("你好", mock={"reply": "加密的回答"})
    assert r.status_code == 200 and "加密的回答" in r.text
    r = gw.chat("你好", stream=True, mock={"reply": "加密的流", "chunks": 3})
    assert r.status_code == 200 and "data: [DONE]" in r.text
    assert app.paths() == ["/api/v3/models", "/api/v3/chat/completions", "/api/v3/chat/completions"]


@pytest.mark.parametrize("client", CLIENTS)
def test_verify_false_skips_the_server_check_only(
    client: str,
    pki: Pki,
    tls_upstream: tuple[PrefixedUpstream, ServerThread],
    make_gateway: Callable[..., Running],
) -> None:
    _, server = tls_upstream
    entry = {
        "url": server.url + "/api/v3",
        "verify": False,
        "client_cert": str(pki.client_cert),
        "client_key": str(pki.client_key),
    }
    assert make_gateway([entry], upstream_client=client).chat("你好").status_code == 200


@pytest.mark.parametrize("client", CLIENTS)
def test_https_through_a_connect_tunnel(
    client: str,
    pki: Pki,
    tls_upstream: tuple[PrefixedUpstream, ServerThread],
    make_gateway: Callable[..., Running],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, server = tls_upstream
    base = f"https://upstream.test:{server.port}/api/v3"  # a name only the proxy resolves
    with ProxyThread(hosts={"upstream.test": "127.0.0.1"}) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        app.seen.clear()
        gw = make_gateway([_entry(base, pki)], upstream_client=client)
        r = gw.chat("你好", mock={"reply": "隧道里的回答"})
        assert r.status_code == 200 and "隧道里的回答" in r.text
        r = gw.chat("你好", stream=True, mock={"reply": "隧道里的流", "chunks": 4})
        assert r.status_code == 200 and "data: [DONE]" in r.text
        # The proxy saw only where to connect; the requests went inside the encrypted tunnel.
        assert proxy.seen and set(proxy.seen) == {f"CONNECT upstream.test:{server.port}"}
        assert app.paths("POST") == ["/api/v3/chat/completions"] * 2


def test_tls_settings_give_an_upstream_its_own_client(
    pki: Pki,
    tls_upstream: tuple[PrefixedUpstream, ServerThread],
    upstream: ServerThread,
    make_gateway: Callable[..., Running],
) -> None:
    """A plain upstream and a mutual-TLS one side by side, each with the right client."""
    _, server = tls_upstream
    gw = make_gateway(
        [
            {"url": upstream.url + "/v1", "name": "plain", "models": ["mock-model"]},
            _entry(server.url + "/api/v3", pki, name="secure", models=["secure-model"]),
        ]
    )
    assert gw.chat("你好", model="mock-model").status_code == 200
    assert gw.chat("你好", model="secure-model").status_code == 200
    plain, secure = gw.app.pool.upstreams
    assert plain.transport is gw.app.transport and secure.transport is not gw.app.transport


def test_serve_refuses_an_unreadable_client_key(
    tmp_path: Path, pki: Pki, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hegui.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "hegui.toml").write_text(
        f"""
[[gateway.upstreams]]
url = "https://127.0.0.1:1/api/v3"
ca_file = "{pki.ca}"
client_cert = "{pki.client_cert}"
client_key = "{pki.server_cert}"
""",
        encoding="utf-8",
    )
    with pytest.raises(SystemExit) as info:
        main(["serve", "--get", "/healthz"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "client_cert cannot be loaded" in err
    assert len(err.strip().splitlines()) == 1


def test_an_encrypted_client_key_is_refused_without_a_prompt(pki: Pki, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    from hegui.errors import ConfigError
    from hegui.gateway.upstream.connect import ConnectOptions, ssl_context

    key = serialization.load_pem_private_key(pki.client_key.read_bytes(), None)
    locked = tmp_path / "locked.key"
    locked.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    opts = ConnectOptions(client_cert=str(pki.client_cert), client_key=str(locked))
    with pytest.raises(ConfigError, match="client_cert cannot be loaded"):
        ssl_context(opts)
    assert ssl_context(
        ConnectOptions(client_cert=str(pki.client_cert), client_key=str(pki.client_key))
    )


async def test_the_lean_tunnel_on_the_standard_asyncio_loop(
    pki: Pki, tls_upstream: tuple[PrefixedUpstream, ServerThread]
) -> None:
    """The gateway runs on uvloop; the tunnel works on asyncio's own loop as well."""
    from hegui.gateway.upstream.connect import ConnectOptions
    from hegui.gateway.upstream.lean import LeanTransport

    _, server = tls_upstream
    with ProxyThread(hosts={"upstream.test": "127.0.0.1"}) as proxy:
        opts = ConnectOptions(
            proxy=proxy.url,
            ca_file=str(pki.ca),
            client_cert=str(pki.client_cert),
            client_key=str(pki.client_key),
        )
        transport = LeanTransport(connect=opts, connect_timeout=5)
        try:
            url = f"https://upstream.test:{server.port}/api/v3/models"
            for _ in range(2):  # the second request reuses the tunnelled connection
                resp = await transport.request("GET", url, None, {}, 10)
                assert resp.status == 200 and b"mock-model" in await resp.read(1 << 20)
        finally:
            await transport.close()
        assert proxy.seen == [f"CONNECT upstream.test:{server.port}"]
