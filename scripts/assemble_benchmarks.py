"""Rebuild docs/benchmarks.md from the latest tables in benchmarks/results/ (one section each).

Each benchmark script writes its own table with the command that produced it; this keeps the
published page and the raw results identical. Run after any benchmark: python scripts/assemble_benchmarks.py
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = [
    ("engine_lexicon.md", "Risk engine: lexicon layer throughput"),
    ("engine_latency.md", "Risk engine: whole-engine latency, batch mode, cold start"),
    ("quality.md", "Risk engine: quality on the dev splits"),
    ("failure_modes.md", "Risk engine: failure modes (issue 13)"),
    ("pii.md", "Risk engine: personal information on MultiPriv-PII"),
    ("gateway.md", "Gateway"),
    ("soak.md", "Gateway: soak (durability under faults)"),
    ("labeling.md", "Labels: round trip and metadata labelling speed"),
    ("labeling_watermark.md", "Labels: invisible watermark robustness"),
    ("labeling_scale.md", "Labels: many files, large files"),
    ("judge.md", "Assessment: judge against human labels"),
    ("assess_runner.md", "Assessment: runner throughput and resume"),
    ("annotation.md", "Annotation: 100,000-task project export and import"),
    ("corpus_throughput.md", "Corpus scan: throughput against datatrove"),
    ("corpus_ray.md", "Corpus scan: scale-out on local workers and Ray"),
    ("corpus_dedup.md", "Corpus scan: near-duplicate precision and recall"),
    ("corpus_pii.md", "Corpus scan: personal information on MultiPriv-PII"),
    ("corpus_memory.md", "Corpus scan: memory on a large input"),
]
HEADER = """# Benchmarks

Measured speed and quality, each table with the command that reproduces it, on the project's
2-core machine (shared with other jobs while these ran, so wall-clock figures are noisy; CPU-time
figures are the stable ones). The raw tables live in `benchmarks/results/`; this page is rebuilt
from them by `python scripts/assemble_benchmarks.py`.
"""


def demote(text: str) -> str:
    """Turn the result file's headings one level down so they nest under the section title."""
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            line = "#" + line
        out.append(line)
    return "\n".join(out).strip() + "\n"


def main() -> None:
    parts = [HEADER]
    for name, title in ORDER:
        path = ROOT / "benchmarks" / "results" / name
        if path.exists():
            body = demote(path.read_text(encoding="utf-8"))
            lines = body.splitlines()
            if lines and lines[0].startswith("##"):
                lines = lines[1:]
            parts.append(f"\n## {title}\n\n" + "\n".join(lines).strip() + "\n")
    (ROOT / "docs" / "benchmarks.md").write_text("".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
