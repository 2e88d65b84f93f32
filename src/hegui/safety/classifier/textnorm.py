"""The normalised form the classifier is trained and run on.

The engine's own normaliser (:mod:`hegui.safety.normalize`) is used whenever it is importable, so
training, ``TextClassifier.predict`` and the engine's ``doc.normalized.text`` all see the same
string. The small fallback here (NFKC, lower case, traditional→simplified, zero-width removal,
separators between CJK characters dropped) only exists so the layer works before that module
lands; the model file records which one it was trained with.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache

__all__ = ["normalize_text", "normalizer_name"]

_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e]")
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(f"(?<=[{_CJK}])[\\s\\-_.·•*|/\\\\~,，、]+(?=[{_CJK}])")


@cache
def _engine_normalizer() -> Callable[[str], str] | None:
    try:
        from hegui.safety.normalize import normalize
    except ImportError:
        return None
    return lambda text: normalize(text).text


@cache
def _t2s() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("t2s").convert


def _fallback(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = _ZERO_WIDTH.sub("", text)
    text = _t2s()(text)
    return _CJK_GAP.sub("", text)


def normalizer_name() -> str:
    """Which normaliser :func:`normalize_text` uses (recorded in the model file)."""
    return "hegui.safety.normalize" if _engine_normalizer() is not None else "fallback"


def normalize_text(text: str, name: str | None = None) -> str:
    """``text`` normalised by ``name`` (a :func:`normalizer_name` value; default: the best one).

    A model records the normaliser it was trained with and is always run with that one, so a
    model trained before the engine's normaliser existed keeps reproducing its metrics.
    """
    engine = _engine_normalizer() if name != "fallback" else None
    if name == "hegui.safety.normalize" and engine is None:
        raise ImportError("the model needs hegui.safety.normalize, which cannot be imported")
    return engine(text) if engine is not None else _fallback(text)
