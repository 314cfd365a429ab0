"""Errors the use cases raise; each surface renders them its own way (JSON for the API, error:/hint:
lines for the CLI). `status` is the HTTP meaning, used by the API."""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, status: int | None = None,
                 details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class Invalid(ServiceError):
    """422: the request is well-formed JSON but a field is wrong (details.field names it)."""
    status, code = 422, "invalid_field"

    def __init__(self, message: str, field: str | None = None, code: str | None = None,
                 details: dict[str, Any] | None = None):
        d = dict(details or {})
        if field:
            d.setdefault("field", field)
        super().__init__(message, code=code, details=d)


class TooLarge(ServiceError):
    status, code = 413, "too_large"


class Unavailable(ServiceError):
    status, code = 503, "unavailable"


def post_error_status(code: str) -> int:
    return 413 if code == "too_large" else 422
