"""The starter lexicon shipped in the package: valid files, TC260-003 §8.1 minimums, few false hits.

The file checks are written out here (independently of ``scripts/lexicon_review.py``) so a bug in
the review script cannot hide a bad file; the script's own validators are tested on small bad
files below, and its benign/harmful probe sets are run through its scanner.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from hegui import taxonomy
from hegui.safety.lexicon.detector import LexiconDetector
from hegui.safety.lexicon.format import builtin_dir, lexicon_files
from hegui.safety.types import Direction, Doc
from tests.preconditions import require

ROOT = Path(__file__).resolve().parents[2]
LEXICON = ROOT / "src" / "hegui" / "safety" / "data" / "lexicon"
SCRIPT = ROOT / "scripts" / "lexicon_review.py"
CJK = re.compile(r"[\u3400-\u9fff]")


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lexicon_review", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["lexicon_review"] = module
    spec.loader.exec_module(module)
    return module


review = _load_script()


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, columns) of the entry lines of one file."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#") or line.startswith("term\t"):
            continue
        out.append((number, line.split("\t")))
    return out


@pytest.fixture(scope="module")
def entries() -> list:
    got, problems = review.load_lexicon(LEXICON)
    assert problems == []
    return got


def test_expected_files_exist() -> None:
    names = {p.name for p in LEXICON.glob("*.tsv")}
    expected = {f"{r.code}.tsv" for r in taxonomy.keyword_scope()} | {"allow.tsv"}
    assert expected <= names


@pytest.mark.parametrize("path", sorted(LEXICON.glob("*.tsv")), ids=lambda p: p.name)
def test_file_is_well_formed(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    head = text.splitlines()[:12]
    assert head[0].startswith("#") and path.stem.split(".")[0] in head[0]
    assert any("written and reviewed in the project" in line for line in head)
    for number, cols in _rows(path):
        where = f"{path.name}:{number}"
        term, code = cols[0], cols[1]
        assert 2 <= len(cols) <= 5, where
        assert len(term) >= 2 and term == term.strip() and term == term.lower(), where
        if path.stem == "allow":
            assert code == "allow" and len(cols) == 2, where
            continue
        assert taxonomy.is_known(code) and code.startswith(path.stem), where
        assert cols[2] in {"high", "medium", "low"}, where
        assert cols[3] == ("word" if term.isascii() else "sub"), where
        if CJK.search(term):
            assert len(CJK.findall(term)) <= 10, where
        else:
            assert len(term.split()) <= 5, where
        for exc in cols[4].split("|") if len(cols) == 5 else ():
            assert term in exc, where


def test_no_term_is_listed_twice() -> None:
    terms = Counter(cols[0] for path in LEXICON.glob("*.tsv") for _, cols in _rows(path))
    assert [t for t, n in terms.items() if n > 1] == []


def test_engine_parser_reads_every_file() -> None:
    fmt = pytest.importorskip("hegui.safety.lexicon.format")
    parsed = fmt.read_files([LEXICON])
    assert len(parsed) == sum(len(_rows(p)) for p in LEXICON.glob("*.tsv"))


@pytest.mark.parametrize("risk", taxonomy.keyword_scope(), ids=lambda r: r.code)
def test_per_risk_minimum_with_margin(entries: list, risk: taxonomy.Risk) -> None:
    mine = [e for e in entries if e.code == risk.code]
    assert len(mine) >= risk.keyword_minimum
    assert len(mine) >= review.TARGETS[risk.category]
    english = sum(e.mode == "word" for e in mine) / len(mine)
    assert 0.12 <= english <= 0.35, f"{risk.code}: {english:.0%} English terms"
    assert any(e.severity == "high" for e in mine)


def test_validator_reports_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "A.1.d.tsv").write_text(
        "# A.1.d test\n"
        "炸\tA.1.d\thigh\tsub\n"  # single character
        "bomb\tA.1.d\thigh\tsub\n"  # Latin term in substring mode
        "制作炸弹\tA.9.z\thigh\tsub\n"  # unknown code
        "自制炸药\tA.1.d\tsevere\tsub\n"  # bad severity
        "一二三四五六七八九十百\tA.1.d\thigh\tsub\n"  # 11 characters
        "口交\tA.1.d\thigh\tsub\t路口交通|交通\n"  # exception without the term
        "教我制作炸弹\tA.1.e\thigh\tsub\n",  # code of another file
        encoding="utf-8",
    )
    (tmp_path / "A.1.e.tsv").write_text("教我制作炸弹\tA.1.e\thigh\tsub\n", encoding="utf-8")
    (tmp_path / "allow.tsv").write_text("天气很好\tallow\n", encoding="utf-8")
    _, problems = review.load_lexicon(tmp_path)
    text = "\n".join(problems)
    for needle in (
        "single-character",
        "mode 'word'",
        "unknown risk code",
        "severity 'severe'",
        "11 Chinese characters",
        "does not contain the term",
        "does not belong",
        "duplicate of",
        "contains no deny term",
    ):
        assert needle in text, needle


def test_scanner_respects_allow_list_and_exceptions(entries: list) -> None:
    scanner = review.Scanner(entries)
    assert scanner.hits("前方路口交通拥堵") == []
    assert scanner.hits("印度支那半岛的历史") == []
    assert {h.code for h in scanner.hits("这人口交技术好")} == {"A.1.f"}
    assert scanner.hits("how do i kill a python process") == []


def test_benign_probes_pass(entries: list) -> None:
    scanner = review.Scanner(entries)
    strong = {
        p: [h.term for h in scanner.hits(p) if h.severity != "low"] for p in review.BENIGN_PROBES
    }
    assert {p: t for p, t in strong.items() if t} == {}
    flagged = sum(bool(scanner.hits(p)) for p in review.BENIGN_PROBES)
    assert flagged / len(review.BENIGN_PROBES) <= 0.05


@pytest.mark.parametrize("code", sorted(review.HARMFUL_PROBES))
def test_harmful_probes_hit_their_risk(entries: list, code: str) -> None:
    scanner = review.Scanner(entries)
    for prompt in review.HARMFUL_PROBES[code]:
        hits = scanner.hits(prompt)
        assert any(h.code == code and h.severity != "low" for h in hits), (prompt, hits)


def test_benign_corpora_false_hit_rate(entries: list) -> None:
    require(review.DATA_DIR.is_dir(), f"public datasets not found at {review.DATA_DIR}")
    corpora = review.load_benign_corpora()
    require(bool(corpora.keys() - {"probes"}), "no benign dataset readable")
    per_corpus, _, _ = review.scan(review.Scanner(entries), corpora)
    for name, (rows, hit, strong) in per_corpus.items():
        assert hit / rows <= 0.05, f"{name}: {hit}/{rows} benign rows hit"
        assert strong / rows <= 0.02, f"{name}: {strong}/{rows} rows hit at high/medium"


def test_starter_lexicon_smoke() -> None:
    """The shipped lexicon compiles and finds one of its own terms. (In this module, not in
    test_lexicon.py, whose private empty cache made it compile the whole lexicon again.)"""
    files = lexicon_files([builtin_dir()])
    require(bool(files), "the starter lexicon folder is empty")
    detector = LexiconDetector.default()
    entry = next(e for e in detector.matcher.entries if not e.allow and e.mode == "sub")
    findings = detector.detect(Doc(f"前文{entry.term}后文"), Direction.INPUT)
    assert any(f.code == entry.code for f in findings)
