"""The interop matrix: every carrier × independent reader × transformation, run for real.

For each sample (made here with Pillow, ffmpeg, pypdf, openpyxl, never downloaded) the label is
written by hegui with an integrity key, then:

- *readers*: ExifTool, ffprobe, MediaInfo, pdfinfo, mutagen and openpyxl read the file; a cell
  is ✓ when the tool shows exactly the JSON hegui wrote, ✗ when it reads the format but not the
  label, · when the tool does not handle the format;
- *transformations*: what ``hegui verify`` says after a remux (``ffmpeg -c copy``), an ExifTool
  EXIF edit, an ExifTool XMP edit, ``exiftool -all=``, a relabel, a propagation and a cut to
  half the size (``n/a`` where the tool refuses to write the format).

:func:`render` turns the result into the Markdown block kept in ``docs/labeling.md``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hegui.config import LabelingSettings
from hegui.labeling import label_file, new_label, verify_file

from . import readers
from .media import MAKERS, animated_gif, audio, docx, mp4, pdf, run_ffmpeg, still, text_doc, video

PRODUCER = "001191440300708461136T1XGW3"
PLATFORM = "001191440300708461136T2XGW3"
KEY = LabelingSettings(signing_key="interop-key", producer=PRODUCER)
AV = {"wav", "mp3", "flac", "ogg", "opus", "mp4", "mp4-frag", "mov", "m4a", "mkv", "webm", "avi"}
AUDIO_TAGS = {"mp3", "flac", "ogg", "opus", "mp4", "mp4-frag", "mov", "m4a", "wav"}
READS = {
    "exiftool": None,  # tried on everything
    "ffprobe": AV,
    "mediainfo": AV,
    "pdfinfo": {"pdf"},
    "mutagen": AUDIO_TAGS,
    "openpyxl": {"xlsx"},
}
TRANSFORMS = ("remux", "exif edit", "xmp edit", "exiftool -all=", "relabel", "propagate", "cut")


def _xlsx() -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "生成内容"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


#: sample name -> (file suffix, maker)
SAMPLES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "png": (".png", MAKERS["png"][1][1]),
    "jpeg": (".jpg", MAKERS["jpeg"][1][1]),
    "webp": (".webp", MAKERS["webp"][1][1]),
    "gif": (".gif", animated_gif),
    "tiff": (".tif", lambda: still("TIFF", 120, 90)),
    "avif": (".avif", lambda: still("AVIF", 120, 90)),
    "wav": (".wav", MAKERS["wav"][1][1]),
    "mp3": (".mp3", lambda: audio("libmp3lame", ".mp3")),
    "flac": (".flac", lambda: audio("flac", ".flac")),
    "ogg": (".ogg", lambda: audio("libvorbis", ".ogg")),
    "opus": (".opus", lambda: audio("libopus", ".opus")),
    "m4a": (".m4a", lambda: audio("aac", ".m4a")),
    "mp4": (".mp4", lambda: mp4(1)),
    "mp4-frag": (".mp4", lambda: mp4(2, movflags="frag_keyframe+empty_moov")),
    "mov": (".mov", lambda: video(".mov", "-c:v", "mpeg4", "-c:a", "aac")),
    "mkv": (".mkv", lambda: video(".mkv", "-c:v", "mpeg4", "-c:a", "aac")),
    "webm": (
        ".webm",
        lambda: video(".webm", "-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"),
    ),
    "avi": (".avi", lambda: video(".avi", "-c:v", "mpeg4", "-c:a", "pcm_s16le")),
    "pdf": (".pdf", lambda: pdf(2)),
    "docx": (".docx", lambda: docx(3)),
    "xlsx": (".xlsx", _xlsx),
    "markdown": (".md", lambda: text_doc("markdown", 5)),
    "html": (".html", lambda: text_doc("html", 5)),
    "text": (".txt", lambda: text_doc("text", 5)),
}


@dataclass
class Row:
    sample: str
    valid: str
    readers: dict[str, str]
    transforms: dict[str, str]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def _valid(name: str, path: Path) -> bool:
    """An independent check that the labelled file is still a good file of its kind."""
    if name in AV:
        proc = run_ffmpeg("-i", str(path), "-map", "0", "-f", "null", "-")
        return proc.returncode == 0 and not proc.stderr.strip()
    if name == "pdf":
        return readers.qpdf_clean(path)
    if name in ("docx", "xlsx"):
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    if name in ("markdown", "html", "text"):
        path.read_bytes().decode("utf-8")
        return True
    from PIL import Image

    with Image.open(path) as picture:
        for frame in range(getattr(picture, "n_frames", 1)):
            picture.seek(frame)
            picture.load()
    return True


def _status(path: Path) -> str:
    report = verify_file(path, settings=KEY)
    return report.status


def _exiftool_write(path: Path, *args: str) -> bool:
    proc = _run([readers.need("exiftool"), "-q", "-q", "-overwrite_original", *args, str(path)])
    return proc.returncode == 0 and "Error" not in proc.stderr


#: the transformations ExifTool makes, and its arguments for each
EXIFTOOL_EDITS = {
    "exif edit": ("-EXIF:Artist=Ann",),
    "xmp edit": ("-XMP-dc:Creator=Ann",),
    "exiftool -all=": ("-all=",),
}


def _exiftool_write_many(paths: list[Path], *args: str) -> dict[Path, bool]:
    """:func:`_exiftool_write` on several files in one run. ExifTool names the file in each error
    line (``Error: ... - FILE``); when its output cannot be split that way, one run per file."""
    proc = _run(
        [readers.need("exiftool"), "-q", "-q", "-overwrite_original", *args, *map(str, paths)]
    )
    errors = [line for line in proc.stderr.splitlines() if "Error" in line]
    failed = {p for p in paths for line in errors if line.endswith(f" - {p}")}
    if len(failed) != len(errors) or (proc.returncode != 0) != bool(errors):
        return {p: _exiftool_write(p, *args) for p in paths}
    return {p: p not in failed for p in paths}


def _copy(what: str, src: Path, work: Path) -> Path:
    path = work / f"{what.replace(' ', '_').replace('=', '')}{src.suffix}"
    shutil.copyfile(src, path)
    return path


def _exiftool_edits(labelled: list[Path]) -> dict[tuple[Path, str], str]:
    """Each ExifTool transformation on a copy of every labelled file, one ExifTool run each."""
    out: dict[tuple[Path, str], str] = {}
    for what, args in EXIFTOOL_EDITS.items():
        copies = {src: _copy(what, src, src.parent) for src in labelled}
        written = _exiftool_write_many(list(copies.values()), *args)
        for src, path in copies.items():
            out[src, what] = _status(path) if written[path] else "n/a"
    return out


def _transform(name: str, what: str, src: Path, work: Path) -> str:
    path = _copy(what, src, work)
    if what == "remux":
        if name not in AV:
            return "·"
        out = work / f"remuxed{src.suffix}"
        proc = run_ffmpeg(
            "-y", "-i", str(path), "-map", "0", "-c", "copy", "-map_metadata", "0", str(out)
        )
        return _status(out) if proc.returncode == 0 else "n/a"
    if what in EXIFTOOL_EDITS:
        return _status(path) if _exiftool_write(path, *EXIFTOOL_EDITS[what]) else "n/a"
    if what == "relabel":
        label_file(path, label=new_label(producer=PRODUCER, warn=False), settings=KEY)
        return _status(path)
    if what == "propagate":
        result = label_file(path, propagator=PLATFORM, settings=KEY)
        kept = result.label.content_producer == PRODUCER
        return _status(path) if kept else "producer lost"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return _status(path)


def build() -> list[Row]:
    """The matrix. ExifTool reads and edits all samples in one run per step (a run per file
    and step was about 100 runs, mostly Perl starting up); every other tool runs per file."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="hegui-interop-") as tmp:
        labelled: dict[str, tuple[Path, str]] = {}
        for name, (suffix, make) in SAMPLES.items():
            work = Path(tmp) / name
            work.mkdir()
            path = work / f"labelled{suffix}"
            path.write_bytes(make())
            written = label_file(path, label=new_label(producer=PRODUCER, warn=False), settings=KEY)
            labelled[name] = (path, written.label.to_json())
        paths = [path for path, _ in labelled.values()]
        exif_read = readers.exiftool_many(paths)
        exif_edits = _exiftool_edits(paths)
        for name, (path, expected) in labelled.items():
            seen = {}
            for reader, formats in READS.items():
                if formats is not None and name not in formats:
                    seen[reader] = "·"
                    continue
                value = exif_read[path] if reader == "exiftool" else readers.read_with(reader, path)
                seen[reader] = "✓" if value == expected else "✗"
            valid = "✓" if _valid(name, path) and _status(path) == "found" else "✗"
            changes = {
                what: exif_edits[path, what]
                if what in EXIFTOOL_EDITS
                else _transform(name, what, path, path.parent)
                for what in TRANSFORMS
            }
            rows.append(Row(name, valid, seen, changes))
    return rows


def versions() -> str:
    exif = _run([readers.need("exiftool"), "-ver"]).stdout.strip()
    probe = _run([readers.need("ffprobe"), "-version"]).stdout.split("\n")[0].split(" ")[2]
    media = _run([readers.need("mediainfo"), "--Version"]).stdout.strip().splitlines()[-1]
    poppler = _run([readers.need("pdfinfo"), "-v"]).stderr.splitlines()[0].split()[-1]
    import mutagen
    import openpyxl

    return (
        f"ExifTool {exif}, ffprobe {probe}, {media.replace('MediaInfoLib - ', 'MediaInfo ')}, "
        f"pdfinfo (poppler) {poppler}, mutagen {mutagen.version_string}, openpyxl {openpyxl.__version__}"
    )


def render(rows: list[Row]) -> str:
    head = ["sample", "file valid", *READS, *TRANSFORMS]
    lines = [
        f"Readers: {versions()}.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for row in rows:
        cells = [row.sample, row.valid, *row.readers.values(), *row.transforms.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
