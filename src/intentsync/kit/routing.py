"""The route class every API endpoint uses: auth, body checks and the request transaction."""

import functools
import inspect
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, Request, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from intentsync.auth.service import Principal, authenticate, presented_key
from intentsync.db.engine import Database
from intentsync.kit.errors import BadRequest
from intentsync.kit.json_body import read_json_body as _read_json_body
from intentsync.kit.schemas import ErrorEnvelope

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Declared as a dependency only so OpenAPI shows the scheme; the route class enforces it.
api_key_scheme = APIKeyHeader(name="X-Api-Key", auto_error=False)


def _refuse_nul_in_url(request: Request) -> None:
    values = [*request.path_params.values(), *request.query_params.values()]
    if any("\x00" in str(v) for v in values):
        raise BadRequest("The URL must not contain NUL characters")


# Stands in for the principal until the endpoint's thread has checked the key.
_UNCHECKED = Principal(team_id=0, user_id=0)


class RequestTransaction:
    """A request's key and session: the key is checked and the session finished in one thread."""

    def __init__(self, db: Database, key: str, *, write: bool) -> None:
        self.db = db
        self.session = db.session(write=write)
        self.key = key
        # A SQLite write transaction holds the database's one write lock from its first
        # statement, so the key is checked in a read transaction of its own before it.
        self.check_key_apart = write and db.writers is not None
        self.principal: Principal | None = None
        self.key_checked = False
        self.finished = False

    def authenticate(self) -> Principal:
        """Check the key once: in the request's own transaction, or apart for SQLite writes."""
        if self.principal is None:
            self.key_checked = True
            if self.check_key_apart:
                self.principal = _authenticate_alone(self.db, self.key)
            else:
                self.principal = authenticate(self.session, self.key)
        return self.principal

    def finish(self, commit: bool) -> None:
        """Commit a request that succeeded, roll back anything else, give the connection back."""
        if self.finished:
            return
        self.finished = True
        try:
            if commit:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()


# Thread pools copy the context, so the endpoint's worker thread sees its request's transaction.
_CURRENT: ContextVar[RequestTransaction] = ContextVar("intentsync_request_transaction")


def _in_one_thread(endpoint: Callable[..., Response]) -> Callable[..., Response]:
    """Check the key, run a sync endpoint and commit in one worker-thread hop instead of three."""

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Response:
        transaction = _CURRENT.get()
        try:
            principal = transaction.authenticate()
            if kwargs.get("principal") is _UNCHECKED:
                kwargs["principal"] = principal
            response = endpoint(*args, **kwargs)
        except BaseException:
            transaction.finish(commit=False)
            raise
        transaction.finish(commit=response.status_code < 400)
        return response

    return run


class ApiRoute(APIRoute):
    """Authenticate, check the body, run the endpoint, then commit or roll back.

    The key is checked before anything else answers: in the endpoint's thread when the request
    gets that far, otherwise before a body or URL error is reported.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _in_one_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        write = bool((self.methods or set()) & WRITE_METHODS)
        has_body = self.body_field is not None

        async def guarded(request: Request) -> Response:
            db: Database = request.app.state.db
            key = presented_key(request.headers.get("x-api-key"))
            transaction = RequestTransaction(db, key, write=write)
            request.state.session = transaction.session
            token = _CURRENT.set(transaction)
            ok = False
            try:
                try:
                    _refuse_nul_in_url(request)
                    if has_body and write:
                        await _read_json_body(request)
                    response = await handler(request)
                except Exception:
                    if not transaction.key_checked:
                        # A bad key outranks whatever else is wrong with the request.
                        await run_in_threadpool(_authenticate_alone, db, key)
                    raise
                ok = response.status_code < 400
                return response
            finally:
                _CURRENT.reset(token)
                if not transaction.finished:
                    if transaction.session.in_transaction():
                        await run_in_threadpool(transaction.finish, ok)
                    else:
                        transaction.finish(ok)  # nothing began: closing does no I/O

        return guarded


def _authenticate_alone(db: Database, key: str) -> Principal:
    with db.transaction(write=False) as session:
        return authenticate(session, key)


async def get_session(request: Request) -> Session:
    """Async only so FastAPI resolves it on the event loop instead of a thread hop."""
    session: Session = request.state.session
    return session


async def get_principal() -> Principal:
    """A placeholder that the endpoint's thread replaces once the key is checked there."""
    return _UNCHECKED


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
