"""Which strings of a request can reach the model, and how each one is checked.

The rule: every string a client sends that can reach the model is checked by the engine, or the
request is refused with a 400 that says why. Nothing is forwarded on the assumption that the
upstream ignores it: chat templates render tool descriptions, schemas and message names into the
prompt, servers concatenate content parts, and an unknown field may be an upstream extension that
does the same. ``docs/security.md`` lists every field and its treatment.

:func:`request_slots` returns the texts in the order a template renders them (tools, response
format, then the messages, then everything else), as ``(container, key)`` pairs that point into
the request so a redacted text is written back in place. A structured field (a tool's JSON
schema, an unknown field) is one :class:`Bundle`: its strings and object keys joined by newlines,
checked once, and written back string by string when personal information is masked (masking
keeps lengths).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

from hegui.gateway.errors import GatewayError

__all__ = ["Bundle", "Slot", "request_slots"]

Slot = tuple[Any, Any]  # (container, key): ``container[key]`` reads and writes one text

# Fields that steer generation or bookkeeping and never reach the model as text.
CONTROL_FIELDS = frozenset(
    {
        "model", "stream", "stream_options", "temperature", "top_p", "n", "max_tokens",
        "max_completion_tokens", "presence_penalty", "frequency_penalty", "logit_bias",
        "logprobs", "top_logprobs", "seed", "stop", "user", "metadata", "store", "service_tier",
        "parallel_tool_calls", "modalities", "audio", "reasoning_effort", "verbosity",
        "safety_identifier", "prompt_cache_key", "best_of", "echo", "size", "quality", "style",
        "background", "moderation", "output_format",
        "output_compression", "partial_images",
    }
)  # fmt: skip
# Images: ``response_format`` is "url" or "b64_json" there, not a schema.
_IMAGE_CONTROL = frozenset({"response_format"})
# Rewrites how the prompt is rendered: hegui cannot check what a client's template produces.
REFUSED_FIELDS = {
    "chat_template": "custom chat templates are not accepted: hegui cannot check what they render",
}
_TEXT_PART_KEYS = {"text": "text", "input_text": "text", "refusal": "refusal"}
_MEDIA_PARTS = frozenset({"image_url", "input_image", "input_audio", "file"})
_MESSAGE_CONTROL = frozenset({"role", "tool_call_id", "audio"})
_TEXT_MIME = ("text/", "application/json", "application/xml", "application/x-ndjson")
MAX_DEPTH = 32


def _bad(message: str, param: str) -> GatewayError:
    return GatewayError(400, message, code="invalid_request", param=param, decision="invalid")


class _KeyRef:
    """A dict key as a slot: reading gives the key, writing renames it (order kept)."""

    __slots__ = ("key", "obj")

    def __init__(self, obj: dict[str, Any], key: str) -> None:
        self.obj = obj
        self.key = key

    def get(self) -> str:
        return self.key

    def set(self, value: str) -> None:
        if value == self.key or value in self.obj:
            return
        items = [(value if k == self.key else k, v) for k, v in self.obj.items()]
        self.obj.clear()
        self.obj.update(items)
        self.key = value


class Bundle:
    """Every string (and object key) of one JSON value, as one text ``bundle[0]``."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[Slot | _KeyRef] = []

    def _texts(self) -> list[str]:
        return [i.get() if isinstance(i, _KeyRef) else i[0][i[1]] for i in self.items]

    def __getitem__(self, _: int) -> str:
        return "\n".join(self._texts())

    def __setitem__(self, _: int, value: str) -> None:
        texts = self._texts()
        if len(value) == sum(map(len, texts)) + max(0, len(texts) - 1):  # masks keep lengths
            news, pos = [], 0
            for old in texts:
                news.append(value[pos : pos + len(old)])
                pos += len(old) + 1
        else:  # a redaction that changed lengths: one line per string, or give up (closed)
            news = value.split("\n")
            if len(news) != len(texts):
                raise GatewayError(
                    400,
                    "Personal information in a structured field (a schema, tool or extension"
                    " field) could not be masked in place; remove it and try again.",
                    code="invalid_request",
                    decision="invalid",
                )
        # Backwards: a string is written through its key before that key may be renamed.
        for item, old, new in reversed(list(zip(self.items, texts, news, strict=True))):
            if new == old:
                continue
            if isinstance(item, _KeyRef):
                item.set(new)
            else:
                item[0][item[1]] = new

    def collect(self, value: Any, depth: int = 0, skip: frozenset[str] = frozenset()) -> None:
        """Add every string and key under ``value`` (a dict or list), except its ``skip`` keys."""
        if depth > MAX_DEPTH:
            raise _bad("The request nests JSON more than 32 levels deep.", "")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in list(items):
            if key in skip:
                continue
            if isinstance(value, dict) and key:
                self.items.append(_KeyRef(value, key))
            if isinstance(item, str):
                if item:
                    self.items.append((value, key))
            elif isinstance(item, dict | list):
                self.collect(item, depth + 1)


