"""Numbers with hidden digits through the real engine, in prompts and answers (issue 11, item 5).

Before: resident ID, phone and bank-card numbers with zero-width characters, spaces, dashes or
dots between their digits, or in Chinese numerals, were released whole in streams and
non-streamed answers and forwarded unmasked in prompts.
"""

from __future__ import annotations

import pytest

from hegui.safety.pii import luhn_is_valid, resident_id_check_char
from hegui.safety.pii.fold import NUMERALS

from .conftest import Client, message_texts, visible

MOBILE = "13800138000"
RID = "11010519491231002" + resident_id_check_char("11010519491231002")
CARD = next("622202123456789" + d for d in "0123456789" if luhn_is_valid("622202123456789" + d))
ZH = {v: k for k, v in NUMERALS.items() if k in "〇一二三四五六七八九"}

HIDDEN = {
    "mobile, zero-width": "\u200b".join(MOBILE),
    "mobile, zero-width + joiner": "\u200b\u200c".join(MOBILE),
    "mobile, spaces": " ".join(MOBILE),
    "mobile, dots": "138.0013.8000",
    "mobile, numerals": "".join(ZH[c] for c in MOBILE),
    "id, spaces": " ".join(RID),
    "id, zero-width": "\u200b".join(RID),
    "card, dashes": "-".join(CARD),
    "card, numerals": "".join(ZH[c] for c in CARD),
}
WHOLE = {"mobile": MOBILE, "id": RID, "card": CARD}


def digits(text: str) -> str:
    return "".join(NUMERALS.get(c, c) for c in text if c.isdigit() or c in NUMERALS)


def number_of(name: str) -> str:
    return WHOLE[name.split(",")[0]]


@pytest.mark.parametrize("name", HIDDEN)
def test_prompt_is_forwarded_masked(real: Client, name: str) -> None:
    text = f"请记下我的号码：{HIDDEN[name]}，谢谢"
    r = real.post(
        "/v1/chat/completions",
        {"model": "mock-model", "messages": [{"role": "user", "content": text}]},
    )
    assert r.status_code == 200, r.text[:300]
    assert number_of(name) not in digits(message_texts(real.forwarded))


@pytest.mark.parametrize("name", HIDDEN)
@pytest.mark.parametrize("stream", [False, True])
def test_answer_is_masked(real: Client, name: str, stream: bool) -> None:
    reply = (
        "好的，已经为你查到了。" * 3 + f"号码是{HIDDEN[name]}，请妥善保管。" + "祝你生活愉快。" * 3
    )
    body = {
        "model": "mock-model",
        "stream": stream,
        "messages": [{"role": "user", "content": "查一下"}],
        "mock": {"reply": reply, "chunk_chars": 1},
    }
    r = real.post("/v1/chat/completions", body)
    assert r.status_code == 200, r.text[:300]
    assert number_of(name) not in digits(visible(r))  # masked (or the answer refused whole)
