"""Which language and time zone the current request (or e-mail) speaks.

The choice, most specific first: the person's own setting (their profile), the language a visitor picked in the
switcher (a cookie), the browser's ``Accept-Language``, the community's default language, then English. The
middleware starts each request's choice from its headers; the actor's dependency adds the person's setting and a
community's permit its default. The choice is one object per request, shared by the event loop and the worker thread
the request's step runs in (a worker thread runs in a copy of the request's context, which holds the same object).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from app.i18n.locales import DEFAULT_LOCALE, DEFAULT_TIME_ZONE, best_match, supported


@dataclass(slots=True)
class LocaleChoice:
    person: str | None = None
    picked: str | None = None
    accept_language: str | None = None
    community: str | None = None
    time_zone: str | None = None

    @property
    def locale(self) -> str:
        return self.person or self.picked or best_match(self.accept_language) or self.community or DEFAULT_LOCALE


_choice: ContextVar[LocaleChoice | None] = ContextVar("chorus_locale_choice", default=None)


def start_request_choice(*, picked: str | None, accept_language: str | None) -> LocaleChoice:
    """A new request's choice, from its cookie and header (the middleware calls this)."""
    choice = LocaleChoice(picked=supported(picked), accept_language=accept_language)
    _choice.set(choice)
    return choice


def current_choice() -> LocaleChoice | None:
    return _choice.get()


def current_locale() -> str:
    choice = _choice.get()
    return choice.locale if choice is not None else DEFAULT_LOCALE


def current_time_zone() -> ZoneInfo:
    choice = _choice.get()
    return time_zone_info(choice.time_zone if choice is not None else None)


def asked_locale() -> str | None:
    """The language this request asked for itself (the switcher's pick or the browser's), if one of ours: a new
    account starts with it, so its e-mails speak it too."""
    choice = _choice.get()
    if choice is None:
        return None
    return choice.person or choice.picked or best_match(choice.accept_language)


def note_person(locale: str | None, time_zone: str | None) -> None:
    """The signed-in person's settings, once their account is loaded."""
    choice = _choice.get()
    if choice is not None:
        choice.person = supported(locale)
        choice.time_zone = time_zone


def note_community(locale: str | None) -> None:
    """The default language of the community a page belongs to (the last of the fallbacks)."""
    choice = _choice.get()
    if choice is not None:
        choice.community = supported(locale)


@contextmanager
def use_locale(locale: str | None, time_zone: str | None = None) -> Iterator[None]:
    """Speak ``locale`` (and show times in ``time_zone``) inside the block: an e-mail in its recipient's language."""
    token = _choice.set(LocaleChoice(person=supported(locale) or DEFAULT_LOCALE, time_zone=time_zone))
    try:
        yield
    finally:
        _choice.reset(token)


@lru_cache(maxsize=512)
def time_zone_info(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


@lru_cache(maxsize=1)
def time_zone_names() -> list[str]:
    """The IANA time zones a person may pick, sorted ("Europe/Berlin"), without the legacy aliases."""
    return sorted(name for name in available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/")))
