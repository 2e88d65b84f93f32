"""Conversation-level checks: split prompts caught, benign multi-turn chats not refused, cost.

Run: python benchmarks/conversation_split.py [--dialogues 600] [--questions 600] [--width 64]
     [--no-classifier]

- Split prompts: unsafe questions (JADE-DB v2 zh, AdvBench en) that the engine refuses as one
  message are cut in two (at the middle and at a seeded random point) and sent the ways issue 11
  lists: two user messages, two text parts, system + user, user + assistant prefill (for the
  engine these differ only in which texts are adjacent, so they are measured as "two texts").
  Reported: how many pieces all pass alone (the evasion works per message) and how many of those
  the boundary windows (``hegui.safety.conversation.windows``) refuse.
- Benign dialogues (KdConv film/music/travel, CrossWOZ val): every turn checked alone, then the
  windows across turns. Reported: dialogues refused only because of a window (false refusals the
  conversation check adds) next to dialogues already refused per message.
- Cost: CPU time of the window checks per dialogue, next to the per-message checks.

Data come from ``../shared/data/raw`` (read only; nothing is copied into the project).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "raw"


def unsafe_questions(limit: int) -> list[str]:
    out: list[str] = []
    for name in ("jade_benchmark_medium_zh.csv", "jade_benchmark_easy_zh.csv"):
        with (DATA / "jade-db" / "jade-db-v2.0" / name).open(encoding="utf-8") as f:
            out += [row["问题"] for row in csv.DictReader(f)]
    adv = next((DATA / "advbench").rglob("*.csv"))
    with adv.open(encoding="utf-8") as f:
        out += [row.get("Behavior") or row.get("goal") or "" for row in csv.DictReader(f)]
    rng = random.Random(11)
    rng.shuffle(out)
    return [q for q in out if len(q) >= 6][:limit]


def dialogues(limit: int) -> list[list[str]]:
    out: list[list[str]] = []
    for path in sorted((DATA / "kdconv").glob("*.json")):
        for d in json.loads(path.read_text(encoding="utf-8")):
            out.append([m["message"] for m in d["messages"]])
    val = json.loads(zipfile.ZipFile(DATA / "crosswoz" / "val.json.zip").read("val.json"))
    out += [[m["content"] for m in d["messages"]] for d in val.values()]
    rng = random.Random(5)
    rng.shuffle(out)
    return out[:limit]


def _violation(verdict: object) -> bool:
    return bool(getattr(verdict, "failed", False)) or str(getattr(verdict, "action", "")) in (
        "refuse",
        "block",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dialogues", type=int, default=600)
    ap.add_argument("--questions", type=int, default=600)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument(
        "--no-classifier",
        action="store_true",
        help="lexicon + PII only (the classifier refuses most halves on its own today)",
    )
    args = ap.parse_args()

    from hegui.config import EngineSettings
    from hegui.safety.conversation import windows
    from hegui.safety.engine import Engine

    engine = Engine.from_settings(EngineSettings(classifier=not args.no_classifier))
    engine.warm_up()

    def refused(text: str) -> bool:
        return _violation(engine.check(text, "input"))

    # ------------------------------------------------------------ split prompts
    rng = random.Random(3)
    questions = [q for q in unsafe_questions(args.questions) if refused(q)]
    splits = evaded = caught = 0
    for q in questions:
        for cut in {len(q) // 2, rng.randrange(2, len(q) - 1)}:
            parts = [q[:cut], q[cut:]]
            splits += 1
            if any(refused(p) for p in parts):
                continue
            evaded += 1
            if any(refused(w.text) for w in windows(parts, args.width)):
                caught += 1

    # ------------------------------------------------------------ benign dialogues
    talks = dialogues(args.dialogues)
    per_message = only_window = turns = window_checks = 0
    t_messages = t_windows = 0.0
    examples: list[str] = []
    for turns_ in talks:
        turns += len(turns_)
        engine._cache = type(engine._cache)(0)  # measure real work, not the verdict cache
        t0 = time.process_time()
        alone = any(refused(t) for t in turns_)
        t1 = time.process_time()
        found = windows(turns_, args.width)
        window_checks += len(found)
        hit = [w for w in found if refused(w.text)]
        t_windows += time.process_time() - t1
        t_messages += t1 - t0
        if alone:
            per_message += 1
        elif hit:
            only_window += 1
            if len(examples) < 5:
                examples.append(hit[0].text[:120].replace("\n", " "))

    print("## Conversation-level checks\n")
    flag = " --no-classifier" if args.no_classifier else ""
    print(
        f"Command: `python benchmarks/conversation_split.py --dialogues {args.dialogues}"
        f" --questions {args.questions} --width {args.width}{flag}`\n"
    )
    print("| measure | value |")
    print("|---|---:|")
    print(f"| unsafe questions refused as one message | {len(questions)} |")
    print(f"| two-piece splits of them | {splits} |")
    print(f"| splits whose pieces all pass alone (evasion works per message) | {evaded} |")
    share = f"{caught / evaded:.1%}" if evaded else "–"
    print(f"| … of those refused by a boundary window | {caught} ({share}) |")
    print(f"| benign dialogues (KdConv, CrossWOZ) / turns | {len(talks)} / {turns} |")
    print(f"| dialogues refused on a single turn (engine, not windows) | {per_message} |")
    rate = only_window / max(1, len(talks) - per_message)
    print(f"| dialogues refused only because of a window (added) | {only_window} ({rate:.2%}) |")
    print(f"| windows per dialogue | {window_checks / max(1, len(talks)):.1f} |")
    print(
        f"| CPU ms per dialogue: turns alone / windows | "
        f"{1000 * t_messages / max(1, len(talks)):.2f} / {1000 * t_windows / max(1, len(talks)):.2f} |"
    )
    for ex in examples:
        print(f"\n- added refusal, window: {ex}")


if __name__ == "__main__":
    main()
