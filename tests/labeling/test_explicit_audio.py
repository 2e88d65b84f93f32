"""GB 45438 §5.3 audio cue: rhythm at the start, same format, original samples unchanged."""

from __future__ import annotations

import io
import itertools
import struct
import wave

import numpy as np
import pytest

from hegui.errors import LabelError
from hegui.labeling.explicit.audio import add_audio_cue, cue_samples, has_audio_cue


def _wav(width: int, channels: int, rate: int, seconds: float = 0.5) -> bytes:
    rng = np.random.default_rng(width * 10 + channels)
    frames = bytes(rng.integers(0, 256, int(rate * seconds) * channels * width, dtype=np.uint8))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(width)
        handle.setframerate(rate)
        handle.writeframes(frames)
    return buffer.getvalue()


def _frames(data: bytes) -> tuple[tuple[int, int, int], bytes]:
    with wave.open(io.BytesIO(data)) as handle:
        params = (handle.getsampwidth(), handle.getnchannels(), handle.getframerate())
        return params, handle.readframes(handle.getnframes())


@pytest.mark.parametrize("width", [1, 2, 3, 4])
@pytest.mark.parametrize(("channels", "rate"), [(1, 8000), (2, 44100), (1, 48000)])
def test_cue_is_prepended_in_the_same_format(width: int, channels: int, rate: int) -> None:
    original = _wav(width, channels, rate)
    labelled = add_audio_cue(original)
    (params, frames), (old_params, old_frames) = _frames(labelled), _frames(original)
    assert params == old_params
    cue_bytes = len(cue_samples(rate)) * width * channels
    assert frames[cue_bytes:] == old_frames  # the content follows byte for byte
    assert has_audio_cue(labelled)
    assert not has_audio_cue(original)


def test_cue_has_the_short_long_short_short_envelope() -> None:
    rate = 16000
    cue = cue_samples(rate)
    envelope = np.abs(cue).reshape(-1, rate // 100).max(axis=1) > 0.1  # 10 ms windows
    runs = [(on, len(list(group))) for on, group in itertools.groupby(envelope.tolist())]
    tones = [length for on, length in runs if on]
    assert runs[0][0], "the cue starts with a tone"
    assert len(tones) == 4
    assert tones[1] >= 2.5 * tones[0]
    assert abs(tones[2] - tones[0]) <= 1 and abs(tones[3] - tones[0]) <= 1
    assert 0.2 < np.abs(cue).max() <= 0.5  # comfortable, well below full scale


def _riff(chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(
        cid + struct.pack("<I", len(p)) + p + (b"\x00" if len(p) & 1 else b"") for cid, p in chunks
    )
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def test_other_chunks_and_float_samples_are_kept() -> None:
    rate = 8000
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    samples = (0.1 * np.sin(np.arange(rate) / 5)).astype("<f4").tobytes()
    original = _riff(
        [
            (b"fmt ", fmt),
            (b"fact", struct.pack("<I", rate)),
            (b"AIGC", b'{"Label":"1"}'),
            (b"data", samples),
        ]
    )
    labelled = add_audio_cue(original)
    assert b"AIGC\x0d\x00\x00\x00" + b'{"Label":"1"}' in labelled
    cue_frames = len(cue_samples(rate))
    fact = labelled.index(b"fact")
    assert struct.unpack_from("<I", labelled, fact + 8)[0] == rate + cue_frames
    assert labelled.endswith(samples)
    assert has_audio_cue(labelled)


def test_extensible_24_bit_is_supported() -> None:
    rate = 16000
    guid_tail = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    fmt = struct.pack("<HHIIHHHHIH", 0xFFFE, 2, rate, rate * 6, 6, 24, 22, 24, 3, 1) + guid_tail
    original = _riff([(b"fmt ", fmt), (b"data", b"\x01\x02\x03" * 2 * rate)])
    labelled = add_audio_cue(original)
    assert labelled.endswith(b"\x01\x02\x03" * 2 * rate)
    assert has_audio_cue(labelled)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"ID3\x04" + b"\x00" * 40, "not a WAV file"),
        (_wav(2, 1, 8000)[:-100] + b"", None),  # data chunk cut short
        (_riff([(b"data", b"\x00" * 10)]), "missing the 'fmt '"),
        (
            _riff(
                [
                    (b"fmt ", struct.pack("<HHIIHH", 85, 1, 8000, 1000, 1, 0)),
                    (b"data", b"\x00" * 10),
                ]
            ),
            "unsupported WAV encoding",
        ),
    ],
)
def test_bad_input_gives_a_clear_error(data: bytes, message: str | None) -> None:
    with pytest.raises(LabelError, match=message or "truncated WAV"):
        add_audio_cue(data)


def test_speech_mode_is_refused_offline() -> None:
    with pytest.raises(LabelError, match="only 'rhythm'"):
        add_audio_cue(_wav(2, 1, 8000), mode="speech")


def test_size_limit_is_enforced() -> None:
    with pytest.raises(LabelError, match="byte limit"):
        add_audio_cue(_wav(2, 1, 8000), max_bytes=1000)
