"""Figures, money, dates and plurals per language."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.i18n import ngettext, use_locale
from app.i18n.formatting import (
    format_date,
    format_datetime,
    format_minor_units,
    format_money,
    format_number,
    format_percent,
)


@pytest.mark.parametrize(
    ("locale", "number", "percent", "money"),
    [
        ("en", "1,234,567.5", "37.5%", "€1,234.56"),
        ("de", "1.234.567,5", "37,5\u00a0%", "1.234,56\u00a0€"),
        ("es", "1.234.567,5", "37,5\u00a0%", "1.234,56\u00a0€"),
    ],
)
def test_figures_follow_the_language(locale: str, number: str, percent: str, money: str) -> None:
    with use_locale(locale):
        assert format_number(1234567.5) == number
        assert format_percent(0.375, digits=1) == percent
        assert format_minor_units(123456, "EUR") == money
        assert format_money(Decimal("1234.56"), "eur") == money


def test_times_are_shown_in_the_persons_time_zone() -> None:
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    with use_locale("de", "Europe/Berlin"):
        assert format_date(moment) == "01.01.2027"
        assert format_datetime(moment).startswith("01.01.2027, 00:30")
    with use_locale("en"):
        assert format_date(moment) == "Dec 31, 2026"
        assert format_date(date(2026, 3, 1), style="long") == "March 1, 2026"


def test_plural_forms_follow_each_language() -> None:
    with use_locale("en"):
        assert ngettext("%(num)s vote", "%(num)s votes", 1) == "1 vote"
        assert ngettext("%(num)s vote", "%(num)s votes", 0) == "0 votes"


def test_an_unknown_locale_speaks_english() -> None:
    with use_locale("xx"):
        assert format_number(1234.5) == "1,234.5"
