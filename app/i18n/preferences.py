"""A person's language and time zone (their profile's settings), and a community's default language."""

from sqlmodel import Session

from app.accounts.models import User
from app.errors import Invalid
from app.i18n.context import note_person, time_zone_names
from app.i18n.locales import LANGUAGES, SUPPORTED
from app.i18n.translate import gettext as _


def language_choices() -> list[tuple[str, str]]:
    return list(LANGUAGES.items())


def time_zone_choices() -> list[str]:
    return ["UTC", *time_zone_names()]


def checked_locale(locale: str | None, *, field: str = "locale") -> str | None:
    """``locale`` if Chorus speaks it; empty means "not set"."""
    if not locale:
        return None
    if locale not in SUPPORTED:
        raise Invalid(
            _("Choose one of the languages offered: %(codes)s.", codes=", ".join(sorted(SUPPORTED))),
            fields={field: _("Choose a language from the list.")},
        )
    return locale


def checked_time_zone(time_zone: str | None) -> str | None:
    if not time_zone:
        return None
    if time_zone != "UTC" and time_zone not in time_zone_names():
        raise Invalid(
            _('"%(name)s" is not a time zone. Use a name such as Europe/Berlin.', name=time_zone),
            fields={"time_zone": _("Choose a time zone from the list.")},
        )
    return time_zone


def set_preferences(session: Session, *, user: User, locale: str | None, time_zone: str | None) -> User:
    """Saves both settings (empty clears one); the rest of this request already speaks the new language."""
    user.locale = checked_locale(locale)
    user.time_zone = checked_time_zone(time_zone)
    session.add(user)
    session.commit()
    note_person(user.locale, user.time_zone)
    return user
