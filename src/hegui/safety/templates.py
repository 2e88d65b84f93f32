"""Refusal (拒答) and safe-answer (安全代答) texts per risk category, in Chinese and English.

The gateway answers a refused prompt with one of these texts; which style is used comes from the
policy rule (``response = "refusal" | "safe_answer"``). Operators override any text in their
policy file under ``[templates."A.1".safe_answer]`` etc.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from hegui.errors import ConfigError

__all__ = ["Templates", "detect_lang"]

_BUILTIN = Path(__file__).parent / "data" / "templates.toml"
_STYLES = ("refusal", "safe_answer")
_LANGS = ("zh", "en")


def detect_lang(text: str) -> str:
    """'zh' when CJK ideographs make up a fair share of the letters, else 'en'."""
    cjk = letters = 0
    for ch in text[:2000]:
        if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
            cjk += 1
            letters += 1
        elif ch.isalpha():
            letters += 1
    return "zh" if letters == 0 or cjk * 5 >= letters else "en"


@dataclass(frozen=True, slots=True)
class Templates:
    """Texts keyed by (category, style, lang); falls back to the category's other style, then default."""

    texts: dict[tuple[str, str, str], str] = field(default_factory=dict)

    @classmethod
    def builtin(cls) -> Templates:
        return _builtin()

    def text(self, code: str | None, style: str, lang: str) -> str:
        category = _category(code)
        other = "refusal" if style == "safe_answer" else "safe_answer"
        for key in ((category, style, lang), (category, other, lang), ("default", style, lang)):
            if key in self.texts:
                return self.texts[key]
        return self.texts[("default", "refusal", "zh")]

    def merged(self, overrides: dict[str, Any], *, source: str) -> Templates:
        texts = dict(self.texts)
        texts.update(_flatten(_rejoin(overrides), source))
        return Templates(texts)


def _category(code: str | None) -> str:
    if not code:
        return "default"
    return "X" if code.startswith("X") else code[:3]


def _flatten(data: dict[str, Any], source: str) -> dict[tuple[str, str, str], str]:
    out: dict[tuple[str, str, str], str] = {}
    for category, styles in data.items():
        if not isinstance(styles, dict):
            raise ConfigError(f"templates.{category} must be a table", path=source)
        for style, langs in styles.items():
            if style not in _STYLES or not isinstance(langs, dict):
                raise ConfigError(
                    f"templates.{category}.{style}: style must be one of {_STYLES}", path=source
                )
            for lang, text in langs.items():
                if lang not in _LANGS or not isinstance(text, str) or not text.strip():
                    raise ConfigError(
                        f"templates.{category}.{style}.{lang}: need non-empty zh/en text",
                        path=source,
                    )
                out[(category, style, lang)] = text
    return out


def _rejoin(data: dict[str, Any]) -> dict[str, Any]:
    """TOML splits unquoted dotted names ([A.1.refusal]) into nested tables; join them back."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == "A" and isinstance(value, dict):
            for sub, styles in value.items():
                flat[f"A.{sub}"] = styles
        else:
            flat[key] = value
    return flat


@cache
def _builtin() -> Templates:
    data = tomllib.loads(_BUILTIN.read_text(encoding="utf-8"))
    return Templates(_flatten(_rejoin(data), str(_BUILTIN)))
