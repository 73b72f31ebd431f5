"""Render a whole page, or one named block of it for an htmx request."""

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from app.config import get_settings
from app.db import ROOT_DIR
from app.insights import charts
from app.insights.suppression import HIDDEN_LABEL
from app.web import flash
from app.web.markdown import render_markdown

templates = Jinja2Templates(directory=str(ROOT_DIR / "templates"))
templates.env.filters["percent"] = charts.percent
templates.env.filters["figure"] = charts.figure
templates.env.filters["markdown"] = lambda text: Markup(render_markdown(text or ""))  # noqa: S704 (sanitised)
templates.env.globals["settings"] = get_settings
templates.env.globals["hidden_label"] = HIDDEN_LABEL

# How stored values (kinds, visibilities, roles) read in a sentence.
LABELS = {
    "design": "design",
    "feedback": "feedback",
    "both": "design and feedback",
    "public": "public",
    "invite_only": "invite-only",
    "site_admin": "site admin",
    "survey_response": "survey answer",
}
templates.env.filters["label"] = lambda value: LABELS.get(str(value), str(value).replace("_", " "))
# "a design", "an idea": the article for a label (a word starting with a vowel letter takes "an").
# "Northwind's", "Brightleaf Home Testers'": the possessive of a name.
templates.env.filters["possessive"] = lambda name: f"{name}'" if str(name).endswith("s") else f"{name}'s"
templates.env.filters["with_article"] = lambda text: f"{'an' if str(text)[:1].lower() in 'aeiou' else 'a'} {text}"


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def csrf_token(request: Request) -> str:
    make_token = request.scope.get("csrftoken")
    return make_token() if make_token else ""


def _context(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    return {
        "request": request,
        "current_user": getattr(request.state, "user", None),
        "csrf_token": csrf_token(request),
        "flashes": flash.pop_messages(request),
        **context,
    }


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The full page; only ``block`` when htmx asked for it (the block then carries no layout)."""
    full_context = _context(request, context or {})
    if block and is_htmx(request):
        template = templates.env.get_template(template_name)
        render_block = template.blocks[block]
        html = "".join(render_block(template.new_context(full_context)))
        response = HTMLResponse(html, status_code=status_code, headers=headers)
    else:
        response = templates.TemplateResponse(
            request, template_name, full_context, status_code=status_code, headers=headers
        )
    flash.clear_if_shown(request, response)
    return response
