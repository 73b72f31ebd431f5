"""Server-rendered SVG charts: bars with intervals, the NPS stacked bar, histograms, lines over time and funnels.

Each chart comes with the same numbers as table rows (``Chart.columns`` / ``Chart.rows``): the template shows the
table beside the drawing, so screen readers, printouts and people who prefer numbers get everything. Drawings
scale to their container (a viewBox, no fixed width), with labels above bars rather than beside them, so they
stay legible at phone width. Colours come from CSS classes (static/css/chorus.css), never inline, so the print
stylesheet and the site's palette apply. Labels are user text (choices, titles) and are escaped here.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

from app.insights.stats import SUPPRESSED_LABEL as SUPPRESSED
from app.insights.stats import NetPromoterScore

WIDTH = 400


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    columns: list[str]
    rows: list[list[str]]

    @property
    def svg_id(self) -> str:
        return "chart-" + hashlib.sha1(self.title.encode(), usedforsecurity=False).hexdigest()[:10]


@dataclass(frozen=True)
class Bar:
    """One bar: its value (a share 0-1 when the chart is in percent), an optional interval, or suppressed (None)."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    note: str = ""


def percent(value: float | None) -> str:
    """A share 0-1 as a whole percentage, half up (1 of 8 is 13%, not Python's half-to-even 12%); a dash for none.

    The one way results pages write a share: charts, their tables and the templates (filter ``percent``)."""
    if value is None:
        return "\u2013"
    whole = Decimal(repr(100 * value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{whole}%"


def figure(value: float | None) -> str:
    """A median, quartile or mean: 2 decimals, half up, with thousands separators (6.315 is 6.32); a dash for none.

    The one way results pages write such a figure, wherever it appears (filter ``figure``)."""
    if value is None:
        return "\u2013"
    return f"{Decimal(repr(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def number(value: float | None) -> str:
    if value is None:
        return "\u2013"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _svg(title: str, description: str, height: int, body: str) -> Markup:
    ident = "chart-" + hashlib.sha1(title.encode(), usedforsecurity=False).hexdigest()[:10]
    return Markup(  # noqa: S704 (every piece of user text below goes through escape())
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{ident}-t {ident}-d"'
        f' preserveAspectRatio="xMinYMin meet">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(description)}</desc>'
        f"{body}</svg>"
    )


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    in_percent: bool = True,
    value_label: str = "Share",
    intervals: bool = True,
    note_label: str = "Respondents",
) -> Chart:
    """Horizontal bars, the label above each; intervals as whiskers; suppressed bars say so instead."""
    row = 38
    height = max(row * len(bars) + 8, 30)
    top = max((bar.high if bar.high is not None else bar.value) or 0 for bar in bars) if bars else 0
    # Shares stay on a 0-100 % scale; a rate above 100 % (responses per sample) widens it.
    scale_max = max(1.0, top) if in_percent else (top or 1)
    span = WIDTH - 60
    parts: list[str] = []
    for index, bar in enumerate(bars):
        y = index * row + 4
        parts.append(f'<text class="chart-label" x="0" y="{y + 11}">{escape(bar.label)}</text>')
        if bar.value is None:
            parts.append(f'<text class="chart-note" x="0" y="{y + 29}">{SUPPRESSED}</text>')
            continue
        width = span * bar.value / scale_max
        parts.append(f'<rect class="chart-bar" x="0" y="{y + 16}" width="{width:.1f}" height="14" rx="2"/>')
        if bar.low is not None and bar.high is not None:
            x1, x2 = span * bar.low / scale_max, span * bar.high / scale_max
            parts.append(
                f'<path class="chart-whisker" d="M{x1:.1f} {y + 23}H{x2:.1f}M{x1:.1f} {y + 18}V{y + 28}'
                f'M{x2:.1f} {y + 18}V{y + 28}"/>'
            )
        shown = percent(bar.value) if in_percent else number(bar.value)
        label_x = span * max(bar.value, bar.high or 0) / scale_max + 4
        parts.append(f'<text class="chart-value" x="{label_x:.1f}" y="{y + 28}">{shown}</text>')
    description = "; ".join(
        f"{bar.label}: {SUPPRESSED if bar.value is None else (percent(bar.value) if in_percent else number(bar.value))}"
        for bar in bars
    )
    columns = [value_label]
    if in_percent and intervals:
        columns += ["95% interval"]
    rows = []
    for bar in bars:
        cells = [
            bar.label,
            SUPPRESSED if bar.value is None else (percent(bar.value) if in_percent else number(bar.value)),
        ]
        if in_percent and intervals:
            cells.append("" if bar.low is None or bar.high is None else f"{percent(bar.low)}\u2013{percent(bar.high)}")
        cells.append(bar.note)
        rows.append(cells)
    return Chart(title, _svg(title, description, height, "".join(parts)), ["", *columns, note_label], rows)


def nps_chart(title: str, nps: NetPromoterScore) -> Chart:
    """One 100 % bar in three parts: detractors, passives, promoters; the score and its interval beneath."""
    columns = ["Group", "People", "Share"]
    if nps.suppressed or nps.total == 0:
        message = SUPPRESSED + " answers" if nps.suppressed else "no answers yet"
        svg = _svg(title, message, 30, f'<text class="chart-note" x="0" y="18">{message}</text>')
        return Chart(title, svg, columns, [["Net Promoter Score", "", message]])
    parts: list[str] = []
    x = 0.0
    groups = [
        ("Detractors (0\u20136)", nps.detractors, "nps-detractors"),
        ("Passives (7\u20138)", nps.passives, "nps-passives"),
        ("Promoters (9\u201310)", nps.promoters, "nps-promoters"),
    ]
    for _, count, css in groups:
        width = WIDTH * count / nps.total
        parts.append(f'<rect class="{css}" x="{x:.1f}" y="0" width="{width:.1f}" height="26"/>')
        if width > 34:
            parts.append(
                f'<text class="chart-inside" x="{x + width / 2:.1f}" y="18" text-anchor="middle">'
                f"{percent(count / nps.total)}</text>"
            )
        x += width
    score = f"NPS {nps.score:+.0f} (95% interval {nps.low:+.0f} to {nps.high:+.0f})"
    parts.append(f'<text class="chart-label" x="0" y="46">{escape(score)}</text>')
    description = "; ".join(f"{label}: {count}" for label, count, _ in groups) + f"; {score}"
    rows = [[label, str(count), percent(count / nps.total)] for label, count, _ in groups]
    rows.append(["Net Promoter Score", str(nps.total), f"{nps.score:+.0f} ({nps.low:+.0f} to {nps.high:+.0f})"])
    return Chart(title, _svg(title, description, 54, "".join(parts)), columns, rows)


def histogram(title: str, bins: Sequence[tuple[str, int | None]], *, value_label: str = "Count") -> Chart:
    """Vertical columns, one per bin (a score 0-5, a rating 1-5); a suppressed bin (None) is drawn empty."""
    height, base, gap = 150, 128, 6
    count = max(len(bins), 1)
    width = (WIDTH - gap * (count - 1)) / count
    top = max((value or 0 for _, value in bins), default=0) or 1
    parts: list[str] = []
    for index, (label, value) in enumerate(bins):
        x = index * (width + gap)
        centre = x + width / 2
        if value is not None:
            bar = (base - 18) * value / top
            parts.append(
                f'<rect class="chart-bar" x="{x:.1f}" y="{base - bar:.1f}" width="{width:.1f}" height="{bar:.1f}"/>'
            )
            parts.append(
                f'<text class="chart-value" x="{centre:.1f}" y="{base - bar - 4:.1f}" text-anchor="middle">'
                f"{number(value)}</text>"
            )
        parts.append(
            f'<text class="chart-label" x="{centre:.1f}" y="{base + 16}" text-anchor="middle">{escape(label)}</text>'
        )
    description = "; ".join(f"{label}: {SUPPRESSED if value is None else value}" for label, value in bins)
    rows = [[label, SUPPRESSED if value is None else number(value)] for label, value in bins]
    return Chart(title, _svg(title, description, height, "".join(parts)), ["", value_label], rows)


def line_chart(title: str, points: Sequence[tuple[str, int]], *, value_label: str = "Count") -> Chart:
    """A line over time (days or months, oldest first), with its first and last labels and the peak."""
    height, base, left = 150, 122, 4
    if not points:
        svg = _svg(title, "nothing yet", 30, '<text class="chart-note" x="0" y="18">nothing yet</text>')
        return Chart(title, svg, ["", value_label], [])
    peak = max(value for _, value in points)
    top = peak or 1  # the scale's: an all-zero line lies on the axis, and its peak still reads 0
    step = (WIDTH - 2 * left) / max(len(points) - 1, 1)
    coordinates = [(left + index * step, base - (base - 20) * value / top) for index, (_, value) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
    parts = [
        f'<path class="chart-axis" d="M0 {base}H{WIDTH}"/>',
        f'<polyline class="chart-line" points="{path}"/>',
        *(f'<circle class="chart-dot" cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>' for x, y in coordinates),
        f'<text class="chart-label" x="0" y="{base + 18}">{escape(points[0][0])}</text>',
        f'<text class="chart-value" x="0" y="12">peak {number(peak)}</text>',
    ]
    if len(points) > 1:
        parts.append(
            f'<text class="chart-label" x="{WIDTH}" y="{base + 18}" text-anchor="end">{escape(points[-1][0])}</text>'
        )
    description = f"{len(points)} points from {points[0][0]} to {points[-1][0]}, peak {peak}"
    rows = [[label, number(value)] for label, value in points]
    return Chart(title, _svg(title, description, height, "".join(parts)), ["", value_label], rows)


def funnel_chart(title: str, steps: Sequence[tuple[str, int | None, str]]) -> Chart:
    """Centred bars, one per step, scaled to the largest, each with its count and its share of the step before
    (above 100 % when a step reaches more people than the one before it); a step without a count (None) shows its
    note instead."""
    row = 40
    height = row * len(steps) + 4
    top = max((value or 0 for _, value, _ in steps), default=0)
    parts: list[str] = []
    rows: list[list[str]] = []
    before: int | None = None
    for index, (label, value, note) in enumerate(steps):
        y = index * row + 2
        parts.append(
            f'<text class="chart-label" x="{WIDTH / 2}" y="{y + 11}" text-anchor="middle">{escape(label)}</text>'
        )
        if value is None:
            parts.append(
                f'<text class="chart-note" x="{WIDTH / 2}" y="{y + 29}" text-anchor="middle">{escape(note)}</text>'
            )
            rows.append([label, note, ""])
            before = None
            continue
        share = value / before if before else None
        width = max(WIDTH * value / top if top else 0, 2)
        parts.append(
            f'<rect class="chart-bar" x="{(WIDTH - width) / 2:.1f}" y="{y + 15}" width="{width:.1f}" height="18"/>'
        )
        shown = number(value) + (f" \u00b7 {note}" if note else "")
        # The count inside a bar wide enough for it, otherwise just after the bar.
        parts.append(
            f'<text class="chart-value" x="{(WIDTH + width) / 2 + 4:.1f}" y="{y + 28}">{escape(shown)}</text>'
            if width < 160
            else f'<text class="chart-inside" x="{WIDTH / 2}" y="{y + 28}" text-anchor="middle">{escape(shown)}</text>'
        )
        rows.append(
            [label + (f" ({note})" if note else ""), number(value), percent(share) if share is not None else ""]
        )
        before = value
    description = "; ".join(f"{label}: {note if value is None else value}" for label, value, note in steps)
    return Chart(
        title, _svg(title, description, height, "".join(parts)), ["Step", "People", "Of the step before"], rows
    )


def grouped_bar_chart(title: str, series: Sequence[str], groups: Sequence[tuple[str, Sequence[int | None]]]) -> Chart:
    """Groups of horizontal bars (one per series, coloured by CSS class ``chart-series-N``), all on one scale: the
    reach of each hop, for example. The group's label sits above its bars, each bar's value after it; a suppressed
    value (None) says so instead of a bar."""
    bar, gap = 12, 3
    block = 16 + len(series) * (bar + gap) + 8
    height = max(block * len(groups), 30) + 20
    top = max((value or 0 for _, values in groups for value in values), default=0) or 1
    span = WIDTH - 60
    parts = [
        f'<rect class="chart-series-{index}" x="{index * 110}" y="0" width="10" height="10"/>'
        f'<text class="chart-label" x="{index * 110 + 14}" y="10">{escape(name)}</text>'
        for index, name in enumerate(series)
    ]
    for number_, (label, values) in enumerate(groups):
        y = 20 + number_ * block
        parts.append(f'<text class="chart-label" x="0" y="{y + 11}">{escape(label)}</text>')
        for index, value in enumerate(values):
            bar_y = y + 16 + index * (bar + gap)
            if value is None:
                parts.append(f'<text class="chart-note" x="0" y="{bar_y + 10}">{SUPPRESSED}</text>')
                continue
            width = span * value / top
            parts.append(
                f'<rect class="chart-series-{index}" x="0" y="{bar_y}" width="{width:.1f}" height="{bar}" rx="2"/>'
                f'<text class="chart-value" x="{width + 4:.1f}" y="{bar_y + 10}">{number(value)}</text>'
            )
    description = "; ".join(
        f"{label}: "
        + ", ".join(
            f"{name} {SUPPRESSED if value is None else value}" for name, value in zip(series, values, strict=True)
        )
        for label, values in groups
    )
    rows = [[label, *(SUPPRESSED if value is None else number(value) for value in values)] for label, values in groups]
    return Chart(title, _svg(title, description, height, "".join(parts)), ["", *series], rows)
