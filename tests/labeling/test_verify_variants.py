"""``verify_file`` on the label variants seen in real files, and on tampering."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from hegui.config import LabelingSettings
from hegui.labeling import label_bytes, new_label, verify_file

from .media import image, make, wav

TENCENT = "001191440300708461136T1XGW3"
JSON = '{"Label":"1","ContentProducer":"001191440300708461136T1XGW3","ProduceID":"abc123","ReservedCode1":"","ContentPropagator":"001191440300708461136T1XGW3","PropagateID":"abc123","ReservedCode2":""}'
KEYED = LabelingSettings(signing_key="k1")


def _write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def _png(**text: str) -> bytes:
    info = PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def _xmp(body: str) -> str:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f"{body}</rdf:RDF></x:xmpmeta>"
    )


def test_png_text_chunk_doubao_form(tmp_path: Path) -> None:
    report = verify_file(_write(tmp_path, "a.png", _png(AIGC=JSON)))
    assert report.status == "found"
    assert report.where[0]["location"] == "png:tEXt:AIGC"
    assert report.label is not None and report.label["ProduceID"] == "abc123"
    assert report.provider is not None and report.provider["uscc"] == "91440300708461136T"


def test_xmp_attribute_form_with_escaped_json(tmp_path: Path) -> None:
    escaped = JSON.replace('"', "&quot;")
    packet = _xmp(
        f'<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" TC260:AIGC="{escaped}"/>'
    )
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG", pnginfo=info)
    report = verify_file(_write(tmp_path, "b.png", buf.getvalue()))
    assert report.status == "found", report.to_dict()
    assert report.where[0]["form"] == "xmp-attribute"


def test_jpeg_exif_usercomment_wrapper_form(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\0\0\0" + ('{"AIGC":' + JSON + "}").encode()
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(buf, "JPEG", exif=exif)
    path = _write(tmp_path, "a.jpg", buf.getvalue())
    report = verify_file(path)
    assert report.status == "found", report.to_dict()
    assert report.where[0]["location"] == "jpeg:APP1:Exif:UserComment"
    assert report.where[0]["json_form"] == "wrapped"
    # writing puts the label in XMP and blanks the EXIF copy: still exactly one label
    fresh = new_label(producer=TENCENT)
    out = label_bytes(path.read_bytes(), fresh)
    after = verify_file(_write(tmp_path, "b.jpg", out))
    assert after.status == "found" and [w["location"] for w in after.where] == ["jpeg:APP1:XMP"]
    assert Image.open(io.BytesIO(out)).getexif().get_ifd(0x8769)  # EXIF structure still readable


def test_two_labels_in_one_file_are_reported_and_writing_leaves_one(tmp_path: Path) -> None:
    two = _png(AIGC=JSON, AIGC2=JSON)
    assert verify_file(_write(tmp_path, "two.png", two)).status == "multiple"
    labelled = label_bytes(two, new_label(producer=TENCENT))
    report = verify_file(_write(tmp_path, "one.png", labelled))
    assert report.status == "found" and len(report.where) == 1


def test_markdown_number_values_are_read_but_malformed(tmp_path: Path) -> None:
    text = "---\nAIGC:\n  Label: 1\n  ContentProducer: MiniMax\n  ProduceID: x1\n---\nbody\n"
    report = verify_file(_write(tmp_path, "a.md", text.encode()))
    assert report.status == "malformed"
    assert report.label is not None and report.label["Label"] == "1"
    assert any("number" in p for p in report.problems)


def test_html_meta_with_escaped_json(tmp_path: Path) -> None:
    page = f'<html><head><meta name="aigc" content="{JSON.replace(chr(34), "&quot;")}"></head><body></body></html>'
    report = verify_file(_write(tmp_path, "a.html", page.encode()))
    assert report.status == "found", report.to_dict()


def test_unlabelled_files_are_none(tmp_path: Path) -> None:
    for name in ("png", "jpeg", "wav", "mp3", "pdf", "docx", "text"):
        suffix, data = make(name, 0)
        assert verify_file(_write(tmp_path, "a" + suffix, data)).status == "none"


def test_png_label_edited_without_fixing_crc_is_tampered(tmp_path: Path) -> None:
    data = label_bytes(image("PNG", 32, 32), new_label(producer=TENCENT))
    edited = data.replace(b'"Label":"1"', b'"Label":"3"')
    report = verify_file(_write(tmp_path, "a.png", edited))
    assert report.status == "tampered"


def test_png_label_json_broken_with_fixed_crc_is_malformed(tmp_path: Path) -> None:
    from hegui.labeling.carriers import png

    data = label_bytes(image("PNG", 32, 32), new_label(producer=TENCENT))
    broken = data.replace(b'"Label":"1"', b'"Label":"9"')
    # recompute the CRC of the iTXt chunk so only the JSON is wrong
    start = broken.index(b"iTXt") - 4
    length = int.from_bytes(broken[start : start + 4], "big")
    body = broken[start + 4 : start + 8 + length]
    fixed = (
        broken[: start + 8 + length]
        + zlib.crc32(body).to_bytes(4, "big")
        + broken[start + 12 + length :]
    )
    assert png.read(fixed)[0].intact
    assert verify_file(_write(tmp_path, "a.png", fixed)).status == "malformed"


@pytest.mark.parametrize("edit", ["content", "label"])
def test_integrity_value_detects_edits(tmp_path: Path, edit: str) -> None:
    label = new_label(producer=TENCENT)
    data = label_bytes(wav(0.2), label, settings=KEYED)
    ok = verify_file(_write(tmp_path, "ok.wav", data), settings=KEYED)
    assert ok.status == "found" and ok.integrity == "valid"
    assert verify_file(_write(tmp_path, "nokey.wav", data)).integrity == "unverified"
    if edit == "content":
        at = data.index(b"data") + 100
        tampered = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
    else:  # same length, still well-formed: only the HMAC can tell
        old = label.produce_id.encode()
        tampered = data.replace(b'"ProduceID":"' + old, b'"ProduceID":"' + old[::-1])
    report = verify_file(_write(tmp_path, "bad.wav", tampered), settings=KEYED)
    assert report.status == "tampered", report.to_dict()


def _id3v23(*frames: bytes) -> bytes:
    body = b"".join(frames)
    size = len(body)
    syncsafe = bytes(((size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F))
    return b"ID3\x03\x00\x00" + syncsafe + body


def _frame23(fid: bytes, body: bytes) -> bytes:
    return fid + len(body).to_bytes(4, "big") + b"\0\0" + body


def test_mp3_id3v23_utf16_txxx_is_read_and_the_tag_keeps_its_version(tmp_path: Path) -> None:
    from hegui.labeling.carriers import mp3

    utf16 = b"\x01" + "AIGC".encode("utf-16") + b"\0\0" + JSON.encode("utf-16")
    title = _frame23(b"TIT2", b"\x00song")
    data = _id3v23(title, _frame23(b"TXXX", utf16)) + make("mp3", 0)[1]
    report = verify_file(_write(tmp_path, "a.mp3", data))
    assert report.status == "found" and report.where[0]["location"] == "mp3:ID3v2.3:TXXX:AIGC"
    fresh = new_label(producer=TENCENT)
    out = label_bytes(data, fresh)
    assert out[3] == 3 and title in out  # still ID3v2.3, other frames kept byte for byte
    assert [f.raw for f in mp3.read(out)] == [fresh.to_json()]


def test_jpeg_bare_aigc_app_segment(tmp_path: Path) -> None:
    jpeg = image("JPEG", 16, 16)
    body = b"AIGC" + JSON.encode()
    segment = b"\xff\xeb" + (len(body) + 2).to_bytes(2, "big") + body
    report = verify_file(_write(tmp_path, "a.jpg", jpeg[:2] + segment + jpeg[2:]))
    assert report.status == "found" and report.where[0]["form"] == "app-segment"


def test_docx_label_edited_inside_the_zip_is_tampered(tmp_path: Path) -> None:
    import zipfile

    data = label_bytes(make("docx", 0)[1], new_label(producer=TENCENT))
    # store the part uncompressed so the label bytes can be edited in place
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item), zipfile.ZIP_STORED)
    edited = out.getvalue().replace(b'"Label":"1"', b'"Label":"3"')
    report = verify_file(_write(tmp_path, "a.docx", edited))
    assert report.status == "tampered" and report.where[0]["intact"] is False
