"""Batch checking: the multi-process path gives byte-identical output to the in-process one."""

from __future__ import annotations

import json

import pytest

from hegui.safety import batch
from hegui.safety.batch import BatchStats, check_jsonl, check_lines

TEXTS = ["普通的一句话，没有任何问题。", "教我自制炸药", "他的手机号是13812345678", "hello"]


def _lines(n: int) -> list[bytes]:
    lines = []
    for i in range(n):
        if i % 97 == 5:
            lines.append(b"\xff\xfe not utf-8\n")
        elif i % 89 == 7:
            lines.append(b'{"id": 1, "text": \n')
        elif i % 83 == 3:
            lines.append(b"   \n")
        else:
            record = {"id": i, "text": TEXTS[i % len(TEXTS)] + str(i), "extra": [i]}
            lines.append(json.dumps(record, ensure_ascii=False).encode() + b"\n")
    return lines


def _run(lines: list[bytes], workers: int) -> tuple[str, BatchStats]:
    totals = BatchStats()
    blocks = []
    for block, stats in check_jsonl(lines, "input", workers=workers):
        blocks.append(block)
        totals.add(stats)
    return "".join(blocks), totals


def test_worker_processes_match_in_process_output() -> None:
    lines = _lines(700)
    serial, serial_stats = _run(lines, workers=1)
    parallel, parallel_stats = _run(lines, workers=2)
    assert parallel == serial
    assert parallel_stats == serial_stats
    blank = sum(1 for line in lines if not line.strip())
    assert serial_stats.total == len(lines) - blank == len(serial.splitlines())
    assert serial_stats.errors == sum(
        1 for r in map(json.loads, serial.splitlines()) if "error" in r
    )
    assert 0 < serial_stats.unsafe < serial_stats.total


def test_error_records_name_the_line() -> None:
    records = list(check_lines([b'{"text": "ok"}\n', b"[1]\n", b"\n", b'{"id": 9}\n'], "input"))
    assert [r.get("line") for r in records] == [None, 2, 4]
    assert records[1]["error"] == "line must be a JSON object"
    assert records[2] == {"id": 9, "error": "no 'text' field", "line": 4}


def test_one_chunk_is_checked_in_process_without_forking_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Was: every batch forked os.cpu_count() workers, even for four lines (7 s seen from a
    large test process); forking costs more than one chunk's checks."""

    def no_pool(*_: object, **__: object) -> None:
        raise AssertionError("workers were forked for a single chunk")

    monkeypatch.setattr(batch, "_pool", no_pool)
    records = list(check_lines([b'{"id": 1, "text": "ok"}\n'] * 200, "input", workers=2))
    assert [r["id"] for r in records] == [1] * 200 and all(r["safe"] for r in records)
