"""A console app over a real store for HTTP tests, with a clock the tests can move."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from starlette.testclient import TestClient

from hegui.config import Settings
from hegui.console.app import build_app
from hegui.console.web import Services
from hegui.ops import staff as staff_ops
from hegui.store.crypto import Keyring
from hegui.store.db import Store
from tests.console.conftest import NOW

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_NONCE = re.compile(r'name="nonce" value="([^"]+)"')


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Console:
    client: TestClient
    services: Services
    clock: Clock
    invalidated: list[str] = field(default_factory=list)

    def csrf(self, path: str) -> str:
        """The CSRF token the page at ``path`` puts in its forms."""
        page = self.client.get(path)
        assert page.status_code == 200, (path, page.status_code, page.text[:500])
        match = _CSRF.search(page.text)
        assert match, f"no form with a CSRF token on {path}"
        return match.group(1)

    def post(self, path: str, data: dict[str, str], *, from_page: str | None = None) -> object:
        """Submit ``data`` as the form on ``from_page`` (default ``path``) would: with its CSRF
        token and, when it has one, its one-time nonce."""
        page = self.client.get(from_page or path)
        assert page.status_code == 200, (path, page.status_code, page.text[:500])
        token = _CSRF.search(page.text)
        assert token, f"no form with a CSRF token on {from_page or path}"
        fields = {"csrf": token.group(1)}
        nonce = _NONCE.search(page.text)
        if nonce:
            fields["nonce"] = nonce.group(1)
        return self.client.post(path, data={**fields, **data}, follow_redirects=False)

    def login(self, username: str, password: str = PASSWORD) -> None:
        response = self.post(
            "/console/login", {"username": username, "password": password, "next": "/console/"}
        )
        assert response.status_code == 303, response.text[:500]  # type: ignore[attr-defined]


def add_staff(store: Store, username: str, role: str) -> None:
    store.write(
        lambda c: staff_ops.create_staff(
            c, username=username, name=username.title(), role=role, password=PASSWORD, actor="test"
        )
    )


@contextmanager
def console(store: Store, keyring: Keyring, settings: Settings | None = None) -> Iterator[Console]:
    clock = Clock()
    invalidated: list[str] = []

    async def invalidate(message: str) -> None:
        invalidated.append(message)

    services = Services(
        settings=settings or Settings(),
        store=lambda: store,
        keyring=lambda: keyring,
        invalidate=invalidate,
        clock=clock,
    )
    with TestClient(build_app(services), base_url="http://testserver") as client:
        yield Console(client, services, clock, invalidated)
