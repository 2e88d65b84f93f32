"""Every carrier: write → read back → byte-identical label, one label only, media untouched."""

from __future__ import annotations

import contextlib
import io
import wave

import pytest
from PIL import Image

from hegui.config import LabelingSettings
from hegui.errors import LabelError
from hegui.labeling import label_bytes, new_label
from hegui.labeling.carriers import BINARY, detect
from hegui.labeling.model import AigcLabel

from .media import MAKERS, SIZES, make, mp4, mp4_ffmpeg_labelled

PRODUCER = "001191440300708461136T1XGW3"
SIGNED = LabelingSettings(signing_key="test-key", producer=PRODUCER)


def _label():
    return new_label(producer=PRODUCER)


@pytest.mark.parametrize(("name", "size"), SIZES)
def test_round_trip_gives_back_the_exact_label(name: str, size: int) -> None:
    suffix, data = make(name, size)
    mod = detect(data, "x" + suffix)
    assert name == mod.NAME
    assert mod.read(data) == []  # no false "found" on the unlabelled original
    label = _label()
    out = label_bytes(data, label, filename="x" + suffix)
    found = mod.read(out)
    assert len(found) == 1
    assert found[0].raw == label.to_json()
    assert found[0].parsed.label == label


@pytest.mark.parametrize("name", list(MAKERS))
def test_relabel_replaces_and_keeps_the_content(name: str) -> None:
    suffix, data = make(name, 0)
    mod = detect(data, "x" + suffix)
    first, second = _label(), _label()
    once = label_bytes(data, first, filename="x" + suffix)
    twice = label_bytes(once, second, filename="x" + suffix)
    found = mod.read(twice)
    assert [f.raw for f in found] == [second.to_json()]
    assert mod.content_digest(data) == mod.content_digest(once) == mod.content_digest(twice)
    assert first.produce_id.encode() not in twice  # the old label is gone, not just hidden


@pytest.mark.parametrize("name", list(MAKERS))
def test_integrity_value_covers_producer_fields_not_propagator(name: str) -> None:
    from hegui.labeling import integrity

    suffix, data = make(name, 0)
    mod = detect(data, "x" + suffix)
    out = label_bytes(data, _label(), settings=SIGNED, filename="x" + suffix)
    label = mod.read(out)[0].parsed.label
    assert label is not None and integrity.is_integrity_value(label.reserved_code1)
    key = b"test-key"
    assert integrity.verify(key, mod.content_digest(out), label)
    assert not integrity.verify(b"other-key", mod.content_digest(out), label)
    forged = label.propagate(label.content_propagator, label.propagate_id)
    assert integrity.verify(key, mod.content_digest(out), forged)  # propagator fields not covered
    changed = AigcLabel.from_dict({**label.to_dict(), "Label": "2"})
    assert not integrity.verify(key, mod.content_digest(out), changed)


def test_images_still_decode_to_the_same_pixels() -> None:
    for fmt, suffix in (("PNG", ".png"), ("JPEG", ".jpg"), ("WEBP", ".webp")):
        data = MAKERS[{"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}[fmt]][1][1]()
        out = label_bytes(data, _label(), filename="x" + suffix)
        before, after = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(out))
        assert after.format == fmt
        assert before.tobytes() == after.tobytes()
        assert (
            "TC260:AIGC" in after.info.get("xmp", b"").decode()
            if isinstance(after.info.get("xmp"), bytes)
            else after.info["xmp"]
        )


def test_wav_still_decodes_to_the_same_frames() -> None:
    data = make("wav", 1)[1]
    out = label_bytes(data, _label())
    with wave.open(io.BytesIO(data)) as a, wave.open(io.BytesIO(out)) as b:
        assert a.getparams() == b.getparams()
        assert a.readframes(a.getnframes()) == b.readframes(b.getnframes())


def test_odd_length_label_is_padded_in_riff() -> None:
    data = make("wav", 0)[1]
    label = new_label(producer="001191440300708461136T1XGW3")
    odd = label.propagate("001191440300708461136T2XGW3", "x" * (1 - len(label.to_json()) % 2 + 10))
    out = label_bytes(data, odd)
    assert len(out) % 2 == 0


def test_mp4_moov_first_shifts_chunk_offsets_and_still_decodes() -> None:
    import subprocess

    import imageio_ffmpeg

    out = label_bytes(mp4(1, faststart=True), _label())
    proc = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", "-", "-f", "null", "-"],
        input=out,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0 and proc.stderr == b""


def test_mp4_label_written_by_ffmpeg_is_read_and_replaced() -> None:
    old = _label()
    data = mp4_ffmpeg_labelled(old.to_json())
    mod = detect(data)
    assert [f.raw for f in mod.read(data)] == [old.to_json()]
    new = _label()
    assert [f.raw for f in mod.read(label_bytes(data, new))] == [new.to_json()]


def test_png_keeps_other_xmp_properties() -> None:
    from PIL.PngImagePlugin import PngInfo

    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Ann</dc:creator>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet)
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG", pnginfo=info)
    out = label_bytes(buf.getvalue(), _label())
    xmp = Image.open(io.BytesIO(out)).info["XML:com.adobe.xmp"]
    assert "<dc:creator>Ann</dc:creator>" in xmp and xmp.count("TC260:AIGC>") == 2


