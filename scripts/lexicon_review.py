"""Review the starter lexicon: validate its files, count terms per risk, measure benign false hits.

Why a separate script: the shipped lexicon is data that people edit by hand, so every edit is
checked here before it reaches the engine. The checks are independent of the engine's matcher
(a plain normalise-then-substring scan), so a matcher bug cannot hide a lexicon bug.

Usage::

    python scripts/lexicon_review.py                 # validate + counts + benign scan
    python scripts/lexicon_review.py --no-scan       # validate + counts only
    python scripts/lexicon_review.py --top 40        # longer list of offending terms
    python scripts/lexicon_review.py --harmful       # also hit rates on harmful sets

Exit code 0 when every file is valid and every A.1/A.2 risk meets its minimum, 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import opencc

from hegui import taxonomy

ROOT = Path(__file__).resolve().parent.parent
LEXICON_DIR = ROOT / "src" / "hegui" / "safety" / "data" / "lexicon"
DATA_DIR = ROOT.parent / "shared" / "data" / "raw"

SEVERITIES = ("high", "medium", "low")
MODES = ("sub", "word")
HEADER = ("term", "code", "severity", "mode", "exceptions")
ALLOW_CODE = "allow"
# The margins this project commits to, above TC260-003 §8.1's 200 / 100.
TARGETS = {"A.1": 230, "A.2": 120}
MAX_CJK_CHARS = 10
MAX_WORDS = 5

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_WORD_CHAR = re.compile(r"[a-z0-9_]")
_CJK_RUN = re.compile(r"([\u3400-\u9fff])\1\1")  # the engine collapses such runs to one char


@dataclass(frozen=True, slots=True)
class Entry:
    """One lexicon line."""

    term: str
    code: str
    severity: str
    mode: str
    exceptions: tuple[str, ...]
    path: str
    line: int


# --------------------------------------------------------------------------- normalisation


_T2S = opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Width, case, traditional→simplified and zero-width folding, like the engine's matcher."""
    return _T2S.convert(_ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text)).lower())


def is_cjk(term: str) -> bool:
    """True when the term contains at least one CJK ideograph."""
    return bool(_CJK.search(term))


def term_length_problem(term: str) -> str | None:
    """TC260-003 §8.1: a keyword is generally ≤ 10 Chinese characters or ≤ 5 words."""
    if is_cjk(term):
        n = len(_CJK.findall(term))
        return f"{n} Chinese characters (max {MAX_CJK_CHARS})" if n > MAX_CJK_CHARS else None
    words = term.split()
    return f"{len(words)} words (max {MAX_WORDS})" if len(words) > MAX_WORDS else None


# --------------------------------------------------------------------------- parsing


def parse_file(path: Path) -> tuple[list[Entry], list[str]]:
    """Parse one TSV file; return its entries and a list of ``path:line: problem`` strings."""
    entries: list[Entry] = []
    problems: list[str] = []
    name = path.name
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{name}:{number}"
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cols = raw.split("\t")
        if tuple(c.strip() for c in cols) == HEADER[: len(cols)]:
            continue
        if len(cols) > len(HEADER):
            problems.append(f"{where}: {len(cols)} columns (max {len(HEADER)})")
            continue
        cols += [""] * (len(HEADER) - len(cols))
        term, code, severity, mode, exc = (c.strip() for c in cols)
        severity = severity or "high"  # the engine's default (hegui.safety.lexicon.format)
        mode = mode or "sub"
        exceptions = tuple(e.strip() for e in exc.split("|") if e.strip())
        entry = Entry(term, code, severity, mode, exceptions, name, number)
        problems += [f"{where}: {p}" for p in entry_problems(entry, path.stem)]
        entries.append(entry)
    return entries, problems


