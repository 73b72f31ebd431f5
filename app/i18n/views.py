"""HTML: the footer's language switcher (works without JavaScript) and the settings page for language and time."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import AccountUser, Public
from app.config import get_settings
from app.db import SessionDep
from app.errors import AppError
from app.i18n import preferences
from app.i18n.locales import supported
from app.i18n.middleware import LOCALE_COOKIE
from app.i18n.translate import gettext as _
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect, safe_next
from app.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
FormText = Annotated[str, Form()]
LOCALE_COOKIE_DAYS = 365


def remember_locale(response: Response, locale: str | None) -> None:
    """The visitor's pick, for the requests before (or without) a login."""
    if locale is None:
        response.delete_cookie(LOCALE_COOKIE)
        return
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=LOCALE_COOKIE_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )


@router.post("/language", name="i18n:switch")
def switch_language(
    request: Request, session: SessionDep, user: Public, locale: FormText = "", next: FormText = "/"
) -> Response:
    """The footer's switcher: a visitor's pick is kept in a cookie; a member's is also saved on their profile."""
    chosen = supported(locale)
    if user is not None and chosen is not None:
        preferences.set_preferences(session, user=user, locale=chosen, time_zone=user.time_zone)
    response = redirect(request, safe_next(next))
    remember_locale(response, chosen)
    return response


def _page(request: Request, form: dict[str, str], **extra: object) -> Response:
    context = {
        "form": form,
        "languages": preferences.language_choices(),
        "time_zones": preferences.time_zone_choices(),
        **extra,
    }
    return render(request, "i18n/settings.html", context)


@router.get("/settings/language", name="i18n:settings")
def settings_page(request: Request, user: AccountUser) -> Response:
    return _page(request, {"locale": user.locale or "", "time_zone": user.time_zone or ""})


@router.post("/settings/language")
def save_settings(
    request: Request, session: SessionDep, user: AccountUser, locale: FormText = "", time_zone: FormText = ""
) -> Response:
    form = {"locale": locale, "time_zone": time_zone}
    try:
        preferences.set_preferences(session, user=user, locale=locale, time_zone=time_zone)
    except AppError as error:
        context = {
            "form": form,
            "languages": preferences.language_choices(),
            "time_zones": preferences.time_zone_choices(),
        }
        return form_error(request, session, "i18n/settings.html", context, error)
    response = redirect(request, "/settings/language")
    remember_locale(response, user.locale)
    flash.add(response, request, _("Your language and time zone are saved."))
    return response
