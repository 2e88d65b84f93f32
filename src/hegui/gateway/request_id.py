"""The id of the request being served, for every log line, the usage record and the response.

A client may send its own ``x-request-id`` (kept when it is at most 128 printable ASCII
characters, so it cannot forge log lines or smuggle PII-sized payloads); otherwise the gateway
makes one. The id lives in a context variable set by the gateway for the duration of one HTTP
request, so any code running for that request (the usage path included) can read it with
:func:`current_request_id` without it being passed around.
"""

from __future__ import annotations

import os
from contextvars import ContextVar, Token

__all__ = [
    "HEADER",
    "MAX_LENGTH",
    "accept_or_new",
    "current_request_id",
    "new_request_id",
    "reset_request_id",
    "set_request_id",
]

MAX_LENGTH = 128
HEADER = b"x-request-id"
_current: ContextVar[str | None] = ContextVar("hegui_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request this code runs for, or None outside a request."""
    return _current.get()


def set_request_id(value: str | None) -> Token[str | None]:
    return _current.set(value)


def reset_request_id(token: Token[str | None]) -> None:
    _current.reset(token)


def new_request_id() -> str:
    return os.urandom(12).hex()


def _sane(value: bytes) -> bool:
    return 0 < len(value) <= MAX_LENGTH and all(0x21 <= b <= 0x7E for b in value)


def accept_or_new(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's ``x-request-id`` when it is sane, else a new random id."""
    for name, value in headers:
        if name == HEADER:
            return value.decode("ascii") if _sane(value) else new_request_id()
    return new_request_id()
