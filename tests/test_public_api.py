"""Each package declares its public surface in ``__all__``, naming only real attributes, once."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


_DECLARES_ALL = re.compile(r"^__all__\s*[:=]", re.MULTILINE)


def _modules_with_all() -> list[str]:
    """Every module of the package that declares ``__all__`` at top level (found without
    importing or parsing it: every xdist worker runs this while collecting)."""
    names = []
    for path in sorted((SRC / "hegui").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        if _DECLARES_ALL.search(path.read_text(encoding="utf-8")):
            parts = path.relative_to(SRC).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _modules_with_all()


def test_every_package_declares_its_public_surface() -> None:
    packages = {
        ".".join(p.relative_to(SRC).parts[:-1])
        for p in (SRC / "hegui").rglob("__init__.py")
        if "migrations" not in p.parts and not any(part.startswith("_") for part in p.parts[-2:-1])
    }
    assert packages - set(MODULES) == set(), sorted(packages - set(MODULES))


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # an optional extra that is not installed (c2pa, ray)
        pytest.skip(f"{name}: {exc}")
    exported = module.__all__
    assert len(set(exported)) == len(exported), name
    for attr in exported:
        assert hasattr(module, attr), f"{name}.{attr}"


def test_taxonomy_has_31_standard_risks_and_17_in_keyword_scope() -> None:
    from hegui import taxonomy

    standard = [code for code in taxonomy.RISKS if code.startswith("A.")]
    assert len(standard) == 31
    assert len(taxonomy.keyword_scope()) == 17
    assert {taxonomy.get(c).keyword_minimum for c in ("A.1.a", "A.2.i", "A.3.a")} == {200, 100, 0}
    with pytest.raises(taxonomy.UnknownRiskCodeError):
        taxonomy.get("A.6.a")
