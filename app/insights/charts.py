"""Server-rendered SVG charts: bars with intervals, the NPS stacked bar, histograms, lines over time and funnels.

Each chart comes with the same numbers as table rows (``Chart.columns`` / ``Chart.rows``): the template shows the
table beside the drawing, so screen readers, printouts and people who prefer numbers get everything. Every drawing
names its axes and shows its values on or beside the bars and points, with tick values on its value axis. Drawings
scale to their container (a viewBox, no fixed width), with labels above bars rather than beside them, so they
stay legible at phone width. Colours come from CSS classes (static/css/chorus.css), never inline, so the print
stylesheet and the site's palette apply. Labels are user text (choices, titles) and are escaped here.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

from app.i18n import _, ngettext
from app.i18n.formatting import format_number, format_percent
from app.insights.stats import NetPromoterScore
from app.insights.suppression import K_ANONYMITY, hidden_label, suppressed_label

WIDTH = 400
AXIS_HEIGHT = 40  # under a plot: the axis line, its tick values and its title
LEFT = 48  # left of a plot with a vertical value axis: its title and tick values


@dataclass(frozen=True)
class Chart:
    """A drawing and its numbers; ``svg_id`` prefixes the ids inside the drawing and its caption's."""

    title: str
    svg: Markup
    columns: list[str]
    rows: list[list[str]]
    svg_id: str


def chart_id(title: str, ident: str = "") -> str:
    """The id of a chart: ``ident`` when given (to tell apart charts of one title on a page, such as two segments'
    compared), else one drawn from the title. Ids must be unique on a page, or captions and titles get mixed up."""
    key = ident or hashlib.sha1(title.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"chart-{key}"


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
    return format_percent(whole / 100)


def figure(value: float | None) -> str:
    """A median, quartile or mean: 2 decimals, half up, with thousands separators (6.315 is 6.32); a dash for none.

    The one way results pages write such a figure, wherever it appears (filter ``figure``)."""
    if value is None:
        return "\u2013"
    return format_number(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), digits=2)


def _signed(value: float) -> str:
    """A score with its sign ("+12", "-3"), in the reader's digits."""
    whole = round(value)
    return ("+" if whole >= 0 else "") + format_number(whole)


def number(value: float | None) -> str:
    if value is None:
        return "\u2013"
    return format_number(value, digits=0 if float(value).is_integer() else 1)


def _svg(ident: str, title: str, description: str, height: int, body: str) -> Markup:
    return Markup(  # noqa: S704 (every piece of user text below goes through escape())
        "<svg "  # i18n: ignore
        f'class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{ident}-t {ident}-d"'
        f' preserveAspectRatio="xMinYMin meet">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(description)}</desc>'
        f"{body}</svg>"
    )


def _ticks(scale_max: float) -> tuple[float, float, float]:
    return (0.0, scale_max / 2, scale_max)


def _value_axis(*, x0: float, x1: float, y: float, scale_max: float, shown: Callable[[float], str], title: str) -> str:
    """A horizontal value axis from x0 to x1 at height y: its line, ticks at 0, half and the top with their values,
    and its title beneath."""
    parts = [f'<path class="chart-axis" d="M{x0:.1f} {y}H{x1:.1f}"/>']  # i18n: ignore
    for tick in _ticks(scale_max):
        x = x0 + (x1 - x0) * tick / scale_max
        anchor = "start" if tick == 0 else ("end" if tick == scale_max else "middle")
        parts.append(f'<path class="chart-axis" d="M{x:.1f} {y}V{y + 4}"/>')  # i18n: ignore
        parts.append(
            "<text "  # i18n: ignore
            f'class="chart-tick" x="{x:.1f}" y="{y + 17}" text-anchor="{anchor}">{shown(tick)}</text>'
        )
    parts.append(
        f'<text class="chart-axis-title" x="{(x0 + x1) / 2:.1f}" y="{y + 34}" text-anchor="middle">'  # i18n: ignore
        f"{escape(title)}</text>"
    )
    return "".join(parts)


