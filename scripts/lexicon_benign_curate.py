"""Demote or drop the lexicon terms that often hit benign text (issue 13, round 2).

Usage (from a checkout, with ../shared/data beside it)::

    python scripts/lexicon_benign_curate.py            # edit the shipped lexicon files in place
    python scripts/lexicon_benign_curate.py --dry-run  # only list what would change
    python scripts/lexicon_benign_curate.py --hints    # third pass: medium → low (hint)

Every term of the shipped lexicon (starter and imported) is run, through the engine's own
lexicon detector, over the *train* half of the permissive benign sets (the sets of
``scripts/lexicon_import.py``; the dev half, never used here, measures the result with
``python scripts/lexicon_import.py --measure-only``). A term found in at least ``--min-hits``
benign texts is one that context has to decide:

- ``low`` and ``medium`` terms only ever flag; flagged on benign text often (and on risky text
  less than ``--ratio`` times as often), they are dropped (the classifier decides those texts);
- ``high`` terms would refuse on their own; under the same test they become ``medium`` (flag,
  never refuse alone).

The changes are written to the lexicon files (lines removed, severity column edited) and listed,
with each term's benign hits and its hits in risky training text (offensive comments, harmful
requests, written black-market posts, harmful seeds: what dropping it costs), in
``scripts/lexicon_benign_curation.tsv``. A flag-only term that risky text carries at least
``--ratio`` times as often as benign text is kept: its flags are mostly right.

``--hints`` (round 2, third pass) turns every ``medium`` term found in any benign training text
(``--min-hits`` 1 is the measured choice) into ``low``. A ``low`` term is a context hint: the
engine still reports it as evidence, but the built-in ``balanced`` and ``lenient`` policies act
on it only together with another layer (``strict`` still flags it). High terms and self-harm
phrases are left alone, and so is a term that is the only non-``low`` hit of one of the starter
lexicon's harmful probes. Record: ``scripts/lexicon_hint_curation.tsv``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import lexicon_import  # noqa: E402
import lexicon_review  # noqa: E402

from hegui.safety.classifier.training.datasets import load_cold, load_swsr, split_of  # noqa: E402
from hegui.safety.classifier.training.extra_sets import EXTRA_LOADERS  # noqa: E402
from hegui.safety.lexicon.detector import LexiconDetector  # noqa: E402
from hegui.safety.types import Direction, Doc  # noqa: E402

LEXICON = ROOT / "src/hegui/safety/data/lexicon"
RECORD = ROOT / "scripts/lexicon_benign_curation.tsv"
HINT_RECORD = ROOT / "scripts/lexicon_hint_curation.tsv"
_SEVERITY = {1.0: "high", 0.7: "medium", 0.4: "low"}


def term_hits(detector: LexiconDetector, texts: list[str]) -> Counter[tuple[str, str]]:
    """(term, severity) → number of texts it is found in (variants count for their term).

    Self-harm terms (A.4.a) are left out: a distress phrase is flagged so that a person can be
    answered with care, and it stays even where benign text uses it too.
    """
    hits: Counter[tuple[str, str]] = Counter()
    for text in texts:
        found = {(f.evidence.pattern.split(" (")[0], _SEVERITY.get(round(f.score, 1), "?"))
                 for f in detector.detect(Doc(text), Direction.INPUT) if f.code != "A.4.a"}  # fmt: skip
        hits.update(found)
    return hits


def risky_train(data: Path) -> list[str]:
    """Training texts a term *should* find: offensive comments (COLD, SWSR, Mandarin HateCheck),
    harmful requests (JADE-DB, AdvBench, HarmBench, StrongREJECT, Do-Not-Answer), hegui's written black-market posts and harmful seed lines."""
    from hegui.safety.classifier.training import blackmarket
    from hegui.safety.classifier.training.datasets import (
        load_do_not_answer,
        load_english_requests,
        load_jade,
        load_seeds,
    )

    rows = [*load_cold(data), *load_swsr(data), *EXTRA_LOADERS["mhc-zh"](data)]
    texts = [ex.text for ex in rows if ex.split == "train" and ex.offensive == 1]
    requests = [*load_jade(data), *load_english_requests(data), *load_do_not_answer(data)]
    texts += [ex.text for ex in requests if ex.split == "train" and ex.harmful == 1]
    texts += [
        ex.text for ex in blackmarket.generate(blackmarket.TRAIN, 25, "curate", "x") if ex.harmful
    ]
    texts += [ex.text for ex in load_seeds() if ex.harmful == 1 or ex.offensive == 1]
    return texts