def test_markdown_front_matter_keeps_other_keys() -> None:
    import yaml

    out = label_bytes(make("markdown", 1)[1], _label(), filename="a.md").decode()
    front = yaml.safe_load(out.split("---\n")[1])
    assert front["title"] == "test" and front["tags"] == ["a", "b"]
    assert front["AIGC"]["Label"] == "1"


def test_size_limit_is_enforced() -> None:
    with pytest.raises(LabelError, match="limit"):
        label_bytes(make("png", 1)[1], _label(), settings=LabelingSettings(max_file_bytes=100))


@pytest.mark.parametrize("name", BINARY)
def test_truncated_files_are_refused(name: str) -> None:
    data = make(name, {"mp3": 2, "avi": 0}.get(name, 1))[1]
    cut = data[: len(data) // 2]
    with pytest.raises(LabelError):
        label_bytes(cut, _label())


def test_unknown_binary_is_refused() -> None:
    with pytest.raises(LabelError, match="unsupported"):
        label_bytes(b"\0\1\2\3" * 100, _label())


def test_wrong_extension_is_handled_by_content() -> None:
    png = make("png", 0)[1]
    assert detect(png, "photo.jpg").NAME == "png"
    with pytest.raises(LabelError, match="not PNG"):
        detect(b"just text", "photo.png")


@pytest.mark.parametrize("name", list(MAKERS))
def test_mangled_files_give_a_verdict_or_a_label_error_never_a_crash(name: str, tmp_path) -> None:
    import random

    from hegui.labeling import verify_file

    suffix, data = make(name, 0)
    labelled = label_bytes(data, _label(), settings=SIGNED, filename="x" + suffix)
    rng = random.Random(f"{name}-fuzz")
    path = tmp_path / ("m" + suffix)
    for i in range(60):
        blob = bytearray(labelled)
        if i % 3 == 0:
            blob = blob[: rng.randrange(len(blob))]
        else:
            for _ in range(rng.randint(1, 8)):
                blob[rng.randrange(len(blob))] = rng.randrange(256)
        path.write_bytes(bytes(blob))
        report = verify_file(path, settings=SIGNED)
        assert report.status in ("found", "none", "malformed", "tampered", "multiple", "error")
        if report.status == "found":  # an intact label must also still match its content
            assert report.integrity == "valid"
        with contextlib.suppress(LabelError):
            label_bytes(bytes(blob), _label(), filename="x" + suffix)


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp")])
def test_label_image_bytes_adds_the_notice_and_one_label(fmt: str, name: str) -> None:
    from hegui.labeling import label_image_bytes

    data = MAKERS[name][1][1]()
    label = _label()
    out = label_image_bytes(data, label=label)
    assert Image.open(io.BytesIO(out)).format == fmt
    assert [f.raw for f in detect(out).read(out)] == [label.to_json()]
    before, after = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(out))
    assert before.size == after.size and before.tobytes() != after.tobytes()  # visible notice drawn
    plain = label_image_bytes(data, label=label, explicit=False)
    assert Image.open(io.BytesIO(plain)).tobytes() == before.tobytes()


def test_label_image_bytes_refuses_non_images() -> None:
    from hegui.labeling import label_image_bytes

    with pytest.raises(LabelError):
        label_image_bytes(make("wav", 0)[1], label=_label(), explicit=False)


def test_package_import_stays_light_and_exports_what_it_lists() -> None:
    import subprocess
    import sys

    code = (
        "import sys, hegui.labeling as m; "
        "[getattr(m, n) for n in m.__all__]; "
        "heavy = [x for x in ('PIL', 'pypdf', 'numpy', 'yaml') if x in sys.modules]; "
        "print(','.join(heavy))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.strip() == ""


def test_heif_with_an_xmp_extent_beyond_the_file_is_refused_at_once() -> None:
    """Was: a damaged extent length made labelling build a 2.3 GB blank "in place" of the old
    packet (28 s, then a confusing error) for a 1.2 kB file."""
    import random

    from hegui.labeling.carriers import heif

    suffix, data = make("heif", 0)
    labelled = label_bytes(data, _label(), settings=SIGNED, filename="x" + suffix)
    rng = random.Random("heif-extent")
    damaged = []
    for _ in range(400):  # damage the file until the XMP item's extents leave it
        blob = bytearray(labelled)
        for _ in range(rng.randint(1, 8)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        try:
            meta = heif._meta(bytes(blob))
            ranges = heif._item_ranges(meta, meta.items[heif._xmp_item(meta)])  # type: ignore[index]
        except (LabelError, KeyError, ValueError, IndexError):
            continue
        if any(e > len(blob) for _s, e in ranges):
            damaged.append(bytes(blob))
    assert damaged, "the fuzz found no extent beyond the file"
    messages = []
    for blob in damaged:
        with pytest.raises(LabelError) as refused:
            label_bytes(blob, _label(), filename="x" + suffix)
        messages.append(str(refused.value))
    assert any("outside the file" in m for m in messages), messages