def _vertical_axis(*, top: float, base: float, scale_max: float, title: str) -> str:
    """The value axis left of a plot (x = LEFT): its line, ticks at 0, half and the top with their values, and its
    title turned along it."""
    parts = [f'<path class="chart-axis" d="M{LEFT} {top}V{base}"/>']  # i18n: ignore
    for tick in _ticks(scale_max):
        y = base - (base - top) * tick / scale_max
        parts.append(f'<path class="chart-axis" d="M{LEFT - 4} {y:.1f}H{LEFT}"/>')  # i18n: ignore
        parts.append(
            "<text "  # i18n: ignore
            f'class="chart-tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{number(tick)}</text>'
        )
    middle = (top + base) / 2
    parts.append(
        f'<text class="chart-axis-title" x="12" y="{middle:.1f}" text-anchor="middle"'  # i18n: ignore
        f' transform="rotate(-90 12 {middle:.1f})">{escape(title)}</text>'
    )
    return "".join(parts)


def _category_title(title: str) -> str:
    """The name of the categories of horizontal bars, above the first one's label."""
    return f'<text class="chart-axis-title" x="0" y="12">{escape(title)}</text>'  # i18n: ignore


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    category_label: str,
    in_percent: bool = True,
    value_label: str = "",
    intervals: bool = True,
    note_label: str = "",
    ident: str = "",
) -> Chart:
    """Horizontal bars, the label above each, the value after it; intervals as whiskers; suppressed bars say so
    instead. The categories' name heads the bars, the value axis runs beneath them."""
    value_label = value_label or _("Share")
    note_label = note_label or _("Respondents")
    row, top = 38, 18
    bottom = top + row * max(len(bars), 1) + 4
    highest = max((bar.high if bar.high is not None else bar.value) or 0 for bar in bars) if bars else 0
    # Shares stay on a 0-100 % scale; a rate above 100 % (responses per sample) widens it.
    scale_max = max(1.0, highest) if in_percent else (highest or 1)
    span = WIDTH - 60
    shown_value = percent if in_percent else number
    parts: list[str] = [
        _category_title(category_label),
        "<path "  # i18n: ignore
        f'class="chart-axis" d="M0.5 {top}V{bottom}"/>',
    ]
    for index, bar in enumerate(bars):
        y = top + index * row + 4
        parts.append(f'<text class="chart-label" x="4" y="{y + 11}">{escape(bar.label)}</text>')  # i18n: ignore
        if bar.value is None:
            parts.append(f'<text class="chart-note" x="4" y="{y + 29}">{escape(hidden_label())}</text>')  # i18n: ignore
            continue
        width = span * bar.value / scale_max
        parts.append(
            "<rect "  # i18n: ignore
            f'class="chart-bar" x="0" y="{y + 16}" width="{width:.1f}" height="14" rx="2"/>'
        )
        if bar.low is not None and bar.high is not None:
            x1, x2 = span * bar.low / scale_max, span * bar.high / scale_max
            parts.append(
                f'<path class="chart-whisker" d="M{x1:.1f} {y + 23}H{x2:.1f}M{x1:.1f} {y + 18}V{y + 28}'  # i18n: ignore
                f'M{x2:.1f} {y + 18}V{y + 28}"/>'
            )
        label_x = span * max(bar.value, bar.high or 0) / scale_max + 4
        parts.append(
            "<text "  # i18n: ignore
            f'class="chart-value" x="{label_x:.1f}" y="{y + 28}">{shown_value(bar.value)}</text>'
        )
    parts.append(_value_axis(x0=0, x1=span, y=bottom, scale_max=scale_max, shown=shown_value, title=value_label))
    hidden = hidden_label()
    description = "; ".join(f"{bar.label}: {hidden if bar.value is None else shown_value(bar.value)}" for bar in bars)
    columns = [value_label]
    if in_percent and intervals:
        columns += [_("%(level)s interval", level=format_percent(0.95))]
    rows = []
    for bar in bars:
        cells = [bar.label, hidden if bar.value is None else shown_value(bar.value)]
        if in_percent and intervals:
            cells.append("" if bar.low is None or bar.high is None else f"{percent(bar.low)}\u2013{percent(bar.high)}")
        cells.append(bar.note)
        rows.append(cells)
    svg = _svg(chart_id(title, ident), title, description, bottom + AXIS_HEIGHT, "".join(parts))
    return Chart(title, svg, [category_label, *columns, note_label], rows, chart_id(title, ident))