def rewrite(
    path: Path, drop: set[str], demote: set[str], hint: frozenset[str] = frozenset()
) -> int:
    """Remove the ``drop`` terms' lines, mark the ``demote`` terms medium and the ``hint`` terms
    (medium ones) low; lines changed."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out, changed = [], 0
    for line in lines:
        cols = line.rstrip("\n").split("\t")
        term = cols[0].strip()
        if line.lstrip().startswith("#") or len(cols) < 3 or cols[0] == "term":
            out.append(line)
        elif term in drop and cols[2].strip() in ("low", "medium", ""):
            changed += 1
        elif term in demote and cols[2].strip() in ("high", ""):
            cols[2] = "medium"
            out.append("\t".join(cols) + "\n")
            changed += 1
        elif term in hint and cols[2].strip() == "medium":
            cols[2] = "low"
            out.append("\t".join(cols) + "\n")
            changed += 1
        else:
            out.append(line)
    if changed:
        path.write_text("".join(out), encoding="utf-8")
    return changed


def rewrite_allow(path: Path, orphans: set[str]) -> int:
    """Remove the allow-list lines of ``orphans``."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    keep = [ln for ln in lines if ln.split("\t")[0] not in orphans or ln.startswith("#")]
    path.write_text("".join(keep), encoding="utf-8")
    return len(lines) - len(keep)


def orphan_allow_terms(deny: set[str], allow_path: Path) -> set[str]:
    """Allow-list terms that no longer contain any deny term (they would only shadow nothing)."""
    out = set()
    for line in allow_path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if line.startswith("#") or len(cols) < 2 or cols[0] == "term":
            continue
        if not any(d in lexicon_review.normalise(cols[0]) for d in deny):
            out.add(cols[0])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=lexicon_review.DATA_DIR)
    parser.add_argument("--min-hits", type=int, default=2)
    parser.add_argument(
        "--ratio",
        type=float,
        default=2.0,
        help="keep a term that risky training texts hit this many times as often",
    )
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--hints", action="store_true", help="medium terms with benign hits → low")
    args = parser.parse_args(argv)
    corpora = lexicon_import.benign_corpora(args.data_dir)
    curation = [t for texts in corpora.values() for t in texts if split_of(t) == "train"]
    detector = LexiconDetector.default()
    benign = term_hits(detector, curation)
    if args.hints:
        return hints(detector, benign, args)
    risky = term_hits(detector, risky_train(args.data_dir))
    # a term that benign text carries often, and risky text not ``ratio`` times as often, is
    # dropped when it only flags and demoted to flag when it would refuse alone
    chosen = sorted(((t, s), n) for (t, s), n in benign.items()
                    if n >= args.min_hits and risky[(t, s)] < args.ratio * n)  # fmt: skip
    drop = {t for (t, s), _ in chosen if s in ("low", "medium")}
    demote = {t for (t, s), _ in chosen if s == "high"}
    rows = ["term\tseverity\taction\tbenign_train_hits\trisky_train_hits"]
    for (term, sev), n in sorted(chosen, key=lambda r: (-r[1], r[0])):
        action = "drop" if term in drop and sev != "high" else "high→medium"
        rows.append(f"{term}\t{sev}\t{action}\t{n}\t{risky[(term, sev)]}")
    print(
        f"{len(curation)} benign training texts; {len(drop)} terms to drop, {len(demote)} to demote"
    )
    print("\n".join(rows[:30]))
    if args.dry_run:
        return 0
    changed = sum(
        rewrite(p, drop, demote) for p in sorted(LEXICON.rglob("*.tsv")) if p.name != "allow.tsv"
    )
    entries, _ = lexicon_review.load_lexicon(LEXICON)
    deny = {lexicon_review.normalise(e.term) for e in entries if e.code != "allow"} - {""}
    changed += rewrite_allow(LEXICON / "allow.tsv", orphan_allow_terms(deny, LEXICON / "allow.tsv"))
    RECORD.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"{changed} lexicon lines changed; record: {RECORD.relative_to(ROOT)}")
    return 0


def probe_terms(detector: LexiconDetector) -> set[str]:
    """Terms that are the only non-low hit of a starter harmful probe (they stay medium)."""
    keep: set[str] = set()
    for prompts in lexicon_review.HARMFUL_PROBES.values():
        for prompt in prompts:
            found = {f.evidence.pattern.split(" (")[0] for f in
                     detector.detect(Doc(prompt), Direction.INPUT) if f.score >= 0.5}  # fmt: skip
            if len(found) == 1:
                keep |= found
    return keep


def hints(
    detector: LexiconDetector, benign: Counter[tuple[str, str]], args: argparse.Namespace
) -> int:
    """Third pass: flag-only terms that benign training text carries become hints (low)."""
    keep = probe_terms(detector)
    chosen = sorted(((t, n) for (t, s), n in benign.items()
                     if s == "medium" and n >= args.min_hits and t not in keep),
                    key=lambda r: (-r[1], r[0]))  # fmt: skip
    rows = [
        "term\tseverity\taction\tbenign_train_hits",
        *(f"{t}\tmedium\tmedium→low\t{n}" for t, n in chosen),
    ]
    print(f"{len(chosen)} medium terms to low; {len(keep)} probe terms kept")
    print("\n".join(rows[:30]))
    if args.dry_run:
        return 0
    hint = frozenset(t for t, _ in chosen)
    changed = sum(rewrite(p, set(), set(), hint) for p in sorted(LEXICON.rglob("*.tsv"))
                  if p.name != "allow.tsv")  # fmt: skip
    HINT_RECORD.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"{changed} lexicon lines changed; record: {HINT_RECORD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
