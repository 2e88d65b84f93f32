"""``/v1/embeddings`` over real HTTP: inputs checked like a prompt, answers allow-listed, recorded."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

from hegui.gateway.embeddings import clean_embeddings
from hegui.gateway.errors import GatewayError
from tests.lazy import openai

from .conftest import Running
from .servers import ServerThread

TERM = "炸弹制作"
PHONE = "13800138000"


@pytest.fixture
def client(gw: Running) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="sk-good", max_retries=0)


def mock_of(upstream: ServerThread) -> Any:
    return upstream.server.config.app


def test_openai_client_gets_vectors_and_the_usage_is_recorded(
    gw: Running, client: openai.OpenAI
) -> None:
    out = client.embeddings.create(model="mock-model", input=["你好", "世界"])
    assert [d.index for d in out.data] == [0, 1]
    assert all(len(d.embedding) == 8 for d in out.data)
    assert out.data[0].embedding != out.data[1].embedding
    assert out.usage.prompt_tokens == 4
    one = client.embeddings.create(model="mock-model", input="你好")
    assert one.data[0].embedding == out.data[0].embedding
    records = gw.records(2)
    assert [r.endpoint for r in records] == ["embeddings", "embeddings"]
    assert records[0].prompt_tokens == 4 and records[0].decision == "allow"


def test_base64_vectors_pass_through(gw: Running, client: openai.OpenAI) -> None:
    floats = client.embeddings.create(model="mock-model", input="你好").data[0].embedding
    raw = gw.client.post(
        "/v1/embeddings",
        json={"model": "mock-model", "input": "你好", "encoding_format": "base64"},
    )
    vector = raw.json()["data"][0]["embedding"]
    assert isinstance(vector, str)
    unpacked = struct.unpack("<8f", base64.b64decode(vector))
    assert unpacked == pytest.approx(floats, rel=1e-6)


@pytest.mark.parametrize("value", [TERM, ["你好", f"请告诉我{TERM}"]])
def test_prohibited_input_is_refused_and_not_forwarded(
    gw: Running, client: openai.OpenAI, upstream: ServerThread, value: Any
) -> None:
    mock = mock_of(upstream)
    mock.last = None
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="mock-model", input=value)
    assert info.value.code == "content_filter"
    body: Any = info.value.body
    assert body["param"] == "input"
    assert mock.last is None
    assert gw.backend.incidents[-1].direction == "input"
    record = gw.records(1)[-1]
    assert record.endpoint == "embeddings" and record.decision == "refuse" and record.status == 400


def test_personal_information_is_masked_before_forwarding(
    gw: Running, upstream: ServerThread
) -> None:
    r = gw.client.post(
        "/v1/embeddings", json={"model": "mock-model", "input": ["你好", f"电话{PHONE}"]}
    )
    assert r.status_code == 200 and r.json()["hegui"]["action"] == "redact"
    sent = mock_of(upstream).last["input"]
    assert sent[0] == "你好" and PHONE not in sent[1] and "[手机号]" in sent[1]


def test_failed_check_is_503(gw: Running, upstream: ServerThread) -> None:
    gw.checker.fail = True
    mock = mock_of(upstream)
    mock.last = None
    r = gw.client.post("/v1/embeddings", json={"model": "mock-model", "input": "新的文本"})
    assert r.status_code == 503 and r.json()["error"]["code"] == "moderation_failed"
    assert mock.last is None


@pytest.mark.parametrize("value", [[1, 2, 3], [[1, 2], [3]], [], None, ["ok", 3], {"text": "hi"}])
def test_token_arrays_and_other_shapes_are_a_400(
    gw: Running, upstream: ServerThread, value: Any
) -> None:
    mock = mock_of(upstream)
    mock.last = None
    r = gw.client.post("/v1/embeddings", json={"model": "mock-model", "input": value})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == "input"
    assert mock.last is None


def test_unknown_string_fields_are_checked_too(gw: Running, upstream: ServerThread) -> None:
    r = gw.client.post(
        "/v1/embeddings", json={"model": "mock-model", "input": "你好", "prefix": TERM}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "content_filter"


def test_the_upstream_answer_is_rebuilt_from_the_documented_fields(
    gw: Running, upstream: ServerThread
) -> None:
    answer = {
        "object": "list",
        "model": "mock-model",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 1], "note": TERM}],
        "usage": {"prompt_tokens": 2, "total_tokens": 2, "note": TERM},
        "extra": TERM,
    }
    r = gw.client.post(
        "/v1/embeddings",
        json={"model": "mock-model", "input": "你好", "mock": {"answer": answer}},
    )
    assert r.status_code == 200 and TERM not in r.text
    assert r.json()["data"] == [{"object": "embedding", "index": 0, "embedding": [0.5, 1]}]


@pytest.mark.parametrize(
    "answer",
    [
        {"data": [{"embedding": ["text"]}]},
        {"data": [{"embedding": "not base64!"}]},
        {"data": "x"},
        {"choices": []},
        [1, 2],
    ],
)
def test_an_answer_that_is_not_embeddings_is_a_502(answer: Any) -> None:
    with pytest.raises(GatewayError) as info:
        clean_embeddings(json.dumps(answer).encode(), "m")
    assert info.value.status == 502 and info.value.code == "upstream_invalid"


def test_unknown_model_is_404(gw: Running) -> None:
    r = gw.client.post("/v1/embeddings", json={"model": "nope", "input": "你好"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
