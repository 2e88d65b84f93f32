"""Which end user a request is for: the ``X-Hegui-User`` header, else the body's ``user``.

The header wins when both are sent (even when they differ): the provider's backend sets it on
purpose, while SDKs pass ``user`` along from wherever the app filled it in. ``"user": null`` is
the same as no ``user``. Anything else that is not a non-empty printable string of at most
``end_users.max_id_chars`` characters is refused with 400 (``param: "user"``) before any record
is created (:func:`hegui.ops.end_users.check_end_user_id`).
"""

from __future__ import annotations

from typing import Any

from hegui.config import EndUserSettings
from hegui.errors import InputError
from hegui.gateway.errors import GatewayError
from hegui.ops.end_users import check_end_user_id
from hegui.ops.records import AccountView

__all__ = ["HEADER", "end_user_id", "pseudonymise_user"]

HEADER = b"x-hegui-user"


def _refuse(message: str) -> GatewayError:
    return GatewayError(400, message, code="invalid_user", param="user", decision="invalid")


def end_user_id(
    headers: list[tuple[bytes, bytes]], doc: dict[str, Any] | None, cfg: EndUserSettings
) -> str | None:
    """The end-user id the request names, None when it names none (or end users are off)."""
    if not cfg.enabled:
        return None
    sent = {value for name, value in headers if name == HEADER}
    value: object
    if len(sent) > 1:
        raise _refuse("Send one X-Hegui-User header: the request has several different ones.")
    if sent:
        try:
            value = next(iter(sent)).decode("utf-8")
        except UnicodeDecodeError:
            raise _refuse("The X-Hegui-User header is not valid UTF-8.") from None
    elif cfg.body_user and doc is not None and doc.get("user") is not None:
        value = doc["user"]
    else:
        return None
    try:
        return check_end_user_id(value, cfg.max_id_chars)
    except InputError as exc:
        raise _refuse(str(exc)) from None


def pseudonymise_user(doc: dict[str, Any], account: AccountView | None) -> bool:
    """Replace the body's ``user`` with the served person's pseudonym before it goes upstream.

    The upstream still sees one stable id per person (what OpenAI asks ``user`` for, abuse
    monitoring), but never the app's own id for them, which is often an e-mail address or a
    phone number: personal information the model vendor need not receive (PIPL Art. 6,
    minimisation). Returns whether the body changed (and so must be encoded again).
    """
    if doc.get("user") is None:
        return False
    doc["user"] = account.pseudonym if account is not None else None
    if doc["user"] is None:
        del doc["user"]
    return True
