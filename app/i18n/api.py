"""JSON: the languages offered, and one's own language and time zone."""

from fastapi import APIRouter

from app.accounts.deps import AccountUser, Public
from app.db import SessionDep
from app.i18n import preferences
from app.i18n.schemas import Language, Preferences

router = APIRouter(tags=["languages"])


@router.get("/languages", response_model=list[Language], summary="The languages Chorus speaks")
def list_languages(_visitor: Public) -> list[Language]:
    return [Language(code=code, name=name) for code, name in preferences.language_choices()]


@router.get("/me/preferences", response_model=Preferences, summary="One's language and time zone")
def get_preferences(user: AccountUser) -> Preferences:
    return Preferences(locale=user.locale, time_zone=user.time_zone)


@router.put("/me/preferences", response_model=Preferences, summary="Set one's language and time zone")
def put_preferences(body: Preferences, session: SessionDep, user: AccountUser) -> Preferences:
    """Pages, e-mails and API messages (this answer's included) speak the language from now on."""
    saved = preferences.set_preferences(session, user=user, locale=body.locale, time_zone=body.time_zone)
    return Preferences(locale=saved.locale, time_zone=saved.time_zone)
