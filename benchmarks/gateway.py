"""Gateway benchmark: direct vs bare pass-through proxy vs LiteLLM proxy vs hegui (full moderation).

Every server runs as its own process on loopback: the mock upstream and the load generators share
CPU 0, each proxy gets CPU 1 (``taskset``), as in reference/perf.md §B. Non-stream load uses
``wrk`` with a Lua script that makes every prompt unique (so the input check really runs);
streams and the 10,000-request run use an asyncio + aiohttp client.

Time to first content chunk (TTFC, issue 14): the mock streams a benign Chinese + English answer
one character every 25 ms (40 characters/s, a typical model's pace); each client reads until the
first non-empty ``content`` and hangs up. Bare, hegui with ``stream_hold = "tail"`` (the
default: only the end that could still become a lexicon term or personal information is held)
and hegui with ``stream_hold = "window"`` (the fixed window) take turns in every pass.

    python benchmarks/gateway.py [--with-litellm] [--duration 6] [--out benchmarks/results/gateway.md]
    python benchmarks/gateway.py --ttfc-only --passes 3     # only the TTFC table
    python benchmarks/gateway.py serve-bare --port 9201 --upstream http://127.0.0.1:9100
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
LITELLM_VENV = Path("/tmp/litellm-venv")
LITELLM_KEY = "sk-hegui-bench-0123456789abcdef"
PROMPT = "请用两三句话介绍一下杭州的西湖，以及适合游览的季节。"
# A benign answer (no lexicon term, no personal information), streamed at TTFC_RATE chars/s.
BENIGN_ANSWER = (
    "杭州西湖是中国著名的风景名胜区，以湖光山色和众多历史古迹闻名。West Lake in Hangzhou is"
    " best visited in spring, when the willows turn green along the Su Causeway. 秋天的桂花和"
    "冬天的断桥残雪也很值得一看，傍晚沿着白堤散步最舒服。If you have a free afternoon, take a"
    " small boat to the islands in the middle of the lake and have tea at a lakeside pavilion."
    " 附近的灵隐寺和龙井村也适合半日游，可以顺便品尝当季的新茶。Most sights are within walking"
    " distance, and the public bicycles make it easy to go around the whole lake in a day."
)  # longer than the longest lexicon term, so "window" mode releases before the stream ends
TTFC_RATE = 40  # characters per second


# ---------------------------------------------------------------- the bare pass-through proxy
def bare_proxy(upstream: str) -> Any:
    """Raw ASGI + aiohttp: read body, POST upstream, relay body or stream. No checks at all."""
    import aiohttp

    state: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    state["s"] = aiohttp.ClientSession(
                        connector=aiohttp.TCPConnector(limit=512, keepalive_timeout=4)
                    )
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await state["s"].close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        stream = b'"stream": true' in body or b'"stream":true' in body
        async with state["s"].post(
            upstream + scope["path"], data=body, headers={"content-type": "application/json"}
        ) as r:
            ctype = r.headers.get("content-type", "application/json").encode()
            if not stream:
                data = await r.read()
                await send(
                    {
                        "type": "http.response.start",
                        "status": r.status,
                        "headers": [
                            (b"content-type", ctype),
                            (b"content-length", str(len(data)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": data})
                return
            await send(
                {
                    "type": "http.response.start",
                    "status": r.status,
                    "headers": [(b"content-type", ctype)],
                }
            )
            async for chunk in r.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

    return app


# ---------------------------------------------------------------- processes
def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_http(url: str, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def spawn(
    cmd: list[str], cpu: int, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` pinned to ``cpu``; its output goes to a log file, never to a pipe nobody
    reads (a server's access log would fill the pipe and stall the server mid-benchmark)."""
    log = tempfile.NamedTemporaryFile(prefix="bench-", suffix=".log", delete=False)  # noqa: SIM115
    return subprocess.Popen(
        ["taskset", "-c", str(cpu), *cmd],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def cpu_seconds(pid: int) -> float:
    """user+sys CPU of a process and all its descendants (ticks from /proc).

    Children are listed per thread (``task/*/children``): hegui's usage writer process is
    started from a worker thread, and its CPU belongs to the proxy's cost.
    """
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for children in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in children.read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


# ---------------------------------------------------------------- load
WRK_LUA = """
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{auth}
request = function()
  n = n + 1
  local body = '{{"model": "{model}", "messages": [{{"role": "user", "content": "{prompt} #' .. n .. '-' .. math.random(1, 1000000000) .. '"}}]}}'
  return wrk.format(nil, "{path}", nil, body)
end
"""


def run_wrk(
    url: str, conns: int, duration: float, key: str | None, model: str = "mock-model"
) -> dict[str, float]:
    auth = f'wrk.headers["Authorization"] = "Bearer {key}"' if key else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_LUA.format(auth=auth, model=model, prompt=PROMPT, path="/v1/chat/completions"))
        script = f.name
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "0",
            "wrk",
            "-t1",
            f"-c{conns}",
            f"-d{max(1, round(duration))}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            script,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script)
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)\b", out)
        assert m, out
        res[f"p{pct}"] = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = float(m.group(1)) if m else 0.0
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["errors"] = float(errs.group(1) if errs else 0) + (
        sum(int(x) for x in sock.groups()) if sock else 0
    )
    return res


