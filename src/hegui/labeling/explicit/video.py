"""GB 45438 §5.4 video notice: text on the opening frames for ≥ 2 s, ≥ 5 % of the shortest side.

The notice is rendered once with Pillow and laid over the video with ffmpeg's ``overlay``
filter (``enable='between(t,…)'``), which needs no fontconfig or drawtext build options. The
ffmpeg binary comes from the ``imageio-ffmpeg`` wheel. The video is re-encoded (H.264, or VP9
for WebM) because its pixels change; audio is copied untouched, and the result is decoded once
before it is returned.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hegui.errors import LabelError
from hegui.labeling.explicit.image import (
    check_notice,
    min_text_height,
    notice_offset,
    render_notice,
)

__all__ = ["MIN_SECONDS", "VideoInfo", "add_video_notice", "ffmpeg_exe", "probe_video"]

MIN_SECONDS = 2.0
MAX_BYTES = 2 * 1024**3
_DIMENSIONS = re.compile(r"Stream #\S+.*?: Video: .*?(?<![0-9])(\d{2,5})x(\d{2,5})(?![0-9])")
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?), start: (-?[\d.]+)")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees")
# container -> (ffmpeg muxer, file suffix, video encoder options)
_X264 = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p")
_VP9 = ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-crf", "30", "-b:v", "0")
_CONTAINERS = {
    "mp4": ("mp4", ".mp4", _X264),
    "mov": ("mov", ".mov", _X264),
    "matroska": ("matroska", ".mkv", _X264),
    "webm": ("webm", ".webm", _VP9),
}


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What the labeller needs from the input: display size, start time, duration, container."""

    width: int
    height: int
    start: float
    duration: float
    container: str


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped in the imageio-ffmpeg wheel."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def probe_video(path: Path, *, timeout: float = 60.0) -> VideoInfo:
    """Read size (after rotation), start and duration from ``ffmpeg -i``'s stream report."""
    container = _container(path)
    report = _run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)], timeout, check=False)
    size = _DIMENSIONS.search(report)
    timing = _DURATION.search(report)
    if size is None or timing is None:
        raise LabelError("corrupt video or no video stream: ffmpeg found no frame size/duration")
    width, height = int(size.group(1)), int(size.group(2))
    rotation = _ROTATION.search(report)
    if rotation and round(abs(float(rotation.group(1)))) % 180 == 90:
        width, height = height, width
    hours, minutes, seconds, start = timing.groups()
    duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return VideoInfo(width, height, float(start), duration, container)


def add_video_notice(
    data: bytes | str | Path,
    *,
    notice: str = "AI生成",
    seconds: float = MIN_SECONDS,
    position: str = "top-left",
    max_bytes: int = MAX_BYTES,
    timeout: float = 600.0,
) -> bytes:
    """Return the video with ``notice`` shown for the first ``max(2, seconds)`` seconds.

    Accepts MP4, MOV, MKV and WebM (bytes or a path; the input is never modified) and returns
    the same container. Videos shorter than the notice carry it throughout.
    """
    check_notice(notice)
    if not seconds > 0:
        raise LabelError(f"notice duration must be positive, got {seconds}")
    with tempfile.TemporaryDirectory(prefix="hegui-video-") as tmp:
        work = Path(tmp)
        source = _materialise(data, work, max_bytes)
        info = probe_video(source, timeout=timeout)
        badge = render_notice(notice, min_text_height(info.width, info.height))
        x, y = notice_offset((info.width, info.height), badge.size, position)
        badge_path = work / "notice.png"
        badge.save(badge_path)
        muxer, suffix, encoder = _CONTAINERS[info.container]
        target = work / f"labelled{suffix}"
        until = info.start + max(MIN_SECONDS, seconds)
        overlay = f"[0:v][1:v]overlay=x={x}:y={y}:enable='between(t,{info.start},{until})'[v]"
        command = [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(source),
            "-i",
            str(badge_path),
            "-filter_complex",
            overlay,
            "-map",
            "[v]",
            "-map",
            "0:a?",
            *encoder,
            "-c:a",
            "copy",
            "-map_metadata",
            "0",
            *(("-movflags", "+faststart+use_metadata_tags") if muxer in ("mp4", "mov") else ()),
            "-f",
            muxer,
            str(target),
        ]
        _run(command, timeout)
        _run(
            [
                ffmpeg_exe(),
                "-hide_banner",
                "-nostdin",
                "-v",
                "error",
                "-xerror",
                "-i",
                str(target),
                "-map",
                "0:v",
                "-f",
                "null",
                "-",
            ],
            timeout,
        )
        return target.read_bytes()


def _materialise(data: bytes | str | Path, work: Path, max_bytes: int) -> Path:
    """Give ffmpeg a file: the caller's path as is, or bytes written to the temp folder."""
    if isinstance(data, bytes):
        size = len(data)
        path = work / "input.bin"
        path.write_bytes(data)
    else:
        path = Path(data)
        if not path.is_file():
            raise LabelError(f"video file not found: {path}")
        size = path.stat().st_size
    if size > max_bytes:
        raise LabelError(f"video is {size:,} bytes, over the {max_bytes:,}-byte limit")
    return path


def _container(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(64)
    if head[4:8] == b"ftyp":
        return "mov" if head[8:12] == b"qt  " else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head else "matroska"
    raise LabelError("unsupported video format: expected MP4, MOV, MKV or WebM content")


def _run(command: list[str], timeout: float, *, check: bool = True) -> str:
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LabelError(f"ffmpeg took longer than {timeout:.0f} s") from exc
    report = done.stderr.decode("utf-8", "replace")
    if check and done.returncode != 0:
        last = report.strip().splitlines()[-1] if report.strip() else f"exit {done.returncode}"
        raise LabelError(f"ffmpeg failed: {last}")
    return report
