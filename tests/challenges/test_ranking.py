"""The calibrated ranking (app.challenges.ranking): invariance to a rater's harshness and spread, shrinkage for
raters with few scores, discounted voters left out, and the shortlist, winners, page and API built on it."""

import random

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.brands.models import Brand
from app.challenges import ranking
from app.challenges import scores as challenge_scores
from app.challenges import winners as challenge_winners
from app.challenges.models import Challenge, Design, Score
from app.communities.models import Community
from app.moderation import integrity
from tests.factories import add_staff, log_in, make_challenge, make_community, make_design, make_user

Triple = tuple[int, int, int]


def _community(seed: int = 16, *, designs: int = 12, raters: int = 30, rated: int = 10) -> list[Triple]:
    """Designs of well-spread quality (0.25 points apart) rated by raters of varied harshness and spread, with a
    little noise; every rater rates ``rated`` designs. Scores stay within 1-4, so any rater may add 1. In the
    default community (seed 16) the raw ranking is fragile: one rater adding 1 to their scores reorders it for 22 of
    the 30 raters."""
    rng = random.Random(seed)
    scores = []
    for rater in range(raters):
        bias, scale = rng.uniform(-0.6, 0.6), rng.uniform(0.6, 1.4)
        for design in rng.sample(range(designs), rated):
            quality = (design - (designs - 1) / 2) * 0.25
            value = round(2.5 + bias + scale * quality + rng.gauss(0, 0.3))
            scores.append((design, 1000 + rater, min(4, max(1, value))))
    return scores


def _shift(scores: list[Triple], rater: int) -> list[Triple]:
    return [(design, voter, value + (voter == rater)) for design, voter, value in scores]


def _order(scores: list[Triple]) -> list[int]:
    adjusted = ranking.calibrate(scores, prior_weight=5).adjusted
    return sorted(adjusted, key=lambda design: -adjusted[design])


def _raw_order(scores: list[Triple]) -> list[int]:
    sums: dict[int, list[int]] = {}
    for design, _, value in scores:
        sums.setdefault(design, []).append(value)
    mean = sum(value for _, _, value in scores) / len(scores)
    average = {
        design: challenge_scores.bayesian_average(score_sum=sum(values), score_count=len(values), mean=mean, weight=5)
        for design, values in sums.items()
    }
    return sorted(average, key=lambda design: -average[design])


def test_a_rater_adding_one_to_every_score_changes_no_rank() -> None:
    scores = _community()
    raw, calibrated = _raw_order(scores), _order(scores)
    voters = sorted({voter for _, voter, _ in scores})
    assert sum(_raw_order(_shift(scores, rater)) != raw for rater in voters) >= 20
    for rater in voters:
        assert _order(_shift(scores, rater)) == calibrated, rater


def test_shifted_raters_reorder_the_calibrated_ranking_far_less_often_than_the_raw_one() -> None:
    # The prior keeps RATER_PRIOR / (n + RATER_PRIOR) of a rater's shift (a third, with 10 scores), so in close
    # communities the calibrated ranking can move too, just much less often: counted over 20 communities.
    raw_moves = calibrated_moves = 0
    for seed in range(1, 21):
        scores = _community(seed)
        raw, calibrated = _raw_order(scores), _order(scores)
        for rater in sorted({voter for _, voter, _ in scores}):
            raw_moves += _raw_order(_shift(scores, rater)) != raw
            calibrated_moves += _order(_shift(scores, rater)) != calibrated
    assert raw_moves >= 40 and calibrated_moves * 5 <= raw_moves