def entry_problems(entry: Entry, stem: str) -> list[str]:
    """Problems of one entry on its own (cross-entry checks are in :func:`validate`)."""
    out: list[str] = []
    term = entry.term
    if not term:
        return ["empty term"]
    if entry.code == ALLOW_CODE:
        if stem != "allow":
            out.append("code 'allow' outside allow.tsv")
    elif not taxonomy.is_known(entry.code):
        out.append(f"unknown risk code {entry.code!r}")
    elif stem != "allow" and not (entry.code == stem or entry.code.startswith(stem + ".")):
        out.append(f"code {entry.code} does not belong in {stem}.tsv")
    if stem == "allow" and entry.code != ALLOW_CODE:
        out.append("allow.tsv entries must have code 'allow'")
    if entry.severity not in SEVERITIES:
        out.append(f"severity {entry.severity!r} not in {SEVERITIES}")
    if entry.mode not in MODES:
        out.append(f"mode {entry.mode!r} not in {MODES}")
    if len(term) < 2:
        out.append("single-character term")
    if term != normalise(term) or term != " ".join(term.split()):
        out.append(f"term not in normal form (expected {' '.join(normalise(term).split())!r})")
    if _CJK_RUN.search(term):
        out.append("run of 3+ identical characters (the engine collapses it to one)")
    if (problem := term_length_problem(term)) is not None:
        out.append(problem)
    if entry.mode == "word" and not term.isascii():
        out.append("mode 'word' needs a Latin-script term")
    if entry.mode == "sub" and term.isascii() and entry.code != ALLOW_CODE:
        out.append("Latin-script term must use mode 'word' (substring matches inside words)")
    for exc in entry.exceptions:
        if normalise(term) not in normalise(exc):
            out.append(f"exception {exc!r} does not contain the term")
    return out


def iter_files(directory: Path = LEXICON_DIR) -> Iterator[Path]:
    """The lexicon's TSV files in a stable order."""
    yield from sorted(directory.glob("*.tsv"))


def load_lexicon(directory: Path = LEXICON_DIR) -> tuple[list[Entry], list[str]]:
    """Parse every file and run the cross-file checks."""
    entries: list[Entry] = []
    problems: list[str] = []
    for path in iter_files(directory):
        got, bad = parse_file(path)
        entries += got
        problems += bad
    return entries, problems + validate(entries)


def validate(entries: Iterable[Entry]) -> list[str]:
    """Cross-entry checks: duplicates within and between files; allow terms that shadow nothing."""
    problems: list[str] = []
    seen: dict[str, Entry] = {}
    entries = list(entries)
    for e in entries:
        key = normalise(e.term)
        if key in seen:
            first = seen[key]
            problems.append(
                f"{e.path}:{e.line}: duplicate of {first.path}:{first.line} ({e.term!r})"
            )
        else:
            seen[key] = e
    deny = [e for e in entries if e.code != ALLOW_CODE]
    for a in (e for e in entries if e.code == ALLOW_CODE):
        if not any(normalise(d.term) in normalise(a.term) for d in deny):
            problems.append(f"{a.path}:{a.line}: allow term {a.term!r} contains no deny term")
    return problems


def counts_by_code(entries: Iterable[Entry]) -> Counter[str]:
    """Number of deny terms per risk code."""
    return Counter(e.code for e in entries if e.code != ALLOW_CODE)


def minimum_rows(counts: Counter[str]) -> list[tuple[str, int, int, int]]:
    """(code, count, TC260 minimum, project target) for the 17 keyword-scope risks."""
    return [
        (r.code, counts.get(r.code, 0), r.keyword_minimum, TARGETS[r.category])
        for r in taxonomy.keyword_scope()
    ]


# --------------------------------------------------------------------------- benign scan


