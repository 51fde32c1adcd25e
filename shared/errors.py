"""Errors the domain and handlers raise, and their one mapping to RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

PROBLEM_JSON = "application/problem+json"


class ProblemError(Exception):
    """An error with an HTTP meaning; `extra` members are added to the problem body."""

    status = 500
    title = "Internal Server Error"
    slug = "internal"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra
        self.headers: dict[str, str] = {}

    def problem(self) -> dict[str, Any]:
        return problem_body(self.status, self.title, self.detail, self.slug, **self.extra)


class BadRequest(ProblemError):
    status, title, slug = 400, "Bad Request", "bad-request"


class Unauthorized(ProblemError):
    status, title, slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(ProblemError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(ProblemError):
    status, title, slug = 404, "Not Found", "not-found"


class Conflict(ProblemError):
    status, title, slug = 409, "Conflict", "conflict"


class IllegalTransition(Conflict):
    """A state machine move the table does not allow; the body lists the allowed targets."""

    slug = "illegal-transition"

    def __init__(self, current: str, requested: str, allowed: list[str]) -> None:
        super().__init__(
            f"cannot move from '{current}' to '{requested}'; allowed: {', '.join(allowed) or 'none'}",
            current=current,
            requested=requested,
            allowed=allowed,
        )


class PreconditionFailed(ProblemError):
    status, title, slug = 412, "Precondition Failed", "precondition-failed"


class PreconditionRequired(ProblemError):
    status, title, slug = 428, "Precondition Required", "precondition-required"


class PayloadTooLarge(ProblemError):
    status, title, slug = 413, "Payload Too Large", "payload-too-large"


class Unprocessable(ProblemError):
    """Input that parses but breaks a rule; `field` names where, like a validation error.

    Its type (`rule-violation`) differs from schema validation's (`validation`): the OpenAPI schema
    cannot express these rules, so a client (and the fuzzer) can tell the two apart.
    """

    status, title, slug = 422, "Unprocessable Content", "rule-violation"

    def __init__(self, detail: str, field: str | None = None, *, where: str = "body",
                 errors: list[dict[str, Any]] | None = None, **extra: Any) -> None:
        errors = errors or [{"loc": [where, field] if field else [where], "msg": detail}]
        super().__init__(detail, errors=errors, **extra)


class TooManyRequests(ProblemError):
    status, title, slug = 429, "Too Many Requests", "rate-limited"

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after_seconds)}


class ServiceUnavailable(ProblemError):
    status, title, slug = 503, "Service Unavailable", "unavailable"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers = {"Retry-After": "5"}


def problem_body(status: int, title: str, detail: str, slug: str, **extra: Any) -> dict[str, Any]:
    """The problem+json document; `type` is a stable URI per kind of problem."""
    return {"type": f"https://pmo-platform.dev/problems/{slug}", "title": title, "status": status,
            "detail": detail, **extra}
