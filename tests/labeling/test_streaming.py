"""Memory stays bounded while labelling and verifying large files: the media is copied file to
file by the kernel and hashed in 1 MiB blocks, never read whole. Measured in a child process
(peak RSS from ``getrusage``) against the same command on a tiny file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .media import sparse_mp4, sparse_wav

PRODUCER = "001191440300708461136T1XGW3"
MIB = 1024**2
GROWTH_LIMIT = 64 * MIB  # below the file size: nothing proportional to it is held

_CHILD = """
import json, resource, sys
from hegui.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "code": code}), file=sys.stderr)
"""


def _peak(*args: str) -> tuple[int, int]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return int(report["rss"]), int(report["code"] or 0)


@pytest.mark.parametrize(
    ("kind", "size"),
    [
        ("mp4", 160 * MIB),  # twice the limit and more: a whole read would fail it
        ("wav", 160 * MIB),
        pytest.param("mp4", 384 * MIB, marks=pytest.mark.slow),
        pytest.param("wav", 384 * MIB, marks=pytest.mark.slow),
    ],
    ids=["mp4-160MiB", "wav-160MiB", "mp4-384MiB", "wav-384MiB"],
)
def test_labelling_a_large_file_keeps_memory_bounded(tmp_path: Path, kind: str, size: int) -> None:
    make = sparse_mp4 if kind == "mp4" else sparse_wav
    small, big = tmp_path / f"small.{kind}", tmp_path / f"big.{kind}"
    make(small, 1024**2)
    make(big, size)
    (tmp_path / "hegui.toml").write_text(
        f'[labeling]\nproducer = "{PRODUCER}"\nsigning_key = "k"\n'
    )
    config = ["--config", str(tmp_path / "hegui.toml")]
    base, code = _peak("label", str(small), "-o", str(tmp_path / f"s.{kind}"), *config)
    assert code == 0
    peak, code = _peak("label", str(big), "-o", str(tmp_path / f"b.{kind}"), *config)
    assert code == 0 and (tmp_path / f"b.{kind}").stat().st_size >= size
    assert peak - base < GROWTH_LIMIT, f"label: {peak / 2**20:.0f} MiB vs {base / 2**20:.0f} MiB"
    peak, code = _peak("verify", str(tmp_path / f"b.{kind}"), *config)
    assert code == 0 and peak - base < GROWTH_LIMIT, f"verify: {peak / 2**20:.0f} MiB"
