"""Where the workers run: forked processes on this machine, or a Ray cluster.

Both executors run the same :func:`hegui.corpus.analyze.analyze_chunk` on the same chunks and
hand results back in input order, so the parent's bookkeeping (spool, checkpoints, duplicate
search, outputs) is identical and a scan gives byte-identical outputs on either.

* ``local``: the parent reads and chunks the input; :func:`hegui.safety.batch.map_ordered`
  forks workers after the parent has built the engine, so they share it copy-on-write.
* ``ray``: read tasks (one per group of files) read and chunk the input on the cluster, an
  actor pool of ``workers`` analysers checks it, and the driver receives the results in order
  (Ray Data with ``preserve_order``). ``address=None`` starts a local Ray instance with
  ``workers`` CPUs; ``"auto"`` (on the head node) joins a running cluster, whose nodes must have
  hegui installed and see the input paths (shared storage), see ``docs/corpus.md``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from hegui.corpus.analyze import AnalyzerSpec, ChunkResult, analyze_chunk, analyzer_for
from hegui.corpus.readers import Chunk, InputFile, Position, iter_chunks
from hegui.errors import InputError
from hegui.safety.batch import map_ordered

__all__ = ["file_groups", "local_results", "ray_results", "read_group"]


def _analyze_inherited(key: str, chunk: Chunk) -> ChunkResult:
    """Forked worker entry: the analyzer was built in the parent before the fork."""
    from hegui.corpus.analyze import _ANALYZERS

    return _ANALYZERS[key].run(chunk)


def local_results(
    spec: AnalyzerSpec, chunks: Iterator[Chunk], workers: int
) -> Iterator[ChunkResult]:
    """Results of every chunk in order, from ``workers`` forked processes (1: in-process)."""
    fork = "fork" in multiprocessing.get_all_start_methods()
    fn: Callable[[Chunk], ChunkResult]
    if workers > 1 and fork:
        fn = partial(_analyze_inherited, spec.key)  # the spec itself is not pickled per chunk
    else:
        fn = partial(analyze_chunk, spec)
    return map_ordered(fn, chunks, workers=workers, warm=partial(analyzer_for, spec))


class _RayAnalyzer:
    """One Ray actor: builds the engine once and analyses pickled chunks. Subclassed per scan
    with the spec as a class attribute, so no constructor argument waits in the object store
    (Ray warns about those for restartable actors)."""

    spec: AnalyzerSpec

    def __init__(self) -> None:
        self.analyzer = analyzer_for(self.spec)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        results = [pickle.dumps(self.analyzer.run(pickle.loads(b))) for b in batch["chunk"]]
        return {"result": results}


def file_groups(files: list[InputFile], start: Position, parts: int) -> list[list[int]]:
    """Contiguous groups of file indices (from ``start.file``) with similar byte totals."""
    indices = list(range(start.file, len(files)))
    if not indices:
        return []
    parts = max(1, min(parts, len(indices)))
    target = sum(files[i].size for i in indices) / parts
    groups: list[list[int]] = [[]]
    acc = 0
    for i in indices:
        if groups[-1] and acc >= target and len(groups) < parts:
            groups.append([])
            acc = 0
        groups[-1].append(i)
        acc += files[i].size
    return groups


def read_group(
    files: list[InputFile], start: Position, limit: int, group: list[int]
) -> Iterator[Chunk]:
    """The chunks of one read task: its files in order, the first from ``start`` if it is there."""
    for index in group:
        yield from iter_chunks(files, limit, start, only=index)


def _datasource(files: list[InputFile], start: Position, limit: int, parts: int) -> Any:
    import pyarrow as pa
    from ray.data import Datasource, ReadTask
    from ray.data.block import BlockMetadata

    def read(group: list[int]) -> Iterator[Any]:
        for chunk in read_group(files, start, limit, group):
            yield pa.table({"chunk": pa.array([pickle.dumps(chunk)], type=pa.binary())})

    class FileChunks(Datasource):
        def __init__(self) -> None:
            super().__init__()  # type: ignore[no-untyped-call]  # ray's own __init__ has no hints

        def estimate_inmemory_data_size(self) -> int | None:
            return sum(f.size for f in files[start.file :])

        def get_read_tasks(
            self, parallelism: int, per_task_row_limit: int | None = None, data_context: Any = None
        ) -> list[Any]:
            meta = BlockMetadata(num_rows=None, size_bytes=None, exec_stats=None, input_files=None)
            return [ReadTask(partial(read, g), meta) for g in file_groups(files, start, parts)]

    return FileChunks()


def ray_results(
    spec: AnalyzerSpec,
    files: list[InputFile],
    start: Position,
    limit: int,
    workers: int,
    address: str | None = None,
) -> Iterator[ChunkResult]:
    """Results of every chunk in order, analysed by ``workers`` Ray actors."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise InputError("--engine ray needs Ray Data: pip install 'hegui[corpus-ray]'") from None
    for name in ("ray", "ray.data"):  # Ray's notices would drown the scan's own output
        logging.getLogger(name).setLevel(logging.ERROR)
    # The driver's C++ core worker logs a notice per actor pool (restartable actors with their
    # class in the object store); the Python loggers above do not reach it.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    started = not ray.is_initialized()
    if started:
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
        }
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(num_cpus=workers, **options)
    try:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        source = _datasource(files, start, limit, parts=max(2, workers * 2))
        actor = type("ScanAnalyzer", (_RayAnalyzer,), {"spec": spec})
        ds = ray.data.read_datasource(source, num_cpus=0).map_batches(
            actor,
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
        )
        for row in ds.iter_rows():
            yield pickle.loads(row["result"])
    finally:
        if started:
            ray.shutdown()
