"""CORS: off by default (no headers at all), preflights and answers when origins are configured."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hegui.errors import ConfigError
from hegui.gateway.cors import Cors

from .conftest import Running

APP = "https://app.example.com"
PREFLIGHT = {
    "origin": APP,
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization, content-type",
}


def cors_headers(headers: Any) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.startswith("access-control-")}


def test_off_by_default_no_cors_headers_and_preflight_is_405(gw: Running) -> None:
    assert gw.app.cors is None
    r = gw.client.options("/v1/chat/completions", headers=PREFLIGHT)
    assert r.status_code == 405 and cors_headers(r.headers) == {}
    r = gw.client.post(
        "/v1/chat/completions",
        json={"model": "mock-model", "messages": [{"role": "user", "content": "hi"}]},
        headers={"origin": APP},
    )
    assert r.status_code == 200 and cors_headers(r.headers) == {}


@pytest.fixture
def cors_gw(make_gateway: Callable[..., Running], upstream: Any) -> Running:
    return make_gateway([upstream.url], cors_origins=[APP, "http://localhost:5173"])


def test_preflight_from_an_allowed_origin(cors_gw: Running) -> None:
    r = cors_gw.client.options("/v1/responses", headers=PREFLIGHT)
    assert r.status_code == 204 and r.content == b""
    h = r.headers
    assert h["access-control-allow-origin"] == APP
    assert h["access-control-allow-methods"] == "POST"
    assert h["access-control-allow-headers"] == "authorization, content-type, x-request-id"
    assert h["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in h
    assert "origin" in h["vary"].lower()
    models = cors_gw.client.options("/v1/models", headers=PREFLIGHT)
    assert models.headers["access-control-allow-methods"] == "GET"


def test_preflight_from_another_origin_is_403_without_cors_headers(cors_gw: Running) -> None:
    r = cors_gw.client.options(
        "/v1/chat/completions", headers={**PREFLIGHT, "origin": "https://evil.test"}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "cors_forbidden"
    assert cors_headers(r.headers) == {}


def test_answers_to_an_allowed_origin_carry_the_headers(cors_gw: Running) -> None:
    body = {"model": "mock-model", "messages": [{"role": "user", "content": "hi"}]}
    for stream in (False, True):
        r = cors_gw.client.post(
            "/v1/chat/completions", json={**body, "stream": stream}, headers={"origin": APP}
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == APP
        exposed = r.headers["access-control-expose-headers"]
        assert "x-request-id" in exposed and "x-aigc-label" in exposed
        assert "access-control-allow-credentials" not in r.headers
    error = cors_gw.client.post("/v1/chat/completions", json={"model": 3}, headers={"origin": APP})
    assert error.status_code == 400 and error.headers["access-control-allow-origin"] == APP
    other = cors_gw.client.post(
        "/v1/chat/completions", json=body, headers={"origin": "https://evil.test"}
    )
    assert other.status_code == 200 and cors_headers(other.headers) == {}
    plain = cors_gw.client.post("/v1/chat/completions", json=body)  # not a browser
    assert plain.status_code == 200 and cors_headers(plain.headers) == {}


def test_any_origin_and_echoed_headers(make_gateway: Callable[..., Running], upstream: Any) -> None:
    gw = make_gateway([upstream.url], cors_origins=["*"], cors_allow_headers=["*"])
    asked = "authorization, content-type, x-stainless-os"
    r = gw.client.options(
        "/v1/embeddings",
        headers={**PREFLIGHT, "origin": "https://x.test", "access-control-request-headers": asked},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-headers"] == asked
    assert "vary" not in r.headers


@pytest.mark.parametrize(
    "origin", ["https://app.example.com/", "app.example.com", "https://a.test/x"]
)
def test_an_origin_that_is_not_one_is_a_config_error(origin: str) -> None:
    with pytest.raises(ConfigError):
        Cors([origin], [], 600)
