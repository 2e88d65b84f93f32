"""Keyset paging for listings that can grow without bound (accounts, keys, end users).

Why keyset and not offset: a page is "the next ``limit`` rows after the row with id ``after``"
in a fixed order, so pages neither skip nor repeat rows when others are added meanwhile, and the
database seeks to the cursor instead of counting past ``offset`` rows. The admin API and the CLI
call the same functions; a bad cursor or limit is a :class:`PagingError` naming the parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Row, Select, and_, or_, select

from hegui.errors import InputError

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Page", "PagingError", "check_limit", "keyset_page"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

T = TypeVar("T")


class PagingError(InputError):
    """A paging parameter is wrong; ``param`` names it (``after`` or ``limit``)."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page in listing order; ``has_more``: a next page exists (pass the last id)."""

    items: list[T]
    has_more: bool


def check_limit(limit: int) -> int:
    """``limit`` when it is 1–:data:`MAX_LIMIT`, else :class:`PagingError`."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise PagingError(f"limit must be an integer from 1 to {MAX_LIMIT}", "limit")
    return limit


def keyset_page(
    conn: Connection,
    stmt: Select[Any],
    *,
    key: Any,
    at: Any | None = None,
    after: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Row[Any]]:
    """Rows of ``stmt`` ordered by (``at``, ``key``) — ``key`` alone without ``at`` — that come
    after the row whose ``key`` is ``after``; :class:`PagingError` when there is no such row."""
    check_limit(limit)
    if after is not None:
        if at is None:
            known = conn.execute(select(key).where(key == after)).one_or_none()
            if known is None:
                raise PagingError(f"after: unknown id {after!r}", "after")
            stmt = stmt.where(key > after)
        else:
            anchor = conn.execute(select(at).where(key == after)).one_or_none()
            if anchor is None:
                raise PagingError(f"after: unknown id {after!r}", "after")
            stmt = stmt.where(or_(at > anchor[0], and_(at == anchor[0], key > after)))
    order = [key] if at is None else [at, key]
    rows = list(conn.execute(stmt.order_by(*order).limit(limit + 1)))
    return Page(rows[:limit], len(rows) > limit)