def _nps_groups(nps: NetPromoterScore) -> list[tuple[str, int | None, str]]:
    return [
        (_("Detractors (0\u20136)"), nps.detractors, "nps-detractors"),
        (_("Passives (7\u20138)"), nps.passives, "nps-passives"),
        (_("Promoters (9\u201310)"), nps.promoters, "nps-promoters"),
    ]


def nps_chart(title: str, nps: NetPromoterScore, *, ident: str = "") -> Chart:
    """One 100 % bar in three parts: detractors, passives, promoters, on a 0-100 % axis; a legend with each group's
    share, then the score and its interval. A hidden group hides the drawing and the score (see ``suppression``)."""
    columns = [_("Group"), _("People"), _("Share")]
    svg_id = chart_id(title, ident)
    if nps.score is None or nps.low is None or nps.high is None:
        rows: list[list[str]] = []
        if nps.suppressed:
            message = _("fewer than %(count)s answers", count=K_ANONYMITY)
        elif nps.total == 0:
            message = _("no answers yet")
        else:
            message = _("hidden: a group has fewer than %(count)s people, or would give one away", count=K_ANONYMITY)
            rows = [
                [label, hidden_label() if count is None else format_number(count), ""]
                for label, count, _css in _nps_groups(nps)
            ]
        svg = _svg(
            svg_id,
            title,
            message,
            30,
            "<text "  # i18n: ignore
            f'class="chart-note" x="0" y="18">{escape(message)}</text>',
        )
        return Chart(title, svg, columns, [*rows, [_("Net Promoter Score"), "", message]], svg_id)
    parts: list[str] = []
    x = 0.0
    groups = [(label, count or 0, css) for label, count, css in _nps_groups(nps)]
    for _label, count, css in groups:
        width = WIDTH * count / nps.total
        parts.append(f'<rect class="{css}" x="{x:.1f}" y="0" width="{width:.1f}" height="26"/>')  # i18n: ignore
        if width > 34:
            parts.append(
                f'<text class="chart-inside" x="{x + width / 2:.1f}" y="18" text-anchor="middle">'  # i18n: ignore
                f"{percent(count / nps.total)}</text>"
            )
        x += width
    parts.append(_value_axis(x0=0, x1=WIDTH, y=26, scale_max=1.0, shown=percent, title=_("Share of answers")))
    # The legend names the colours and gives every share, also of a part too narrow to hold its own.
    legend_top = 26 + AXIS_HEIGHT + 8
    for index, (label, count, css) in enumerate(groups):
        y = legend_top + index * 18
        parts.append(
            f'<rect class="{css}" x="0" y="{y}" width="10" height="10"/>'  # i18n: ignore
            f'<text class="chart-label" x="16" y="{y + 10}">'
            f"{escape(label)}: {format_number(count)} ({percent(count / nps.total)})</text>"
        )
    score = _(
        "NPS %(score)s (%(level)s interval %(low)s to %(high)s)",
        level=format_percent(0.95),
        score=_signed(nps.score),
        low=_signed(nps.low),
        high=_signed(nps.high),
    )
    score_y = legend_top + 3 * 18 + 14
    parts.append(f'<text class="chart-label chart-total" x="0" y="{score_y}">{escape(score)}</text>')  # i18n: ignore
    description = "; ".join(f"{label}: {format_number(count)}" for label, count, _css in groups) + f"; {score}"
    rows = [[label, format_number(count), percent(count / nps.total)] for label, count, _css in groups]
    rows.append(
        [
            _("Net Promoter Score"),
            format_number(nps.total),
            _(
                "%(score)s (%(low)s to %(high)s)",
                score=_signed(nps.score),
                low=_signed(nps.low),
                high=_signed(nps.high),
            ),
        ]
    )
    return Chart(title, _svg(svg_id, title, description, score_y + 8, "".join(parts)), columns, rows, svg_id)


