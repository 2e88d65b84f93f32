"""Readers: every format, compression and encoding; bad input reported with its line; resume."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import zstandard

from hegui.corpus.readers import (
    FILE_DONE,
    Position,
    Raw,
    discover,
    iter_chunks,
    read_file,
    source_prefix,
)
from hegui.errors import InputError

LIMIT = 1 << 20


def _read(path: Path, limit: int = LIMIT) -> list[Raw]:
    files, skipped = discover([str(path)])
    assert not skipped
    return list(read_file(files[0], 0, limit))


def _jsonl(records: list[dict[str, object]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def test_jsonl_lines_keep_their_numbers_and_skip_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"text": "one"}\r\n\n   \n{"text": "two"}\n{"text": "three"}')
    raws = _read(path)
    assert [r.line for r in raws] == [1, 4, 5]
    assert raws[0].payload == b'{"text": "one"}\r'
    assert raws[-1].end == path.stat().st_size


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst", ".ndjson"])
def test_compressed_jsonl(tmp_path: Path, suffix: str) -> None:
    data = _jsonl([{"text": f"第{i}行"} for i in range(1000)])
    path = tmp_path / f"a{suffix}"
    if suffix.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    elif suffix.endswith(".zst"):
        path.write_bytes(zstandard.ZstdCompressor().compress(data))
    else:
        path.write_bytes(data)
    raws = _read(path)
    assert len(raws) == 1000
    assert json.loads(raws[999].payload)["text"] == "第999行"  # type: ignore[arg-type]


def test_line_over_the_limit_is_reported_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    big = b'{"text": "' + b"x" * 5000 + b'"}\n'
    path.write_bytes(b'{"text": "a"}\n' + big + b'{"text": "b"}\n' + big[:-1])
    raws = _read(path, limit=1000)
    assert [r.line for r in raws] == [1, 2, 3, 4]
    assert raws[1].payload is None and raws[1].problem is not None
    assert raws[1].problem[0] == "too_long" and "5,013 bytes" in raws[1].problem[1]
    assert raws[2].payload == b'{"text": "b"}'
    assert raws[3].problem is not None and raws[3].problem[0] == "too_long"


def test_csv_in_gb18030_with_multiline_fields_and_short_rows(tmp_path: Path) -> None:
    path = tmp_path / "jade.csv"
    text = 'ID,问题,回答\n1,怎么办,"第一行\n第二行"\n2,只有两列\n3,好的,可以\n'
    path.write_bytes(text.encode("gb18030"))
    raws = _read(path)
    assert raws[0].payload == {"ID": "1", "问题": "怎么办", "回答": "第一行\n第二行"}
    assert raws[0].encoding == "gb18030"
    assert raws[1].problem == ("malformed", "row has 2 fields, the header has 3")
    assert raws[1].line == 4
    assert raws[2].payload == {"ID": "3", "问题": "好的", "回答": "可以"}


def test_csv_line_in_neither_encoding_is_reported_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "mixed.tsv"
    path.write_bytes(
        "id\ttext\n1\tutf-8 行\n".encode() + b"2\t\xff\xfe\xfd\n" + "3\tgbk 行\n".encode("gb18030")
    )
    raws = _read(path)
    assert [r.problem[0] if r.problem else r.payload["text"] for r in raws] == [  # type: ignore[index]
        "utf-8 行",
        "encoding",
        "gbk 行",
    ]
    assert raws[1].line == 3


def test_parquet_rows_and_resume_by_row(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "a.parquet"
    table = pa.table({"id": list(range(2500)), "text": [f"文本{i}" for i in range(2500)]})
    pq.write_table(table, path, row_group_size=1000)
    files, _ = discover([str(path)])
    rows = list(read_file(files[0], 0, LIMIT))
    assert len(rows) == 2500 and rows[-1].payload == {"id": 2499, "text": "文本2499"}
    resumed = list(read_file(files[0], 0, LIMIT, Position(0, 1700, 1700)))
    assert [r.line for r in resumed] == list(range(1701, 2501))


def test_json_array_and_text_documents(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("一篇文章。\n第二段。", encoding="utf-8")
    (tmp_path / "docs" / "b.md").write_bytes("国标编码的文档".encode("gb18030"))
    (tmp_path / "docs" / "empty.txt").write_text("")
    (tmp_path / "docs" / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / "docs" / ".hidden.txt").write_text("skip me")
    (tmp_path / "arr.json").write_text(json.dumps([{"text": "x"}, 3, {"text": "y"}]))
    files, skipped = discover([str(tmp_path / "docs"), str(tmp_path / "arr.json")])
    assert [Path(f.path).name for f in files] == ["a.txt", "b.md", "empty.txt", "arr.json"]
    assert skipped == [(str(tmp_path / "docs" / "notes.pdf"), "unsupported file type")]
    raws = [r for i, f in enumerate(files) for r in read_file(f, i, LIMIT)]
    assert raws[0].payload == {"id": files[0].path, "text": "一篇文章。\n第二段。"}
    assert raws[1].encoding == "gb18030"
    assert [r.problem for r in raws[2:]] == [None, ("malformed", "item 2 is not an object"), None]


def test_truncated_gzip_ends_the_file_with_a_problem_record(tmp_path: Path) -> None:
    data = gzip.compress(_jsonl([{"text": f"line {i} " + "x" * 50} for i in range(5000)]))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    raws = _read(path)
    assert 0 < len(raws) < 5001
    assert raws[-1].problem is not None and raws[-1].problem[0] == "unreadable_file"
    assert raws[-1].end == FILE_DONE
    assert raws[-1].line == raws[-2].line + 1


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".csv.zst"])
def test_resuming_from_any_record_reads_exactly_the_rest(tmp_path: Path, suffix: str) -> None:
    rows = [{"id": i, "text": f"记录 {i}"} for i in range(300)]
    if suffix.startswith(".csv"):
        data = ("id,text\n" + "".join(f'{r["id"]},"{r["text"]}"\n' for r in rows)).encode()
    else:
        data = _jsonl(rows)
    if suffix.endswith(".gz"):
        data = gzip.compress(data)
    elif suffix.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    (tmp_path / f"a{suffix}").write_bytes(data)
    (tmp_path / "b.jsonl").write_bytes(_jsonl(rows[:7]))
    files, _ = discover([str(tmp_path)])
    everything = [(c.raws, c.end) for c in iter_chunks(files, LIMIT, max_records=1)]
    flat = [raws[0] for raws, _ in everything]
    for k in (0, 1, 150, 299, 300, len(flat) - 1):
        rest = [r for c in iter_chunks(files, LIMIT, everything[k][1]) for r in c.raws]
        assert [(r.file, r.line, r.payload) for r in rest] == [
            (r.file, r.line, r.payload) for r in flat[k + 1 :]
        ]


def test_source_prefix_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text('{"text": "a"}\n')
    assert source_prefix(f"weibo-2024={tmp_path}") == "weibo-2024"
    assert source_prefix(str(tmp_path)) is None
    files, _ = discover([f"weibo-2024={tmp_path}"])
    assert files[0].source == "weibo-2024"
    with pytest.raises(InputError, match="no such file or folder"):
        discover([str(tmp_path / "missing")])
