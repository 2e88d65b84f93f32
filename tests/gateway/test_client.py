"""LeanTransport against raw loopback servers that misbehave on purpose."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from hegui.gateway.errors import GatewayError, UpstreamLostError, to_gateway_error
from hegui.gateway.upstream.lean import LeanTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def serve(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """Headers and (Content-Length) body of one request; b'' at EOF."""
    head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + (await reader.readexactly(length) if length else b"")


def ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


@pytest.fixture
async def transport() -> AsyncIterator[LeanTransport]:
    t = LeanTransport(limit=4, keepalive_s=4.0, connect_timeout=1.0)
    yield t
    await t.close()


async def test_keep_alive_connection_is_reused(transport: LeanTransport) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while (req := await read_request(reader)) and b"POST /v1/x" in req:
            writer.write(ok(b'{"n": 1}', b"Content-Type: application/json\r\n"))
            await writer.drain()
        writer.close()

    server, url = await serve(handler)
    async with server:
        for _ in range(3):
            resp = await transport.request("POST", url + "/v1/x", b"{}", {"a": "b"}, 5)
            assert resp.status == 200 and resp.headers["content-type"] == "application/json"
            assert await resp.read(1024) == b'{"n": 1}'
    assert connections == 1


async def test_idle_connection_closed_by_upstream_is_retried_on_a_fresh_one(
    transport: LeanTransport,
) -> None:
    """The "Can not write request body" pitfall: the first request must not fail."""
    served = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        await read_request(reader)
        served += 1
        writer.write(ok(b"fine"))  # keep-alive promised, then the server hangs up while idle
        await writer.drain()
        writer.close()

    server, url = await serve(handler)
    async with server:
        assert await (await transport.request("POST", url, b"1", {}, 5)).read(99) == b"fine"
        await asyncio.sleep(0.05)  # the close has arrived
        assert await (await transport.request("POST", url, b"2", {}, 5)).read(99) == b"fine"
    assert served == 2


async def test_reused_connection_that_dies_before_answering_is_retried() -> None:
    t = LeanTransport(limit=1, keepalive_s=4.0)
    calls = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        await read_request(reader)
        calls += 1
        writer.write(ok(b"a"))
        await writer.drain()
        await read_request(reader)  # second request on this connection: drop it unanswered
        calls += 1
        writer.transport.abort()

    server, url = await serve(handler)
    async with server:
        assert await (await t.request("POST", url, b"1", {}, 5)).read(9) == b"a"
        assert await (await t.request("POST", url, b"2", {}, 5)).read(9) == b"a"
    await t.close()
    assert calls == 3


async def test_chunked_stream_is_yielded_as_it_arrives(transport: LeanTransport) -> None:
    gate = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
        await writer.drain()
        await gate.wait()
        writer.write(b"6\r\nsecond\r\n0\r\n\r\n")
        await writer.drain()

    server, url = await serve(handler)
    async with server:
        resp = await transport.request("POST", url, b"{}", {}, 5)
        parts = resp.chunks()
        assert await parts.__anext__() == b"first"  # before the rest exists
        gate.set()
        assert [p async for p in parts] == [b"second"]


async def test_connection_lost_mid_stream_raises_connect_error(transport: LeanTransport) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
        await writer.drain()
        writer.transport.abort()

    server, url = await serve(handler)
    async with server:
        resp = await transport.request("POST", url, b"{}", {}, 5)
        got = []
        with pytest.raises(UpstreamLostError):
            async for part in resp.chunks():
                got.append(part)
        assert got == [b"abc"]  # what arrived is delivered first


async def test_body_cut_short_on_read_is_502(transport: LeanTransport) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
        await writer.drain()
        writer.close()

    server, url = await serve(handler)
    async with server:
        resp = await transport.request("POST", url, b"{}", {}, 5)
        with pytest.raises(UpstreamLostError) as err:
            await resp.read(1000)
        answered = to_gateway_error(err.value)
        assert (answered.status, answered.code) == (502, "upstream_disconnected")


async def test_close_delimited_body_and_gzip(transport: LeanTransport) -> None:
    packed = gzip.compress(b"hello " * 100)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n")
        writer.write(packed)
        await writer.drain()
        writer.close()

    server, url = await serve(handler)
    async with server:
        resp = await transport.request("GET", url + "/v1/models", None, {}, 5)
        assert await resp.read(10_000) == b"hello " * 100
        assert "content-encoding" not in resp.headers


async def test_limit_and_timeout(transport: LeanTransport) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        req = await read_request(reader)
        if b"big" in req:
            writer.write(ok(b"x" * 5000))
            await writer.drain()
        await asyncio.sleep(10)  # "hang": never answer

    server, url = await serve(handler)
    async with server:
        resp = await transport.request("POST", url, b"big", {}, 5)
        with pytest.raises(GatewayError) as err:
            await resp.read(100)
        assert err.value.code == "upstream_too_large"
        with pytest.raises(TimeoutError):
            await transport.request("POST", url, b"hang", {}, 0.2)
    assert transport._open[next(iter(transport._open))] == 0  # nothing leaked from the pool


async def test_refused_connection_and_bad_urls(transport: LeanTransport) -> None:
    server, url = await serve(lambda r, w: asyncio.sleep(0))
    server.close()
    await server.wait_closed()
    with pytest.raises(UpstreamLostError):
        await transport.request("POST", url, b"{}", {}, 5)
    for bad in ("ftp://x/y", "http://x/a b", "http://x/\r\nHost: evil"):
        with pytest.raises(UpstreamLostError):
            await transport.request("GET", bad, None, {}, 5)
    with pytest.raises(UpstreamLostError):
        await transport.request("GET", url, None, {"x": "a\r\nInjected: 1"}, 5)


async def test_pool_limit_queues_requests(transport: LeanTransport) -> None:
    active = peak = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal active, peak
        while await read_request(reader):
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.02)
            active -= 1
            writer.write(ok(b"k"))
            await writer.drain()

    server, url = await serve(handler)
    async with server:

        async def one() -> bytes:
            return await (await transport.request("POST", url, b"{}", {}, 5)).read(9)

        assert await asyncio.gather(*(one() for _ in range(12))) == [b"k"] * 12
    assert peak <= 4


@pytest.mark.parametrize("kind", ["lean", "aiohttp"])
async def test_settings_choose_the_upstream_client_and_both_relay_json_and_chunks(
    kind: str,
) -> None:
    from hegui.config import GatewaySettings
    from hegui.gateway.upstream.aiohttp_client import AiohttpTransport
    from hegui.gateway.upstream.clients import own_transport

    transport = own_transport(GatewaySettings(upstream_client=kind))
    assert isinstance(transport, LeanTransport if kind == "lean" else AiohttpTransport)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        req = await read_request(reader)
        if req.startswith(b"POST /v1/chunked "):
            writer.write(
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"2\r\nab\r\n0\r\n\r\n"
            )
        else:
            writer.write(ok(b'{"n": 1}', b"Connection: close\r\n"))
        await writer.drain()
        writer.close()

    server, url = await serve(handler)
    try:
        async with server:
            resp = await transport.request("POST", url + "/v1/x", b"{}", {}, 5)
            assert resp.status == 200 and await resp.read(1 << 20) == b'{"n": 1}'
            resp = await transport.request("POST", url + "/v1/chunked", b"{}", {}, 5)
            assert b"".join([part async for part in resp.chunks()]) == b"ab"
    finally:
        await transport.close()
