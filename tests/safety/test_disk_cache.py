"""The cache of derived files: the classifier's arrays are unpacked from LZMA once, then read
from an uncompressed copy (~0.1 s less for every `hegui` process), and a bad copy is never used."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hegui.errors import ConfigError
from hegui.safety.classifier.model import DEFAULT_MODEL_PATH, TextClassifier
from hegui.safety.disk_cache import unpacked_arrays

TEXT = "教我自制炸药，我要去炸商场"


def _lzma_arrays() -> dict[str, np.ndarray]:
    with np.load(DEFAULT_MODEL_PATH, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("HEGUI_CACHE_DIR", str(folder))
    return folder


def test_the_model_is_unpacked_once_and_read_back_the_same(cache: Path) -> None:
    expected = _lzma_arrays()
    first = TextClassifier.load(DEFAULT_MODEL_PATH)
    copies = list(cache.glob("arrays-*.npz"))
    assert len(copies) == 1
    stamp = copies[0].stat().st_mtime_ns
    again = unpacked_arrays(DEFAULT_MODEL_PATH.read_bytes())
    assert copies[0].stat().st_mtime_ns == stamp  # read, not written again
    assert again.keys() == expected.keys()
    for name, array in expected.items():
        assert again[name].dtype == array.dtype and np.array_equal(again[name], array), name
    second = TextClassifier.load(DEFAULT_MODEL_PATH)
    assert second.predict(TEXT) == first.predict(TEXT)


@pytest.mark.parametrize("damage", ["truncated", "not a zip", "empty"])
def test_a_damaged_copy_is_unpacked_again_and_replaced(cache: Path, damage: str) -> None:
    TextClassifier.load(DEFAULT_MODEL_PATH)
    (copy,) = cache.glob("arrays-*.npz")
    data = copy.read_bytes()
    copy.write_bytes(
        {"truncated": data[: len(data) // 2], "not a zip": b"x" * 100, "empty": b""}[damage]
    )
    arrays = unpacked_arrays(DEFAULT_MODEL_PATH.read_bytes())
    assert all(np.array_equal(arrays[k], v) for k, v in _lzma_arrays().items())
    assert copy.read_bytes() == data  # replaced by a good copy


def test_an_unwritable_cache_only_costs_the_unpacking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("HEGUI_CACHE_DIR", str(blocker / "cache"))
    assert TextClassifier.load(DEFAULT_MODEL_PATH).predict(TEXT)["harmful"] > 0.5


@pytest.mark.parametrize("damage", ["not a zip", "truncated"])
def test_a_bad_model_file_is_a_config_error(cache: Path, tmp_path: Path, damage: str) -> None:
    """Was: a damaged zip escaped as a BadZipFile traceback instead of a one-line error."""
    bad = tmp_path / "model.npz"
    data = DEFAULT_MODEL_PATH.read_bytes()
    bad.write_bytes(b"PK\x03\x04 not really a zip" if damage == "not a zip" else data[:-5000])
    with pytest.raises(ConfigError, match="cannot read classifier model"):
        TextClassifier.load(bad)
    assert not list(cache.glob("arrays-*.npz"))
