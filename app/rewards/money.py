"""Reading and writing amounts: exact Decimal parsing of typed input into integer minor units, and display.

Two ways out: ``format_amount`` for people (the language's signs and symbol: "€1,234.56", "1.234,56 €") and
``plain_amount`` for machines (CSV files for accounting imports, form values: "1234.56" in every language).

Rounding rules (the only places money is divided):
- a percentage royalty or commission is ``net * basis_points / 10000``, rounded half-even to a minor unit, per sale
  line (one order line of one product);
- a royalty split among co-designers gives each ``royalty * share / 10000`` rounded down; the few minor units
  left over go to the largest share (the lowest user id among equals), so the parts always add up to the royalty.
Input is never rounded: "12.345" EUR is refused, not read as 12.34 or 12.35.
"""

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel import numbers

from app.i18n import _, current_locale
from app.i18n.locales import babel_locale

# The current ISO 4217 currency codes (list one, as amended to 2025), kept here because neither babel nor pycountry
# is a dependency. Left out on purpose: funds and units of account (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW, XDR,
# XSU, XUA), precious metals (XAU, XAG, XPD, XPT), the testing code XTS, the "no currency" code, the bond-market
# units (XB?), and withdrawn codes (HRK 2023, CUC 2021, SLL and ZWL 2024). Brands are paid and pay out in these;
# review on each ISO amendment.
# Read with split() below: one word per code keeps the list short to review against the standard.
_TWO_DIGIT_TEXT = """  # i18n: ignore
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP
CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR
JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN
NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP
SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG
"""
_ZERO_DIGIT_TEXT = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"  # i18n: ignore
_THREE_DIGIT_TEXT = "BHD IQD JOD KWD LYD OMR TND"  # i18n: ignore
# ISO 4217 minor units where they are not 2.
_MINOR_DIGITS = {**dict.fromkeys(_ZERO_DIGIT_TEXT.split(), 0), **dict.fromkeys(_THREE_DIGIT_TEXT.split(), 3)}
ISO_CURRENCIES = frozenset(_TWO_DIGIT_TEXT.split()) | frozenset(_MINOR_DIGITS)
_FRACTION = re.compile(r"0\.0+")  # the decimals of a currency pattern ("¤#,##0.00")
# CLDR's currency spacing, which Babel leaves out: a code or a lettered symbol touching a digit is kept apart from it
# by a no-break space ("CHF\u00a015.00", not "CHF15.00").
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


class MoneyError(ValueError):
    """Typed input that is not an amount; the message says what to type."""


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency.upper(), 2)


def parse_currency(text: str) -> str:
    code = text.strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise MoneyError(_("Use a three-letter ISO currency code, such as EUR."))
    if code not in ISO_CURRENCIES:
        raise MoneyError(_("%(code)s is not an ISO 4217 currency code; use one such as EUR, USD or GBP.", code=code))
    return code


def _decimal(text: str) -> Decimal:
    cleaned = text.strip().replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        if not text.strip():
            raise MoneyError(_("Nothing is not a number.")) from None
        raise MoneyError(_("%(text)s is not a number.", text=text.strip())) from None
    if not value.is_finite():
        raise MoneyError(_("%(text)s is not a number.", text=text.strip()))
    return value


def parse_amount(text: str, currency: str) -> int:
    """A typed amount ("12.50") as integer minor units (1250); never rounded, never negative."""
    value = _decimal(text)
    digits = minor_digits(currency)
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise MoneyError(
            _("%(currency)s amounts have at most %(digits)s decimal places.", currency=currency, digits=digits)
        )
    if value < 0:
        raise MoneyError(_("Use an amount of zero or more."))
    return int(scaled)


def parse_percent(text: str) -> int:
    """A typed percentage ("12.5") as basis points (1250), 0 to 100 with at most two decimals."""
    value = _decimal(text.strip().rstrip("%"))
    scaled = value.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise MoneyError(_("Use at most two decimal places in a percentage."))
    if not 0 <= value <= 100:
        raise MoneyError(_("Use a percentage from 0 to 100."))
    return int(scaled)


def percent_of(amount_minor: int, basis_points: int) -> int:
    """``amount * basis_points / 10000`` rounded half-even to a minor unit."""
    return int((Decimal(amount_minor) * basis_points / Decimal(10000)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def split(amount_minor: int, shares: list[tuple[int, int]]) -> dict[int, int]:
    """Divide an amount by (key, basis points) shares adding up to 10,000: each part rounded down, the remainder to
    the largest share (the lowest key among equals). The parts sum to the amount exactly."""
    parts = {key: amount_minor * share // 10000 for key, share in shares}
    lead = min(shares, key=lambda item: (-item[1], item[0]))[0]
    parts[lead] += amount_minor - sum(parts.values())
    return parts


def format_amount(amount_minor: int, currency: str) -> str:
    """An amount for people, in the current language: 12345, "EUR" -> "€123.45" in English, "123,45 €" in German
    and Spanish. The decimals are the currency's ISO 4217 minor units (this module's, not Babel's rounding rules, so
    an amount is never shown rounded)."""
    code = currency.upper()
    digits = minor_digits(code)
    locale = current_locale()
    pattern = babel_locale(locale).currency_formats["standard"].pattern
    fraction = "0." + "0" * digits if digits else "0"
    text = numbers.format_currency(
        Decimal(amount_minor).scaleb(-digits),
        code,
        format=_FRACTION.sub(fraction, pattern),
        locale=locale,
        currency_digits=False,
    )
    return _LETTER_DIGIT.sub("\u00a0", text)


def plain_amount(amount_minor: int, currency: str) -> str:
    """12345, "EUR" -> "123.45" in every language (CSV files for accounting imports, form values, JSON)."""
    digits = minor_digits(currency)
    sign = "-" if amount_minor < 0 else ""
    return f"{sign}{Decimal(abs(amount_minor)).scaleb(-digits):.{digits}f}"
