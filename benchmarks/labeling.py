"""Labeling benchmark: the carrier round-trip suite and metadata-only labelling time.

Run:  python benchmarks/labeling.py            (writes benchmarks/results/labeling.md)

1. Round trip, per carrier × size: label written and read back byte-identical; no "found" on the
   unlabelled original; a tampered label JSON is reported (malformed); with an integrity value, an
   edited content and a forged producer field are reported (tampered).
2. Metadata-only labelling (read file, label, atomic write) of a 2048×2048 PNG and a 10 s WAV,
   against simply re-saving the file with Pillow / ``wave``. CPU time, median of 5.
3. ``benchmarks/labeling_watermark.py::watermark_benchmark()`` when that file exists.

Scale (100 files in one call, MP4 vs ffmpeg remux, 2 GiB peak memory) is
``benchmarks/labeling_scale.py``.
"""

from __future__ import annotations

import importlib.util
import io
import statistics
import sys
import tempfile
import time
import wave
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.labeling.media import MAKERS  # noqa: E402

from hegui.config import LabelingSettings  # noqa: E402
from hegui.labeling import label_bytes, label_file, new_label, verify_file  # noqa: E402
from hegui.labeling.carriers import Carrier, detect  # noqa: E402
from hegui.labeling.source import Source, materialise  # noqa: E402

PRODUCER = "001191440300708461136T1XGW3"
KEYED = LabelingSettings(signing_key="bench-key")
COMMAND = "python benchmarks/labeling.py"


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x55]) + data[at + 1 :]


def _rezip(data: bytes, part: str, edit: Callable[[bytes], bytes]) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, edit(body) if info.filename == part else body)
    return out.getvalue()


def tamper_content(name: str, data: bytes) -> bytes:
    """Change one byte of the media itself (never the label) in each format."""
    if name == "png":
        return _flip(data, data.index(b"IDAT") + 8)
    if name == "jpeg":
        return _flip(data, len(data) - 10)
    if name == "webp":
        return _flip(data, data.index(b"VP8") + 20)
    if name == "wav":
        return _flip(data, data.index(b"data") + 9)
    if name == "gif":
        return _flip(data, len(data) - 10)
    if name == "tiff":  # first byte of the first strip
        from hegui.labeling.carriers import tiff

        order, _at, entries, _next = tiff._ifd0(data)
        strips = next(entry for entry in entries if entry[0] == 273)
        return _flip(data, tiff._array(data, order, strips)[0])
    if name == "heif":
        return _flip(data, data.index(b"mdat") + 12)
    if name in ("flac", "ogg"):
        return _flip(data, len(data) - 100)
    if name == "matroska":
        return _flip(data, data.index(b"\x1f\x43\xb6\x75") + 40)
    if name == "avi":
        return _flip(data, data.index(b"movi") + 40)
    if name in ("mp3", "mp4"):
        return _flip(data, len(data) - 3 if name == "mp3" else data.index(b"mdat") + 12)
    if name == "pdf":
        return data.replace(b"(page 0)", b"(page X)", 1)
    if name == "docx":
        return _rezip(
            data, "word/document.xml", lambda b: b.replace(b"paragraph 0", b"paragraph X")
        )
    return (
        data.replace(b"\n#", b"\n!", 1)
        if b"\n#" in data
        else data + b"!"
        if name != "text"
        else b"!" + data
    )


def _write(mod: Carrier, data: bytes, label_json: str) -> bytes:
    """The carrier's raw write (no read-back check), to plant a bad label on purpose."""
    src = Source.from_bytes(data)
    return materialise(mod.plan(src, label_json), src)


def _status(tmp: Path, suffix: str, data: bytes, settings: LabelingSettings | None = None) -> str:
    path = tmp / f"probe{suffix}"
    path.write_bytes(data)
    return verify_file(path, settings=settings).status


