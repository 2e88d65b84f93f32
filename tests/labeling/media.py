"""Real media made on the fly for the labeling tests (Pillow, wave, pypdf, zipfile, ffmpeg)."""

from __future__ import annotations

import functools
import io
import os
import subprocess
import tempfile
import wave
import zipfile

import numpy as np
from PIL import Image

__all__ = ["MAKERS", "SIZES", "docx", "image", "make", "mp3", "mp4", "pdf", "wav"]


def image(fmt: str, width: int, height: int, *, seed: int = 0) -> bytes:
    """A noisy RGB(A) image, so that sizes differ like real content."""
    rng = np.random.default_rng(seed)
    mode = "RGBA" if fmt == "WEBP" else "RGB"
    pixels = rng.integers(0, 256, (height, width, len(mode)), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, mode).save(out, fmt, **({"quality": 90} if fmt != "PNG" else {}))
    return out.getvalue()


def wav(seconds: float, rate: int = 16000, *, seed: int = 0) -> bytes:
    samples = np.random.default_rng(seed).integers(-3000, 3000, int(seconds * rate), dtype=np.int16)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return out.getvalue()


def mp3(frames: int) -> bytes:
    """A valid MPEG-1 Layer III stream of silent 128 kbit/s 44.1 kHz frames (417 bytes each)."""
    frame = b"\xff\xfb\x90\x64" + bytes(413)
    return frame * frames


