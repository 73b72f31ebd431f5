"""Server-rendered SVG bar charts of money per month, each shown beside a table of the same figures."""

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from app.rewards import money
from app.rewards.service import MonthTotal

_WIDTH, _HEIGHT, _GAP, _LABEL = 600, 180, 6, 18
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class BarChart:
    svg: Markup
    label: str
    rows: list[tuple[str, str]]  # (month name, formatted amount), for the table beside the chart


def month_name(month: str) -> str:
    year, number = month.split("-")
    return f"{_MONTH_NAMES[int(number) - 1]} {year}"


def month_bars(months: list[MonthTotal], *, currency: str, label: str) -> BarChart:
    """One bar per month, scaled to the largest; negative months (refunds) draw no bar. Decorative for screen
    readers (aria-hidden): the table carries the same figures."""
    peak = max((month.amount_minor for month in months), default=0) or 1
    step = _WIDTH / max(len(months), 1)
    bars = []
    for index, month in enumerate(months):
        height = max(month.amount_minor, 0) * (_HEIGHT - _LABEL) / peak
        x = index * step + _GAP / 2
        title = f"{month_name(month.month)}: {money.format_amount(month.amount_minor, currency)}"
        bars.append(
            f'<rect x="{x:.1f}" y="{_HEIGHT - _LABEL - height:.1f}" width="{step - _GAP:.1f}" height="{height:.1f}">'
            f"<title>{escape(title)}</title></rect>"
            f'<text x="{x + (step - _GAP) / 2:.1f}" y="{_HEIGHT - 4}" text-anchor="middle">'
            f"{_MONTH_NAMES[int(month.month[5:]) - 1]}</text>"
        )
    svg = (
        f'<svg class="month-bars" viewBox="0 0 {_WIDTH} {_HEIGHT}" preserveAspectRatio="none" role="img" '
        f'aria-hidden="true" focusable="false">{"".join(bars)}</svg>'
    )
    rows = [(month_name(month.month), money.format_amount(month.amount_minor, currency)) for month in months]
    return BarChart(svg=Markup(svg), label=label, rows=rows)  # noqa: S704 (built from numbers and escaped text)
