"""The gettext catalogues (``app/locales/<language>/LC_MESSAGES/messages.po``) and the lookups into them.

The ``.mo`` files are compiled from the ``.po`` files at install and image build (``make install``, the Dockerfile);
a catalogue whose ``.mo`` is missing or older than its ``.po`` (a checkout that has not run ``make`` since) is
compiled in memory instead, with a warning, so a page never shows message ids.
"""

import logging
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from app.i18n.context import current_locale
from app.i18n.locales import SUPPORTED

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

logger = logging.getLogger("chorus.i18n")


@lru_cache(maxsize=len(SUPPORTED))
def translations(locale: str) -> NullTranslations:
    folder = LOCALES_DIR / locale / "LC_MESSAGES"
    po_path, mo_path = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if not po_path.exists():
        return NullTranslations()
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as mo_file:
            return Translations(mo_file, domain=DOMAIN)
    logger.warning("%s is missing or older than its .po: compiling it in memory (run `make i18n`)", mo_path)
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(message: str, **variables: object) -> str:
    """``message`` in the current language, with ``%(name)s`` placeholders filled from ``variables`` if any."""
    translated = translations(current_locale()).ugettext(message)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, count: int, **variables: object) -> str:
    """The form for ``count`` by the language's plural rules; ``%(num)s`` is ``count``."""
    translated = translations(current_locale()).ungettext(singular, plural, count)
    return translated % {"num": count, **variables}


def pgettext(context: str, message: str, **variables: object) -> str:
    """``message`` as meant in ``context`` (a short word that translates differently elsewhere)."""
    translated = translations(current_locale()).upgettext(context, message)
    return translated % variables if variables else translated


def npgettext(context: str, singular: str, plural: str, count: int, **variables: object) -> str:
    translated = translations(current_locale()).unpgettext(context, singular, plural, count)
    return translated % {"num": count, **variables}


class Labels(dict[Any, str]):
    """Labels marked with ``N_`` that read translated into the current language wherever they are looked up (a
    template's ``labels[key]``, ``.get``, ``.items()``), though the mapping is made once, at import."""

    def __getitem__(self, key: Any) -> str:
        return gettext(super().__getitem__(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return gettext(super().__getitem__(key)) if key in self else default

    def values(self) -> list[str]:  # type: ignore[override]
        return [gettext(value) for value in super().values()]

    def items(self) -> list[tuple[Any, str]]:  # type: ignore[override]
        return [(key, gettext(value)) for key, value in super().items()]


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue where it is defined (a constant); ``_()`` translates it where shown."""
    return message
