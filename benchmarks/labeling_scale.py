"""Labeling at scale: CLI start-up, 100 files in one call vs the API, MP4 vs an ffmpeg remux,
and peak memory on a 2 GiB video.

Run:  python benchmarks/labeling_scale.py [--big-gib 2] [--files 100]
      (writes benchmarks/results/labeling_scale.md; needs ffmpeg on PATH)

Targets (issue 15): one ``hegui label FILES… --out-dir`` call within 2× the API's time for the
same files; labelling an MP4 within 2× ``ffmpeg -c copy`` of the same file; a 2 GiB file labels
in ≤ 300 MB peak RSS. Wall-clock times, median of the runs (the machine has 2 shared cores).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.labeling.media import audio, docx, image, pdf, text_doc, wav  # noqa: E402

from hegui.labeling import label_file, new_label  # noqa: E402

PRODUCER = "001191440300708461136T1XGW3"
HEGUI = [sys.executable, "-m", "hegui.cli"]
_RSS = """
import json, resource, sys
from hegui.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024), file=sys.stderr)
"""


def _wall(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _run(args: list[str]) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=3600)


def corpus(folder: Path, count: int) -> list[Path]:
    """``count`` everyday files: pictures, audio, documents and text, in turn."""
    makers = [
        (".png", lambda i: image("PNG", 512, 512, seed=i)),
        (".jpg", lambda i: image("JPEG", 1024, 768, seed=i)),
        (".wav", lambda i: wav(2.0, 44100, seed=i)),
        (".mp3", lambda i: audio("libmp3lame", ".mp3", 3)),
        (".pdf", lambda i: pdf(5)),
        (".docx", lambda i: docx(200)),
        (".md", lambda i: text_doc("markdown", 200)),
        (".txt", lambda i: text_doc("text", 200)),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        suffix, make = makers[i % len(makers)]
        path = folder / f"f{i:03d}{suffix}"
        path.write_bytes(make(i))
        paths.append(path)
    return paths


def startup(tmp: Path) -> dict[str, object]:
    probe = tmp / "probe.txt"
    probe.write_text("x\n")
    cold = _wall(lambda: subprocess.run([*HEGUI, "verify", str(probe)], capture_output=True), 5)
    return {"measure": "`hegui verify one.txt` (start-up + one file)", "value": f"{cold:.2f} s"}


def batch_vs_api(tmp: Path, count: int) -> list[dict[str, object]]:
    files = corpus(tmp / "in", count)
    config = tmp / "hegui.toml"
    config.write_text(f'[labeling]\nproducer = "{PRODUCER}"\n')

    def api() -> None:
        out = tmp / "api"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        for path in files:
            label_file(path, out / path.name, label=new_label(producer=PRODUCER, warn=False))

    def cli(workers: int) -> Callable[[], None]:
        def go() -> None:
            out = tmp / f"cli{workers}"
            shutil.rmtree(out, ignore_errors=True)
            _run(
                [
                    *HEGUI,
                    "label",
                    str(tmp / "in"),
                    "-r",
                    "--out-dir",
                    str(out),
                    "--config",
                    str(config),
                    "-j",
                    str(workers),
                ]
            )

        return go

    def one_call_per_file() -> None:
        out = tmp / "each"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        for path in files[:20]:
            _run([*HEGUI, "label", str(path), "-o", str(out / path.name), "--config", str(config)])

    script = (
        "import sys\nfrom pathlib import Path\nfrom hegui.labeling import label_file, new_label\n"
        "out = Path(sys.argv[2])\nout.mkdir(exist_ok=True)\n"
        "for p in sorted(Path(sys.argv[1]).iterdir()):\n"
        f"    label_file(p, out / p.name, label=new_label(producer='{PRODUCER}', warn=False))\n"
    )

    def api_fresh() -> None:
        out = tmp / "fresh"
        shutil.rmtree(out, ignore_errors=True)
        _run([sys.executable, "-c", script, str(tmp / "in"), str(out)])

    api_s, fresh_s = _wall(api), _wall(api_fresh)
    rows = [
        {
            "measure": f"API: `label_file` over {count} files, warm (libraries already imported)",
            "value": f"{api_s:.2f} s",
        },
        {
            "measure": "API: the same loop as a fresh `python -c` script (start-up, imports)",
            "value": f"{fresh_s:.2f} s",
        },
    ]
    for workers in (1, 2):
        t = _wall(cli(workers))
        rows.append(
            {
                "measure": f"CLI: one `hegui label DIR -r --out-dir OUT -j {workers}` call",
                "value": f"{t:.2f} s ({t / api_s:.2f}× warm API, {t / fresh_s:.2f}× script; target ≤ 2×)",
            }
        )
    each = _wall(one_call_per_file, 1) * count / 20
    rows.append(
        {
            "measure": f"CLI: one call per file ({count} calls, extrapolated from 20)",
            "value": f"{each:.1f} s",
        }
    )
    return rows


def big_video(path: Path, gib: float) -> None:
    """A real fast-start MOV of about ``gib`` GiB (raw video, so it is quick to make)."""
    seconds = max(1, round(gib * 1024**3 / (1280 * 720 * 1.5 * 25)))
    _run(
        [
            "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=1280x720:rate=25",
            "-t", str(seconds), "-c:v", "rawvideo", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path),
        ]
    )  # fmt: skip


def mp4_vs_remux(tmp: Path, gib: float) -> list[dict[str, object]]:
    src = tmp / "big.mov"
    big_video(src, gib)
    size = src.stat().st_size

    def ours() -> None:
        _run([*HEGUI, "label", str(src), "-o", str(tmp / "labelled.mov"), "--producer", PRODUCER])

    def remux() -> None:
        _run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                str(src),
                "-map",
                "0",
                "-c",
                "copy",
                str(tmp / "remux.mov"),
            ]
        )

    label_s, remux_s = _wall(ours), _wall(remux)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _RSS,
            "label",
            str(src),
            "-o",
            str(tmp / "rss.mov"),
            "--producer",
            PRODUCER,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rss = json.loads(proc.stderr.strip().splitlines()[-1])
    verify = subprocess.run(
        [sys.executable, "-c", _RSS, "verify", str(tmp / "rss.mov")],
        capture_output=True,
        text=True,
        check=True,
    )
    verify_rss = json.loads(verify.stderr.strip().splitlines()[-1])
    for name in ("labelled.mov", "remux.mov", "rss.mov"):
        (tmp / name).unlink(missing_ok=True)
    gb = size / 1024**3
    return [
        {
            "measure": f"`hegui label` a {gb:.2f} GiB fast-start MOV (moov grows, offsets move)",
            "value": f"{label_s:.2f} s",
        },
        {
            "measure": "`ffmpeg -i IN -map 0 -c copy OUT` of the same file",
            "value": f"{remux_s:.2f} s",
        },
        {"measure": "ratio label / remux (target ≤ 2×)", "value": f"{label_s / remux_s:.2f}×"},
        {
            "measure": f"peak RSS of `hegui label` on the {gb:.2f} GiB file (target ≤ 300 MB)",
            "value": f"{rss / 1e6:.0f} MB",
        },
        {
            "measure": f"peak RSS of `hegui verify` on the labelled {gb:.2f} GiB file",
            "value": f"{verify_rss / 1e6:.0f} MB",
        },
    ]


def _table(rows: list[dict[str, object]]) -> str:
    lines = ["| measure | value |", "|---|---:|"]
    lines += [f"| {r['measure']} | {r['value']} |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--big-gib", type=float, default=2.0, help="0 skips the large video")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hegui-scale-") as tmpdir:
        tmp = Path(tmpdir)
        rows = [startup(tmp), *batch_vs_api(tmp, args.files)]
        if args.big_gib > 0:
            rows += mp4_vs_remux(tmp, args.big_gib)
    command = f"python benchmarks/labeling_scale.py --files {args.files} --big-gib {args.big_gib:g}"
    report = "\n".join(
        [
            "# Labeling at scale",
            "",
            f"Command: `{command}` (wall clock, median of 3; load average {load:.2f} on 2 shared cores"
            " when it started).",
            "",
            _table(rows),
            "",
        ]
    )
    print(report)
    out = ROOT / "benchmarks" / "results" / "labeling_scale.md"
    out.write_text(report, encoding="utf-8")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
