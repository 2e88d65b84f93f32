"""Regenerate the settings table of docs/configuration.md from hegui.config (run after adding a setting)."""

from __future__ import annotations

import sys
import typing
from pathlib import Path

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from hegui.config import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"


def _default(f: FieldInfo) -> str:
    if f.is_required():
        return "(required)"
    default = f.default_factory() if f.default_factory is not None else f.default  # type: ignore[call-arg]
    return "(unset)" if default is None else f"`{default!r}`"


def _tables_inside(annotation: object) -> list[type[BaseModel]]:
    """Models a setting's type holds (e.g. ``list[str | UpstreamSettings]``): their own tables."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _tables_inside(arg)]


def settings_table() -> str:
    rows = []
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        rows.append(
            f"\n### `[{section}]`\n\n| setting | env | default | description |\n|---|---|---|---|"
        )
        nested: list[tuple[str, type[BaseModel]]] = []
        for name, f in model.model_fields.items():
            env = f"HEGUI_{section.upper()}__{name.upper()}"
            rows.append(f"| `{name}` | `{env}` | {_default(f)} | {f.description or ''} |")
            nested += [(name, m) for m in _tables_inside(f.annotation)]
        for name, inner in nested:
            rows.append(
                f"\n#### `[[{section}.{name}]]` (one table per entry)\n\n"
                "| setting | default | description |\n|---|---|---|"
            )
            for key, f in inner.model_fields.items():
                rows.append(f"| `{key}` | {_default(f)} | {f.description or ''} |")
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
