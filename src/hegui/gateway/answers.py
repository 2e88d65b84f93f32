"""What of an upstream's non-streamed answer reaches the client: an allow-list, every text checked.

Why an allow-list: a client displays whatever strings it finds, so anything the gateway did not
check must not reach it. :func:`clean_answer` builds a *new* answer from the documented fields
only, with the documented types: unknown top-level fields, ``choices[].text`` in a chat answer,
upstream ``hegui`` objects and the like are dropped; identifiers (ids, model, fingerprint) must
look like identifiers or are replaced. :func:`choice_slots` lists every displayable text of a
choice (content string or text parts, refusal, reasoning, tool-call names and arguments, audio
transcript, citation titles and URLs) for the engine.

Logprobs follow their text (:func:`follow_logprobs`): dropped with a refused answer; masked with
a redacted one (tokens re-cut from the masked text, alternatives at masked positions removed);
and the alternative tokens (``top_logprobs``) are judged as texts of their own, rank by rank,
and removed unless clean.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from hegui.gateway.errors import GatewayError
from hegui.gateway.schema import new_id
from hegui.safety.types import Action, Verdict

__all__ = [
    "choice_slots",
    "clean_answer",
    "clean_envelope",
    "clean_usage",
    "finish_reason_ok",
    "follow_logprobs",
    "ident",
    "label_choice",
    "snapshot",
]

Slot = tuple[Any, Any]
Check = Callable[[str], Awaitable[Verdict]]

_IDENT = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_REASON = re.compile(r"[a-z_]{1,32}")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
_MESSAGE_TEXTS = ("refusal", "reasoning_content", "reasoning")


def ident(value: Any) -> str | None:
    """``value`` if it looks like an identifier (ids, model names), else None."""
    return value if isinstance(value, str) and _IDENT.fullmatch(value) else None


_ident = ident


def finish_reason_ok(value: str) -> bool:
    """A finish reason is a short lower-case word (``stop``, ``tool_calls``), never free text."""
    return _REASON.fullmatch(value) is not None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | int | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return value if ok else None


def _numbers(value: Any, depth: int = 0) -> dict[str, Any] | None:
    """A usage object: numbers, and objects of numbers (``prompt_tokens_details``) only."""
    if not isinstance(value, dict) or depth > 2:
        return None
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not (isinstance(key, str) and _IDENT.fullmatch(key)):
            continue
        if _number(item) is not None:
            out[key] = item
        elif isinstance(item, dict):
            nested = _numbers(item, depth + 1)
            if nested is not None:
                out[key] = nested
    return out


def clean_usage(value: Any) -> dict[str, Any] | None:
    """A usage object with numbers only (a streamed answer's last chunk carries one too)."""
    return _numbers(value)


def clean_envelope(doc: dict[str, Any]) -> dict[str, Any]:
    """The identifying fields of a streamed chunk that look like identifiers; nothing else."""
    out: dict[str, Any] = {}
    for key in ("id", "object", "model", "system_fingerprint", "service_tier"):
        if ident(doc.get(key)):
            out[key] = doc[key]
    if _int(doc.get("created")) is not None:
        out["created"] = doc["created"]
    return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def clean_answer(doc: Any, kind: str, model: str) -> dict[str, Any]:
    """The allow-listed copy of an upstream's answer; a 502 when it is not an answer at all."""
    if not isinstance(doc, dict) or not isinstance(doc.get("choices"), list):
        raise GatewayError(
            502,
            "upstream returned an answer that is not an OpenAI completion",
            type="upstream_error",
            code="upstream_invalid",
            decision="upstream_error",
        )
    chat = kind == "chat"
    out: dict[str, Any] = {
        "id": _ident(doc.get("id")) or new_id("chatcmpl" if chat else "cmpl"),
        "object": "chat.completion" if chat else "text_completion",
        "created": _int(doc.get("created")) or int(time.time()),
        "model": _ident(doc.get("model")) or model,
    }
    for key in ("system_fingerprint", "service_tier"):
        if _ident(doc.get(key)):
            out[key] = doc[key]
    clean = _chat_choice if chat else _completion_choice
    out["choices"] = [clean(c, n) for n, c in enumerate(doc["choices"]) if isinstance(c, dict)]
    usage = _numbers(doc.get("usage"))
    if usage is not None:
        out["usage"] = usage
    return out


def _common(choice: dict[str, Any], n: int) -> dict[str, Any]:
    reason = choice.get("finish_reason")
    out: dict[str, Any] = {
        "index": _int(choice.get("index")) if _int(choice.get("index")) is not None else n,
        "finish_reason": reason if isinstance(reason, str) and _REASON.fullmatch(reason) else None,
    }
    if _int(choice.get("stop_reason")) is not None:  # vLLM: a stop token id (a string is text)
        out["stop_reason"] = choice["stop_reason"]
    return out


def _completion_choice(choice: dict[str, Any], n: int) -> dict[str, Any]:
    out = _common(choice, n)
    out["text"] = _str(choice.get("text")) or ""
    out["logprobs"] = _completion_logprobs(choice.get("logprobs"))
    return out


def _chat_choice(choice: dict[str, Any], n: int) -> dict[str, Any]:
    out = _common(choice, n)
    msg = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    assert isinstance(msg, dict)
    m: dict[str, Any] = {"role": "assistant", "content": _content(msg.get("content"))}
    for key in _MESSAGE_TEXTS:
        if _str(msg.get(key)) is not None:
            m[key] = msg[key]
    calls = [c for c in map(_tool_call, msg.get("tool_calls") or ()) if c is not None]
    if calls:
        m["tool_calls"] = calls
    fn = msg.get("function_call")
    if isinstance(fn, dict) and _str(fn.get("name")) is not None:
        m["function_call"] = {"name": fn["name"], "arguments": _str(fn.get("arguments")) or ""}
    audio = _audio(msg.get("audio"))
    if audio is not None:
        m["audio"] = audio
    notes = [a for a in map(_annotation, msg.get("annotations") or ()) if a is not None]
    if notes:
        m["annotations"] = notes
    out["message"] = m
    out["logprobs"] = _chat_logprobs(choice.get("logprobs"))
    return out


def _content(value: Any) -> str | list[dict[str, str]] | None:
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        return None
    parts = []
    for part in value:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text" and _str(part.get("text")) is not None:
            parts.append({"type": "text", "text": part["text"]})
        elif part.get("type") == "refusal" and _str(part.get("refusal")) is not None:
            parts.append({"type": "refusal", "refusal": part["refusal"]})
    return parts


def _tool_call(call: Any) -> dict[str, Any] | None:
    if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
        return None
    fn = call["function"]
    if _str(fn.get("name")) is None:
        return None
    return {
        "id": _ident(call.get("id")) or new_id("call"),
        "type": "function",
        "function": {"name": fn["name"], "arguments": _str(fn.get("arguments")) or ""},
    }


def _audio(audio: Any) -> dict[str, Any] | None:
    if not isinstance(audio, dict):
        return None
    data = _str(audio.get("data"))
    if data is None or not _BASE64.fullmatch(data):
        return None
    out: dict[str, Any] = {"id": _ident(audio.get("id")) or new_id("audio"), "data": data}
    if _int(audio.get("expires_at")) is not None:
        out["expires_at"] = audio["expires_at"]
    out["transcript"] = _str(audio.get("transcript")) or ""
    return out


def _annotation(note: Any) -> dict[str, Any] | None:
    if not isinstance(note, dict) or note.get("type") != "url_citation":
        return None
    cite = note.get("url_citation")
    if not isinstance(cite, dict) or _str(cite.get("url")) is None:
        return None
    out = {"url": cite["url"], "title": _str(cite.get("title")) or ""}
    for key in ("start_index", "end_index"):
        if _int(cite.get(key)) is not None:
            out[key] = cite[key]
    return {"type": "url_citation", "url_citation": out}


def _token(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict) or _str(item.get("token")) is None:
        return None
    return {"token": item["token"], "logprob": _number(item.get("logprob")) or 0.0}


def _chat_logprobs(lp: Any) -> dict[str, Any] | None:
    if not isinstance(lp, dict):
        return None
    out: dict[str, Any] = {}
    for key in ("content", "refusal"):
        items = lp.get(key)
        if not isinstance(items, list):
            out[key] = None
            continue
        rows = []
        for item in items:
            row = _token(item)
            if row is None:
                return None  # a malformed list cannot follow its text: none at all
            row["bytes"] = list(row["token"].encode("utf-8"))
            top = item.get("top_logprobs")
            alternatives = [t for t in map(_token, top if isinstance(top, list) else ()) if t]
            for alt in alternatives:
                alt["bytes"] = list(alt["token"].encode("utf-8"))
            row["top_logprobs"] = alternatives
            rows.append(row)
        out[key] = rows
    return out


def _completion_logprobs(lp: Any) -> dict[str, Any] | None:
    if not isinstance(lp, dict) or not isinstance(lp.get("tokens"), list):
        return None
    tokens = lp["tokens"]
    if not all(isinstance(t, str) for t in tokens):
        return None
    values = lp.get("token_logprobs")
    top = lp.get("top_logprobs")
    offsets = lp.get("text_offset")
    return {
        "tokens": list(tokens),
        "token_logprobs": [_number(v) for v in values] if isinstance(values, list) else None,
        "top_logprobs": [
            {k: v for k, v in t.items() if isinstance(k, str) and _number(v) is not None}
            if isinstance(t, dict)
            else None
            for t in top
        ]
        if isinstance(top, list)
        else None,
        "text_offset": [o if _int(o) is not None else 0 for o in offsets]
        if isinstance(offsets, list)
        else None,
    }


def choice_slots(choice: dict[str, Any], kind: str) -> list[Slot]:
    """Every text of one cleaned choice a client may display, in display order."""
    if kind != "chat":
        return [(choice, "text")]
    msg = choice["message"]
    slots: list[Slot] = []
    for key in ("reasoning_content", "reasoning"):
        if key in msg:
            slots.append((msg, key))
    content = msg.get("content")
    if isinstance(content, str):
        slots.append((msg, "content"))
    elif isinstance(content, list):
        slots += [(p, "text" if p["type"] == "text" else "refusal") for p in content]
    if "refusal" in msg:
        slots.append((msg, "refusal"))
    for call in msg.get("tool_calls", ()):
        slots += [(call["function"], "name"), (call["function"], "arguments")]
    if "function_call" in msg:
        slots += [(msg["function_call"], "name"), (msg["function_call"], "arguments")]
    if "audio" in msg:
        slots.append((msg["audio"], "transcript"))
    for note in msg.get("annotations", ()):
        slots += [(note["url_citation"], "title"), (note["url_citation"], "url")]
    return [(c, k) for c, k in slots if c[k]]


def label_choice(choice: dict[str, Any], kind: str, apply: Callable[[str], str]) -> None:
    """Put the explicit label on the text a client shows: content (string or text parts),
    else the audio transcript; ``text`` for completions."""
    if kind != "chat":
        choice["text"] = apply(choice["text"])
        return
    msg = choice["message"]
    content = msg.get("content")
    if isinstance(content, str):
        msg["content"] = apply(content)
        return
    texts = [p for p in content or () if p["type"] == "text"]
    if texts:
        marker = "\x00"
        first, last = apply(marker).split(marker)
        texts[0]["text"] = first + texts[0]["text"]
        texts[-1]["text"] = texts[-1]["text"] + last
    elif "audio" in msg:
        msg["audio"]["transcript"] = apply(msg["audio"]["transcript"])
    elif isinstance(content, list):
        content.append({"type": "text", "text": apply("").strip()})


def _texts_of(choice: dict[str, Any], kind: str) -> dict[str, str | None]:
    """The texts logprobs follow: chat ``content`` / ``refusal`` strings, completions ``text``."""
    if kind != "chat":
        return {"text": choice["text"]}
    msg = choice["message"]
    return {
        key: msg.get(key) if isinstance(msg.get(key), str) else None
        for key in ("content", "refusal")
    }


def snapshot(choice: dict[str, Any], kind: str) -> dict[str, str | None]:
    """The texts logprobs follow, before checking (to tell whether a redaction changed them)."""
    return _texts_of(choice, kind)


async def follow_logprobs(
    choice: dict[str, Any], kind: str, before: dict[str, str | None], check: Check
) -> None:
    """Make ``choice["logprobs"]`` agree with the checked texts (see the module docstring)."""
    lp = choice.get("logprobs")
    if lp is None:
        return
    after = _texts_of(choice, kind)
    if kind == "chat":
        for key in ("content", "refusal"):
            rows = lp.get(key)
            if rows is None:
                continue
            lp[key] = await _follow_rows(rows, before[key], after[key], check)
        if lp.get("content") is None and lp.get("refusal") is None:
            choice["logprobs"] = None
        return
    tokens = lp["tokens"]
    rows = [{"token": t, "top_logprobs": _ranked(lp, i)} for i, t in enumerate(tokens)]
    followed = await _follow_rows(rows, before["text"], after["text"], check)
    if followed is None:
        choice["logprobs"] = None
        return
    lp["tokens"] = [r["token"] for r in followed]
    if lp.get("top_logprobs") is not None:
        lp["top_logprobs"] = [
            {t["token"]: t["logprob"] for t in r["top_logprobs"]} for r in followed
        ]


def _ranked(lp: dict[str, Any], i: int) -> list[dict[str, Any]]:
    top = lp.get("top_logprobs")
    if not isinstance(top, list) or i >= len(top) or not isinstance(top[i], dict):
        return []
    pairs = sorted(top[i].items(), key=lambda kv: -kv[1])
    return [{"token": k, "logprob": v} for k, v in pairs]


async def _follow_rows(
    rows: list[dict[str, Any]], before: str | None, after: str | None, check: Check
) -> list[dict[str, Any]] | None:
    """Rows whose tokens spell ``after``; None when they cannot (dropped with their text)."""
    if before is None or after is None or "".join(r["token"] for r in rows) != before:
        return None
    if len(after) != len(before):
        return None
    pos = 0
    for row in rows:
        piece = after[pos : pos + len(row["token"])]
        if piece != row["token"]:  # masked here: the token and every alternative go
            row["token"] = piece
            row["top_logprobs"] = []
        pos += len(piece)
        if "bytes" in row:
            row["bytes"] = list(row["token"].encode("utf-8"))
    depth = max((len(r["top_logprobs"]) for r in rows), default=0)
    for rank in range(depth):
        spelled = "".join(
            r["top_logprobs"][rank]["token"] if rank < len(r["top_logprobs"]) else "" for r in rows
        )
        verdict = await check(spelled)
        if verdict.failed or verdict.action not in (Action.ALLOW, Action.FLAG, Action.REVIEW):
            for r in rows:
                r["top_logprobs"] = []
            break
    return rows
