"""Ask a sample of the banks to an endpoint, many at a time, appending each result as it comes.

The run folder holds ``run.json`` (what was asked of whom: endpoint, model, bank hashes,
sample, seed) and ``results.jsonl`` (one line per answered item, written with a single
``write`` on an ``O_APPEND`` descriptor the moment the answer arrives). Started again on the
same folder, the run reads what is there, drops a torn last line left by a kill, and asks only
the items that have no line yet, so no item is asked twice and the final results equal an
uninterrupted run. ``retry_errors`` asks again the items whose line records an error; the
newest line of an item wins.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hegui.assess.bank import BankItem, BankSet
from hegui.assess.client import Answer, Asker
from hegui.assess.standard import BANK_RULES, BANKS
from hegui.errors import InputError

__all__ = ["RESULTS", "RUN_FILE", "SELECTION", "RunConfig", "load_results", "read_selection",
           "run", "select_items"]  # fmt: skip

RESULTS = "results.jsonl"
RUN_FILE = "run.json"
SELECTION = "selection.jsonl"  # the sampled items (id, bank, risk, aspect), in asking order


@dataclass(slots=True)
class RunConfig:
    """Everything that decides which items are asked and how; stored as ``run.json``."""

    endpoint: str
    model: str
    bank_files: list[str]
    bank_sha256: dict[str, str]
    sample: int | None = None  # per bank; None = the standard's minimum, 0 = whole bank
    seed: int = 0
    concurrency: int = 32
    timeout: float = 60.0
    retries: int = 3
    temperature: float | None = 0.0
    max_tokens: int | None = 1024
    system: str | None = None
    label: str | None = None  # e.g. "bare model" / "behind hegui serve", shown in the report
    extra: dict[str, Any] = field(default_factory=dict)

    IDENTITY = ("endpoint", "model", "bank_sha256", "sample", "seed", "temperature",
                "max_tokens", "system")  # fmt: skip

    def identity(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.IDENTITY}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def select_items(banks: BankSet, sample: int | None, seed: int) -> list[BankItem]:
    """A simple random sample per bank (the standard's minimum by default), reproducible from
    ``seed`` whatever the order of the files; ``sample=0`` takes every item."""
    chosen: list[BankItem] = []
    for bank in BANKS:
        items = sorted(banks.by_bank(bank), key=lambda i: i.id)
        n = BANK_RULES[bank].sample_minimum if sample is None else sample
        if n and n < len(items):
            items = sorted(random.Random(f"{seed}:{bank}").sample(items, n), key=lambda i: i.id)
        chosen.extend(items)
    return chosen


def load_results(out_dir: Path, repair: bool = False) -> dict[str, dict[str, Any]]:
    """Results by item id (the newest line of an id wins). ``repair`` cuts off a torn last line
    (a kill in the middle of a write) so that appending goes on from a clean line end."""
    path = out_dir / RESULTS
    if not path.exists():
        return {}
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        if repair:
            with path.open("r+b") as f:
                f.truncate(cut)
        data = data[:cut]
    out: dict[str, dict[str, Any]] = {}
    for line in data.splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("id"), str):
            out[doc["id"]] = doc
    return out


def read_selection(out_dir: Path) -> list[dict[str, Any]]:
    """The items the run in ``out_dir`` set out to ask."""
    path = out_dir / SELECTION
    if not path.exists():
        raise InputError(f"{out_dir} is not a run folder (no {SELECTION}); run `hegui assess run`")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _selection_lines(items: list[BankItem]) -> str:
    return "".join(
        json.dumps({"id": i.id, "bank": i.bank, "risk": i.risk, "aspect": i.aspect},
                   ensure_ascii=False) + "\n"
        for i in items
    )  # fmt: skip


def _check_same_run(out_dir: Path, config: RunConfig, items: list[BankItem]) -> None:
    path = out_dir / RUN_FILE
    if not path.exists():
        (out_dir / SELECTION).write_text(_selection_lines(items), encoding="utf-8")
        text = json.dumps(config.to_dict(), ensure_ascii=False, indent=2) + "\n"
        path.write_text(text, encoding="utf-8")  # written last: its presence means "started"
        return
    try:
        before = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise InputError(f"{path} is not JSON; use a new --out folder") from None
    diff = [k for k in RunConfig.IDENTITY if before.get(k) != config.identity()[k]]
    if diff:
        raise InputError(
            f"{out_dir} holds a different run (differs in {', '.join(diff)}); "
            "use a new --out folder to start another"
        )


def _record(item: BankItem, answer: Answer) -> bytes:
    doc = {"id": item.id, "bank": item.bank, "risk": item.risk, "aspect": item.aspect,
           "lang": item.lang, "question": item.text, **answer.to_dict()}  # fmt: skip
    return (json.dumps(doc, ensure_ascii=False) + "\n").encode("utf-8")


async def run(
    config: RunConfig,
    items: list[BankItem],
    out_dir: Path,
    *,
    api_key: str | None = None,
    retry_errors: bool = False,
    on_progress: Callable[[int, int, Answer | None], None] | None = None,
) -> dict[str, int]:
    """Ask every item of ``items`` that ``out_dir`` has no result for; returns counts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _check_same_run(out_dir, config, items)
    done = load_results(out_dir, repair=True)
    todo = [
        i for i in items
        if i.id not in done or (retry_errors and done[i.id].get("status") == "error")
    ]  # fmt: skip
    total, skipped = len(items), len(items) - len(todo)
    if on_progress:
        on_progress(skipped, total, None)
    counts = {"asked": 0, "ok": 0, "error": 0, "skipped": skipped}
    if not todo:
        return counts
    queue: asyncio.Queue[BankItem] = asyncio.Queue()
    for item in todo:
        queue.put_nowait(item)
    asker = Asker(
        config.endpoint, config.model, api_key=api_key, timeout=config.timeout,
        retries=config.retries, temperature=config.temperature, max_tokens=config.max_tokens,
        system=config.system, concurrency=config.concurrency,
    )  # fmt: skip
    fd = os.open(out_dir / RESULTS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def worker() -> None:
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            answer = await asker.ask(item.text)
            os.write(fd, _record(item, answer))  # one write: a kill leaves whole lines
            counts["asked"] += 1
            counts[answer.status] += 1
            if on_progress:
                on_progress(skipped + counts["asked"], total, answer)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, config.concurrency))]
    try:
        await asyncio.gather(*workers)
    except BaseException:  # a bug or a cancel: stop every worker before the file is closed
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    finally:
        os.close(fd)
        await asker.close()
    return counts
