"""SVG charts (accessible, labelled axes and values, escaped, suppressed bars) and CSV exports (formula injection
neutralised)."""

import csv
import io
import re

from app.insights.charts import (
    Bar,
    bar_chart,
    figure,
    funnel_chart,
    grouped_bar_chart,
    histogram,
    line_chart,
    nps_chart,
    percent,
)
from app.insights.exports import ROWS_PER_CHUNK, csv_chunks, neutralise
from app.insights.stats import net_promoter_score


def test_bar_chart_is_an_accessible_svg_with_the_same_numbers_as_its_table() -> None:
    chart = bar_chart(
        "Keep it?",
        [Bar("Keep", 0.6, 0.45, 0.73, "40"), Bar("Scrap", None, note="fewer than 5")],
        category_label="Answer",
    )
    svg = str(chart.svg)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert f'aria-labelledby="{chart.svg_id}-t {chart.svg_id}-d"' in svg
    assert "<title" in svg and "Keep it?" in svg
    # A hidden bar reads the same whether it is small or hides another: "hidden for privacy".
    assert "60%" in svg and "hidden for privacy" in svg
    assert chart.rows == [["Keep", "60%", "45%\u201373%", "40"], ["Scrap", "hidden for privacy", "", "fewer than 5"]]
    assert 'class="chart-whisker"' in svg
    assert chart.columns == ["Answer", "Share", "95% interval", "Respondents"]


def test_chart_labels_are_escaped() -> None:
    chart = histogram("<script>alert(1)</script>", [("<b>", 3)], category_label="<i>")
    assert "<script>" not in str(chart.svg) and "&lt;script&gt;" in str(chart.svg)
    assert "<b>" not in str(chart.svg) and "<i>" not in str(chart.svg)


def _texts(svg: str, css: str) -> list[str]:
    """The texts of one class in a drawing, in order."""
    return re.findall(rf'<text class="{css}"[^>]*>([^<]*)</text>', svg)


def test_bars_name_both_axes_and_show_ticks_and_values() -> None:
    chart = bar_chart("Keep it?", [Bar("Keep", 0.6, 0.45, 0.73, "40"), Bar("Scrap", 0.25)], category_label="Answer")
    assert _texts(chart.svg, "chart-axis-title") == ["Answer", "Share"]
    assert _texts(chart.svg, "chart-tick") == ["0%", "50%", "100%"]
    assert _texts(chart.svg, "chart-value") == ["60%", "25%"]
    assert _texts(chart.svg, "chart-label") == ["Keep", "Scrap"]
    rates = bar_chart(
        "Responses per sample",
        [Bar("Ana", 1.5), Bar("Ben", 0.5)],
        category_label="Connector",
        in_percent=False,
        value_label="Rate",
        intervals=False,
    )
    # A rate above 1 widens the scale; the ticks say so.
    assert _texts(rates.svg, "chart-tick") == ["0", "0.8", "1.5"] and _texts(rates.svg, "chart-value") == ["1.5", "0.5"]
    assert _texts(rates.svg, "chart-axis-title") == ["Connector", "Rate"]


def test_columns_and_lines_have_a_value_axis_and_values_on_their_points() -> None:
    columns = histogram("All scores", [("0", 2), ("1", 8), ("2", None)], category_label="Score", value_label="Scores")
    assert _texts(columns.svg, "chart-axis-title") == ["Scores", "Score"]
    assert _texts(columns.svg, "chart-tick") == ["0", "4", "8"]
    assert _texts(columns.svg, "chart-value") == ["2", "8"]  # none for the suppressed bin
    assert _texts(columns.svg, "chart-label") == ["0", "1", "2"]
    line = line_chart("Joins", [("2026-09", 4), ("2026-10", 10), ("2026-11", 7)], category_label="Month")
    assert _texts(line.svg, "chart-axis-title") == ["Count", "Month"]
    assert _texts(line.svg, "chart-tick") == ["0", "5", "10"]
    assert _texts(line.svg, "chart-value") == ["4", "10", "7"]
    assert _texts(line.svg, "chart-label") == ["2026-09", "2026-11", "2026-10"]  # first, last, middle
    assert line.columns == ["Month", "Count"]


def test_grouped_bars_and_the_nps_bar_have_axes_and_every_value() -> None:
    hops = grouped_bar_chart(
        "Per hop",
        ["Opened", "Answered"],
        [("Hop 1", [40, 20]), ("Hop 2", [10, None])],
        category_label="Hop",
        value_label="People",
    )
    assert _texts(hops.svg, "chart-axis-title") == ["Hop", "People"]
    assert _texts(hops.svg, "chart-tick") == ["0", "20", "40"]
    assert _texts(hops.svg, "chart-value") == ["40", "20", "10"]
    assert hops.columns == ["Hop", "Opened", "Answered"]
    nps = nps_chart("NPS", net_promoter_score({10: 10, 8: 6, 2: 5}))
    assert _texts(nps.svg, "chart-axis-title") == ["Share of answers"]
    assert _texts(nps.svg, "chart-tick") == ["0%", "50%", "100%"]
    # The legend gives each group's count and share, also of a part too narrow to hold its own label.
    assert "Detractors (0\u20136): 5 (24%)" in _texts(nps.svg, "chart-label")
    assert "Promoters (9\u201310): 10 (48%)" in _texts(nps.svg, "chart-label")


