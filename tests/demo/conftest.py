"""A fresh migrated database per test: the demo workspace is one per database."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from intentsync.app import create_app
from intentsync.config import Settings
from intentsync.db.engine import Database
from intentsync.db.migrate import upgrade
from tests.conftest import BACKENDS, _postgres_database


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'demo.db'}"
        upgrade(url)
        yield url
        return
    for url in _postgres_database():
        upgrade(url)
        yield url


@pytest.fixture
def fresh_db(fresh_url: str) -> Iterator[Database]:
    db = Database(fresh_url, pool_size=2)
    yield db
    db.dispose()


def run_demo(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTENTSYNC_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "intentsync", "demo", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextmanager
def api(db: Database, key: str) -> Iterator[TestClient]:
    """The CRM API of the app over db, calling with key."""
    app = create_app(Settings(database_url=db.url, scoring_interval=0), db)
    client = TestClient(app, base_url="http://testserver/api/v1/crm", headers={"X-Api-Key": key})
    try:
        yield client
    finally:
        client.close()
