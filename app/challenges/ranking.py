"""The calibrated ranking: each rater's harshness and spread taken out of their scores before the Bayesian average.

A member who gives everything a 1 and one who gives everything a 4 do not mean the same by a 3. The model is the
usual rater-effects one (peer review, wine judging): a score is the challenge mean, plus the rater's bias, plus the
rater's scale times the design's quality, plus noise::

    value = m + bias[rater] + scale[rater] * quality[design] + noise

fitted by alternating ridge regressions (a few passes over the scores, in plain lists):

* per rater, given the designs' qualities: ``bias`` and ``scale`` by least squares with a prior of ``RATER_PRIOR``
  scores at bias 0 and scale 1, so a rater with ``n`` scores gets weight about ``n / (n + RATER_PRIOR)`` on their own
  bias: a rater with one score is barely changed, one with dozens is calibrated fully;
* per design, given the raters: ``quality`` is the Bayesian average of the calibrated scores,
  ``(value - m - bias) / scale``, weighted by ``scale**2`` and pulled towards the challenge mean with the same prior
  weight ``C`` (``settings.ranking_prior_weight``) as the raw ranking.

The **adjusted score** is ``m + quality``, on the 0-5 scale of the raw one. Scales are relative (their mean over the
scores is 1), so with every bias 0 and every scale 1 it is exactly the raw Bayesian average. A rater who adds 1 to
every score (or halves their spread) moves their own bias (scale) and leaves the designs as they were, up to the
prior's pull: ``RATER_PRIOR / (n + RATER_PRIOR)`` of the shift stays on the designs they rated (tests/challenges/
test_ranking.py counts how rarely that reorders anything). Because the bias is fitted against the qualities of the
designs each rater chose, rather than by centring each rater on their own mean, harsh raters who mostly rate good
designs are not mistaken for fair raters of average ones. Measured against known qualities in bench/calibration.py
(figures in bench/README.md).

What is stored: ``Design.adjusted_score``, refreshed with the Bayesian scores whenever the counted scores or the
winners change after scoring closes (discounts, picks); it orders the winners. There is no moment at which scoring
"closes" in the data (the phase follows the clock), so the shortlist computes the ranking afresh from the scores on
every view: right before any refresh, and no write on a page view. For 3,000 designs and 50,000 scores that is about
0.25 s of CPU for the calibration and under 0.5 s for the whole shortlist (bench/README.md).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from operator import mul
from typing import cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.challenges.models import Challenge, Design, Score
from app.config import get_settings
from app.moderation.models import DiscountedVoter, ScoreDiscount

RATER_PRIOR = 5.0  # scores' worth of prior on each rater's bias (0) and scale (1); tuned in bench/calibration.py
MIN_SCALE = 0.1  # a rater whose scores go against everyone's counts for little, never backwards
PASSES = 4  # alternating passes; the ranking has settled after 2 to 4 (bench/calibration.py)


@dataclass(frozen=True)
class Rater:
    bias: float
    scale: float


@dataclass(frozen=True)
class Calibration:
    adjusted: dict[int, float]  # design id -> adjusted score; designs without scores are absent (mean applies)
    raters: dict[int, Rater]
    mean: float


def calibrate(
    scores: Iterable[tuple[int, int, float]], *, prior_weight: float, default_mean: float = 2.5
) -> Calibration:
    """Fit the rater-effects model to (design id, voter id, value) triples; see the module docstring."""
    by_rater: dict[int, list[tuple[int, float]]] = {}
    for design_id, voter_id, value in scores:
        by_rater.setdefault(voter_id, []).append((design_id, float(value)))
    if not by_rater:
        return Calibration(adjusted={}, raters={}, mean=default_mean)
    # The scores laid out once in two orders, as flat lists, so that each pass is list comprehensions and sums
    # over slices: by rater (rater steps) and by design (design steps).
    voter_ids = list(by_rater)
    design_ids = sorted({design_id for pairs in by_rater.values() for design_id, _ in pairs})
    design_index = {design_id: index for index, design_id in enumerate(design_ids)}
    rater_bounds, design_of, values = [0], [], []
    for voter_id in voter_ids:
        for design_id, value in by_rater[voter_id]:
            design_of.append(design_index[design_id])
            values.append(value)
        rater_bounds.append(len(values))
    mean = sum(values) / len(values)
    centred = [value - mean for value in values]
    rater_of = [rater for rater in range(len(voter_ids)) for _ in range(rater_bounds[rater + 1] - rater_bounds[rater])]
    by_design = sorted(range(len(values)), key=design_of.__getitem__)
    design_bounds = [0]
    for index in range(1, len(by_design)):
        if design_of[by_design[index]] != design_of[by_design[index - 1]]:
            design_bounds.append(index)
    design_bounds.append(len(by_design))
    layout = _Layout(rater_bounds, design_bounds, design_of, rater_of, by_design, centred, prior_weight)
    bias, scale = [0.0] * len(voter_ids), [1.0] * len(voter_ids)
    quality = layout.qualities(bias, scale)
    for _ in range(PASSES):
        bias, scale = layout.raters(quality)
        quality = layout.qualities(bias, scale)
    return Calibration(
        adjusted={design_id: mean + quality[index] for index, design_id in enumerate(design_ids)},
        raters={voter_id: Rater(bias[index], scale[index]) for index, voter_id in enumerate(voter_ids)},
        mean=mean,
    )


@dataclass(frozen=True)
class _Layout:
    """The scores as flat lists in rater order, with the slice bounds of each rater and (through ``by_design``, a
    permutation) of each design."""

    rater_bounds: list[int]
    design_bounds: list[int]
    design_of: list[int]
    rater_of: list[int]
    by_design: list[int]
    centred: list[float]
    prior_weight: float

    def qualities(self, bias: list[float], scale: list[float]) -> list[float]:
        """Each design's quality given the raters: sum(scale * (y - bias)) / (sum(scale**2) + C)."""
        weights = [scale[rater] for rater in self.rater_of]
        terms = [w * (y - bias[rater]) for w, y, rater in zip(weights, self.centred, self.rater_of, strict=True)]
        terms = [terms[index] for index in self.by_design]
        squares = [weights[index] ** 2 for index in self.by_design]
        bounds = self.design_bounds
        return [
            sum(terms[start:end]) / (sum(squares[start:end]) + self.prior_weight) for start, end in pairwise(bounds)
        ]

    def raters(self, quality: list[float]) -> tuple[list[float], list[float]]:
        """Each rater's bias and scale given the designs: a ridge regression of their scores on the qualities."""
        q = [quality[design] for design in self.design_of]
        qq = [value * value for value in q]
        yq = list(map(mul, self.centred, q))
        # The scale's prior is worth RATER_PRIOR typical scores: in units of the qualities' mean square.
        scale_prior = RATER_PRIOR * max(sum(qq) / len(qq), 1e-9)
        bounds = list(pairwise(self.rater_bounds))
        scale = []
        for start, end in bounds:
            a, b, d = end - start + RATER_PRIOR, sum(q[start:end]), sum(qq[start:end]) + scale_prior
            right_bias, right_scale = sum(self.centred[start:end]), sum(yq[start:end]) + scale_prior
            scale.append(max((a * right_scale - b * right_bias) / (a * d - b * b), MIN_SCALE))
        # Scales are relative: their mean over the scores is 1, so that raters who all agree leave the raw
        # Bayesian average as it is (the qualities' shrinkage would otherwise read as everyone's scale above 1).
        typical = sum(value * (end - start) for value, (start, end) in zip(scale, bounds, strict=True)) / len(q)
        scale = [value / typical for value in scale]
        bias = [
            (sum(self.centred[start:end]) - value * sum(q[start:end])) / (end - start + RATER_PRIOR)
            for value, (start, end) in zip(scale, bounds, strict=True)
        ]
        return bias, scale


