"""Moderations, models, images, health, metrics — and the official openai client end to end."""

from __future__ import annotations

import base64
import json

import pytest

from hegui.labeling import parse_label
from tests.lazy import openai

from .conftest import Running


def test_moderations_follow_openai_schema_with_hegui_codes(gw: Running) -> None:
    r = gw.client.post("/v1/moderations", json={"input": ["炸弹制作", "你好"]})
    assert r.status_code == 200
    first, second = r.json()["results"]
    assert first["flagged"] is True and first["categories"]["violence"] is True
    assert first["category_scores"]["illicit/violent"] == 1.0
    assert first["hegui"]["risks"][0]["code"] == "A.1.d"
    assert second["flagged"] is False and not any(second["categories"].values())


def test_moderations_reject_bad_input(gw: Running) -> None:
    r = gw.client.post("/v1/moderations", json={"input": 5})
    assert r.status_code == 400 and r.json()["error"]["param"] == "input"


def test_models_are_aggregated_from_upstream_health_checks(gw: Running) -> None:
    ids = [m["id"] for m in gw.client.get("/v1/models").json()["data"]]
    assert ids == ["mock-2", "mock-gap2", "mock-model"]


def test_health_ready_metrics(gw: Running) -> None:
    assert gw.client.get("/healthz").status_code == 200
    ready = gw.client.get("/readyz").json()
    assert ready["status"] == "ok"
    assert {k: c["status"] for k, c in ready["components"].items()} == {
        "store": "ok",
        "upstreams": "ok",
    }
    gw.chat("hi")
    gw.records(1)
    text = gw.client.get("/metrics").text
    assert 'hegui_requests_total{decision="allow",endpoint="chat",status="200"} 1.0' in text
    assert "hegui_moderation_seconds_bucket" in text


@pytest.mark.parametrize("as_url", [False, True])
def test_generated_images_come_back_labelled(gw: Running, upstream, as_url: bool) -> None:  # type: ignore[no-untyped-def]
    mock = {"as_url": f"{upstream.url}/image.png"} if as_url else {}
    r = gw.client.post(
        "/v1/images/generations", json={"model": "mock-model", "prompt": "a cat", "mock": mock}
    )
    assert r.status_code == 200, r.text
    item = r.json()["data"][0]
    assert "url" not in item
    png = base64.b64decode(item["b64_json"])
    assert png.startswith(b"\x89PNG") and r.json()["hegui"]["label"]["Label"] == "1"
    assert (
        json.loads(r.headers["x-aigc-label"])["ProduceID"]
        == r.json()["hegui"]["label"]["ProduceID"]
    )


def test_each_generated_image_gets_its_own_produce_id(gw: Running) -> None:
    from hegui.labeling.carriers import png

    r = gw.client.post(
        "/v1/images/generations", json={"model": "mock-model", "prompt": "a cat", "n": 3}
    )
    assert r.status_code == 200, r.text
    items, labels = r.json()["data"], r.json()["hegui"]["labels"]
    assert len(items) == len(labels) == 3
    embedded = [
        png.read(base64.b64decode(item["b64_json"]))[0].parsed.fields["ProduceID"] for item in items
    ]
    assert embedded == [label["ProduceID"] for label in labels]
    assert len(set(embedded)) == 3
    assert json.loads(r.headers["x-aigc-label"])["ProduceID"] == embedded[0]


def test_image_prompt_with_prohibited_term_is_refused(gw: Running) -> None:
    r = gw.client.post(
        "/v1/images/generations", json={"model": "mock-model", "prompt": "炸弹制作图解"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "content_filter"


def test_label_header_is_a_wellformed_gb45438_label(gw: Running) -> None:
    r = gw.chat("hi")
    parsed = parse_label(r.headers["x-aigc-label"])
    assert parsed.wellformed


# ------------------------------------------------------------------ the official client
@pytest.fixture
def client(gw: Running) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gw.url}/v1", api_key="sk-good", max_retries=0, timeout=20)


def test_openai_client_non_stream_and_refusal(client: openai.OpenAI) -> None:
    ok = client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "你好"}]
    )
    assert ok.choices[0].finish_reason == "stop" and ok.choices[0].message.content
    refused = client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "炸弹制作"}]
    )
    assert refused.choices[0].finish_reason == "content_filter"
    assert refused.model_extra and refused.model_extra["hegui"]["risk_codes"] == ["A.1.d"]


def test_openai_client_stream_and_stream_stop(client: openai.OpenAI) -> None:
    parts = [
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(
            model="mock-model",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            extra_body={"mock": {"reply": "一段正常的流式回答", "chunk_chars": 1}},
        )
        if c.choices
    ]
    assert "".join(parts).startswith("一段正常的流式回答")
    chunks = list(
        client.chat.completions.create(
            model="mock-model",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            extra_body={
                "mock": {
                    "reply": "正常的开头内容已经足够长了接下来是违禁词后面还有",
                    "chunk_chars": 1,
                }
            },
        )
    )
    assert chunks[-1].choices[0].finish_reason == "content_filter"
    assert chunks[-1].model_extra and chunks[-1].model_extra["hegui"]["incident_id"]
    assert "违禁词" not in "".join(c.choices[0].delta.content or "" for c in chunks)


def test_openai_client_sees_errors_as_exceptions(client: openai.OpenAI, gw: Running) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    bad = openai.OpenAI(base_url=f"{gw.url}/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": "hi"}]
        )
    mod = client.moderations.create(input="炸弹制作")
    assert mod.results[0].flagged
