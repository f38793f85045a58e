"""Every test that touches storage runs twice: on SQLite and on a real PostgreSQL server."""

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg import sql

from intentsync.app import create_app
from intentsync.config import Settings
from intentsync.db.engine import Database
from intentsync.db.migrate import upgrade
from tests.factories import Workspace, create_workspace
from tests.openapi_check import check_response

pytest_plugins = ["tests.clock"]

POSTGRES_ADMIN_URL = os.environ.get(
    "INTENTSYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = [
    b.strip() for b in os.environ.get("INTENTSYNC_TEST_BACKENDS", "sqlite,postgresql").split(",")
]


def _postgres_database() -> Iterator[str]:
    name = f"intentsync_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "intentsync.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    for url in _postgres_database():
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url, pool_size=5)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # No scoring rounds or webhook deliveries in the background: a server started from these
    # settings must not claim the deliveries of tests that run their own delivery workers.
    return Settings(
        database_url=database_url,
        max_body_bytes=256 * 1024,
        scoring_interval=0,
        serve_jobs=False,
        serve_webhooks=False,
    )


@pytest.fixture(scope="session")
def app(settings: Settings, database: Database) -> FastAPI:
    return create_app(settings, database)


@pytest.fixture
def ws(app: FastAPI, database: Database) -> Iterator[Workspace]:
    """A fresh team with a user and key: data is scoped by team, so tests never collide."""
    workspace = create_workspace(app, database)
    yield workspace
    workspace.close()


@pytest.fixture
def lone_ws(database_url: str, tmp_path: Path) -> Iterator[Workspace]:
    """A team alone in a database of its own: background work there sees no other test's teams."""
    if database_url.startswith("sqlite"):
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'lone.db'}"])
    else:
        urls = _postgres_database()
    for url in urls:
        upgrade(url)
        db = Database(url, pool_size=5)
        settings = Settings(database_url=url, scoring_interval=0, serve_jobs=False)
        workspace = create_workspace(create_app(settings, db), db)
        try:
            yield workspace
        finally:
            workspace.close()
            db.dispose()


@pytest.fixture(autouse=True)
def documented_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every response a test client receives must match the OpenAPI document for its status."""
    send = TestClient.request

    def request(self: TestClient, *args: object, **kwargs: object) -> httpx.Response:
        response = send(self, *args, **kwargs)  # type: ignore[arg-type]
        check_response(self.app, response)  # type: ignore[arg-type]
        return response

    monkeypatch.setattr(TestClient, "request", request)
