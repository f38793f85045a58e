"""X-Api-Key on every endpoint; one active key per user; data scoped to the key's team."""

import pytest

from intentsync.auth.service import generate_key
from intentsync.teams.service import create_team
from tests.factories import CRM, account, create_workspace

ENDPOINTS = [
    ("GET", "/accounts"),
    ("POST", "/accounts"),
    ("GET", "/accounts/crm-1"),
    ("PUT", "/accounts/crm-1"),
    ("PATCH", "/accounts/external-ids"),
    ("GET", "/accounts/missing-external-ids"),
    ("GET", "/accounts/custom-fields"),
    ("POST", "/accounts/custom-field"),
    ("GET", "/segments"),
    ("GET", "/journey-stages"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_missing_key_is_401_on_every_endpoint(ws, method, path):
    response = ws.client.request(method, CRM + path, headers={"X-Api-Key": ""}, json={})
    body = response.json()
    assert response.status_code == 401
    assert body["message"] == "Unauthorized"
    assert body["customMessage"] == "X-Api-Key header is required"
    assert body["data"] is None


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_unknown_key_is_401_on_every_endpoint(ws, method, path):
    response = ws.client.request(method, CRM + path, headers={"X-Api-Key": "isk_nope"}, json={})
    assert response.status_code == 401
    assert response.json()["customMessage"] == "Invalid API key"


def test_auth_is_checked_before_the_body(ws):
    response = ws.client.post(
        CRM + "/accounts",
        content=b"{broken",
        headers={"X-Api-Key": "wrong", "Content-Type": "application/json"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/accounts", {"content": b"{}", "headers": {"Content-Type": "text/csv"}}),
        ("POST", "/accounts", {"json": {"accounts": []}}),
        ("GET", "/accounts", {"params": {"limit": "0"}}),
        ("GET", "/accounts/a%00b", {}),
        ("PUT", "/accounts/nobody", {"json": {"customFields": {"X_C": 1}}}),
    ],
    ids=["media-type", "validation", "query", "nul-in-url", "business-error"],
)
def test_an_unknown_key_outranks_every_other_error(ws, method, path, kwargs):
    headers = {"X-Api-Key": "isk_nope", **kwargs.pop("headers", {})}
    response = ws.client.request(method, CRM + path, headers=headers, **kwargs)
    assert response.status_code == 401
    assert response.json()["customMessage"] == "Invalid API key"


def test_new_key_revokes_the_old_one_at_once(ws):
    assert ws.get("/accounts").status_code == 200
    with ws.db.transaction() as session:
        fresh = generate_key(session, email=ws.email)
    old = ws.get("/accounts")
    assert old.status_code == 401
    assert old.json()["customMessage"] == "Invalid API key"
    new = ws.client.get(CRM + "/accounts", headers={"X-Api-Key": fresh})
    assert new.status_code == 200


def test_regenerating_one_users_key_leaves_other_users_alone(ws):
    from intentsync.teams.service import create_user

    with ws.db.transaction() as session:
        other = create_user(session, team_id=ws.team_id, email=f"other-{ws.email}")
        other_key = generate_key(session, email=other.email)
    with ws.db.transaction() as session:
        generate_key(session, email=other.email) and None
    assert ws.get("/accounts").status_code == 200
    assert ws.client.get(CRM + "/accounts", headers={"X-Api-Key": other_key}).status_code == 401


def test_only_a_hash_of_the_key_is_stored(ws):
    from sqlalchemy import text

    with ws.db.transaction(write=False) as session:
        stored = session.execute(text("SELECT key_hash, key_prefix FROM api_keys")).all()
    assert all(ws.key not in row.key_hash for row in stored)
    assert any(len(row.key_hash) == 64 for row in stored)


def test_data_is_scoped_to_the_keys_team(ws, app, database):
    ws.push(account(1))
    other = create_workspace(app, database)
    try:
        assert other.get("/accounts").json()["data"]["data"] == []
        assert other.get("/accounts/crm-1").status_code == 404
        # the same externalId and domain are free in another team
        assert other.push(account(1))["results"][0]["status"] == "created"
    finally:
        other.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_bad_key_is_refused_without_queueing_behind_a_writer(ws, database):
    """SQLite: the key is checked before the write lock, so a writer holding it delays no 401."""
    assert database.writers is not None
    waited = database.writers.timeout
    database.writers.timeout = 2  # a request that queued would get 503 instead of 401
    try:
        with database.transaction() as session:
            create_team(session, name="holds the write lock")
            bad = ws.client.post(
                CRM + "/accounts",
                headers={"X-Api-Key": "isk_nope"},
                json={"accounts": [account(1)]},
            )
            assert bad.status_code == 401
            assert bad.json()["customMessage"] == "Invalid API key"
    finally:
        database.writers.timeout = waited
    assert ws.get("/accounts/crm-1").status_code == 404  # nothing was written