def round_trip_suite() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for name, (suffix, makers) in MAKERS.items():
            for make in makers:
                data = make()
                mod = detect(data, "x" + suffix)
                label = new_label(producer=PRODUCER)
                out = label_bytes(data, label, filename="x" + suffix)
                back = mod.read(out)
                identical = len(back) == 1 and back[0].raw == label.to_json()
                false_pos = _status(tmp, suffix, data) != "none"
                bad = label.to_json().replace('"Label":"1"', '"Label":"7"')
                json_tamper = _status(tmp, suffix, _write(mod, out, bad)) in (
                    "malformed",
                    "tampered",
                )
                signed = label_bytes(
                    data, new_label(producer=PRODUCER), settings=KEYED, filename="x" + suffix
                )
                ok = _status(tmp, suffix, signed, KEYED) == "found"
                content = _status(tmp, suffix, tamper_content(name, signed), KEYED) == "tampered"
                real = mod.read(signed)[0].parsed.label
                assert real is not None
                forged = real.to_json().replace(real.produce_id, real.produce_id[::-1])
                forged_ok = _status(tmp, suffix, _write(mod, signed, forged), KEYED) == "tampered"
                rows.append(
                    {
                        "carrier": name,
                        "bytes": len(data),
                        "written": True,
                        "identical": identical,
                        "false_found": false_pos,
                        "json_tamper": json_tamper,
                        "signed_ok": ok,
                        "content_tamper": content,
                        "forged_field": forged_ok,
                    }
                )
    return rows


def _cpu(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def timing() -> list[dict[str, object]]:
    from PIL import Image

    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        img = Image.effect_mandelbrot((2048, 2048), (-2.0, -1.5, 1.0, 1.5), 100).convert("RGB")
        png = tmp / "big.png"
        img.save(png, "PNG")

        def resave_png() -> None:
            with Image.open(png) as im:
                im.save(tmp / "resaved.png", "PNG")

        def label_png() -> None:
            label_file(png, tmp / "labelled.png", label=new_label(producer=PRODUCER))

        rows.append(_row("PNG 2048×2048", png, label_png, resave_png, "Pillow open+save"))

        wav_path = tmp / "ten.wav"
        with wave.open(str(wav_path), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(44100)
            w.writeframes(bytes(range(256)) * (44100 * 10 * 4 // 256))

        def resave_wav() -> None:
            with (
                wave.open(str(wav_path), "rb") as src,
                wave.open(str(tmp / "resaved.wav"), "wb") as dst,
            ):
                dst.setparams(src.getparams())
                dst.writeframes(src.readframes(src.getnframes()))

        def label_wav() -> None:
            label_file(wav_path, tmp / "labelled.wav", label=new_label(producer=PRODUCER))

        rows.append(
            _row("WAV 10 s 44.1 kHz stereo", wav_path, label_wav, resave_wav, "wave read+write")
        )
    return rows


def _row(
    what: str, path: Path, label: Callable[[], object], resave: Callable[[], object], how: str
) -> dict[str, object]:
    ours, base = _cpu(label), _cpu(resave)
    return {
        "file": what,
        "bytes": path.stat().st_size,
        "label_ms": ours * 1000,
        "resave_ms": base * 1000,
        "baseline": how,
        "ratio": ours / base if base else float("inf"),
    }


def _table(rows: list[dict[str, object]], fmt: dict[str, str] | None = None) -> str:
    fmt = fmt or {}
    cols = list(rows[0])

    def cell(row: dict[str, object], col: str) -> str:
        value = row[col]
        if isinstance(value, bool):
            return "✓" if value else "✗"
        return format(value, fmt.get(col, ""))

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r, c) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def _watermark() -> str | None:
    path = Path(__file__).with_name("labeling_watermark.py")
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("labeling_watermark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.watermark_benchmark()
    return result if isinstance(result, str) else None


def main() -> None:
    suite = round_trip_suite()
    flags = ("identical", "json_tamper", "signed_ok", "content_tamper", "forged_field")
    passed = sum(all(r[f] for f in flags) and not r["false_found"] for r in suite)
    parts = [
        "# Labeling benchmark",
        "",
        f"Command: `{COMMAND}` (CPU times, median of 5; 2 shared cores).",
        "",
        "## Round trip per carrier × size",
        "",
        "`false_found` must be ✗ (no label reported on the unlabelled original); every other column ✓.",
        "",
        _table(suite),
        "",
        f"**{passed}/{len(suite)} rows pass every check.**",
        "",
        "## Metadata-only labelling vs re-saving (target: ratio ≤ 2)",
        "",
        _table(timing(), {"label_ms": ".1f", "resave_ms": ".1f", "ratio": ".3f"}),
        "",
    ]
    report = "\n".join(parts)
    print(report)
    try:
        wm = _watermark()
    except ModuleNotFoundError as exc:  # its peer (invisible-watermark) is not installed here
        wm = None
        print(
            f"watermark section skipped: {exc}; its table is benchmarks/results/labeling_watermark.md"
        )
    if wm:
        wm = "## Invisible watermark (`benchmarks/labeling_watermark.py`)\n\n" + wm
        print(wm)
        report += "\n" + wm + "\n"
    out = ROOT / "benchmarks" / "results" / "labeling.md"
    out.write_text(report, encoding="utf-8")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
