"""One question to an OpenAI-compatible chat endpoint, with retries, and what came back.

Every outcome is an :class:`Answer`: an answer (``status="ok"``), or an error that names its
kind, so a bad endpoint is reported per item and the run goes on. A gateway block (HTTP 400
with error code ``content_filter``) is an answer: the gateway refused, and the judge counts it.
Retried with exponential backoff and jitter: time-outs, dropped connections, HTTP 408/409/429
and 5xx, malformed JSON. Not retried: other 4xx (the request itself is wrong).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp

__all__ = ["Answer", "Asker", "chat_url"]

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(slots=True)
class Answer:
    """What one question got: the text and finish reason, or an error kind and message."""

    status: str  # "ok" or "error"
    answer: str = ""
    finish_reason: str | None = None
    hegui: dict[str, Any] | None = None  # the gateway's object, when the gateway answered
    http_status: int | None = None
    error_kind: str | None = None  # timeout, connection, http_error, malformed_json, bad_shape
    error: str | None = None
    attempts: int = 0
    latency_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class _RetryableError(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.error)
        self.answer = answer


def chat_url(endpoint: str) -> str:
    """``…/v1`` → ``…/v1/chat/completions``; a full ``…/chat/completions`` URL is kept."""
    url = endpoint.rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


class Asker:
    """Sends questions over one shared aiohttp session (make it inside the running loop)."""

    def __init__(
        self,
        endpoint: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.5,
        temperature: float | None = 0.0,
        max_tokens: int | None = 1024,
        system: str | None = None,
        concurrency: int = 32,
    ) -> None:
        self.url = chat_url(endpoint)
        self.model = model
        self.retries = retries
        self.backoff = backoff
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.system = system
        headers = {"content-type": "application/json"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self.session = aiohttp.ClientSession(
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
            connector=aiohttp.TCPConnector(limit=max(1, concurrency)),
        )

    async def close(self) -> None:
        await self.session.close()

    def body(self, text: str) -> dict[str, Any]:
        messages = [{"role": "system", "content": self.system}] if self.system else []
        messages.append({"role": "user", "content": text})
        body: dict[str, Any] = {"model": self.model, "messages": messages, "stream": False}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        return body

    async def ask(self, text: str) -> Answer:
        """Ask once, retrying what may pass on a second try; never raises for a bad endpoint."""
        started = time.monotonic()
        answer = Answer("error")
        for attempt in range(1, self.retries + 2):
            try:
                answer = await self._once(text)
            except _RetryableError as exc:
                answer = exc.answer
                if attempt <= self.retries:
                    delay = self.backoff * 2 ** (attempt - 1)
                    await asyncio.sleep(delay * (0.5 + random.random()))
                    continue
            answer.attempts = attempt
            break
        answer.latency_ms = round((time.monotonic() - started) * 1000, 1)
        return answer

    async def _once(self, text: str) -> Answer:
        try:
            async with self.session.post(self.url, json=self.body(text)) as resp:
                raw = await resp.read()
                status = resp.status
        except TimeoutError:
            raise _RetryableError(
                Answer("error", error_kind="timeout", error="no answer in time")
            ) from None
        except aiohttp.ClientError as exc:
            raise _RetryableError(
                Answer("error", error_kind="connection", error=f"{type(exc).__name__}: {exc}")
            ) from None
        return parse_response(status, raw)


def parse_response(status: int, raw: bytes) -> Answer:
    """Turn one HTTP answer into an :class:`Answer` (raises ``_RetryableError`` for retryable ones)."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        bad = Answer("error", http_status=status, error_kind="malformed_json",
                     error=f"HTTP {status}, body is not JSON: {raw[:120]!r}")  # fmt: skip
        if status == 200 or status in RETRYABLE_STATUS:
            raise _RetryableError(bad) from None
        bad.error_kind = "http_error"
        return bad
    if status != 200:
        err = doc.get("error") if isinstance(doc, dict) else None
        err = err if isinstance(err, dict) else {}
        if status == 400 and err.get("code") == "content_filter":  # the gateway blocked it
            hegui = doc.get("hegui") or err.get("hegui")
            return Answer("ok", "", "content_filter", hegui if isinstance(hegui, dict) else None,
                          status)  # fmt: skip
        message = str(err.get("message") or doc)[:300]
        failed = Answer("error", http_status=status, error_kind="http_error",
                        error=f"HTTP {status}: {message}")  # fmt: skip
        if status in RETRYABLE_STATUS:
            raise _RetryableError(failed)
        return failed
    try:
        choice = doc["choices"][0]
        content = choice["message"].get("content")
        finish = choice.get("finish_reason")
    except (KeyError, IndexError, TypeError, AttributeError):
        raise _RetryableError(
            Answer(
                "error",
                http_status=status,
                error_kind="bad_shape",
                error="answer has no choices[0].message",
            )
        ) from None
    hegui = doc.get("hegui")
    return Answer(
        "ok",
        content if isinstance(content, str) else "",
        finish if isinstance(finish, str) else None,
        hegui if isinstance(hegui, dict) else None,
        status,
    )
