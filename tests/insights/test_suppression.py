"""The one suppression rule (app.insights.suppression) and the figures built on it: shares, NPS, number histograms."""

import itertools

import pytest

from app.insights.stats import (
    MAX_BINS,
    MIN_BINS,
    net_promoter_score,
    nice_width,
    number_histogram,
    proportion,
    summarise_counts,
)
from app.insights.suppression import is_suppressed, share_hidden, shown, suppress_partition, suppress_table


@pytest.mark.parametrize(("count", "hidden"), [(0, False), (1, True), (4, True), (5, False), (1000, False)])
def test_counts_of_1_to_4_are_hidden_and_zero_is_not(count: int, hidden: bool) -> None:
    assert is_suppressed(count) is hidden
    assert shown(count) == (None if hidden else count)


@pytest.mark.parametrize(
    ("count", "total", "hidden"),
    [
        (4, 8, True),  # "yes 50 % of 8": 4 said yes
        (5, 8, True),  # 62 % of 8 gives away the 3 who said no
        (5, 10, False),
        (0, 10, False),
        (10, 10, False),
        (9, 10, True),  # the one who did not
        (2, 3, True),  # the total itself is small
    ],
)
def test_a_share_is_hidden_with_its_count_its_total_or_its_complement(count: int, total: int, hidden: bool) -> None:
    assert share_hidden(count, total) is hidden
    share = proportion(count, total)
    assert share.suppressed is hidden
    assert (share.count is None) is hidden and (share.share is None) is hidden
    if hidden and not is_suppressed(total):
        assert share.total == total  # the total stays: it is the question's answered, shown anyway


def test_a_lone_hidden_cell_of_a_partition_takes_the_smallest_other_with_it() -> None:
    # 20 + 10 + 3: the 3 would be 33 - 20 - 10.
    assert suppress_partition([20, 10, 3]) == [20, None, None]
    # Two hidden cells adding up to 4 would still say "4 between them": a third goes.
    assert suppress_partition([20, 10, 1, 3]) == [20, None, None, None]
    # Two hidden cells adding up to 5 or more: neither can be told.
    assert suppress_partition([20, 3, 2, 4]) == [20, None, None, None]
    assert suppress_partition([20, 4, 4]) == [20, None, None]
    # Zeros are shown and never chosen to protect a cell (they protect nothing).
    assert suppress_partition([0, 12, 2]) == [0, None, None]
    assert suppress_partition([9, 6, 0]) == [9, 6, 0]
    assert suppress_partition([3]) == [None]
    assert suppress_partition([]) == []


def test_a_table_hides_a_second_cell_in_every_row_and_column_with_one_hidden() -> None:
    matrix: list[list[int | None]] = [[10, 2, 8], [7, 9, 12], [6, 6, 0]]
    suppress_table(matrix)
    for line in [*matrix, *zip(*matrix, strict=True)]:
        assert sum(1 for cell in line if cell is None) != 1
    assert matrix[0][1] is None


def test_the_nps_and_its_groups_hide_together() -> None:
    answers = {10: 30, 9: 20, 8: 15, 7: 10, 6: 3}  # 3 detractors
    nps = net_promoter_score(answers)
    assert (nps.detractors, nps.passives, nps.promoters) == (None, None, 50)
    assert nps.score is None and nps.groups_hidden and not nps.suppressed and nps.total == 78
    full = net_promoter_score({10: 30, 9: 20, 8: 15, 7: 10, 6: 5})
    assert full.score == pytest.approx(100 * (50 - 5) / 80) and full.detractors == 5
    small = net_promoter_score({10: 2, 3: 1})
    assert small.suppressed and small.score is None and small.promoters is None


def test_quartiles_only_from_5_answers_and_no_small_count_shown() -> None:
    four = summarise_counts([(10.0, 2), (20.0, 2)])
    assert four.count is None and four.median is None and four.low_quartile is None
    five = summarise_counts([(10.0, 2), (20.0, 2), (30.0, 1)])
    assert (five.count, five.median, five.low_quartile, five.high_quartile) == (5, 20.0, 10.0, 20.0)


# --- Histograms of numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "bins", "width"), [(100, 10, 10), (37, 10, 5), (0.7, 5, 0.2), (12, 5, 2.5), (0, 5, 1), (999, 15, 100)]
)
def test_bin_widths_are_round(span: float, bins: int, width: float) -> None:
    assert nice_width(span, bins) == pytest.approx(width)


def _prices(count: int = 200) -> list[tuple[float, int]]:
    """What people would pay: whole amounts 5-44, about bell-shaped, each amount given by a few people only."""
    tallies: dict[float, int] = {}
    for index in range(count):
        value = float(5 + (index * 37) % 40 if index % 3 else 20 + (index % 9))
        tallies[value] = tallies.get(value, 0) + 1
    return sorted(tallies.items())


def test_a_number_question_is_binned_not_one_bar_per_answer() -> None:
    pairs = _prices()
    assert len(pairs) == 40 and sum(1 for _, count in pairs if count < 5) == 37  # mostly 3 or 4 people each
    bins = number_histogram(pairs)
    assert MIN_BINS <= len(bins) <= MAX_BINS
    assert sum(b.count or 0 for b in bins) == sum(count for _, count in pairs)  # nothing hidden here
    widths = {b.high - b.low for b in bins if b.low is not None and b.high is not None}
    assert len(widths) == 1 and widths.pop() in (2.0, 2.5, 5.0, 10.0)
    for before, after in itertools.pairwise(bins):
        assert before.high == after.low
    assert [b.label for b in bins][:2] == ["5\u20139", "10\u201314"]  # whole amounts read as the amounts they hold


def test_small_tails_gather_into_open_ended_bins_and_small_bins_are_hidden() -> None:
    pairs = [(float(value), 10) for value in range(20, 40)] + [(1.0, 1), (500.0, 2)]
    bins = number_histogram(pairs)
    assert bins[0].low is None and bins[0].label.startswith("under ")
    assert bins[-1].high is None and bins[-1].label.endswith(" or more")
    assert len(bins) <= MAX_BINS
    # The lone 1 and the 500s are in tails of 5 or more: never a bar of their own.
    assert all(b.count is None or b.count == 0 or b.count >= 5 for b in bins)
    assert (bins[0].count or 0) >= 5 and (bins[-1].count or 0) >= 5
    # An inner bin of 1-4 is hidden with another, as the bins add up to the answers shown.
    inner = number_histogram([(0.0, 10), (10.0, 2), (20.0, 10), (30.0, 10), (40.0, 10), (50.0, 10)])
    assert [b.count for b in inner].count(None) == 2
    assert all(b.count is None or not is_suppressed(b.count) for b in inner)


def test_no_histogram_below_5_answers() -> None:
    assert number_histogram([(10.0, 1), (12.0, 3)]) == []
    (one,) = number_histogram([(7.0, 5)])
    assert (one.label, one.count) == ("7", 5)
