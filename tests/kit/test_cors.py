"""API CORS is off by default and, when configured, open only to the listed origins on /api/."""

import pytest
from fastapi.testclient import TestClient

from intentsync.app import create_app
from intentsync.config import Settings
from tests.factories import CRM

ALLOWED = "https://app.example.com"


@pytest.fixture(scope="module")
def cors_app(settings, database):
    return create_app(settings.model_copy(update={"cors_origins": (ALLOWED,)}), database)


def preflight(client, origin, path=CRM + "/accounts", headers="content-type,x-api-key"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
    )


def cors_headers(response):
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def test_an_allowed_origin_may_call_the_api_with_its_key(ws, cors_app):
    client = TestClient(cors_app, raise_server_exceptions=False)
    answer = preflight(client, ALLOWED)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    allowed = answer.headers["access-control-allow-headers"].lower().split(", ")
    assert "x-api-key" in allowed
    assert "content-type" in allowed
    assert "POST" in answer.headers["access-control-allow-methods"].split(", ")
    assert answer.headers["x-content-type-options"] == "nosniff"
    actual = client.get(CRM + "/accounts", headers={"Origin": ALLOWED, "X-Api-Key": ws.key})
    assert actual.status_code == 200
    assert actual.headers["access-control-allow-origin"] == ALLOWED
    assert "Origin" in actual.headers["vary"]
    assert "Retry-After" in actual.headers["access-control-expose-headers"]
    assert actual.headers["cache-control"] == "no-store"
    refused = client.get(CRM + "/accounts", headers={"Origin": ALLOWED})  # no key: still 401
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == ALLOWED  # so the app can read it


def test_another_origin_gets_no_cors_headers(ws, cors_app):
    client = TestClient(cors_app, raise_server_exceptions=False)
    answer = preflight(client, "https://evil.example.net")
    assert answer.status_code == 400
    body = answer.json()
    assert body["message"] == "Bad Request"
    assert body["customMessage"].startswith("Disallowed CORS origin: this server accepts")
    assert cors_headers(answer) == {}
    odd_header = preflight(client, ALLOWED, headers="x-api-key,x-custom")
    assert odd_header.status_code == 400
    assert "headers" in odd_header.json()["customMessage"]
    actual = client.get(
        CRM + "/accounts", headers={"Origin": "https://evil.example.net", "X-Api-Key": ws.key}
    )
    assert actual.status_code == 200  # the browser, not the server, withholds the answer
    assert cors_headers(actual) == {}


def test_without_configuration_the_api_has_no_cors(ws, app):
    client = TestClient(app, raise_server_exceptions=False)
    answer = preflight(client, ALLOWED)
    assert answer.status_code == 401  # nothing under /api/ answers a request without a key
    assert cors_headers(answer) == {}
    actual = client.get(CRM + "/accounts", headers={"Origin": ALLOWED, "X-Api-Key": ws.key})
    assert actual.status_code == 200
    assert cors_headers(actual) == {}


def test_api_cors_stays_off_other_paths_and_track_keeps_its_own(cors_app):
    client = TestClient(cors_app, raise_server_exceptions=False)
    schema = client.get("/openapi.json", headers={"Origin": ALLOWED})
    assert cors_headers(schema) == {}
    track = preflight(client, ALLOWED, path="/track", headers="content-type")
    assert track.status_code == 204
    assert track.headers["access-control-allow-origin"] == "*"
    assert "x-api-key" not in track.headers["access-control-allow-headers"].lower()


def test_origins_come_comma_separated_from_the_environment(monkeypatch):
    monkeypatch.setenv(
        "INTENTSYNC_CORS_ORIGINS", " https://App.example.com/ ,http://localhost:3000"
    )
    assert Settings().cors_origins == ("https://app.example.com", "http://localhost:3000")
    monkeypatch.delenv("INTENTSYNC_CORS_ORIGINS")
    assert Settings().cors_origins == ()


@pytest.mark.parametrize("value", ["*", "app.example.com", "https://app.example.com/path"])
def test_a_value_that_is_not_an_origin_stops_start_up(value):
    with pytest.raises(ValueError, match="is not an origin; list origins like"):
        Settings(cors_origins=value)
