"""One JSON error shape for every failure: {"error": {"code": ..., "message": ...}}."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from smileback.api.schemas import ErrorBody, ErrorDetail
from smileback.common.supervise import DATABASE, dependency_of

__all__ = ["ApiError", "documented", "error_response", "install_error_handlers"]

log = structlog.get_logger(__name__)

_RETRY_AFTER_S = "5"  # seconds: about one readiness probe interval

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}
# Every authenticated route may answer these.
_AUTHENTICATED = (401, 403, 422, 429)
# Routes that take a body may also answer: not JSON at all, or too large.
_BODY = (400, 413)


def documented(
    *statuses: int, auth: bool = True, body: bool = False
) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses` for the error statuses a route can return, in the one error shape."""
    codes = sorted({*statuses, *(_AUTHENTICATED if auth else ()), *(_BODY if body else ())})
    return {
        status: {"model": ErrorBody, "description": HTTPStatus(status).phrase} for status in codes
    }


class ApiError(HTTPException):
    """An HTTP error with a machine-readable code (and, for rule errors, a position)."""

    def __init__(
        self,
        *,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
        position: int | None = None,
        owner: str | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=dict(headers or {}))
        self.code = code
        self.position = position
        self.owner = owner


def error_response(
    *,
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    position: int | None = None,
    owner: str | None = None,
) -> JSONResponse:
    """The JSON response for one error."""
    body = ErrorBody(error=ErrorDetail(code=code, message=message, position=position, owner=owner))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Route HTTP, validation and unexpected errors through the one error shape."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = exc.code if isinstance(exc, ApiError) else _CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    position = exc.position if isinstance(exc, ApiError) else None
    owner = exc.owner if isinstance(exc, ApiError) else None
    return error_response(
        status=exc.status_code,
        code=code,
        message=message,
        headers=exc.headers,
        position=position,
        owner=owner,
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # FastAPI reports a body that is not JSON as a validation error; it is a bad request.
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            where = err.get("loc", ())[-1]
            return error_response(
                status=400,
                code="bad_request",
                message=f"the body is not valid JSON (at character {where})",
            )
    problems = []
    for err in exc.errors()[:5]:
        where = ".".join(str(part) for part in err.get("loc", ()))
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return error_response(
        status=422, code="invalid_request", message="; ".join(problems) or "invalid request"
    )


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    if dependency_of(exc) == DATABASE:
        # An outage, not a bug: the client may try again; the readiness probe logs the outage.
        return error_response(
            status=503,
            code="unavailable",
            message="the database is unavailable; try again shortly",
            headers={"Retry-After": _RETRY_AFTER_S},
        )
    log.error("unhandled error", exc_info=exc)
    return error_response(status=500, code="internal", message="internal server error")
