"""SVG charts (accessible, escaped, suppressed bars) and CSV exports (formula injection neutralised)."""

import csv
import io
import re

from app.insights.charts import Bar, bar_chart, figure, funnel_chart, histogram, line_chart, nps_chart, percent
from app.insights.exports import ROWS_PER_CHUNK, csv_chunks, neutralise
from app.insights.stats import net_promoter_score


def test_bar_chart_is_an_accessible_svg_with_the_same_numbers_as_its_table() -> None:
    chart = bar_chart("Keep it?", [Bar("Keep", 0.6, 0.45, 0.73, "40"), Bar("Scrap", None, note="fewer than 5")])
    svg = str(chart.svg)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert f'aria-labelledby="{chart.svg_id}-t {chart.svg_id}-d"' in svg
    assert "<title" in svg and "Keep it?" in svg
    assert "60%" in svg and "fewer than 5" in svg
    assert chart.rows == [["Keep", "60%", "45%\u201373%", "40"], ["Scrap", "fewer than 5", "", "fewer than 5"]]
    assert 'class="chart-whisker"' in svg


def test_chart_labels_are_escaped() -> None:
    chart = histogram("<script>alert(1)</script>", [("<b>", 3)])
    assert "<script>" not in str(chart.svg) and "&lt;script&gt;" in str(chart.svg)
    assert "<b>" not in str(chart.svg)


def test_nps_chart_and_its_suppression() -> None:
    chart = nps_chart("NPS", net_promoter_score({10: 5, 8: 3, 2: 2}))
    assert chart.rows[-1][0] == "Net Promoter Score" and chart.rows[-1][2].startswith("+30")
    assert 'class="nps-promoters"' in str(chart.svg)
    hidden = nps_chart("NPS", net_promoter_score({10: 2}))
    assert "fewer than 5" in str(hidden.svg) and "nps-promoters" not in str(hidden.svg)


def test_line_and_funnel_charts() -> None:
    line = line_chart("Per day", [("2026-11-01", 3), ("2026-11-02", 7)])
    assert "polyline" in str(line.svg) and line.rows == [["2026-11-01", "3"], ["2026-11-02", "7"]]
    assert "nothing yet" in str(line_chart("Empty", []).svg)
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
    chart = line_chart("Scores cast per day", [("2026-11-01", 0), ("2026-11-02", 0), ("2026-11-03", 0)])
    assert ">peak 0</text>" in chart.svg and "peak 1" not in chart.svg
    assert ">peak 3</text>" in line_chart("Scores", [("a", 0), ("b", 3)]).svg


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
    chart = bar_chart("Recommended", [Bar(label="Yes", value=1 / 8)])
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
