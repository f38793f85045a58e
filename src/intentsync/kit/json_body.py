"""Request bodies as JSON: parsed once, bounded, and free of NUL characters."""

from typing import Any

import orjson
from fastapi import Request

from intentsync.kit.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from intentsync.kit.json_limits import TooDeep, clip, find_nul, loads
from intentsync.kit.validation import path_text

_NUL_ESCAPE = b"\\u0000"


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def decode_json(raw: bytes) -> Any:
    """A request body as JSON, or a 400 that says what is wrong with it."""
    if not raw.strip():
        raise BadRequest("Request body is empty; send a JSON object")
    try:
        parsed = loads(raw)
    except TooDeep as exc:
        raise BadRequest(f"Request body is too deeply nested: {exc}") from None
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Request body is not valid JSON: {exc}") from None
    # JSON can only carry NUL as an escape, so most bodies skip the walk.
    nul_at = find_nul(parsed) if _NUL_ESCAPE in raw else None
    if nul_at is not None:
        prop = next((p for p in reversed(nul_at) if isinstance(p, str)), "body")
        prop = clip(prop)
        raise ValidationFailed(
            [
                {
                    "property": prop,
                    "constraints": {"noNulCharacters": f"{prop} must not contain NUL characters"},
                    "path": path_text(nul_at),
                }
            ]
        )
    return parsed


def require_json(request: Request) -> None:
    """Refuse a body that is not JSON by its Content-Type, before any of it is read."""
    content_type = request.headers.get("content-type", "")
    if not is_json(content_type):
        raise UnsupportedMediaType(
            f"Content-Type must be application/json for {request.method} requests; "
            f"got '{clip(content_type)}'"
        )


async def parse_json_body(request: Request) -> Any:
    """Parse a body require_json accepted and hand it to FastAPI, so it is decoded once."""
    parsed = decode_json(await request.body())
    request._json = parsed
    return parsed


def refuse_nul_in_url(request: Request) -> None:
    """PostgreSQL text cannot store NUL, so a path or query value carrying one is refused."""
    values = [*request.path_params.values(), *request.query_params.values()]
    if any("\x00" in str(v) for v in values):
        raise BadRequest("The URL must not contain NUL characters")
