"""How a connection to an upstream is opened: which proxy (if any) and which TLS context.

Both HTTP clients (``lean`` and ``aiohttp``) take their answers from here, so the two follow the
same rules. Proxies: an upstream's own ``proxy`` wins; otherwise ``HTTP_PROXY`` / ``HTTPS_PROXY``
(lower case first, as curl) for ``http://`` / ``https://`` upstreams, skipped for hosts matched by
``NO_PROXY`` and for loopback hosts (a local model server is never reached through a proxy unless
one is configured for it). Only ``http://`` proxies are spoken: plain requests in absolute form,
``https://`` upstreams through a ``CONNECT`` tunnel. TLS: the system's CAs, or ``ca_file`` alone;
a client certificate for mutual TLS; ``verify = false`` turns checking off.
"""

from __future__ import annotations

import base64
import ipaddress
import ssl
import urllib.request
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from hegui.errors import ConfigError

__all__ = [
    "ConnectOptions",
    "Proxy",
    "environment_proxies",
    "parse_proxy",
    "proxy_for",
    "ssl_context",
]


@dataclass(frozen=True, slots=True)
class ConnectOptions:
    """Per-upstream connection settings; the default (all unset) is the shared client's."""

    proxy: str | None = None  # None: the environment decides; "": never a proxy
    ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    verify: bool = True

    @property
    def is_default(self) -> bool:
        return self == _DEFAULT

    @property
    def default_tls(self) -> bool:
        """No TLS file and full verification: the system's context does, built on first use."""
        return self.verify and not (self.ca_file or self.client_cert or self.client_key)


_DEFAULT = ConnectOptions()


@dataclass(frozen=True, slots=True)
class Proxy:
    """An HTTP proxy: where to connect and the ``Proxy-Authorization`` value, if any."""

    host: str
    port: int
    authorization: str | None = None

    @property
    def url(self) -> str:
        """The proxy's address without credentials (for aiohttp, which takes them as a header)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def parse_proxy(text: str, where: str = "proxy") -> Proxy:
    """``http://[user:pass@]host[:port]`` → :class:`Proxy`; anything else is a :class:`ConfigError`."""
    parts = urlsplit(text.strip())
    if parts.scheme.lower() != "http" or not parts.hostname:
        raise ConfigError(f"{where} must be an http://host:port proxy URL")
    try:
        port = parts.port or 80
    except ValueError:
        raise ConfigError(f"{where} has an invalid port") from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"{where} must be an http://host:port proxy URL (no path or query)")
    auth = None
    if parts.username is not None:
        raw = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        auth = "Basic " + base64.b64encode(raw).decode("ascii")
    return Proxy(parts.hostname, port, auth)


def environment_proxies() -> dict[str, str]:
    """``{"http": ..., "https": ..., "no": ...}`` from the environment, read once per client."""
    found = urllib.request.getproxies_environment()
    return {k: v for k, v in found.items() if k in ("http", "https", "no") and v}


def proxy_for(
    scheme: str, host: str, port: int, options: ConnectOptions, env: dict[str, str]
) -> Proxy | None:
    """The proxy for one upstream address, or None to connect directly."""
    if options.proxy is not None:
        return parse_proxy(options.proxy) if options.proxy else None
    chosen = env.get(scheme)
    if not chosen or _is_loopback(host):
        return None
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if "no" in env and bypass(f"{host}:{port}", env):
        return None
    return parse_proxy(chosen, f"{scheme.upper()}_PROXY")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ssl_context(options: ConnectOptions) -> ssl.SSLContext:
    """The TLS context for an upstream; a file that cannot be read is a :class:`ConfigError`."""
    try:
        ctx = ssl.create_default_context(cafile=options.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"upstream ca_file cannot be loaded: {_reason(exc)}") from None
    if not options.verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if options.client_cert:
        try:
            # A password callback, so an encrypted key fails here instead of prompting on a tty.
            ctx.load_cert_chain(options.client_cert, options.client_key or None, _no_password)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"upstream client_cert cannot be loaded: {_reason(exc)}") from None
    elif options.client_key:
        raise ConfigError("upstream client_key is set without client_cert")
    return ctx


def _no_password() -> str:
    return ""


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
