"""The route class every API endpoint uses: auth, body checks and the request transaction."""

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import APIRouter, Request, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from intentsync.auth.service import Principal, authenticate
from intentsync.db.engine import Database
from intentsync.kit.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from intentsync.kit.schemas import ErrorEnvelope
from intentsync.kit.validation import path_text

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Declared as a dependency only so OpenAPI shows the scheme; the route class enforces it.
api_key_scheme = APIKeyHeader(name="X-Api-Key", auto_error=False)


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
    parsed = decode_json(await request.body())
    nul_at = _find_nul(parsed, ())
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


class ApiRoute(APIRoute):
    """Authenticate, check the body, run the endpoint, then commit or roll back."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        write = bool((self.methods or set()) & WRITE_METHODS)
        has_body = self.body_field is not None

        async def guarded(request: Request) -> Response:
            db: Database = request.app.state.db
            key = request.headers.get("x-api-key")
            if write:
                # Check the key outside the write transaction so writers lock only for the work.
                request.state.principal = await run_in_threadpool(_authenticate_alone, db, key)
                session = db.session(write=True)
            else:
                session = db.session(write=False)
            request.state.session = session
            ok = False
            try:
                if not write:
                    request.state.principal = await run_in_threadpool(authenticate, session, key)
                _refuse_nul_in_url(request)
                if has_body and write:
                    await _read_json_body(request)
                response = await handler(request)
                ok = response.status_code < 400
                return response
            finally:
                await run_in_threadpool(_finish, session, ok)

        return guarded


def _authenticate_alone(db: Database, key: str | None) -> Principal:
    with db.transaction(write=False) as session:
        return authenticate(session, key)


def _finish(session: Session, commit: bool) -> None:
    """Commit a request that succeeded, roll back anything else, and give the connection back."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def get_session(request: Request) -> Session:
    session: Session = request.state.session
    return session


def get_principal(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


def api_router(tag: str) -> APIRouter:
    """A router whose routes authenticate and own their transaction."""
    return APIRouter(
        tags=[tag],
        route_class=ApiRoute,
        dependencies=[Security(api_key_scheme)],
        responses={
            400: {"model": ErrorEnvelope, "description": "Validation or business error"},
            401: {"model": ErrorEnvelope, "description": "Missing or invalid X-Api-Key"},
        },
    )
