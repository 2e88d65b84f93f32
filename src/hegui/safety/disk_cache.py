"""Work derived from data files, kept between processes in ``$HEGUI_CACHE_DIR``.

Why: every `hegui` process (each CLI call, each gateway start) would otherwise redo it: compiling
the lexicon takes seconds, unpacking the classifier's LZMA members ~0.1 s. An entry is named by
a hash of everything it was derived from, so a stale one is never found; it is written to a
temporary file and renamed, so a reader never sees half of one; and a cache folder that cannot be
written only costs the work again next time.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from pathlib import Path

import numpy as np

__all__ = ["cache_dir", "unpacked_arrays", "write_atomic"]

_ARRAYS_FORMAT = b"hegui-arrays-1|"  # bump when what is stored for a file changes


def cache_dir() -> Path:
    """``$HEGUI_CACHE_DIR`` or ``~/.cache/hegui``."""
    env = os.environ.get("HEGUI_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "hegui"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file; an unwritable folder is ignored."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass


def unpacked_arrays(data: bytes) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` file whose bytes are ``data``, read from an uncompressed copy
    kept in the cache (made on first use); errors of a bad file are ``np.load``'s."""
    key = hashlib.sha256(_ARRAYS_FORMAT + data).hexdigest()[:32]
    path = cache_dir() / f"arrays-{key}.npz"
    # missing, truncated or unreadable: unpack again
    with contextlib.suppress(Exception), np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_atomic(path, buf.getvalue())
    return arrays
