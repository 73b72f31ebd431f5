"""Interval and NPS maths, k-anonymity suppression and keywords of free text."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.insights.stats import (
    K_ANONYMITY,
    keywords,
    net_promoter_score,
    proportion,
    summarise,
    summarise_counts,
    wilson_interval,
    words_of,
)


def test_wilson_interval_matches_published_values() -> None:
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    low, high = wilson_interval(0, 20)
    assert low == 0 and round(high, 4) == 0.1611
    low, high = wilson_interval(50, 100)
    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)


@given(st.integers(min_value=1, max_value=10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_holds_the_share_and_stays_in_bounds(pair: tuple[int, int]) -> None:
    successes, total = pair
    low, high = wilson_interval(successes, total)
    assert 0 <= low <= successes / total <= high <= 1


def test_wilson_interval_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        wilson_interval(1, 0)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


def test_proportion_suppresses_small_segments_and_keeps_empty_ones() -> None:
    small = proportion(2, K_ANONYMITY - 1)
    assert small.suppressed and small.count is None and small.share is None and small.low is None
    enough = proportion(2 * K_ANONYMITY, 5 * K_ANONYMITY)
    assert not enough.suppressed and enough.share == pytest.approx(0.4)
    assert enough.low is not None and enough.high is not None and enough.low < 0.4 < enough.high
    empty = proportion(0, 0)
    assert not empty.suppressed and empty.share is None


def test_nps_counts_groups_and_its_interval() -> None:
    counts = {10: 15, 9: 10, 8: 10, 7: 5, 6: 5, 0: 5}
    nps = net_promoter_score(counts)
    assert (nps.detractors, nps.passives, nps.promoters, nps.total) == (10, 15, 25, 50)
    assert nps.score == pytest.approx(30.0)
    margin = 100 * 1.959964 * math.sqrt((0.5 + 0.2 - 0.09) / 50)
    assert nps.low == pytest.approx(30 - margin, abs=1e-3)
    assert nps.high == pytest.approx(30 + margin, abs=1e-3)


def test_nps_interval_is_clamped_and_small_samples_suppressed() -> None:
    all_promoters = net_promoter_score({10: 7})
    assert all_promoters.score == 100 and all_promoters.high == 100
    assert net_promoter_score({10: 4}).suppressed
    assert net_promoter_score({}).score is None and not net_promoter_score({}).suppressed


def test_summary_quartiles_and_suppression() -> None:
    summary = summarise([10, 20, 30, 40, 50])
    assert (summary.mean, summary.median, summary.low_quartile, summary.high_quartile) == (30, 30, 20, 40)
    assert summarise([1, 2]).mean is None


def test_words_keep_apostrophes_and_drop_digits() -> None:
    assert words_of("Don\u2019t LOVE the 2 scents!") == ["don't", "love", "the", "scents"]


def test_keywords_prefer_shared_phrases_and_give_examples() -> None:
    texts = [
        "The scent is too strong for me",
        "Too strong scent, lovely colour",
        "Lovely colour but the price is high",
        "Price too high for a soap",
        "strong scent again",
        "I like it",
    ]
    found = keywords(texts, limit=4)
    phrases = [keyword.phrase for keyword in found]
    # Most answers first; at equal counts a phrase before a single word.
    assert phrases == ["scent", "strong", "lovely colour", "strong scent"]
    assert [keyword.answers for keyword in found] == [3, 3, 2, 2]
    # "lovely" and "colour" alone are covered by "lovely colour" in every answer using them: not listed again.
    lovely = found[2]
    assert lovely.examples == ["Too strong scent, lovely colour", "Lovely colour but the price is high"]
    assert found[0].examples == texts[:2] + [texts[4]][:1]  # at most three examples
    assert "the" not in phrases and "too" not in phrases  # stop words


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 20)), max_size=12))
def test_summary_from_counts_equals_the_summary_of_the_values(pairs: list[tuple[int, int]]) -> None:
    expanded = [float(value) for value, count in pairs for _ in range(count)]
    assert summarise_counts((float(value), count) for value, count in pairs) == summarise(expanded)


def test_keyword_examples_are_distinct_answers() -> None:
    texts = ["Love the scent", "love the  scent", "Love the scent", "The scent lingers", "Scent is fine"]
    (scent,) = [keyword for keyword in keywords(texts) if keyword.phrase == "scent"]
    assert scent.answers == 5
    assert scent.examples == ["Love the scent", "The scent lingers", "Scent is fine"]
