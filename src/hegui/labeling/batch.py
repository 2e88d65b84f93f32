"""Many files in one call: where each labelled copy goes, and running the work on every core.

``hegui label a.png b.wav … --out-dir DIR`` and ``hegui verify DIR -r`` pay the interpreter's
start-up once, then spread the files over worker processes (``--workers``, default: every core)
and report one JSON line per file, in input order, as soon as it is known. A failure on one file
is that file's line (``{"file": …, "error": …}``); the others go on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from hegui.errors import InputError, LabelError

__all__ = ["expand", "label_one", "plan_targets", "run", "verify_one"]

T = TypeVar("T")
R = TypeVar("R")


def expand(items: Iterable[Path], recursive: bool) -> Iterator[tuple[Path, Path]]:
    """``(file, path relative to what was named)`` for each file; folders need ``recursive``."""
    for item in items:
        if item.is_dir():
            if not recursive:
                raise InputError(f"{item} is a folder; add --recursive to use the files inside")
            for path in sorted(item.rglob("*")):
                if path.is_file() and not any(
                    p.startswith(".") for p in path.relative_to(item).parts
                ):
                    yield path, path.relative_to(item)
        else:
            yield item, Path(item.name)


def plan_targets(
    files: list[Path],
    *,
    out: Path | None,
    out_dir: Path | None,
    in_place: bool,
    recursive: bool,
) -> list[tuple[Path, Path]]:
    """``(source, target)`` pairs, checked before any file is written."""
    chosen = sum(x for x in (out is not None, out_dir is not None, in_place))
    if chosen != 1:
        raise InputError("give exactly one of --out OUT, --out-dir DIR or --in-place")
    pairs = list(expand(files, recursive))
    if not pairs:
        raise InputError("no files to label")
    if out is not None:
        if len(pairs) != 1:
            raise InputError("--out takes one file; use --out-dir DIR for several")
        return [(pairs[0][0], out)]
    if in_place:
        return [(src, src) for src, _rel in pairs]
    assert out_dir is not None
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out-dir {out_dir} is not a folder")
    targets = [(src, out_dir / rel) for src, rel in pairs]
    seen: dict[Path, Path] = {}
    for src, target in targets:
        if target in seen:
            raise InputError(f"{src} and {seen[target]} would both be written to {target}")
        if target.resolve() == src.resolve():
            raise InputError(f"--out-dir would overwrite {src}; use --in-place for that")
        seen[target] = src
    return targets


def label_one(job: tuple[Path, Path, dict[str, Any]]) -> dict[str, Any]:
    """Label one file (in a worker process): the result dict, or the error as a dict."""
    from hegui.labeling import extras
    from hegui.labeling.files import label_file

    src, target, options = job
    options = dict(options)
    explicit, watermark = options.pop("explicit", False), options.pop("watermark", False)
    transform = (
        extras.transform(explicit=explicit, watermark=watermark) if explicit or watermark else None
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return label_file(src, target, transform=transform, **options).to_dict()
    except OSError as exc:
        return {"file": os.fspath(src), "error": f"{target.parent}: {exc.strerror or exc}"}
    except LabelError as exc:
        return {"file": os.fspath(src), "error": str(exc)}


def verify_one(job: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    from hegui.labeling.verify import verify_file

    path, options = job
    return verify_file(path, **options).to_dict()


#: Libraries a format's parser loads on first use; imported once before the workers fork, so
#: each worker does not pay for them again.
_HEAVY = {".pdf": "pypdf", ".md": "yaml", ".markdown": "yaml"}


def warm(paths: Iterable[Path]) -> None:
    """Import, in this process, what the given files' formats will need."""
    import importlib

    from hegui.labeling import carriers, files, verify  # noqa: F401  (the labelling machinery)

    suffixes = {p.suffix.lower() for p in paths}
    for suffix in suffixes:
        name = carriers.SUFFIXES.get(suffix)
        if name is not None:
            carriers.carrier(name)
        if suffix in _HEAVY:
            importlib.import_module(_HEAVY[suffix])


def run(
    fn: Callable[[T], R],
    jobs: list[T],
    *,
    workers: int,
    progress: bool,
    what: str,
    paths: Iterable[Path] = (),
) -> Iterator[R]:
    """``fn`` over ``jobs`` on ``workers`` processes, results in input order, with a progress
    bar on stderr when asked. One worker (or one job) runs in this process; with more, what the
    ``paths``' formats need is imported before the workers fork."""
    if workers > 1 and len(jobs) > 1:
        warm(paths)
    bar, task = _bar(progress, len(jobs), what)
    try:
        if workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                yield fn(job)
                _advance(bar, task)
            return
        chunk = max(1, min(16, len(jobs) // (workers * 4)))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(fn, jobs, chunksize=chunk):
                yield result
                _advance(bar, task)
    finally:
        if bar is not None:
            bar.stop()


def _bar(progress: bool, total: int, what: str) -> tuple[Any, Any]:
    if not progress:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress(
        f"[bold]{what}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    bar.start()
    return bar, bar.add_task(what, total=total)


def _advance(bar: Any, task: Any) -> None:
    if bar is not None:
        bar.advance(task)
