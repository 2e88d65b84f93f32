"""Bulk rows in and out of the store at the speed of the driver, still parameterised.

A 100,000-task import writes ~220,000 rows and an export reads them back. Through SQLAlchemy's
per-row parameter and result machinery that alone took more CPU than everything else together,
so these two helpers compile the statement once, apply each column's own bind processor
(the same conversions SQLAlchemy would make, e.g. aware UTC → stored form) and hand the rows to
the driver: ``executemany`` on SQLite, ``COPY … FROM STDIN`` on PostgreSQL (one statement per
row took 25 s for 100,000 tasks there; COPY streams them). Reads take raw values and convert
times with ``fromisoformat``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, insert

__all__ = ["insert_many", "utc"]


def insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys, in the same order) with one executemany."""
    if not rows:
        return
    names = list(rows[0])
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=names)
    order = list(compiled.positiontup or []) if compiled.positional else names
    pick = [names.index(name) for name in order]
    processors = [
        (i, process)
        for i, name in enumerate(order)
        if (process := table.c[name].type.bind_processor(conn.dialect)) is not None
    ]
    copy = conn.dialect.name == "postgresql"
    positional = copy or compiled.positional
    params: list[Any] = []
    seen: list[dict[Any, Any]] = [{} for _ in processors]  # one import time, converted once
    for row in rows:
        values = list(row.values())
        out = [values[i] for i in pick]
        for (i, process), done in zip(processors, seen, strict=True):
            value = out[i]
            try:
                out[i] = done[value]
            except KeyError:
                out[i] = done[value] = process(value)
            except TypeError:  # unhashable: convert every time
                out[i] = process(value)
        params.append(tuple(out) if positional else dict(zip(order, out, strict=True)))
    if copy:
        _copy(conn, table, order, params)
    else:
        conn.exec_driver_sql(str(compiled), params)


def _copy(conn: Connection, table: Table, columns: list[str], rows: list[Any]) -> None:
    """PostgreSQL: stream the rows with COPY inside the caller's transaction."""
    quote = conn.dialect.identifier_preparer
    sql = (
        f"COPY {quote.format_table(table)} ({', '.join(quote.quote(c) for c in columns)}) "
        "FROM STDIN"
    )
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(sql) as stream:
        for row in rows:
            stream.write_row(row)


def utc(value: Any) -> datetime:
    """A stored time read raw (SQLite text or a naive PostgreSQL timestamp) as aware UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC)
