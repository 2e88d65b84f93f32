"""Lexicon layer throughput against the matchers people use for Chinese keyword filtering.

Usage::

    python benchmarks/engine_lexicon.py                           # quick: 4 MB, 10k terms
    python benchmarks/engine_lexicon.py --mb 20 --terms 50000 --write   # the recorded run

Everything is synthetic and seeded (no word lists are downloaded): Chinese words come from
pypinyin's phrase table (47k entries, Zipf-weighted after a seeded shuffle), English words are
generated from syllables. Like reference/perf.md: ~77 % of the bytes are CJK, 4 % of Chinese
sentences are traditional (OpenCC s2t), 3 % full-width, 4 % have a word split by a zero-width
char or a separator. Keywords: ~70 % Chinese (rare phrases, two-word compounds, random strings),
~30 % English (long rare words, two-word phrases), plus 1 % allow-list phrases.

Throughput is MB of UTF-8 per second of *CPU time* of this process (the machine is shared), best
of several runs. "ours" = normalisation with offset map + Hyperscan scan + allow-list/exception/
word-boundary resolution + mapping spans to the original text; every bare matcher scans the raw,
un-normalised text and only collects its matches.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "engine_lexicon.md"
MATCHER = "ours: LexiconMatcher.find_text = normalise + offset map + scan + allow-list/exceptions/word boundaries"
DETECTOR = "ours: LexiconDetector.detect = the same + Finding/Evidence objects (variants on)"
TRIE = "pure-Python dict trie ('DFA' filter)"
HYPERSCAN = "hyperscan literal, bare (raw text, utf-8)"
LOOP = "LLM Guard-style loop: `for term in terms: if term.lower() in text.lower()` (per message)"
_SYLLABLES = [
    c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ea", "ou")
]


# -- data ---------------------------------------------------------------------------------------


def make_data(
    mb: float, n_terms: int, plant_per_mb: int = 600, seed: int = 7
) -> tuple[str, list[str], list[str]]:
    """(text, deny terms, allow terms), deterministic for a seed.

    The text uses the 20k most common words of the shuffled vocabulary; keywords are rarer words,
    compounds and random strings (a "sparse" set like reference/perf.md's), and
    ``plant_per_mb`` keyword occurrences per MB are planted so every matcher has work to do.
    """
    import opencc
    from pypinyin.phrases_dict import phrases_dict

    rng = random.Random(seed)
    zh = sorted(phrases_dict)
    rng.shuffle(zh)
    en = sorted(
        {"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(60_000)}
    )
    rng.shuffle(en)
    zh_text, en_text = zh[:20_000], en[:20_000]
    chars = sorted({ch for w in zh[:4000] for ch in w})

    terms: set[str] = set()
    rare_zh = [w for w in zh[20_000:] if len(w) >= 3]
    rare_en = [w for w in en[20_000:] if len(w) >= 7]
    while len(terms) < n_terms:
        r = rng.random()
        if r < 0.30:
            terms.add(rng.choice(rare_zh))
        elif r < 0.50:
            a, b = rng.choice(zh_text[300:]), rng.choice(zh_text[300:])
            if 4 <= len(a + b) <= 6:
                terms.add(a + b)
        elif r < 0.70:
            terms.add("".join(rng.choice(chars) for _ in range(rng.randint(3, 6))))
        elif r < 0.90:
            terms.add(rng.choice(rare_en))
        else:
            terms.add(" ".join(rng.choices(en_text[1000:], k=rng.randint(2, 3))))
    deny = sorted(terms)
    rng.shuffle(deny)
    allow = [w + rng.choice(zh_text[:2000]) for w in deny[: n_terms // 100] if not w.isascii()]

    zh_w = list(itertools.accumulate(1 / (r + 10) for r in range(len(zh_text))))
    en_w = list(itertools.accumulate(1 / (r + 10) for r in range(len(en_text))))
    s2t = opencc.OpenCC("s2t")
    separators = [
        "\u200b",
        "\u200c",
        "\u200d",
        "\ufeff",
        "\u2060",
        "*",
        ".",
        "-",
        "_",
        "|",
        "/",
        " ",
        "\u3000",
    ]
    target = int(mb * 1_000_000)
    plant_every = 1_000_000 / max(plant_per_mb, 1)
    parts: list[str] = []
    size = 0
    planted = 0.0
    while size < target:
        if rng.random() < 0.86:
            words = rng.choices(zh_text, cum_weights=zh_w, k=rng.randint(4, 16))
            if rng.random() < 0.15:
                english = " ".join(rng.choices(en_text, cum_weights=en_w, k=rng.randint(1, 3)))
                words.insert(rng.randrange(len(words)), f" {english} ")
            if size >= planted:
                words.insert(rng.randrange(len(words)), rng.choice(deny))
                planted += plant_every
            if rng.random() < 0.04:
                i = rng.randrange(len(words))
                if len(words[i]) > 1:
                    words[i] = words[i][0] + rng.choice(separators) + words[i][1:]
            sentence = (
                "".join(words) + rng.choice("。，！？；") + ("\n" if rng.random() < 0.1 else "")
            )
            if rng.random() < 0.04:
                sentence = s2t.convert(sentence)
        else:
            words = rng.choices(en_text, cum_weights=en_w, k=rng.randint(5, 15))
            sentence = " ".join(words).capitalize() + rng.choice(".!?") + " "
        if rng.random() < 0.03:
            sentence = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in sentence)
        parts.append(sentence)
        size += len(sentence.encode())
    return "".join(parts), deny, allow


# -- peers --------------------------------------------------------------------------------------


def bare_hyperscan(terms: list[str]) -> Callable[[str], int]:
    import hyperscan

    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    pats = [t.lower().encode() for t in terms]
    db.compile(
        expressions=pats, ids=list(range(len(pats))), elements=len(pats), flags=0, literal=True
    )
    scratch = hyperscan.Scratch(db)

    def run(text: str) -> int:
        hits: list[tuple[int, int]] = []

        def on(i: int, f: int, t: int, fl: int, c: object) -> None:
            hits.append((i, t))

        db.scan(text.encode(), match_event_handler=on, scratch=scratch)
        return len(hits)

    return run


def ahocorasick_rs_bytes(terms: list[str]) -> Callable[[str], int]:
    import ahocorasick_rs

    ac = ahocorasick_rs.BytesAhoCorasick([t.lower().encode() for t in terms])
    return lambda text: len(ac.find_matches_as_indexes(text.encode(), overlapping=True))


def pyahocorasick(terms: list[str]) -> Callable[[str], int]:
    import ahocorasick

    a = ahocorasick.Automaton()
    for i, t in enumerate(terms):
        a.add_word(t.lower(), i)
    a.make_automaton()
    return lambda text: sum(1 for _ in a.iter(text))


def dict_trie(terms: list[str]) -> Callable[[str], int]:
    """The nested-dict "DFA" filter found in most Chinese sensitive-word libraries."""
    root: dict = {}
    for t in terms:
        node = root
        for ch in t.lower():
            node = node.setdefault(ch, {})
        node["\0"] = True

    def run(text: str) -> int:
        found = 0
        n = len(text)
        for i in range(n):
            node = root.get(text[i])
            j = i + 1
            while node is not None:
                if "\0" in node:
                    found += 1
                if j >= n:
                    break
                node = node.get(text[j])
                j += 1
        return found

    return run


def llm_guard_loop(terms: list[str]) -> Callable[[str], int]:
    """LLM Guard ``BanSubstrings``-style (case-insensitive): per term, lower-case the prompt and
    test the substring (STYLE.md: "lowercases the whole prompt again inside the loop")."""
    return lambda text: sum(1 for t in terms if t.lower() in text.lower())


PROMPTS = {
    "zh": "请帮我写一首关于春天的诗歌，要求七言绝句，押韵工整。我们今天去公园散步，看到很多花开了。",
    "en": "Please summarise the following text in three bullet points: the quick brown fox jumps "
    "over the lazy dog while the farmer watches from the porch. ",
    "mixed": "用 Python 写一个 quicksort 函数，并解释它的时间复杂度和最坏情况，再给出 Go 版本。",
}
"""Benign gateway prompts (no lexicon hits), cut or repeated to the measured lengths."""


def prompt_latency(
    detect: Callable[[str], int], lengths: tuple[int, ...] = (30, 200, 1000)
) -> list[str]:
    """Table rows: CPU µs per ``detect`` call on benign prompts (best of 7 × 1,000 calls)."""
    rows = []
    for name, base in PROMPTS.items():
        cells = []
        for n in lengths:
            text = (base * (n // len(base) + 1))[:n]
            assert detect(text) == 0, f"benchmark prompt {name!r} should be benign"
            best = float("inf")
            for _ in range(7):
                t0 = time.process_time()
                for _ in range(1000):
                    detect(text)
                best = min(best, (time.process_time() - t0) / 1000)
            cells.append(f"{best * 1e6:.1f}")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


def ours(
    terms: list[str], allow: list[str], variants: bool
) -> tuple[Callable[[str], int], Callable[[str], int], int, float]:
    """(matcher run, detector run, pattern count, build seconds) for our lexicon layer."""
    from hegui.safety.lexicon.detector import LexiconDetector
    from hegui.safety.lexicon.format import Entry
    from hegui.safety.lexicon.matcher import LexiconMatcher
    from hegui.safety.types import Direction, Doc

    entries = [Entry(t, "A.1.h", mode="word" if t.isascii() else "sub") for t in terms]
    entries += [Entry(t, "allow") for t in allow]
    t0 = time.process_time()
    matcher = LexiconMatcher(entries, variants=variants, engine="hyperscan")
    build = time.process_time() - t0
    detector = LexiconDetector(matcher)
    return (
        lambda text: len(matcher.find_text(text)),
        lambda text: len(detector.detect(Doc(text), Direction.INPUT)),
        matcher.pattern_count,
        build,
    )


# -- timing -------------------------------------------------------------------------------------


def measure(fn: Callable[[str], int], texts: list[str], repeat: int) -> tuple[float, int]:
    """Best CPU seconds over ``repeat`` runs on fresh copies of ``texts``; and the hit count."""
    best, hits = float("inf"), 0
    for _ in range(repeat):
        fresh = [t.encode().decode() for t in texts]  # no cached UTF-8 inside the str objects
        t0 = time.process_time()
        hits = sum(fn(t) for t in fresh)
        best = min(best, time.process_time() - t0)
    return best, hits


def chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=4.0, help="MB of UTF-8 text (recorded run: 20)")
    ap.add_argument("--terms", type=int, default=10_000, help="keywords (recorded run: 50000)")
    ap.add_argument(
        "--slow-mb", type=float, default=1.0, help="prefix for the dict trie and pyahocorasick"
    )
    ap.add_argument(
        "--loop-msgs", type=int, default=5, help="1,000-char messages for the substring loop"
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--write",
        action="store_true",
        help=f"write {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}",
    )
    args = ap.parse_args(argv)

    t0 = time.process_time()
    text, terms, allow = make_data(args.mb, args.terms)
    mb = len(text.encode()) / 1e6
    print(
        f"data: {mb:.1f} MB, {len(text):,} chars, {len(terms):,} terms, {len(allow)} allow "
        f"({time.process_time() - t0:.1f} s)",
        file=sys.stderr,
    )
    prefix = text[: int(len(text) * args.slow_mb / mb)]
    msgs = chunks(text, 1000)

    rows: list[tuple[str, str, float, float | None, int, int | None, float | None]] = []

    # Every contender runs once per round, rounds interleaved, so a burst of load from other
    # jobs on the shared machine hits all of them alike; each keeps its best round.
    contenders: list[
        tuple[str, Callable[[str], int], list[str], bool, int | None, float | None]
    ] = []
    find, detect, patterns, build = ours(terms, allow, variants=True)
    find_off, _, patterns_off, build_off = ours(terms, allow, variants=False)
    contenders += [
        (MATCHER + " (variants on)", find, [text], True, patterns, build),
        (MATCHER + " (variants off)", find_off, [text], True, patterns_off, build_off),
        (DETECTOR, detect, [text], True, patterns, None),
    ]
    for name, make, sample, msgs_too in (
        (HYPERSCAN, bare_hyperscan, [text], True),
        ("ahocorasick-rs bytes, bare", ahocorasick_rs_bytes, [text], True),
        ("pyahocorasick iter(), bare", pyahocorasick, [prefix], False),
        (TRIE, dict_trie, [prefix], False),
        (LOOP, llm_guard_loop, msgs[: args.loop_msgs], False),
    ):
        t1 = time.process_time()
        fn = make(terms)
        contenders.append((name, fn, sample, msgs_too, len(terms), time.process_time() - t1))
    best: dict[str, tuple[float, int]] = {}
    per_msg: dict[str, float] = {}
    for round_ in range(args.repeat):
        for name, fn, sample, msgs_too, *_ in contenders:
            if name == LOOP and round_:
                continue  # ~2 s per run at 50k terms; one run is plenty
            sec, hits = measure(fn, sample, 1)
            if sec < best.get(name, (float("inf"), 0))[0]:
                best[name] = (sec, hits)
            if msgs_too:
                msec, _ = measure(fn, msgs, 1)
                per_msg[name] = min(per_msg.get(name, float("inf")), msec)
        print(f"  round {round_ + 1} done", file=sys.stderr)
    for name, _, sample, msgs_too, pats, b in contenders:
        sec, hits = best[name]
        size = sum(len(x.encode()) for x in sample) / 1e6
        msg_rate = mb / per_msg[name] if msgs_too else (size / sec if name == LOOP else None)
        rows.append((name, f"{size:.3g}", size / sec, msg_rate, hits, pats, b))
        print(f"  {name}: {size / sec:.4g} MB/s", file=sys.stderr)

    rate = {name: r for name, _, r, *_ in rows}
    msg_rate = {name: m for name, _, _, m, *_ in rows}
    hs_name = HYPERSCAN
    on, off, det = (
        rate[MATCHER + " (variants on)"],
        rate[MATCHER + " (variants off)"],
        rate[DETECTOR],
    )
    lines = [
        f"Text {mb:.1f} MB ({len(text):,} chars), {len(terms):,} keywords "
        f"({sum(not t.isascii() for t in terms) / len(terms):.0%} Chinese), {len(allow)} allow terms; "
        "MB/s of UTF-8 per CPU second, best of runs; msgs = the same text in 1,000-char messages.",
        "",
        "| matcher | text MB | MB/s whole | MB/s msgs | hits | patterns | build s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, size, r, m, hits, pats, b in rows:
        lines.append(
            f"| {name} | {size} | {r:.3g} | {'' if m is None else f'{m:.3g}'} | {hits:,} | "
            f"{'' if pats is None else f'{pats:,}'} | {'' if b is None else f'{b:.2f}'} |"
        )

    def ratios(base: float) -> str:
        return " / ".join(
            f"{x / base:,.2f}×" if x / base < 100 else f"{x / base:,.0f}×" for x in (on, off, det)
        )

    lines += [
        "",
        "| target (whole text; ours = matcher variants on / off / detector) | required | measured |",
        "|---|---:|---:|",
        f"| vs bare hyperscan | ≥ 0.40× | {ratios(rate[hs_name])} |",
        f"| vs pure-Python dict trie | ≥ 15× | {ratios(rate[TRIE])} |",
        f"| vs LLM Guard-style loop | ≥ 1,000× | {ratios(rate[LOOP])} |",
    ]
    ms = [
        msg_rate[MATCHER + " (variants on)"],
        msg_rate[MATCHER + " (variants off)"],
        msg_rate[DETECTOR],
    ]
    if all(ms) and msg_rate[hs_name]:
        lines.append(
            "| msgs vs bare hyperscan msgs | (info) | "
            + " / ".join(f"{x / msg_rate[hs_name]:.2f}×" for x in ms if x)
            + " |"
        )
    lines += [
        "",
        "Short benign prompts: `LexiconDetector.detect(Doc(text), Direction.INPUT)` with the same "
        f"{len(terms):,}-term lexicon (variants on), CPU µs per call, best of 7 × 1,000 calls "
        "(target: ≤ 15 µs at 30 chars, ≤ 30 µs at 200).",
        "",
        "| prompt | 30 chars | 200 chars | 1,000 chars |",
        "|---|---:|---:|---:|",
        *prompt_latency(detect),
    ]
    table = "\n".join(lines)
    print(table)
    if args.write:
        cmd = "python benchmarks/engine_lexicon.py " + " ".join(
            argv if argv is not None else sys.argv[1:]
        )
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(
            "# Lexicon layer benchmark\n\n"
            f"Command (from the repository root): `{cmd}`\n\n"
            f"Machine: 2 shared cores (other jobs running), Python {sys.version.split()[0]}; "
            f"run at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n\n" + table + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