def histogram(
    title: str,
    bins: Sequence[tuple[str, int | None]],
    *,
    category_label: str,
    value_label: str = "",
    ident: str = "",
) -> Chart:
    """Vertical columns, one per bin (a score 0-5, a rating 1-5), each with its count on top, on a value axis at
    the left; a suppressed bin (None) is drawn empty."""
    value_label = value_label or _("Count")
    hidden = hidden_label()
    top, base, gap = 20, 128, 6
    count = max(len(bins), 1)
    plot = WIDTH - LEFT - 8
    width = (plot - gap * (count - 1)) / count
    scale_max = max((value or 0 for _label, value in bins), default=0) or 1
    parts: list[str] = [
        _vertical_axis(top=top, base=base, scale_max=scale_max, title=value_label),
        f'<path class="chart-axis" d="M{LEFT} {base}H{WIDTH}"/>',  # i18n: ignore
    ]
    for index, (label, value) in enumerate(bins):
        x = LEFT + 8 + index * (width + gap)
        centre = x + width / 2
        if value is not None:
            bar = (base - top) * value / scale_max
            parts.append(
                "<rect "  # i18n: ignore
                f'class="chart-bar" x="{x:.1f}" y="{base - bar:.1f}" width="{width:.1f}" height="{bar:.1f}"/>'
            )
            parts.append(
                "<text "  # i18n: ignore
                f'class="chart-value" x="{centre:.1f}" y="{base - bar - 4:.1f}" text-anchor="middle">'
                f"{number(value)}</text>"
            )
        parts.append(
            "<text "  # i18n: ignore
            f'class="chart-label" x="{centre:.1f}" y="{base + 16}" text-anchor="middle">{escape(label)}</text>'
        )
    parts.append(
        "<text "  # i18n: ignore
        f'class="chart-axis-title" x="{LEFT + 8 + plot / 2:.1f}" y="{base + 34}" text-anchor="middle">'
        f"{escape(category_label)}</text>"
    )
    description = "; ".join(f"{label}: {hidden if value is None else number(value)}" for label, value in bins)
    rows = [[label, hidden if value is None else number(value)] for label, value in bins]
    svg = _svg(chart_id(title, ident), title, description, base + AXIS_HEIGHT, "".join(parts))
    return Chart(title, svg, [category_label, value_label], rows, chart_id(title, ident))


LABELLED_POINTS = 12  # up to this many points each shows its value; a longer line shows its peak and its last


