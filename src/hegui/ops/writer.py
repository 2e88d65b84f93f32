"""Usage records written by a separate process, so the serving process never waits on its GIL.

Why: a writer *thread* building rows, encrypting content, inserting a batch and hashing its audit
event holds the GIL for milliseconds at a time (Python hands the GIL over only every 5 ms), and
every request that arrives meanwhile waits: that was the gateway's p99 at concurrency 1. Here the
serving process only turns each record into a tuple and sends one pickled batch per tick over a
pipe; the writer process (same database, same key) does the rest in its own transaction and
answers with the count written or the error. The caller awaits that answer, so flushes, failures
(the batch goes back to the queue: fail closed) and shutdown behave as with an in-process write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import socket
import subprocess
import sys
from multiprocessing.connection import Connection
from typing import Any

from hegui.errors import StoreError
from hegui.gateway.backend import UsageRecord
from hegui.store.db import Store, sqlite_path

__all__ = ["WriterProcess", "record_row", "start_writer"]

log = logging.getLogger(__name__)

_STOP = b"stop"
_NICE = 10
_START_TIMEOUT = 60.0


def record_row(r: UsageRecord) -> tuple[Any, ...]:
    """A record as the compact tuple sent to the writer (field order of :class:`UsageRecord`)."""
    return (
        r.pseudonym,
        r.key_id,
        r.model,
        r.endpoint,
        r.decision,
        r.risk_codes,
        r.prompt_tokens,
        r.completion_tokens,
        r.latency_ms,
        r.status,
        r.incident_id,
        r.created_at,
        r.content,
    )


def _serve(conn: Connection) -> None:
    """The writer process: open the store, then write each batch received until told to stop."""
    import signal

    from hegui.ops import usage
    from hegui.store.crypto import Keyring
    from hegui.store.db import open_store

    # Ctrl-C or a service manager's TERM reach the whole group: the serving process stops this
    # one over the pipe once everything is written (or it sees EOF when that process is gone).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Background work: when it shares a core with the serving process, a request that arrives
    # mid-batch should not wait for the batch (it needs a few % of a core at full load).
    with contextlib.suppress(OSError):
        os.nice(_NICE)
    url, master, policy = conn.recv()
    try:
        store = open_store(url, upgrade=False)
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    keyring = Keyring(master)
    conn.send(("ready", None))
    try:
        while True:
            try:
                msg = conn.recv_bytes()
            except EOFError:  # the serving process is gone
                return
            if msg == _STOP:
                return
            seq, rows = pickle.loads(msg)
            records = [UsageRecord(*row) for row in rows]
            try:
                n = store.write(
                    lambda c, b=records: usage.insert_usage(c, b, keyring=keyring, policy=policy)
                )
                answer: tuple[int, int, str | None] = (seq, n, None)
            except StoreError as exc:
                answer = (seq, 0, str(exc))
            except Exception as exc:  # never die on one bad batch: report it, keep serving
                answer = (seq, 0, f"usage writer error: {type(exc).__name__}")
            conn.send_bytes(pickle.dumps(answer))
    finally:
        store.close()


class WriterProcess:
    """The serving side: start the process, send batches, await their answers, stop it."""

    def __init__(self, url: str, master_key: bytes, policy: str) -> None:
        self._config = (url, master_key, policy)
        self._proc: Any = None
        self._conn: Connection | None = None
        self._seq = 0
        self._waiting: dict[int, asyncio.Future[int]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def alive(self) -> bool:
        return self._conn is not None and self._proc is not None and self._proc.poll() is None

    def _spawn(self) -> tuple[subprocess.Popen[bytes], Connection]:
        # A fresh interpreter (not fork: the event loop and its threads; not multiprocessing's
        # spawn: it re-imports the caller's __main__, which an unguarded script would re-run).
        mine, theirs = socket.socketpair()
        fd = theirs.fileno()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "hegui.ops.writer", str(fd)],
                pass_fds=(fd,),
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        ours = Connection(mine.detach())
        try:
            ours.send(self._config)
            if not ours.poll(_START_TIMEOUT):
                raise StoreError("usage writer process did not start")
            kind, detail = ours.recv()
        except (EOFError, OSError):
            ours.close()
            proc.kill()
            proc.wait()
            raise StoreError("usage writer process exited at start") from None
        except StoreError:
            ours.close()
            proc.kill()
            proc.wait()
            raise
        if kind != "ready":
            ours.close()
            proc.wait(5)
            raise StoreError(f"usage writer could not open the database: {detail}")
        return proc, ours

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._proc, self._conn = await asyncio.to_thread(self._spawn)
        self._loop.add_reader(self._conn.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            while conn.poll():
                seq, n, error = pickle.loads(conn.recv_bytes())
                fut = self._waiting.pop(seq, None)
                if fut is None or fut.done():
                    continue
                if error is None:
                    fut.set_result(n)
                else:
                    fut.set_exception(StoreError(error))
        except (EOFError, OSError):
            self._lost("usage writer process exited")

    def _lost(self, why: str) -> None:
        """The process died: every batch in flight failed (its caller puts it back)."""
        if self._conn is not None and self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._conn.fileno())
            self._conn.close()
        self._conn = None
        waiting, self._waiting = self._waiting, {}
        for fut in waiting.values():
            if not fut.done():
                fut.set_exception(StoreError(why))
        log.error("%s", why)

    async def write(self, records: list[UsageRecord]) -> int:
        """Send one batch and wait until it is committed; StoreError if it was not."""
        if not self.alive:
            if self._proc is not None and self._conn is not None:
                self._lost("usage writer process exited")
            await self.start()  # restart a writer that died
        assert self._conn is not None and self._loop is not None
        self._seq += 1
        seq = self._seq
        fut: asyncio.Future[int] = self._loop.create_future()
        self._waiting[seq] = fut
        try:
            self._conn.send_bytes(pickle.dumps((seq, [record_row(r) for r in records]), 5))
        except OSError:
            self._lost("usage writer process exited")
            raise StoreError("usage writer process exited") from None
        return await fut

    async def stop(self, timeout: float = 15.0) -> None:
        """Ask the process to finish (it has answered every batch sent) and wait for it."""
        proc, conn = self._proc, self._conn
        if conn is not None:
            if self._loop is not None:
                with contextlib.suppress(Exception):
                    self._loop.remove_reader(conn.fileno())
            with contextlib.suppress(OSError):
                conn.send_bytes(_STOP)
        if proc is not None:
            try:
                await asyncio.to_thread(proc.wait, timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                await asyncio.to_thread(proc.wait, 5)
        if conn is not None:
            conn.close()
        self._proc = self._conn = None


async def start_writer(
    store: Store, master_key: bytes, policy: str, wanted: bool | None
) -> WriterProcess | None:
    """A started writer process, or None to write in process (asked for, or an in-memory
    SQLite database that no other process can see)."""
    if wanted is None:
        wanted = not store.is_sqlite or sqlite_path(store.url) is not None
    if not wanted:
        return None
    writer = WriterProcess(store.url, master_key, policy)
    await writer.start()
    return writer


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
