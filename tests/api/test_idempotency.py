"""Idempotency-Key: a repeat of a write gets its first answer; nothing is ever done twice."""

import secrets
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.api.routing import IDEMPOTENT_METHODS, api_router, get_session
from intentsync.app import create_app
from intentsync.auth.service import Principal
from intentsync.db.models import Account, IdempotencyKey, Team
from intentsync.idempotency import service
from intentsync.kit.clock import now_ms
from intentsync.kit.responses import envelope
from tests.api.test_routing import api_operations
from tests.factories import CRM, V1, Workspace, account, create_workspace

REPLAYED = "Idempotent-Replayed"


def new_key() -> str:
    return f"key-{secrets.token_hex(8)}"


def send(ws: Workspace, method: str, path: str, body: Any, key: str | None) -> httpx.Response:
    headers = {} if key is None else {"Idempotency-Key": key}
    return ws.client.request(method, path, json=body, headers=headers)


def accounts_of(ws: Workspace) -> int:
    with ws.db.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).select_from(Account).where(Account.team_id == ws.team_id)
        )


def rows_of(ws: Workspace) -> list[Any]:
    with ws.db.transaction(write=False) as session:
        table = IdempotencyKey.__table__
        return list(session.execute(select(table).where(table.c.team_id == ws.team_id)))


def assert_replayed(first: httpx.Response, again: httpx.Response) -> None:
    assert REPLAYED not in first.headers
    assert again.headers[REPLAYED] == "true"
    assert again.status_code == first.status_code
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]


@pytest.mark.parametrize("base", [CRM, V1])
def test_a_repeated_push_replays_its_answer_and_creates_once(ws, base):
    key = new_key()
    body = {"accounts": [account(1)]}
    first = send(ws, "POST", f"{base}/accounts", body, key)
    assert first.status_code == 200, first.text
    assert first.json()["data"]["summary"]["created"] == 1
    again = send(ws, "POST", f"{base}/accounts", body, key)
    assert_replayed(first, again)
    assert accounts_of(ws) == 1
    # Without the key the same push runs again, and fails the item as a duplicate.
    plain = send(ws, "POST", f"{base}/accounts", body, None)
    assert plain.json()["data"]["summary"]["failed"] == 1
    assert REPLAYED not in plain.headers


def test_put_and_patch_replay_too(ws):
    ws.push(account(1))
    ws.custom_field("Tier", "singleLineText")
    key = new_key()
    put_body = {"customFields": {"TIER_C": "A"}}
    first = send(ws, "PUT", f"{CRM}/accounts/crm-1", put_body, key)
    assert first.status_code == 200, first.text
    assert_replayed(first, send(ws, "PUT", f"{CRM}/accounts/crm-1", put_body, key))
    patch_body = {"mappings": [{"domain": "company1.com", "externalId": "crm-new"}]}
    patch_key = new_key()
    first = send(ws, "PATCH", f"{CRM}/accounts/external-ids", patch_body, patch_key)
    assert first.json()["data"]["updated"] == 1
    again = send(ws, "PATCH", f"{CRM}/accounts/external-ids", patch_body, patch_key)
    assert_replayed(first, again)
    assert again.json()["data"]["updated"] == 1  # the first answer, not a second run's 0


def test_the_same_key_for_another_request_is_409_and_changes_nothing(ws):
    key = new_key()
    assert send(ws, "POST", f"{CRM}/accounts", {"accounts": [account(1)]}, key).status_code == 200
    for method, path, body in [
        ("POST", f"{CRM}/accounts", {"accounts": [account(2)]}),  # another body
        ("POST", f"{V1}/accounts", {"accounts": [account(1)]}),  # another path
        ("POST", f"{CRM}/accounts?x=1", {"accounts": [account(1)]}),  # another query
        ("PATCH", f"{CRM}/accounts/external-ids", {"mappings": []}),  # another method
    ]:
        response = send(ws, method, path, body, key)
        assert response.status_code == 409, (method, path, response.text)
        assert "was already used for a different request" in response.json()["customMessage"]
        assert REPLAYED not in response.headers
    assert accounts_of(ws) == 1


