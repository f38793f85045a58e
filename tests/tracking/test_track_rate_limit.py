"""POST /track is limited per client address: 429 in the envelope, CORS and Retry-After."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from intentsync.app import create_app
from intentsync.db.models import SignalEvent
from intentsync.tracking.service import ensure_write_key

LIMIT = 3


@pytest.fixture(scope="module")
def limited_app(settings, database):
    """Its own app, so the small limit and its counters touch no other test."""
    return create_app(settings.model_copy(update={"track_rate_limit": f"{LIMIT}/minute"}), database)


def client(ws, app, address):
    return TestClient(
        app,
        raise_server_exceptions=False,
        client=(address, 50000),
        headers={"X-Api-Key": ws.key},
    )


def beacon(key):
    return {
        "writeKey": key,
        "url": "https://www.example.org/pricing",
        "visitorId": "v-1",
        "pageViewId": str(uuid.uuid4()),
        "domain": "acme.com",
    }


def stored(ws):
    with ws.db.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).select_from(SignalEvent).where(SignalEvent.team_id == ws.team_id)
        )


def test_an_address_over_the_limit_gets_429_with_retry_after_and_cors(ws, limited_app):
    with ws.db.transaction() as session:
        key = ensure_write_key(session, team_id=ws.team_id)
    noisy = client(ws, limited_app, "192.0.2.66")
    for _ in range(LIMIT):
        assert noisy.post("/track", json=beacon(key)).status_code == 202
    refused = noisy.post("/track", json=beacon(key))
    assert refused.status_code == 429, refused.text
    body = refused.json()
    assert body["statusCode"] == 429
    assert body["message"] == "Too Many Requests"
    assert body["customMessage"].startswith("Too many page views from this address; retry after")
    assert body["data"] is None
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["access-control-allow-origin"] == "*"
    assert stored(ws) == LIMIT  # the refused beacon stored nothing
    bad_body = noisy.post("/track", content=b"{", headers={"Content-Type": "text/plain"})
    assert bad_body.status_code == 429  # refused before the body is even read

    other = client(ws, limited_app, "192.0.2.67")
    assert other.post("/track", json=beacon(key)).status_code == 202
    assert stored(ws) == LIMIT + 1
    noisy.close()
    other.close()


def test_the_default_limit_lets_ordinary_traffic_through(ws, app):
    with ws.db.transaction() as session:
        key = ensure_write_key(session, team_id=ws.team_id)
    sender = client(ws, app, "192.0.2.99")
    for _ in range(LIMIT + 2):
        assert sender.post("/track", json=beacon(key)).status_code == 202
    sender.close()
