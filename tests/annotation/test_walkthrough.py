"""docs/annotation.md: the walkthrough's shell blocks run as written, on COLD dev comments."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "annotation.md"
COLD = ROOT.parent / "shared" / "data" / "raw" / "cold" / "COLDataset" / "dev.csv"


def _shell_blocks() -> str:
    return "\n".join(re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL))


@pytest.mark.slow
@pytest.mark.skipif(not COLD.exists(), reason="COLD dev split not found at ../shared/data")
def test_the_walkthrough_runs_and_produces_a_qa_report(tmp_path: Path) -> None:
    script = _shell_blocks() + '\ncp -r qa annotation.db "$WALKTHROUGH_OUT"/\n'
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEGUI_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        TMPDIR=str(tmp_path),
        WALKTHROUGH_OUT=str(tmp_path),
    )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "published security rules 2026-12 (32 labels)" in done.stdout
    assert "audit chain intact" in done.stdout
    report = json.loads((tmp_path / "qa" / "qa.json").read_text(encoding="utf-8"))
    tasks = report["tasks"]
    assert tasks["total"] == 40 and tasks["double_annotation"] == 20
    assert tasks["disputed"] == 0 and tasks["adjudicated"] > 0 and tasks["done"] == 40
    assert report["verification"]["verified"] == 12
    assert report["verification"]["per_annotator"]["alice"]["rate"] == 1.0
    assert report["agreement"]["overall"]["alpha"] is not None
    people = {p["id"]: p for p in report["annotators"]}
    assert people["alice"]["training_hours"] == 2.0 and people["bob"]["exam"]["passed"]
