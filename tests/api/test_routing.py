"""Authentication cannot be skipped: every API operation, and every route added tomorrow."""

import re
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.api.routing import ApiRoute, api_router, get_session, require_api_routes
from intentsync.app import create_app
from intentsync.auth.service import Principal
from intentsync.db.models import Team
from intentsync.kit.responses import envelope
from tests.factories import create_workspace

BODY_METHODS = {"POST", "PUT", "PATCH"}


def api_operations(app: FastAPI) -> list[tuple[str, str]]:
    """(method, concrete path) of every operation the app serves under /api/."""
    found = []
    for context in iter_route_contexts(app.router.routes):
        path = context.path or ""
        if not path.startswith("/api/"):
            continue
        concrete = re.sub(r"\{[^}]+\}", "6a21b8855a81c58936372c2d", path)
        found.extend((method, concrete) for method in sorted(context.methods or ()))
    return found


def test_every_api_route_is_an_api_route(app):
    contexts = [
        c for c in iter_route_contexts(app.router.routes) if (c.path or "").startswith("/api/")
    ]
    assert len(contexts) >= 38
    assert all(isinstance(c.original_route, ApiRoute) for c in contexts)


@pytest.mark.parametrize(
    ("key", "text"), [(None, "X-Api-Key header is required"), ("isk_bogus", "Invalid API key")]
)
def test_every_operation_refuses_a_missing_or_bogus_key(app, ws, key, text):
    operations = api_operations(app)
    assert len(operations) >= 38
    client = TestClient(app, raise_server_exceptions=False)
    headers = {} if key is None else {"X-Api-Key": key}
    for method, path in operations:
        body: dict[str, Any] = {"json": {}} if method in BODY_METHODS else {}
        response = client.request(method, path, headers=headers, **body)
        assert response.status_code == 401, (method, path, response.text)
        payload = response.json()
        assert payload["statusCode"] == 401
        assert payload["data"] is None
        assert payload["message"] == "Unauthorized"
        assert payload["customMessage"] == text, (method, path)
        assert payload["path"] == path


def _probe_app(settings, database) -> tuple[FastAPI, list[str]]:
    """A fresh app with endpoints added after it was built, through the project's router factory."""
    app = create_app(settings, database)
    calls: list[str] = []
    router = api_router("probe")

    @router.get("/probe/async")
    async def probe_async(request: Request, who: Principal) -> Response:
        calls.append("async")
        return envelope(request, {"team": who.team_id, "user": who.user_id})

    @router.get("/probe/sync")
    def probe_sync(caller: Principal, request: Request) -> Response:
        calls.append("sync")
        return envelope(request, {"team": caller.team_id, "user": caller.user_id})

    @router.post("/probe/anonymous")
    def probe_without_principal(request: Request) -> Response:
        calls.append("anonymous")
        return envelope(request, {"ran": True})

    app.include_router(router, prefix="/api/v1")
    return app, calls


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_new_endpoints_are_protected_and_see_their_own_team(settings, database, kind):
    app, calls = _probe_app(settings, database)
    first = create_workspace(app, database, name="First")
    second = create_workspace(app, database, name="Second")
    try:
        anonymous = TestClient(app, raise_server_exceptions=False)
        for headers in ({}, {"X-Api-Key": "isk_bogus"}, {"X-Api-Key": first.key + "x"}):
            response = anonymous.get(f"/api/v1/probe/{kind}", headers=headers)
            assert response.status_code == 401
        assert calls == []
        for workspace in (first, second):
            response = workspace.client.get(f"/api/v1/probe/{kind}")
            assert response.status_code == 200, response.text
            assert response.json()["data"] == {
                "team": workspace.team_id,
                "user": workspace.user_id,
            }
        assert calls == [kind, kind]
    finally:
        first.close()
        second.close()


def test_an_endpoint_that_asks_for_no_principal_is_still_protected(settings, database):
    app, calls = _probe_app(settings, database)
    workspace = create_workspace(app, database)
    try:
        response = TestClient(app).post(
            "/api/v1/probe/anonymous", json={}, headers={"X-Api-Key": "isk_bogus"}
        )
        assert response.status_code == 401
        assert calls == []
        assert workspace.client.post("/api/v1/probe/anonymous", json={}).status_code == 200
        assert calls == ["anonymous"]
    finally:
        workspace.close()


def test_a_route_from_another_router_is_refused_and_never_opened(settings, database):
    app = create_app(settings, database)
    calls: list[str] = []
    plain = APIRouter()

    @plain.get("/api/v1/forgotten")
    def forgotten() -> dict[str, str]:
        calls.append("ran")
        return {"open": "door"}

    app.include_router(plain)
    with pytest.raises(RuntimeError, match=r"api_router: \['GET'\] /api/v1/forgotten"):
        require_api_routes(app)
    with pytest.raises(RuntimeError, match="api_router"), TestClient(app):
        pass  # the server refuses to start
    response = TestClient(app).get("/api/v1/forgotten", headers={"X-Api-Key": "isk_bogus"})
    assert response.status_code == 401
    assert calls == []


def test_a_websocket_under_the_api_is_refused_before_any_route(settings, database):
    app = create_app(settings, database)
    opened: list[str] = []

    @app.websocket("/api/v1/stream")
    async def stream(websocket: WebSocket) -> None:
        opened.append("yes")
        await websocket.accept()

    with (
        pytest.raises(WebSocketDisconnect) as closed,
        TestClient(app).websocket_connect("/api/v1/stream", headers={"X-Api-Key": "isk_bogus"}),
    ):
        pass
    assert closed.value.code == 1008
    assert opened == []


def test_a_sync_endpoint_that_returns_no_response_commits_nothing(settings, database):
    app = create_app(settings, database)
    router = api_router("probe")

    @router.post("/probe/half-done")
    def half_done(who: Principal, session: Session = Depends(get_session)) -> dict[str, int]:
        session.execute(update(Team).where(Team.id == who.team_id).values(name="changed"))
        return {"team": who.team_id}

    app.include_router(router, prefix="/api/v1")
    workspace = create_workspace(app, database, name="Unchanged")
    try:
        response = workspace.client.post("/api/v1/probe/half-done", json={})
        assert response.status_code == 500
        with database.transaction(write=False) as session:
            assert session.get(Team, workspace.team_id).name == "Unchanged"
    finally:
        workspace.close()
