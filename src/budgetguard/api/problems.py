"""The one place that turns errors into RFC 9457 problem responses (application/problem+json).

A response never carries internals: no SQL, no driver message, no traceback (those go to the
log). Every refusal names the fields at fault.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc
from starlette.exceptions import HTTPException

from budgetguard.db.plumbing.engine import database_failed, first_line
from budgetguard.domain.errors import (
    Conflict,
    DatabaseUnavailable,
    EvaluationBusy,
    FieldProblem,
    NotFound,
    Refusal,
    SchemaNotReady,
    Unacceptable,
)

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = "5"
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    431: "Request header fields too large",
    500: "Internal error",
    503: "Service unavailable",
}
_STATUS = {NotFound: 404, Conflict: 409, Unacceptable: 422}


class Unauthorized(Exception):
    """No API key, or one that budgetguard does not know."""


def problem(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Sequence[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Return a problem response; `kind` names its type (urn:budgetguard:problem:<kind>)."""
    body: dict[str, Any] = {
        "type": f"urn:budgetguard:problem:{kind}" if kind else "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [{"field": e.field, "reason": e.reason} for e in errors]
    return JSONResponse(
        body, status_code=status, media_type=MEDIA_TYPE, headers=dict(headers or {})
    )


def install(api: FastAPI) -> None:
    """Register every error mapping on `api`."""
    api.add_exception_handler(RequestValidationError, invalid_problem)
    api.add_exception_handler(HTTPException, http_problem)
    api.add_exception_handler(Unauthorized, _unauthorized)
    api.add_exception_handler(Refusal, _refused)
    api.add_exception_handler(EvaluationBusy, _busy)
    api.add_exception_handler(DatabaseUnavailable, _unavailable)
    api.add_exception_handler(SchemaNotReady, _unavailable)
    api.add_exception_handler(exc.OperationalError, _unavailable)
    api.add_exception_handler(exc.TimeoutError, _unavailable)
    api.add_exception_handler(Exception, _internal)


async def invalid_problem(_request: Request, error: Exception) -> JSONResponse:
    """A request that failed validation as a problem response (422; 400 for malformed JSON)."""
    if not isinstance(error, RequestValidationError):  # registered for RequestValidationError only
        raise error
    problems = field_problems(error)
    if any(item.get("type") == "json_invalid" for item in error.errors()):
        return problem(400, "The body is not valid JSON.", kind="malformed-json", errors=problems)
    detail = "; ".join(f"{p.field}: {p.reason}" for p in problems[:20])
    return problem(422, detail, kind="invalid", errors=problems)


def field_problems(error: RequestValidationError) -> list[FieldProblem]:
    """What is wrong with each field of a request that failed validation."""
    return [_field_problem(item) for item in error.errors()]


def _field_problem(item: Any) -> FieldProblem:
    where = [part for part in item.get("loc", ()) if part not in {"body", "query", "path"}]
    name = ""
    for part in where:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    reason = str(item.get("msg", "is invalid")).removeprefix("Value error, ")
    if item.get("type") == "json_invalid":
        return FieldProblem("body", f"JSON decode error: {item.get('ctx', {}).get('error', '')}")
    if item.get("type") == "missing":
        reason = "is required"
    elif item.get("type") == "extra_forbidden":
        reason = "is not a known field"
    return FieldProblem(name or "body", reason)


async def http_problem(_request: Request, error: Exception) -> JSONResponse:
    """An HTTP error (404, 405, …) as a problem response."""
    if not isinstance(error, HTTPException):  # registered for HTTPException only
        raise error
    detail = error.detail if isinstance(error.detail, str) else _TITLES.get(error.status_code, "")
    return problem(error.status_code, detail, headers=error.headers)


async def _unauthorized(_request: Request, error: Exception) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="budgetguard"'}
    return problem(401, str(error), kind="unauthorized", headers=headers)


async def _refused(_request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, Refusal):  # registered for Refusal only
        raise error
    status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 409)
    kind = {404: "not-found", 409: "conflict", 422: "invalid"}[status]
    return problem(status, str(error), kind=kind, errors=error.problems)


async def _busy(_request: Request, error: Exception) -> JSONResponse:
    return problem(409, "Another evaluation is running; try again shortly.", kind="busy")


async def _unavailable(request: Request, error: Exception) -> JSONResponse:
    where = f"{request.method} {request.url.path}"
    log.warning("%s: database unavailable: %s", where, first_line(error))
    detail = "The database is unavailable or not ready; try again shortly."
    headers = {"Retry-After": RETRY_AFTER_SECONDS}
    return problem(503, detail, kind="database-unavailable", headers=headers)


async def _internal(request: Request, error: Exception) -> JSONResponse:
    if database_failed(error):  # e.g. a driver's own error, or a connection that was lost
        return await _unavailable(request, error)
    log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return problem(500, "An internal error occurred; it has been logged.", kind="internal")