CONTENT = re.compile(rb'"content": ?"[^"]')


async def _streams(
    url: str, key: str | None, total: int, conc: int, model: str
) -> dict[str, float]:
    import aiohttp

    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    ttfc: list[float] = []
    whole: list[float] = []
    errors = 0
    sem = asyncio.Semaphore(conc)
    body = orjson.dumps(
        {"model": model, "stream": True, "messages": [{"role": "user", "content": PROMPT}]}
    )

    async def one(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        async with sem:
            t0 = time.perf_counter()
            first = None
            buf = b""
            try:
                async with session.post(
                    url + "/v1/chat/completions", data=body, headers=headers
                ) as r:
                    if r.status != 200:
                        errors += 1
                        await r.read()
                        return
                    async for chunk in r.content.iter_any():
                        if first is None:
                            buf += chunk
                            if CONTENT.search(buf):
                                first = time.perf_counter() - t0
                    if b"[DONE]" not in chunk:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
                return
            whole.append(time.perf_counter() - t0)
            if first is not None:
                ttfc.append(first)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc * 2)) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(one(session) for _ in range(total)))
        wall = time.perf_counter() - t0
    q = lambda xs, p: statistics.quantiles(xs, n=100)[p - 1] * 1000 if len(xs) > 2 else float("nan")  # noqa: E731
    return {
        "streams_per_s": len(whole) / wall,
        "ttfc_p50": q(ttfc, 50),
        "ttfc_p99": q(ttfc, 99),
        "total_p50": q(whole, 50),
        "errors": float(errors),
    }


async def _first_content(url: str, key: str | None, total: int, conc: int) -> dict[str, Any]:
    """TTFC of ``total`` benign streams at TTFC_RATE chars/s (``conc`` at a time); each client
    hangs up once its first content chunk is in."""
    import aiohttp

    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    body = orjson.dumps(
        {
            "model": "mock-model",
            "stream": True,
            "messages": [{"role": "user", "content": PROMPT}],
            "mock": {"reply": BENIGN_ANSWER, "chunk_chars": 1, "gap_ms": 1000 / TTFC_RATE},
        }
    )
    firsts: list[float] = []
    errors = 0
    sem = asyncio.Semaphore(conc)

    async def one(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        async with sem:
            t0 = time.perf_counter()
            buf = b""
            try:
                async with session.post(
                    url + "/v1/chat/completions", data=body, headers=headers
                ) as r:
                    if r.status == 200:
                        async for chunk in r.content.iter_any():
                            buf += chunk
                            if CONTENT.search(buf):
                                firsts.append(time.perf_counter() - t0)
                                return
                    errors += 1  # an error status, or a stream without any content
            except aiohttp.ClientError:
                errors += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc * 2)) as session:
        await asyncio.gather(*(one(session) for _ in range(total)))
    return {"ttfc": [x * 1000 for x in firsts], "errors": errors}


def first_content(url: str, key: str | None, total: int, conc: int = 8) -> dict[str, Any]:
    os.sched_setaffinity(0, {0})
    try:
        return asyncio.run(_first_content(url, key, total, conc))
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


