"""Exceptions that carry their HTTP status; one handler renders them into the envelope."""

from typing import Any


class AppError(Exception):
    """A business error: rendered with message = reason phrase and customMessage = text."""

    status_code = 400

    def __init__(self, custom_message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(custom_message)
        self.custom_message = custom_message
        self.headers = headers


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class TooManyRequests(AppError):
    status_code = 429


class UnsupportedMediaType(AppError):
    status_code = 415


class ServiceUnavailable(AppError):
    status_code = 503


class ValidationFailed(Exception):
    """Request-shape errors in the documented class-validator form."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = errors

    @classmethod
    def single(cls, prop: str, rule: str, text: str) -> "ValidationFailed":
        return cls([{"property": prop, "constraints": {rule: text}, "path": prop}])
