"""hegui's exception tree, drawn once.

HeguiError                      base of every error hegui raises on purpose
├── ConfigError                 a setting, policy or lexicon file is invalid (names file and line)
├── InputError                  user input cannot be processed (bad UTF-8, not JSON, too large)
├── EngineError                 a detector failed; callers must treat the text as *failed*, not safe
│   └── GuardModelError         the external guard model timed out or answered garbage
├── StoreError                  the database is unreachable or a write failed (gateway answers 503)
├── AuthThrottledError          too many failed API-key checks from a client or for a key id (429)
├── LabelError                  a file cannot be labelled or read (corrupt, unsupported, too large)
└── (gateway)                   GatewayError, ClientGoneError, StreamStopError, UpstreamError and
                                its UpstreamLostError, ...: in hegui.gateway.errors, which holds
                                the HTTP statuses and the OpenAI error shape only the gateway speaks
"""

from __future__ import annotations

__all__ = [
    "AuthThrottledError",
    "ConfigError",
    "EngineError",
    "GuardModelError",
    "HeguiError",
    "InputError",
    "LabelError",
    "StoreError",
]


class HeguiError(Exception):
    """Base class of every error hegui raises on purpose."""


class ConfigError(HeguiError):
    """A setting, policy or lexicon file is invalid; the message names the file and line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")
        self.path = path
        self.line = line


class InputError(HeguiError):
    """User input cannot be processed (invalid UTF-8, malformed JSON, too large, empty)."""


class EngineError(HeguiError):
    """A detector failed. The text must be treated as *failed* (blocked), never as safe."""


class GuardModelError(EngineError):
    """The external guard model timed out, was unreachable or answered something unparseable."""


class StoreError(HeguiError):
    """The database is unreachable or a write failed; nothing was half-written."""


class AuthThrottledError(HeguiError):
    """Too many failed API-key checks: answered 429 without checking the key at all."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LabelError(HeguiError):
    """A file cannot be labelled or verified (corrupt, unsupported, over the size limit)."""