def _bundle(*values: Any, skip: frozenset[str] = frozenset()) -> list[Slot]:
    """One slot for the strings of ``values`` (dicts or lists; others ignored), ``skip`` keys of
    a dict left out. The strings are addressed in place, so masking writes back."""
    bundle = Bundle()
    for value in values:
        if isinstance(value, dict | list):
            bundle.collect(value, skip=skip)
    return [(bundle, 0)] if bundle.items else []


def request_slots(
    doc: dict[str, Any], kind: str, *, unchecked: frozenset[str] = frozenset()
) -> list[Slot]:
    """Every text of a ``chat``, ``completions``, ``images`` or ``embeddings`` request that can
    reach the model.

    ``unchecked`` names top-level fields forwarded without checking (``gateway.unchecked_fields``).
    Raises a 400 :class:`GatewayError` for what cannot be checked (see the module docstring).
    """
    for name, why in REFUSED_FIELDS.items():
        if name in doc and name not in unchecked:
            raise _bad(f"'{name}': {why}.", name)
    slots: list[Slot] = []
    known: set[str] = set(CONTROL_FIELDS)
    if kind == "chat":
        known |= {"messages", "tools", "functions", "tool_choice", "response_format", "prediction"}
        slots += _bundle(doc.get("tools"), doc.get("functions"), doc.get("tool_choice"))
        slots += _bundle(doc.get("response_format"))
        slots += _messages(doc.get("messages"))
        slots += _bundle(doc.get("prediction"))
    elif kind == "completions":
        known |= {"prompt", "suffix"}
        slots += _prompt(doc)
        if isinstance(doc.get("suffix"), str):
            slots.append((doc, "suffix"))
        elif doc.get("suffix") is not None:
            raise _bad("'suffix' must be a string.", "suffix")
    elif kind == "images":
        known |= {"prompt"} | _IMAGE_CONTROL
        slots.append((doc, "prompt"))
    elif kind == "embeddings":
        known |= {"input", "encoding_format", "dimensions"}
        slots += _embedding_input(doc)
    for name, value in doc.items():
        if name in known or name in unchecked or value is None:
            continue
        if isinstance(value, str):
            if value:
                slots.append((doc, name))
        else:
            slots += _bundle(value)
    return slots


def _prompt(doc: dict[str, Any]) -> list[Slot]:
    prompt = doc.get("prompt")
    if isinstance(prompt, str):
        return [(doc, "prompt")]
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        return [(prompt, i) for i in range(len(prompt))]
    raise _bad(
        "'prompt' must be a string or a list of strings (token arrays are not accepted).", "prompt"
    )


def _embedding_input(doc: dict[str, Any]) -> list[Slot]:
    """Embedding inputs: a string or a list of strings. Token arrays are refused: the engine
    cannot read token ids, so neither the content policy nor the PII policy could apply."""
    value = doc.get("input")
    if isinstance(value, str):
        return [(doc, "input")]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return [(value, i) for i in range(len(value))]
    raise _bad(
        "'input' must be a string or a non-empty list of strings (token arrays are not"
        " accepted: token ids cannot be checked).",
        "input",
    )


def _messages(messages: Any) -> Iterator[Slot]:
    if not isinstance(messages, list) or not messages:
        raise _bad("'messages' must be a non-empty array.", "messages")
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            raise _bad(f"messages[{i}] must be an object with a string 'role'.", f"messages.{i}")
        for key, value in msg.items():
            if key in _MESSAGE_CONTROL or value is None:
                continue
            if key == "content" and isinstance(value, list):
                yield from _content_parts(value, i)
            elif key == "content" and not isinstance(value, str):
                raise _bad(
                    f"messages[{i}].content must be a string, an array or null.",
                    f"messages.{i}.content",
                )
            elif isinstance(value, str):
                if value:
                    yield (msg, key)
            elif key == "tool_calls" and isinstance(value, list):
                yield from _tool_calls(value)
            else:
                yield from _bundle(value)


