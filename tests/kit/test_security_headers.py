"""Every response says nosniff; API answers are never stored; the server does not name itself."""

import httpx
import pytest
from fastapi.testclient import TestClient

from intentsync.accounts import service as accounts_service
from tests.factories import CRM
from tests.live import live_server


def assert_nosniff(response):
    assert response.headers["x-content-type-options"] == "nosniff", response.request.url


def test_api_answers_carry_nosniff_and_no_store(ws):
    answers = {
        200: ws.get("/accounts"),
        400: ws.post("/accounts", {"accounts": []}),
        401: ws.client.get(CRM + "/accounts", headers={"X-Api-Key": "isk_wrong"}),
        404: ws.client.get(CRM + "/no-such-route"),
        405: ws.client.delete(CRM + "/accounts"),
        413: ws.client.post(
            CRM + "/accounts",
            content=b" " * (300 * 1024),
            headers={"Content-Type": "application/json"},
        ),
    }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.text)
        assert_nosniff(response)
        assert response.headers["cache-control"] == "no-store", status
    v1 = ws.v1.get("/accounts")
    assert v1.status_code == 200
    assert v1.headers["cache-control"] == "no-store"


def test_an_unexpected_failure_carries_them_too(ws, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(accounts_service, "list_accounts", explode)
    response = ws.get("/accounts")
    assert response.status_code == 500
    assert_nosniff(response)
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "status"), [("/track.js", 200), ("/openapi.json", 200), ("/no-such-page", 404)]
)
def test_other_answers_carry_nosniff_and_keep_their_caching(app, path, status):
    response = TestClient(app).get(path)
    assert response.status_code == status
    assert_nosniff(response)
    assert response.headers.get("cache-control") != "no-store"
    if path == "/track.js":
        assert response.headers["cache-control"] == "public, max-age=3600"


def test_a_refused_beacon_carries_nosniff(app):
    response = TestClient(app).post("/track", json={"url": "https://a.io/", "visitorId": "v"})
    assert response.status_code == 401
    assert_nosniff(response)


def test_a_live_server_does_not_name_its_software(ws, app):
    with live_server(app) as base, httpx.Client(trust_env=False, timeout=10) as client:
        ok = client.get(f"{base}{CRM}/journey-stages", headers={"X-Api-Key": ws.key})
        missing = client.get(f"{base}/no-such-page")
    assert ok.status_code == 200
    assert missing.status_code == 404
    for response in (ok, missing):
        assert "server" not in response.headers
        assert_nosniff(response)
