"""The scan end to end on real files: every record accounted for, per-source rules, outputs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.corpus.conftest import TEXTS, corpus_records, read_jsonl, source, write_jsonl


def _outputs(out: Path) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in ("kept.jsonl", "dropped.jsonl", "sample.jsonl")}


def _bad_corpus(tmp_path: Path) -> list[Path]:
    good = corpus_records(60)
    lines: list[Any] = [*good[:10]]
    lines += [
        "{not json",  # line 11
        "[1, 2]",  # 12
        {"id": "no-text", "body": "x"},  # 13
        {"id": "num", "text": 42},  # 14
        {"id": "empty", "text": "   "},  # 15
        {"id": "short", "text": "好"},  # 16
        {"id": "dup", "text": good[0]["text"]},  # 17: exact duplicate of line 1
        {"id": "near", "text": good[5]["text"] + "！"},  # 18: near duplicate of line 6
        "",  # 19: blank, not a record
    ]
    lines += good[10:]
    a = write_jsonl(tmp_path / "a.jsonl", lines)
    with open(a, "ab") as fh:  # a line in neither UTF-8 nor GB18030, and one in GB18030
        fh.write(b'{"id": "bytes", "text": "\xff\xfe\xfd"}\n')
        fh.write(
            json.dumps(
                {"id": "gbk", "text": "这一行是国标编码的，内容正常，长度足够。"},
                ensure_ascii=False,
            ).encode("gb18030")
            + b"\n"
        )
        fh.write(b'{"id": "huge", "text": "' + b"x" * 300_000 + b'"}\n')
    (tmp_path / "empty.jsonl").write_bytes(b"")
    return [a, tmp_path / "empty.jsonl"]


def test_every_record_is_kept_or_dropped_with_its_reasons(scan_dir: Any, tmp_path: Path) -> None:
    paths = _bad_corpus(tmp_path)
    report, out = scan_dir(paths, max_record_bytes=100_000, sample=1000, enforce_limit=False)
    kept, dropped = read_jsonl(out / "kept.jsonl"), read_jsonl(out / "dropped.jsonl")
    total = report["total"]
    assert total["records"] == 60 + 8 + 3 == len(kept) + len(dropped)
    assert total["kept"] == len(kept) and total["dropped"] == len(dropped)
    by_line = {d["line"]: d for d in dropped}
    assert by_line[11]["reasons"] == ["malformed"] and by_line[11]["raw"] == "{not json"
    assert by_line[12]["error"] == "line must be a JSON object"
    assert by_line[13]["error"] == "no 'text' field"
    assert by_line[14]["error"] == "'text' must be a string"
    assert by_line[15]["reasons"] == ["empty"]
    assert by_line[16]["reasons"] == ["too_short"]
    assert by_line[17]["reasons"] == ["exact_duplicate"]
    assert by_line[17]["duplicate_of"] == {"file": str(paths[0]), "line": 1}
    assert by_line[18]["reasons"] == ["near_duplicate"]
    assert by_line[18]["duplicate_of"]["line"] == 6
    assert all(d["file"] == str(paths[0]) and d["reasons"] for d in dropped)
    bytes_line, huge_line = 70, 72
    assert by_line[bytes_line]["reasons"] == ["encoding"]
    assert by_line[huge_line]["reasons"] == ["too_long"]
    assert any(k["id"] == "gbk" for k in kept)
    assert total["encodings"] == {"utf-8": Counter(total["encodings"])["utf-8"], "gb18030": 1}
    problems = report["problems"]["counts"]
    assert problems == {"malformed": 4, "encoding": 1, "too_long": 1}
    examples = report["problems"]["examples"]["malformed"]
    assert [(e["file"], e["line"]) for e in examples] == [
        (str(paths[0]), n) for n in (11, 12, 13, 14)
    ]
    files = {f["path"]: f["records"] for f in report["files"]}
    assert files == {str(paths[0]): 71, str(paths[1]): 0}


def test_engine_verdicts_pii_and_markers_are_counted_per_source(
    scan_dir: Any, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", corpus_records(120))
    report, out = scan_dir([path], enforce_limit=False)
    s = report["sources"][0]
    per_text = 120 // len(TEXTS)
    assert s["checked"] == 120
    assert s["unsafe"]["count"] == per_text  # the explosives request
    assert s["unsafe"]["share"] == round(per_text / 120, 6)
    lo, hi = s["unsafe"]["ci95"]
    assert lo < per_text / 120 < hi
    assert not s["unsafe"]["pass"] and not s["usable"]
    assert s["personal_information"]["count"] == per_text
    assert s["personal_information"]["entities"] == {
        "CN_MOBILE": per_text,
        "EMAIL": per_text,
        "CN_RESIDENT_ID": per_text,
    }
    assert s["markers"] == {"rights_reserved": per_text}
    assert s["dropped_by_reason"] == {"unsafe": per_text, "rights_reserved": per_text}
    assert "A.4.f" in s["risk_codes"] and s["languages"] == {"zh": 100, "en": 20}
    kept = read_jsonl(out / "kept.jsonl")
    redacted = [k for k in kept if k["_hegui"]["pii"]]
    assert len(redacted) == per_text == s["personal_information"]["redacted_records"]
    assert all("13812345678" not in k["text"] for k in redacted)
    dropped = [d for d in read_jsonl(out / "dropped.jsonl") if "unsafe" in d["reasons"]]
    assert all(d["action"] == "block" and d["risks"] for d in dropped)


def test_a_source_over_the_limit_is_not_used(scan_dir: Any, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", corpus_records(60))
    report, out = scan_dir([path])
    s = report["sources"][0]
    assert s["kept"] == 0 and s["dropped_by_reason"]["source_over_limit"] > 0
    assert report["tc260"]["5.1_sources"][0]["pass"] is False
    assert (out / "kept.jsonl").read_bytes() == b"" and (out / "sample.jsonl").read_bytes() == b""


@pytest.mark.parametrize(
    ("pii", "consent", "expect_redacted", "expect_dropped"),
    [
        ("auto", False, True, False),
        ("auto", True, False, False),
        ("redact", True, True, False),
        ("keep", False, False, False),
        ("drop", True, False, True),
    ],
)
def test_personal_information_modes(
    scan_dir: Any,
    tmp_path: Path,
    pii: str,
    consent: bool,
    expect_redacted: bool,
    expect_dropped: bool,
) -> None:
    text = TEXTS[3]
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": 1, "text": text}])
    overrides = {"personal_info": True, "consent_evidence": "consent.pdf"} if consent else {}
    report, out = scan_dir([path], registry={"demo": source(**overrides)}, pii=pii)
    kept = read_jsonl(out / "kept.jsonl")
    if expect_dropped:
        assert kept == [] and report["total"]["dropped_by_reason"] == {"personal_information": 1}
        return
    assert (kept[0]["text"] != text) is expect_redacted
    assert kept[0]["_hegui"]["pii"] == {"CN_MOBILE": 1, "EMAIL": 1, "CN_RESIDENT_ID": 1}


def test_sources_from_a_field_unregistered_and_incomplete(scan_dir: Any, tmp_path: Path) -> None:
    texts = corpus_records(12)
    records = [
        {"id": i, "src": name, "text": texts[i]["text"]}
        for i, name in zip((0, 1, 5, 6), ["good", "partial", "stranger", "good"], strict=True)
    ]
    path = write_jsonl(tmp_path / "m.jsonl", records)
    registry = {"good": source("good"), "partial": source("partial", licence=None)}
    report, _ = scan_dir([path], registry=registry, source_field="src", default_source=None)
    by_id = {s["id"]: s for s in report["sources"]}
    assert by_id["good"]["usable"] and by_id["good"]["kept"] == 2
    assert by_id["partial"]["dropped_by_reason"] == {"source_incomplete": 1}
    assert by_id["partial"]["problems"] == ["register entry lacks licence"]
    assert by_id["stranger"]["dropped_by_reason"] == {"unregistered_source": 1}
    assert not by_id["stranger"]["registered"]


def test_duplicates_across_files_and_chunks_are_found_once(scan_dir: Any, tmp_path: Path) -> None:
    base = corpus_records(600)
    clean = [r for i, r in enumerate(base) if i % len(TEXTS) in (0, 1, 5)]
    a = write_jsonl(tmp_path / "a.jsonl", clean)
    copies = [{"id": f"copy{i}", "text": r["text"]} for i, r in enumerate(clean[:50])]
    near = [{"id": f"near{i}", "text": r["text"] + "！"} for i, r in enumerate(clean[50:80])]
    b = write_jsonl(tmp_path / "b.jsonl", copies + near)
    report, out = scan_dir([a, b], workers=2)
    assert report["total"]["duplicates"] == {"exact": 50, "near": 30}
    dropped = read_jsonl(out / "dropped.jsonl")
    assert {d["record"]["id"] for d in dropped} == {f"copy{i}" for i in range(50)} | {
        f"near{i}" for i in range(30)
    }
    assert len(read_jsonl(out / "kept.jsonl")) == len(clean)


def test_worker_count_does_not_change_any_output(scan_dir: Any, tmp_path: Path) -> None:
    paths = _bad_corpus(tmp_path)
    one, out1 = scan_dir(paths, out=tmp_path / "one", workers=1, max_record_bytes=100_000)
    two, out2 = scan_dir(paths, out=tmp_path / "two", workers=2, max_record_bytes=100_000)
    assert _outputs(out1) == _outputs(out2)
    for key in ("sources", "total", "problems", "files", "sample", "tc260"):
        assert one[key] == two[key]


def test_sample_is_reproducible_and_follows_the_seed(scan_dir: Any, tmp_path: Path) -> None:
    rows = [r for i, r in enumerate(corpus_records(900)) if i % len(TEXTS) in (0, 1, 5)]
    path = write_jsonl(tmp_path / "s.jsonl", rows)
    _, a = scan_dir([path], out=tmp_path / "a", sample=100, seed=1)
    _, b = scan_dir([path], out=tmp_path / "b", sample=100, seed=1)
    _, c = scan_dir([path], out=tmp_path / "c", sample=100, seed=2)
    sample_a = read_jsonl(a / "sample.jsonl")
    assert (a / "sample.jsonl").read_bytes() == (b / "sample.jsonl").read_bytes()
    assert [s["sample_id"] for s in sample_a] == list(range(1, 101))
    assert {s["id"] for s in sample_a} != {s["id"] for s in read_jsonl(c / "sample.jsonl")}
    kept_ids = {k["id"] for k in read_jsonl(a / "kept.jsonl")}
    assert {s["id"] for s in sample_a} <= kept_ids
    assert all(s["verdict"] is None and s["text"] for s in sample_a)


def test_report_html_shows_the_numbers(scan_dir: Any, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", corpus_records(60))
    report, out = scan_dir([path], enforce_limit=False)
    html = (out / "report.html").read_text(encoding="utf-8")
    share = report["sources"][0]["unsafe"]["share"]
    assert f"{share:.2%}" in html
    assert "<svg" in html and "CN_MOBILE" in html and "§9.2" in html
    assert "<script" not in html


def test_a_rerun_of_a_finished_scan_returns_its_report(scan_dir: Any, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", corpus_records(12))
    first, out = scan_dir([path], enforce_limit=False)
    again, _ = scan_dir([path], out=out, enforce_limit=False)
    assert again == first
