"""Request-body and URL checks every JSON API route shares, before the body reaches a model."""

from typing import Any

import orjson
from fastapi import Request

from intentsync.kit.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from intentsync.kit.validation import path_text

_NUL_ESCAPE = b"\\u0000"


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def decode_json(raw: bytes) -> Any:
    """A request body as JSON, or a 400 that says what is wrong with it."""
    if not raw.strip():
        raise BadRequest("Request body is empty; send a JSON object")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Request body is not valid JSON: {exc}") from None


async def _read_json_body(request: Request) -> Any:
    if not _is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType(
            "Content-Type must be application/json for "
            f"{request.method} requests; got '{request.headers.get('content-type', '')}'"
        )
    raw = await request.body()
    parsed = decode_json(raw)
    # JSON can only carry NUL as an escape, so most bodies skip the walk.
    nul_at = _find_nul(parsed, ()) if _NUL_ESCAPE in raw else None
    if nul_at is not None:
        prop = next((p for p in reversed(nul_at) if isinstance(p, str)), "body")
        raise ValidationFailed(
            [
                {
                    "property": prop,
                    "constraints": {"noNulCharacters": f"{prop} must not contain NUL characters"},
                    "path": path_text(nul_at),
                }
            ]
        )
    # Hand the parsed document to FastAPI so the body is decoded once.
    request._json = parsed
    return parsed


def _refuse_nul_in_url(request: Request) -> None:
    values = [*request.path_params.values(), *request.query_params.values()]
    if any("\x00" in str(v) for v in values):
        raise BadRequest("The URL must not contain NUL characters")


def _find_nul(value: Any, at: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """Where a NUL character hides in a JSON document: PostgreSQL text cannot store one."""
    if isinstance(value, str):
        return at if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _find_nul(key, (*at, key)) or _find_nul(item, (*at, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_nul(item, (*at, index))
            if found is not None:
                return found
    return None


# Public names for the API layer; the body helpers keep their names so their history reads on.
read_json_body = _read_json_body
refuse_nul_in_url = _refuse_nul_in_url
