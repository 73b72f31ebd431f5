"""The languages Chorus speaks, and how a browser's ``Accept-Language`` picks one of them."""

from functools import lru_cache

from babel import Locale

DEFAULT_LOCALE = "en"
# Each language's own name for itself, as a switcher shows it (a German reader looks for "Deutsch").
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español", "de": "Deutsch"}
SUPPORTED = frozenset(LANGUAGES)
DEFAULT_TIME_ZONE = "UTC"


def supported(code: str | None) -> str | None:
    """``code`` as one of ours ("de-AT" and "de_at" are "de"), or None."""
    if not code:
        return None
    language = code.replace("_", "-").split("-", 1)[0].strip().lower()
    return language if language in SUPPORTED else None


def best_match(accept_language: str | None) -> str | None:
    """The supported language a browser prefers most (RFC 9110 quality values; ties keep the header's order), or
    None when it names none of ours."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")[:32]):
        tag, _, parameters = item.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = supported(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


@lru_cache(maxsize=len(LANGUAGES))
def babel_locale(code: str) -> Locale:
    return Locale.parse(code)