def test_keys_belong_to_a_team(app, database, ws):
    other = create_workspace(app, database, name="Other")
    try:
        key = new_key()
        body = {"accounts": [account(1)]}
        for workspace in (ws, other):
            response = send(workspace, "POST", f"{CRM}/accounts", body, key)
            assert response.status_code == 200
            assert REPLAYED not in response.headers
            assert response.json()["data"]["summary"]["created"] == 1
            assert accounts_of(workspace) == 1
    finally:
        other.close()


def test_a_request_without_a_key_stores_nothing(ws):
    assert send(ws, "POST", f"{CRM}/accounts", {"accounts": [account(1)]}, None).status_code == 200
    assert rows_of(ws) == []


@pytest.mark.parametrize("value", ["", " ", "has space", "x" * 256, "tab\there"])
def test_a_malformed_key_is_400_and_nothing_runs(ws, value):
    response = send(ws, "POST", f"{CRM}/accounts", {"accounts": [account(1)]}, value)
    assert response.status_code == 400
    assert (
        "Idempotency-Key must be 1 to 255 visible ASCII characters"
        in (response.json()["customMessage"])
    )
    assert accounts_of(ws) == 0


def test_a_non_ascii_key_is_400(ws):
    response = ws.client.post(
        f"{CRM}/accounts",
        json={"accounts": [account(1)]},
        headers={"Idempotency-Key": "schlüssel".encode("latin-1")},
    )
    assert response.status_code == 400
    assert accounts_of(ws) == 0


def test_the_longest_key_and_every_visible_character_are_accepted(ws):
    for n, key in enumerate(["k" * 255, "".join(map(chr, range(0x21, 0x7F)))]):
        body = {"accounts": [account(n)]}
        first = send(ws, "POST", f"{CRM}/accounts", body, key)
        assert first.status_code == 200
        assert_replayed(first, send(ws, "POST", f"{CRM}/accounts", body, key))


def test_a_final_client_error_is_stored_and_replayed(ws):
    key = new_key()
    body = {"accounts": [account(1)], "segmentId": "000000000000000000000000"}
    first = send(ws, "POST", f"{CRM}/accounts", body, key)
    assert first.status_code == 400
    again = send(ws, "POST", f"{CRM}/accounts", body, key)
    assert_replayed(first, again)
    [row] = rows_of(ws)
    assert (row.state, row.status_code) == ("done", 400)
    assert accounts_of(ws) == 0


def test_a_shape_error_found_by_validation_is_replayed(ws):
    key = new_key()
    first = send(ws, "POST", f"{CRM}/accounts", {"accounts": "nope"}, key)
    assert first.status_code == 400
    assert_replayed(first, send(ws, "POST", f"{CRM}/accounts", {"accounts": "nope"}, key))


def test_a_key_expires_after_24_hours(ws):
    key = new_key()
    body = {"accounts": [account(1)]}
    first = send(ws, "POST", f"{CRM}/accounts", body, key)
    [row] = rows_of(ws)
    assert row.expires_ms - row.created_ms == 24 * 3600 * 1000
    with ws.db.transaction() as session:
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.team_id == ws.team_id)
            .values(created_ms=now_ms() - service.TTL_MS, expires_ms=now_ms() - 1)
        )
    again = send(ws, "POST", f"{CRM}/accounts", body, key)  # runs again: a duplicate now
    assert REPLAYED not in again.headers
    assert again.json()["data"]["summary"]["failed"] == 1
    assert first.json()["data"]["summary"]["created"] == 1
    other = send(ws, "POST", f"{CRM}/accounts", {"accounts": [account(2)]}, key)
    assert other.status_code == 409  # the key is the new request's for 24 hours again


def test_expired_keys_are_purged_by_a_later_claim(ws, monkeypatch):
    send(ws, "POST", f"{CRM}/accounts", {"accounts": [account(1)]}, "old")
    with ws.db.transaction() as session:
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.team_id == ws.team_id)
            .values(expires_ms=now_ms() - 1)
        )
    monkeypatch.setattr(service, "_last_purge_ms", 0)
    send(ws, "POST", f"{CRM}/accounts", {"accounts": [account(2)]}, "new")
    assert [row.key for row in rows_of(ws)] == ["new"]


