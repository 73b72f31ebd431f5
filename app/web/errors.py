"""One way to answer errors: JSON ``{"detail": ..., "errors": [...]}`` under /api, an HTML page (or an htmx toast)
elsewhere. ``ErrorResponse`` documents that shape in the OpenAPI of every /api/v1 route, in place of FastAPI's own
validation error schema, so that a schema-driven client reads the errors the server really sends."""

import json
import logging
from http import HTTPStatus
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.accounts import lookups as accounts_lookups
from app.accounts.deps import LoginRequired, TwoFactorRequired, session_token
from app.db import get_engine
from app.errors import AppError, TooManyRequests
from app.i18n import N_, _
from app.i18n.context import note_person
from app.web import flash
from app.web.middleware import security_headers
from app.web.templating import is_htmx, render

logger = logging.getLogger("chorus")


class FieldError(BaseModel):
    field: str = Field(
        description="The form field, JSON field (dotted path, e.g. `query.page`, `sales.0.quantity`) or row "
        "(`row 2` of an import) the message is about"
    )
    message: str


class ErrorResponse(BaseModel):
    """The body of every error the JSON API answers, whatever its status."""

    detail: str = Field(description="What went wrong, in a sentence a person can act on")
    errors: list[FieldError] | None = Field(
        default=None, description="One message per field at fault; absent when the error is about the whole request"
    )


# Added to the responses of every /api/v1 route (app.main); a route's own 422 replaces FastAPI's HTTPValidationError.
# The OpenAPI document is for developers: in English.
API_ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        400: "The request cannot be acted on",  # i18n: ignore (OpenAPI)
        401: "Log in or send a valid API token",  # i18n: ignore (OpenAPI)
        403: "Refused: CSRF check failed, or the caller lacks the role",  # i18n: ignore (OpenAPI)
        404: "No such thing, or not one the caller may see",  # i18n: ignore (OpenAPI)
        409: "The state of things does not allow it now",  # i18n: ignore (OpenAPI)
        413: "The request body is too large",  # i18n: ignore (OpenAPI)
        422: "The request is not valid: `errors` names each field",  # i18n: ignore (OpenAPI)
        429: "Too many requests: wait for `Retry-After` seconds",  # i18n: ignore (OpenAPI)
        503: "Busy: try again shortly",  # i18n: ignore (OpenAPI)
    }.items()
}


# The titles of the error pages (and the message of an HTTP error raised without one): the standard phrases
# (HTTPStatus), in the current language.
STATUS_PHRASES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    409: N_("Conflict"),
    413: N_("Request Entity Too Large"),
    422: N_("Unprocessable Entity"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    503: N_("Service Unavailable"),
}


def status_phrase(status_code: int) -> str:
    phrase = STATUS_PHRASES.get(status_code)
    return _(phrase) if phrase else HTTPStatus(status_code).phrase


def field_errors(fields: dict[str, str]) -> list[dict[str, str]]:
    """A service error's messages per field (``AppError.fields``) in the one ``errors`` shape of the API."""
    return [{"field": field, "message": message} for field, message in fields.items()]


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def _identify_visitor(request: Request) -> None:
    """An error raised before any route dependency ran (an unknown URL, say) still shows the logged-in header."""
    if hasattr(request.state, "user") or not session_token(request):
        return
    token = session_token(request)
    try:
        with Session(get_engine()) as session:
            user = accounts_lookups.user_for_session_token(session, token=token or "")
            if user is not None:
                session.expunge(user)
                note_person(user.locale, user.time_zone)
            request.state.user = user
    except SQLAlchemyError:
        logger.warning("Could not look up the session for an error page", exc_info=True)


def error_response(
    request: Request,
    status_code: int,
    message: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json(request):
        body: dict[str, object] = {"detail": message}
        if errors:
            body["errors"] = errors
        return JSONResponse(body, status_code=status_code, headers=headers)
    if is_htmx(request):
        toast = json.dumps({"chorus:toast": {"message": message, "level": "error"}})
        return Response(status_code=status_code, headers={**(headers or {}), "HX-Trigger": toast, "HX-Reswap": "none"})
    title = status_phrase(status_code)
    _identify_visitor(request)
    return render(
        request,
        "errors/error.html",
        {"status_code": status_code, "title": title, "message": message},
        status_code=status_code,
        headers=headers,
    )


def _validation_message(exc: RequestValidationError) -> tuple[str, list[dict[str, str]]]:
    problems = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append({"field": location, "message": error.get("msg") or _("is not valid")})
    # Pydantic's own messages ("Field required") stay in English; the sentence around them is translated.
    summary = "; ".join(f"{problem['field']}: {problem['message']}" for problem in problems[:5])
    return _("The request is not valid: %(problems)s", problems=summary), problems


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def on_app_error(request: Request, exc: AppError) -> Response:
        if isinstance(exc, LoginRequired) and not wants_json(request):
            target = "/login?next=" + quote(request.url.path)
            if is_htmx(request):
                return Response(status_code=401, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
        if isinstance(exc, TwoFactorRequired) and not wants_json(request):
            target = "/settings/two-factor?next=" + quote(request.url.path)
            if is_htmx(request):
                return Response(status_code=403, headers={"HX-Redirect": target})
            response = RedirectResponse(target, status_code=303)
            flash.add(response, request, exc.message, "info")
            return response
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        return error_response(request, exc.status_code, exc.message, errors=field_errors(exc.fields), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> Response:
        message, problems = _validation_message(exc)
        return error_response(request, 422, message, errors=problems)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: _("We could not find that page."), 405: _("This address does not accept that method.")}
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code not in messages else None
        return error_response(
            request,
            exc.status_code,
            message or messages.get(exc.status_code) or status_phrase(exc.status_code),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def on_unexpected_error(request: Request, exc: Exception) -> Response:
        logger.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        message = _("Something went wrong on our side. It has been logged; please try again.")
        return error_response(request, 500, message, headers=security_headers(request.url.path))
