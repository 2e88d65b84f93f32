"""Benchmark corpora for ``benchmarks/corpus.py``, built from ``../shared/data`` (never committed).

* :func:`build_corpus`: mixed Chinese/English JSONL of a requested size, written as shards in a
  folder. Each document joins random texts of one language pool (60 % Chinese, 40 % English,
  some mixed) to 200–5,000 characters; 4 % of documents are exact copies and 4 % near copies
  (3 % of characters replaced) of a recent document. Generation streams: 10 GB needs no more
  memory than 1 MB.
* :func:`near_duplicate_set`: families of a base document and variants edited at known rates,
  with the exact Jaccard similarity of every pair computed by plain Python sets (independent of
  the scanner's numpy code), for precision and recall at Jaccard ≥ 0.8.

Only permissively licensed sets go into the pool (the data README's licence rules); MultiPriv-PII
(CC BY-NC-SA) is read separately by the PII benchmark, as evaluation only.
"""

from __future__ import annotations

import csv
import io
import json
import random
import unicodedata
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "raw"
POOL_SETS = (
    "cold", "swsr", "jade-db", "safetybench-zh-subset", "cvalues-responsibility", "do-not-answer",
    "advbench", "harmbench", "strongreject", "toxigen-demonstrations", "bipia", "coconot",
    "hatecheck", "mhc-zh", "davidson-hate", "self-instruct", "chatgpt-prompts-zh", "secgpt-zh",
    "gaokao-bench", "kdconv",
)  # fmt: skip
# Sets of ordinary text only: the near-duplicate benchmark wants every record to take part, not
# to be dropped first as harmful.
BENIGN_SETS = (
    "kdconv", "gaokao-bench", "chatgpt-prompts-zh", "secgpt-zh", "cvalues-responsibility",
    "self-instruct", "bipia",
)  # fmt: skip
SHINGLE = 5


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _texts_of(path: Path) -> Iterator[str]:
    text = _decode(path.read_bytes())
    suffix = path.suffix.lower()
    if suffix == ".csv":
        for row in csv.reader(io.StringIO(text)):
            yield from row
    elif suffix == ".json":
        try:
            yield from _strings(json.loads(text))
        except json.JSONDecodeError:
            return
    elif suffix == ".jsonl":
        for line in text.splitlines():
            try:
                yield from _strings(json.loads(line))
            except json.JSONDecodeError:
                continue
    elif suffix == ".txt":
        yield from text.splitlines()


def text_pool(data: Path = DATA, sets: tuple[str, ...] = POOL_SETS) -> tuple[list[str], list[str]]:
    """(Chinese texts, English texts) of at least 8 characters from the permissive sets."""
    zh: list[str] = []
    en: list[str] = []
    seen: set[str] = set()
    for name in sets:
        for path in sorted((data / name).rglob("*")):
            if not path.is_file() or path.name.startswith(("LICENSE", "README")):
                continue
            for t in _texts_of(path):
                t = t.strip()
                if len(t) < 8 or t in seen:
                    continue
                seen.add(t)
                cjk = sum("\u4e00" <= c <= "\u9fff" for c in t[:200])
                (zh if cjk >= 4 else en).append(t)
    if not zh or not en:
        raise SystemExit(f"no texts found under {data}: is ../shared/data there?")
    return zh, en


def _edit(text: str, rate: float, rng: random.Random) -> str:
    out = []
    for c in text:
        r = rng.random()
        if r < rate / 3:
            continue  # deletion
        if r < 2 * rate / 3:
            out.append(
                chr(rng.randint(0x4E00, 0x9FA5)) if c > "\u2e80" else rng.choice("etaoinshr")
            )
        elif r < rate:
            out.extend((c, rng.choice("的了是在和有我他这 ")))
        else:
            out.append(c)
    return "".join(out)


