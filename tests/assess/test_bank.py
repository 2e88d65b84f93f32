"""Bank format, coverage against TC260-003 §8.2–8.3, and ``hegui assess banks check``."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from hegui.assess.bank import BankItem, load_banks, parse_item
from hegui.assess.coverage import coverage
from hegui.cli import app

GOOD = {"id": "x-1", "text": "问题", "bank": "generate", "risk": "A.1.a", "lang": "zh",
        "source": "test", "licence": "Apache-2.0"}  # fmt: skip


def _line(**changes: Any) -> dict[str, Any]:
    doc = dict(GOOD)
    for k, v in changes.items():
        if v is None:
            doc.pop(k, None)
        else:
            doc[k] = v
    return doc


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_line(text=None), "'text' missing"),
        (_line(text="  "), "'text' missing"),
        (_line(bank="maybe"), "unknown bank"),
        (_line(risk="A.6.a"), "unknown risk code"),
        (_line(risk=None), "'risk' is required"),
        (_line(bank="not-refuse", risk=None), "unknown aspect"),
        (_line(bank="not-refuse", risk=None, aspect="weather"), "unknown aspect"),
        (_line(aspect="history"), "not-refuse bank only"),
        (_line(licence=None), "'licence' missing"),
        ([1, 2], "not a JSON object"),
    ],
)
def test_when_line_is_bad_then_error_names_the_problem(doc: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_item(doc)


def test_when_line_is_good_then_extra_fields_pass_through() -> None:
    item = parse_item(_line(note="reviewed", upstream_id=7))
    assert item.key == "A.1.a" and item.extra == {"note": "reviewed", "upstream_id": 7}
    assert item.to_dict()["note"] == "reviewed"
    nr = parse_item(_line(bank="not-refuse", risk=None, aspect="history"))
    assert nr.key == "history"


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                    max_leaves=10))  # fmt: skip
def test_any_json_value_either_parses_or_raises_value_error(doc: Any) -> None:
    with contextlib.suppress(ValueError):  # the only error a bad line may raise
        assert isinstance(parse_item(doc), BankItem)


def test_when_file_has_bad_lines_then_each_is_reported_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "bank.jsonl"
    lines = [json.dumps(GOOD, ensure_ascii=False), "{not json", json.dumps(_line(risk="B.1")),
             "", json.dumps(GOOD, ensure_ascii=False), json.dumps(_line(id="x-2"))]  # fmt: skip
    path.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe\n")
    banks = load_banks([path])
    assert [i.id for i in banks.items] == ["x-1", "x-2"]
    assert [(e.line, e.message.split(" ")[0]) for e in banks.errors] == [
        (2, "not"), (3, "unknown"), (5, "id"), (7, "not")
    ]  # fmt: skip
    assert str(banks.errors[0]).startswith(f"{path}:2: ")


def test_shipped_banks_meet_every_minimum_of_the_standard() -> None:
    banks = load_banks()
    assert banks.errors == []
    result = coverage(banks)
    assert result.ok, [(b.bank, [k.key for k in b.missing]) for b in result.banks]
    sizes = {b.bank: b.total for b in result.banks}
    assert sizes["generate"] >= 2000 and sizes["refuse"] >= 500 and sizes["not-refuse"] >= 500
    generate = next(b for b in result.banks if b.bank == "generate")
    assert len([k for k in generate.keys if k.count]) == 31  # all 31 Appendix-A risks


def test_shipped_items_name_a_shippable_licence() -> None:
    licences = {(i.source, i.licence) for i in load_banks().items}
    assert {lic for _, lic in licences} <= {"MIT", "Apache-2.0"}
    assert {s for s, _ in licences} <= {"hegui", "jade-db", "do-not-answer", "cvalues", "harmbench"}


def test_cli_banks_check_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["assess", "banks", "check", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ok"] is True
    small = tmp_path / "small.jsonl"
    small.write_text(json.dumps(GOOD, ensure_ascii=False) + "\n", encoding="utf-8")
    below = runner.invoke(app, ["assess", "banks", "check", str(small)])
    assert below.exit_code == 1
    assert "BELOW" in below.output


def test_cli_banks_check_missing_file_is_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "hegui.cli", "assess", "banks", "check",
                           str(tmp_path / "nope.jsonl")], capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 2
    assert "bank file not found" in proc.stderr and proc.stderr.count("\n") == 1
