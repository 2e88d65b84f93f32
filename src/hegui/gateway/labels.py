"""Labels on text answers (Labeling Measures; GB 45438 §5.1 explicit, Annex E implicit).

Explicit: a visible notice such as 本回答由人工智能生成 at the start or end of the answer.
Implicit: the 7-field Annex E JSON, sent in the ``X-AIGC-Label`` response header and as
``hegui.label`` in the body (non-stream answer or final stream chunk). One label per response.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from hegui.config import GatewaySettings, LabelingSettings

__all__ = ["LABEL_HEADER", "REST_REMINDER", "TextLabeler"]

LABEL_HEADER = b"x-aigc-label"
REST_REMINDER = "温馨提示：您已连续使用较长时间，请注意休息。"


class TextLabeler:
    """Built once per app; the provider code is resolved (and validated) at start-up."""

    def __init__(self, gateway: GatewaySettings, labeling: LabelingSettings) -> None:
        from hegui.labeling.provider import configured_producer

        if gateway.explicit_label_position not in ("start", "end"):
            from hegui.errors import ConfigError

            raise ConfigError("gateway.explicit_label_position must be 'start' or 'end'")
        self.notice = gateway.explicit_label
        self.at_start = gateway.explicit_label_position == "start"
        self.producer = configured_producer(labeling, warn=True)
        # Build (and so validate) one label with the labeling room's code; per response only the
        # content id changes, which saves re-validating seven fields on every answer.
        from hegui.labeling import new_label

        probe = new_label(labeling, producer=self.producer).to_dict()
        self._id_keys = tuple(k for k, v in probe.items() if v == probe["ProduceID"])
        self._template = probe
        # Header value = the constant JSON split around each content id: one join per answer.
        if all(v.isascii() for v in probe.values()):  # header values must be ASCII
            marker = "\x00id\x00"
            text = orjson.dumps({k: marker if k in self._id_keys else v for k, v in probe.items()})
            self._header_parts: list[bytes] | None = text.split(orjson.dumps(marker)[1:-1])
        else:
            self._header_parts = None
        self._ids = _ContentIds()

    def implicit(self) -> tuple[dict[str, str], bytes]:
        """A fresh label: its fields (for ``hegui.label``) and the header value (ASCII JSON)."""
        fields = dict(self._template)
        content_id = self._ids.next()
        for key in self._id_keys:
            fields[key] = content_id
        parts = self._header_parts
        if parts is not None:
            return fields, content_id.encode().join(parts)
        return fields, json.dumps(fields, ensure_ascii=True, separators=(",", ":")).encode("ascii")

    @property
    def prefix(self) -> str:
        return f"{self.notice}\n\n" if self.notice and self.at_start else ""

    def suffix(self, remind_rest: bool = False) -> str:
        tail = f"\n\n{self.notice}" if self.notice and not self.at_start else ""
        if remind_rest:
            tail += f"\n\n{REST_REMINDER}"
        return tail

    def apply(self, text: str, remind_rest: bool = False) -> str:
        return self.prefix + text + self.suffix(remind_rest)


class _ContentIds:
    """Random 128-bit hex ids (uuid4-like) from one ``os.urandom`` call per 256 ids.

    A ProduceID must be unique, not secret; one kernel call per answer was a visible share of the
    gateway's time per request.
    """

    __slots__ = ("_buf", "_pid", "_pos")

    _BATCH = 256 * 16

    def __init__(self) -> None:
        self._buf = b""
        self._pos = 0
        self._pid = 0

    def next(self) -> str:
        pos = self._pos
        if pos >= len(self._buf) or self._pid != os.getpid():  # a forked worker draws afresh
            self._buf, pos, self._pid = os.urandom(self._BATCH), 0, os.getpid()
        self._pos = pos + 16
        return self._buf[pos : pos + 16].hex()
