"""Labels on text answers (Labeling Measures; GB 45438 §5.1 explicit, Annex E implicit).

Explicit: a visible notice such as 本回答由人工智能生成 at the start or end of the answer.
Implicit: the 7-field Annex E JSON, sent in the ``X-AIGC-Label`` response header and as
``hegui.label`` in the body (non-stream answer or final stream chunk). One label per response.
"""

from __future__ import annotations

import json
import uuid
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
        self._ascii = all(v.isascii() for v in probe.values())  # header values must be ASCII

    def implicit(self) -> tuple[dict[str, str], bytes]:
        """A fresh label: its fields (for ``hegui.label``) and the header value (ASCII JSON)."""
        fields = dict(self._template)
        content_id = uuid.uuid4().hex
        for key in self._id_keys:
            fields[key] = content_id
        if self._ascii:
            return fields, orjson.dumps(fields)
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
