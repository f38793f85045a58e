"""CORS for the API, limited to /api/ and to the configured origins; /track has its own."""

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from intentsync.kit.responses import error_envelope
from intentsync.kit.security_headers import API_PREFIX

API_METHODS = ("GET", "POST", "PUT", "PATCH")
# X-Api-Key is the reason API CORS exists: a browser app of an allowed origin sends it.
API_HEADERS = ("X-Api-Key", "Content-Type")
EXPOSED = ("Retry-After", "Allow")


class ApiCorsMiddleware:
    """Starlette's CORS on /api/ only, with a refused preflight answered in the envelope."""

    def __init__(self, app: ASGIApp, *, origins: Sequence[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=tuple(origins),
            allow_methods=API_METHODS,
            allow_headers=API_HEADERS,
            expose_headers=EXPOSED,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        if origin is None or not (preflight or self.cors.is_allowed_origin(origin)):
            await self.app(scope, receive, send)  # another origin gets no CORS header at all
            return
        if not preflight:
            await self.cors(scope, receive, send)
            return
        answer = self.cors.preflight_response(request_headers=headers)
        if answer.status_code >= 400:  # sent without CORS headers: the browser refuses the call
            refused = bytes(answer.body).decode()  # e.g. "Disallowed CORS origin"
            answer = error_envelope(
                Request(scope),
                400,
                f"{refused}: this server accepts cross-origin API calls only from the origins "
                "its operator configured, with X-Api-Key and Content-Type",
            )
        await answer(scope, receive, send)
