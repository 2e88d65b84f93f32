"""The portal and console as one Starlette app, served by the gateway for every non-API path.

``hegui serve`` builds it in :func:`hegui.gateway.app.create_app` over the gateway's own store
backend, so the console reads the same database, and a sanction or agreement change made here
drops the gateway's cached accounts at once (and, with Redis, on every replica).
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hegui.config import Settings
from hegui.console import portal, record_pages, staff_pages  # noqa: F401  (they register pages)
from hegui.console.web import ROUTES, STATIC, Services
from hegui.store.schema import utcnow

__all__ = ["attach", "build_app", "console_app"]


async def _root(request: Request) -> Response:
    return RedirectResponse("/portal/", status_code=307)


async def _console_bare(request: Request) -> Response:
    return RedirectResponse("/console/", status_code=307)


async def _not_found(request: Request, exc: Exception) -> Response:
    return HTMLResponse('<h1>404</h1><p><a href="/portal/">/portal/</a></p>', status_code=404)


def build_app(services: Services) -> Starlette:
    """The ASGI app over ``services`` (tests pass their own store and clock)."""
    routes = [
        Route("/", _root),
        Route("/console", _console_bare),
        *ROUTES,
        Mount("/console/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found})
    app.state.services = services
    return app


def console_app(settings: Settings, backend: Any) -> Any:
    """The app over a started :class:`hegui.ops.backend.StoreBackend` (its store and keyring)."""
    return build_app(
        Services(
            settings=settings,
            store=lambda: backend.store,
            keyring=lambda: backend.keyring,
            invalidate=backend.invalidate,
            clock=utcnow,
        )
    )


def attach(settings: Settings, backend: Any, engine: Any) -> tuple[Any, Any]:
    """What ``create_app`` mounts for a store-backed gateway: the engine with the console's
    live lexicon terms and safe answers, and the portal/console app; ``(engine, None)`` for any
    other backend (tests' in-memory doubles)."""
    from hegui.ops.backend import StoreBackend

    if not isinstance(backend, StoreBackend):
        return engine, None
    from hegui.ops.lexicon_terms import StoreTermsDetector
    from hegui.ops.safe_answers import SafeAnswerChecker

    if hasattr(engine, "detectors"):  # the real engine: staff terms become one more detector
        engine.detectors.append(StoreTermsDetector(backend))
    checker = SafeAnswerChecker(engine, backend, settings.console.safe_answer_threshold)
    return checker, console_app(settings, backend)
