"""Small facts about the incoming request that routes pass on to services, and reading a body a route takes in more
than one form (JSON or a form), checked as FastAPI checks its own."""

from typing import TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from app.i18n import _
from app.web.templating import is_htmx

Model = TypeVar("Model", bound=BaseModel)


def client_ip(request: Request) -> str:
    """The peer address (uvicorn's --proxy-headers puts the real client here behind a trusted proxy)."""
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths, so a crafted ?next= cannot send people to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def redirect(request: Request, url: str) -> Response:
    """After a successful form post: a 303 for browsers, HX-Redirect for htmx."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def validated(model: type[Model], raw: object) -> Model:
    """``raw`` checked by ``model``; a refusal is the same 422 as FastAPI's own body validation."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems = [{**problem, "loc": ("body", *problem["loc"])} for problem in error.errors(include_url=False)]
        raise RequestValidationError(problems, body=raw) from error


async def read_json(request: Request, model: type[Model]) -> Model:
    """The JSON body checked by ``model``, for a route that reads its body itself (it also takes a form)."""
    try:
        raw = await request.json()
    except ValueError as error:
        problem = {"type": "json_invalid", "loc": ("body",), "msg": _("Send a JSON body or a form."), "input": ""}
        raise RequestValidationError([problem]) from error
    return validated(model, raw)
