"""Loaders for the permissively licensed training sets under ``../shared/data/raw``.

Each loader turns one set into :class:`Example` rows carrying labels for the two heads
(``offensive``: insulting or discriminatory text; ``harmful``: a request for, or a piece of,
harmful help) — ``None`` where the set says nothing about that head — plus a risk code for the
category head. Every row is put in ``train`` or ``dev`` by a stable hash of its text (or of its
group key, so a question and its answers stay together); COLD keeps its own ``dev.csv`` as dev.
A loader whose files are absent yields nothing, so a small fixture folder with the same layout
trains end to end. Evaluation-only sets (CBBQ, MultiPriv, CED, SOS-1K) are never read here.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hegui import taxonomy
from hegui.errors import InputError
from hegui.safety.classifier.training import codes

__all__ = ["LOADERS", "SEEDS_DIR", "Example", "load_all", "split_of"]

SEEDS_DIR = Path(__file__).parent / "seeds"
DEV_SHARE = 0.2

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text. ``None`` labels mean "this set does not say" (row skipped for that head)."""

    text: str
    source: str
    split: str
    offensive: int | None = None
    harmful: int | None = None
    code: str | None = None


def split_of(key: str, dev_share: float = DEV_SHARE) -> str:
    """``"dev"`` or ``"train"``, from a stable hash of ``key`` (same on every machine and run)."""
    h = int.from_bytes(hashlib.sha1(key.encode("utf-8")).digest()[:4], "big")
    return "dev" if h % 10_000 < dev_share * 10_000 else "train"


def _rows(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding=encoding, newline="") as f:
        return list(csv.DictReader(f))


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _benign_comment(text: str, label: int) -> int | None:
    """Harmful-head negative for a quarter of the benign Weibo comments (hash-sampled).

    All of them would swamp the head with statements, teaching it that any question is harmful.
    """
    if label != 0:
        return None
    h = int.from_bytes(hashlib.sha1(("harmful-neg:" + text).encode()).digest()[:4], "big")
    return 0 if h % 4 == 0 else None


def load_cold(root: Path) -> Iterator[Example]:
    for name, split in (("train.csv", "train"), ("dev.csv", "dev")):
        for r in _rows(root / "cold/COLDataset" / name):
            text, label = _clean(r.get("TEXT")), int(r.get("label") or 0)
            if text:
                code = codes.COLD_TOPIC.get(r.get("topic", "")) if label else None
                yield Example(text, "cold", split, label, _benign_comment(text, label), code)


def load_swsr(root: Path) -> Iterator[Example]:
    for r in _rows(root / "swsr/SWSR/SexComment.csv"):
        text, label = _clean(r.get("comment_text")), int(r.get("label") or 0)
        if text:
            split = split_of("swsr:" + r.get("weibo_id", text))
            yield Example(text, "swsr", split, label, _benign_comment(text, label),
                          "A.2.e" if label else None)  # fmt: skip


def load_toxigen(root: Path) -> Iterator[Example]:
    seen: set[str] = set()
    for path in sorted((root / "toxigen-demonstrations/demonstrations").glob("*/*.txt")):
        stem = path.stem.removesuffix("_sentences")
        kind, _, group = stem.partition("_")
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip().lstrip("-").strip()
            if not text or text in seen:
                continue
            seen.add(text)
            hate = int(kind == "hate")
            yield Example(text, "toxigen", split_of(text), hate, 0 if not hate else None,
                          codes.TOXIGEN_GROUP.get(group) if hate else None)  # fmt: skip


_SB_JUDGED = ("请问下面的文本是否包含攻击性的内容", "是否展现出了偏见", "是否表现出偏见")


def load_safetybench(root: Path) -> Iterator[Example]:
    base = root / "safetybench-zh-subset/opensource_data"
    qpath, apath = base / "test_zh_subset.json", base / "test_answers_zh_subset.json"
    if not (qpath.is_file() and apath.is_file()):
        return
    answers = json.loads(apath.read_text(encoding="utf-8"))
    for item in json.loads(qpath.read_text(encoding="utf-8")):
        question: str = item["question"]
        head, _, body = question.partition("\n")
        answer = answers.get(str(item["id"]), {}).get("answer")
        if any(k in head for k in _SB_JUDGED) and body.strip() and answer in (0, 1):
            text, bad = body.strip(), int(answer == 0)
            code = "A.2.i" if item["category"] == "Unfairness and Bias" and bad else None
            yield Example(text, "safetybench-judged", split_of(text), bad,
                          0 if not bad else None, code)  # fmt: skip
        elif len(item["options"]) > 2:  # knowledge questions: benign prompts about risky topics
            text = question.strip()
            yield Example(text, "safetybench-mcq", split_of(text), 0, 0)


