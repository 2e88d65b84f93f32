"""What only the provider can say: the service, the algorithm mechanism, clause answers, signers.

Read from the TOML template that ``hegui assess template`` writes. Every field is optional; the
report says "not provided" for what is missing. Bad values (an unknown clause id or result, a
value that is not text) raise :class:`hegui.errors.ConfigError` naming the file and key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui.errors import ConfigError

__all__ = ["RESULTS", "TEMPLATE_PATH", "ClauseAnswer", "Provider", "load_provider"]

TEMPLATE_PATH = Path(__file__).parent / "data" / "provider_template.toml"
RESULTS = ("compliant", "non-compliant", "not-applicable")


@dataclass(frozen=True, slots=True)
class ClauseAnswer:
    """The provider's result for one clause, its evidence and reason."""

    result: str | None
    evidence: str
    reason: str


@dataclass(frozen=True, slots=True)
class Provider:
    service: dict[str, str] = field(default_factory=dict)
    mechanism: dict[str, str] = field(default_factory=dict)
    signatures: dict[str, str] = field(default_factory=dict)
    clauses: dict[str, ClauseAnswer] = field(default_factory=dict)
    source: str | None = None

    def text(self, section: str, key: str, lang: str = "zh") -> str:
        """A filled-in text, the English variant for ``lang="en"`` when there is one."""
        values: dict[str, str] = getattr(self, section)
        if lang == "en" and values.get(f"{key}_en"):
            return values[f"{key}_en"]
        return values.get(key, "")


def _texts(doc: dict[str, Any], section: str, path: Path) -> dict[str, str]:
    values = doc.get(section, {})
    if not isinstance(values, dict):
        raise ConfigError(f"[{section}] must be a table", path=str(path))
    for key, value in values.items():
        if not isinstance(value, str):
            raise ConfigError(f"{section}.{key} must be text", path=str(path))
    return {k: v.strip() for k, v in values.items()}


def load_provider(path: Path | None, known_clauses: set[str] | None = None) -> Provider:
    """The provider's answers from ``path`` (an empty :class:`Provider` when ``None``)."""
    if path is None:
        return Provider()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("provider file not found", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path)) from None
    clauses: dict[str, ClauseAnswer] = {}
    for cid, answer in (doc.get("clauses") or {}).items():
        if known_clauses is not None and cid not in known_clauses:
            raise ConfigError(f"unknown clause {cid!r}", path=str(path))
        if not isinstance(answer, dict):
            raise ConfigError(f"clauses.{cid} must be a table", path=str(path))
        result = str(answer.get("result") or "").strip() or None
        if result is not None and result not in RESULTS:
            raise ConfigError(
                f"clauses.{cid}.result must be one of {', '.join(RESULTS)}", path=str(path)
            )
        clauses[cid] = ClauseAnswer(
            result,
            str(answer.get("evidence") or "").strip(),
            str(answer.get("reason") or "").strip(),
        )
    return Provider(
        _texts(doc, "service", path),
        _texts(doc, "mechanism", path),
        _texts(doc, "signatures", path),
        clauses,
        str(path),
    )