def fdatasync_ms(folder: Path, n: int = 40) -> float:
    """p50 of one small append + ``fdatasync`` in ``folder`` (what the usage journal waits for
    per request at c=1: the disk's floor under hegui's added latency)."""
    path = folder / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    times = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            os.write(fd, b"x" * 300)
            os.fdatasync(fd)
            times.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        path.unlink()
    return statistics.median(times) * 1000


async def _many(url: str, key: str | None, total: int, conc: int) -> dict[str, float]:
    import aiohttp

    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    errors = 0
    counter = iter(range(total))

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        for i in counter:
            body = orjson.dumps(
                {"model": "mock-model", "messages": [{"role": "user", "content": f"{PROMPT} #{i}"}]}
            )
            try:
                async with session.post(
                    url + "/v1/chat/completions", data=body, headers=headers
                ) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc)) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(conc)))
        wall = time.perf_counter() - t0
    return {"errors": float(errors), "seconds": wall}


def streams(
    url: str, key: str | None, total: int, conc: int, model: str = "mock-gap2"
) -> dict[str, float]:
    os.sched_setaffinity(0, {0})
    try:
        return asyncio.run(_streams(url, key, total, conc, model))
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


# ---------------------------------------------------------------- setup of each proxy
def start_hegui(
    tmp: Path, upstream: str, port: int, hold: str = "tail"
) -> tuple[subprocess.Popen[bytes], str, str]:
    from hegui.ops import accounts, agreements, keys
    from hegui.ops.records import AgeBand
    from hegui.store.db import open_store

    db = f"sqlite:///{tmp / 'hegui.db'}"
    engine = "" if classifier_available() else "[engine]\nclassifier = false\n\n"
    secret = base64.b64encode(os.urandom(32)).decode()
    (tmp / "hegui.toml").write_text(
        engine
        + f'[store]\nurl = "{db}"\nsecret_key = "{secret}"\n\n[rate_limit]\nrequests_per_minute = 0\n\n'
        f'[labeling]\nuscc = "91350100M000100Y43"\n\n[gateway]\nhealth_interval = 15\n'
        f'stream_hold = "{hold}"\nunchecked_fields = ["mock"]\n',
        encoding="utf-8",
    )
    store = open_store(db)
    try:
        store.write(
            lambda c: agreements.publish_agreement(
                c, "2026-11", "https://example.test/terms", actor="bench"
            )
        )
        acc = store.write(
            lambda c: accounts.create_account(
                c, name="bench", age_band=AgeBand.ADULT, actor="bench"
            )
        )
        store.write(lambda c: agreements.accept_agreement(c, acc.id, actor="bench"))
        key = store.write(lambda c: keys.create_key(c, acc.id, actor="bench")).api_key
    finally:
        store.close()
    hegui = shutil.which("hegui") or "hegui"
    proc = spawn(
        [
            hegui,
            "serve",
            "--config",
            str(tmp / "hegui.toml"),
            "--upstream",
            upstream,
            "--port",
            str(port),
        ],
        1,
        cwd=tmp,
    )
    return proc, key, db


def classifier_available() -> bool:
    try:
        from hegui.safety.classifier import ClassifierDetector

        ClassifierDetector.default()
    except Exception:  # not written yet, or its model file is not trained yet
        return False
    return True


def count_usage(db: str) -> int:
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        return int(conn.execute("select count(*) from usage_records").fetchone()[0])


def start_litellm(tmp: Path, upstream: str, port: int) -> subprocess.Popen[bytes] | None:
    exe = LITELLM_VENV / "bin" / "litellm"
    if not exe.exists():
        print("installing litellm[proxy] into", LITELLM_VENV, file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(LITELLM_VENV)], check=True)
        r = subprocess.run([str(LITELLM_VENV / "bin" / "pip"), "install", "-q", "litellm[proxy]"])
        if r.returncode != 0 or not exe.exists():
            return None
    cfg = tmp / "litellm.yaml"
    cfg.write_text(
        "model_list:\n"
        + "".join(
            f"  - model_name: {m}\n    litellm_params:\n      model: openai/{m}\n      api_base: {upstream}/v1\n      api_key: none\n"
            for m in ("mock-model", "mock-gap2")
        ),
        encoding="utf-8",
    )
    return spawn(
        [str(exe), "--config", str(cfg), "--port", str(port), "--num_workers", "1"],
        1,
        cwd=tmp,
        env={"LITELLM_LOG": "ERROR", "LITELLM_MASTER_KEY": LITELLM_KEY},
    )


