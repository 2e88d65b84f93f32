"""What one configured upstream is: its base URL, routing, key, headers, model names, connection.

An upstream is given as a string (``"https://ark.cn-beijing.volces.com/api/v3 name=ark
map=*=doubao-1-5-pro-32k"``) or a table (:class:`hegui.config.UpstreamSettings`); both become an
:class:`UpstreamSpec`, checked here once at start-up so a bad entry stops ``hegui serve`` with a
one-line error instead of failing requests later.

The base URL is used exactly as given: the gateway's ``/v1/chat/completions`` goes to
``{base}/chat/completions``, its health probe to ``{base}/models``. So ``/v1`` (OpenAI, vLLM,
Ollama), ``/api/v3`` (Volcengine Ark), ``/api/paas/v4`` (Zhipu GLM) and ``/v2`` (Baidu Qianfan)
all work. A base with no path at all keeps its old meaning, ``{base}/v1``; trailing slashes are
dropped; a query, a fragment, credentials or a full endpoint URL are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from hegui.config import UpstreamSettings
from hegui.errors import ConfigError
from hegui.gateway.upstream.connect import ConnectOptions, Proxy, parse_proxy, proxy_for

__all__ = ["UpstreamSpec", "base_url", "parse_upstream", "route_proxy", "route_url"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an HTTP header name (RFC 9110 token)
_RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "proxy-authorization",
        "proxy-connection",
    }
)
_ENDPOINTS = ("/chat/completions", "/completions", "/models", "/embeddings", "/responses")
_STRING_OPTIONS = (
    "name",
    "weight",
    "models",
    "map",
    "proxy",
    "ca_file",
    "client_cert",
    "client_key",
    "verify",
)


@dataclass(frozen=True, slots=True, eq=False)
class UpstreamSpec:
    url: str  # the base URL, no trailing slash; routes are appended to it
    weight: float = 1.0
    models: frozenset[str] | None = None  # None: discover from GET {url}/models
    name: str | None = None  # shown in metrics, logs and errors instead of the URL
    model_map: Mapping[str, str] = field(default_factory=dict)
    api_key: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    connect: ConnectOptions = field(default_factory=ConnectOptions)
    assumed_v1: bool = False  # the URL had no path, so /v1 was added


def route_url(base: str, route: str) -> str:
    """The upstream URL for a gateway route: ``/v1/chat/completions`` → ``{base}/chat/completions``.

    Callers name routes as the gateway serves them; the upstream's base already carries its
    version prefix (``/v1``, ``/api/v3``, ...), so the gateway's ``/v1`` is replaced by it.
    """
    return base + (route[3:] if route.startswith("/v1/") else route)


def route_proxy(spec: UpstreamSpec, env: dict[str, str]) -> Proxy | None:
    """The proxy this upstream goes through (ConfigError for a proxy that cannot be spoken)."""
    parts = urlsplit(spec.url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return proxy_for(parts.scheme, parts.hostname or "", port, spec.connect, env)


def base_url(text: str) -> tuple[str, bool]:
    """Check and normalise a base URL; ``(url, True)`` when ``/v1`` was added to a bare host."""
    if any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in text):
        raise ConfigError(f"upstream URL must not contain spaces or control characters: {text!r}")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigError(f"upstream must start with http:// or https://: {_shown(text)!r}")
    shown = f"{scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
    if not parts.hostname:
        raise ConfigError(f"upstream URL has no host: {shown!r}")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number or out of range
    except ValueError:
        raise ConfigError(f"upstream URL has an invalid port: {shown!r}") from None
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ConfigError(
            f"upstream base URL must not have a query or fragment (?…, #…): {shown!r};"
            " send extra parameters as headers"
        )
    if "@" in parts.netloc:
        raise ConfigError(
            f"upstream URL must not carry credentials: {shown!r}; use api_key or headers"
        )
    path = parts.path.rstrip("/")
    if path.endswith(_ENDPOINTS):
        raise ConfigError(
            f"upstream URL must be the base, not an endpoint: {shown!r}"
            " (e.g. https://host/api/v3, not https://host/api/v3/chat/completions)"
        )
    assumed = not path
    return f"{scheme}://{parts.netloc}{path or '/v1'}", assumed


def _shown(text: str) -> str:
    """A URL as it may appear in an error: no credentials, no query."""
    parts = urlsplit(text)
    return (
        f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}" if parts.netloc else text
    )


def parse_upstream(entry: str | UpstreamSettings | Mapping[str, Any]) -> UpstreamSpec:
    """A ``gateway.upstreams`` entry (string or table) → :class:`UpstreamSpec` (or ConfigError)."""
    if isinstance(entry, str):
        entry = _from_string(entry)
    elif not isinstance(entry, UpstreamSettings):
        try:
            entry = UpstreamSettings.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"upstream {loc}: {first['msg']}") from None
    url, assumed = base_url(entry.url)
    if entry.weight <= 0:
        raise ConfigError(f"upstream weight must be positive: {entry.weight!r}")
    if entry.name is not None and not _NAME.fullmatch(entry.name):
        raise ConfigError(f"upstream name must be 1-64 of A-Z a-z 0-9 . _ -: {entry.name!r}")
    models = frozenset(m for m in entry.models if m) if entry.models is not None else None
    connect = ConnectOptions(
        proxy=entry.proxy,
        ca_file=entry.ca_file or None,
        client_cert=entry.client_cert or None,
        client_key=entry.client_key or None,
        verify=entry.verify,
    )
    if connect.proxy:
        parse_proxy(connect.proxy, "upstream proxy")
    key = entry.api_key.get_secret_value() if entry.api_key is not None else None
    return UpstreamSpec(
        url=url,
        weight=entry.weight,
        models=models,
        name=entry.name,
        model_map=_model_map(entry.model_map),
        api_key=key or None,
        headers=_headers(entry.headers),
        connect=connect,
        assumed_v1=assumed,
    )


def _from_string(text: str) -> UpstreamSettings:
    """``"URL name=a weight=2 models=x,y map=x=y,*=z proxy=… verify=false"`` → settings."""
    parts = text.split()
    if not parts:
        raise ConfigError("upstream must start with http:// or https://: ''")
    data: dict[str, Any] = {"url": parts[0]}
    for opt in parts[1:]:
        key, sep, value = opt.partition("=")
        if not sep or key not in _STRING_OPTIONS:
            raise ConfigError(
                f"unknown upstream option {key!r} (use {'=, '.join(_STRING_OPTIONS)}=)"
            )
        if key == "weight":
            try:
                data["weight"] = float(value)
            except ValueError:
                raise ConfigError(f"upstream weight is not a number: {opt!r}") from None
        elif key == "models":
            data["models"] = [m for m in value.split(",") if m]
        elif key == "map":
            data["model_map"] = _map_pairs(value)
        elif key == "verify":
            if value.lower() not in ("true", "false"):
                raise ConfigError(f"upstream verify must be true or false: {opt!r}")
            data["verify"] = value.lower() == "true"
        else:
            data[key] = value
    return UpstreamSettings.model_validate(data)


def _map_pairs(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in value.split(","):
        client, sep, target = pair.partition("=")
        if not sep or not client or not target:
            raise ConfigError(
                f"upstream map= takes CLIENT=UPSTREAM pairs separated by commas: {value!r}"
            )
        out[client] = target
    return out


def _model_map(raw: Mapping[str, str]) -> dict[str, str]:
    for client, target in raw.items():
        if not client.strip() or not target.strip():
            raise ConfigError("upstream model_map names must not be empty")
        if target == "*":
            raise ConfigError("upstream model_map: '*' is only allowed as a client name")
    return dict(raw)


def _headers(raw: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in raw.items():
        low = name.lower()
        if not _TOKEN.fullmatch(name):
            raise ConfigError(f"upstream header name is not valid: {name!r}")
        if low in _RESERVED_HEADERS:
            raise ConfigError(f"upstream header {name!r} is set by the gateway itself")
        if any(c in value for c in "\r\n\x00"):
            raise ConfigError(f"upstream header {name!r} has a line break in its value")
        out[low] = value
    return out
