"""Rebuild the public-set part of the shipped starter banks (dev-time only).

    python scripts/build_banks.py [--data-dir ../shared/data/raw] [--check-overlap]

Writes ``src/hegui/assess/banks/public-{generate,refuse,not-refuse}.jsonl``: a seeded selection
from the permissively licensed sets (JADE-DB MIT, Do-Not-Answer Apache-2.0, CValues Apache-2.0,
HarmBench MIT), only as many items per risk as the banks need, never a whole set. The items the
project wrote (``hegui-*.jsonl``) are edited by hand and not touched here.

``--check-overlap`` compares every project-written item with every question of the public
sets (character 4-gram Jaccard) and lists the pairs above 0.5, to show that nothing was copied
from an evaluation set.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

from hegui.assess.bank import BUILTIN_DIR, BankItem, load_banks
from hegui.assess.importers import IMPORTERS, import_set

ROOT = Path(__file__).resolve().parents[1]
SEED = 19

JADE_GENERATE_CAP = {"A.1.h": 600, "A.4.e": 200, "A.4.f": 200, "A.4.a": 120}
JADE_REFUSE = {"A.1.d": 20, "A.1.f": 20, "A.1.g": 25, "A.1.h": 150}
# Do-Not-Answer (English) fills the should-refuse risks JADE-DB leaves thin; A.1.g/A.1.h come
# from JADE-DB, so they are not taken here.
DNA_REFUSE = {"A.1.b": 99, "A.1.d": 99, "A.1.f": 99, "A.2.a": 99, "A.2.b": 99, "A.2.d": 99,
              "A.2.e": 99, "A.2.h": 99, "A.2.i": 30}  # fmt: skip
CVALUES_CAP = {"health": 30, "geography": 25, "culture": 25, "system": 25, "gender": 25,
               "occupation": 10}  # fmt: skip


def _by_key(items: list[BankItem]) -> dict[str, list[BankItem]]:
    groups: dict[str, list[BankItem]] = defaultdict(list)
    for item in sorted(items, key=lambda i: i.id):
        groups[item.key].append(item)
    return groups


def _take(items: list[BankItem], n: int, tag: str) -> tuple[list[BankItem], list[BankItem]]:
    """``n`` items chosen with a fixed seed, and the rest."""
    shuffled = list(items)
    random.Random(f"{SEED}:{tag}").shuffle(shuffled)
    return shuffled[:n], shuffled[n:]


def select(data_dir: Path) -> dict[str, list[BankItem]]:
    from dataclasses import replace

    out: dict[str, list[BankItem]] = {"generate": [], "refuse": [], "not-refuse": []}
    for code, items in _by_key(import_set("jade-db", data_dir)).items():
        refuse, rest = _take(items, JADE_REFUSE.get(code, 0), f"jade-refuse:{code}")
        out["refuse"] += [replace(i, bank="refuse") for i in refuse]
        gen, _ = _take(rest, JADE_GENERATE_CAP.get(code, len(rest)), f"jade-gen:{code}")
        out["generate"] += gen
    for code, items in _by_key(import_set("do-not-answer", data_dir)).items():
        out["refuse"] += _take(items, DNA_REFUSE.get(code, 0), f"dna:{code}")[0]
    harmbench = [i for i in import_set("harmbench", data_dir) if i.risk == "A.3.a"]
    out["generate"] += harmbench
    for aspect, items in _by_key(import_set("cvalues", data_dir)).items():
        out["not-refuse"] += _take(items, CVALUES_CAP.get(aspect, 0), f"cvalues:{aspect}")[0]
    return {bank: sorted(items, key=lambda i: i.id) for bank, items in out.items()}


def _grams(text: str, n: int = 4) -> set[str]:
    t = "".join(text.split())
    return {t[i : i + n] for i in range(max(1, len(t) - n + 1))}


def check_overlap(data_dir: Path, threshold: float = 0.5) -> int:
    public = [i for name in IMPORTERS for i in import_set(name, data_dir)]
    index: dict[str, set[int]] = defaultdict(set)
    grams = [_grams(i.text) for i in public]
    for k, g in enumerate(grams):
        for x in g:
            index[x].add(k)
    ours = [i for i in load_banks([BUILTIN_DIR]).items if i.source == "hegui"]
    hits = 0
    for item in ours:
        g = _grams(item.text)
        candidates: dict[int, int] = defaultdict(int)
        for x in g:
            for k in index.get(x, ()):
                candidates[k] += 1
        for k, inter in candidates.items():
            jaccard = inter / len(g | grams[k])
            if jaccard >= threshold:
                hits += 1
                print(
                    f"{jaccard:.2f}  {item.id}: {item.text}\n      {public[k].id}: {public[k].text}"
                )
    print(f"{len(ours)} project-written items against {len(public)} public questions: "
          f"{hits} pair(s) with 4-gram Jaccard ≥ {threshold}")  # fmt: skip
    return hits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "raw")
    ap.add_argument("--check-overlap", action="store_true")
    args = ap.parse_args()
    if args.check_overlap:
        raise SystemExit(1 if check_overlap(args.data_dir) else 0)
    for bank, items in select(args.data_dir).items():
        path = BUILTIN_DIR / f"public-{bank}.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for item in items:
                f.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
        print(f"{path.relative_to(ROOT)}: {len(items)} items")


if __name__ == "__main__":
    main()
