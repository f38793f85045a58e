"""A browser-less console client: cookies, CSRF tokens and sign-in, over the real HTTP stack."""

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from intentsync.auth.service import set_password
from intentsync.config import Settings
from intentsync.db.engine import Database
from intentsync.scheduler import Background
from intentsync.teams.service import create_user
from tests.console.browser import DESKTOP, chromium
from tests.console.browser import sign_in as browser_sign_in
from tests.factories import Workspace
from tests.live import live_server

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@dataclass
class ConsoleClient:
    client: TestClient
    email: str

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.client.get(path, headers={"Accept": "text/html"}, **kwargs)  # type: ignore[arg-type]

    def csrf(self, path: str = "/") -> str:
        page = self.get(path)
        assert page.status_code == 200, page.text[:500]
        return csrf_of(page.text)

    def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        token_from: str = "/",
        **kwargs: object,
    ) -> httpx.Response:
        form = {"csrf_token": self.csrf(token_from), **(data or {})}
        return self.client.post(path, data=form, headers={"Accept": "text/html"}, **kwargs)  # type: ignore[arg-type]

    def close(self) -> None:
        self.client.close()


def sign_in(app: FastAPI, email: str, password: str = PASSWORD) -> ConsoleClient:
    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    form = client.get("/sign-in")
    assert form.status_code == 200
    done = client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(form.text), "email": email, "password": password, "next": "/"},
    )
    assert done.status_code == 303, done.text[:500]
    return ConsoleClient(client, email)


def add_user(db: Database, team_id: int, *, role: str, password: str | None = PASSWORD) -> str:
    email = f"{role}-{secrets.token_hex(5)}@example.com"
    with db.transaction() as session:
        create_user(session, team_id=team_id, email=email, role=role)
        if password is not None:
            set_password(session, email=email, password=password)
    return email


@pytest.fixture
def admin(app: FastAPI, database: Database, ws: Workspace) -> Iterator[ConsoleClient]:
    """The workspace's own user (the team's first, so its admin), signed in."""
    with database.transaction() as session:
        set_password(session, email=ws.email, password=PASSWORD)
    client = sign_in(app, ws.email)
    yield client
    client.close()


@pytest.fixture
def member(app: FastAPI, database: Database, ws: Workspace) -> Iterator[ConsoleClient]:
    client = sign_in(app, add_user(database, ws.team_id, role="member"))
    yield client
    client.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture(scope="session")
def live_url(app: FastAPI) -> Iterator[str]:
    """The test app served by uvicorn on a free port, for the browser."""
    with live_server(app) as url:
        yield url


@pytest.fixture
def admin_page(
    browser: Browser, live_url: str, database: Database, ws: Workspace
) -> Iterator[Page]:
    """A 1280 px browser tab signed in as the workspace's admin."""
    with database.transaction() as session:
        set_password(session, email=ws.email, password=PASSWORD)
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = context.new_page()
    browser_sign_in(page, live_url, ws.email, PASSWORD)
    yield page
    context.close()


@dataclass(frozen=True)
class DemoWorkspace:
    team_id: int
    email: str
    password: str
    key: str


@pytest.fixture(scope="session")
def demo(database: Database) -> DemoWorkspace:
    """`intentsync demo`'s workspace, built once per database: 90 days of data, scored weekly.

    Shared by every test of a run, so tests that change data use their own `ws` instead.
    """
    from intentsync.demo.job import build, existing_team
    from intentsync.demo.plan import DEMO_EMAIL
    from intentsync.kit.clock import day_of, now_ms

    if existing_team(database) is not None:
        raise RuntimeError("the demo workspace was already built in this database")
    made = build(database, today=day_of(now_ms()))
    return DemoWorkspace(made.built.team_id, DEMO_EMAIL, made.built.password, made.built.key)


@pytest.fixture
def demo_admin(app: FastAPI, demo: DemoWorkspace) -> Iterator[ConsoleClient]:
    client = sign_in(app, demo.email, demo.password)
    yield client
    client.close()


@pytest.fixture
def demo_page(browser: Browser, live_url: str, demo: DemoWorkspace) -> Iterator[Page]:
    """A 1280 px tab signed in to the demo workspace as its admin."""
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = context.new_page()
    browser_sign_in(page, live_url, demo.email, demo.password)
    yield page
    context.close()


@pytest.fixture
def import_jobs(app: FastAPI, settings: Settings, database: Database) -> Iterator[Background]:
    """The app's uploads run as jobs while the test lasts, as `serve` runs them.

    The test settings run no background work, so a Background of the test's own takes the
    app's place: on SQLite its in-process queue gets the submissions, on PostgreSQL its worker
    takes them from the shared queue. It scores nothing and delivers nothing.
    """
    background = Background(settings, database, score=False, deliver=False)
    previous = app.state.background
    app.state.background = background
    background.start(concurrency=2)
    try:
        yield background
    finally:
        app.state.background = previous
        background.stop()
