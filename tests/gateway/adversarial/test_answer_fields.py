"""Every answer field × prohibited text and personal information × streamed or not (issue 11, 1, 4).

The mock upstream answers with exactly the document (``mock.answer``) or events
(``mock.events``) a row builds; whatever the field, nothing prohibited and no unmasked personal
information may be visible to the client, and a checked field's prohibited text refuses the answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PHONE, TERM, Client, refused, visible
from .fields import ANSWER_FIELDS, AnswerField

PATHS = {
    "chat": "/v1/chat/completions",
    "completions": "/v1/completions",
    "images": "/v1/images/generations",
    "responses": "/v1/responses",
    "embeddings": "/v1/embeddings",
}


def cases() -> list[Any]:
    out = []
    for row in ANSWER_FIELDS:
        if row.answer is not None:
            out.append(pytest.param(row, False, id=row.id))
        if row.events is not None:
            out.append(pytest.param(row, True, id=f"{row.id} stream"))
    return out


def ask(client: Client, row: AnswerField, payload: str, stream: bool) -> Any:
    if row.endpoint == "chat":
        body: dict[str, Any] = {
            "model": "mock-model",
            "messages": [{"role": "user", "content": "你好"}],
        }
    elif row.endpoint == "responses":
        body = {"model": "mock-model", "input": "你好"}
    else:
        body = {"model": "mock-model", "prompt": "你好"}
    if stream:
        assert row.events is not None
        body["stream"] = True
        body["mock"] = {"events": row.events(payload)}
    else:
        assert row.answer is not None
        body["mock"] = {"answer": row.answer(payload)}
    return client.post(PATHS[row.endpoint], body)


@pytest.mark.parametrize(("row", "stream"), cases())
def test_prohibited_text_in_an_answer_field_never_reaches_the_client(
    doubles: Client, row: AnswerField, stream: bool
) -> None:
    r = ask(doubles, row, TERM, stream)
    assert r.status_code in (200, 400), r.text[:300]
    assert TERM not in visible(r)
    if row.treatment == "checked":
        assert refused(r), r.text[:400]
        assert doubles.backend.incidents[-1].direction == "output"


@pytest.mark.parametrize(("row", "stream"), cases())
def test_personal_information_in_an_answer_field_is_masked_or_dropped(
    doubles: Client, row: AnswerField, stream: bool
) -> None:
    r = ask(doubles, row, f"电话{PHONE}", stream)
    assert r.status_code == 200, r.text[:300]
    assert PHONE not in visible(r)


def test_every_answer_row_names_a_documented_field() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "security.md").read_text("utf-8")
    missing = [row.name for row in ANSWER_FIELDS if f"`{row.name}`" not in doc]
    assert missing == []
