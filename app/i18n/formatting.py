"""Figures, money, dates and times as the current language writes them (Babel's CLDR data), times in the person's
time zone: "1,234.5" and "EUR 1,234.56" in English, "1.234,5" and "1.234,56 €" in German."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from babel import dates, numbers

from app.i18n.context import current_locale, current_time_zone
from app.i18n.locales import babel_locale

Number = int | float | Decimal


def format_number(value: Number | None, *, digits: int | None = None) -> str:
    """A count or measure with the language's grouping and decimal signs; ``digits`` fixes the decimals."""
    if value is None:
        return ""
    if digits is None:
        return numbers.format_decimal(value, locale=current_locale())
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return numbers.format_decimal(value, format=pattern, locale=current_locale())


def format_percent(value: Number | None, *, digits: int = 0) -> str:
    """A share (0.375) as a percentage ("38%", "38 %" in German)."""
    if value is None:
        return ""
    locale = current_locale()
    pattern = babel_locale(locale).percent_formats[None].pattern  # "#,##0%", "#,##0\u00a0%" in German
    if digits:
        whole = pattern.rindex("0")
        pattern = pattern[: whole + 1] + "." + "0" * digits + pattern[whole + 1 :]
    return numbers.format_percent(value, format=pattern, locale=locale)


def format_money(amount: Number | None, currency: str) -> str:
    """An amount in a currency's major unit (12.5 EUR) the language's way."""
    if amount is None:
        return ""
    return numbers.format_currency(amount, currency.upper(), locale=current_locale())


def format_minor_units(minor: int | None, currency: str) -> str:
    """An amount kept in minor units (cents) the language's way."""
    if minor is None:
        return ""
    digits = numbers.get_currency_precision(currency.upper())
    return format_money(Decimal(minor).scaleb(-digits), currency)


def _local(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(current_time_zone())


def format_date(value: date | datetime | None, *, style: str = "medium") -> str:
    """A day ("Dec 7, 2026", "07.12.2026"); a moment is first moved into the person's time zone."""
    if value is None:
        return ""
    day = _local(value).date() if isinstance(value, datetime) else value
    return dates.format_date(day, format=style, locale=current_locale())


def format_datetime(value: datetime | None, *, style: str = "medium") -> str:
    """A moment in the person's time zone."""
    if value is None:
        return ""
    return dates.format_datetime(_local(value), format=style, locale=current_locale())


def format_time(value: datetime | None, *, style: str = "short") -> str:
    if value is None:
        return ""
    return dates.format_time(_local(value), format=style, locale=current_locale())


def format_moment(value: datetime | None) -> str:
    """A deadline people plan around: the long date, the time without seconds and the time zone's short name
    ("December 7, 2026, 10:00 AM UTC"; "7. Dezember 2026, 11:00 MEZ" for someone in Berlin)."""
    if value is None:
        return ""
    local, locale = _local(value), current_locale()
    zone = dates.format_datetime(local, "z", locale=locale)
    time = f"{dates.format_time(local, format='short', locale=locale)} {zone}"
    day = dates.format_date(local.date(), format="long", locale=locale)
    return str(dates.get_datetime_format("long", locale=locale)).replace("{1}", day).replace("{0}", time)


def format_duration(delta: timedelta, *, threshold: float = 0.85, add_direction: bool = False) -> str:
    """A span ("3 days", "in 3 days" with ``add_direction``) in the language, with its plural rules."""
    return dates.format_timedelta(
        delta, threshold=threshold, add_direction=add_direction, locale=current_locale(), format="long"
    )
