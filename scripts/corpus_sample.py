"""Build the sample corpus of ``docs/corpus.md`` from ``../shared/data`` (never committed).

    python scripts/corpus_sample.py --out sample-corpus [--data ../shared/data/raw]

Five sources in five shapes, so the walkthrough meets every reader of ``hegui corpus scan``:

=====================  =========================================  ==============================
folder                 from (licence)                             shape
=====================  =========================================  ==============================
cold-weibo/            COLD train + dev comments (Apache-2.0)     JSONL, gzip
crosswoz-dialogues/    CrossWOZ dialogues (Apache-2.0)            JSONL, zstd; phone numbers
kdconv-chat/           KdConv dialogues (Apache-2.0)              JSONL, one file per domain
jade-answers/          JADE-DB v3 unsafe answers (MIT)            JSONL in GB18030
self-instruct-en/      Self-Instruct seed tasks (Apache-2.0)      Parquet, English
=====================  =========================================  ==============================
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "raw"


def _jsonl(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8") -> bytes:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    return data


def cold(data: Path) -> list[dict[str, Any]]:
    rows = []
    for split in ("train", "dev"):
        with open(data / "cold" / "COLDataset" / f"{split}.csv", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                rows.append(
                    {"id": f"cold-{split}-{row['']}", "text": row["TEXT"], "topic": row["topic"]}
                )
    return rows


def crosswoz(data: Path) -> list[dict[str, Any]]:
    rows = []
    for split in ("val", "test"):
        with zipfile.ZipFile(data / "crosswoz" / f"{split}.json.zip") as z:
            dialogues = json.loads(z.read(f"{split}.json"))
        for key, d in dialogues.items():
            text = "\n".join(f"{m['role']}: {m['content']}" for m in d["messages"])
            rows.append({"id": f"crosswoz-{split}-{key}", "text": text, "type": d.get("type")})
    return rows


def kdconv(data: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    for path in sorted((data / "kdconv").glob("*.json")):
        dialogues = json.loads(path.read_text(encoding="utf-8"))
        rows = [
            {"id": f"{path.stem}-{i}", "text": "\n".join(m["message"] for m in d["messages"])}
            for i, d in enumerate(dialogues)
        ]
        yield path.stem, rows


def jade(data: Path) -> list[dict[str, Any]]:
    rows = []
    for name in ("jade_alignment_medium_zh.csv", "jade_alignment_hard_zh.csv"):
        raw = (data / "jade-db" / "jade-db-v3.0" / name).read_bytes().decode("gb18030")
        for row in csv.DictReader(io.StringIO(raw)):
            rows.append(
                {"id": f"{name[:-4]}-{row['ID']}", "text": row["违规回答"], "question": row["问题"]}
            )
    return rows


def self_instruct(data: Path) -> list[dict[str, Any]]:
    rows = []
    for line in (
        (data / "self-instruct" / "seed_tasks.jsonl").read_text(encoding="utf-8").splitlines()
    ):
        task = json.loads(line)
        for k, inst in enumerate(task["instances"]):
            text = f"{task['instruction']}\n{inst['input']}\n{inst['output']}".strip()
            rows.append({"id": f"{task['id']}-{k}", "text": text})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("sample-corpus"))
    parser.add_argument("--data", type=Path, default=DATA)
    a = parser.parse_args()
    out, data = a.out, a.data
    if not data.exists():
        raise SystemExit(f"{data} not found: pass --data with the shared datasets' raw folder")

    (out / "cold-weibo").mkdir(parents=True, exist_ok=True)
    with gzip.open(out / "cold-weibo" / "cold.jsonl.gz", "wb") as fh:
        fh.write(_jsonl(out / "cold-weibo", cold(data)))

    import zstandard

    (out / "crosswoz-dialogues").mkdir(parents=True, exist_ok=True)
    payload = _jsonl(out / "crosswoz-dialogues", crosswoz(data))
    (out / "crosswoz-dialogues" / "crosswoz.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress(payload)
    )

    for domain, rows in kdconv(data):
        (out / "kdconv-chat").mkdir(parents=True, exist_ok=True)
        (out / "kdconv-chat" / f"{domain}.jsonl").write_bytes(_jsonl(out / "kdconv-chat", rows))

    (out / "jade-answers").mkdir(parents=True, exist_ok=True)
    (out / "jade-answers" / "jade-v3.jsonl").write_bytes(
        _jsonl(out / "jade-answers", jade(data), "gb18030")
    )

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = self_instruct(data)
    (out / "self-instruct-en").mkdir(parents=True, exist_ok=True)
    table = pa.table({"id": [r["id"] for r in rows], "text": [r["text"] for r in rows]})
    pq.write_table(table, out / "self-instruct-en" / "seed_tasks.parquet")
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        size = sum(f.stat().st_size for f in folder.iterdir())
        print(f"{folder}: {size:,} bytes")


if __name__ == "__main__":
    main()
