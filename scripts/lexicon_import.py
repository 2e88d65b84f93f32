"""Rebuild the imported part of the shipped lexicon and report its benign hit rate.

Usage (from a checkout, with ../shared/data beside it and ``pip install -e '.[lexicon-build]'``)::

    python scripts/lexicon_import.py            # writes src/hegui/safety/data/lexicon/imported/

Benign texts are every permissive benign set (COLD and SWSR non-offensive comments, CValues,
SafetyBench questions, BIPIA, ToxiGen neutral, KdConv and CrossWOZ dialogue, GAOKAO and SecGPT
questions, role-play prompts, Self-Instruct, CoCoNot's contrast set) and hegui's benign seed
lines. Each is split by the classifier's stable text hash: the train part decides which terms
are dropped, the dev part (never used for curation) measures the result. Word frequencies come
from jieba's dictionary (MIT).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import lexicon_review  # noqa: E402

from hegui.safety.classifier.training.datasets import SEEDS_DIR, load_seeds, split_of  # noqa: E402
from hegui.safety.classifier.training.extra_sets import EXTRA_LOADERS  # noqa: E402
from hegui.safety.lexicon.detector import LexiconDetector  # noqa: E402
from hegui.safety.lexicon.format import builtin_dir  # noqa: E402
from hegui.safety.policy import Policy  # noqa: E402
from hegui.safety.types import ACTION_ORDER, Action, Direction, Doc  # noqa: E402

OUT = ROOT / "src/hegui/safety/data/lexicon/imported"
BENIGN_EXTRA = (
    "kdconv",
    "crosswoz",
    "gaokao",
    "secgpt",
    "prompts-zh",
    "self-instruct",
    "coconot-contrast",
)
NOT_PERMISSIVE = {"ced-nonrumor"}  # no licence: never used to shape a shipped lexicon


def benign_corpora(data: Path) -> dict[str, list[str]]:
    """Name → benign texts, from the permissive sets and hegui's own benign seed lines."""
    loaders = {k: v for k, v in lexicon_review.CORPORA.items() if k not in NOT_PERMISSIVE}
    corpora = lexicon_review.load_corpora(loaders, data)
    for name in BENIGN_EXTRA:
        corpora[name] = [ex.text for ex in EXTRA_LOADERS[name](data)]
    corpora["hegui-benign-seeds"] = [
        ex.text for ex in load_seeds(SEEDS_DIR) if ex.harmful == 0 and ex.offensive == 0
    ]
    return corpora


def flag_rate(detector: LexiconDetector, texts: list[str]) -> tuple[int, int, int]:
    """(texts with any lexicon finding, texts the built-in policy flags or refuses on the lexicon
    findings alone, texts with a high-severity finding). ``low`` findings are hints the policy
    does not act on alone, so only the second counts towards the ≤ 0.5 % target."""
    policy = Policy.builtin()
    anyhit = flagged = high = 0
    for text in texts:
        found = detector.detect(Doc(text), Direction.INPUT)
        anyhit += bool(found)
        flagged += (
            ACTION_ORDER[policy.decide(found, Direction.INPUT).action] >= ACTION_ORDER[Action.FLAG]
        )
        high += any(f.score >= 0.9 for f in found)
    return anyhit, flagged, high


def _rates(counts: tuple[int, ...], n: int) -> str:
    return " / ".join(f"{c / n:.2%}" for c in counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=lexicon_review.DATA_DIR)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--measure-only", action="store_true", help="only report on the shipped files"
    )
    args = parser.parse_args(argv)
    corpora = benign_corpora(args.data_dir)
    curation = [t for texts in corpora.values() for t in texts if split_of(t) == "train"]
    if not args.measure_only:
        import jieba

        freq = Path(jieba.__file__).with_name("dict.txt")
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as f:
            f.writelines(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in curation)
        raw = args.data_dir
        subprocess.run([sys.executable, "-m", "hegui.cli", "lexicon", "import", "--out", str(args.out),
                        "--benign", f.name, "--houbb", str(raw / "sensitive-word-houbb"),
                        "--konsheng", str(raw / "sensitive-lexicon-konsheng"), "--word-freq", str(freq)],
                       check=True)  # fmt: skip
        Path(f.name).unlink()
    only_starter = LexiconDetector.from_paths([builtin_dir()], builtin=False)
    shipped = LexiconDetector.default()
    print(
        "\n| benign set (dev part, never used for curation) | texts | starter: any / flagged / high | starter + imported: any / flagged / high |"
    )
    print("|---|---:|---:|---:|")
    total = Counter()
    for name, texts in corpora.items():
        held = [t for t in texts if split_of(t) == "dev"]
        if not held:
            continue
        row = (*flag_rate(only_starter, held), *flag_rate(shipped, held))
        total.update({"n": len(held), **{str(i): v for i, v in enumerate(row)}})
        print(
            f"| {name} | {len(held)} | {_rates(row[:3], len(held))} | {_rates(row[3:], len(held))} |"
        )
    n = total["n"]
    row = tuple(total[str(i)] for i in range(6))
    print(f"| **all** | {n} | {_rates(row[:3], n)} | {_rates(row[3:], n)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
