"""Logging for operators: one format for every line, a request id on each, an access log.

``configure_logging(level, fmt)`` installs one handler on the root logger (uvicorn's loggers
propagate to it too), in ``text`` (``2026-01-02T03:04:05.678Z INFO hegui.gateway [rid] msg``) or
``json`` (one object per line: ``ts``, ``level``, ``logger``, ``request_id``, ``message`` and, on
access lines, ``method``, ``path``, ``status``, ``duration_ms``). Records go through a queue to a
writer thread, so a slow stderr reader never stalls the event loop. The request id is taken from
:mod:`hegui.gateway.request_id` when the record is made (in the request's context).

What is never logged: prompt or answer content, API keys, client addresses, query strings.
"""

from __future__ import annotations

import atexit
import copy
import logging
import logging.handlers
import queue
import sys
import time
from typing import Any, TextIO

import orjson

from hegui.gateway.request_id import current_request_id

__all__ = ["ACCESS_LOGGER", "configure_logging", "log_access", "unconfigure_logging"]

ACCESS_LOGGER = "hegui.access"
LEVELS = ("debug", "info", "warning", "error", "critical")
FORMATS = ("text", "json")
_ACCESS_FIELDS = ("method", "path", "status", "duration_ms")

_access = logging.getLogger(ACCESS_LOGGER)
_installed: tuple[logging.Handler, logging.handlers.QueueListener] | None = None


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


class _QueueHandler(logging.handlers.QueueHandler):
    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        # The message is merged here (args may not survive the thread hop); a traceback is kept
        # apart as exc_text so the JSON formatter can put it in its own field.
        out = copy.copy(record)
        out.msg = record.getMessage()
        out.args = None
        if record.exc_info:
            out.exc_text = logging.Formatter().formatException(record.exc_info)
        out.exc_info = None
        out.stack_info = None
        return out


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
    ms = int(created * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{ms:03d}Z"


def configure_logging(level: str = "info", fmt: str = "text", stream: TextIO | None = None) -> None:
    """Install (or replace) hegui's root handler; safe to call again in a worker process."""
    global _installed
    level, fmt = level.lower(), fmt.lower()
    if level not in LEVELS:
        from hegui.errors import ConfigError

        raise ConfigError(f"log level must be one of {', '.join(LEVELS)}: {level!r}")
    if fmt not in FORMATS:
        from hegui.errors import ConfigError

        raise ConfigError(f"log format must be text or json: {fmt!r}")
    root = logging.getLogger()
    if _installed is not None:
        old_handler, old_listener = _installed
        root.removeHandler(old_handler)
        _stop(old_listener)
    out = logging.StreamHandler(stream or sys.stderr)
    out.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = _QueueHandler(q)
    handler.addFilter(_RequestIdFilter())
    handler.addFilter(_DisconnectFilter())
    listener = logging.handlers.QueueListener(q, out, respect_handler_level=False)
    listener.start()
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):  # uvicorn's own loggers → ours
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
        lg.setLevel(level.upper())
    logging.getLogger("uvicorn.access").disabled = True  # hegui.access replaces it
    _installed = (handler, listener)
    atexit.register(_stop, listener)


def unconfigure_logging() -> None:
    """Remove hegui's handler again (tests; a process that hands logging back)."""
    global _installed
    if _installed is not None:
        handler, listener = _installed
        logging.getLogger().removeHandler(handler)
        _stop(listener)
        _installed = None


def _stop(listener: logging.handlers.QueueListener) -> None:
    if listener._thread is not None:
        listener.stop()


def log_access(method: str, path: str, status: int, seconds: float) -> None:
    """One line per request: method, path (no query string), status, duration, request id."""
    if _access.isEnabledFor(logging.INFO):
        ms = round(seconds * 1000.0, 1)
        _access.info(
            "%s %s %d %.1fms",
            method,
            path,
            status,
            ms,
            extra={"method": method, "path": path, "status": status, "duration_ms": ms},
        )
