"""GB 45438 §5.3 audio notice: the "short-long short-short" tone rhythm (Morse ·− ·· = "AI").

The cue is synthesised with numpy and put *before* the content, in the file's own sample
format, so the original samples follow byte for byte. Only the rhythm mode exists: a spoken
notice needs a TTS engine, and none ships offline in a pip install (see the docs).

WAV is parsed by hand rather than with :mod:`wave`, which cannot read WAVE_FORMAT_EXTENSIBLE
(24-bit and multichannel files) on Python 3.11 and drops every chunk but ``fmt``/``data``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from hegui.errors import LabelError

__all__ = ["CUE_PATTERN", "add_audio_cue", "cue_samples", "has_audio_cue"]

UNIT_SECONDS = 0.12
# (tone on?, units): dot, gap, dash, letter gap, dot, gap, dot, then a pause before the content.
CUE_PATTERN = ((True, 1), (False, 1), (True, 3), (False, 3), (True, 1), (False, 1), (True, 1))
_LEAD_OUT_SECONDS = 0.5
_TONE_HZ = 1000.0
_LEVEL = 0.3  # about −10 dBFS: clearly audible, not startling
_FADE_SECONDS = 0.01
_FORMATS = {1: "pcm", 3: "float"}
_EXTENSIBLE = 0xFFFE
MAX_BYTES = 2**32 - 1


@dataclass(frozen=True, slots=True)
class _Wav:
    kind: str  # "pcm" | "float"
    channels: int
    rate: int
    bits: int  # container bits per sample
    chunks: list[tuple[bytes, bytes]]  # every chunk in file order, payloads without padding

    @property
    def block_align(self) -> int:
        return self.channels * self.bits // 8


def cue_samples(rate: int) -> np.ndarray:
    """The cue as mono float samples in [-1, 1] at ``rate`` Hz (rhythm, then a short pause)."""
    tone_hz = min(_TONE_HZ, rate / 4)
    unit = round(UNIT_SECONDS * rate)
    fade = max(1, round(_FADE_SECONDS * rate))
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
    parts = []
    for on, units in CUE_PATTERN:
        n = unit * units
        if not on:
            parts.append(np.zeros(n))
            continue
        tone = _LEVEL * np.sin(2 * np.pi * tone_hz * np.arange(n) / rate)
        tone[:fade] *= ramp
        tone[-fade:] *= ramp[::-1]
        parts.append(tone)
    parts.append(np.zeros(round(_LEAD_OUT_SECONDS * rate)))
    return np.concatenate(parts)


def add_audio_cue(data: bytes, *, mode: str = "rhythm", max_bytes: int = MAX_BYTES) -> bytes:
    """Return the WAV ``data`` with the AI rhythm cue prepended; format and other chunks kept."""
    if mode != "rhythm":
        raise LabelError(
            f"audio cue mode {mode!r} is not available; only 'rhythm' works offline (no TTS engine)"
        )
    if len(data) > max_bytes:
        raise LabelError(f"audio file is {len(data):,} bytes, over the {max_bytes:,}-byte limit")
    wav = _parse(data)
    cue = _encode(cue_samples(wav.rate), wav)
    cue_frames = len(cue) // wav.block_align
    chunks = []
    for chunk_id, payload in wav.chunks:
        if chunk_id == b"data":
            payload = cue + payload
        elif chunk_id == b"fact" and len(payload) >= 4:
            frames = struct.unpack_from("<I", payload)[0] + cue_frames
            payload = struct.pack("<I", frames) + payload[4:]
        chunks.append((chunk_id, payload))
    body = b"".join(_chunk(cid, payload) for cid, payload in chunks)
    if 4 + len(body) > MAX_BYTES:
        raise LabelError("audio file would exceed the 4 GiB WAV limit with the cue added")
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def has_audio_cue(data: bytes) -> bool:
    """True when the audio opens with the short-long short-short rhythm (envelope check)."""
    wav = _parse(data)
    payload = next(p for cid, p in wav.chunks if cid == b"data")
    # Only the cue's own span is examined, so loud content after it cannot mask the rhythm.
    span = round(sum(units for _, units in CUE_PATTERN) * UNIT_SECONDS * wav.rate)
    samples = _decode(payload[: wav.block_align * span], wav)
    if samples.size == 0:
        return False
    window = max(1, wav.rate // 100)  # 10 ms envelope
    frames = samples[: samples.size // window * window].reshape(-1, window)
    envelope = np.sqrt(np.mean(frames**2, axis=1))
    if envelope.size == 0 or envelope.max() <= 1e-4:
        return False
    on = envelope > envelope.max() / 2
    runs = _runs(on)
    tones = [length for state, _, length in runs if state][:4]
    first_start = next((start for state, start, _ in runs if state), None)
    if len(tones) < 4 or first_start is None or first_start > 50:  # must start within 0.5 s
        return False
    short = (tones[0] + tones[2] + tones[3]) / 3
    return tones[1] >= 2 * short and max(tones[0], tones[2], tones[3]) <= 1.5 * min(
        tones[0], tones[2], tones[3]
    )


def _runs(mask: np.ndarray) -> list[tuple[bool, int, int]]:
    """(state, start, length) for each run of equal values."""
    edges = np.flatnonzero(np.diff(mask.astype(np.int8))) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [mask.size]))
    return [(bool(mask[s]), int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)]


def _parse(data: bytes) -> _Wav:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise LabelError("not a WAV file: missing the RIFF/WAVE header")
    chunks: list[tuple[bytes, bytes]] = []
    pos = 12
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        end = pos + 8 + size
        if end > len(data):
            raise LabelError(f"truncated WAV: chunk {chunk_id!r} claims {size} bytes past the end")
        chunks.append((chunk_id, data[pos + 8 : end]))
        pos = end + (size & 1)
    fmt = next((p for cid, p in chunks if cid == b"fmt "), None)
    if fmt is None or len(fmt) < 16 or not any(cid == b"data" for cid, _ in chunks):
        raise LabelError("corrupt WAV: missing the 'fmt ' or 'data' chunk")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack_from("<H", fmt, 24)[0]
    kind = _FORMATS.get(tag)
    valid = (kind == "pcm" and bits in (8, 16, 24, 32)) or (kind == "float" and bits in (32, 64))
    if kind is None or not valid or channels < 1 or rate < 1000:
        raise LabelError(
            f"unsupported WAV encoding (format {tag}, {bits}-bit, {channels} ch, {rate} Hz); "
            "PCM 8/16/24/32-bit or float 32/64-bit at ≥ 1 kHz is needed"
        )
    return _Wav(kind, channels, rate, bits, chunks)


def _encode(mono: np.ndarray, wav: _Wav) -> bytes:
    frames = np.repeat(mono[:, None], wav.channels, axis=1).ravel()
    if wav.kind == "float":
        return frames.astype("<f4" if wav.bits == 32 else "<f8").tobytes()
    if wav.bits == 8:
        return bytes((np.rint(frames * 127) + 128).astype(np.uint8).tobytes())
    full = 2 ** (wav.bits - 1) - 1
    ints = np.rint(frames * full).astype("<i4")
    if wav.bits == 24:
        return bytes(ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes())
    return bytes(ints.astype("<i2" if wav.bits == 16 else "<i4").tobytes())


def _decode(payload: bytes, wav: _Wav) -> np.ndarray:
    """Mono float samples from raw frames (channels averaged)."""
    usable = len(payload) // wav.block_align * wav.block_align
    raw = np.frombuffer(payload[:usable], dtype=np.uint8)
    if wav.kind == "float":
        values = raw.view("<f4" if wav.bits == 32 else "<f8").astype(np.float64)
    elif wav.bits == 8:
        values = (raw.astype(np.float64) - 128) / 127
    elif wav.bits == 24:
        padded = np.zeros((raw.size // 3, 4), dtype=np.uint8)
        padded[:, 1:] = raw.reshape(-1, 3)
        values = padded.view("<i4").ravel().astype(np.float64) / 2**31
    else:
        values = raw.view("<i2" if wav.bits == 16 else "<i4").astype(np.float64)
        values /= 2 ** (wav.bits - 1)
    return np.asarray(values.reshape(-1, wav.channels).mean(axis=1))


def _chunk(chunk_id: bytes, payload: bytes) -> bytes:
    pad = b"\x00" if len(payload) & 1 else b""
    return chunk_id + struct.pack("<I", len(payload)) + payload + pad