def load_cvalues(root: Path) -> Iterator[Example]:
    path = root / "cvalues-responsibility/dataset/cvalues_responsibility_prompts.jsonl"
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            text = _clean(json.loads(line).get("prompt"))
            if text:
                yield Example(text, "cvalues", split_of(text), 0, 0)


def load_jade(root: Path) -> Iterator[Example]:
    base = root / "jade-db"
    files = ["jade-db-v1.0/jade_benchmark_zh.csv", "jade-db-v1.0/jade_benchmark_en.csv",
             "jade-db-v2.0/jade_benchmark_easy_zh.csv", "jade-db-v2.0/jade_benchmark_medium_zh.csv"]  # fmt: skip
    for name in files:
        for r in _rows(base / name):
            text = _clean(r.get("问题"))
            if text:
                code = codes.jade_code(r.get("违规类型", ""), r.get("违规子类", ""))
                yield Example(text, "jade", split_of(text), None, 1, code)
    for name in ("jade_alignment_medium_zh.csv", "jade_alignment_hard_zh.csv"):
        for r in _rows(base / "jade-db-v3.0" / name, encoding="gb18030"):
            question = _clean(r.get("问题"))
            if not question:
                continue
            split = split_of(question)
            yield Example(question, "jade", split, None, 1)
            if unsafe := _clean(r.get("违规回答")):
                yield Example(unsafe, "jade-answer-unsafe", split, None, 1)
            if safe := _clean(r.get("安全有用回答")):
                yield Example(safe, "jade-answer-safe", split, 0, 0)


def load_english_requests(root: Path) -> Iterator[Example]:
    base = root / "advbench/data/behavior_datasets"
    for r in _rows(base / "extra_behavior_datasets/advbench_behaviors.csv"):
        if text := _clean(r.get("Behavior")):
            yield Example(text, "advbench", split_of(text), None, 1)
    for r in _rows(root / "strongreject/data/behavior_datasets/strongreject_dataset.csv"):
        if text := _clean(r.get("forbidden_prompt")):
            code = codes.STRONGREJECT.get(r.get("category", ""))
            yield Example(text, "strongreject", split_of(text), None, 1, code)
    hb = root / "harmbench/data/behavior_datasets/harmbench_behaviors_text_val.csv"
    for r in _rows(hb):
        if text := _clean(r.get("Behavior")):
            code = codes.HARMBENCH.get(r.get("SemanticCategory", ""))
            yield Example(text, "harmbench", split_of(text), None, 1, code)


# Do-Not-Answer types whose prompts are mostly benign questions a service should answer with
# care ("Can I take ibuprofen for a headache?", "Do you love me?"): training them as harmful
# teaches the model that medical or emotional questions are unsafe (over-refusal).
DNA_NOT_HARMFUL = frozenset({
    "Causing material harm by disseminating misinformation e.g. in medicine or law",
    "Mental Health or Overreliance Crisis",
    "Treat Chatbot as a Human",
})  # fmt: skip

_DNA_MODELS = ("GPT4", "ChatGPT", "Claude", "ChatGLM2", "llama2-7b-chat", "vicuna-7b")


def load_do_not_answer(root: Path) -> Iterator[Example]:
    base = root / "do-not-answer/datasets"
    for r in _rows(base / "Instruction/do_not_answer_en.csv"):
        if text := _clean(r.get("question")):
            harm = r.get("types_of_harm", "")
            if harm in DNA_NOT_HARMFUL:  # benign-looking prompts: kept out of the harmful head
                yield Example(text, "do-not-answer-soft", split_of(text), None, None)
                continue
            code = codes.DNA_HARM.get(harm)
            yield Example(text, "do-not-answer", split_of(text), None, 1, code)
    for r in _rows(base / "data_en.csv"):
        split = split_of(_clean(r.get("question")))
        for model in _DNA_MODELS:
            text, harmful = _clean(r.get(f"{model}_response")), r.get(f"{model}_harmful")
            if text and harmful in ("0", "1"):
                src = "dna-response-harmful" if harmful == "1" else "dna-response-harmless"
                yield Example(text, src, split, None if harmful == "1" else 0, int(harmful))


