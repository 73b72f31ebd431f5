"""Exact parsing of typed amounts, half-even percentages and splits that always add up."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.i18n import use_locale
from app.rewards import money


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("12.5", "EUR", 1250),
        ("0", "EUR", 0),
        (" 1 000.01 ", "EUR", 100001),
        ("500", "JPY", 500),
    ],
)
def test_amounts_are_read_exactly(text: str, currency: str, minor: int) -> None:
    assert money.parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [("12.345", "EUR"), ("1.5", "JPY"), ("-1", "EUR"), ("abc", "EUR"), ("NaN", "EUR"), ("", "EUR")],
)
def test_amounts_are_never_rounded_or_guessed(text: str, currency: str) -> None:
    with pytest.raises(money.MoneyError):
        money.parse_amount(text, currency)


@pytest.mark.parametrize(("text", "basis_points"), [("10", 1000), ("12.5%", 1250), ("0.01", 1), ("100", 10000)])
def test_percentages_become_basis_points(text: str, basis_points: int) -> None:
    assert money.parse_percent(text) == basis_points


@pytest.mark.parametrize("text", ["100.01", "-1", "12.345", "ten"])
def test_bad_percentages_are_refused(text: str) -> None:
    with pytest.raises(money.MoneyError):
        money.parse_percent(text)


@pytest.mark.parametrize(
    ("amount", "bp", "expected"), [(1004, 1250, 126), (1012, 1250, 126), (1005, 1250, 126), (20, 250, 0), (60, 250, 2)]
)
def test_percentages_round_half_even(amount: int, bp: int, expected: int) -> None:
    # 125.5 -> 126 and 126.5 -> 126 (to the even neighbour); 125.625 -> 126; 0.5 -> 0; 1.5 -> 2
    assert money.percent_of(amount, bp) == expected


def test_a_split_gives_the_remainder_to_the_largest_share() -> None:
    assert money.split(100, [(1, 3333), (2, 3334), (3, 3333)]) == {1: 33, 2: 34, 3: 33}
    assert money.split(101, [(7, 5000), (3, 5000)]) == {7: 50, 3: 51}  # equal shares: the lower key


@given(
    amount=st.integers(0, 10**9),
    cuts=st.lists(st.integers(1, 9999), min_size=0, max_size=5, unique=True),
)
def test_split_parts_always_add_up_to_the_amount(amount: int, cuts: list[int]) -> None:
    edges = [0, *sorted(cuts), 10000]
    shares = [(key, high - low) for key, (low, high) in enumerate(itertools.pairwise(edges)) if high > low]
    parts = money.split(amount, shares)
    assert sum(parts.values()) == amount
    assert all(part >= 0 for part in parts.values())


def test_amounts_read_as_money() -> None:
    assert money.format_amount(123456, "EUR") == "€1,234.56"
    assert money.format_amount(-5, "GBP") == "-£0.05"
    assert money.format_amount(1500, "CHF") == "CHF\u00a015.00"
    assert money.plain_amount(-1250, "EUR") == "-12.50"


def test_amounts_follow_the_language_and_the_machine_format_does_not() -> None:
    with use_locale("de"):
        assert money.format_amount(123456, "EUR") == "1.234,56\u00a0€"
        assert money.format_amount(12345, "KWD") == "12,345\u00a0KWD"  # three decimals, never rounded away
        assert money.plain_amount(123456, "EUR") == "1234.56"
    with use_locale("es"):
        assert money.format_amount(-5, "EUR") == "-0,05\u00a0€"
        assert money.format_amount(1234, "JPY").startswith("1.234")
        assert money.plain_amount(1234, "JPY") == "1234"
        with pytest.raises(money.MoneyError, match="no es un número"):
            money.parse_amount("doce", "EUR")


@pytest.mark.parametrize("text", ["QQQ", "XYZ", "XXX", "XAU", "HRK", "E U", "EURO", ""])
def test_only_current_iso_4217_currencies_are_accepted(text: str) -> None:
    with pytest.raises(money.MoneyError):
        money.parse_currency(text)


@pytest.mark.parametrize(("text", "code", "digits"), [("eur", "EUR", 2), ("JPY", "JPY", 0), (" kwd ", "KWD", 3)])
def test_iso_currencies_are_read_with_their_minor_units(text: str, code: str, digits: int) -> None:
    assert money.parse_currency(text) == code
    assert money.minor_digits(code) == digits
