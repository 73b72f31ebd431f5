"""Server-rendered SVG bar charts of money per month, each shown beside a table of the same figures.

One horizontal bar per month, so that the month and its amount fit beside the bar at phone width; the months'
name heads the bars and the amount axis, with its tick values, runs beneath them. Colours and type come from CSS
(static/css/chorus.css).
"""

import hashlib
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

from app.i18n import _
from app.i18n.formatting import format_date
from app.rewards import money
from app.rewards.statements import MonthTotal

_WIDTH, _ROW, _TOP, _LABEL, _VALUE, _AXIS = 400, 24, 18, 72, 76, 40


@dataclass(frozen=True)
class BarChart:
    svg: Markup
    label: str
    rows: list[tuple[str, str]]  # (month name, formatted amount), for the table beside the chart


def month_name(month: str) -> str:
    """ "2026-11" as the language writes a month in short: "Nov 2026", "nov 2026"."""
    year, number = month.split("-")
    return format_date(date(int(year), int(number), 1), style="LLL y")


def month_bars(months: list[MonthTotal], *, currency: str, label: str) -> BarChart:
    """One bar per month, scaled to the largest, with its amount after it; negative months (refunds) draw no bar
    but still show their amount. Named for screen readers by its title and a description of every month."""
    peak = max((month.amount_minor for month in months), default=0) or 1
    span = _WIDTH - _LABEL - _VALUE
    bottom = _TOP + _ROW * max(len(months), 1) + 4
    # The words outside the f-strings below: message extraction does not look inside them.
    month_title, amount_title = escape(_("Month")), escape(_("Amount (%(currency)s)", currency=currency))
    parts = [
        f'<text class="month-axis-title" x="0" y="12">{month_title}</text>',  # i18n: ignore
        f'<path class="month-axis" d="M{_LABEL - 0.5} {_TOP}V{bottom}"/>',  # i18n: ignore
    ]
    for index, month in enumerate(months):
        y = _TOP + index * _ROW + 4
        width = max(month.amount_minor, 0) * span / peak
        parts.append(
            f'<text x="0" y="{y + 12}">{month_name(month.month)}</text>'  # i18n: ignore
            f'<rect x="{_LABEL}" y="{y + 1}" width="{width:.1f}" height="14" rx="2"/>'
            f'<text class="month-value" x="{_LABEL + width + 4:.1f}" y="{y + 12}">'
            f"{escape(money.format_amount(month.amount_minor, currency))}</text>"
        )
    parts.append(f'<path class="month-axis" d="M{_LABEL} {bottom}H{_LABEL + span}"/>')  # i18n: ignore
    for tick in (0, peak // 2, peak):
        x = _LABEL + span * tick / peak
        anchor = "start" if tick == 0 else ("end" if tick == peak else "middle")
        parts.append(
            f'<path class="month-axis" d="M{x:.1f} {bottom}V{bottom + 4}"/>'  # i18n: ignore
            f'<text x="{x:.1f}" y="{bottom + 17}" text-anchor="{anchor}">'
            f"{escape(money.format_amount(tick, currency))}</text>"
        )
    middle = _LABEL + span / 2
    parts.append(
        f'<text class="month-axis-title" x="{middle:.1f}" y="{bottom + 34}" text-anchor="middle">'  # i18n: ignore
        f"{amount_title}</text>"
    )
    rows = [(month_name(month.month), money.format_amount(month.amount_minor, currency)) for month in months]
    description = "; ".join(f"{name}: {amount}" for name, amount in rows) or _("nothing yet")
    ident = "month-bars-" + hashlib.sha1(label.encode(), usedforsecurity=False).hexdigest()[:10]
    svg = (
        f'<svg class="month-bars" viewBox="0 0 {_WIDTH} {bottom + _AXIS}" role="img"'  # i18n: ignore
        f' aria-labelledby="{ident}-t" aria-describedby="{ident}-d">'
        f'<title id="{ident}-t">{escape(label)}</title><desc id="{ident}-d">{escape(description)}</desc>'
        f"{''.join(parts)}</svg>"
    )
    return BarChart(svg=Markup(svg), label=label, rows=rows)  # noqa: S704 (built from numbers and escaped text)
