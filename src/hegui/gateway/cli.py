"""Sub-commands of the gateway room, registered on the root `hegui` app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from hegui.config import Settings


def register(app: typer.Typer) -> None:
    """Add this room's commands to ``app`` (heavy imports stay inside the command bodies)."""

    @app.command()
    def serve(
        upstream: Annotated[
            list[str] | None,
            typer.Option(
                "--upstream",
                help="OpenAI-compatible upstream base URL, used as given: http://127.0.0.1:11434/v1, https://ark.cn-beijing.volces.com/api/v3 (repeatable; 'URL name=a weight=2 models=a,b map=qwen2.5=glm-4,*=glm-4 proxy=http://h:3128').",
            ),
        ] = None,
        host: Annotated[
            str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")
        ] = None,
        port: Annotated[int | None, typer.Option(help="Port to listen on (default 8000).")] = None,
        config: Annotated[
            Path | None,
            typer.Option("--config", help="Settings file (default ./hegui.toml when present)."),
        ] = None,
        workers: Annotated[int | None, typer.Option(help="Worker processes (default 1).")] = None,
        log_level: Annotated[
            str | None,
            typer.Option(
                "--log-level", help="debug, info, warning, error or critical (default info)."
            ),
        ] = None,
        log_format: Annotated[
            str | None,
            typer.Option("--log-format", help="text or json (default text)."),
        ] = None,
        get: Annotated[
            str | None,
            typer.Option(
                "--get",
                help="Print the response to one GET of this path and exit, without listening.",
            ),
        ] = None,
    ) -> None:
        """Run the compliance gateway (OpenAI-compatible) on HOST:PORT."""
        from hegui.config import load_settings

        settings = load_settings(config)
        _operator_options(settings, log_level, log_format)
        g = settings.gateway
        if upstream:
            g.upstreams = list(upstream)
        _check_upstreams(settings)
        if host is not None:
            g.host = host
        if port is not None:
            g.port = port
        if workers is not None:
            g.workers = workers
        if g.workers < 1:
            from hegui.errors import ConfigError

            raise ConfigError("--workers must be at least 1")
        from hegui.ops.backend import check_settings

        check_settings(settings)  # e.g. a shared database without store.secret_key: exit 2 now
        if get is not None:
            _get_once(settings, get)
            return
        import uvicorn

        from hegui.gateway.logging_setup import configure_logging

        configure_logging(
            settings.logging.level, settings.logging.format, interval=settings.logging.batch_seconds
        )
        common = {
            "host": g.host,
            "port": g.port,
            "loop": "uvloop",
            "http": "httptools",
            "access_log": False,  # hegui.access writes one line per request instead
            "log_config": None,  # keep hegui's handler (uvicorn's loggers propagate to it)
            "log_level": settings.logging.level,
            "timeout_graceful_shutdown": 5,
        }
        if g.workers > 1:  # each worker builds its own app from the environment
            _serve_workers(settings, config, common)
            return
        from hegui.gateway.app import create_app, tune_gc

        app_ = create_app(settings)
        tune_gc()
        uvicorn.run(app_, **common)  # type: ignore[arg-type]


def _operator_options(settings: Settings, log_level: str | None, log_format: str | None) -> None:
    """Apply --log-level / --log-format; refuse bad values and a bad metrics.bind (exit 2)."""
    from hegui.errors import ConfigError
    from hegui.gateway.logging_setup import FORMATS, LEVELS
    from hegui.gateway.metrics_http import parse_bind

    level = (log_level or settings.logging.level).lower()
    fmt = (log_format or settings.logging.format).lower()
    if level not in LEVELS or fmt not in FORMATS:
        raise ConfigError(
            f"--log-level must be one of {', '.join(LEVELS)}; --log-format text or json"
        )
    settings.logging.level = level  # type: ignore[assignment]
    settings.logging.format = fmt  # type: ignore[assignment]
    if settings.metrics.bind:
        parse_bind(settings.metrics.bind)


def _check_upstreams(settings: Settings) -> None:
    """Every upstream entry, its proxy and its TLS files, checked before serving (exit 2)."""
    from hegui.gateway.upstream.connect import environment_proxies, ssl_context
    from hegui.gateway.upstream.spec import parse_upstream, route_proxy

    env = environment_proxies()
    for entry in settings.gateway.upstreams:
        spec = parse_upstream(entry)  # ConfigError on a bad URL, name, header or proxy
        route_proxy(spec, env)  # e.g. HTTPS_PROXY=socks5://… for an https upstream
        if not spec.connect.is_default:
            ssl_context(spec.connect)  # a CA or certificate file that cannot be read


def _serve_workers(settings: Settings, config: Path | None, common: dict[str, object]) -> None:
    """``--workers N``: uvicorn's process manager; metrics summed through a folder made per run."""
    import os
    import shutil
    import tempfile

    import uvicorn

    from hegui.gateway.metrics_http import MULTIPROC_ENV

    g = settings.gateway
    if config is not None:
        os.environ["HEGUI_CONFIG"] = str(config)
    if all(isinstance(u, str) for u in g.upstreams):  # --upstream; tables come from the config
        os.environ["HEGUI_GATEWAY__UPSTREAMS"] = json.dumps(g.upstreams)
    os.environ["HEGUI_LOGGING__LEVEL"] = settings.logging.level
    os.environ["HEGUI_LOGGING__FORMAT"] = settings.logging.format
    shared = tempfile.mkdtemp(prefix="hegui-metrics-")
    os.environ[MULTIPROC_ENV] = shared
    try:
        uvicorn.run(
            "hegui.gateway.app:app_factory",
            factory=True,
            workers=g.workers,
            **common,  # type: ignore[arg-type]
        )
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def _get_once(settings: object, path: str) -> None:
    import asyncio

    from hegui.gateway.app import create_app

    async def run() -> tuple[int, bytes]:
        app = create_app(settings)  # type: ignore[arg-type]
        status, body = 0, b""

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, object]) -> None:
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = int(message["status"])  # type: ignore[call-overload]
            elif message["type"] == "http.response.body":
                body += message.get("body", b"")  # type: ignore[operator]

        scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
        await app.startup()
        try:
            await app(scope, receive, send)
        finally:
            await app.shutdown()
        return status, body

    status, body = asyncio.run(run())
    typer.echo(body.decode("utf-8", "replace"))
    if status >= 400:
        raise typer.Exit(1)