class Scanner:
    """Normalise-then-substring scan; a hit inside an allow phrase or its exception is dropped."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        import ahocorasick_rs

        entries = list(entries)
        self.deny = [e for e in entries if e.code != ALLOW_CODE]
        allow = frozenset(normalise(e.term) for e in entries if e.code == ALLOW_CODE)
        self._guards = [allow | {normalise(x) for x in e.exceptions} for e in self.deny]
        self._shields = sorted(set().union(allow, *self._guards))
        self._ac = ahocorasick_rs.AhoCorasick([normalise(e.term) for e in self.deny])
        self._ac_shield = ahocorasick_rs.AhoCorasick(self._shields) if self._shields else None

    def hits(self, text: str) -> list[Entry]:
        """Deny entries that fire on ``text``."""
        norm = normalise(text)
        found = self._ac_shield.find_matches_as_indexes(norm, True) if self._ac_shield else []
        covers = [(self._shields[k], s, e) for k, s, e in found]
        out: dict[int, Entry] = {}
        for idx, start, end in self._ac.find_matches_as_indexes(norm, overlapping=True):
            entry = self.deny[idx]
            if entry.mode == "word" and not _word_bounded(norm, start, end):
                continue
            if not any(s <= start and end <= e and p in self._guards[idx] for p, s, e in covers):
                out[idx] = entry
        return list(out.values())


def _word_bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not _WORD_CHAR.match(before) and not _WORD_CHAR.match(after)


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def _jsonl(path: Path, field: str) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)[field] for line in lines if line.strip()]


def _cvalues(root: Path) -> list[str]:
    return _jsonl(
        root / "cvalues-responsibility/dataset/cvalues_responsibility_prompts.jsonl", "prompt"
    )


def _cold(root: Path, label: str = "0") -> list[str]:
    files = (root / "cold/COLDataset/train.csv", root / "cold/COLDataset/dev.csv")
    return [r["TEXT"] for f in files for r in _csv_rows(f) if r["label"] == label]


def _swsr(root: Path, label: str = "0") -> list[str]:
    rows = _csv_rows(root / "swsr/SWSR/SexComment.csv")
    return [r["comment_text"] for r in rows if r["label"] == label]


def _column(path: Path, field: str) -> list[str]:
    return [r[field] for r in _csv_rows(path)]


def _safetybench(root: Path) -> list[str]:
    path = root / "safetybench-zh-subset/opensource_data/test_zh_subset.json"
    return [item["question"] for item in json.loads(path.read_text(encoding="utf-8"))]


def _bipia(root: Path) -> list[str]:
    parts = ("email", "table", "code")
    return [
        t for p in parts for t in _jsonl(root / "bipia/benchmark" / p / "train.jsonl", "context")
    ]


def _toxigen(root: Path) -> list[str]:
    files = sorted((root / "toxigen-demonstrations/demonstrations").rglob("neutral_*.txt"))
    return [line for f in files for line in f.read_text(encoding="utf-8").splitlines()]


def _do_not_answer(root: Path) -> list[str]:
    rows = _csv_rows(root / "do-not-answer/datasets/data_en.csv")
    return [r["GPT4_response"] for r in rows if r.get("GPT4_harmful") == "0"]


def _ced_nonrumour(root: Path) -> list[str]:
    base = root / "ced-weibo-rumor"
    lines = (base / "labels_from_repost_dirs.tsv").read_text(encoding="utf-8").splitlines()
    names = [line.split("\t")[0] for line in lines[2:] if line.endswith("\tnon-rumor")]
    paths = (base / "CED_Dataset/original-microblog" / name for name in names)
    return [json.loads(p.read_text(encoding="utf-8")).get("text", "") for p in paths if p.exists()]


# name -> loader. Benign rows only: label 0 / neutral / harmless; every set is read in place.
CORPORA: dict[str, Callable[[Path], list]] = {
    "cvalues": _cvalues,
    "cold-label0": _cold,
    "swsr-label0": _swsr,
    "ced-nonrumor": _ced_nonrumour,
    "safetybench-q": _safetybench,
    "bipia-context": _bipia,
    "toxigen-neutral": _toxigen,
    "dna-gpt4-harmless": _do_not_answer,
}


# Harmful rows, for a coarse recall figure only: the lexicon is the first layer, not the last.
HARMFUL_CORPORA: dict[str, Callable[[Path], list]] = {
    "cold-label1": lambda root: _cold(root, "1"),
    "swsr-label1": lambda root: _swsr(root, "1"),
    "jade-v2-zh": lambda root: [
        q
        for level in ("easy", "medium")
        for q in _column(root / f"jade-db/jade-db-v2.0/jade_benchmark_{level}_zh.csv", "问题")
    ],
    "advbench-en": lambda root: _column(
        root / "advbench/data/behavior_datasets/extra_behavior_datasets/advbench_behaviors.csv",
        "Behavior",
    ),
    "strongreject-en": lambda root: _column(
        root / "strongreject/data/behavior_datasets/strongreject_dataset.csv", "forbidden_prompt"
    ),
}


def load_corpora(loaders: dict[str, Callable[[Path], list]], root: Path) -> dict[str, list[str]]:
    """Run ``loaders`` on ``root``; a missing dataset is skipped, never an error."""
    corpora: dict[str, list[str]] = {}
    for name, loader in loaders.items():
        try:
            texts = [_as_text(t) for t in loader(root)]
        except FileNotFoundError:
            continue
        corpora[name] = [t for t in texts if t.strip()]
    return corpora


def load_benign_corpora(root: Path = DATA_DIR) -> dict[str, list[str]]:
    """Benign texts from the public sets (read in place, never copied). Missing sets are skipped."""
    return {**load_corpora(CORPORA, root), "probes": list(BENIGN_PROBES)}


def _as_text(value: object) -> str:
    """Dataset fields are sometimes lists of lines (BIPIA code contexts)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_as_text(v) for v in value)
    return "" if value is None else str(value)


