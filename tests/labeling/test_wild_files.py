"""Labels on files as other tools leave them: metadata stripped or edited by ExifTool, labels of
another producer, text appended after the label, notices added twice, odd inputs."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hegui.cli import main
from hegui.config import LabelingSettings
from hegui.errors import LabelError
from hegui.labeling import extras, label_bytes, label_file, new_label, verify_file
from hegui.labeling.carriers import detect

from . import readers
from .media import ffmpeg_mp3, image, mp3, pdf, wav

PRODUCER = "001191440300708461136T1XGW3"
OTHER = "001191110102MAD55U9H0F10002"
PLATFORM = "001191440300708461136T2XGW3"
SIGNED = LabelingSettings(signing_key="k", producer=PRODUCER)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def _photo(size: int = 256) -> bytes:
    rng = np.random.default_rng(3)
    base = np.kron(rng.integers(40, 220, (size // 32, size // 32, 3)), np.ones((32, 32, 1)))
    pixels = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


# --- 2. the watermark is read whether or not metadata is there -------------------------------


def test_verify_watermark_decodes_after_the_metadata_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(_photo())
    written = label_file(path, transform=extras.transform(explicit=False, watermark=True))
    stripped = tmp_path / "stripped.png"
    Image.open(path).save(stripped, "PNG")  # a re-save drops every text chunk: no metadata left
    report = verify_file(stripped, watermark=True).to_dict()
    assert report["status"] == "watermark-only" and report["evidence"] == ["watermark"]
    assert report["watermark"]["status"] == "found"
    assert report["watermark"]["produce_id_prefix"] == written.label.produce_id[:16]
    both = verify_file(path, watermark=True).to_dict()
    assert both["status"] == "found" and both["evidence"] == ["metadata", "watermark"]
    assert both["watermark"]["matches_label"] is True
    plain = verify_file(path).to_dict()
    assert plain["evidence"] == ["metadata"] and "watermark" not in plain


def test_verify_watermark_on_exiftool_stripped_image(tmp_path: Path) -> None:
    exiftool = readers.need("exiftool")
    path = tmp_path / "a.png"
    path.write_bytes(_photo())
    label_file(path, transform=extras.transform(explicit=False, watermark=True))
    subprocess.run([exiftool, "-q", "-overwrite_original", "-all=", str(path)], check=True)
    report = verify_file(path, watermark=True)
    assert report.status == "watermark-only" and report.watermark is not None
    assert report.watermark["status"] == "found"


def test_watermark_is_not_checked_where_none_is_defined(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(wav(0.1))
    report = verify_file(path, watermark=True)
    assert report.status == "none" and report.watermark == {
        "status": "not-checked",
        "reason": "no watermark is defined for wav files",
    }


# --- 3. propagation keeps the producer; replacing another producer is explicit --------------


def test_labelling_over_another_producer_needs_replace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "a.png"
    src.write_bytes(image("PNG", 32, 32))
    label_file(src, label=new_label(producer=OTHER, warn=False))
    before = src.read_bytes()
    code, out, err = run(capsys, "label", str(src), "--in-place", "--producer", PRODUCER)
    assert code == 2 and out == "" and OTHER in err and "--propagator" in err
    assert src.read_bytes() == before
    code, out, err = run(
        capsys,
        "label",
        str(src),
        "-o",
        str(tmp_path / "b.png"),
        "--producer",
        PRODUCER,
        "--replace",
    )
    result = json.loads(out)
    assert code == 0 and result["replaced"] == 1
    assert result["replaced_labels"][0]["ContentProducer"] == OTHER and OTHER in err


def test_propagator_keeps_the_producer_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "a.mp3"
    src.write_bytes(mp3(20))
    first = label_file(src, label=new_label(producer=OTHER, warn=False)).label
    code, out, _ = run(capsys, "label", str(src), "--in-place", "--propagator", PLATFORM)
    after = json.loads(out)["label"]
    assert code == 0 and json.loads(out)["propagated"] is True
    assert after["ContentProducer"] == OTHER and after["ProduceID"] == first.produce_id
    assert after["ContentPropagator"] == PLATFORM and after["PropagateID"] != first.propagate_id


def test_relabelling_our_own_label_needs_no_flag(tmp_path: Path) -> None:
    src = tmp_path / "a.wav"
    src.write_bytes(wav(0.1))
    label_file(src, label=new_label(producer=PRODUCER, warn=False))
    result = label_file(src, label=new_label(producer=PRODUCER, warn=False))
    assert result.replaced == 1 and result.replaced_labels == []


# --- 4. MP3 tags that ExifTool reads -----------------------------------------------------------


@pytest.mark.parametrize("make", [lambda: mp3(40), ffmpeg_mp3], ids=["bare", "ffmpeg"])
def test_mp3_label_is_seen_by_exiftool_and_mutagen(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.mp3"
    path.write_bytes(make())
    label = label_file(path, label=new_label(producer=PRODUCER, warn=False)).label
    assert readers.exiftool(path) == label.to_json()
    assert readers.mutagen(path) == label.to_json()


# --- 5. plain text: one label line wherever it is, notices not stacked -----------------------


def test_text_explicit_on_a_labelled_file_keeps_one_label_line(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("第一行\n第二行\n", encoding="utf-8")
    label_file(path, label=new_label(producer=PRODUCER, warn=False))
    transform = extras.transform(explicit=True, watermark=False)
    for _ in range(2):
        label_file(path, label=new_label(producer=PRODUCER, warn=False), transform=transform)
    text = path.read_text(encoding="utf-8")
    assert text.count("AIGC:") == 1 and text.count("本内容由人工智能生成") == 1
    assert verify_file(path).status == "found"


def test_text_line_appended_after_the_label_does_not_hide_it(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("answer\n", encoding="utf-8")
    label = label_file(path, label=new_label(producer=PRODUCER, warn=False)).label
    with path.open("a", encoding="utf-8") as fh:
        fh.write("-- sent from my phone\n")
    report = verify_file(path)
    assert report.status == "found" and report.label == label.to_dict()


def test_explicit_twice_adds_one_audio_cue_and_one_image_badge(tmp_path: Path) -> None:
    transform = extras.transform(explicit=True, watermark=False)
    for name, data in (("a.wav", wav(1.0)), ("a.png", image("PNG", 400, 300))):
        path = tmp_path / name
        path.write_bytes(data)
        label_file(path, label=new_label(producer=PRODUCER, warn=False), transform=transform)
        once = detect(path.read_bytes(), name)
        media_once = once.content_digest(path.read_bytes())
        label_file(path, label=new_label(producer=PRODUCER, warn=False), transform=transform)
        assert once.content_digest(path.read_bytes()) == media_once, name


# --- 6. PDF: what pdfinfo and ExifTool see, and what qpdf accepts -----------------------------


def test_pdf_label_is_gone_after_exiftool_strips_it(tmp_path: Path) -> None:
    exiftool = readers.need("exiftool")
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf(2))
    label = label_file(path, label=new_label(producer=PRODUCER, warn=False)).label
    assert readers.pdfinfo(path) == label.to_json()
    subprocess.run([exiftool, "-q", "-overwrite_original", "-all=", str(path)], check=True)
    assert readers.pdfinfo(path) is None
    assert verify_file(path).status == "none"


def test_labelled_pdf_passes_qpdf_without_warnings_and_keeps_its_xref_kind(tmp_path: Path) -> None:
    qpdf = readers.need("qpdf")
    classic = tmp_path / "old.pdf"
    classic.write_bytes(pdf(3).replace(b"%PDF-1.3", b"%PDF-1.4", 1))
    streams = tmp_path / "new.pdf"
    subprocess.run([qpdf, "--object-streams=generate", str(classic), str(streams)], check=True)
    for path in (classic, streams):
        before = path.read_bytes()
        label_file(path, label=new_label(producer=PRODUCER, warn=False))
        after = path.read_bytes()
        assert after.startswith(before) and readers.qpdf_clean(path), path.name
        assert after[:8] == before[:8]  # same version header
        added_stream = b"/Type /XRef" in after[len(before) :]
        assert added_stream == (b"/Type /XRef" in before), path.name


# --- 7. another tool's EXIF edit is not tampering -------------------------------------------


def _png_with_exif(data: bytes) -> bytes:
    exif = Image.Exif()
    exif[0x013B] = "Ann"  # Artist
    body = b"Exif\0\0"[6:] + exif.tobytes()
    chunk = struct.pack(">I", len(body)) + b"eXIf" + body
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + body))
    at = data.index(b"IDAT") - 4
    return data[:at] + chunk + data[at:]


def _webp_with_exif(data: bytes) -> bytes:
    exif = Image.Exif()
    exif[0x013B] = "Ann"
    body = exif.tobytes()
    chunk = b"EXIF" + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")
    out = data + chunk
    return out[:4] + struct.pack("<I", len(out) - 8) + out[8:]


@pytest.mark.parametrize(("name", "edit"), [("a.png", _png_with_exif), ("a.webp", _webp_with_exif)])
def test_exif_edit_by_another_tool_is_not_tampering(tmp_path: Path, name: str, edit) -> None:  # type: ignore[no-untyped-def]
    fmt = "PNG" if name.endswith("png") else "WEBP"
    path = tmp_path / name
    path.write_bytes(
        label_bytes(image(fmt, 64, 48), new_label(producer=PRODUCER, warn=False), settings=SIGNED)
    )
    path.write_bytes(edit(path.read_bytes()))
    report = verify_file(path, settings=SIGNED)
    assert report.status == "found" and report.integrity == "valid", report.to_dict()


def test_exiftool_artist_edit_is_not_tampering(tmp_path: Path) -> None:
    exiftool = readers.need("exiftool")
    for fmt, name in (("PNG", "a.png"), ("WEBP", "a.webp"), ("JPEG", "a.jpg")):
        path = tmp_path / name
        path.write_bytes(
            label_bytes(
                image(fmt, 64, 48), new_label(producer=PRODUCER, warn=False), settings=SIGNED
            )
        )
        subprocess.run(
            [exiftool, "-q", "-overwrite_original", "-EXIF:Artist=Ann", str(path)], check=True
        )
        report = verify_file(path, settings=SIGNED)
        assert report.status == "found" and report.integrity == "valid", (name, report.to_dict())


# --- 8. errors that name the real problem -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.txt", "你好\n".encode("utf-16"), "UTF-16"),
        ("a.bin", b"FLV\x01\x05" + bytes(100), "FLV"),
    ],
)
def test_unsupported_content_is_named(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    report = verify_file(path)
    assert report.status == "error" and report.error is not None and message in report.error
    assert "MP3" not in report.error and "MP4" not in report.error


def test_label_carried_to_matroska_by_an_ffmpeg_remux_is_found(tmp_path: Path) -> None:
    from .media import ffmpeg_exe, mp4_ffmpeg_labelled

    label = new_label(producer=PRODUCER, warn=False)
    src = tmp_path / "a.mp4"
    src.write_bytes(mp4_ffmpeg_labelled(label.to_json()))
    for suffix in (".mkv", ".webm"):
        out = tmp_path / f"copy{suffix}"
        codecs = (
            ["-c", "copy"]
            if suffix == ".mkv"
            else ["-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"]
        )
        subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-i", str(src), *codecs, str(out)],
            check=True,
            timeout=120,
        )
        report = verify_file(out)
        assert report.status == "found" and report.label == label.to_dict(), suffix


def test_out_in_an_unwritable_folder_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "a.png"
    src.write_bytes(image("PNG", 16, 16))
    target = "/proc/hegui-cannot-write-here.png"  # unwritable even for root
    code, out, err = run(capsys, "label", str(src), "-o", target, "--producer", PRODUCER)
    assert code == 2 and out == "" and err.startswith("hegui: error:") and err.count("\n") == 1
    assert "Traceback" not in err


# --- 9. many files in one call; a legible notice or a reason ---------------------------------


def test_batch_label_and_recursive_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.png").write_bytes(image("PNG", 32, 32))
    (folder / "sub" / "b.wav").write_bytes(wav(0.1))
    (folder / "sub" / "c.txt").write_text("hi\n")
    (folder / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nxx")
    out_dir = tmp_path / "out"
    code, out, err = run(
        capsys,
        "label",
        str(folder),
        "-r",
        "--out-dir",
        str(out_dir),
        "--producer",
        PRODUCER,
        "-j",
        "2",
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and len(lines) == 4 and err.count("hegui: error:") == 1
    assert [Path(r["file"]).name for r in lines] == ["a.png", "bad.png", "b.wav", "c.txt"]
    assert "error" in lines[1] and not (out_dir / "bad.png").exists()
    assert (out_dir / "sub" / "b.wav").exists() and (out_dir / "a.png").exists()
    code, out, _ = run(capsys, "verify", "-r", str(out_dir))
    statuses = {
        Path(json.loads(line)["file"]).name: json.loads(line)["status"] for line in out.splitlines()
    }
    assert code == 0 and statuses == {"a.png": "found", "b.wav": "found", "c.txt": "found"}


def test_out_takes_one_file_and_out_dir_must_not_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.txt").write_text("y")
    code, _, err = run(
        capsys, "label", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "-o", "c.txt"
    )
    assert code == 2 and "--out-dir" in err
    code, _, err = run(capsys, "label", str(tmp_path / "a.txt"), "--out-dir", str(tmp_path))
    assert code == 2 and "--in-place" in err


def test_image_notice_has_a_margin_and_a_legibility_floor() -> None:
    from hegui.labeling.explicit.image import add_image_notice, min_text_height

    assert min_text_height(1920, 1080) == 60 >= 0.055 * 1080  # 54 px would be exactly 5 %
    assert min_text_height(100, 100) == 12
    with pytest.raises(LabelError, match="legible"):
        add_image_notice(image("PNG", 40, 40))


def test_cli_counts_cores_for_workers() -> None:
    from hegui.labeling.cli import _workers

    assert _workers(0) == max(1, os.cpu_count() or 1) and _workers(3) == 3