def _claim_directly(ws: Workspace, key: str, path: str, body: bytes) -> service.Claim:
    fingerprint = service.request_hash("POST", path, "", body)
    with ws.db.transaction() as session:
        held = service.claim(
            session, team_id=ws.team_id, key=key, fingerprint=fingerprint, now_ms=now_ms()
        )
    assert isinstance(held, service.Claim)
    return held


def test_a_repeat_while_the_first_runs_is_409_with_retry_after(ws):
    key = new_key()
    body = b'{"accounts":[{"externalId":"crm-1","domain":"company1.com","name":"Company 1"}]}'
    _claim_directly(ws, key, f"{CRM}/accounts", body)
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    response = ws.client.post(f"{CRM}/accounts", content=body, headers=headers)
    assert response.status_code == 409
    assert response.headers["Retry-After"] == "1"
    assert "still running" in response.json()["customMessage"]
    assert accounts_of(ws) == 0
    # A claim whose run died (its lease passed) is taken over by the next retry.
    with ws.db.transaction() as session:
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.team_id == ws.team_id)
            .values(lease_until_ms=now_ms() - 1)
        )
    response = ws.client.post(f"{CRM}/accounts", content=body, headers=headers)
    assert response.status_code == 200
    assert REPLAYED not in response.headers
    assert accounts_of(ws) == 1
    again = ws.client.post(f"{CRM}/accounts", content=body, headers=headers)
    assert_replayed(response, again)


def _probe_app(settings, database) -> tuple[FastAPI, list[str]]:
    """An app with write endpoints added after it was built, that fail on demand."""
    app = create_app(settings, database)
    calls: list[str] = []
    router = api_router("probe")

    @router.post("/probe/flaky", status_code=201)
    def flaky(
        request: Request, who: Principal, session: Session = Depends(get_session)
    ) -> Response:
        calls.append("flaky")
        session.execute(update(Team).where(Team.id == who.team_id).values(name=f"v{len(calls)}"))
        if len(calls) == 1:
            raise RuntimeError("the first run breaks")
        return envelope(request, {"run": len(calls)}, status=201)

    @router.post("/probe/race", status_code=201)
    def race(request: Request, who: Principal) -> Response:
        calls.append("race")
        if len(calls) == 1:
            raise IntegrityError("INSERT", None, Exception("a concurrent insert won"))
        return envelope(request, {"run": len(calls)}, status=201)

    @router.post("/probe/async", status_code=201)
    async def run_async(request: Request, who: Principal) -> Response:
        calls.append("async")
        return envelope(request, {"run": len(calls)}, status=201)

    @router.put("/probe/slow")
    def slow(request: Request, who: Principal, session: Session = Depends(get_session)) -> Response:
        calls.append("slow")
        # While this run works, a retry takes its key over (as after a lease ran out).
        with database.transaction() as other:
            other.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.team_id == who.team_id)
                .values(token="taken-over")
            )
        session.execute(update(Team).where(Team.id == who.team_id).values(name="slow"))
        return envelope(request, {"run": len(calls)})

    app.include_router(router, prefix="/api/v1")
    return app, calls


def test_an_endpoint_that_raises_releases_the_key(settings, database):
    app, calls = _probe_app(settings, database)
    workspace = create_workspace(app, database, name="Unchanged")
    try:
        key = new_key()
        first = send(workspace, "POST", "/api/v1/probe/flaky", {}, key)
        assert first.status_code == 500
        assert rows_of(workspace) == []  # released: a retry runs again
        with database.transaction(write=False) as session:
            assert session.get(Team, workspace.team_id).name == "Unchanged"
        second = send(workspace, "POST", "/api/v1/probe/flaky", {}, key)
        assert second.status_code == 201
        assert REPLAYED not in second.headers
        third = send(workspace, "POST", "/api/v1/probe/flaky", {}, key)
        assert_replayed(second, third)
        assert third.json()["data"] == {"run": 2}
        assert calls == ["flaky", "flaky"]
    finally:
        workspace.close()


