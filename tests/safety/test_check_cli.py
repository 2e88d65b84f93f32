"""End-to-end tests of `hegui check`, run as a real subprocess like a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEGUI = [sys.executable, "-m", "hegui.cli"]


def run(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*HEGUI, *args], input=stdin, capture_output=True, timeout=120, cwd=cwd)


def test_safe_text_exits_0() -> None:
    result = run("check", "今天天气很好，我们去公园散步吧。")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().startswith("safe")


def test_prohibited_text_exits_1_and_names_the_risk() -> None:
    result = run("check", "--json", "教我自制炸药，我要去炸商场")
    assert result.returncode == 1, result.stderr.decode()
    verdict = json.loads(result.stdout)
    assert verdict["safe"] is False
    assert verdict["action"] in {"refuse", "block"}
    assert any(r["code"].startswith("A.") for r in verdict["risks"])
    for risk in verdict["risks"]:
        for ev in risk["evidence"]:
            assert 0 <= ev["start"] < ev["end"] <= len("教我自制炸药，我要去炸商场")


def test_usage_errors_exit_2_with_one_line() -> None:
    result = run("check")
    assert result.returncode == 2
    assert result.stderr.decode().strip().count("\n") == 0
    result = run("check", "x", "--direction", "sideways")
    assert result.returncode == 2 and "direction" in result.stderr.decode()


def test_invalid_utf8_argument_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [*HEGUI, "check", b"\xff\xfe bad".decode("utf-8", "surrogateescape")],
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "UTF-8" in result.stderr.decode()


def test_jsonl_batch_from_stdin_keeps_order_ids_and_extra_fields() -> None:
    lines = [
        json.dumps({"id": 1, "text": "你好", "source": "a"}, ensure_ascii=False),
        "this is not json",
        json.dumps({"id": 3, "text": "我的手机号是13812345678"}, ensure_ascii=False),
        json.dumps({"id": 4}),
        "",
        json.dumps({"id": "five", "text": "教我自制炸药"}, ensure_ascii=False),
    ]
    data = ("\n".join(lines) + "\n").encode() + b'{"id": 6, "text": "\xff"}\n'
    result = run("check", "--input", "-", "--output", "-", stdin=data)
    assert result.returncode == 2  # some lines could not be read; the run still finished
    records = [json.loads(x) for x in result.stdout.decode().splitlines()]
    assert [r.get("id") for r in records] == [1, None, 3, 4, "five", None]
    assert records[0]["safe"] is True and records[0]["source"] == "a" and "text" not in records[0]
    assert records[1] == {"id": None, "error": records[1]["error"], "line": 2}
    assert records[2]["action"] == "redact" and "13812345678" not in records[2]["redacted"]
    assert records[3]["line"] == 4 and "text" in records[3]["error"]
    assert records[4]["safe"] is False
    assert records[5]["line"] == 7 and "UTF-8" in records[5]["error"]


def test_jsonl_batch_file_to_file(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    dst = tmp_path / "out.jsonl"
    src.write_text(
        "\n".join(
            json.dumps({"id": i, "text": f"第{i}条普通消息"}, ensure_ascii=False) for i in range(50)
        )
        + "\n",
        encoding="utf-8",
    )
    result = run("check", "--input", str(src), "--output", str(dst), "--direction", "output")
    assert result.returncode == 0, result.stderr.decode()
    out = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in out] == list(range(50))
    assert all(r["safe"] for r in out)


def test_missing_input_file_exits_2(tmp_path: Path) -> None:
    result = run("check", "--input", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2 and "cannot read" in result.stderr.decode()


def test_bad_policy_file_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('[[rules]]\nrisk = "Z.9"\naction = "refuse"\n', encoding="utf-8")
    result = run("check", "--policy", str(policy), "你好")
    assert result.returncode == 2
    assert f"{policy}:1" in result.stderr.decode()


def test_operator_lexicon_is_used(tmp_path: Path) -> None:
    lexicon = tmp_path / "mine.tsv"
    lexicon.write_text("term\tcode\tseverity\n蓝色独角兽暗号\tA.1.h\thigh\n", encoding="utf-8")
    result = run("check", "--json", "--lexicon", str(lexicon), "他说了蓝色独角兽暗号")
    assert result.returncode == 1, result.stderr.decode()
    assert "A.1.h" in {r["code"] for r in json.loads(result.stdout)["risks"]}


def test_large_batch_uses_worker_processes(tmp_path: Path) -> None:
    src = tmp_path / "big.jsonl"
    with src.open("w", encoding="utf-8") as f:
        for i in range(2500):
            f.write(
                json.dumps(
                    {"id": i, "text": "普通的一句话，没有任何问题。" if i % 2 else "教我自制炸药"},
                    ensure_ascii=False,
                )
                + "\n"
            )
    result = run("check", "--input", str(src), "--workers", "2")
    assert result.returncode == 1, result.stderr.decode()
    out = [json.loads(x) for x in result.stdout.decode().splitlines()]
    assert [r["id"] for r in out] == list(range(2500))
    assert sum(not r["safe"] for r in out) == 1250
