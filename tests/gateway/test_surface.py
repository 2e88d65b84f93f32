"""The room's public names, the CLI, and the error shape contract."""

from __future__ import annotations

import importlib
import subprocess
import sys

import orjson
import pytest
from typer.testing import CliRunner

from hegui.cli import app
from hegui.gateway.errors import GatewayError, to_gateway_error
from hegui.gateway.upstream.pool import CircuitBreaker
from hegui.gateway.upstream.spec import parse_upstream


@pytest.mark.parametrize(
    "name",
    [
        "hegui.gateway",
        "hegui.gateway.app",
        "hegui.gateway.stream",
        "hegui.gateway.upstream.aiohttp_client",
        "hegui.gateway.upstream.http1",
        "hegui.gateway.upstream.lean",
        "hegui.gateway.upstream.pool",
        "hegui.gateway.upstream.sse",
        "hegui.gateway.upstream.transport",
    ],
)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__ == sorted(module.__all__)
    for attr in module.__all__:
        assert getattr(module, attr) is not None


def test_importing_the_cli_stays_light() -> None:
    code = "import sys, hegui.cli; print(any(m.startswith(('aiohttp', 'uvicorn', 'hegui.gateway.app')) for m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_error_shape_is_openai() -> None:
    doc = orjson.loads(GatewayError(404, "nope", code="model_not_found", param="model").body())
    assert doc == {
        "error": {
            "message": "nope",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        }
    }


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (__import__("hegui.errors").errors.StoreError("x"), 503),
        (TimeoutError(), 504),
        (RuntimeError("x"), 500),
        (__import__("hegui.errors").errors.InputError("x"), 400),
    ],
)
def test_exceptions_map_to_one_status(exc: Exception, status: int) -> None:
    assert to_gateway_error(exc).status == status


def test_upstream_spec_parsing() -> None:
    spec = parse_upstream("http://h:1/v1/ weight=2 models=a,b")
    assert spec.url == "http://h:1/v1" and spec.weight == 2 and spec.models == frozenset({"a", "b"})
    for bad in ("ftp://h", "http://h weight=0", "http://h colour=red"):
        with pytest.raises(Exception, match="upstream"):
            parse_upstream(bad)


def test_circuit_breaker_opens_then_lets_one_probe_through() -> None:
    b = CircuitBreaker(threshold=2, reset_s=0.0)
    b.failure()
    assert b.state == "closed"
    b.failure()
    assert b.state == "half_open" and b.allow() and not b.allow()
    b.success()
    assert b.state == "closed"


def test_serve_rejects_bad_upstream_with_exit_2(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from hegui.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["serve", "--upstream", "ftp://x", "--get", "/healthz"])
    assert info.value.code == 2
    assert "upstream must start with http://" in capsys.readouterr().err


def test_serve_help_lists_options() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "--upstream" in result.output and "--workers" in result.output


def test_text_labels_have_fresh_ids_and_a_header_equal_to_the_body_label() -> None:
    from hegui.config import Settings
    from hegui.gateway.labels import TextLabeler
    from hegui.labeling import parse_label

    settings = Settings.model_validate({"labeling": {"uscc": "91350100M000100Y43"}})
    labeler = TextLabeler(settings.gateway, settings.labeling)
    seen = set()
    for _ in range(600):  # more than one batch of random bytes
        fields, header = labeler.implicit()
        assert orjson.loads(header) == fields and header.isascii()
        assert fields["ProduceID"] == fields["PropagateID"] and len(fields["ProduceID"]) == 32
        seen.add(fields["ProduceID"])
    assert len(seen) == 600
    assert parse_label(header.decode()).wellformed
