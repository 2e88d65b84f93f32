"""Licence and copyright markers: the same answers from Hyperscan and from the ``re`` fallback."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from hegui.corpus import markers

CASES = [
    # rights reserved, in Chinese and English, glued to Chinese text
    ("本文版权所有，未经许可不得转载。", {"rights_reserved"}),
    ("未经作者书面授权，任何人不得转载本文", {"rights_reserved"}),
    ("严禁转载", {"rights_reserved"}),
    (
        "Copyright (c) 2021 Example Ltd. All Rights Reserved.",
        {"rights_reserved", "copyright_notice"},
    ),
    ("©2020 某某公司", {"copyright_notice"}),
    ("版权归原作者所有", {"copyright_notice"}),
    # licences
    ("本作品采用CC BY-NC-SA 4.0许可", {"noncommercial"}),
    ("licensed under CC-BY-4.0", {"open_licence"}),
    ("Released under CC0.", {"open_licence"}),
    ("SPDX-License-Identifier: Apache-2.0", {"open_licence"}),
    ("Licensed under the Apache License, Version 2.0", {"open_licence"}),
    ("仅限非商业用途", {"noncommercial"}),
    ("转载请注明出处", {"attribution_required"}),
    # look-alikes that are not markers
    ("success and access are ordinary words", set()),
    ("ACCBY is not a licence name", set()),
    ("他复制了一份文件给我", set()),
    ("copyrighted", set()),
    ("普通的新闻报道，没有任何声明。", set()),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_markers_with_hyperscan(text: str, expected: set[str]) -> None:
    assert markers.find_markers(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_markers_without_hyperscan(
    text: str, expected: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_hyperscan(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "hyperscan":
            raise ImportError("hyperscan hidden by the test")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_hyperscan)
    matcher = markers._Matcher()
    assert matcher._db is None
    assert matcher.find(text) == expected


@pytest.mark.parametrize(
    ("basis", "expected"),
    [
        ("public", ["noncommercial", "rights_reserved"]),
        (None, ["noncommercial", "rights_reserved"]),
        ("contract", []),
        ("own", []),
        ("consent", []),
    ],
)
def test_restrictive_markers_count_only_when_the_legal_basis_does_not_cover_them(
    basis: str | None, expected: list[str]
) -> None:
    found = {"rights_reserved", "noncommercial", "open_licence"}
    assert markers.restrictive_applies(found, basis) == expected
