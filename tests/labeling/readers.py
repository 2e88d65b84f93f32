"""Independent readers of labelled files: ExifTool, ffprobe, MediaInfo, pdfinfo, qpdf, mutagen,
openpyxl. Each returns the AIGC value it sees (or None), so tests compare against what we wrote.

A missing tool skips the test with a reason on a developer's machine, but fails it in CI
(``HEGUI_REQUIRE_TOOLS=1``, exported by ``.ci/run``), so a broken install cannot pass silently.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

__all__ = ["READERS", "exiftool_many", "need", "read_with"]


def need(tool: str) -> str:
    """The tool's path, or skip (developer machine) / fail (CI) when it is not installed."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (apt: see .ci/run)"
        if os.environ.get("HEGUI_REQUIRE_TOOLS") == "1":
            pytest.fail(message + " but HEGUI_REQUIRE_TOOLS=1")
        pytest.skip(message)
    return path


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def _find_aigc(value: Any) -> str | None:
    """The first string value under a key containing AIGC, anywhere in a JSON structure."""
    if isinstance(value, dict):
        for key, item in value.items():
            if "AIGC" in str(key).upper() and isinstance(item, str):
                return item
            inner = _find_aigc(item)
            if inner is not None:
                return inner
    if isinstance(value, list):
        for item in value:
            inner = _find_aigc(item)
            if inner is not None:
                return inner
    return None


def exiftool(path: Path) -> str | None:
    return exiftool_many([path])[path]


def exiftool_many(paths: list[Path]) -> dict[Path, str | None]:
    """:func:`exiftool` for several files in one ExifTool run (each run pays Perl's start-up,
    about 0.3 s; ExifTool reads every file on its own and names it in ``SourceFile``)."""
    proc = _run([need("exiftool"), "-j", "-a", "-G1", "-struct", "-ee", *map(str, paths)])
    entries = {str(e.get("SourceFile")): e for e in json.loads(proc.stdout or "[]")}
    seen: dict[Path, str | None] = {}
    for path in paths:
        found = _find_aigc(entries.get(str(path)))
        if found is None:  # ID3 TXXX reads as "(AIGC) {...}" under UserDefinedText
            for line in _run([need("exiftool"), "-a", "-s", str(path)]).stdout.splitlines():
                if "(AIGC) " in line:
                    found = line.split("(AIGC) ", 1)[1]
                    break
        seen[path] = found
    return seen


def ffprobe(path: Path) -> str | None:
    proc = _run(
        [need("ffprobe"), "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)]
    )
    return _find_aigc(json.loads(proc.stdout or "{}"))


def mediainfo(path: Path) -> str | None:
    proc = _run([need("mediainfo"), "--Output=JSON", str(path)])
    return _find_aigc(json.loads(proc.stdout or "{}"))


def pdfinfo(path: Path) -> str | None:
    proc = _run([need("pdfinfo"), "-custom", str(path)])
    for line in proc.stdout.splitlines():
        if line.startswith("AIGC:"):
            return line.split(":", 1)[1].strip()
    return None


def mutagen(path: Path) -> str | None:
    try:
        import mutagen as mg
    except ImportError:  # the dev extra installs it
        pytest.fail("mutagen is not installed (pip install -e '.[dev]')")
    f = mg.File(path)
    if f is None or f.tags is None:
        return None
    for key in f.tags.keys():  # noqa: SIM118 - Vorbis comments are a list with .keys()
        if "AIGC" in str(key).upper():
            value = f.tags[key]
            text = getattr(value, "text", value)
            return str(text[0] if isinstance(text, list) else text)
    return None


def openpyxl(path: Path) -> str | None:
    import openpyxl as ox

    book = ox.load_workbook(path)
    for prop in book.custom_doc_props.props:
        if "AIGC" in prop.name.upper():
            return str(prop.value)
    return None


def qpdf_clean(path: Path) -> bool:
    """True when ``qpdf --check`` finds the file valid with no warnings."""
    proc = _run([need("qpdf"), "--check", str(path)])
    return proc.returncode == 0 and "WARNING" not in (proc.stdout + proc.stderr)


READERS = {
    "exiftool": exiftool,
    "ffprobe": ffprobe,
    "mediainfo": mediainfo,
    "pdfinfo": pdfinfo,
    "mutagen": mutagen,
    "openpyxl": openpyxl,
}


def read_with(reader: str, path: Path) -> str | None:
    return READERS[reader](path)