def line_chart(
    title: str,
    points: Sequence[tuple[str, int | None]],
    *,
    category_label: str,
    value_label: str = "",
    ident: str = "",
) -> Chart:
    """A line over time (days or months, oldest first) on a value axis at the left, with its first, middle and last
    labels and the values of its points (of the peak and the last point when there are many). A suppressed point
    (None) leaves a gap in the line and says so in the table, never a guess."""
    value_label = value_label or _("Count")
    top, base = 20, 122
    svg_id = chart_id(title, ident)
    if not points:
        nothing = _("nothing yet")
        svg = _svg(
            svg_id,
            title,
            nothing,
            30,
            "<text "  # i18n: ignore
            f'class="chart-note" x="0" y="18">{escape(nothing)}</text>',
        )
        return Chart(title, svg, [category_label, value_label], [], svg_id)
    peak = max((value for _label, value in points if value is not None), default=0)
    scale_max = peak or 1  # an all-zero line lies on the axis, and its peak still reads 0
    left = LEFT + 8
    step = (WIDTH - 8 - left) / max(len(points) - 1, 1)
    xs = [left + index * step for index in range(len(points))]
    coordinates = {
        index: (xs[index], base - (base - top) * value / scale_max)
        for index, (_label, value) in enumerate(points)
        if value is not None
    }
    # One polyline per run of shown points: a hidden point is a gap, not a straight line across it.
    runs: list[list[tuple[float, float]]] = [[]]
    for index in range(len(points)):
        if index in coordinates:
            runs[-1].append(coordinates[index])
        elif runs[-1]:
            runs.append([])
    parts = [
        _vertical_axis(top=top, base=base, scale_max=scale_max, title=value_label),
        f'<path class="chart-axis" d="M{LEFT} {base}H{WIDTH}"/>',  # i18n: ignore
        *(
            "<polyline "  # i18n: ignore
            'class="chart-line" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in run) + '"/>'
            for run in runs
            if len(run) > 1
        ),
        *(
            "<circle "  # i18n: ignore
            f'class="chart-dot" cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>'
            for x, y in coordinates.values()
        ),
    ]
    shown = [index for index in coordinates]
    if shown:
        peak_index = max(shown, key=lambda index: points[index][1] or 0)
        if len(points) <= LABELLED_POINTS:
            labelled = {index: number(points[index][1]) for index in shown}
        else:
            labelled = {peak_index: str(escape(_("peak %(value)s", value=number(peak))))}
            if shown[-1] == len(points) - 1:
                labelled[len(points) - 1] = number(points[-1][1])
        for index, text in labelled.items():
            x, y = coordinates[index]
            anchor = "start" if index == 0 else ("end" if index == len(points) - 1 else "middle")
            parts.append(
                "<text "  # i18n: ignore
                f'class="chart-value" x="{x:.1f}" y="{y - 6:.1f}" text-anchor="{anchor}">{text}</text>'
            )
    ticks = {0: "start", len(points) - 1: "end"}
    if len(points) > 2:
        ticks[(len(points) - 1) // 2] = "middle"
    for index, anchor in ticks.items():
        parts.append(
            f'<text class="chart-label" x="{xs[index]:.1f}" y="{base + 16}" text-anchor="{anchor}">'  # i18n: ignore
            f"{escape(points[index][0])}</text>"
        )
    parts.append(
        "<text "  # i18n: ignore
        f'class="chart-axis-title" x="{(left + WIDTH) / 2:.1f}" y="{base + 34}" text-anchor="middle">'
        f"{escape(category_label)}</text>"
    )
    hidden = len(points) - len(shown)
    description = ngettext(
        "%(num)s point from %(first)s to %(last)s, peak %(peak)s",
        "%(num)s points from %(first)s to %(last)s, peak %(peak)s",
        len(points),
        first=points[0][0],
        last=points[-1][0],
        peak=number(peak),
    )
    if hidden:
        description += "; " + ngettext(
            "%(num)s hidden (%(reason)s)", "%(num)s hidden (%(reason)s)", hidden, reason=suppressed_label()
        )
    rows = [[label, suppressed_label() if value is None else number(value)] for label, value in points]
    svg = _svg(svg_id, title, description, base + AXIS_HEIGHT, "".join(parts))
    return Chart(title, svg, [category_label, value_label], rows, svg_id)


def funnel_chart(
    title: str, steps: Sequence[tuple[str, int | None, str]], *, value_label: str = "", ident: str = ""
) -> Chart:
    """Centred bars, one per step, scaled to the largest, each with its count and its share of the step before
    (above 100 % when a step reaches more people than the one before it); a step without a count (None) shows its
    note instead."""
    value_label = value_label or _("People")
    row = 40
    height = row * len(steps) + 4
    top = max((value or 0 for _label, value, _note in steps), default=0)
    parts: list[str] = []
    rows: list[list[str]] = []
    before: int | None = None
    for index, (label, value, note) in enumerate(steps):
        y = index * row + 2
        parts.append(
            "<text "  # i18n: ignore
            f'class="chart-label" x="{WIDTH / 2}" y="{y + 11}" text-anchor="middle">{escape(label)}</text>'
        )
        if value is None:
            parts.append(
                "<text "  # i18n: ignore
                f'class="chart-note" x="{WIDTH / 2}" y="{y + 29}" text-anchor="middle">{escape(note)}</text>'
            )
            rows.append([label, note, ""])
            before = None
            continue
        share = value / before if before else None
        width = max(WIDTH * value / top if top else 0, 2)
        parts.append(
            "<rect "  # i18n: ignore
            f'class="chart-bar" x="{(WIDTH - width) / 2:.1f}" y="{y + 15}" width="{width:.1f}" height="18"/>'
        )
        shown = number(value) + (f" \u00b7 {note}" if note else "")
        # The count inside a bar wide enough for it, otherwise just after the bar.
        parts.append(
            "<text "  # i18n: ignore
            f'class="chart-value" x="{(WIDTH + width) / 2 + 4:.1f}" y="{y + 28}">{escape(shown)}</text>'
            if width < 160
            else "<text "  # i18n: ignore
            f'class="chart-inside" x="{WIDTH / 2}" y="{y + 28}" text-anchor="middle">{escape(shown)}</text>'
        )
        rows.append(
            [label + (f" ({note})" if note else ""), number(value), percent(share) if share is not None else ""]
        )
        before = value
    description = "; ".join(f"{label}: {note if value is None else number(value)}" for label, value, note in steps)
    svg_id = chart_id(title, ident)
    svg = _svg(svg_id, title, description, height, "".join(parts))
    return Chart(title, svg, [_("Step"), value_label, _("Of the step before")], rows, svg_id)


def grouped_bar_chart(
    title: str,
    series: Sequence[str],
    groups: Sequence[tuple[str, Sequence[int | None]]],
    *,
    category_label: str,
    value_label: str,
    ident: str = "",
) -> Chart:
    """Groups of horizontal bars (one per series, coloured by CSS class ``chart-series-N``), all on one scale: the
    reach of each hop, for example. The legend comes first, then the categories' name; the group's label sits
    above its bars, each bar's value after it, the value axis beneath; a suppressed value (None) says so instead
    of a bar."""
    bar, gap = 12, 3
    block = 16 + len(series) * (bar + gap) + 8
    top = 38
    bottom = top + max(block * len(groups), 30)
    scale_max = max((value or 0 for _, values in groups for value in values), default=0) or 1
    span = WIDTH - 60
    hidden = hidden_label()
    parts = [
        f'<rect class="chart-series-{index}" x="{index * 110}" y="0" width="10" height="10"/>'  # i18n: ignore
        f'<text class="chart-label" x="{index * 110 + 14}" y="10">{escape(name)}</text>'
        for index, name in enumerate(series)
    ]
    parts.append(f'<text class="chart-axis-title" x="0" y="{top - 6}">{escape(category_label)}</text>')  # i18n: ignore
    parts.append(f'<path class="chart-axis" d="M0.5 {top}V{bottom}"/>')  # i18n: ignore
    for number_, (label, values) in enumerate(groups):
        y = top + number_ * block
        parts.append(f'<text class="chart-label" x="4" y="{y + 11}">{escape(label)}</text>')  # i18n: ignore
        for index, value in enumerate(values):
            bar_y = y + 16 + index * (bar + gap)
            if value is None:
                parts.append(f'<text class="chart-note" x="4" y="{bar_y + 10}">{escape(hidden)}</text>')  # i18n: ignore
                continue
            width = span * value / scale_max
            parts.append(
                "<rect "  # i18n: ignore
                f'class="chart-series-{index}" x="0" y="{bar_y}" width="{width:.1f}" height="{bar}" rx="2"/>'
                f'<text class="chart-value" x="{width + 4:.1f}" y="{bar_y + 10}">{number(value)}</text>'
            )
    parts.append(_value_axis(x0=0, x1=span, y=bottom, scale_max=scale_max, shown=number, title=value_label))
    description = "; ".join(
        f"{label}: "
        + ", ".join(
            f"{name} {hidden if value is None else number(value)}" for name, value in zip(series, values, strict=True)
        )
        for label, values in groups
    )
    rows = [[label, *(hidden if value is None else number(value) for value in values)] for label, values in groups]
    svg = _svg(chart_id(title, ident), title, description, bottom + AXIS_HEIGHT, "".join(parts))
    return Chart(title, svg, [category_label, *series], rows, chart_id(title, ident))