def test_nps_chart_and_its_suppression() -> None:
    chart = nps_chart("NPS", net_promoter_score({10: 10, 8: 5, 2: 5}))
    assert chart.rows[-1][0] == "Net Promoter Score" and chart.rows[-1][2].startswith("+25")
    assert 'class="nps-promoters"' in str(chart.svg)
    hidden = nps_chart("NPS", net_promoter_score({10: 2}))
    assert "fewer than 5" in str(hidden.svg) and "nps-promoters" not in str(hidden.svg)
    # 2 detractors would show through the score: hidden with the passives, and the score with them.
    group = nps_chart("NPS", net_promoter_score({10: 5, 8: 3, 2: 2}))
    assert "hidden: a group has fewer than 5" in str(group.svg) and "nps-promoters" not in str(group.svg)
    assert group.rows[:3] == [
        ["Detractors (0\u20136)", "hidden for privacy", ""],
        ["Passives (7\u20138)", "hidden for privacy", ""],
        ["Promoters (9\u201310)", "5", ""],
    ]


def test_line_and_funnel_charts() -> None:
    line = line_chart("Per day", [("2026-11-01", 3), ("2026-11-02", 7)], category_label="Day")
    assert "polyline" in str(line.svg) and line.rows == [["2026-11-01", "3"], ["2026-11-02", "7"]]
    assert "nothing yet" in str(line_chart("Empty", [], category_label="Day").svg)
    funnel = funnel_chart(
        "Funnel",
        [
            ("Would recommend", 200, ""),
            ("Did recommend", 50, "told 90 people"),
            ("Reached", 125, ""),
            ("Joined", None, "not known"),
            ("Answered", 40, ""),
        ],
    )
    assert funnel.rows == [
        ["Would recommend", "200", ""],
        ["Did recommend (told 90 people)", "50", "25%"],
        ["Reached", "125", "250%"],  # more than the step before: each who recommended brought 2.5 opens
        ["Joined", "not known", ""],
        ["Answered", "40", ""],  # no share of a step without a count
    ]
    # Bars are scaled to the largest step, so none is drawn wider than the chart.
    widths = [float(width) for width in re.findall(r'class="chart-bar"[^>]*width="([\d.]+)"', str(funnel.svg))]
    assert max(widths) == 400 and all(width <= 400 for width in widths)


def test_an_all_zero_line_peaks_at_0_not_1() -> None:
    # "Scores cast per day" of a challenge with days of designs but no score: the line lies on the axis.
    days = [(f"2026-11-{day:02d}", 0) for day in range(1, 31)]
    chart = line_chart("Scores cast per day", days, category_label="Day")
    assert _texts(chart.svg, "chart-value") == ["peak 0", "0"] and "peak 1" not in chart.svg
    days[9] = ("2026-11-10", 3)
    assert _texts(line_chart("Scores", days, category_label="Day").svg, "chart-value") == ["peak 3", "0"]


def test_one_way_to_write_figures_and_percentages() -> None:
    # The same median read 6.31 in the summary and 6.315 under "Every question"; 1 of 8 read 12% (half to even).
    assert (figure(6.315), figure(5.4325), figure(6.31), figure(1234.5), figure(None)) == (
        "6.32",
        "5.43",
        "6.31",
        "1,234.50",
        "\u2013",
    )
    assert (percent(1 / 8), percent(0.125), percent(0.5), percent(0.004), percent(None)) == (
        "13%",
        "13%",
        "50%",
        "0%",
        "\u2013",
    )
    chart = bar_chart("Recommended", [Bar(label="Yes", value=1 / 8)], category_label="Answer")
    assert chart.rows[0][1] == "13%"


def test_neutralise_prefixes_formula_starts_only() -> None:
    for cell in ('=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(cell) == "'" + cell
    assert neutralise("plain") == "plain"
    assert neutralise(-3) == -3 and neutralise(None) is None


def test_csv_chunks_escape_quotes_and_stream_in_chunks() -> None:
    rows = [[n, f'say "hi", {n}', "=1+1"] for n in range(ROWS_PER_CHUNK * 2 + 3)]
    chunks = list(csv_chunks(["n", "text", "formula"], rows))
    assert len(chunks) == 3
    parsed = list(csv.reader(io.StringIO("".join(chunks))))
    assert parsed[0] == ["n", "text", "formula"]
    assert parsed[1] == ["0", 'say "hi", 0', "'=1+1"]
    assert len(parsed) == len(rows) + 1


def test_a_line_leaves_a_gap_for_a_hidden_point_and_says_so() -> None:
    days = [("2026-11-01", 12), ("2026-11-02", None), ("2026-11-03", 9), ("2026-11-04", 7)]
    chart = line_chart("Responses per day", days, category_label="Day")
    svg = str(chart.svg)
    # Two runs: the first point alone (a dot, no line), then the last two joined; no line across the gap.
    assert svg.count("<polyline") == 1 and svg.count('class="chart-dot"') == 3
    assert _texts(svg, "chart-value") == ["12", "9", "7"]
    assert chart.rows[1] == ["2026-11-02", "fewer than 5"] and "1 hidden (fewer than 5)" in svg


def test_a_chart_given_an_ident_has_ids_of_its_own() -> None:
    chart = line_chart("Per day", [("2026-11-01", 3), ("2026-11-02", 7)], category_label="Day")
    other = line_chart("Per day", [("2026-11-01", 3), ("2026-11-02", 7)], category_label="Day", ident="b-per-day")
    ids = re.findall(r'id="([^"]+)"', str(other.svg))
    assert ids and all(ident.startswith(f"{other.svg_id}-") for ident in ids)
    labelled_by = re.search(r'aria-labelledby="([^"]+)"', str(other.svg))
    assert labelled_by is not None and set(labelled_by.group(1).split()) == set(ids)
    assert other.svg_id == "chart-b-per-day" and not set(ids) & set(re.findall(r'id="([^"]+)"', str(chart.svg)))
