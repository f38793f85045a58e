"""GET /healthz answers while the process lives; GET /readyz only when the database can serve."""

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from intentsync.app import create_app
from intentsync.config import Settings
from intentsync.db.engine import Database
from intentsync.db.migrate import head
from intentsync.kit.health import NotReady
from intentsync.monitoring.endpoints import readiness
from tests.monitoring.conftest import backend_of


def _app(url: str) -> tuple[FastAPI, Database]:
    database = Database(url, pool_size=2)
    settings = Settings(database_url=url, scoring_interval=0, serve_webhooks=False)
    return create_app(settings, database), database


def _unreachable(database_url: str, tmp_path: Path) -> str:
    if backend_of(database_url) == "sqlite":
        return f"sqlite:///{tmp_path / 'gone' / 'intentsync.db'}"  # its folder does not exist
    return "postgresql://intentsync:hidden-password@127.0.0.1:1/intentsync"  # nothing listens


def test_ready_on_a_migrated_database_with_no_key_and_nothing_cached(
    app: FastAPI, database_url: str
) -> None:
    kind = "local" if backend_of(database_url) == "sqlite" else "postgresql"
    with TestClient(app) as client:
        health = client.get("/healthz")
        ready = client.get("/readyz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "failed": [],
        "checks": [
            {"name": "database", "ok": True, "message": f"reachable, at revision {head()}"},
            {"name": "queue", "ok": True, "message": f"the {kind} job queue takes jobs"},
        ],
    }
    for answer in (health, ready):
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["content-type"] == "application/json"


def test_an_unreachable_database_is_503_and_health_still_answers(
    database_url: str, tmp_path: Path
) -> None:
    app, database = _app(_unreachable(database_url, tmp_path))
    try:
        client = TestClient(app)  # no lifespan: serve would refuse to start on it
        health = client.get("/healthz")
        ready = client.get("/readyz")
    finally:
        database.dispose()
    assert health.status_code == 200
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not ready"
    # On PostgreSQL the job queue lives in the same unreachable database.
    queue_too = backend_of(database_url) == "postgresql"
    assert body["failed"] == (["database", "queue"] if queue_too else ["database"])
    check = body["checks"][0]
    assert check == {
        "name": "database",
        "ok": False,
        "message": "cannot reach the database; this process's log has the driver's error",
    }
    assert "hidden-password" not in ready.text
    assert "127.0.0.1" not in ready.text  # where the database is stays in the log


def test_a_database_behind_this_code_is_503_with_the_command_that_fixes_it(fresh_url) -> None:
    url = fresh_url("0011")
    app, database = _app(url)
    try:
        ready = TestClient(app).get("/readyz")
    finally:
        database.dispose()
    assert ready.status_code == 503
    assert ready.json()["checks"][0]["message"] == (
        f"the database is at revision 0011, behind this version's {head()}; "
        "run: intentsync db upgrade"
    )


def test_an_empty_or_newer_database_is_503_saying_which(fresh_url) -> None:
    empty, newer = fresh_url(""), fresh_url("head")
    engine = sa.create_engine(newer)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    messages = []
    for url in (empty, newer):
        app, database = _app(url)
        try:
            ready = TestClient(app).get("/readyz")
        finally:
            database.dispose()
        assert ready.status_code == 503
        messages.append(ready.json()["checks"][0]["message"])
    assert messages == [
        "the database is not set up (no migrations applied); run: intentsync db upgrade",
        "the database is at revision 9999, which this version of intentsync does not know "
        f"(it expects {head()}): a newer release migrated it; run that release here",
    ]


def test_checks_other_parts_add_are_run_and_named_when_they_fail(database_url: str) -> None:
    app, database = _app(database_url)
    checks = readiness(app)
    checks.timeout = 0.3

    def search() -> str:
        raise NotReady("the search index is missing; run: intentsync db upgrade")

    def slow() -> str:
        time.sleep(2)
        return "late"

    checks.add("search", search)
    checks.add("slow", slow)
    with pytest.raises(ValueError, match="already registered"):
        checks.add("search", search)
    try:
        started = time.monotonic()
        ready = TestClient(app).get("/readyz")
        took = time.monotonic() - started
    finally:
        database.dispose()
    assert ready.status_code == 503
    body = ready.json()
    assert body["failed"] == ["search", "slow"]
    assert [c["name"] for c in body["checks"]] == ["database", "queue", "search", "slow"]
    assert body["checks"][0]["ok"] is True
    assert body["checks"][1]["ok"] is True
    assert body["checks"][2]["message"] == "the search index is missing; run: intentsync db upgrade"
    assert body["checks"][3]["message"] == "no answer within 0.3s"
    assert took < 1.5  # a hung check does not hold the probe


def test_a_check_that_crashes_fails_readiness_without_a_traceback(database_url: str) -> None:
    app, database = _app(database_url)

    def broken() -> str:
        raise KeyError("secret internals")

    readiness(app).add("broken", broken)
    try:
        ready = TestClient(app).get("/readyz")
    finally:
        database.dispose()
    assert ready.status_code == 503
    assert ready.json()["checks"][-1]["message"] == "the check failed (KeyError)"
    assert "secret internals" not in ready.text
