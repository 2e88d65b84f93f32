"""``hegui label`` / ``hegui verify`` end to end: exit codes, JSON, and bad input that must leave
the original untouched."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hegui.cli import main
from hegui.labeling.provider import DEMO_PRODUCER

from .media import image, make, wav

TENCENT = "001191440300708461136T1XGW3"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


@pytest.fixture(autouse=True)
def _no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray hegui.toml
    for key in list(os.environ):
        if key.startswith("HEGUI_"):
            monkeypatch.delenv(key)


def test_label_then_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.png"
    src.write_bytes(image("PNG", 64, 64))
    code, out, _ = run(
        capsys, "label", str(src), "--out", str(tmp_path / "out.png"), "--producer", TENCENT
    )
    assert code == 0
    written = json.loads(out)
    assert written["label"]["ContentProducer"] == TENCENT and written["format"] == "png"
    code, out, _ = run(capsys, "verify", str(tmp_path / "out.png"))
    assert code == 0
    report = json.loads(out)
    assert report["status"] == "found" and report["wellformed"] is True
    assert list(report["label"]) == [
        "Label",
        "ContentProducer",
        "ProduceID",
        "ReservedCode1",
        "ContentPropagator",
        "PropagateID",
        "ReservedCode2",
    ]
    assert report["label"]["ProduceID"] == written["label"]["ProduceID"]
    assert report["where"][0]["location"] == "png:iTXt:XML:com.adobe.xmp"


def test_demo_code_is_used_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import hegui.labeling.provider as provider

    provider._warned = False
    (tmp_path / "a.txt").write_text("hello\n")
    code, out, err = run(capsys, "label", "a.txt", "--in-place")
    assert code == 0 and json.loads(out)["label"]["ContentProducer"] == DEMO_PRODUCER
    assert "demonstration" in err


def test_config_file_supplies_the_provider_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "hegui.toml").write_text(
        '[labeling]\nuscc = "91110102MAD55U9H0F"\nmodel_code = "0002"\n'
    )
    (tmp_path / "a.wav").write_bytes(wav(0.1))
    code, out, _ = run(capsys, "label", "a.wav", "-o", "b.wav")
    assert (
        code == 0 and json.loads(out)["label"]["ContentProducer"] == "001191110102MAD55U9H0F10002"
    )


def test_verify_exit_codes_and_recursive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "media"
    (folder / "sub").mkdir(parents=True)
    (folder / "plain.wav").write_bytes(wav(0.1))
    assert (
        run(
            capsys,
            "label",
            str(folder / "plain.wav"),
            "-o",
            str(folder / "sub" / "l.wav"),
            "--producer",
            TENCENT,
        )[0]
        == 0
    )
    assert run(capsys, "verify", str(folder / "sub" / "l.wav"))[0] == 0
    assert run(capsys, "verify", str(folder / "plain.wav"))[0] == 1
    code, _, err = run(capsys, "verify", str(folder))
    assert code == 2 and "--recursive" in err
    code, out, _ = run(capsys, "verify", "--recursive", "--json", str(folder))
    statuses = {Path(r["file"]).name: r["status"] for r in json.loads(out)}
    assert code == 1 and statuses == {"plain.wav": "none", "l.wav": "found"}
    (folder / "bad.md").write_text("---\nAIGC:\n  Label: 7\n---\n")
    assert run(capsys, "verify", "-r", str(folder))[0] == 3
    (folder / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\nxx")
    code, out, _ = run(capsys, "verify", str(folder / "junk.png"))
    assert code == 2 and json.loads(out)["status"] == "error"


def test_propagate_adds_platform_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.md").write_text("# hi\n")
    run(capsys, "label", "a.md", "-o", "b.md", "--producer", TENCENT)
    first = json.loads(run(capsys, "verify", "b.md")[1])["label"]
    platform = "001191440300708461136T2XGW3"
    code, _, _ = run(capsys, "label", "b.md", "-o", "c.md", "--propagate", platform)
    assert code == 0
    after = json.loads(run(capsys, "verify", "c.md")[1])["label"]
    assert after["ContentPropagator"] == platform and after["PropagateID"] != first["PropagateID"]
    assert {k: after[k] for k in ("Label", "ContentProducer", "ProduceID")} == {
        k: first[k] for k in ("Label", "ContentProducer", "ProduceID")
    }
    code, _, err = run(capsys, "label", "a.md", "-o", "d.md", "--propagate", platform)
    assert code == 2 and "no well-formed label" in err


def _unchanged(path: Path, before: bytes) -> None:
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".hegui-tmp")]


@pytest.mark.parametrize(
    ("name", "content", "extra", "message"),
    [
        ("cut.png", lambda: image("PNG", 64, 64)[:300], [], "truncated"),
        ("cut.mp4", lambda: make("mp4", 1)[1][:5000], [], "MP4"),
        ("corrupt.jpg", lambda: b"\xff\xd8\xff" + bytes(200), [], "JPEG"),
        ("fake.png", lambda: b"hello world", [], "not PNG"),
        ("big.wav", lambda: wav(0.5), ["--config", "limit.toml"], "limit"),
        ("bad.md", lambda: b"---\nAIGC:\n  Label: 1\n---\nbody\n", [], "malformed label"),
    ],
)
def test_bad_input_is_a_clear_error_and_the_original_is_untouched(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content,
    extra: list[str],
    message: str,
) -> None:
    (tmp_path / "limit.toml").write_text("[labeling]\nmax_file_bytes = 1000\n")
    path = tmp_path / name
    before = content()
    path.write_bytes(before)
    code, out, err = run(capsys, "label", str(path), "--in-place", "--producer", TENCENT, *extra)
    assert code == 2 and out == ""
    assert err.startswith("hegui: error:") and message in err and err.count("\n") == 1
    _unchanged(path, before)


def test_existing_malformed_label_can_be_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.md"
    path.write_text("---\nAIGC:\n  Label: 1\n---\nbody\n")
    assert run(capsys, "label", str(path), "--in-place", "--force", "--producer", TENCENT)[0] == 0
    assert json.loads(run(capsys, "verify", str(path))[1])["status"] == "found"
    assert path.read_text().endswith("---\nbody\n")


def test_read_only_target_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ro.png"
    before = image("PNG", 16, 16)
    path.write_bytes(before)
    path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    try:
        code, _, err = run(capsys, "label", str(path), "--in-place", "--producer", TENCENT)
        assert code == 2 and "read-only" in err
        _unchanged(path, before)
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_out_and_in_place_are_exclusive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("x")
    assert run(capsys, "label", "a.txt")[0] == 2
    assert run(capsys, "label", "a.txt", "--in-place", "-o", "b.txt")[0] == 2


def test_console_script_cold_start(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x\n")
    proc = subprocess.run(
        [sys.executable, "-m", "hegui.cli", "verify", str(tmp_path / "a.txt")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1 and json.loads(proc.stdout)["status"] == "none"


def test_watermark_and_explicit_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.png").write_bytes(image("PNG", 256, 256))
    code, out, _ = run(
        capsys, "label", "a.png", "-o", "b.png", "--producer", TENCENT, "--explicit", "--watermark"
    )
    assert code == 0
    code, out, _ = run(capsys, "verify", "--watermark", "b.png", "a.png")
    labelled, plain = (json.loads(line) for line in out.splitlines())
    assert code == 1 and labelled["status"] == "found" and plain["status"] == "none"
    assert labelled["watermark"]["present"] is True
    assert labelled["watermark"]["false_positive_rate"] < 1e-9
