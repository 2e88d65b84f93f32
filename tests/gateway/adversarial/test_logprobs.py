"""Logprobs follow their text: kept when it is, masked with it, dropped with it (issue 11, item 1).

Before: a refused or redacted non-streamed answer came back in full, token by token, in
``choices[].logprobs`` when the client asked for logprobs.
"""

from __future__ import annotations

from typing import Any

from .conftest import PHONE, TERM, Client, visible
from .fields import _logprob_rows, chat_answer, completion_answer

ASK = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}], "logprobs": True}


def _ask(client: Client, answer: dict[str, Any]) -> Any:
    return client.post("/v1/chat/completions", {**ASK, "mock": {"answer": answer}})


def test_clean_answer_keeps_its_logprobs(doubles: Client) -> None:
    text = "今天天气很好"
    r = _ask(
        doubles,
        chat_answer(
            {"content": text},
            choice={"logprobs": {"content": _logprob_rows(text, "明"), "refusal": None}},
        ),
    )
    lp = r.json()["choices"][0]["logprobs"]["content"]
    assert "".join(t["token"] for t in lp) == text
    assert lp[0]["top_logprobs"][1]["token"] == "明" and lp[0]["bytes"] == list("今".encode())


def test_refused_answer_loses_its_logprobs(doubles: Client) -> None:
    text = f"好的，{TERM}步骤"
    r = _ask(
        doubles,
        chat_answer(
            {"content": text},
            choice={"logprobs": {"content": _logprob_rows(text), "refusal": None}},
        ),
    )
    choice = r.json()["choices"][0]
    assert choice["finish_reason"] == "content_filter" and choice["logprobs"] is None


def test_redacted_answer_has_its_tokens_masked_the_same_way(lexicon: Client) -> None:
    text = f"请拨打{PHONE}联系客服"
    r = _ask(
        lexicon,
        chat_answer(
            {"content": text},
            choice={"logprobs": {"content": _logprob_rows(text, "9" * len(text)), "refusal": None}},
        ),
    )
    choice = r.json()["choices"][0]
    content = choice["message"]["content"]
    assert PHONE not in content and "*" in content
    rows = choice["logprobs"]["content"]
    spelled = "".join(row["token"] for row in rows)
    assert content.startswith(spelled) and "*" in spelled  # the label comes after the tokens
    for row in rows:
        if row["token"] == "*":
            assert row["top_logprobs"] == [] and row["bytes"] == [42]
    assert PHONE not in visible(r)


def test_alternatives_that_spell_prohibited_text_are_removed(doubles: Client) -> None:
    text = "好" * len(TERM)
    r = _ask(
        doubles,
        chat_answer(
            {"content": text},
            choice={"logprobs": {"content": _logprob_rows(text, TERM), "refusal": None}},
        ),
    )
    rows = r.json()["choices"][0]["logprobs"]["content"]
    assert [row["token"] for row in rows] == list(text)  # the chosen tokens stay
    assert all(row["top_logprobs"] == [] for row in rows)


def test_completions_logprobs_follow_a_redaction(lexicon: Client) -> None:
    text = f"电话{PHONE}"
    answer = completion_answer(
        text,
        choice={
            "logprobs": {
                "tokens": list(text),
                "token_logprobs": [-0.1] * len(text),
                "top_logprobs": [{c: -0.1} for c in text],
                "text_offset": list(range(len(text))),
            }
        },
    )
    r = lexicon.post(
        "/v1/completions",
        {"model": "mock-model", "prompt": "你好", "logprobs": 1, "mock": {"answer": answer}},
    )
    lp = r.json()["choices"][0]["logprobs"]
    assert PHONE not in "".join(lp["tokens"]) and len(lp["tokens"]) == len(text)
    assert PHONE not in visible(r)
