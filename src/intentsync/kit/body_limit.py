"""Refuse request bodies over the configured size with a 413 in the envelope."""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intentsync.kit.errors import AppError
from intentsync.kit.responses import error_envelope

MEGABYTE = 1024 * 1024


class PayloadTooLarge(AppError):
    status_code = 413


def too_large_message(limit: int) -> str:
    return f"Request body is larger than the {limit} byte limit; send fewer records per request"


def megabytes(size: int) -> str:
    """A byte count as a person reads it in a message: '5', '0.25', never '0'."""
    text = f"{size / MEGABYTE:.2f}".rstrip("0").rstrip(".")
    return "less than 0.01" if text == "0" else text


def upload_too_large_message(limit: int) -> str:
    return (
        f"The upload is larger than this server's limit of {megabytes(limit)} MB per request. "
        "Split the file into smaller files and upload each one, or ask whoever runs "
        "intentsync to raise INTENTSYNC_MAX_BODY_BYTES."
    )


async def _html_page(request: Request, limit: int) -> Response | None:
    """The app's HTML error page for a browser (the console installs it), else None."""
    if "app" not in request.scope:
        return None
    page = getattr(request.app.state, "html_error_page", None)
    if page is None:
        return None
    rendered: Response | None = await page(
        request, HTTPException(413, detail=upload_too_large_message(limit))
    )
    return rendered


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
            request = Request(scope)
            response = await _html_page(request, self.limit)
            if response is None:  # an API client, or no HTML pages: the envelope
                response = error_envelope(request, 413, too_large_message(self.limit))
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
