"""``hegui lexicon import``: codes from upstream categories checked by rules, benign pruning,
severity grading and per-term provenance, on tiny lists laid out like the upstream ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hegui.cli import app
from hegui.safety.lexicon.format import builtin_paths, parse_text, read_file
from hegui.safety.lexicon.importer import Candidate, assign_code, curate


def test_category_gives_the_code_and_rules_check_it() -> None:
    assert assign_code(Candidate("出售冰毒", "houbb", "1,4"), "出售冰毒") == ("A.1.h", True)
    assert assign_code(Candidate("成人小电影", "houbb", "2"), "成人小电影") == ("A.1.f", True)
    assert assign_code(Candidate("澳门娱乐城", "houbb", "3"), "澳门娱乐城") == ("A.1.h", True)
    # a porn-tagged term with no porn word in it is not trusted
    assert assign_code(Candidate("办公用品", "houbb", "2"), "办公用品") is None
    # politics: names and other unconfirmed terms keep A.1.a but only flag (confirmed=False)
    assert assign_code(Candidate("某某某", "konsheng", "政治类型"), "某某某") == ("A.1.a", False)
    assert assign_code(Candidate("藏独分子", "konsheng", "反动词库"), "藏独分子") == ("A.1.c", True)
    assert assign_code(Candidate("abc123.com", "konsheng", "非法网址"), "abc123.com") == (
        "A.1.h",
        True,
    )
    assert assign_code(Candidate("食堂涨价", "konsheng", "民生词库"), "食堂涨价") is None


def test_curation_drops_benign_hits_common_words_and_starter_terms() -> None:
    cands = [Candidate(t, "houbb", tag) for t, tag in
             [("出售冰毒", "1"), ("兼职刷单日结", "4"), ("办证刻章", "4"), ("某领导人", "0"),
              ("性爱", "2"), ("推翻政府的口号", "0")]]  # fmt: skip
    kept = curate(cands, {"兼职刷单日结": 2}, {"性爱": 500}, existing={"办证刻章"})
    got = {c.term: (c.code, c.severity, c.sources) for c in kept}
    assert got == {
        "出售冰毒": ("A.1.h", "high", ("houbb:1",)),
        "某领导人": ("A.1.a", "low", ("houbb:0",)),  # flag, never refuse on its own
        "推翻政府的口号": ("A.1.a", "high", ("houbb:0",)),
    }


def test_source_column_is_read_and_optional() -> None:
    (entry,) = parse_text("出售冰毒\tA.1.h\thigh\tsub\t\thoubb:1 konsheng:补充词库\n")
    assert entry.source == "houbb:1 konsheng:补充词库" and entry.exceptions == ()
    assert parse_text("出售冰毒\tA.1.h\n")[0].source == ""


def test_import_command_writes_files_with_provenance(tmp_path: Path) -> None:
    houbb = tmp_path / "houbb"
    houbb.mkdir()
    (houbb / "sensitive_word_tags.txt").write_text(
        "出售麻古片 1,4\n澳门娱乐城 3\n日结兼职 4\n", encoding="utf-8"
    )
    kon = tmp_path / "konsheng/Vocabulary"
    kon.mkdir(parents=True)
    (kon / "涉枪涉爆.txt").write_text(
        "出售仿真枪\n出售麻古片\n", encoding="utf-8"
    )  # 麻古: not a weapon
    (kon / "补充词库.txt").write_text("出售麻古片\n", encoding="utf-8")
    benign = tmp_path / "benign.jsonl"
    benign.write_text(
        json.dumps({"text": "周末找个日结兼职"}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["lexicon", "import", "--out", str(out), "--benign", str(benign),
                                      "--houbb", str(houbb), "--konsheng", str(tmp_path / "konsheng")])  # fmt: skip
    assert result.exit_code == 0, result.output
    entries = {e.term: e for e in read_file(out / "A.1.h.tsv")}
    assert set(entries) == {"出售麻古片", "澳门娱乐城", "出售仿真枪"}, "日结兼职 hit benign text"
    assert entries["出售麻古片"].source == "houbb:1,4 konsheng:补充词库", (
        "only lists whose category fits"
    )


def test_import_without_lists_is_a_clear_error(tmp_path: Path) -> None:
    benign = tmp_path / "b.jsonl"
    benign.write_text("", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["lexicon", "import", "--out", str(tmp_path), "--benign", str(benign)]
    )
    assert result.exit_code != 0


def test_shipped_imported_terms_carry_provenance() -> None:
    folders = builtin_paths()
    if len(folders) < 2:
        pytest.fail("the imported lexicon folder is missing")
    entries = [e for f in sorted(folders[1].glob("*.tsv")) for e in read_file(f)]
    assert len(entries) >= 10_000
    assert all(e.source.startswith(("houbb:", "konsheng:")) for e in entries)
    assert not [e for e in entries if e.code == "A.1.a" and e.severity == "high"
                and not any(k in e.term for k in ("推翻", "打倒", "颠覆", "亡党", "共匪", "共铲", "独"))]  # fmt: skip
