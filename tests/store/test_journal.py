"""The usage journal: frames survive as written, a failed write refuses and leaves no damage."""

from __future__ import annotations

import resource
import signal
from pathlib import Path

import pytest

from hegui.errors import StoreError
from hegui.ops.journal import UsageJournal, encode_frame, read_frames, segments_of


def test_frames_round_trip_without_a_size_limit() -> None:
    big = bytes(range(256)) * 4096  # 1 MB of content in one frame
    data = encode_frame({"n": 1, "record_id": "a"}, big) + encode_frame({"n": 2}, None)
    frames, used, damaged = read_frames(data)
    assert [f.meta["n"] for f in frames] == [1, 2] and frames[0].content == big
    assert frames[1].content is None and used == len(data) and not damaged
    frames, used, damaged = read_frames(data[:-3])  # a torn tail is not a frame
    assert len(frames) == 1 and not damaged
    bad = bytearray(data)
    bad[40] ^= 0xFF
    frames, _, damaged = read_frames(bytes(bad))
    assert frames == [] and damaged


async def test_a_failed_write_refuses_the_record_and_the_journal_goes_on(tmp_path: Path) -> None:
    journal = UsageJournal(tmp_path / "j")
    journal.open()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        await journal.append(encode_frame({"n": 1}, b"x" * 1000), 1)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))  # the disk is "full"
        with pytest.raises(StoreError, match="usage journal write failed"):
            await journal.append(encode_frame({"n": 2}, b"y" * 10_000), 2)
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        await journal.append(encode_frame({"n": 3}, b"z" * 10_000), 3)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old)
        journal.close()
        journal.release()
    seen = []
    for seg in segments_of(tmp_path / "j", journal.owner):
        frames, used, damaged = read_frames(seg.read_bytes())
        assert not damaged and used == seg.stat().st_size  # the partial frame was cut off
        seen += [f.meta["n"] for f in frames]
    assert seen == [1, 3] and journal.appended == 3


def test_control_lines_survive_a_half_sent_wake() -> None:
    """The serving side's socket is non-blocking (uvloop): a wake may go out in part."""
    import socket

    from hegui.ops.writer import _Lines

    a, b = socket.socketpair()
    try:
        import threading

        a.sendall(b'"wa')  # the rest of this wake was never sent
        big = b'\n"stop"\n{"big": "' + b"x" * 300_000 + b'"}\n'  # larger than the socket buffer
        sender = threading.Thread(target=a.sendall, args=(big,))
        sender.start()
        chan = _Lines(b)
        got: list[object] = []
        while len(got) < 2:
            got += chan.poll(1.0)
        sender.join()
        assert got[0] == "stop" and len(got[1]["big"]) == 300_000  # type: ignore[index]
    finally:
        a.close()
        b.close()


async def test_a_synced_batch_is_handed_back_to_the_event_loop_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """64 records finishing together: the journal thread wakes the event loop once per synced
    batch, not once per record (each hand-over costs the loop a wake-up)."""
    import asyncio

    journal = UsageJournal(tmp_path / "j")
    journal.open()
    loop = asyncio.get_running_loop()
    handovers = 0
    real = loop.call_soon_threadsafe

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal handovers
        handovers += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loop, "call_soon_threadsafe", counted)
    try:
        numbers = [journal.next_number() for _ in range(64)]
        await asyncio.gather(*(journal.append(encode_frame({"n": n}, None), n) for n in numbers))
        assert journal.appended == 64
        assert handovers <= 8  # one per batch; the first record may go alone
    finally:
        journal.close()
        journal.release()
    frames, _, _ = read_frames(
        b"".join(p.read_bytes() for p in segments_of(tmp_path / "j", journal.owner))
    )
    assert [f.meta["n"] for f in frames] == list(range(1, 65))
