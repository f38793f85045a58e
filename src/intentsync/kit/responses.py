"""The response envelope every endpoint and every error shares."""

from http import HTTPStatus
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from intentsync.kit.clock import format_ms, now_ms
from intentsync.kit.json_limits import MAX_MESSAGE, clip

# Validation entries name client keys; each text an error carries is clipped to this.
MAX_ERROR_TEXT = 500


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


# RFC 9110 names; older Pythons still ship the RFC 7231 ones.
_PHRASES = {413: "Content Too Large", 422: "Unprocessable Content"}


def reason_phrase(status: int) -> str:
    if status in _PHRASES:
        return _PHRASES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def envelope(request: Request, data: Any, status: int = 200) -> JsonResponse:
    body = {
        "statusCode": status,
        "timestamp": format_ms(now_ms()),
        "path": request.url.path,
        "data": data,
    }
    return JsonResponse(body, status_code=status)


def error_envelope(
    request: Request,
    status: int,
    custom_message: str | None,
    *,
    data: Any = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    body: dict[str, Any] = {
        "statusCode": status,
        "timestamp": format_ms(now_ms()),
        "path": request.url.path,
        "data": _clipped(data),
        "message": reason_phrase(status),
    }
    if custom_message is not None:
        body["customMessage"] = clip(custom_message, MAX_MESSAGE)
    return JsonResponse(body, status_code=status, headers=headers)


def _clipped(data: Any) -> Any:
    """Error details with every text bounded, so a 400 never echoes a huge input back.

    Recursive, but only over the shallow details our handlers build, never client JSON.
    """
    if isinstance(data, str):
        return clip(data, MAX_ERROR_TEXT)
    if isinstance(data, list):
        return [_clipped(item) for item in data]
    if isinstance(data, dict):
        return {_clipped(key): _clipped(value) for key, value in data.items()}
    return data
