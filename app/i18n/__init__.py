"""The member's language: catalogues, the locale of each request (and of each e-mail), and local formatting.

Strings shown to people are written in English in the code and passed through ``_`` (``gettext``), ``ngettext``
(plurals), ``pgettext`` (a context for short words) or, where the string is defined before anyone asks (a module's
constants), marked with ``N_`` and translated where it is shown. Templates use ``_()``/``ngettext()`` and
``{% trans %}`` the same way. Translations are looked up in the locale of the current request or of the
``use_locale`` block around an e-mail, never from an argument threaded through the services.
"""

from app.i18n.context import current_locale, current_time_zone, use_locale
from app.i18n.translate import N_, Labels, gettext, ngettext, npgettext, pgettext

_ = gettext

__all__ = [
    "N_",
    "Labels",
    "_",
    "current_locale",
    "current_time_zone",
    "gettext",
    "ngettext",
    "npgettext",
    "pgettext",
    "use_locale",
]
