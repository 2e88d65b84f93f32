"""A Responses API request (``POST /v1/responses``) as the chat-completions request it stands for.

hegui serves ``/v1/responses`` by translation: upstreams are OpenAI-compatible chat servers, so
the request is rewritten into a chat request, which then goes through exactly the chat path
(input checks, upstream call, output checks, labels, records). Only what has a chat equivalent
is accepted; everything else is refused with a 400 that names the field, because silently
dropping it would change what the client asked for:

- ``input`` (a string, or a list of message items with ``input_text`` / ``output_text`` /
  ``input_image`` / ``input_file`` parts, ``function_call`` and ``function_call_output`` items)
  and ``instructions`` (a system message first) become ``messages``;
- function ``tools``, ``tool_choice``, ``text.format`` (``response_format``), ``reasoning.effort``,
  ``max_output_tokens`` and the sampling numbers map one to one; ``include:
  ["message.output_text.logprobs"]`` or ``top_logprobs`` ask the upstream for logprobs;
- built-in tools (web search, file search, code interpreter, ...), ``previous_response_id`` and
  ``conversation`` (hegui stores no responses), ``background`` and ``prompt`` templates are 400s.

Fields named in ``gateway.unchecked_fields`` are copied into the chat request as they are.
"""

from __future__ import annotations

from typing import Any

from hegui.gateway.errors import GatewayError

__all__ = ["IGNORED_FIELDS", "UNSUPPORTED_FIELDS", "to_chat_request"]

# Same meaning in both APIs: copied when present.
_SAME = (
    "model", "stream", "temperature", "top_p", "parallel_tool_calls", "user", "safety_identifier",
    "prompt_cache_key", "service_tier", "top_logprobs",
)  # fmt: skip
# Accepted and answered without forwarding (hegui keeps no responses, so ``store`` is moot).
IGNORED_FIELDS = frozenset(
    {"store", "metadata", "include", "truncation", "stream_options", "max_tool_calls"}
)
UNSUPPORTED_FIELDS = {
    "previous_response_id": "hegui stores no responses; send the whole conversation in 'input'",
    "conversation": "hegui stores no conversations; send the whole conversation in 'input'",
    "background": "background responses are not supported (hegui stores no responses)",
    "prompt": "stored prompt templates cannot be checked; send the text in 'input'",
}
_ROLES = frozenset({"user", "system", "developer", "assistant"})


def _bad(message: str, param: str) -> GatewayError:
    return GatewayError(400, message, code="invalid_request", param=param, decision="invalid")


