"""The 2-minute soak (benchmarks/soak.py) runs in CI: mixed load at c=64 with long and harmful
prompts, upstream faults, a database stall and kill -9 of `hegui serve`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_minute_soak_loses_no_record_and_answers_no_unexpected_5xx(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("soak", ROOT / "benchmarks" / "soak.py")
    assert spec and spec.loader
    soak = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = soak
    spec.loader.exec_module(soak)
    result = soak.run(2.0, "sqlite", 64, tmp_path)
    print(soak.table(result))
    assert result["released"] > 500 and result["released_big"] > 0
    assert result["records_lost"] == 0 and result["records_duplicated"] == 0
    assert result["other_5xx"] == 0
    assert result["rss_growth_pct"] <= 10.0
