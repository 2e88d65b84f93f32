"""MP4 files whose media offsets move when ``moov`` grows: fast-start, fragmented (``moof`` with
absolute ``tfhd`` base offsets, ``mfra``/``tfra``), with a ``sidx``. Every labelled file must
decode to exactly the same frames as the original; a write that would break them is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from hegui.errors import LabelError
from hegui.labeling import label_file, new_label, verify_file
from hegui.labeling.carriers import bmff

from .media import mp4, run_ffmpeg

PRODUCER = "001191440300708461136T1XGW3"
FLAGS = {
    "faststart": "+faststart",
    "fragmented": "frag_keyframe+empty_moov",
    "fragmented-moof-base": "frag_keyframe+empty_moov+default_base_moof",
    "dash": "dash",
}


def _frames(path: Path) -> list[str]:
    """Per-packet checksums of every stream: equal lists mean the file demuxes identically."""
    proc = run_ffmpeg("-i", str(path), "-map", "0", "-c", "copy", "-f", "framemd5", "-")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return [line for line in proc.stdout.splitlines() if not line.startswith("#")]


@pytest.mark.parametrize("layout", list(FLAGS))
def test_labelled_mp4_demuxes_to_the_same_packets(tmp_path: Path, layout: str) -> None:
    src = tmp_path / "in.mp4"
    src.write_bytes(mp4(2, movflags=FLAGS[layout]))
    out = tmp_path / "out.mp4"
    label_file(src, out, label=new_label(producer=PRODUCER, warn=False))
    assert verify_file(out).status == "found"
    frames = _frames(src)
    assert len(frames) > 20 and _frames(out) == frames


def test_relabelling_a_fragmented_mp4_twice_keeps_it_intact(tmp_path: Path) -> None:
    path = tmp_path / "frag.mp4"
    path.write_bytes(mp4(2, movflags=FLAGS["fragmented"]))
    frames = _frames(path)
    for _ in range(2):
        label_file(path, label=new_label(producer=PRODUCER, warn=False))
    assert _frames(path) == frames and verify_file(path).status == "found"


def test_a_write_that_would_move_media_is_refused_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulates the old bug (fragment offsets not shifted): the post-write check must catch it."""
    src = tmp_path / "frag.mp4"
    src.write_bytes(mp4(2, movflags=FLAGS["fragmented"]))
    real = bmff.fix_offsets

    def only_chunk_offsets(buf, start, end, shift, *, in_stbl=False):  # type: ignore[no-untyped-def]
        if buf[4:8] != b"moov":
            return None  # leave moof/mfra alone, as the old writer did
        return real(buf, start, end, shift, in_stbl=in_stbl)

    monkeypatch.setattr("hegui.labeling.carriers.mp4.fix_offsets", only_chunk_offsets)
    out = tmp_path / "out.mp4"
    with pytest.raises(LabelError, match="demux identically"):
        label_file(src, out, label=new_label(producer=PRODUCER, warn=False))
    assert not out.exists() and not list(tmp_path.glob("*.hegui-tmp"))
