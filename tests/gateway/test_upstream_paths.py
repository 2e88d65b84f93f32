"""Upstreams at the base paths real services use — Volcengine Ark ``/api/v3``, Zhipu GLM
``/api/paas/v4``, Baidu Qianfan ``/v2``, OpenAI ``/v1`` — over real HTTP: health probes, model
lists, chat and completions (streamed and not) all land under the base, never at ``{base}/v1/…``.
Also per-upstream keys and headers, and model names mapped with ``model_map``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .conftest import Running
from .netfixtures import PrefixedUpstream
from .servers import ServerThread

PREFIXES = ["/api/v3", "/api/paas/v4", "/v2", "/v1"]


@pytest.fixture(scope="module")
def vendors(mock_module: Any) -> Iterator[dict[str, tuple[PrefixedUpstream, ServerThread]]]:
    made: dict[str, tuple[PrefixedUpstream, ServerThread]] = {}
    try:
        for prefix in PREFIXES:
            app = PrefixedUpstream(mock_module.MockUpstream(f"up{prefix}"), prefix)
            made[prefix] = (app, ServerThread(app).__enter__())
        yield made
    finally:
        for _, server in made.values():
            server.__exit__(None, None, None)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_call_lands_under_the_base_path(
    prefix: str,
    vendors: dict[str, tuple[PrefixedUpstream, ServerThread]],
    make_gateway: Callable[..., Running],
) -> None:
    app, server = vendors[prefix]
    app.seen.clear()
    gw = make_gateway([server.url + prefix + "/"])  # a trailing slash is dropped
    assert app.paths("GET") == [prefix + "/models"]  # the start-up health probe
    ids = [m["id"] for m in gw.client.get("/v1/models").json()["data"]]
    assert ids == ["mock-2", "mock-gap2", "mock-model"]  # discovered at {base}/models

    r = gw.chat("你好", mock={"reply": "这是回答"})
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"].startswith("这是回答")

    r = gw.chat("你好", stream=True, mock={"reply": "流式的回答", "chunks": 3})
    assert r.status_code == 200 and "流式" in _streamed_text(r.text)

    r = gw.client.post(
        "/v1/completions", json={"model": "mock-model", "prompt": "你好", "mock": {"reply": "续写"}}
    )
    assert r.status_code == 200 and r.json()["choices"][0]["text"].startswith("续写")
    assert app.paths("POST") == [
        prefix + "/chat/completions",
        prefix + "/chat/completions",
        prefix + "/completions",
    ]


def test_a_base_without_a_path_still_means_v1(
    vendors: dict[str, tuple[PrefixedUpstream, ServerThread]],
    make_gateway: Callable[..., Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, server = vendors["/v1"]
    app.seen.clear()
    with caplog.at_level(logging.INFO, logger="hegui.gateway"):
        gw = make_gateway([server.url + " name=bare"])
    said = [r.getMessage() for r in caplog.records if "no path" in r.getMessage()]
    assert said == ["upstream bare: the base URL has no path, so /v1 is used"]  # once, no URL
    assert gw.chat("你好").status_code == 200
    assert app.paths() == ["/v1/models", "/v1/chat/completions"]


def test_keys_and_headers_per_upstream(
    vendors: dict[str, tuple[PrefixedUpstream, ServerThread]],
    make_gateway: Callable[..., Running],
) -> None:
    ark, ark_server = vendors["/api/v3"]
    glm, glm_server = vendors["/api/paas/v4"]
    ark.seen.clear()
    glm.seen.clear()
    gw = make_gateway(
        [
            {
                "url": ark_server.url + "/api/v3",
                "name": "ark",
                "api_key": "sk-ark",
                "headers": {"X-Tenant": "t1"},
                "models": ["doubao"],
            },
            {"url": glm_server.url + "/api/paas/v4", "name": "glm", "models": ["glm-4"]},
        ],
        upstream_api_key="sk-shared",
    )
    assert gw.chat("你好", model="doubao").status_code == 200
    assert gw.chat("你好", model="glm-4").status_code == 200
    (ark_post,) = [h for m, _, h in ark.seen if m == "POST"]
    (glm_post,) = [h for m, _, h in glm.seen if m == "POST"]
    assert ark_post["authorization"] == "Bearer sk-ark" and ark_post["x-tenant"] == "t1"
    assert glm_post["authorization"] == "Bearer sk-shared" and "x-tenant" not in glm_post
    ids = [m["id"] for m in gw.client.get("/v1/models").json()["data"]]
    assert ids == ["doubao", "glm-4"]


def test_model_map_sends_the_upstream_name_and_keeps_the_upstreams_answer(
    mock_module: Any, make_gateway: Callable[..., Running]
) -> None:
    mock = mock_module.MockUpstream("glm")
    app = PrefixedUpstream(mock, "/api/paas/v4", models=["glm-4-plus", "glm-4-flash"])
    with ServerThread(app) as server:
        gw = make_gateway(
            [
                {
                    "url": server.url + "/api/paas/v4",
                    "model_map": {"qwen2.5": "glm-4-plus", "*": "glm-4-flash"},
                }
            ]
        )
        ids = [m["id"] for m in gw.client.get("/v1/models").json()["data"]]
        assert ids == ["glm-4-flash", "glm-4-plus", "qwen2.5"]  # the mapped name is listed too
        for asked, sent in [
            ("qwen2.5", "glm-4-plus"),  # explicit
            ("glm-4-flash", "glm-4-flash"),  # listed by the upstream: unchanged
            ("gpt-4o-mini", "glm-4-flash"),  # anything else: the "*" default
        ]:
            r = gw.chat("你好", model=asked)
            assert r.status_code == 200, r.text
            assert mock.last["model"] == sent
            assert r.json()["model"] == sent  # the answer names the model that answered
            stream = gw.chat("你好", model=asked, stream=True, mock={"chunks": 2})
            assert stream.status_code == 200 and mock.last["model"] == sent
        assert mock.last["messages"] == [{"role": "user", "content": "你好"}]
        chats = [u.model for u in gw.records(7) if u.endpoint == "chat"]
        # Records keep the name the client asked for.
        assert chats == [name for name in ("qwen2.5", "glm-4-flash", "gpt-4o-mini") for _ in "ab"]


def _streamed_text(body: str) -> str:
    out = []
    for line in body.splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[6:]).get("choices", []):
                out.append((choice.get("delta") or {}).get("content") or "")
    return "".join(out)