def discounted_voter_ids(session: Session, *, challenge: Challenge) -> set[int]:
    """The voters a moderator discounted in this challenge (app.moderation.integrity); read here because that
    module builds on this domain's service, which cannot import it back."""
    return set(
        session.exec(
            select(DiscountedVoter.voter_id)
            .join(ScoreDiscount, col(ScoreDiscount.id) == DiscountedVoter.discount_id)
            .where(ScoreDiscount.challenge_id == challenge.id, col(ScoreDiscount.restored_at).is_(None))
        ).all()
    )


def calibrate_challenge(
    session: Session, *, challenge: Challenge, excluded_voter_ids: set[int] | None = None
) -> Calibration:
    """The calibrated ranking of a challenge from its counted scores (discounted voters left out), in one query."""
    excluded = discounted_voter_ids(session, challenge=challenge) if excluded_voter_ids is None else excluded_voter_ids
    scores = cast(Table, Score.__table__)  # type: ignore[attr-defined]
    designs = cast(Table, Design.__table__)  # type: ignore[attr-defined]
    # Core, not the ORM: the rows are plain tuples, and for 50,000 scores that is 0.04 s of CPU instead of 0.17 s.
    query = (
        sa_select(scores.c.design_id, scores.c.voter_id, scores.c.value)
        .join(designs, designs.c.id == scores.c.design_id)
        .where(designs.c.challenge_id == challenge.id)
    )
    if excluded:
        query = query.where(scores.c.voter_id.not_in(excluded))
    rows = session.connection().execute(query).all()
    return calibrate(rows, prior_weight=float(get_settings().ranking_prior_weight))


def refresh_adjusted_scores(
    session: Session, *, challenge: Challenge, excluded_voter_ids: set[int] | None = None
) -> None:
    """Store every design's adjusted score (designs without counted scores get the challenge mean)."""
    calibration = calibrate_challenge(session, challenge=challenge, excluded_voter_ids=excluded_voter_ids)
    designs = cast(Table, Design.__table__)  # type: ignore[attr-defined]
    ids = session.exec(select(Design.id).where(Design.challenge_id == challenge.id)).all()
    rows = [
        {"row_id": design_id, "value": calibration.adjusted.get(design_id, calibration.mean)}
        for design_id in ids
        if design_id is not None
    ]
    if rows:
        session.connection().execute(
            update(designs).where(designs.c.id == bindparam("row_id")).values(adjusted_score=bindparam("value")), rows
        )
    session.expire_all()
