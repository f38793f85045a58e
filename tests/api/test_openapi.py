"""The served document: error statuses derived per route, the exact envelope, no 422."""

import re

from fastapi.testclient import TestClient

from intentsync.api.openapi import CURSOR_PATTERN
from intentsync.kit.pagination import encode_cursor


def _document(app):
    return TestClient(app).get("/openapi.json").json()


def _statuses(document, method, path):
    return sorted(document["paths"][path][method]["responses"])


def test_shape_errors_are_documented_as_400_never_422(app):
    document = _document(app)
    for item in document["paths"].values():
        for operation in item.values():
            assert "422" not in operation["responses"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "ValidationError" not in document["components"]["schemas"]


def test_each_operation_lists_the_errors_its_route_can_answer(app):
    document = _document(app)
    assert _statuses(document, "get", "/api/v1/crm/journey-stages") == ["200", "400", "401", "500"]
    assert _statuses(document, "put", "/api/v1/accounts/{rtp_aid}") == [
        "200",
        "400",
        "401",
        "404",
        "409",
        "413",
        "415",
        "500",
        "503",
    ]
    assert _statuses(document, "get", "/track.js") == ["200", "500"]
    created = document["paths"]["/api/v1/crm/deal-stages"]["post"]["responses"]["409"]
    assert created["description"].startswith("A pipelineId already exists")
    busy = document["paths"]["/api/v1/deals"]["post"]["responses"]["503"]
    assert "Retry-After" in busy["headers"]


def test_the_error_envelope_says_exactly_what_is_sent(app):
    schema = _document(app)["components"]["schemas"]["ErrorEnvelope"]
    assert schema["required"] == ["statusCode", "timestamp", "path", "data", "message"]
    assert schema["properties"]["customMessage"] == {
        "type": "string",
        "title": "Custommessage",
        "description": "What went wrong, for a person",
        "examples": ["Invalid API key"],
    }
    data = schema["properties"]["data"]["anyOf"]
    assert data == [
        {"type": "array", "items": {"$ref": "#/components/schemas/ValidationEntry"}},
        {"type": "null"},
    ]


def test_validators_show_their_enums_and_formats(app):
    schemas = _document(app)["components"]["schemas"]
    direction = schemas["ActivityIn"]["properties"]["direction"]["anyOf"][0]
    assert direction["enum"] == ["inbound", "outbound"]
    assert schemas["ActivityIn"]["properties"]["occurredAt"]["format"] == "date-time"
    assert schemas["ContactIn"]["properties"]["email"]["format"] == "email"
    assert "enum" not in schemas["ActivityIn"]["properties"]["activityType"]


def test_left_out_when_null_fields_are_optional_and_never_null(app):
    result = _document(app)["components"]["schemas"]["AccountResult"]
    assert "error" not in result["required"]
    assert result["properties"]["error"]["type"] == "string"
    assert "rtp_aid" in result["required"]


def test_the_cursor_pattern_admits_every_cursor_we_issue():
    for after_id, stamp in [(0, 0), (1, 1_780_000_000_000), (2**63 - 1, 2**47 - 1)]:
        assert re.match(CURSOR_PATTERN, encode_cursor(after_id, stamp))
    for offset in ["", "0", "10000000", "00012"]:
        assert re.match(CURSOR_PATTERN, offset)
    assert not re.match(CURSOR_PATTERN, "10000001")
