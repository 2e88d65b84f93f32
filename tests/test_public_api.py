"""Each room's public surface is listed in a sorted __all__ that names only real attributes."""

from __future__ import annotations

import importlib

import pytest

MODULES = ["hegui.safety", "hegui.taxonomy", "hegui.errors", "hegui.config", "hegui.safety.types", "hegui.assess"]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert exported == sorted(exported)
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