def pdf(pages: int) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    for i in range(pages):
        page = writer.add_blank_page(595, 842)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td (page {i}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata({"/Title": "test"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx(paragraphs: int) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>paragraph {i}</w:t></w:r></w:p>" for i in range(paragraphs))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        z.writestr(
            "word/document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>',
        )
    return out.getvalue()


def ffmpeg_exe() -> str:
    """The ffmpeg binary of the imageio-ffmpeg wheel (always there, whatever apt installed)."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def run_ffmpeg(*args: str) -> subprocess.CompletedProcess[str]:
    """``ffmpeg -v error ARGS`` (text output, not checked: callers judge the result)."""
    return subprocess.run(
        [ffmpeg_exe(), "-v", "error", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@functools.cache
def _ffmpeg(args: tuple[str, ...], suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, "out" + suffix)
        subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-y", *args, target],
            check=True,
            timeout=60,
        )
        with open(target, "rb") as fh:
            return fh.read()


def mp4(
    seconds: int = 1, *, faststart: bool = True, size: str = "64x64", movflags: str = ""
) -> bytes:
    """An MPEG-4 video with AAC audio; ``faststart`` puts moov before mdat; ``movflags`` makes
    other layouts (``frag_keyframe+empty_moov`` for a fragmented file, ``dash`` …)."""
    args = [
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size={size}:rate=10",
        "-f",
        "lavfi",
        "-i",
        f"sine=d={seconds}",
        "-t",
        str(seconds),
        "-c:v",
        "mpeg4",
        "-c:a",
        "aac",
    ]
    if movflags:
        args += ["-movflags", movflags]
    elif faststart:
        args += ["-movflags", "+faststart"]
    return _ffmpeg(tuple(args), ".mp4")


def mp4_ffmpeg_labelled(label_json: str) -> bytes:
    """An MP4 labelled the way the TC260 guide shows, by ffmpeg itself."""
    with tempfile.NamedTemporaryFile(suffix=".mp4") as src:
        src.write(mp4())
        src.flush()
        return _ffmpeg(
            (
                "-i",
                src.name,
                "-c",
                "copy",
                "-metadata",
                f"AIGC={label_json}",
                "-movflags",
                "use_metadata_tags",
            ),
            ".mp4",
        )


def ffmpeg_mp3(seconds: int = 1) -> bytes:
    return _ffmpeg(("-f", "lavfi", "-i", f"sine=d={seconds}", "-c:a", "libmp3lame"), ".mp3")


def still(fmt: str, width: int, height: int, **options: object) -> bytes:
    """A GIF, TIFF or AVIF picture made with Pillow (noise, so that sizes differ)."""
    pixels = np.random.default_rng(width).integers(0, 256, (height, width, 3), dtype=np.uint8)
    picture = Image.fromarray(pixels, "RGB")
    if fmt == "GIF":
        picture = picture.convert("P")
    out = io.BytesIO()
    picture.save(out, fmt, **options)
    return out.getvalue()


def animated_gif(frames: int = 3) -> bytes:
    rng = np.random.default_rng(frames)
    pictures = [
        Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)).convert("P")
        for _ in range(frames)
    ]
    out = io.BytesIO()
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], loop=0, duration=80)
    return out.getvalue()


def audio(codec: str, suffix: str, seconds: int = 1) -> bytes:
    """A sine tone encoded by ffmpeg (``flac``, ``libopus``, ``libvorbis`` …)."""
    return _ffmpeg(("-f", "lavfi", "-i", f"sine=d={seconds}", "-c:a", codec), suffix)


def video(suffix: str, *codec: str, seconds: int = 1) -> bytes:
    """A short test pattern with a tone, muxed by ffmpeg into ``suffix``'s container."""
    return _ffmpeg(
        (
            "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10",
            "-f", "lavfi", "-i", f"sine=d={seconds}",
            "-t", str(seconds), *codec,
        ),
        suffix,
    )  # fmt: skip


def text_doc(kind: str, lines: int) -> bytes:
    body = "\n".join(f"第{i}行 line {i}" for i in range(lines))
    if kind == "html":
        return f"<!doctype html>\n<html><head><title>t</title></head><body><p>{body}</p></body></html>\n".encode()
    if kind == "markdown":
        return f"---\ntitle: test\ntags: [a, b]\n---\n# 标题\n\n{body}\n".encode()
    return body.encode()


#: carrier name → (file suffix, [maker per size])
MAKERS: dict[str, tuple[str, list]] = {
    "png": (
        ".png",
        [
            lambda: image("PNG", 8, 8),
            lambda: image("PNG", 256, 192),
            lambda: image("PNG", 1024, 768),
        ],
    ),
    "jpeg": (".jpg", [lambda: image("JPEG", 8, 8), lambda: image("JPEG", 640, 480)]),
    "webp": (".webp", [lambda: image("WEBP", 16, 16), lambda: image("WEBP", 300, 200)]),
    "gif": (".gif", [lambda: still("GIF", 8, 8), animated_gif]),
    "tiff": (
        ".tif",
        [lambda: still("TIFF", 8, 8), lambda: still("TIFF", 200, 150, compression="tiff_lzw")],
    ),
    "heif": (".avif", [lambda: still("AVIF", 16, 16), lambda: still("AVIF", 320, 240)]),
    "wav": (".wav", [lambda: wav(0.01), lambda: wav(3.0, 44100)]),
    "flac": (".flac", [lambda: audio("flac", ".flac"), lambda: audio("flac", ".flac", 5)]),
    "ogg": (".ogg", [lambda: audio("libopus", ".opus"), lambda: audio("libvorbis", ".ogg", 3)]),
    "matroska": (
        ".mkv",
        [
            lambda: video(".mkv", "-c:v", "mpeg4", "-c:a", "aac"),
            lambda: video(".webm", "-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"),
        ],
    ),
    "avi": (".avi", [lambda: video(".avi", "-c:v", "mpeg4", "-c:a", "pcm_s16le")]),
    "mp3": (".mp3", [lambda: mp3(3), lambda: mp3(400), ffmpeg_mp3]),
    "mp4": (".mp4", [lambda: mp4(1), lambda: mp4(2, faststart=False)]),
    "pdf": (".pdf", [lambda: pdf(1), lambda: pdf(30)]),
    "docx": (".docx", [lambda: docx(1), lambda: docx(2000)]),
    "markdown": (".md", [lambda: b"# hi\n", lambda: text_doc("markdown", 5000)]),
    "html": (".html", [lambda: text_doc("html", 3), lambda: text_doc("html", 5000)]),
    "text": (".txt", [lambda: b"hello", lambda: text_doc("text", 5000)]),
}
SIZES = [(name, i) for name, (_s, makers) in MAKERS.items() for i in range(len(makers))]


def make(name: str, index: int = 0) -> tuple[str, bytes]:
    suffix, makers = MAKERS[name]
    return suffix, makers[index]()


def sparse_mp4(path: str | os.PathLike[str], size: int, *, chunks: int = 4096) -> None:
    """A structurally valid MP4 of ``size`` bytes whose mdat is a hole (no disk, no memory):
    ftyp, a moov whose stco points into mdat, then the mdat. For memory-bound tests."""
    import struct

    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I4s", 8 + len(payload), kind) + payload

    ftyp = box(b"ftyp", b"isom\0\0\2\0isomiso2mp41")
    moov_size = len(
        box(
            b"moov",
            box(
                b"trak",
                box(b"mdia", box(b"minf", box(b"stbl", box(b"stco", bytes(8 + 4 * chunks))))),
            ),
        )
    )
    mdat_at = len(ftyp) + moov_size
    step = (size - mdat_at - 16) // chunks
    offsets = b"".join(struct.pack(">I", mdat_at + 16 + i * step) for i in range(chunks))
    stco = box(b"stco", struct.pack(">II", 0, chunks) + offsets)
    moov = box(b"moov", box(b"trak", box(b"mdia", box(b"minf", box(b"stbl", stco)))))
    head = ftyp + moov + struct.pack(">I4sQ", 1, b"mdat", size - mdat_at)
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)


def sparse_wav(path: str | os.PathLike[str], size: int) -> None:
    """A 16-bit stereo WAV of ``size`` bytes whose samples are a hole (silence)."""
    import struct

    data = size - 44
    fmt = struct.pack("<HHIIHH", 1, 2, 44100, 44100 * 4, 4, 16)
    head = b"RIFF" + struct.pack("<I", size - 8) + b"WAVEfmt " + struct.pack("<I", 16) + fmt
    head += b"data" + struct.pack("<I", data)
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)