def scan(scanner: Scanner, corpora: dict[str, list[str]]) -> tuple[dict, Counter, dict]:
    """Per corpus (rows, rows hit, rows hit at high/medium); per term hit counts and one example."""
    per_corpus: dict[str, tuple[int, int, int]] = {}
    term_hits: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], str] = {}
    for name, texts in corpora.items():
        hit_rows = strong_rows = 0
        for text in texts:
            hits = scanner.hits(text)
            if hits:
                hit_rows += 1
                strong_rows += any(h.severity != "low" for h in hits)
            for h in hits:
                key = (h.term, h.code)
                term_hits[key] += 1
                example.setdefault(key, f"[{name}] {' '.join(text.split())[:70]}")
        per_corpus[name] = (len(texts), hit_rows, strong_rows)
    return per_corpus, term_hits, example


PROBES_FILE = Path(__file__).with_name("lexicon_probes.tsv")


def load_probes(path: Path = PROBES_FILE) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """Hand-written probes: benign prompts (no high/medium hit allowed) and harmful ones by code."""
    benign: list[str] = []
    harmful: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, text = line.split("\t", 1)
        (benign if kind == "benign" else harmful[kind]).append(text)
    return tuple(benign), {code: tuple(texts) for code, texts in harmful.items()}


BENIGN_PROBES, HARMFUL_PROBES = load_probes()


# --------------------------------------------------------------------------- report


def rows_hit_high(scanner: Scanner, corpora: dict[str, list[str]]) -> dict[str, int]:
    """Rows per corpus with a high-severity hit: the only lexicon hits the built-in policy
    refuses or blocks on alone (medium and low flag), so this is the lexicon's own refusal rate."""
    return {
        name: sum(any(h.severity == "high" for h in scanner.hits(t)) for t in texts)
        for name, texts in corpora.items()
    }


def _print_rates(per_corpus: dict[str, tuple[int, int, int]], high: dict[str, int]) -> None:
    for name, (rows, hit, strong) in per_corpus.items():
        print(
            f"{name:<18} {rows:>7}  {100 * hit / max(rows, 1):>6.2f}%  "
            f"{100 * strong / max(rows, 1):>9.2f}%  {100 * high[name] / max(rows, 1):>9.2f}%"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the review and print its report; exit 0 only when the lexicon passes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=LEXICON_DIR, help="lexicon directory")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="public datasets root")
    parser.add_argument("--no-scan", action="store_true", help="skip the benign-corpus scan")
    parser.add_argument("--top", type=int, default=25, help="offending terms to list")
    parser.add_argument("--harmful", action="store_true", help="also scan harmful sets (recall)")
    args = parser.parse_args(argv)

    entries, problems = load_lexicon(args.dir)
    print(
        f"files: {len(list(iter_files(args.dir)))}  entries: {len(entries)}  "
        f"problems: {len(problems)}"
    )
    for p in problems[:50]:
        print("  PROBLEM", p)

    counts = counts_by_code(entries)
    short = 0
    print("\nrisk    terms  min  target  en%   high/med/low")
    by_code: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        by_code[e.code].append(e)
    for code, n, minimum, target in minimum_rows(counts):
        es = by_code[code]
        en = sum(e.mode == "word" for e in es)
        sev = Counter(e.severity for e in es)
        ok = "ok" if n >= target else "SHORT"
        short += n < target
        print(
            f"{code:<7} {n:>5}  {minimum:>3}  {target:>6}  {100 * en / max(n, 1):>3.0f}%  "
            f"{sev['high']}/{sev['medium']}/{sev['low']}  {ok}"
        )
    others = {c: n for c, n in sorted(counts.items()) if not taxonomy.get(c).keyword_scope}
    print(f"outside keyword scope: {others}")
    print(
        f"allow-list: {sum(e.code == ALLOW_CODE for e in entries)}  "
        f"deny total: {sum(counts.values())}"
    )

    if not args.no_scan:
        scanner = Scanner(entries)
        benign = load_benign_corpora(args.data)
        per_corpus, term_hits, example = scan(scanner, benign)
        print("\nbenign corpus         rows   hit(any)   hit(high/med)   hit(high)")
        _print_rates(per_corpus, rows_hit_high(scanner, benign))
        if args.harmful:
            corpora = load_corpora(HARMFUL_CORPORA, args.data)
            harmful, _, _ = scan(scanner, corpora)
            print(
                "\nharmful corpus        rows   hit(any)   hit(high/med)   hit(high)   (coarse recall)"
            )
            _print_rates(harmful, rows_hit_high(scanner, corpora))
        print(f"\ntop {args.top} terms by benign hits:")
        for (term, code), n in term_hits.most_common(args.top):
            print(f"  {n:>5}  {code:<6} {term:<14} {example[(term, code)]}")
    return 0 if not problems and not short else 1


if __name__ == "__main__":
    sys.exit(main())