def _tool_calls(calls: list[Any]) -> Iterator[Slot]:
    for call in calls:
        if not isinstance(call, dict):
            continue
        fn = call.get("function")
        if isinstance(fn, dict):
            for key in ("name", "arguments"):
                if isinstance(fn.get(key), str) and fn[key]:
                    yield (fn, key)
            yield from _bundle(fn, skip=frozenset({"name", "arguments"}))
        yield from _bundle(call, skip=frozenset({"id", "type", "function"}))


def _content_parts(content: list[Any], i: int) -> Iterator[Slot]:
    where = f"messages.{i}.content"
    for j, part in enumerate(content):
        if not isinstance(part, dict):
            raise _bad(f"messages[{i}].content[{j}] must be an object.", where)
        kind = part.get("type")
        if kind in _TEXT_PART_KEYS:
            key = _TEXT_PART_KEYS[kind]
            if not isinstance(part.get(key), str):
                raise _bad(f"messages[{i}].content[{j}].{key} must be a string.", where)
            if part[key]:
                yield (part, key)
            yield from _bundle(part, skip=frozenset({"type", key}))
        elif kind in _MEDIA_PARTS:
            yield from _media(part, kind, f"messages[{i}].content[{j}]", where)
            yield from _bundle(
                part, skip=frozenset({"type", kind, "image_url", "detail", "file_id"})
            )
        else:
            shown = "missing" if kind is None else repr(kind)[:40]
            raise _bad(
                f"messages[{i}].content[{j}]: content part type {shown} is not supported"
                " (use text, image_url, input_audio or file).",
                where,
            )


def _media(part: dict[str, Any], kind: str, label: str, where: str) -> Iterator[Slot]:
    """Images and audio are not text the engine reads (docs/security.md); a data URL that is
    really text, or a file, is decoded and checked or refused."""
    if kind in ("image_url", "input_image"):
        ref = part.get("image_url") if kind == "image_url" else part
        url = ref.get("url") if isinstance(ref, dict) else ref
        if kind == "input_image" and isinstance(part.get("image_url"), str):
            url = part["image_url"]
        if not isinstance(url, str):
            raise _bad(f"{label}: an image needs a URL.", where)
        if url.startswith("data:") and not url[5:].lower().startswith("image/"):
            raise _bad(f"{label}: a data URL in an image part must hold an image.", where)
        return
    if kind == "input_audio":
        return
    file = part.get("file")
    if not isinstance(file, dict):
        raise _bad(f"{label}: a file part needs a 'file' object.", where)
    if file.get("file_id") is not None:
        raise _bad(f"{label}: files referenced by id cannot be checked; send their content.", where)
    if isinstance(file.get("filename"), str) and file["filename"]:
        yield (file, "filename")
    data = file.get("file_data")
    if not isinstance(data, str):
        raise _bad(f"{label}: a file part needs 'file_data'.", where)
    yield (_DecodedFile(file, label, where), 0)


class _DecodedFile:
    """A text file sent as ``file_data`` (data URL or base64): its text is the slot.

    Written back (redacted) as a data URL of the same type. Anything but text is refused: the
    engine cannot read a PDF or an office document.
    """

    __slots__ = ("file", "mime", "text")

    def __init__(self, file: dict[str, Any], label: str, where: str) -> None:
        data: str = file["file_data"]
        mime, payload = "", data
        if data.startswith("data:"):
            header, _, payload = data[5:].partition(",")
            mime = header.split(";")[0].lower()
            if ";base64" not in header.lower():
                raise _bad(f"{label}: file data URLs must be base64-encoded.", where)
        if not mime.startswith(_TEXT_MIME):
            shown = mime or "unknown"
            raise _bad(
                f"{label}: file content of type {shown} cannot be checked; send text files"
                " (text/plain, markdown, JSON, CSV) or paste the text as a text part.",
                where,
            )
        try:
            self.text = base64.b64decode(payload, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise _bad(f"{label}: file_data is not base64-encoded UTF-8 text.", where) from None
        self.file = file
        self.mime = mime

    def __getitem__(self, _: int) -> str:
        return self.text

    def __setitem__(self, _: int, value: str) -> None:
        self.text = value
        encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
        self.file["file_data"] = f"data:{self.mime};base64,{encoded}"