def to_chat_request(doc: dict[str, Any], unchecked: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The chat-completions request for Responses request ``doc`` (or a 400 naming the field)."""
    for name, why in UNSUPPORTED_FIELDS.items():
        if doc.get(name) not in (None, False):
            raise _bad(f"'{name}' is not supported: {why}.", name)
    known = {*_SAME, *IGNORED_FIELDS, "input", "instructions", "tools", "tool_choice", "text"}
    known |= {"reasoning", "max_output_tokens"}
    for name in doc:
        if name not in known and name not in unchecked and name not in UNSUPPORTED_FIELDS:
            raise _bad(f"'{name}' is not a Responses API field hegui can serve.", name)
    chat: dict[str, Any] = {k: doc[k] for k in _SAME if doc.get(k) is not None}
    include = doc.get("include")
    wants = isinstance(include, list) and "message.output_text.logprobs" in include
    if wants or doc.get("top_logprobs") is not None:
        chat["logprobs"] = True  # rows follow the checked text (answers.py, stream_logprobs.py)
    if doc.get("max_output_tokens") is not None:
        chat["max_tokens"] = doc["max_output_tokens"]
    messages: list[dict[str, Any]] = []
    instructions = doc.get("instructions")
    if isinstance(instructions, str):
        if instructions:
            messages.append({"role": "system", "content": instructions})
    elif instructions is not None:
        raise _bad("'instructions' must be a string.", "instructions")
    messages += _input(doc.get("input"))
    chat["messages"] = messages
    if doc.get("tools"):
        chat["tools"] = _tools(doc["tools"])
    if doc.get("tool_choice") is not None:
        chat["tool_choice"] = _tool_choice(doc["tool_choice"])
    chat.update(_text(doc.get("text")))
    reasoning = doc.get("reasoning")
    if isinstance(reasoning, dict) and isinstance(reasoning.get("effort"), str):
        chat["reasoning_effort"] = reasoning["effort"]
    elif reasoning is not None and not isinstance(reasoning, dict):
        raise _bad("'reasoning' must be an object.", "reasoning")
    if chat.get("stream"):
        chat["stream_options"] = {"include_usage": True}  # usage for the final event and records
    for name in unchecked:
        if name in doc:
            chat[name] = doc[name]
    return chat


def _input(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise _bad("'input' must be a string or a non-empty array of items.", "input")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        where = f"input.{i}"
        if not isinstance(item, dict):
            raise _bad(f"input[{i}] must be an object.", where)
        kind = item.get("type", "message")
        if kind == "message":
            out.append(_message(item, i))
        elif kind == "function_call":
            call = {
                "id": _string(item, "call_id", i),
                "type": "function",
                "function": {
                    "name": _string(item, "name", i),
                    "arguments": _string(item, "arguments", i),
                },
            }
            last = out[-1] if out else None
            if last is not None and last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            if not isinstance(output, str):
                raise _bad(f"input[{i}].output must be a string.", where)
            out.append(
                {"role": "tool", "tool_call_id": _string(item, "call_id", i), "content": output}
            )
        else:
            raise _bad(
                f"input[{i}]: item type {str(kind)[:40]!r} is not supported (use message,"
                " function_call or function_call_output items).",
                where,
            )
    return out


def _string(item: dict[str, Any], key: str, i: int) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise _bad(f"input[{i}].{key} must be a string.", f"input.{i}.{key}")
    return value


def _message(item: dict[str, Any], i: int) -> dict[str, Any]:
    role = item.get("role")
    if role not in _ROLES:
        raise _bad(
            f"input[{i}].role must be one of user, system, developer, assistant.", f"input.{i}"
        )
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    if not isinstance(content, list):
        raise _bad(f"input[{i}].content must be a string or an array.", f"input.{i}.content")
    return {"role": role, "content": [_part(p, i, j) for j, p in enumerate(content)]}


def _part(part: Any, i: int, j: int) -> dict[str, Any]:
    """One content part as its chat equivalent; the chat checks then judge it (channels.py)."""
    where = f"input.{i}.content"
    if not isinstance(part, dict):
        raise _bad(f"input[{i}].content[{j}] must be an object.", where)
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        text = part.get("text")
        if not isinstance(text, str):
            raise _bad(f"input[{i}].content[{j}].text must be a string.", where)
        return {"type": "text", "text": text}
    if kind == "refusal" and isinstance(part.get("refusal"), str):
        return {"type": "refusal", "refusal": part["refusal"]}
    if kind == "input_image":
        url = part.get("image_url")
        if not isinstance(url, str):
            raise _bad(
                f"input[{i}].content[{j}]: images are accepted by URL or data URL"
                " ('image_url'), not by file id.",
                where,
            )
        image: dict[str, Any] = {"url": url}
        if isinstance(part.get("detail"), str):
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    if kind == "input_file":
        if part.get("file_id") is not None:
            raise _bad(
                f"input[{i}].content[{j}]: files referenced by id cannot be checked; send"
                " their content as file_data.",
                where,
            )
        file = {k: part[k] for k in ("filename", "file_data") if k in part}
        return {"type": "file", "file": file}  # file ids and non-text files: 400 in channels.py
    shown = "missing" if kind is None else repr(kind)[:40]
    raise _bad(
        f"input[{i}].content[{j}]: content part type {shown} is not supported"
        " (use input_text, input_image or input_file).",
        where,
    )


def _tools(tools: Any) -> list[dict[str, Any]]:
    if not isinstance(tools, list):
        raise _bad("'tools' must be an array.", "tools")
    out = []
    for n, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind != "function" or not isinstance(tool.get("name"), str):
            raise _bad(
                f"tools[{n}]: only function tools are supported (built-in tools such as"
                f" {str(kind)[:40]!r} cannot be served by a chat upstream).",
                f"tools.{n}",
            )
        fn = {k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool}
        out.append({"type": "function", "function": fn})
    return out


def _tool_choice(choice: Any) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if (
        isinstance(choice, dict)
        and choice.get("type") == "function"
        and isinstance(choice.get("name"), str)
    ):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise _bad(
        "'tool_choice' must be auto, none, required or {type: function, name}.", "tool_choice"
    )


def _text(text: Any) -> dict[str, Any]:
    if text is None:
        return {}
    if not isinstance(text, dict):
        raise _bad("'text' must be an object.", "text")
    out: dict[str, Any] = {}
    if isinstance(text.get("verbosity"), str):
        out["verbosity"] = text["verbosity"]
    fmt = text.get("format")
    if fmt is None or (isinstance(fmt, dict) and fmt.get("type") == "text"):
        return out
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        out["response_format"] = {"type": "json_object"}
    elif isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = {k: fmt[k] for k in ("name", "schema", "description", "strict") if k in fmt}
        out["response_format"] = {"type": "json_schema", "json_schema": schema}
    else:
        raise _bad("'text.format' must be text, json_object or json_schema.", "text.format")
    return out