def _document(zh: list[str], en: list[str], rng: random.Random) -> str:
    target = int(min(5000, max(200, rng.lognormvariate(7.0, 0.6))))
    roll = rng.random()
    parts: list[str] = []
    size = 0
    while size < target:
        pool = zh if roll < 0.6 or (roll > 0.9 and rng.random() < 0.5) else en
        t = rng.choice(pool)
        parts.append(t)
        size += len(t) + 1
    return "\n".join(parts)[: target + 200]


def documents(zh: list[str], en: list[str], seed: int = 7) -> Iterator[str]:
    """An endless stream of benchmark documents with planted exact and near copies."""
    rng = random.Random(seed)
    recent: deque[str] = deque(maxlen=1000)
    while True:
        roll = rng.random()
        if roll < 0.04 and recent:
            doc = rng.choice(recent)
        elif roll < 0.08 and recent:
            doc = _edit(rng.choice(recent), 0.03, rng)
        else:
            doc = _document(zh, en, rng)
            recent.append(doc)
        yield doc


def _dumps(obj: dict[str, Any]) -> bytes:
    try:
        import orjson

        return orjson.dumps(obj)
    except ImportError:
        return json.dumps(obj, ensure_ascii=False).encode()


def build_corpus(folder: Path, mb: float, *, shards: int = 16, seed: int = 7) -> dict[str, Any]:
    """Write ``mb`` MB of JSONL into ``folder/part-NN.jsonl``; returns size and record count."""
    folder.mkdir(parents=True, exist_ok=True)
    zh, en = text_pool()
    limit = int(mb * (1 << 20))
    per_shard = limit // shards + 1
    written = records = 0
    docs = documents(zh, en, seed)
    for k in range(shards):
        with open(folder / f"part-{k:02d}.jsonl", "wb") as fh:
            size = 0
            while size < per_shard and written < limit:
                line = _dumps({"id": records, "text": next(docs)})
                fh.write(line + b"\n")
                size += len(line) + 1
                written += len(line) + 1
                records += 1
    return {"bytes": written, "records": records, "shards": shards}


def _fold(text: str) -> str:
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in "LN" or cat == "Mn":
            cp = ord(ch)
            if 0xFF01 <= cp <= 0xFF5E:
                ch = chr(cp - 0xFEE0)
            out.append(ch.lower()[0])
    return "".join(out)


def shingles(text: str) -> set[str]:
    folded = _fold(text)
    return {folded[i : i + SHINGLE] for i in range(len(folded) - SHINGLE + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def near_duplicate_set(families: int, seed: int = 11) -> tuple[list[dict[str, Any]], list[int]]:
    """Records in scan order and each record's family.

    Each family is a base document and 0–4 variants edited at rates drawn so that their Jaccard
    similarity to the base spreads over ~0.5–1.0; families are unrelated texts.
    """
    zh, en = text_pool(sets=BENIGN_SETS)
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    family_of: list[int] = []
    for f in range(families):
        base = _document(zh, en, rng)
        members = [base] + [
            _edit(base, rng.choice([0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.15]), rng)
            for _ in range(rng.randint(0, 4))
        ]
        for text in members:
            rows.append({"text": text})
            family_of.append(f)
    order = list(range(len(rows)))
    rng.shuffle(order)
    rows = [{"id": i, "text": rows[k]["text"]} for i, k in enumerate(order)]
    return rows, [family_of[k] for k in order]


def greedy_truth(
    rows: list[dict[str, Any]], family_of: list[int], excluded: set[int], threshold: float = 0.8
) -> dict[int, int]:
    """Record → the earlier kept record it repeats, by exact Jaccard within its family, first
    occurrence wins (the scanner's rule); ``excluded`` records (dropped for other reasons) take
    no part, as in the scan."""
    sets = {i: shingles(r["text"]) for i, r in enumerate(rows) if i not in excluded}
    truth: dict[int, int] = {}
    kept_by_family: dict[int, list[int]] = {}
    for i in sorted(sets):
        fam = family_of[i]
        for j in kept_by_family.get(fam, []):
            if jaccard(sets[i], sets[j]) >= threshold:
                truth[i] = j
                break
        else:
            kept_by_family.setdefault(fam, []).append(i)
    return truth
