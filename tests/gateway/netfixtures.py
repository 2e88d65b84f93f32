"""Network pieces for the upstream tests: an HTTP proxy, a small PKI and upstreams at vendor paths.

- :class:`ProxyThread`: a real HTTP proxy on loopback (its own thread and loop) that forwards
  absolute-form requests and opens ``CONNECT`` tunnels, optionally asks for Basic credentials,
  and records the first request line of every connection, so a test can tell it was used. It
  resolves names through ``hosts`` first, so ``upstream.test`` (which no DNS knows) works only
  through it.
- :func:`make_pki`: a CA, a server certificate (localhost, upstream.test, 127.0.0.1) and a
  client certificate, written as PEM files (``cryptography``, EC P-256: fast to make).
- :class:`PrefixedUpstream`: the mock upstream served under one base path only (``/api/v3``,
  ``/api/paas/v4``, ``/v2``...); every request is recorded, anything outside the base is a 404,
  and the model list can be replaced (an upstream whose names differ from the client's).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# ------------------------------------------------------------------ proxy


class ProxyThread:
    """``with ProxyThread() as p: p.url`` — see the module docstring."""

    def __init__(
        self, hosts: dict[str, str] | None = None, auth: tuple[str, str] | None = None
    ) -> None:
        self.hosts = hosts or {}
        self.expected = (
            "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode() if auth else None
        )
        self.seen: list[str] = []  # "METHOD target" of each connection's first request
        self.refused = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ProxyThread:
        self.thread.start()
        start = asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.server = asyncio.run_coroutine_threadsafe(start, self.loop).result(5)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self.server is not None
            self.server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        self.seen.append(f"{method} {target}")
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)
        }
        if self.expected is not None and headers.get("proxy-authorization") != self.expected:
            self.refused += 1
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b"Proxy-Authenticate: Basic\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
            writer.close()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            up_reader, up_writer = await asyncio.open_connection(
                self.hosts.get(host, host), int(port)
            )
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            parts = urlsplit(target)
            if parts.scheme != "http" or not parts.hostname:  # origin form: not a proxy request
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                writer.close()
                return
            host = parts.hostname
            up_reader, up_writer = await asyncio.open_connection(
                self.hosts.get(host, host), parts.port or 80
            )
            # One request per connection (Connection: close), so every request is recorded.
            kept = [
                h
                for h in lines[1:]
                if h and not h.lower().startswith(("proxy-authorization:", "connection:"))
            ]
            forwarded = "\r\n".join([lines[0], *kept, "Connection: close", "", ""])
            up_writer.write(forwarded.encode("latin-1"))
            length = int(headers.get("content-length", "0"))
            if length:
                up_writer.write(await reader.readexactly(length))
            await _pipe(up_reader, writer)
            up_writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        dst.close()


# ------------------------------------------------------------------ certificates


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_pki(folder: Path) -> Pki:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return path

    def write_cert(cert: x509.Certificate, path: Path) -> Path:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return path

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("hegui test CA"))
        .issuer_name(name("hegui test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    def issue(
        cn: str, usage: x509.ObjectIdentifier, sans: list[x509.GeneralName]
    ) -> tuple[Any, Any]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(cn))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return builder.sign(ca_key, hashes.SHA256()), key

    server, server_key = issue(
        "localhost",
        ExtendedKeyUsageOID.SERVER_AUTH,
        [
            x509.DNSName("localhost"),
            x509.DNSName("upstream.test"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ],
    )
    client, client_key = issue("hegui-gateway", ExtendedKeyUsageOID.CLIENT_AUTH, [])
    folder.mkdir(parents=True, exist_ok=True)
    return Pki(
        ca=write_cert(ca, folder / "ca.pem"),
        server_cert=write_cert(server, folder / "server.pem"),
        server_key=write_key(server_key, folder / "server.key"),
        client_cert=write_cert(client, folder / "client.pem"),
        client_key=write_key(client_key, folder / "client.key"),
    )


# ------------------------------------------------------------------ upstreams at vendor paths


class PrefixedUpstream:
    """``inner`` (the mock upstream) served under ``prefix`` only; see the module docstring."""

    def __init__(self, inner: Any, prefix: str, models: list[str] | None = None) -> None:
        self.inner = inner
        self.prefix = prefix
        self.models = models
        self.seen: list[tuple[str, str, dict[str, str]]] = []  # method, path, headers

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)
        path = scope["path"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.seen.append((scope["method"], path, headers))
        if not path.startswith(self.prefix + "/"):
            return await _send_json(send, 404, {"error": {"message": f"no route {path}"}})
        rest = path[len(self.prefix) :]
        if rest == "/models" and self.models is not None:
            data = [{"id": m, "object": "model", "owned_by": "vendor"} for m in self.models]
            return await _send_json(send, 200, {"object": "list", "data": data})
        await self.inner({**scope, "path": "/v1" + rest}, receive, send)

    def paths(self, method: str | None = None) -> list[str]:
        return [p for m, p, _ in self.seen if method is None or m == method]


async def _send_json(send: Any, status: int, doc: dict[str, Any]) -> None:
    body = json.dumps(doc).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
