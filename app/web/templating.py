"""Render a whole page, or one named block of it for an htmx request."""

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from app.columns import utcnow
from app.config import get_settings
from app.db import ROOT_DIR
from app.i18n import formatting
from app.i18n.context import current_locale
from app.i18n.locales import LANGUAGES
from app.i18n.translate import N_, gettext, translations
from app.insights import charts
from app.insights.suppression import HIDDEN_LABEL
from app.web import flash
from app.web.markdown import render_markdown

templates = Jinja2Templates(directory=str(ROOT_DIR / "templates"))
templates.env.add_extension("jinja2.ext.i18n")
# Newstyle gettext: ``_("Hello %(name)s", name=x)`` fills the placeholders after translating, escaping the values
# (so a literal percent sign in a template's message is written "%%").
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    lambda message: translations(current_locale()).ugettext(message),
    lambda singular, plural, count: translations(current_locale()).ungettext(singular, plural, count),
    newstyle=True,
    pgettext=lambda context, message: translations(current_locale()).upgettext(context, message),
    npgettext=lambda context, singular, plural, count: translations(current_locale()).unpgettext(
        context, singular, plural, count
    ),
)
templates.env.globals["current_locale"] = current_locale
templates.env.globals["site_languages"] = lambda: list(LANGUAGES.items())
templates.env.globals["now"] = utcnow
templates.env.filters["number"] = lambda value, digits=None: formatting.format_number(value, digits=digits)
templates.env.filters["minor_units"] = formatting.format_minor_units
templates.env.filters["date"] = lambda value, style="medium": formatting.format_date(value, style=style)
templates.env.filters["datetime"] = lambda value, style="medium": formatting.format_datetime(value, style=style)
templates.env.filters["time"] = lambda value, style="short": formatting.format_time(value, style=style)
templates.env.filters["pair"] = lambda value: (value, value)
templates.env.filters["percent"] = charts.percent
templates.env.filters["figure"] = charts.figure
templates.env.filters["markdown"] = lambda text: Markup(render_markdown(text or ""))  # noqa: S704 (sanitised)
templates.env.globals["settings"] = get_settings
templates.env.globals["hidden_label"] = HIDDEN_LABEL

# How stored values (kinds, visibilities, statuses, roles, moderation actions) read as a label, in the current
# language: marked here, translated where shown (the ``label`` filter). A value missing here shows as it is stored,
# underscores as spaces (English): add it here when a template starts showing a new kind of value.
LABELS = {
    # communities
    "design": N_("design"),
    "feedback": N_("feedback"),
    "both": N_("design and feedback"),
    "public": N_("public"),
    "invite_only": N_("invite-only"),
    "site_admin": N_("site admin"),
    # campaign applications
    "applied": N_("applied"),
    "accepted": N_("accepted"),
    "waitlisted": N_("waitlisted"),
    "declined": N_("declined"),
    "withdrawn": N_("withdrawn"),
    "kit_to_ship": N_("kit to ship"),
    # kits, and eligibility answers
    "shipped": N_("shipped"),
    "delivered": N_("delivered"),
    "problem": N_("problem"),
    "yes": N_("yes"),
    "no": N_("no"),
    # what moderation is about, and why
    "comment": N_("comment"),
    "profile": N_("profile"),
    "idea": N_("idea"),
    "survey_response": N_("survey answer"),
    "review": N_("review"),
    "question": N_("question"),
    "answer": N_("answer"),
    "spam": N_("spam"),
    "offensive": N_("offensive"),
    "stolen_art": N_("stolen art"),
    "off_topic": N_("off topic"),
    "other": N_("other"),
    "reported": N_("reported"),
    "near_duplicate": N_("near duplicate"),
    "premoderation": N_("premoderation"),
    "blocked_word": N_("blocked word"),
    "open": N_("open"),
    "held": N_("held"),
    "hidden": N_("hidden"),
    "removed": N_("removed"),
    "restored": N_("restored"),
    "pending": N_("pending"),
    "granted": N_("granted"),
    "rejected": N_("rejected"),
    # moderation actions (the audit log)
    "hide": N_("hide"),
    "restore": N_("restore"),
    "remove": N_("remove"),
    "auto_hide": N_("auto hide"),
    "hold": N_("hold"),
    "warning": N_("warning"),
    "suspension": N_("suspension"),
    "ban": N_("ban"),
    "lift_sanction": N_("lift sanction"),
    "site_ban": N_("site ban"),
    "appeal_granted": N_("appeal granted"),
    "appeal_rejected": N_("appeal rejected"),
    "discount": N_("discount"),
    "restore_discount": N_("restore discount"),
    "update_settings": N_("update settings"),
    "delete_account": N_("delete account"),
    "preorder_opened": N_("pre-order opened"),
    "preorder_funded": N_("pre-order funded"),
    "preorder_not_funded": N_("pre-order not funded"),
    "preorder_closed": N_("pre-order closed"),
    "pledge_made": N_("pledge made"),
    "pledge_changed": N_("pledge changed"),
    "pledge_withdrawn": N_("pledge withdrawn"),
    # pre-orders and rewards
    "funded": N_("funded"),
    "not_funded": N_("not funded"),
    "discount_code": N_("discount code"),
    "merchandise": N_("merchandise"),
    # results exports (insights)
    "designs": N_("designs"),
    "participation": N_("participation"),
    "joins": N_("joins"),
    "retention": N_("retention"),
    "contributors": N_("contributors"),
    "funnel": N_("funnel"),
    "hops": N_("hops"),
    "connectors": N_("connectors"),
}


def label(value: object) -> str:
    """A stored value as a short label in the current language. (No "a"/"an" or possessive filters: a sentence
    around a value is one translated message, since Spanish and German build it differently.)"""
    key = str(value)
    english = LABELS.get(key)
    return gettext(english) if english is not None else key.replace("_", " ")


templates.env.filters["label"] = label


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
