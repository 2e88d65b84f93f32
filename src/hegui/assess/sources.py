"""Evidence from other rooms: the training-data registry and the annotation rules.

The report and the filing pack read two summaries through one small interface. A room that
can supply one exposes a module with a function ``assessment_summary() -> dict``:

- ``hegui.corpus.assessment`` → the *training data* summary (Article 7, TC260-003 §5.1–5.2,
  §9.2)::

      {"sources": [{"name", "kind": "open-source|self-collected|commercial|user",
                    "licence", "legal_basis", "items", "language", "illegal_share",
                    "sampled", "pass_rate"}],
       "total_items": int, "languages": {"zh": int, …}, "foreign_share": float,
       "manual_check": {"sampled": int, "pass_rate": float},      # §9.2: ≥ 4,000, ≥ 96 %
       "technical_check": {"share": float, "pass_rate": float}}   # §9.2: ≥ 10 %, ≥ 98 %

- ``hegui.annotation.assessment`` → the *annotation* summary (Article 8, §5.3)::

      {"rules": [{"name", "version", "kind": "functional|security", "covers_risks": [codes]}],
       "annotators": int, "trained": int, "certified": int,
       "reviewed_share": float, "agreement": {"kappa": float, "alpha": float},
       "verification": {"sampled": int, "accuracy": float}}

Until those rooms exist (issues 17 and 18), each section is reported as *not available* with
the reason, and the clauses that depend on it stay *pending*. A provider with a registry of
its own can supply the same fields today as a JSON file in the run folder
(``training_data.json``, ``annotation.json``); a file there wins over the room.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SOURCES", "SourceSummary", "load_source"]

SOURCES: dict[str, tuple[str, str]] = {
    # name: (module that may provide it, file name in the run folder)
    "training_data": ("hegui.corpus.assessment", "training_data.json"),
    "annotation": ("hegui.annotation.assessment", "annotation.json"),
}


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """One evidence section: its data when available, else why not."""

    name: str
    data: dict[str, Any] | None
    origin: str  # the module or file it came from, or "" when not available
    reason: str = ""

    @property
    def available(self) -> bool:
        return self.data is not None


def load_source(name: str, run_dir: Path | None = None) -> SourceSummary:
    """The summary ``name`` from a file in ``run_dir``, else from its room, else not available."""
    module_name, file_name = SOURCES[name]
    if run_dir is not None and (run_dir / file_name).is_file():
        path = run_dir / file_name
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return SourceSummary(name, None, "", f"{path} is not JSON")
        if isinstance(data, dict):
            return SourceSummary(name, data, str(path))
        return SourceSummary(name, None, "", f"{path} does not hold a JSON object")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return SourceSummary(
            name, None, "", f"{module_name} is not part of this installation (not built yet)"
        )
    summary = getattr(module, "assessment_summary", None)
    if not callable(summary):
        return SourceSummary(name, None, "", f"{module_name} has no assessment_summary()")
    data = summary()
    if not isinstance(data, dict):
        return SourceSummary(name, None, "", f"{module_name}.assessment_summary() gave no dict")
    return SourceSummary(name, data, module_name)
