"""Every console route, enumerated from the app: who may reach it is declared and enforced."""

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from intentsync.console.routing import Access, ConsoleRoute, RegisteredPage, console_pages
from intentsync.db.engine import Database
from intentsync.monitoring.endpoints import PATHS as MONITORING_PATHS
from tests.console.conftest import ConsoleClient, add_user, sign_in
from tests.factories import Workspace

# Routes outside the console: the API (its own middleware checks keys), docs and the tracker.
NOT_CONSOLE = re.compile(r"^(/api/|/docs|/redoc|/openapi\.json|/track|/static)")
# And the probes and metrics for load balancers and Prometheus, by exact path: they show no
# team's data (tests/monitoring/test_routes.py holds them to that and to being only these).


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_route_outside_the_api_is_a_console_route(app: FastAPI) -> None:
    stray = [
        f"{sorted(c.methods or [])} {c.path}"
        for c in iter_route_contexts(app.router.routes)
        if c.path
        and not NOT_CONSOLE.match(c.path)
        and c.path not in MONITORING_PATHS
        and not isinstance(c.original_route, ConsoleRoute)
    ]
    assert stray == []


def test_access_has_no_default() -> None:
    from intentsync.console.routing import ConsoleRouter

    with pytest.raises(TypeError):
        ConsoleRouter().get("/x")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ConsoleRouter().post("/x", access="member")  # type: ignore[arg-type]


def _pages(app: FastAPI) -> list[RegisteredPage]:
    pages = list(console_pages(app))
    assert len(pages) >= 4
    return pages


def test_signed_out_visitors_reach_only_public_pages(app: FastAPI) -> None:
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        for page in _pages(app):
            if page.access is Access.PUBLIC:
                continue
            answer = client.request(page.method, _concrete(page.path), data={"csrf_token": "x"})
            assert answer.status_code == 303, f"{page.method} {page.path}"
            assert answer.headers["location"].startswith("/sign-in"), page.path


def test_members_get_403_on_every_admin_route(
    app: FastAPI, database: Database, ws: Workspace
) -> None:
    member = sign_in(app, add_user(database, ws.team_id, role="member"))
    token = member.csrf()
    for page in _pages(app):
        if page.access is not Access.ADMIN:
            continue
        answer = member.client.request(
            page.method, _concrete(page.path), data={"csrf_token": token}
        )
        assert answer.status_code == 403, f"{page.method} {page.path}"
        assert "Only a team admin" in answer.text
    member.close()


def test_every_state_changing_route_refuses_a_missing_or_wrong_csrf_token(
    admin: ConsoleClient, app: FastAPI
) -> None:
    writes = [p for p in _pages(app) if p.method != "GET"]
    assert writes
    for page in writes:
        for form in ({}, {"csrf_token": "wrong"}):
            answer = admin.client.request(page.method, _concrete(page.path), data=form)
            assert answer.status_code == 403, f"{page.method} {page.path} with {form}"
    assert admin.get("/").status_code == 200  # nothing above signed the admin out


def test_every_get_page_is_get_only_safe(admin: ConsoleClient, app: FastAPI) -> None:
    """GET never needs a token and never answers 5xx, even with made-up path values."""
    for page in _pages(app):
        if page.method == "GET":
            answer = admin.get(_concrete(page.path))
            assert answer.status_code < 500, f"GET {page.path}: {answer.text[:300]}"
