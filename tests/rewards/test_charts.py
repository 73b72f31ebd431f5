"""The month chart of money (app/rewards/charts.py): named axes, tick amounts, every month's amount, an accessible
name and description."""

import re

from app.i18n import use_locale
from app.rewards.charts import month_bars
from app.rewards.statements import MonthTotal


def _texts(svg: str, css: str | None = None) -> list[str]:
    pattern = rf'<text class="{css}"[^>]*>([^<]*)</text>' if css else r"<text(?: x| y)[^>]*>([^<]*)</text>"
    return re.findall(pattern, svg)


def test_the_month_chart_names_its_axes_and_shows_every_amount() -> None:
    months = [MonthTotal("2026-09", 2304), MonthTotal("2026-10", -300), MonthTotal("2026-11", 2677)]
    chart = month_bars(months, currency="EUR", label="Your earnings per month")
    svg = str(chart.svg)
    assert _texts(svg, "month-axis-title") == ["Month", "Amount (EUR)"]
    # Each month's amount beside its bar, a refund month's too (it draws no bar).
    assert _texts(svg, "month-value") == ["€23.04", "-€3.00", "€26.77"]
    # Month names, then the amount axis's ticks: nothing, half the best month, the best month.
    assert _texts(svg) == ["Sep 2026", "Oct 2026", "Nov 2026", "€0.00", "€13.38", "€26.77"]
    assert chart.rows == [("Sep 2026", "€23.04"), ("Oct 2026", "-€3.00"), ("Nov 2026", "€26.77")]


def test_the_month_chart_is_an_image_with_a_name_and_a_description() -> None:
    chart = month_bars([MonthTotal("2026-11", 500)], currency="CHF", label="Owed <per> month")
    svg = str(chart.svg)
    assert 'role="img"' in svg and "aria-hidden" not in svg
    ident = re.search(r'aria-labelledby="([\w-]+)-t" aria-describedby="\1-d"', svg)
    assert ident is not None
    assert f'<title id="{ident[1]}-t">Owed &lt;per&gt; month</title>' in svg
    assert f'<desc id="{ident[1]}-d">Nov 2026: CHF\u00a05.00</desc>' in svg
    # The drawing keeps its proportions (text is never stretched) and scales with its container.
    assert "preserveAspectRatio" not in svg and 'viewBox="0 0 400 ' in svg


def test_the_month_chart_speaks_the_language() -> None:
    with use_locale("de"):
        chart = month_bars([MonthTotal("2026-12", 123456)], currency="EUR", label="Deine Einnahmen pro Monat")
    svg = str(chart.svg)
    assert _texts(svg, "month-axis-title") == ["Monat", "Betrag (EUR)"]
    assert chart.rows == [("Dez 2026", "1.234,56\u00a0€")]
    with use_locale("es"):
        assert "nada todavía" in str(month_bars([], currency="EUR", label="x").svg)
