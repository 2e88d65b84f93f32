"""Memory stays bounded: a 100 MB single record is reported without ever being held in memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.corpus.test_cli import SOURCE_ARGS

# Runs the real command and prints the peak RSS of the process (VmHWM: ru_maxrss would carry
# over the RSS of the test process that forked it) and of its forked workers.
_PEAK = """
import resource, sys
from hegui.cli import main
try:
    main(sys.argv[1:])
finally:
    with open("/proc/self/status") as fh:
        hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(f"PEAK {hwm // 1024} {children_mb}", file=sys.stderr)
"""


@pytest.mark.slow
def test_a_100_mb_record_is_reported_and_never_loaded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    corpus = tmp_path / "corpus.jsonl"
    with open(corpus, "wb") as fh:
        fh.write(
            json.dumps(
                {"text": "第一条记录：今天的天气很好，适合出门散步。"}, ensure_ascii=False
            ).encode()
            + b"\n"
        )
        fh.write(b'{"id": "huge", "text": "')
        for _ in range(100):
            fh.write(b"x" * (1 << 20))
        fh.write(b'"}\n')
        for i in range(300):
            text = f"第{i}条记录的内容各不相同：{i * 7919 % 100003} 号房间的住户养了 {i % 7} 只猫。"
            fh.write(json.dumps({"text": text}, ensure_ascii=False).encode() + b"\n")
    add = subprocess.run(
        [
            sys.executable,
            "-m",
            "hegui.cli",
            "corpus",
            "source",
            "add",
            "demo",
            *SOURCE_ARGS,
            "--url",
            url,
        ],
        capture_output=True,
        text=True,
    )
    assert add.returncode == 0, add.stderr
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", _PEAK, "corpus", "scan", str(corpus), "--source", "demo"]
    done = subprocess.run(
        [*cmd, "--out", str(out), "--workers", "2", "--quiet", "--url", url],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    peak_self, peak_children = map(int, done.stderr.split("PEAK")[1].split())
    # The engine, numpy and SQLAlchemy take ~130 MB; the record alone is 100 MB.
    assert peak_self < 200 and peak_children < 200, (peak_self, peak_children)
    report = json.loads((out / "report.json").read_text())
    assert report["total"]["records"] == 302
    assert report["problems"]["counts"] == {"too_long": 1}
    example = report["problems"]["examples"]["too_long"][0]
    assert example["line"] == 2 and "104,857,627 bytes" in example["message"]
    dropped = [json.loads(line) for line in (out / "dropped.jsonl").read_text().splitlines()]
    assert [(d["line"], d["reasons"]) for d in dropped if d["line"] == 2] == [(2, ["too_long"])]