def test_a_conflict_with_a_concurrent_change_is_not_stored(settings, database):
    """Its 409 says to retry, so a retry with the same key runs the request again."""
    app, calls = _probe_app(settings, database)
    workspace = create_workspace(app, database)
    try:
        key = new_key()
        first = send(workspace, "POST", "/api/v1/probe/race", {}, key)
        assert first.status_code == 409
        assert "retry it" in first.json()["customMessage"]
        assert rows_of(workspace) == []
        second = send(workspace, "POST", "/api/v1/probe/race", {}, key)
        assert second.status_code == 201
        assert REPLAYED not in second.headers
        assert calls == ["race", "race"]
    finally:
        workspace.close()


def test_an_async_endpoint_stores_its_answer_with_its_commit(settings, database):
    app, calls = _probe_app(settings, database)
    workspace = create_workspace(app, database)
    try:
        key = new_key()
        first = send(workspace, "POST", "/api/v1/probe/async", {}, key)
        assert first.status_code == 201
        assert_replayed(first, send(workspace, "POST", "/api/v1/probe/async", {}, key))
        assert calls == ["async"]
    finally:
        workspace.close()


def test_a_run_whose_key_was_taken_over_commits_nothing(settings, database):
    app, _calls = _probe_app(settings, database)
    workspace = create_workspace(app, database, name="Unchanged")
    try:
        response = send(workspace, "PUT", "/api/v1/probe/slow", {}, new_key())
        assert response.status_code == 409
        assert "took over" in response.json()["customMessage"]
        assert response.headers["Retry-After"] == "1"
        with database.transaction(write=False) as session:
            assert session.get(Team, workspace.team_id).name == "Unchanged"
    finally:
        workspace.close()


def write_operations(app: FastAPI) -> list[tuple[str, str]]:
    return [(m, p) for m, p in api_operations(app) if m in IDEMPOTENT_METHODS]


def test_every_write_route_replays_a_repeat(app, ws):
    """Every POST, PUT and PATCH the app serves, today's and tomorrow's, honours the key."""
    operations = write_operations(app)
    assert len(operations) >= 12
    assert {p.split("/")[3] for _, p in operations} >= {"crm", "accounts"}  # both surfaces
    for method, path in operations:
        key = new_key()
        first = send(ws, method, path, {}, key)
        assert first.status_code < 500, (method, path, first.text)
        again = send(ws, method, path, {}, key)
        assert_replayed(first, again)
        other = send(ws, method, path, {"other": True}, key)
        assert other.status_code == 409, (method, path, other.text)


def test_the_document_offers_the_key_on_every_write(app):
    document = app.openapi()
    writes = [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if path.startswith("/api/") and method.upper() in IDEMPOTENT_METHODS
    ]
    assert len(writes) == len(write_operations(app))
    for method, path, operation in writes:
        [parameter] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert parameter["in"] == "header", (method, path)
        assert parameter["required"] is False
        assert parameter["schema"]["maxLength"] == 255
        conflict = operation["responses"]["409"]
        assert "Idempotency-Key" in conflict["description"]
        assert "Retry-After" in conflict["headers"]
        success = next(r for s, r in operation["responses"].items() if s.startswith("2"))
        assert REPLAYED in success["headers"]
    for path, operations in document["paths"].items():
        for method in ("get", "delete"):
            parameters = operations.get(method, {}).get("parameters", [])
            assert all(p["name"] != "Idempotency-Key" for p in parameters), (method, path)


def test_a_client_without_the_openapi_check_sees_the_same_replay(app, ws):
    """The replay keeps the security headers every API answer carries."""
    key = new_key()
    client = TestClient(app, headers={"X-Api-Key": ws.key})
    body = {"accounts": [account(1)]}
    first = client.post(f"{CRM}/accounts", json=body, headers={"Idempotency-Key": key})
    again = client.post(f"{CRM}/accounts", json=body, headers={"Idempotency-Key": key})
    for name, value in first.headers.items():
        if name.lower() not in ("date", "content-length"):
            assert again.headers.get(name) == value, name
