"""Sub-commands of the gateway room, registered on the root `hegui` app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add this room's commands to ``app`` (heavy imports stay inside the command bodies)."""

    @app.command()
    def serve(
        upstream: Annotated[
            list[str] | None,
            typer.Option(
                "--upstream",
                help="OpenAI-compatible upstream base URL, e.g. http://127.0.0.1:11434/v1 (repeatable; 'URL weight=2 models=a,b').",
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
        get: Annotated[
            str | None,
            typer.Option(
                "--get",
                help="Print the response to one GET of this path and exit, without listening.",
            ),
        ] = None,
    ) -> None:
        """Run the compliance gateway (OpenAI-compatible) on HOST:PORT."""
        import json
        import os

        from hegui.config import load_settings
        from hegui.gateway.upstream import parse_upstream

        settings = load_settings(config)
        g = settings.gateway
        if upstream:
            g.upstreams = list(upstream)
        for spec in g.upstreams:
            parse_upstream(spec)  # ConfigError (exit 2) on a bad URL
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

        common = {
            "host": g.host,
            "port": g.port,
            "loop": "uvloop",
            "http": "httptools",
            "access_log": False,
            "log_level": "info",
            "timeout_graceful_shutdown": 5,
        }
        if g.workers > 1:  # each worker builds its own app from the environment
            if config is not None:
                os.environ["HEGUI_CONFIG"] = str(config)
            os.environ["HEGUI_GATEWAY__UPSTREAMS"] = json.dumps(g.upstreams)
            uvicorn.run("hegui.gateway.app:app_factory", factory=True, workers=g.workers, **common)  # type: ignore[arg-type]
            return
        from hegui.gateway.app import create_app, tune_gc

        app_ = create_app(settings)
        tune_gc()
        uvicorn.run(app_, **common)  # type: ignore[arg-type]


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
