"""Optional last layer: an external guard model behind any OpenAI-compatible endpoint.

Two protocols. ``chat`` (default): the model is asked through the chat API and answers in
words — Qwen3Guard-Gen ``Safety: Unsafe\\nCategories: Violent``, Llama Guard ``unsafe\\nS1``.
``moderation``: an OpenAI-moderation-compatible ``/v1/moderations`` endpoint answers
``{"results": [{"flagged", "categories", "category_scores"}]}``. Both are parsed into taxonomy
findings. A timeout, a connection error, an HTTP error or an answer that cannot be parsed
raises :class:`GuardModelError`: the engine then fails closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hegui.errors import GuardModelError
from hegui.safety.types import Direction, Evidence, Finding, Layer

__all__ = ["PROTOCOLS", "GuardModel", "parse_guard_answer", "parse_moderation_answer"]

PROTOCOLS = ("chat", "moderation")

# Qwen3Guard categories → taxonomy codes.
_QWEN: dict[str, str] = {
    "violent": "A.1.f",
    "non-violent illegal acts": "A.1.h",
    "sexual content or sexual acts": "A.1.f",
    "sexual content": "A.1.f",
    "pii": "A.4.f",
    "suicide & self-harm": "A.4.a",
    "unethical acts": "A.3.b",
    "politically sensitive topics": "A.1.b",
    "copyright violation": "A.3.a",
    "jailbreak": "X.a",
}
# Llama Guard 3 S-codes → taxonomy codes.
_LLAMA: dict[str, str] = {
    "S1": "A.1.f",
    "S2": "A.1.h",
    "S3": "A.1.f",
    "S4": "A.1.f",
    "S5": "A.4.c",
    "S6": "A.4.a",
    "S7": "A.4.e",
    "S8": "A.3.a",
    "S9": "A.1.d",
    "S10": "A.2.i",
    "S11": "A.4.a",
    "S12": "A.1.f",
    "S13": "A.1.g",
    "S14": "A.1.h",
}


# OpenAI moderation categories → taxonomy codes ("/" sub-categories fall back to their head).
_MODERATION: dict[str, str] = {
    "sexual": "A.1.f", "sexual/minors": "A.1.f", "violence": "A.1.f", "violence/graphic": "A.1.f",
    "hate": "A.2.i", "hate/threatening": "A.2.i", "harassment": "A.4.c",
    "harassment/threatening": "A.4.c", "self-harm": "A.4.a", "illicit": "A.1.h",
}  # fmt: skip


def parse_moderation_answer(data: Any) -> list[tuple[str, float]]:
    """(code, score) pairs of an OpenAI-moderation-style answer; empty when not flagged."""
    try:
        result = data["results"][0]
        flagged = result["flagged"]
        categories = result.get("categories") or {}
        scores = result.get("category_scores") or {}
    except (KeyError, IndexError, TypeError, AttributeError):
        raise GuardModelError(f"unparseable moderation answer: {str(data)[:80]!r}") from None
    if not isinstance(flagged, bool) or not isinstance(categories, dict):
        raise GuardModelError(f"unparseable moderation answer: {str(data)[:80]!r}")
    if not flagged:
        return []
    out: dict[str, float] = {}
    for name, hit in categories.items():
        if hit:
            code = _MODERATION.get(name) or _MODERATION.get(name.split("/")[0], "A.1.h")
            score = scores.get(name)
            score = float(score) if isinstance(score, int | float) else 0.95
            out[code] = max(out.get(code, 0.0), min(max(score, 0.0), 1.0))
    return list(out.items()) or [("A.1.h", 0.95)]


def parse_guard_answer(answer: str) -> list[tuple[str, float]]:
    """Turn a guard model's answer into (code, score) pairs; empty when safe."""
    text = answer.strip()
    qwen = re.search(r"safety:\s*(safe|unsafe|controversial)", text, re.IGNORECASE)
    if qwen:
        level = qwen.group(1).lower()
        if level == "safe":
            return []
        score = 0.95 if level == "unsafe" else 0.5
        cats = re.search(r"categories:\s*(.+)", text, re.IGNORECASE)
        names = [c.strip().lower() for c in cats.group(1).split(",")] if cats else []
        codes = [_QWEN.get(n, "A.1.h") for n in names if n and n != "none"] or ["A.1.h"]
        return [(c, score) for c in dict.fromkeys(codes)]
    first, _, rest = text.partition("\n")
    if first.strip().lower() == "safe":
        return []
    if first.strip().lower() == "unsafe":
        codes = [
            _LLAMA.get(s.strip().upper(), "A.1.h") for s in re.split(r"[,\s]+", rest) if s.strip()
        ]
        return [(c, 0.95) for c in dict.fromkeys(codes or ["A.1.h"])]
    raise GuardModelError(f"unparseable guard model answer: {text[:80]!r}")


@dataclass(slots=True)
class GuardModel:
    """Async client of a guard model served by vLLM/SGLang/Ollama (OpenAI chat API)."""

    url: str
    model: str
    timeout: float = 2.0
    api_key: str | None = None
    protocol: str = "chat"  # or "moderation" (see module docstring)

    async def classify(
        self, text: str, direction: Direction, prompt: str | None = None
    ) -> list[Finding]:
        import aiohttp

        messages: list[dict[str, str]]
        if direction is Direction.OUTPUT:
            messages = [
                {"role": "user", "content": prompt or ""},
                {"role": "assistant", "content": text},
            ]
        else:
            messages = [{"role": "user", "content": text}]
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": 64,
            "temperature": 0,
        }
        path = "/v1/chat/completions"
        if self.protocol == "moderation":  # the answer is judged with its prompt, as one input
            body = {"model": self.model, "input": f"{prompt}\n\n{text}" if prompt else text}
            path = "/v1/moderations"
        elif self.protocol != "chat":
            raise GuardModelError(f"unknown guard protocol {self.protocol!r}")
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        base = self.url.rstrip("/")
        endpoint = base if base.endswith(path.removeprefix("/v1")) else base + path
        try:
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(endpoint, json=body, headers=headers) as resp,
            ):
                if resp.status != 200:
                    raise GuardModelError(f"guard model answered HTTP {resp.status}")
                data = await resp.json(content_type=None)
            if self.protocol == "moderation":
                pairs = parse_moderation_answer(data)
            else:
                pairs = parse_guard_answer(str(data["choices"][0]["message"]["content"]))
        except GuardModelError:
            raise
        except TimeoutError:
            raise GuardModelError(f"guard model timed out after {self.timeout:g}s") from None
        except (aiohttp.ClientError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise GuardModelError(f"guard model failed: {type(exc).__name__}: {exc}") from None
        return [
            Finding(
                code, score, Evidence(Layer.MODEL, 0, len(text), text, "guard", self.model, score)
            )
            for code, score in pairs
        ]
