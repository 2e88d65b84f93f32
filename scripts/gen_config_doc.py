"""Regenerate the settings table of docs/configuration.md from hegui.config (run after adding a setting)."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import BaseModel

from hegui.config import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"


def settings_table() -> str:
    rows = []
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        rows.append(
            f"\n### `[{section}]`\n\n| setting | env | default | description |\n|---|---|---|---|"
        )
        for name, f in model.model_fields.items():
            default = f.default_factory() if f.default_factory is not None else f.default  # type: ignore[call-arg]
            shown = "(unset)" if default is None else f"`{default!r}`"
            env = f"HEGUI_{section.upper()}__{name.upper()}"
            rows.append(f"| `{name}` | `{env}` | {shown} | {f.description or ''} |")
    return "\n".join(rows) + "\n"


def render(doc: str) -> str:
    head, _, rest = doc.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{settings_table()}{END}{tail}"


if __name__ == "__main__":
    current = DOC.read_text(encoding="utf-8")
    new = render(current)
    if "--check" in sys.argv:
        sys.exit(0 if new == current else 1)
    DOC.write_text(new, encoding="utf-8")