def load_bipia(root: Path) -> Iterator[Example]:
    for task in ("email", "code", "table"):
        path = root / "bipia/benchmark" / task / "train.jsonl"
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            context = row.get("context")
            if isinstance(context, list):
                context = "\n".join(map(str, context))
            for text in (_clean(context), _clean(row.get("question"))):
                if text:
                    yield Example(text[:4000], "bipia", split_of(text), 0, 0)


def _seed_lines(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def coded_seed(line: str, path: Path, number: int) -> tuple[str | None, str] | None:
    """``(code, text)`` of one ``harmful_*.txt`` or ``offensive_*.txt`` line, ``None`` for blanks
    and ``#`` comments.

    A line is one text, optionally prefixed by its risk code and a tab (``A.1.h<TAB>怎么…``,
    ``A.2.d<TAB>某地人都…``); without one the code is ``None``. An unknown code is an error naming
    the file and line.
    """
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    code, tab, text = line.partition("\t")
    if not tab:
        return None, line
    code, text = code.strip(), text.strip()
    if not taxonomy.is_known(code):
        raise InputError(f"{path.name}:{number}: unknown risk code {code!r}")
    return (code, text) if text else None


def _coded_lines(path: Path) -> Iterator[tuple[str | None, str]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if (parsed := coded_seed(line, path, number)) is not None:
            yield parsed


def load_seeds(seeds_dir: Path = SEEDS_DIR) -> Iterator[Example]:
    """Text written for hegui in ``seeds_dir`` (train only; the dev sets in ``eval/`` hold
    different items).

    ``benign_*.txt`` are benign sentences full of risk words; ``harmful_*.txt`` plain harmful
    requests, whose ``offensive`` label stays unknown (a request for harm is not necessarily an
    insult); ``offensive_*.txt`` insults and contempt, of a person (code ``A.4.c`` unless the
    line names one, see :func:`coded_seed`) or of a group (``A.2.*``); ``requests_*.txt`` cross request
    templates (``T:``) with benign (``B:``) and harmful (``H:``) tasks, so that both labels share
    the phrasing and the model has to learn the task itself.
    """
    for path in sorted(seeds_dir.glob("benign_*.txt")):
        for text in _seed_lines(path):
            yield Example(text, "hegui-seeds", "train", 0, 0)
    for path in sorted(seeds_dir.glob("harmful_*.txt")):
        for code, text in _coded_lines(path):
            yield Example(text, "hegui-seeds", "train", None, 1, code)
    for path in sorted(seeds_dir.glob("offensive_*.txt")):
        for code, text in _coded_lines(path):
            yield Example(text, "hegui-seeds", "train", 1, None, code or "A.4.c")
    for path in sorted(seeds_dir.glob("requests_*.txt")):
        lines = _seed_lines(path)
        families = {"B": "T", "H": "T", "BT": "W", "HT": "W"}
        templates: dict[str, list[str]] = {"T": [], "W": []}
        slots: list[tuple[str, str]] = []
        for line in lines:
            kind, _, value = line.partition(":")
            if kind in templates:
                templates[kind].append(value.strip())
            elif kind in families:
                slots.append((kind, value.strip()))
        for kind, value in slots:
            bad = int(kind.startswith("H"))
            for template in templates[families[kind]]:
                yield Example(template.format(x=value), "hegui-seeds", "train",
                              None if bad else 0, bad)  # fmt: skip


LOADERS: dict[str, Callable[[Path], Iterator[Example]]] = {
    "cold": load_cold,
    "swsr": load_swsr,
    "toxigen": load_toxigen,
    "safetybench": load_safetybench,
    "cvalues": load_cvalues,
    "jade": load_jade,
    "english-requests": load_english_requests,
    "do-not-answer": load_do_not_answer,
    "bipia": load_bipia,
}


def load_all(root: Path, seeds_dir: Path | None = SEEDS_DIR, written: bool = True,
             more_posts: bool = False) -> list[Example]:  # fmt: skip
    """Every example of every permissive set under ``root``, of the seed lines in ``seeds_dir``
    (none when ``None``) and, with ``written``, of hegui's generated black-market posts (more of
    them with ``more_posts``) and wrappers (:mod:`.round2`), de-duplicated by (text, split)."""
    seen: set[tuple[str, str]] = set()
    out: list[Example] = []
    from hegui.safety.classifier.training.round2 import load_round2  # it imports this module

    sources = [loader(root) for loader in LOADERS.values()]
    sources.append(load_round2(root, written, more_posts))
    if seeds_dir is not None:
        sources.append(load_seeds(seeds_dir))
    for rows in sources:
        for ex in rows:
            if (ex.text, ex.split) not in seen:
                seen.add((ex.text, ex.split))
                out.append(ex)
    return out
