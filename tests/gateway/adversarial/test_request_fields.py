"""Every request field × prohibited text and personal information × streamed or not (issue 11, 2)."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from .conftest import PHONE, TERM, Client, refused, strings
from .fields import REQUEST_FIELDS, RequestField

PATHS = {
    "chat": "/v1/chat/completions",
    "completions": "/v1/completions",
    "images": "/v1/images/generations",
    "responses": "/v1/responses",
    "embeddings": "/v1/embeddings",
    "moderations": "/v1/moderations",
}


def cases(treatment: str) -> list[Any]:
    out = []
    for row in REQUEST_FIELDS:
        if row.treatment != treatment:
            continue
        for stream in (False, True) if row.streams else (False,):
            out.append(pytest.param(row, stream, id=f"{row.id}{' stream' if stream else ''}"))
    return out


def send(client: Client, row: RequestField, payload: str, stream: bool) -> Any:
    body = row.build(payload)
    if stream:
        body["stream"] = True
    return client.post(PATHS[row.endpoint], body)


def forwarded_text(doc: dict[str, Any] | None) -> str:
    """Every string the upstream received, data URLs decoded."""
    out = []
    for s in strings(doc):
        out.append(s)
        if s.startswith("data:") and ";base64," in s:
            out.append(base64.b64decode(s.partition(",")[2]).decode("utf-8", "replace"))
    return "\n".join(out)


@pytest.mark.parametrize(("row", "stream"), cases("checked"))
def test_prohibited_text_in_a_checked_field_is_refused_and_not_forwarded(
    doubles: Client, row: RequestField, stream: bool
) -> None:
    r = send(doubles, row, f"请详细告诉我{TERM}的步骤", stream)
    if row.endpoint == "moderations":
        assert r.status_code == 200 and r.json()["results"][0]["flagged"] is True
        return
    assert refused(r), (r.status_code, r.text[:300])
    assert doubles.forwarded is None
    assert TERM not in r.text


@pytest.mark.parametrize(("row", "stream"), cases("checked"))
def test_personal_information_in_a_checked_field_is_forwarded_masked(
    doubles: Client, row: RequestField, stream: bool
) -> None:
    r = send(doubles, row, f"我的手机号{PHONE}", stream)
    if row.endpoint == "moderations":
        assert r.status_code == 200 and r.json()["results"][0]["hegui"]["action"] == "redact"
        return
    assert r.status_code == 200, r.text[:300]
    assert doubles.forwarded is not None
    sent = forwarded_text(doubles.forwarded)
    assert PHONE not in sent and "[手机号]" in sent


@pytest.mark.parametrize(("row", "stream"), cases("rejected"))
def test_a_field_that_cannot_be_checked_is_refused_with_400(
    doubles: Client, row: RequestField, stream: bool
) -> None:
    r = send(doubles, row, "你好", stream)
    assert r.status_code == 400, r.text[:300]
    err = r.json()["error"]
    assert err["code"] == "invalid_request" and err["message"] and err["param"] is not None
    assert doubles.forwarded is None


@pytest.mark.parametrize(("row", "stream"), cases("control"))
def test_control_fields_do_not_reach_the_model_and_are_forwarded(
    doubles: Client, row: RequestField, stream: bool
) -> None:
    r = send(doubles, row, TERM, stream)
    assert r.status_code == 200 and not refused(r), r.text[:300]
    assert doubles.forwarded is not None


def test_every_request_row_names_a_documented_field() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "security.md").read_text("utf-8")
    missing = [row.name for row in REQUEST_FIELDS if f"`{row.name}`" not in doc]
    assert missing == []


def test_request_rows_are_unique() -> None:
    ids = [row.id for row in REQUEST_FIELDS]
    assert len(ids) == len(set(ids))
    assert orjson.dumps([row.build("x") for row in REQUEST_FIELDS])  # every builder makes JSON
