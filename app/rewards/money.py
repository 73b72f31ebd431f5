"""Reading and writing amounts: exact Decimal parsing of typed input into integer minor units, and display.

Rounding rules (the only places money is divided):
- a percentage royalty or commission is ``net * basis_points / 10000``, rounded half-even to a minor unit, per sale
  line (one order line of one product);
- a royalty split among co-designers gives each ``royalty * share / 10000`` rounded down; the few minor units
  left over go to the largest share (the lowest user id among equals), so the parts always add up to the royalty.
Input is never rounded: "12.345" EUR is refused, not read as 12.34 or 12.35.
"""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

# The current ISO 4217 currency codes (list one, as amended to 2025), kept here because neither babel nor pycountry
# is a dependency. Left out on purpose: funds and units of account (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW, XDR,
# XSU, XUA), precious metals (XAU, XAG, XPD, XPT), the testing code XTS, the "no currency" code, the bond-market
# units (XB?), and withdrawn codes (HRK 2023, CUC 2021, SLL and ZWL 2024). Brands are paid and pay out in these;
# review on each ISO amendment.
# Read with split() below: one word per code keeps the list short to review against the standard.
_TWO_DIGIT_TEXT = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP
CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR
JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN
NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP
SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG
"""
_ZERO_DIGIT_TEXT = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE_DIGIT_TEXT = "BHD IQD JOD KWD LYD OMR TND"
# ISO 4217 minor units where they are not 2.
_MINOR_DIGITS = {**dict.fromkeys(_ZERO_DIGIT_TEXT.split(), 0), **dict.fromkeys(_THREE_DIGIT_TEXT.split(), 3)}
ISO_CURRENCIES = frozenset(_TWO_DIGIT_TEXT.split()) | frozenset(_MINOR_DIGITS)
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


class MoneyError(ValueError):
    """Typed input that is not an amount; the message says what to type."""


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency.upper(), 2)


def parse_currency(text: str) -> str:
    code = text.strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise MoneyError("Use a three-letter ISO currency code, such as EUR.")
    if code not in ISO_CURRENCIES:
        raise MoneyError(f"{code} is not an ISO 4217 currency code; use one such as EUR, USD or GBP.")
    return code


def _decimal(text: str) -> Decimal:
    cleaned = text.strip().replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyError(f"{text.strip() or 'Nothing'} is not a number.") from None
    if not value.is_finite():
        raise MoneyError(f"{text.strip()} is not a number.")
    return value


def parse_amount(text: str, currency: str) -> int:
    """A typed amount ("12.50") as integer minor units (1250); never rounded, never negative."""
    value = _decimal(text)
    digits = minor_digits(currency)
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{currency} amounts have at most {digits} decimal places.")
    if value < 0:
        raise MoneyError("Use an amount of zero or more.")
    return int(scaled)


def parse_percent(text: str) -> int:
    """A typed percentage ("12.5") as basis points (1250), 0 to 100 with at most two decimals."""
    value = _decimal(text.strip().rstrip("%"))
    scaled = value.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise MoneyError("Use at most two decimal places in a percentage.")
    if not 0 <= value <= 100:
        raise MoneyError("Use a percentage from 0 to 100.")
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
    """12345, "EUR" -> "€123.45"; other currencies as "123.45 CHF"."""
    digits = minor_digits(currency)
    sign = "-" if amount_minor < 0 else ""
    value = Decimal(abs(amount_minor)).scaleb(-digits)
    text = f"{value:,.{digits}f}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency.upper()}"


def plain_amount(amount_minor: int, currency: str) -> str:
    """12345, "EUR" -> "123.45" (CSV files and form values)."""
    digits = minor_digits(currency)
    sign = "-" if amount_minor < 0 else ""
    return f"{sign}{Decimal(abs(amount_minor)).scaleb(-digits):.{digits}f}"
