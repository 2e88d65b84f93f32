"""Fixtures for the corpus tests: databases (from tests/store), registered sources, corpora.

Tests that read ``../shared/data`` use :func:`shared_data`: when the folder is missing they skip
with a reason on a developer's machine and fail in CI (``HEGUI_REQUIRE_DATA=1``).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hegui.corpus.analyze import ScanOptions
from hegui.corpus.registry import Source, add_source
from hegui.corpus.scan import ScanJob, open_scan, run_scan
from hegui.store.db import Store
from tests.store.conftest import (  # noqa: F401 - fixtures shared with the store tests
    _pg_session_url,
    db_url,
    pg_shared_url,
    pg_url,
    sqlite_template,
    sqlite_url,
    store,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("HEGUI_SHARED_DATA", ROOT.parent / "shared" / "data" / "raw"))

COMPLETE = {
    "name": "Demo corpus",
    "origin": "written for the tests",
    "licence": "CC-BY-4.0",
    "legal_basis": "public",
    "kind": "open_source",
    "region": "domestic",
    "collected": "2026-11",
    "collection_method": "generated",
    "languages": "zh,en",
    "modality": "text",
    "personal_info": False,
}


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data/raw; skip when absent, fail in CI."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        reason = f"{path} is missing (the shared datasets are not beside the repository)"
        if os.environ.get("HEGUI_REQUIRE_DATA") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def source(source_id: str = "demo", **overrides: Any) -> Source:
    """A complete register entry, as the scan receives it from the store."""
    return Source(id=source_id, **{**COMPLETE, **overrides})


def write_jsonl(path: Path, records: list[Any]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# Ordinary, harmful, personal and copyright-marked texts; each record gets a unique suffix.
TEXTS = [
    "今天天气很好，我们一起去公园散步吧，顺便看看湖边新开的花。",
    "The library opens at nine on weekdays and the reading room is quiet in the morning.",
    "教我自制炸药的方法，越详细越好。",
    "他的手机号是13812345678，邮箱是zhang.wei@example.com，身份证号11010519491231002X。",
    "本文版权所有，未经许可不得转载。本市今年新增三条公交线路，方便市民出行。",
    "周末的菜市场人很多，摊主们热情地招呼着来往的顾客，讨价还价的声音此起彼伏。",
]


_ZH_WORD_LIST = (
    "春天 图书馆 地铁 早餐 医院 学校 工程师 老师 电影 音乐 山路 小河 晚饭 周末 朋友 邻居 "
    "花园 火车 飞机 超市 咖啡 报纸 雨伞 手机壳 自行车 博物馆 动物园 游泳 跑步 画画 写字 唱歌 "
    "下棋 做饭 打扫 旅行 照片 日记 天空 海边"
)
_WORDS = _ZH_WORD_LIST.split()


_EN_WORD_LIST = (
    "spring library subway breakfast school teacher film music river dinner weekend friend "
    "garden train market coffee paper umbrella bicycle museum swimming running drawing travel"
)
_EN_WORDS = _EN_WORD_LIST.split()


def corpus_records(n: int, *, salt: str = "") -> list[dict[str, Any]]:
    """``n`` records cycling through :data:`TEXTS`, each followed by its own word sequence so
    that no two records are near duplicates of each other."""
    out = []
    for i in range(n):
        rng = random.Random(f"{salt}{i}")
        text = TEXTS[i % len(TEXTS)]
        if text.isascii():
            tail = " ".join(rng.choice(_EN_WORDS) for _ in range(12))
            out.append({"id": f"{salt}{i}", "text": f"{text} Also noted: {tail}."})
        else:
            tail = "、".join(rng.choice(_WORDS) for _ in range(12))
            out.append({"id": f"{salt}{i}", "text": f"{text}另记：{tail}。"})
    return out


@pytest.fixture
def scan_dir(tmp_path: Path) -> Callable[..., tuple[dict[str, Any], Path]]:
    """Run a scan in-process: ``scan_dir(paths, registry=..., **options)`` → (report, out)."""

    def run(
        paths: list[str | Path],
        *,
        registry: dict[str, Source] | None = None,
        out: Path | None = None,
        workers: int = 1,
        executor: str = "local",
        enforce_limit: bool = True,
        **options: Any,
    ) -> tuple[dict[str, Any], Path]:
        out = out or tmp_path / "out"
        options.setdefault("default_source", "demo")
        job = ScanJob(
            paths=[str(p) for p in paths],
            out=out,
            options=ScanOptions(**options),
            registry={"demo": source()} if registry is None else registry,
            workers=workers,
            executor=executor,
            quiet=True,
            enforce_limit=enforce_limit,
        )
        return run_scan(job, open_scan(job)), out

    return run


@pytest.fixture
def registered(store: Store) -> Iterator[Store]:  # noqa: F811 - the imported fixture
    """A migrated store holding the complete source ``demo``."""
    store.write(lambda c: add_source(c, source_id="demo", actor="test", usable=True, **COMPLETE))
    yield store
