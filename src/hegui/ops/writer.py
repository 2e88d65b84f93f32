"""The usage writer: a separate process that copies the serving process's journal into the database.

Why a process: building rows, inserting a batch and hashing its audit event hold the GIL for
milliseconds, and every request arriving meanwhile would wait. Why the journal: records travel
through a file (:mod:`hegui.ops.journal`), not through the pipe, so there is no message-size limit
and nothing is lost when either process dies. The pipe carries only short newline-terminated JSON
lines: the start-up settings, ``wake`` and ``stop`` one way, progress the other (frames done,
rows written, rows quarantined, the last error). The serving side never blocks on it: uvloop
makes the socket non-blocking, so it reads whatever has arrived and sends only single short lines.

The writer also adopts journals whose owner died (``kill -9``, power loss): every few seconds it
replays any segment whose owner lock is free.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from hegui.errors import StoreError

__all__ = ["WriterClient", "serve"]

log = logging.getLogger(__name__)

_NICE = 10
_START_TIMEOUT = 60.0
_ADOPT_EVERY = 5.0
_ORPHAN_DRAIN_S = 60.0
_ASK_EVERY = 0.25  # seconds between two waitpid calls on the per-request path  # after its serving process died, a writer drains at most this long


class _Lines:
    """Newline-delimited JSON over a blocking socket (the writer's side)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.eof = False

    def send(self, doc: Any) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(orjson.dumps(doc) + b"\n")

    def poll(self, timeout: float) -> list[Any]:
        if self.eof:
            time.sleep(timeout)
            return []
        ready, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if ready:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.eof = True
            self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        out = []
        for line in lines:
            # A wake the serving side could only half send (its socket is non-blocking) leaves a
            # fragment: it is dropped, and the writer looks at the journal anyway.
            with contextlib.suppress(orjson.JSONDecodeError):
                out.append(orjson.loads(line))
        return out


def serve(sock: socket.socket) -> None:
    """The writer's loop: replay the owner's journal (and orphans) until told to stop."""
    from hegui.ops.journal import owner_lock
    from hegui.ops.replay import Replayer, adopt_orphans
    from hegui.store.db import open_store

    sock.setblocking(True)
    chan = _Lines(sock)
    cfg: dict[str, Any] | None = None
    deadline = time.monotonic() + _START_TIMEOUT
    while cfg is None and time.monotonic() < deadline and not chan.eof:
        got = chan.poll(1.0)
        cfg = got[0] if got else None
    if cfg is None:
        return
    try:
        store = open_store(cfg["url"], upgrade=False)
    except Exception as exc:
        chan.send({"error": f"{type(exc).__name__}: {exc}"})
        return
    folder, owner, interval = Path(cfg["folder"]), str(cfg["owner"]), float(cfg["interval"])
    quarantined = [0]

    def counted(_rid: str) -> None:
        quarantined[0] += 1

    batch = int(cfg["batch_size"])
    rp = Replayer(store, folder, owner, batch_size=batch, on_quarantine=counted)
    chan.send({"ready": True})
    stopping = False
    gone_at: float | None = None
    lock: int | None = None
    next_adopt = 0.0
    adopted = failures = 0
    last: dict[str, Any] = {}
    wait = 0.0
    try:
        while True:
            for msg in chan.poll(wait):
                if msg == "stop":
                    stopping = True
            if chan.eof and gone_at is None:  # the serving process is gone
                gone_at = time.monotonic()
                lock = owner_lock(folder, owner)
                if lock is None:  # another writer adopted this journal already
                    return
            done = stopping or gone_at is not None
            try:
                wrote = rp.step(owner_gone=done)
                wait = 0.0 if wrote >= batch else interval
            except StoreError:
                failures += 1
                if stopping:  # asked to stop and the database is failing: the next start replays
                    return
                wait = min(2.0, max(interval, 0.5))
            if time.monotonic() >= next_adopt and not done:
                next_adopt = time.monotonic() + _ADOPT_EVERY
                with contextlib.suppress(StoreError):
                    adopted += adopt_orphans(
                        store, folder, owner, batch_size=batch, on_quarantine=counted
                    )
            progress = {
                "done": rp.done_upto,
                "written": rp.written,
                "quarantined": quarantined[0],
                "adopted": adopted,
                "error": rp.error,
                "failures": failures,
                "finished": rp.finished,
            }
            if progress != last and gone_at is None:
                chan.send(progress)
                last = progress
            if done and rp.finished:
                return
            if gone_at is not None and time.monotonic() - gone_at > _ORPHAN_DRAIN_S:
                return  # the journal stays; the next writer adopts it
    finally:
        store.close()
        if lock is not None:
            if rp.finished:
                with contextlib.suppress(FileNotFoundError):
                    (folder / f"{owner}.lock").unlink()
            os.close(lock)


class WriterClient:
    """The serving side: start the writer (process or thread), read its progress, wake, stop."""

    def __init__(self, config: dict[str, Any], *, in_process: bool = False) -> None:
        self._config = config
        self._in_process = in_process
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._buf = b""
        self._changed: asyncio.Event | None = None
        self.done = 0
        self.written = 0
        self.quarantined = 0
        self.adopted = 0
        self.error: str | None = None
        self.failures = 0
        self.lost = False
        self._asked_at = -1.0  # when seems_alive last asked the OS, and its answer
        self._answer = False

    @property
    def alive(self) -> bool:
        if self._sock is None or self.lost:
            return False
        if self._proc is not None:
            return self._proc.poll() is None
        return self._thread is not None and self._thread.is_alive()

    def seems_alive(self) -> bool:
        """:attr:`alive` for the per-request path: the OS is asked (``waitpid``, a system call)
        at most every :data:`_ASK_EVERY` seconds; a writer that dies closes its end of the pipe,
        which marks it ``lost`` as soon as the event loop reads the end of file."""
        if self._sock is None or self.lost:
            return False
        now = time.monotonic()
        if now - self._asked_at >= _ASK_EVERY:
            self._asked_at = now
            self._answer = self.alive
        return self._answer

    def _spawn(self) -> tuple[socket.socket, list[Any], bytes]:
        """Start the writer and wait for its "ready"; returns the socket, the messages that
        came after "ready" in the same read, and any partial line, none of which may be lost:
        a writer that finds journaled records reports its first progress at once, and reports
        progress only when it changes."""
        mine, theirs = socket.socketpair()
        if self._in_process:
            self._thread = threading.Thread(
                target=serve, args=(theirs,), name="hegui-usage-writer", daemon=True
            )
            self._thread.start()
        else:
            # A fresh interpreter (not fork: the event loop and its threads; not
            # multiprocessing's spawn: it re-imports the caller's __main__).
            fd = theirs.fileno()
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "hegui.ops.writer", str(fd)],
                    pass_fds=(fd,),
                    stdin=subprocess.DEVNULL,
                )
            finally:
                theirs.close()
        chan = _Lines(mine)
        chan.send(self._config)
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline and not chan.eof:
            got = chan.poll(0.5)
            for i, msg in enumerate(got):
                if msg.get("ready"):
                    return mine, got[i + 1 :], chan.buf
                self._kill()
                mine.close()
                raise StoreError(f"usage writer could not open the database: {msg.get('error')}")
        self._kill()
        mine.close()
        raise StoreError("usage writer did not start")

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        sock, early, self._buf = await asyncio.to_thread(self._spawn)
        self._sock = sock
        self.lost = False
        for msg in early:
            self._progress(msg)
        sock.setblocking(False)
        self._loop.add_reader(sock.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._gone()
            return
        *lines, self._buf = (self._buf + data).split(b"\n")
        for line in lines:
            with contextlib.suppress(orjson.JSONDecodeError):
                self._progress(orjson.loads(line))

    def _progress(self, msg: dict[str, Any]) -> None:
        self.done = max(self.done, int(msg.get("done", 0)))
        self.written = int(msg.get("written", self.written))
        self.quarantined = int(msg.get("quarantined", self.quarantined))
        self.adopted = int(msg.get("adopted", self.adopted))
        self.error = msg.get("error")
        self.failures = int(msg.get("failures", self.failures))
        if self._changed is not None:
            self._changed.set()

    def _gone(self) -> None:
        if self._loop is not None and self._sock is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._sock.fileno())
        self.lost = True
        self.error = "usage writer exited"
        log.error("usage writer exited; records stay in the journal until it is restarted")
        if self._changed is not None:
            self._changed.set()

    def wake(self) -> None:
        """Ask the writer to look at the journal now (dropped if its pipe is full: it looks anyway)."""
        if self._sock is not None and not self.lost:
            with contextlib.suppress(OSError):
                self._sock.send(b'"wake"\n')

    async def wait_done(self, target: int, timeout: float) -> None:
        """Until every frame up to ``target`` is in the database; StoreError when the writer
        reports a database error, is gone, or makes no progress for ``timeout`` seconds."""
        assert self._changed is not None
        deadline = time.monotonic() + timeout
        failures, seen = self.failures, self.done
        while self.done < target:
            if self.done > seen:  # moving: a long backlog is not a stall
                seen, deadline = self.done, time.monotonic() + timeout
            if self.lost:
                raise StoreError("usage writer exited")
            # Attempts are sequential, so of two failures reported since we asked, the second
            # began after we asked: the first may be one that was under way (or reported but
            # not yet read) when the database came back, and must not fail a flush.
            if self.error and self.failures > failures + 1:
                raise StoreError(self.error)
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreError(f"usage records not written: no progress in {timeout:.0f} s")
            self._changed.clear()
            self.wake()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 1.0))

    async def stop(self, timeout: float = 15.0) -> None:
        """Ask the writer to finish what is journaled, and wait for it (killed after ``timeout``)."""
        sock = self._sock
        if sock is not None:
            if self._loop is not None:
                with contextlib.suppress(Exception):
                    self._loop.remove_reader(sock.fileno())
            with contextlib.suppress(OSError):
                sock.setblocking(True)
                sock.sendall(b'\n"stop"\n')  # the newline ends any half-sent wake first
        if self.error:
            timeout = min(timeout, 3.0)  # the database is failing: the next start replays
        if self._proc is not None:
            try:
                await asyncio.to_thread(self._proc.wait, timeout)
            except subprocess.TimeoutExpired:
                log.error(
                    "usage writer did not finish in %.0f s; the journal keeps the rest", timeout
                )
                self._kill()
        elif self._thread is not None:
            await asyncio.to_thread(self._thread.join, timeout)
        if sock is not None:
            sock.close()
        self._sock = None
        self._proc = None
        self._thread = None

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(5)


def _main(fd: int) -> None:
    import signal

    # Ctrl-C or a service manager's TERM reach the whole group: the serving process stops this
    # one over the pipe once everything is written (or it sees EOF when that process is gone).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Background work: when it shares a core with the serving process, a request that arrives
    # mid-batch should not wait for the batch.
    with contextlib.suppress(OSError):
        os.nice(_NICE)
    serve(socket.socket(fileno=fd))


if __name__ == "__main__":
    _main(int(sys.argv[1]))
