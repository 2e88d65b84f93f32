"""Turn the public safety sets under ``../shared/data/raw`` into bank items, mapped to risk codes.

Run by the user (``hegui assess banks import NAME --data-dir DIR --out FILE``); nothing here
is read when the shipped banks are used. Each importer names its upstream, licence and the bank
its questions suit. Category → code mappings: JADE-DB, StrongREJECT and HarmBench use the risk
engine's classifier tables (``hegui.safety.classifier.training.codes``, one mapping for the project);
Do-Not-Answer, SafetyBench and CValues use the finer tables below.

| name | upstream (licence) | bank | language |
|---|---|---|---|
| jade-db | whitzard-ai/jade-db v1–v2 (MIT) | generate | zh, en |
| do-not-answer | Libr-AI/do-not-answer (Apache-2.0) | refuse | en |
| cvalues | X-PLUG/CValues responsibility prompts (Apache-2.0) | not-refuse | zh |
| safetybench | thu-coai/SafetyBench zh subset (MIT) | generate | zh |
| strongreject | dsbowen/strong_reject (MIT) | refuse | en |
| harmbench | centerforaisafety/HarmBench val (MIT) | refuse | en |
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hegui.assess.bank import BankItem
from hegui.errors import InputError
from hegui.safety.classifier.training.codes import DNA_HARM, HARMBENCH, STRONGREJECT, jade_code

__all__ = ["IMPORTERS", "Importer", "dna_risk_code", "import_set"]

csv.field_size_limit(sys.maxsize)

# Do-Not-Answer: its specific harm first (finer), then its type of harm.
DNA_SPECIFIC: dict[str, str] = {
    "Racial/Ethnic Discrimination": "A.2.a", "Religious Discrimination": "A.2.b",
    "Location Discrimination": "A.2.d", "Gender/Sexual Discrimination": "A.2.e",
    "Disability Discrimination": "A.2.h", "Body Shaming": "A.2.i",
    "Other Forms of Discrimination": "A.2.i", "Terrorist Activities": "A.1.d",
    "Copyright Infringement": "A.3.a", "Financial Crimes": "A.3.e",
    "Classified Information": "A.1.b", "Propaganda": "A.1.g", "Rumors": "A.1.g",
    "False News": "A.1.g", "Explicit Sexual Content": "A.1.f", "Graphic Violence": "A.1.f",
    "Defamatory Content": "A.4.c", "Personal Life Information": "A.4.e",
    "Personal Identification Information (PII)": "A.4.f",
}  # fmt: skip
# Types the table above leaves open fall back to the classifier's mapping, except medical and
# legal misinformation, which the assessment files under accuracy (A.5.a).
DNA_TYPE: dict[str, str] = {
    **DNA_HARM,
    "Causing material harm by disseminating misinformation e.g. in medicine or law": "A.5.a",
}
SAFETYBENCH: dict[str, str] = {
    "Offensiveness": "A.2.i", "Unfairness and Bias": "A.2.i", "Physical Health": "A.4.a",
    "Mental Health": "A.4.a", "Illegal Activities": "A.1.h", "Ethics and Morality": "A.3.b",
    "Privacy and Property": "A.4.e",
}  # fmt: skip
# CValues domains → the should-not-refuse aspect they touch ("other" when none fits).
CVALUES: dict[str, str] = {
    "无障碍": "health", "心理学": "health", "亲密关系": "gender", "社会学": "culture",
    "法理学": "system", "环境科学": "geography", "数据科学": "other", "冷门专业": "occupation",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Importer:
    """One public set: where it lives under the data folder, its licence, and its reader."""

    name: str
    upstream: str
    licence: str
    bank: str
    read: Callable[[Path], Iterator[BankItem]]


def _csv(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    if not path.is_file():
        raise InputError(f"{path} not found (is --data-dir the shared/data/raw folder?)")
    with path.open(encoding=encoding, newline="") as f:
        return list(csv.DictReader(f))


def _item(name: str, bank: str, n: str, text: str, risk: str | None, lang: str,
          licence: str, aspect: str | None = None, **extra: str) -> BankItem:  # fmt: skip
    return BankItem(f"{name}-{n}", text.strip(), bank, risk, lang, name, licence, aspect, extra)


def read_jade(root: Path) -> Iterator[BankItem]:
    files = [("v1-zh", "jade-db-v1.0/jade_benchmark_zh.csv", "zh"),
             ("v1-en", "jade-db-v1.0/jade_benchmark_en.csv", "en"),
             ("v2-easy", "jade-db-v2.0/jade_benchmark_easy_zh.csv", "zh"),
             ("v2-medium", "jade-db-v2.0/jade_benchmark_medium_zh.csv", "zh")]  # fmt: skip
    for tag, rel, lang in files:
        for r in _csv(root / "jade-db" / rel):
            text, kind, sub = (r.get(k, "").strip() for k in ("问题", "违规类型", "违规子类"))
            if text:
                yield _item("jade-db", "generate", f"{tag}-{r.get('ID')}", text,
                            jade_code(kind, sub), lang, "MIT", upstream_category=sub)  # fmt: skip


def dna_risk_code(specific_harms: str, types_of_harm: str) -> str:
    """A Do-Not-Answer question's risk code: its specific harm first, then its type of harm
    (also the answer-harm model's training feature, so the two always agree)."""
    specific = specific_harms.split(":")[0].strip()
    return DNA_SPECIFIC.get(specific) or DNA_TYPE.get(types_of_harm, "A.1.h")


def read_dna(root: Path) -> Iterator[BankItem]:
    for r in _csv(root / "do-not-answer/datasets/Instruction/do_not_answer_en.csv"):
        specific = r.get("specific_harms", "").split(":")[0].strip()
        code = dna_risk_code(r.get("specific_harms", ""), r.get("types_of_harm", ""))
        yield _item("do-not-answer", "refuse", r["id"], r["question"], code, "en", "Apache-2.0",
                    upstream_category=specific)  # fmt: skip


def read_cvalues(root: Path) -> Iterator[BankItem]:
    path = root / "cvalues-responsibility/dataset/cvalues_responsibility_prompts.jsonl"
    if not path.is_file():
        raise InputError(f"{path} not found")
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            doc = json.loads(line)
            domain = str(doc.get("domain_zh", ""))
            yield _item("cvalues", "not-refuse", str(n), str(doc.get("prompt", "")), None, "zh",
                        "Apache-2.0", CVALUES.get(domain, "other"), upstream_category=domain)  # fmt: skip


def read_safetybench(root: Path) -> Iterator[BankItem]:
    path = root / "safetybench-zh-subset/opensource_data/test_zh_subset.json"
    if not path.is_file():
        raise InputError(f"{path} not found")
    for doc in json.loads(path.read_text(encoding="utf-8")):
        options = "\n".join(f"{chr(65 + i)}. {o}" for i, o in enumerate(doc.get("options", [])))
        text = f"{doc['question']}\n{options}\n请选出正确答案并说明理由。"
        yield _item("safetybench", "generate", str(doc["id"]), text,
                    SAFETYBENCH.get(doc.get("category", ""), "A.2.i"), "zh", "MIT",
                    upstream_category=str(doc.get("category", "")))  # fmt: skip


def read_strongreject(root: Path) -> Iterator[BankItem]:
    rows = _csv(root / "strongreject/data/behavior_datasets/strongreject_dataset.csv")
    for n, r in enumerate(rows, 1):
        cat = r.get("category", "")
        yield _item("strongreject", "refuse", str(n), r.get("forbidden_prompt", ""),
                    STRONGREJECT.get(cat, "A.1.h"), "en", "MIT", upstream_category=cat)  # fmt: skip


def read_harmbench(root: Path) -> Iterator[BankItem]:
    rows = _csv(root / "harmbench/data/behavior_datasets/harmbench_behaviors_text_val.csv")
    for r in rows:
        cat = r.get("SemanticCategory", "")
        text = r.get("Behavior", "")
        if r.get("ContextString"):
            text = f"{r['ContextString']}\n\n---\n\n{text}"
        code = HARMBENCH.get(cat, "A.1.h")
        bank = "generate" if code[:3] not in ("A.1", "A.2") else "refuse"
        yield _item("harmbench", bank, r.get("BehaviorID", ""), text, code, "en", "MIT",
                    upstream_category=cat)  # fmt: skip


IMPORTERS: dict[str, Importer] = {
    i.name: i
    for i in (
        Importer("jade-db", "whitzard-ai/jade-db", "MIT", "generate", read_jade),
        Importer("do-not-answer", "Libr-AI/do-not-answer", "Apache-2.0", "refuse", read_dna),
        Importer("cvalues", "X-PLUG/CValues", "Apache-2.0", "not-refuse", read_cvalues),
        Importer("safetybench", "thu-coai/SafetyBench", "MIT", "generate", read_safetybench),
        Importer("strongreject", "dsbowen/strong_reject", "MIT", "refuse", read_strongreject),
        Importer("harmbench", "centerforaisafety/HarmBench", "MIT", "refuse", read_harmbench),
    )
}


def import_set(name: str, data_dir: Path, bank: str | None = None) -> list[BankItem]:
    """All items of one public set (``bank`` overrides the bank the importer suggests)."""
    if name not in IMPORTERS:
        raise InputError(f"unknown set {name!r} (expected one of {', '.join(IMPORTERS)})")
    items = list(IMPORTERS[name].read(data_dir))
    if bank is None:
        return items
    from dataclasses import replace

    aspect = "other" if bank == "not-refuse" else None
    return [replace(i, bank=bank, aspect=i.aspect if bank == "not-refuse" and i.aspect else aspect)
            for i in items]  # fmt: skip
