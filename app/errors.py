"""Typed errors raised by services; one handler turns them into JSON, a form with messages, or a toast."""


class AppError(Exception):
    """A failure the user can act on. ``fields`` maps form field names to messages."""

    status_code = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code


class Invalid(AppError):
    status_code = 422


class NotFound(AppError):
    status_code = 404


class Forbidden(AppError):
    status_code = 403


class Unauthorized(AppError):
    status_code = 401


class Conflict(AppError):
    status_code = 409


class ServiceUnavailable(AppError):
    status_code = 503


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
