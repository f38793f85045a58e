"""The documented envelope holds for successes, every kind of error, and unknown routes."""

import re

from fastapi.testclient import TestClient

from intentsync.accounts import service as accounts_service
from tests.factories import CRM, account

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def assert_error(response, status, message, custom=None):
    body = response.json()
    assert response.status_code == status
    assert body["statusCode"] == status
    assert TIMESTAMP.match(body["timestamp"])
    assert body["message"] == message
    assert body["data"] is None
    if custom is not None:
        assert body["customMessage"] == custom
    return body


def test_success_envelope_has_status_timestamp_path_and_data(ws):
    response = ws.get("/journey-stages", params={"x": "1"})
    body = response.json()
    assert set(body) == {"statusCode", "timestamp", "path", "data"}
    assert body["statusCode"] == 200
    assert TIMESTAMP.match(body["timestamp"])
    assert body["path"] == "/api/v1/crm/journey-stages"


def test_unknown_route_is_404_in_the_envelope(ws):
    body = assert_error(ws.get("/accounts-nope/x"), 404, "Not Found")
    assert body["customMessage"] == "Cannot GET /api/v1/crm/accounts-nope/x"
    assert_error(ws.client.get("/nothing-here"), 404, "Not Found", "Cannot GET /nothing-here")


def test_wrong_method_is_405_and_names_the_allowed_methods(ws):
    response = ws.client.delete(CRM + "/accounts")
    body = assert_error(response, 405, "Method Not Allowed")
    assert body["customMessage"].endswith("allowed: GET, POST")
    assert response.headers["allow"] == "GET, POST"


def test_post_without_json_content_type_is_415_and_writes_nothing(ws):
    response = ws.client.post(CRM + "/accounts", content=b'{"accounts": []}')
    assert_error(response, 415, "Unsupported Media Type")
    response = ws.client.post(
        CRM + "/accounts",
        content=b'{"accounts":[{"externalId":"a","domain":"a.com","name":"A"}]}',
        headers={"Content-Type": "text/plain"},
    )
    body = assert_error(response, 415, "Unsupported Media Type")
    assert "application/json" in body["customMessage"]
    assert ws.get("/accounts").json()["data"]["data"] == []


def test_json_content_type_with_charset_is_accepted(ws):
    response = ws.client.post(
        CRM + "/accounts",
        content=b'{"accounts":[{"externalId":"a","domain":"a.com","name":"A"}]}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


def test_malformed_json_is_400(ws):
    response = ws.client.post(
        CRM + "/accounts", content=b'{"accounts": [', headers={"Content-Type": "application/json"}
    )
    body = assert_error(response, 400, "Bad Request")
    assert body["customMessage"].startswith("Request body is not valid JSON")


def test_non_utf8_body_is_400(ws):
    response = ws.client.post(
        CRM + "/accounts",
        content='{"accounts": [{"name": "Café"}]}'.encode("latin-1"),
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "Bad Request")


def test_empty_body_is_400(ws):
    response = ws.client.post(
        CRM + "/accounts", content=b"", headers={"Content-Type": "application/json"}
    )
    body = assert_error(response, 400, "Bad Request")
    assert "empty" in body["customMessage"]


def test_body_that_is_not_an_object_is_a_validation_error(ws):
    response = ws.post("/accounts", [1, 2])
    body = response.json()
    assert response.status_code == 400
    assert body["message"] == "Bad Request"
    assert body["data"][0]["constraints"] == {"isObject": "request body must be an object"}


def test_body_over_the_limit_is_413_and_writes_nothing(ws):
    big = [account(i, name="x" * 250, tags=["t" * 200] * 20) for i in range(100)]
    response = ws.post("/accounts", {"accounts": big})
    body = assert_error(response, 413, "Content Too Large")
    assert "limit" in body["customMessage"]
    assert ws.get("/accounts").json()["data"]["data"] == []


def test_unexpected_failure_is_500_without_internals(ws, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(accounts_service, "list_accounts", explode)
    response = ws.get("/accounts")
    body = assert_error(response, 500, "Internal Server Error")
    assert "secret" not in response.text
    assert "incident" in body["customMessage"]


def test_failed_write_rolls_back_everything(ws, monkeypatch):
    from intentsync.segments import repository as segments_repository

    segment = ws.segment()

    def explode(*args, **kwargs):
        raise RuntimeError("fail after the accounts were inserted")

    monkeypatch.setattr(segments_repository, "add_members", explode)
    response = ws.post("/accounts", {"accounts": [account(1)], "segmentId": segment})
    assert response.status_code == 500
    assert ws.get("/accounts").json()["data"]["data"] == []


def test_openapi_and_docs_are_served(app):
    client = TestClient(app)
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/crm/accounts",
        "/api/v1/crm/accounts/{external_id}",  # a path parameter: ids may hold slashes
        "/api/v1/crm/accounts/external-ids",
        "/api/v1/crm/accounts/missing-external-ids",
        "/api/v1/crm/accounts/custom-fields",
        "/api/v1/crm/accounts/custom-field",
        "/api/v1/crm/segments",
        "/api/v1/crm/journey-stages",
        "/api/v1/crm/deals",
        "/api/v1/crm/deal-stages",
        "/api/v1/crm/deal-stages/{pipeline_id}/stages/{stage_id}",
        "/api/v1/crm/sales-activities",
        "/api/v1/accounts",
        "/api/v1/accounts/{rtp_aid}",
        "/api/v1/deals",
        "/api/v1/sales-activities",
    ):
        assert path in paths, path
    assert "AccountsCreate" in schema["components"]["schemas"]
    assert schema["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-Api-Key"
    assert client.get("/docs").status_code == 200


def test_chunked_body_over_the_limit_is_413(ws):
    def chunks():
        yield b'{"accounts": ['
        for i in range(6000):
            yield b'{"externalId": "e%d", "domain": "d%d.com", "name": "n"},' % (i, i)
        yield b'{"externalId": "last", "domain": "last.com", "name": "n"}]}'

    response = ws.client.post(
        CRM + "/accounts", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413, "Content Too Large")


def test_trailing_slash_is_served_like_the_bare_path(ws):
    response = ws.client.get(CRM + "/accounts/", follow_redirects=False)
    assert response.status_code == 200
    assert response.json()["path"] == "/api/v1/crm/accounts"
    created = ws.client.post(
        CRM + "/accounts/", json={"accounts": [account(1)]}, follow_redirects=False
    )
    assert created.status_code == 200
