"""The Ray executor: the same chunks from any resume point, and the same outputs as local.

One real Ray scan (a local instance, as ``--engine ray`` starts it); Ray takes ~10 s to start,
so everything else about the split of work is tested without it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hegui.corpus.executors import file_groups, read_group
from hegui.corpus.readers import Position, discover, iter_chunks
from tests.corpus.conftest import corpus_records, write_jsonl
from tests.corpus.test_cli import SOURCE_ARGS

LIMIT = 1 << 20


def _files(tmp_path: Path) -> list[Path]:
    rows = [r for i, r in enumerate(corpus_records(1200)) if i % 6 in (0, 1, 5)]
    paths = [
        write_jsonl(tmp_path / f"part{k}.jsonl", rows[k * 100 : (k + 1) * 100]) for k in range(6)
    ]
    return paths


@pytest.mark.parametrize("parts", [1, 2, 4, 10])
def test_read_tasks_cover_the_rest_of_the_input_exactly_once(tmp_path: Path, parts: int) -> None:
    _files(tmp_path)
    files, _ = discover([str(tmp_path)])
    flat = [c for c in iter_chunks(files, LIMIT, max_records=7)]
    for start in (Position(0, 0, 0), flat[3].end, flat[len(flat) // 2].end, flat[-1].end):
        expected = [(r.file, r.line) for c in iter_chunks(files, LIMIT, start) for r in c.raws]
        groups = file_groups(files, start, parts)
        assert [i for g in groups for i in g] == list(range(start.file, len(files)))
        got = [
            (r.file, r.line)
            for g in groups
            for c in read_group(files, start, LIMIT, g)
            for r in c.raws
        ]
        assert got == expected


def _hegui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hegui.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
    )


@pytest.mark.slow
def test_ray_scan_gives_the_same_outputs_as_local_workers(tmp_path: Path) -> None:
    pytest.importorskip("ray.data")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert _hegui("corpus", "source", "add", "demo", *SOURCE_ARGS, "--url", url).returncode == 0
    data = tmp_path / "data"
    data.mkdir()
    _files(data)
    common = ["corpus", "scan", str(data), "--source", "demo", "--sample", "40", "--url", url]
    local = _hegui(*common, "--out", str(tmp_path / "local"), "--workers", "2")
    assert local.returncode == 0, local.stderr
    ray = _hegui(*common, "--out", str(tmp_path / "ray"), "--workers", "2", "--engine", "ray")
    assert ray.returncode == 0, ray.stderr
    for name in ("kept.jsonl", "dropped.jsonl", "sample.jsonl"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    report = json.loads((tmp_path / "ray" / "report.json").read_text())
    assert report["scan"]["executor"] == "ray" and report["total"]["records"] == 600
    assert "Traceback" not in ray.stderr