def test_a_rater_halving_their_spread_changes_no_rank() -> None:
    scores = _community()
    # A wide rater who rated every design 1, 3 or 5 by its third; halved, the same rater says 2, 3 or 4.
    wide = [(design, 1, 1 + 2 * (design * 3 // 12)) for design in range(12)]
    halved = [(design, voter, 3 + (value - 3) // 2) for design, voter, value in wide]
    assert sorted({value for *_, value in halved}) == [2, 3, 4]
    assert _raw_order(scores + wide) != _raw_order(scores + halved)
    assert _order(scores + wide) == _order(scores + halved)
    fitted = ranking.calibrate(scores + halved, prior_weight=5).raters[1].scale
    assert fitted < ranking.calibrate(scores + wide, prior_weight=5).raters[1].scale


def _harsh_and_soft() -> list[Triple]:
    """Six shared designs (0-5) everyone rates; the harsh raters (100-104) score a point below the rest, the soft
    ones (200-204) a point above. Design 10 is truly better than design 11, but only harsh raters rated 10 and
    only soft ones rated 11."""
    shared_quality = [1, 2, 2, 3, 3, 4]
    scores = []
    for rater, offset in [(100 + n, -1) for n in range(5)] + [(200 + n, 1) for n in range(5)]:
        for design, quality in enumerate(shared_quality):
            scores.append((design, rater, quality + offset))
        if offset < 0:
            scores.append((10, rater, 4 - 1))  # quality 4, rated 3 by the harsh
        else:
            scores.append((11, rater, 3 + 1))  # quality 3, rated 4 by the soft
    return scores


def test_harsh_and_soft_raters_fool_the_raw_ranking_not_the_calibrated_one() -> None:
    scores = _harsh_and_soft()
    raw = _raw_order(scores)
    assert raw.index(11) < raw.index(10)  # raw: the soft raters' design comes first
    calibrated = _order(scores)
    assert calibrated.index(10) < calibrated.index(11)
    # Each rater's point of harshness is seen with weight 7 / (7 + RATER_PRIOR) from their seven scores.
    raters = ranking.calibrate(scores, prior_weight=5).raters
    assert raters[100].bias < -0.4 and raters[200].bias > 0.4


def test_raters_with_few_scores_shrink_towards_the_community() -> None:
    scores = _community()
    mean = sum(value for *_, value in scores) / len(scores)
    # A newcomer who gave one design a 0: counted with weight 1 / (1 + RATER_PRIOR) on their own harshness.
    lone = ranking.calibrate([*scores, (5, 1, 0)], prior_weight=5).raters[1]
    assert -(mean / (1 + ranking.RATER_PRIOR)) - 0.3 < lone.bias < 0 and lone.scale == pytest.approx(1, abs=0.15)
    # A rater who gives every design one point less than the others, on all twelve: most of it is their bias.
    regular = [(design, 2, value - 1) for design, value in _consensus(scores).items()]
    harsh = ranking.calibrate(scores + regular, prior_weight=5).raters[2]
    assert harsh.bias < -0.6
    # And the lone 0 barely moves its design, while it would drag the raw average by a third of a point more.
    alone = ranking.calibrate(scores, prior_weight=5).adjusted[5]
    with_lone = ranking.calibrate([*scores, (5, 1, 0)], prior_weight=5).adjusted[5]
    assert alone - with_lone < 0.1


def _consensus(scores: list[Triple]) -> dict[int, int]:
    """Each design's rounded mean score."""
    sums: dict[int, list[int]] = {}
    for design, _, value in scores:
        sums.setdefault(design, []).append(value)
    return {design: round(sum(values) / len(values)) for design, values in sums.items()}


def test_no_rater_effects_is_the_raw_bayesian_average() -> None:
    # Every rater rates every design the same way: nothing to calibrate, the adjusted score is the raw one.
    scores = [(design, rater, design % 6) for design in range(6) for rater in range(4)]
    adjusted = ranking.calibrate(scores, prior_weight=5).adjusted
    mean = sum(value for *_, value in scores) / len(scores)
    for design in range(6):
        raw = challenge_scores.bayesian_average(score_sum=4 * (design % 6), score_count=4, mean=mean, weight=5)
        assert adjusted[design] == pytest.approx(raw, abs=0.02)
    empty = ranking.calibrate([], prior_weight=5)
    assert empty.adjusted == {} and empty.mean == 2.5


# --- The shortlist, winners, page and API on the calibrated ranking ------------------------------------------


def _closed_harsh_and_soft(session: Session) -> tuple[Community, Challenge, dict[int, Design], dict[int, int]]:
    """_harsh_and_soft() as a closed challenge: its designs and members (fixture number -> id), counters recounted."""
    community = make_community(session)
    challenge = make_challenge(session, community, phase="closed")
    triples = _harsh_and_soft()
    designs = {
        number: make_design(session, challenge, title=f"Design {number}") for number in {d for d, _, _ in triples}
    }
    voters = {number: make_user(session).id or 0 for number in {v for _, v, _ in triples}}
    for design, voter, value in triples:
        session.add(Score(design_id=designs[design].id or 0, voter_id=voters[voter], value=value))
    session.flush()
    challenge_scores.recount_scores(session, challenge=challenge, excluded_voter_ids=set())
    return community, challenge, designs, voters


def test_shortlist_orders_by_adjusted_rank_and_shows_the_raw_one(session: Session) -> None:
    _, challenge, designs, _ = _closed_harsh_and_soft(session)
    entries = challenge_winners.shortlist(session, challenge=challenge)
    by_design = {entry.design.id: entry for entry in entries}
    better, flattered = by_design[designs[10].id], by_design[designs[11].id]
    assert better.rank < flattered.rank and better.raw_rank > flattered.raw_rank
    assert better.adjusted > flattered.adjusted and better.bayesian < flattered.bayesian
    assert [entry.rank for entry in entries] == list(range(1, len(entries) + 1))
    assert sorted(entry.raw_rank for entry in entries) == list(range(1, len(entries) + 1))
    # The same ranking as the calibration of the challenge's scores, and the stored one agrees.
    calibration = ranking.calibrate_challenge(session, challenge=challenge)
    assert better.adjusted == pytest.approx(calibration.adjusted[designs[10].id or 0])
    assert designs[10].adjusted_score == pytest.approx(better.adjusted)


def test_winners_are_listed_by_the_adjusted_ranking(session: Session) -> None:
    _, challenge, designs, _ = _closed_harsh_and_soft(session)
    for number in (11, 10):
        challenge_winners.pick_winner(session, challenge=challenge, design=designs[number])
    winners = challenge_winners.list_winners(session, challenge=challenge)
    assert [design.id for design, _ in winners] == [designs[10].id, designs[11].id]
    assert designs[10].bayesian_score < designs[11].bayesian_score  # the raw ranking would put 11 first


def test_discounted_voters_are_left_out_of_the_calibration(session: Session) -> None:
    community, challenge, designs, voters = _closed_harsh_and_soft(session)
    soft = [voters[200 + n] for n in range(5)]
    integrity.discount_voters(
        session, community=community, challenge=challenge, moderator=make_user(session), voter_ids=soft, reason="ring"
    )
    kept = [
        (designs[design].id or 0, voters[voter], value) for design, voter, value in _harsh_and_soft() if voter < 200
    ]
    expected = ranking.calibrate(kept, prior_weight=5)
    entries = {entry.design.id: entry for entry in challenge_winners.shortlist(session, challenge=challenge)}
    for design in designs.values():
        want = expected.adjusted.get(design.id or 0, expected.mean)
        assert entries[design.id].adjusted == pytest.approx(want)
        assert design.adjusted_score == pytest.approx(want)  # stored by the recount
    assert set(ranking.calibrate_challenge(session, challenge=challenge).raters) == {voters[100 + n] for n in range(5)}


def test_shortlist_page_and_api_show_both_ranks(client: TestClient, session: Session) -> None:
    community, challenge, designs, _ = _closed_harsh_and_soft(session)
    manager = make_user(session)
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    add_staff(session, brand, manager)
    log_in(client, session, manager)
    page = client.get(f"/c/{community.slug}/challenges/{challenge.slug}/shortlist")
    assert page.status_code == 200
    assert "Raw rank" in page.text and "Adjusted score" in page.text
    assert page.text.index(designs[10].title + "<") < page.text.index(designs[11].title + "<")
    answer = client.get(f"/api/v1/communities/{community.slug}/challenges/{challenge.slug}/shortlist")
    assert answer.status_code == 200
    rows = {row["design"]["id"]: row for row in answer.json()}
    assert [row["rank"] for row in answer.json()] == list(range(1, len(rows) + 1))
    better, flattered = rows[designs[10].id], rows[designs[11].id]
    assert better["rank"] < flattered["rank"] and better["raw_rank"] > flattered["raw_rank"]
    assert better["adjusted_score"] > flattered["adjusted_score"]
    assert better["bayesian_score"] < flattered["bayesian_score"]
