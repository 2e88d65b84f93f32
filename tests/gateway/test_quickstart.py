"""docs/quickstart.md section 2, run as written: its shell lines in bash (``hegui agreement``,
``account``, ``key``, then ``hegui serve`` with the real engine and store), then its Python with
the official ``openai`` client. The upstream plays Ollama: it lists ``qwen2.5:7b`` only, so the
quickstart's ``model="qwen2.5"`` works only through the ``map=*=…`` the page shows."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .netfixtures import PrefixedUpstream
from .servers import ROOT, ServerThread

DOC = ROOT / "docs" / "quickstart.md"
PAGE_UPSTREAM = "http://127.0.0.1:11434"
PAGE_GATEWAY = "http://127.0.0.1:8000/v1"


def _section_two() -> tuple[list[str], str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## 2.", 1)[1].split("\n## 3.", 1)[0]
    shell = re.search(r"```sh\n(.*?)```", section, re.S)
    python = re.search(r"```python\n(.*?)```", section, re.S)
    assert shell and python, "quickstart section 2 lost its code blocks"
    lines = [line.split("  #", 1)[0].strip() for line in shell.group(1).splitlines()]
    return [line for line in lines if line], python.group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_quickstart_section_two_as_written(tmp_path: Path, mock_module: Any) -> None:
    shell, python = _section_two()
    *setup, serve = shell
    assert serve.startswith("hegui serve --upstream") and PAGE_UPSTREAM in serve
    mock = mock_module.MockUpstream("ollama")
    ollama = PrefixedUpstream(mock, "/v1", models=["qwen2.5:7b"])
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HEGUI_") and "proxy" not in k.lower()
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    port = _free_port()
    with ServerThread(ollama) as upstream:
        command = serve.replace(PAGE_UPSTREAM, upstream.url) + f" --port {port}"
        script = "\n".join(["set -e", *setup, 'printf %s "$KEY" > key.txt', f"exec {command}"])
        with (tmp_path / "serve.log").open("wb") as log:
            proc = subprocess.Popen(
                ["bash", "-c", script], cwd=tmp_path, env=env, stdout=log, stderr=log
            )
        try:
            _wait_ready(f"http://127.0.0.1:{port}", proc, tmp_path / "serve.log")
            namespace: dict[str, Any] = {"KEY": (tmp_path / "key.txt").read_text().strip()}
            exec(python.replace(PAGE_GATEWAY, f"http://127.0.0.1:{port}/v1"), namespace)
            r = namespace["r"]
            assert r.choices[0].finish_reason == "content_filter"
            assert r.model_extra["hegui"]["incident_id"]

            # A harmless question under the same name reaches the model the map names.
            client = namespace["client"]
            ok = client.chat.completions.create(
                model="qwen2.5", messages=[{"role": "user", "content": "你好"}]
            )
            assert ok.choices[0].finish_reason == "stop" and ok.model == "qwen2.5:7b"
            assert mock.last["model"] == "qwen2.5:7b"
            assert ollama.paths() == ["/v1/models", "/v1/chat/completions"]
        finally:
            proc.terminate()
            proc.wait(30)


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180  # the real engine loads before the port opens
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(log.read_text(encoding="utf-8", errors="replace"))
        try:
            if httpx.get(base + "/healthz", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise AssertionError("hegui serve did not start\n" + log.read_text(errors="replace"))