STUB_ROW = "hegui, engine stubbed (gateway's own cost)"


def serve_hegui_stub(args: argparse.Namespace) -> None:
    """hegui with every check answering allow at once: isolates the gateway's own overhead."""
    import uvicorn

    from hegui.config import load_settings
    from hegui.gateway.app import create_app, tune_gc
    from hegui.safety.types import Action, Verdict

    class Allow:
        def check(self, text: str, direction: object = "input", context: object = None) -> Verdict:
            return Verdict(safe=True, action=Action.ALLOW, score=0.0)

    settings = load_settings(args.config)
    settings.gateway.upstreams = [args.upstream]
    app = create_app(settings, engine=Allow())
    tune_gc()  # as `hegui serve` does
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


# ---------------------------------------------------------------- main
def measure(
    name: str, url: str, key: str | None, pid: int | None, args: argparse.Namespace
) -> dict[str, Any]:
    print(f"  {name}: warm-up", file=sys.stderr)
    run_wrk(url, 16, 2, key)
    row: dict[str, Any] = {"name": name}
    c0 = cpu_seconds(pid) if pid else 0.0
    one = run_wrk(url, 1, args.duration, key)
    many = run_wrk(url, 64, args.duration, key)
    cpu = (cpu_seconds(pid) - c0) if pid else 0.0
    row.update(
        p50_c1=one["p50"],
        p99_c1=one["p99"],
        rps_c1=one["rps"],
        rps_c64=many["rps"],
        errors=one["errors"] + many["errors"],
        cpu_ms_per_req=(cpu * 1000 / (one["requests"] + many["requests"])) if pid else None,
    )
    print(f"  {name}: streams", file=sys.stderr)
    st = streams(url, key, args.streams, 64)
    row.update(
        ttfc_p50=st["ttfc_p50"],
        ttfc_p99=st["ttfc_p99"],
        stream_total_p50=st["total_p50"],
        streams_per_s=st["streams_per_s"],
        stream_errors=st["errors"],
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description="hegui gateway benchmark")
    ap.add_argument(
        "mode", nargs="?", default="bench", choices=["bench", "serve-bare", "serve-hegui-stub"]
    )
    ap.add_argument("--port", type=int, default=9201)
    ap.add_argument("--upstream", default="http://127.0.0.1:9100")
    ap.add_argument("--with-litellm", action="store_true")
    ap.add_argument("--config", type=Path, help="serve-hegui-stub: the hegui.toml to use")
    ap.add_argument("--duration", type=float, default=6.0)
    ap.add_argument(
        "--passes", type=int, default=3, help="interleaved passes; the table shows medians"
    )
    ap.add_argument("--streams", type=int, default=384)
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument(
        "--ttfc-streams", type=int, default=16, help="benign streams per path per pass (TTFC)"
    )
    ap.add_argument("--ttfc-only", action="store_true", help="measure and print only TTFC")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "gateway.md")
    args = ap.parse_args()
    if args.mode == "serve-hegui-stub":
        serve_hegui_stub(args)
        return
    if args.mode == "serve-bare":
        import uvicorn

        uvicorn.run(
            bare_proxy(args.upstream),
            host="127.0.0.1",
            port=args.port,
            loop="uvloop",
            http="httptools",
            access_log=False,
            log_level="warning",
        )
        return
    tmp = Path(tempfile.mkdtemp(prefix="hegui-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        run_all(tmp, procs, args)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def clone_hegui(tmp: Path, name: str, db: str, edit: dict[str, str] | None = None) -> Path:
    """A folder with a copy of the benchmark database (same account and key) and of hegui.toml,
    with ``edit`` applied to the settings text."""
    folder = tmp / name
    folder.mkdir()
    shutil.copy(Path(db.removeprefix("sqlite:///")), folder / "hegui.db")
    text = (tmp / "hegui.toml").read_text(encoding="utf-8")
    text = text.replace(str(tmp / "hegui.db"), str(folder / "hegui.db"))
    for old, new in (edit or {}).items():
        text = text.replace(old, new)
    (folder / "hegui.toml").write_text(text, encoding="utf-8")
    return folder


def run_all(tmp: Path, procs: list[subprocess.Popen[bytes]], args: argparse.Namespace) -> None:
    """Start every server, measure each in ``passes`` interleaved passes, keep the medians."""
    up_port, bare_port, ours_port, stub_port, lite_port, window_port = (
        free_port() for _ in range(6)
    )
    upstream = f"http://127.0.0.1:{up_port}"
    mock = [sys.executable, str(ROOT / "benchmarks" / "mock_upstream.py"), "--port", str(up_port)]
    procs.append(spawn(mock, 0))
    wait_http(upstream + "/v1/models")
    bare = spawn(
        [sys.executable, __file__, "serve-bare", "--port", str(bare_port), "--upstream", upstream],
        1,
    )
    procs.append(bare)
    ours, key, db = start_hegui(tmp, upstream, ours_port)
    procs.append(ours)
    window_dir = clone_hegui(tmp, "window", db, {'stream_hold = "tail"': 'stream_hold = "window"'})
    hegui = shutil.which("hegui") or "hegui"
    window_cmd = [hegui, "serve", "--config", str(window_dir / "hegui.toml")]
    window_cmd += ["--upstream", upstream, "--port", str(window_port)]
    window = spawn(window_cmd, 1, cwd=window_dir)
    procs.append(window)
    bare_url, ours_url = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{ours_port}"
    window_url = f"http://127.0.0.1:{window_port}"
    targets: list[tuple[str, str, str | None, int | None]] = []
    lite_note = "not run (pass --with-litellm)"
    if not args.ttfc_only:
        stub_dir = clone_hegui(tmp, "stub", db)  # same account and key, its own database
        stub_cmd = [sys.executable, __file__, "serve-hegui-stub"]
        stub_cmd += ["--config", str(stub_dir / "hegui.toml"), "--port", str(stub_port)]
        stub_cmd += ["--upstream", upstream]
        stub = spawn(stub_cmd, 1, cwd=stub_dir)
        procs.append(stub)
        targets = [
            ("direct to mock", upstream, None, None),
            ("bare pass-through (raw ASGI + aiohttp)", bare_url, None, bare.pid),
            ("hegui (full moderation, SQLite store)", ours_url, key, ours.pid),
            (STUB_ROW, f"http://127.0.0.1:{stub_port}", key, stub.pid),
        ]
        if args.with_litellm:
            lite_note = add_litellm(tmp, upstream, lite_port, procs, targets)
        wait_http(f"http://127.0.0.1:{stub_port}/healthz")
    wait_http(f"{bare_url}/v1/models")
    wait_http(f"{ours_url}/healthz")
    wait_http(f"{window_url}/healthz")
    ttfc_targets = [
        ("bare pass-through", bare_url, None),
        ('hegui, stream_hold = "tail" (default)', ours_url, key),
        ('hegui, stream_hold = "window"', window_url, key),
    ]
    for _, url, k in ttfc_targets:  # warm-up: connections, caches
        first_content(url, k, 4, 4)
    passes: dict[str, list[dict[str, Any]]] = {t[0]: [] for t in targets}
    ttfc: dict[str, list[dict[str, Any]]] = {t[0]: [] for t in ttfc_targets}
    for n in range(args.passes):
        for name, url, k, pid in targets:
            print(f"pass {n + 1}/{args.passes}", end=" ", file=sys.stderr)
            passes[name].append(measure(name, url, k, pid, args))
        for name, url, k in ttfc_targets:
            print(f"pass {n + 1}/{args.passes} {name}: TTFC", file=sys.stderr)
            ttfc[name].append(first_content(url, k, args.ttfc_streams))
    sync_ms = fdatasync_ms(tmp)
    ttfc_lines = render_ttfc(ttfc, args)
    if args.ttfc_only:
        report = "\n".join(ttfc_lines) + "\n"
        print(report)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
        return
    rows = [median_row(name, results) for name, results in passes.items()]
    print("  hegui: 10,000-request run", file=sys.stderr)
    time.sleep(2.5)  # let the records of the runs above reach the database first
    before = count_usage(db)
    run = asyncio.run(_many(ours_url, key, args.requests, 64))
    time.sleep(1.5)  # usage records are flushed in the background within a second
    ours.send_signal(2)
    ours.wait(30)
    stored = count_usage(db) - before
    report = render(rows, run, stored, args, lite_note, sync_ms) + "\n" + "\n".join(ttfc_lines)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report + "\n", encoding="utf-8")


def add_litellm(
    tmp: Path,
    upstream: str,
    port: int,
    procs: list[subprocess.Popen[bytes]],
    targets: list[tuple[str, str, str | None, int | None]],
) -> str:
    """Start LiteLLM and add it to ``targets``; a note on how that went."""
    lite = start_litellm(tmp, upstream, port)
    if lite is None:
        return "could not be installed"
    procs.append(lite)
    try:
        wait_http(f"http://127.0.0.1:{port}/health/liveliness", 240)
    except RuntimeError as exc:
        return f"failed to start: {exc}"
    targets.append(("LiteLLM proxy (no checks)", f"http://127.0.0.1:{port}", LITELLM_KEY, lite.pid))
    return "ran"


def render_ttfc(ttfc: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> list[str]:
    """The TTFC table: per path the median over passes of each pass's p50 / p90, and the
    median over passes of (p50 − bare's p50 in the same pass)."""
    names = list(ttfc)
    bare = ttfc[names[0]]

    def pct(values: list[float], p: int) -> float:
        if len(values) < 2:
            return values[0] if values else float("nan")
        return statistics.quantiles(values, n=100, method="inclusive")[p - 1]

    lines = [
        f"### Time to first content chunk: benign answer streamed at {TTFC_RATE} chars/s",
        "",
        f"{args.ttfc_streams} streams per path per pass, 8 at a time, {args.passes} interleaved"
        " passes (medians of the per-pass values). Each client hangs up at its first non-empty"
        " `content`.",
        "",
        "| path | TTFC p50 ms | TTFC p90 ms | p50 − bare ms | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    diffs: dict[str, float] = {}
    for name in names:
        runs = ttfc[name]
        p50 = statistics.median(pct(r["ttfc"], 50) for r in runs)
        p90 = statistics.median(pct(r["ttfc"], 90) for r in runs)
        diff = statistics.median(
            pct(r["ttfc"], 50) - pct(b["ttfc"], 50) for r, b in zip(runs, bare, strict=True)
        )
        diffs[name] = diff
        errors = sum(r["errors"] for r in runs)
        lines.append(f"| {name} | {p50:,.1f} | {p90:,.1f} | {diff:+,.1f} | {errors} |")
    tail = diffs[names[1]]
    lines += [
        "",
        "| target | measured | met |",
        "|---|---|---|",
        f"| TTFC p50 (stream_hold tail) within 150 ms of bare | {tail:+.1f} ms |"
        f" {'yes' if tail <= 150 else '**no**'} |",
    ]
    return lines


def median_row(name: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name}
    for key in results[0]:
        if key == "name":
            continue
        values = [
            r[key] for r in results if r[key] is not None and r[key] == r[key]
        ]  # drop None/NaN
        row[key] = statistics.median(values) if values else None
    row["errors"] = sum(r["errors"] for r in results)
    row["stream_errors"] = sum(r["stream_errors"] for r in results)
    return row


def render(
    rows: list[dict[str, Any]],
    run: dict[str, float],
    stored: int,
    args: argparse.Namespace,
    lite_note: str,
    sync_ms: float,
) -> str:
    direct, bare, ours = rows[0], rows[1], rows[2]
    lite = next((r for r in rows if r["name"].startswith("LiteLLM")), None)
    f = lambda v, d=2: "–" if v is None else f"{v:,.{d}f}"  # noqa: E731
    lines = [
        "# Gateway benchmark",
        "",
        f"Command: `{' '.join(['python', 'benchmarks/gateway.py', *sys.argv[1:]])}` "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores shared with other jobs; "
        f"load average {os.getloadavg()[0]:.2f}). Mock and load generators on CPU 0, each proxy on CPU 1; "
        f"wrk {args.duration:g} s per cell with unique prompts; streams: {args.streams} × 200 chunks, 2 ms gaps, c=64; "
        f"{args.passes} interleaved passes, medians shown (errors summed). "
        f"Engine layers: lexicon + PII{' + classifier' if classifier_available() else ' (classifier layer not installed yet)'}.",
        "",
        "| path | c=1 p50 ms | c=1 p99 ms | c=1 req/s | c=64 req/s | proxy CPU ms/req | TTFC p50 ms | TTFC p99 ms | stream p50 ms | streams/s | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {f(r['p50_c1'], 3)} | {f(r['p99_c1'], 3)} | {f(r['rps_c1'], 0)} | {f(r['rps_c64'], 0)} | "
            f"{f(r['cpu_ms_per_req'], 3)} | {f(r['ttfc_p50'])} | {f(r['ttfc_p99'])} | {f(r['stream_total_p50'], 1)} | "
            f"{f(r['streams_per_s'], 1)} | {int(r['errors'] + r['stream_errors'])} |"
        )
    add50, add99 = ours["p50_c1"] - direct["p50_c1"], ours["p99_c1"] - direct["p99_c1"]
    # time the upstream takes to produce one window (64 one-character chunks) on the bare path
    window_ms = 64 * bare["stream_total_p50"] / 200
    stub = next((r for r in rows if r["name"] == STUB_ROW), None)
    checks = [
        ("added latency c=1 p50 ≤ 1 ms", f"{add50:.3f} ms", add50 <= 1.0),
        ("added latency c=1 p99 ≤ 5 ms", f"{add99:.3f} ms", add99 <= 5.0),
        (
            "c=64 throughput ≥ 50% of bare",
            f"{ours['rps_c64'] / bare['rps_c64']:.0%}",
            ours["rps_c64"] >= 0.5 * bare["rps_c64"],
        ),
        (
            "TTFC p50 within one window of bare",
            f"{ours['ttfc_p50'] - bare['ttfc_p50']:.1f} ms vs window ≈ {window_ms:.0f} ms",
            ours["ttfc_p50"] - bare["ttfc_p50"] <= window_ms,
        ),
        (
            "stream throughput ≥ 70% of bare",
            f"{ours['streams_per_s'] / bare['streams_per_s']:.0%}",
            ours["streams_per_s"] >= 0.7 * bare["streams_per_s"],
        ),
        (
            f"{args.requests:,} requests at c=64: zero errors",
            f"{int(run['errors'])} errors in {run['seconds']:.1f} s",
            run["errors"] == 0,
        ),
        (f"exactly {args.requests:,} usage records", f"{stored:,} stored", stored == args.requests),
    ]
    if (
        stub is not None
        and stub["cpu_ms_per_req"]
        and ours["cpu_ms_per_req"]
        and bare["cpu_ms_per_req"]
    ):
        engine_ms = ours["cpu_ms_per_req"] - stub["cpu_ms_per_req"]
        checks.append(
            (
                "(context) CPU per request: bare / hegui plumbing / engine (2 checks)",
                f"{bare['cpu_ms_per_req']:.3f} / {stub['cpu_ms_per_req']:.3f} / {engine_ms:.3f} ms",
                True,
            )
        )
    checks.append(
        (
            "(context) one append + fdatasync on this disk, p50 (the journal's wait per request)",
            f"{sync_ms:.3f} ms",
            True,
        )
    )
    if lite is not None:
        checks.append(
            (
                "c=64 throughput ≥ 20× LiteLLM",
                f"{ours['rps_c64'] / max(lite['rps_c64'], 1e-9):.1f}×",
                ours["rps_c64"] >= 20 * lite["rps_c64"],
            )
        )
    lines += ["", f"LiteLLM: {lite_note}.", "", "| target | measured | met |", "|---|---|---|"]
    lines += [
        f"| {t} | {m} | {'–' if t.startswith('(context)') else 'yes' if ok else '**no**'} |"
        for t, m, ok in checks
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
