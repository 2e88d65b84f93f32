"""Logging for operators: one format for every line, a request id on each, an access log.

``configure_logging(level, fmt)`` installs one handler on the root logger (uvicorn's loggers
propagate to it too), in ``text`` (``2026-01-02T03:04:05.678Z INFO hegui.gateway [rid] msg``) or
``json`` (one object per line: ``ts``, ``level``, ``logger``, ``request_id``, ``message`` and, on
access lines, ``method``, ``path``, ``status``, ``duration_ms``). Lines are written in batches by
one thread (:mod:`hegui.gateway.log_batch`), so a slow stderr reader never stalls the event loop
and a request costs no thread wake-up. The request id is taken from
:mod:`hegui.gateway.request_id` when the record is made (in the request's context).

Access lines take a short cut: when hegui's handler is the only one that would see them, the
request's fields are kept as a tuple and formatted by the writer thread, instead of building a
``LogRecord`` per request (about 40 µs → 2 µs on the event loop). With any other handler
attached (a test's log capture, an operator's own), they go through ``logging`` as usual.

What is never logged: prompt or answer content, API keys, client addresses, query strings.
"""

from __future__ import annotations

import copy
import logging
import sys
import time
from typing import Any, TextIO

import orjson

from hegui.gateway.log_batch import BatchWriter
from hegui.gateway.request_id import current_request_id

__all__ = [
    "ACCESS_LOGGER",
    "BatchHandler",
    "configure_logging",
    "flush_logs",
    "log_access",
    "stop_batching",
    "unconfigure_logging",
]

ACCESS_LOGGER = "hegui.access"
LEVELS = ("debug", "info", "warning", "error", "critical")
FORMATS = ("text", "json")
_ACCESS_FIELDS = ("method", "path", "status", "duration_ms")

_access = logging.getLogger(ACCESS_LOGGER)
_hegui = logging.getLogger("hegui")
_root = logging.getLogger()
_installed: BatchHandler | None = None


class _RequestIdFilter(logging.Filter):
    """Stamp the current request id on each record (runs in the caller's context)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True


class _DisconnectFilter(logging.Filter):
    """Drop asyncio's tracebacks for clients that hung up (not faults: nothing to act on)."""

    _GONE = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, self._GONE):
            return False
        return not (record.name == "asyncio" and "Connection reset by peer" in record.getMessage())


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return _iso(record.created)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": _iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for key in _ACCESS_FIELDS:
            if hasattr(record, key):
                doc[key] = getattr(record, key)
        if record.exc_text:
            doc["exc"] = record.exc_text
        return orjson.dumps(doc).decode()


def _iso(created: float) -> str:
    global _second
    whole = int(created)
    ms = int(created * 1000) % 1000
    second = _second
    if second[0] != whole:  # one strftime per second of log lines, not one per line
        second = _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{second[1]}.{ms:03d}Z"


_second: tuple[int, str] = (-1, "")

# An access line kept as its fields, formatted by the writer thread:
# (created, request id, method, path, status, duration ms).
Access = tuple[float, str, str, str, int, float]


def _access_text(a: Access) -> str:
    return f"{_iso(a[0])} INFO {ACCESS_LOGGER} [{a[1]}] {a[2]} {a[3]} {a[4]} {a[5]:.1f}ms"


def _access_json(a: Access) -> str:
    created, rid, method, path, status, ms = a
    doc = {
        "ts": _iso(created),
        "level": "INFO",
        "logger": ACCESS_LOGGER,
        "request_id": rid,
        "message": f"{method} {path} {status} {ms:.1f}ms",
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": ms,
    }
    return orjson.dumps(doc).decode()


class BatchHandler(logging.Handler):
    """hegui's root handler: records (and access tuples) go to a :class:`BatchWriter`."""

    def __init__(self, stream: TextIO, fmt: str, interval: float = 0.05) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
        self.addFilter(_RequestIdFilter())
        self.addFilter(_DisconnectFilter())
        self._access_line = _access_json if fmt == "json" else _access_text
        self.writer = BatchWriter(stream, self._render, interval=interval)

    def emit(self, record: logging.LogRecord) -> None:
        self.writer.put(_prepared(record), urgent=record.levelno >= logging.ERROR)

    def put_access(self, access: Access) -> None:
        self.writer.put(access)

    def _render(self, entry: logging.LogRecord | Access) -> str:
        if type(entry) is tuple:
            return self._access_line(entry)
        return self.format(entry)  # type: ignore[arg-type]

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
        super().close()


def _prepared(record: logging.LogRecord) -> logging.LogRecord:
    """A copy with the message merged (its args may change before the writer thread formats it)
    and a traceback kept apart as ``exc_text``, so the JSON formatter can put it in its own field."""
    out = copy.copy(record)
    out.msg = record.getMessage()
    out.args = None
    if record.exc_info:
        out.exc_text = logging.Formatter().formatException(record.exc_info)
    out.exc_info = None
    out.stack_info = None
    return out


def configure_logging(
    level: str = "info", fmt: str = "text", stream: TextIO | None = None, *, interval: float = 0.05
) -> None:
    """Install (or replace) hegui's root handler; safe to call again in a worker process.

    ``interval``: how long the writer waits for a batch to fill before writing it (seconds).
    """
    global _installed
    level, fmt = level.lower(), fmt.lower()
    if level not in LEVELS:
        from hegui.errors import ConfigError

        raise ConfigError(f"log level must be one of {', '.join(LEVELS)}: {level!r}")
    if fmt not in FORMATS:
        from hegui.errors import ConfigError

        raise ConfigError(f"log format must be text or json: {fmt!r}")
    root = logging.getLogger()
    unconfigure_logging()
    handler = BatchHandler(stream or sys.stderr, fmt, interval)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):  # uvicorn's own loggers → ours
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
        lg.setLevel(level.upper())
    logging.getLogger("uvicorn.access").disabled = True  # hegui.access replaces it
    _installed = handler  # logging.shutdown() flushes and closes it at exit


def unconfigure_logging() -> None:
    """Remove hegui's handler again, after writing what it holds (tests; a process that hands
    logging back)."""
    global _installed
    handler, _installed = _installed, None
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()


def flush_logs() -> None:
    """Write every log line made so far (graceful shutdown: nothing is left in the batch)."""
    handler = _installed
    if handler is not None:
        handler.flush()


def stop_batching() -> None:
    """Write every log line made so far, and later ones at once: the process is stopping
    (called at lifespan shutdown; nothing may wait in a batch when the process ends)."""
    handler = _installed
    if handler is not None:
        handler.writer.stop_batching()


def log_access(method: str, path: str, status: int, seconds: float) -> None:
    """One line per request: method, path (no query string), status, duration, request id."""
    if not _access.isEnabledFor(logging.INFO):
        return
    ms = round(seconds * 1000.0, 1)
    handler = _installed
    if handler is not None and _only_hegui_sees_access(handler):
        handler.put_access((time.time(), current_request_id() or "-", method, path, status, ms))
        return
    _access.info(
        "%s %s %d %.1fms",
        method,
        path,
        status,
        ms,
        extra={"method": method, "path": path, "status": status, "duration_ms": ms},
    )


def _only_hegui_sees_access(handler: BatchHandler) -> bool:
    """True when a record of ``hegui.access`` would reach hegui's handler and nothing else."""
    handlers = _root.handlers
    return (
        len(handlers) == 1
        and handlers[0] is handler
        and not _access.handlers
        and not _access.filters
        and not _hegui.handlers
        and not _hegui.filters
        and _access.propagate
        and _hegui.propagate
    )
