"""Which end user a request names: header over body, settings, refusals (hegui.gateway.end_user)."""

from __future__ import annotations

import pytest

from hegui.config import EndUserSettings
from hegui.gateway.end_user import end_user_id
from hegui.gateway.errors import GatewayError

ON = EndUserSettings()


def test_the_header_wins_over_the_body() -> None:
    assert end_user_id([(b"x-hegui-user", b"bob")], {"user": "alice"}, ON) == "bob"
    assert end_user_id([], {"user": "alice"}, ON) == "alice"
    assert end_user_id([(b"x-hegui-user", "张三".encode())], None, ON) == "张三"


def test_no_id_null_user_and_settings_that_turn_it_off() -> None:
    assert end_user_id([], {"model": "m"}, ON) is None
    assert end_user_id([], {"user": None}, ON) is None
    assert end_user_id([], {"user": "alice"}, EndUserSettings(body_user=False)) is None
    off = EndUserSettings(enabled=False)
    assert end_user_id([(b"x-hegui-user", b"bob")], {"user": 5}, off) is None


@pytest.mark.parametrize(
    ("headers", "doc"),
    [
        ([(b"x-hegui-user", b"a"), (b"x-hegui-user", b"b")], None),
        ([(b"x-hegui-user", b"\xff\xfe")], None),
        ([(b"x-hegui-user", b"")], None),
        ([], {"user": ""}),
        ([], {"user": 3}),
        ([], {"user": "y" * 129}),
        ([], {"user": "a\u2028b"}),
    ],
)
def test_bad_ids_are_400_on_param_user(headers: list[tuple[bytes, bytes]], doc: object) -> None:
    with pytest.raises(GatewayError) as err:
        end_user_id(headers, doc, ON)  # type: ignore[arg-type]
    assert err.value.status == 400 and err.value.param == "user"
    assert err.value.type == "invalid_request_error"
