"""Refuse request bodies over the configured size with a 413 in the envelope."""

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intentsync.kit.errors import AppError
from intentsync.kit.responses import error_envelope


class PayloadTooLarge(AppError):
    status_code = 413


def too_large_message(limit: int) -> str:
    return f"Request body is larger than the {limit} byte limit; send fewer records per request"


class BodyLimitMiddleware:
    """Checks Content-Length up front and counts streamed bytes for chunked bodies."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            response = error_envelope(Request(scope), 413, too_large_message(self.limit))
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise PayloadTooLarge(too_large_message(self.limit))
            return message

        await self.app(scope, counting_receive, send)
