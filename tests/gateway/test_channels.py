"""gateway/channels.py as a library: which request strings are slots, and writing masks back."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from hegui.gateway.channels import Bundle, request_slots
from hegui.gateway.errors import GatewayError


def test_a_bundle_is_every_string_and_key_and_writes_masks_back_in_place() -> None:
    doc: dict[str, Any] = {
        "properties": {"phone 13800138000": {"description": "call 13800138000"}},
        "enum": ["a", "13800138000"],
        "n": 3,
    }
    bundle = Bundle()
    bundle.collect(doc)
    text = bundle[0]
    assert text.split("\n") == [
        "properties", "phone 13800138000", "description", "call 13800138000", "enum", "a", "13800138000", "n",
    ]  # fmt: skip
    bundle[0] = text.replace("13800138000", "138****8000")  # a mask keeps lengths
    assert doc == {
        "properties": {"phone 138****8000": {"description": "call 138****8000"}},
        "enum": ["a", "138****8000"],
        "n": 3,
    }


def test_a_bundle_takes_a_redaction_that_changes_lengths_line_by_line() -> None:
    doc = {"a": "x 13800138000", "b": "y"}
    bundle = Bundle()
    bundle.collect(doc)
    bundle[0] = bundle[0].replace("13800138000", "[phone]")
    assert doc == {"a": "x [phone]", "b": "y"}
    with pytest.raises(GatewayError):
        bundle[0] = "one line"


def test_slots_follow_the_rendering_order_and_point_into_the_request() -> None:
    doc = {
        "model": "m",
        "temperature": 0.2,
        "tools": [{"type": "function", "function": {"name": "f", "description": "d"}}],
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "name": "n", "content": [{"type": "text", "text": "t"}]},
        ],
        "documents": [{"text": "doc"}],
    }
    slots = request_slots(doc, "chat")
    assert [c[k] for c, k in slots] == [
        "type\nfunction\nfunction\nname\nf\ndescription\nd",
        "s",
        "n",
        "t",
        "text\ndoc",
    ]
    container, key = slots[3]
    container[key] = "T"
    assert doc["messages"][1]["content"][0]["text"] == "T"


def test_a_text_file_part_is_its_decoded_text_and_is_written_back_as_a_data_url() -> None:
    data = "data:text/markdown;base64," + base64.b64encode("电话13800138000".encode()).decode()
    doc = {
        "model": "m",
        "messages": [{"role": "user", "content": [{"type": "file", "file": {"file_data": data}}]}],
    }
    ((container, key),) = request_slots(doc, "chat")
    assert container[key] == "电话13800138000"
    container[key] = "电话138****8000"
    written = doc["messages"][0]["content"][0]["file"]["file_data"]
    assert written.startswith("data:text/markdown;base64,")
    assert base64.b64decode(written.partition(",")[2]).decode() == "电话138****8000"


def test_deeply_nested_extensions_are_refused() -> None:
    deep: Any = "x"
    for _ in range(40):
        deep = {"k": deep}
    with pytest.raises(GatewayError) as err:
        request_slots(
            {"model": "m", "messages": [{"role": "user", "content": "hi"}], "ext": deep}, "chat"
        )
    assert err.value.status == 400
