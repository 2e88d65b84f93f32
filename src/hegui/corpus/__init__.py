"""Training-data governance: the source register, the corpus scan and the manual review.

Callers import from here and nothing deeper::

    from hegui.corpus import ScanJob, ScanOptions, open_scan, run_scan, add_source

The register's rules (:mod:`hegui.corpus.registry`), scans in the store
(:mod:`hegui.corpus.scans`) and the review (:mod:`hegui.corpus.review`) are plain functions over
a SQLAlchemy connection; the scan pipeline (:mod:`hegui.corpus.scan`) is plain data in, files
out. Names load lazily so ``hegui check`` does not pay for numpy or SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "ReviewVerdict",
    "ScanJob",
    "ScanOptions",
    "Source",
    "add_source",
    "get_source",
    "list_sources",
    "open_scan",
    "read_verdicts",
    "record_verdicts",
    "run_scan",
    "summarize",
    "update_source",
]

_WHERE = {
    "ReviewVerdict": "hegui.corpus.review",
    "ScanJob": "hegui.corpus.scan",
    "ScanOptions": "hegui.corpus.analyze",
    "Source": "hegui.corpus.registry",
    "add_source": "hegui.corpus.registry",
    "get_source": "hegui.corpus.registry",
    "list_sources": "hegui.corpus.registry",
    "open_scan": "hegui.corpus.scan",
    "read_verdicts": "hegui.corpus.review",
    "record_verdicts": "hegui.corpus.review",
    "run_scan": "hegui.corpus.scan",
    "summarize": "hegui.corpus.review",
    "update_source": "hegui.corpus.registry",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'hegui.corpus' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
