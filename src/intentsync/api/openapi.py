"""The OpenAPI document as the wire behaves: every error status a route can answer, derived once.

FastAPI documents 422 for any route with parameters, which the server never sends (its handlers
answer 400 in the class-validator envelope), and knows nothing of the statuses the route class,
the body limit and the error handlers add. Each operation's errors follow from its route:
method, path parameters and body.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from intentsync.api.routing import IDEMPOTENT_METHODS, WRITE_METHODS
from intentsync.idempotency.service import (
    KEY_HEADER,
    KEY_PATTERN,
    MAX_KEY_LENGTH,
    REPLAYED_HEADER,
)
from intentsync.kit.schemas import RTP_AID_PATTERN, ErrorEnvelope
from intentsync.kit.security_headers import API_PREFIX

REF = "#/components/schemas/{model}"
ERROR_REF = {"$ref": REF.format(model="ErrorEnvelope")}
UNUSED = ("HTTPValidationError", "ValidationError")

DESCRIPTIONS = {
    400: "The request is malformed; `data` lists each invalid property for a shape error",
    401: "Missing or invalid X-Api-Key",
    404: "The addressed record does not exist",
    409: "Conflicts with existing data or a concurrent change; nothing was saved",
    413: "The body is larger than the server accepts",
    415: "Content-Type is not application/json",
    500: "An unexpected error; nothing was saved (the message names an incident id)",
    503: "The database is busy; nothing was saved; retry after Retry-After seconds",
}
RETRY_AFTER = {
    "description": "Seconds to wait before retrying",
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}
HEADERS = {503: {"Retry-After": RETRY_AFTER}}
KEY_PARAMETER = {
    "name": KEY_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes retries safe: the first answer for this key is stored for 24 hours and replayed "
        "to a repeat of the same request (same method, path, query and body) with "
        f"`{REPLAYED_HEADER}: true`. Keys are per team. The same key for a different request, "
        "or while its first request still runs, is 409. A 5xx is not stored: its retry runs again."
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": KEY_PATTERN,
    },
}
KEY_CONFLICT = (
    "Or the Idempotency-Key was used for a different request, or its first request is still "
    "running (then retry after Retry-After); nothing was saved"
)
REPLAYED = {
    REPLAYED_HEADER: {
        "description": f"`true` when this is the stored answer to an earlier {KEY_HEADER}",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
# A page's nextCursor, an offset up to 10,000,000 in at most 20 digits, or empty (the first
# page). The cursor is "c" and 16 bytes in base64url: a key below 2**63 (first character) and a
# stamp below 2**47 (characters 11 to 14 hold its top 17 bits).
CURSOR_PATTERN = (
    r"^(c[A-Za-f][A-Za-z0-9_-]{9}[AEIMQUYcgkosw048]AA[A-H][A-Za-z0-9_-]{8}"
    r"|0{0,13}[0-9]{1,7}|0{0,12}10000000|)$"
)
# Path and query parameters whose values have a documented shape.
PARAMETER_KEYWORDS: dict[str, dict[str, Any]] = {
    "rtp_aid": {"pattern": RTP_AID_PATTERN},
    "lastSync": {"format": "date-time"},
    "cursor": {"pattern": CURSOR_PATTERN},
}
# Query parameters that carry a JSON document rather than plain text.
PARAMETER_CONTENT: dict[str, dict[str, Any]] = {
    "domains": {
        "application/json": {
            "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 100}
        }
    },
}


def error_statuses(route: RouteContext, method: str, operation: dict[str, Any]) -> list[int]:
    """What this operation can answer besides success, from how it is served."""
    write = method in WRITE_METHODS
    has_body = "requestBody" in operation
    statuses = {500}
    if (route.path_format or "").startswith(API_PREFIX):
        statuses.update({400, 401})  # the middleware checks the key; the route class the URL
    if has_body or operation.get("parameters"):
        statuses.add(400)
    if "{" in (route.path_format or ""):
        statuses.add(404)
    if write:
        statuses.update({409, 503})  # integrity conflict; SQLite busy
    if has_body:
        statuses.update({413, 415})
    return sorted(statuses)


def _error_response(status: int, declared: dict[str, Any] | None) -> dict[str, Any]:
    description = (declared or {}).get("description") or DESCRIPTIONS[status]
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status in HEADERS:
        response["headers"] = HEADERS[status]
    return response


def _document_errors(operation: dict[str, Any], statuses: list[int]) -> None:
    responses: dict[str, Any] = operation["responses"]
    declared = {int(code): responses.pop(code) for code in list(responses) if code[0] in "45"}
    declared.pop(422, None)  # never sent: shape errors are answered 400
    for status in sorted({*statuses, *declared}):
        responses[str(status)] = _error_response(status, declared.get(status))


def _document_idempotency(operation: dict[str, Any]) -> None:
    """The optional key, its 409s, and the header that marks a replayed answer."""
    operation.setdefault("parameters", []).append(KEY_PARAMETER)
    for status, response in operation["responses"].items():
        if status == "409":
            response["description"] = f"{response['description'].rstrip('.')}. {KEY_CONFLICT}"
            response["headers"] = {**response.get("headers", {}), "Retry-After": RETRY_AFTER}
        if status[0] in "234":
            response["headers"] = {**response.get("headers", {}), **REPLAYED}


def _constrain_parameters(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["name"] in PARAMETER_CONTENT:
            parameter.pop("schema", None)
            parameter["content"] = PARAMETER_CONTENT[parameter["name"]]
            continue
        keywords = PARAMETER_KEYWORDS.get(parameter["name"])
        if keywords:
            schema = parameter["schema"]
            target = next((m for m in schema.get("anyOf", []) if m.get("type") == "string"), schema)
            target.update(keywords)


def _add_error_components(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in UNUSED:
        schemas.pop(name, None)
    schema = ErrorEnvelope.model_json_schema(ref_template=REF, mode="serialization")
    schemas.update(schema.pop("$defs", {}))
    schemas["ErrorEnvelope"] = schema


def build(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    paths: dict[str, Any] = document.get("paths", {})
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        item = paths.get(route.path_format or "", {})
        for method in route.methods or ():
            operation = item.get(method.lower())
            if operation is None:
                continue
            statuses = error_statuses(route, method, operation)
            _document_errors(operation, statuses)
            if method in IDEMPOTENT_METHODS and (route.path_format or "").startswith(API_PREFIX):
                _document_idempotency(operation)
            _constrain_parameters(operation)
    _add_error_components(document)
    return document


def install(app: FastAPI) -> None:
    """Serve the derived document at /openapi.json, built once on first use."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
