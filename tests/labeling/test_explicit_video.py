"""GB 45438 §5.4 video notice: on the opening frames for ≥ 2 s, tall enough, audio untouched."""

from __future__ import annotations

import hashlib
import io
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hegui.errors import LabelError
from hegui.labeling.explicit.video import add_video_notice, ffmpeg_exe, probe_video

WIDTH, HEIGHT = 320, 240


def _ffmpeg(*args: str) -> bytes:
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", *args],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 3 s grey clip with a tone, as MP4 (with AAC audio) and MKV (video only)."""
    folder = tmp_path_factory.mktemp("video")
    grey = f"color=c=0x808080:size={WIDTH}x{HEIGHT}:rate=10:duration=3"
    mp4, mkv = folder / "clip.mp4", folder / "clip.mkv"
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        grey,
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=3",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        str(mp4),
    )
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        grey,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        str(mkv),
    )
    return {"mp4": mp4, "mkv": mkv, "folder": folder}


@pytest.fixture(scope="module")
def labelled(media: dict[str, Path]) -> Path:
    out = media["folder"] / "labelled.mp4"
    out.write_bytes(add_video_notice(media["mp4"].read_bytes()))
    return out


def _frame(path: Path, seconds: float) -> np.ndarray:
    png = _ffmpeg(
        "-ss",
        f"{seconds}",
        "-i",
        str(path),
        "-frames:v",
        "1",
        "-f",
        "image2pipe",
        "-c:v",
        "png",
        "-",
    )
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.int16)


def _notice_changed(original: Path, labelled: Path, seconds: float) -> bool:
    """Mean change in the top-left notice area between the original and labelled frames."""
    region = (slice(0, HEIGHT // 4), slice(0, WIDTH // 3))
    diff = np.abs(_frame(labelled, seconds)[region] - _frame(original, seconds)[region])
    return float(diff.mean()) > 10


@pytest.mark.parametrize("seconds", [0.0, 1.0, 1.9])
def test_notice_is_on_the_opening_two_seconds(media, labelled, seconds: float) -> None:
    assert _notice_changed(media["mp4"], labelled, seconds)


def test_notice_is_gone_later(media, labelled) -> None:
    assert not _notice_changed(media["mp4"], labelled, 2.6)


def test_text_is_at_least_five_percent_of_the_shortest_side(labelled) -> None:
    rows, _ = np.nonzero(_frame(labelled, 0.5) > 200)  # white glyphs on the grey clip
    assert rows.max() - rows.min() + 1 >= math.ceil(0.05 * min(WIDTH, HEIGHT))


def test_longer_duration_is_honoured(media) -> None:
    out = media["folder"] / "long.mkv"
    out.write_bytes(add_video_notice(media["mkv"], seconds=2.8))
    assert _notice_changed(media["mkv"], out, 2.7)
    assert probe_video(out).container == "matroska"


def test_container_size_and_duration_are_kept(media, labelled) -> None:
    before, after = probe_video(media["mp4"]), probe_video(labelled)
    assert (after.container, after.width, after.height) == ("mp4", WIDTH, HEIGHT)
    assert abs(after.duration - before.duration) < 0.2


def test_audio_packets_are_copied_unchanged(media, labelled) -> None:
    def audio_md5(path: Path) -> str:
        packets = _ffmpeg("-i", str(path), "-map", "0:a", "-c", "copy", "-f", "adts", "-")
        return hashlib.md5(packets).hexdigest()

    assert audio_md5(labelled) == audio_md5(media["mp4"])


def test_input_file_is_untouched(media) -> None:
    before = media["mkv"].read_bytes()
    add_video_notice(media["mkv"])
    assert media["mkv"].read_bytes() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00\x00\x18ftypisom" + b"\x00" * 200, "corrupt video"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "unsupported video format"),
        (b"definitely not a video", "unsupported video format"),
    ],
)
def test_bad_input_gives_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(LabelError, match=message):
        add_video_notice(data)


def test_truncated_video_is_refused(media) -> None:
    data = media["mp4"].read_bytes()
    with pytest.raises(LabelError):
        add_video_notice(data[: len(data) // 3])


def test_missing_path_and_size_limit_are_reported(media) -> None:
    with pytest.raises(LabelError, match="not found"):
        add_video_notice(media["folder"] / "nope.mp4")
    with pytest.raises(LabelError, match="byte limit"):
        add_video_notice(media["mp4"], max_bytes=100)


def test_webm_stays_webm(media) -> None:
    source = media["folder"] / "clip.webm"
    _ffmpeg(
        "-i",
        str(media["mkv"]),
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        str(source),
    )
    out = media["folder"] / "labelled.webm"
    out.write_bytes(add_video_notice(source))
    assert probe_video(out).container == "webm"
    assert _notice_changed(source, out, 1.0)


def test_rotated_video_gets_the_notice_upright_in_the_displayed_corner(media) -> None:
    rotated = media["folder"] / "rotated.mp4"
    _ffmpeg("-display_rotation:v:0", "90", "-i", str(media["mp4"]), "-c", "copy", str(rotated))
    out = media["folder"] / "rotated-labelled.mp4"
    out.write_bytes(add_video_notice(rotated))
    frame = _frame(out, 0.5)  # ffmpeg applies the rotation when decoding
    assert frame.shape == (WIDTH, HEIGHT)
    rows, cols = np.nonzero(frame > 200)
    assert rows.max() < WIDTH / 4 and cols.max() < HEIGHT / 2  # top-left of the portrait view
