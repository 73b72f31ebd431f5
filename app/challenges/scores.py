"""Scores: a member casting (or changing) a score, the counters it moves, and the Bayesian average that ranks.

Rankings use a Bayesian average, ``(C * m + score_sum) / (C + score_count)``: ``m`` is the challenge's mean score
(2.5 before any score) and ``C`` is ``settings.ranking_prior_weight``, so a design with few scores is pulled towards
the challenge mean and one 5 does not outrank fifty 4.8s. Ties are broken by the "I'd buy it" rate
(``buy_count / score_count``), then by the number of scores, then by the earlier submission.

That raw ranking takes every rater's scale at face value. The shortlist, and so the winners staff pick from it, is
ordered by the **calibrated** ranking (app.challenges.ranking): the same Bayesian average of scores from which each
rater's harshness and spread are taken out, shown next to the raw rank. The public gallery's "by rank" order is
still the raw one (it pages in SQL over the stored counters).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Float, Integer, Table, bindparam, case, literal
from sqlalchemy import cast as sql_cast
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, delete, func, select, update

from app import rate_limits
from app.accounts.models import User
from app.challenges import ranking
from app.challenges.models import (
    SCORE_SHARDS,
    Challenge,
    ChallengeScoreShard,
    Design,
    DesignStatus,
    Score,
)
from app.challenges.phases import Windows, require_scoring_window
from app.challenges.service import refuse_participation
from app.columns import id_of, utcnow
from app.communities import service as communities_service
from app.communities.models import Community, Membership
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid
from app.i18n import _
from app.rewards import points as rewards_points
from app.rewards.models import PointsAction

DEFAULT_MEAN = 2.5

SCORE_VALUES = range(0, 6)


def challenge_mean(challenge: Challenge) -> float:
    """The mean of every score in the challenge, the prior of the Bayesian average (2.5 before any score)."""
    return challenge.score_sum / challenge.score_count if challenge.score_count else DEFAULT_MEAN


def bayesian_average(*, score_sum: int, score_count: int, mean: float, weight: float | None = None) -> float:
    """(C * m + sum) / (C + n): the design's mean pulled towards the challenge mean while it has few scores."""
    prior_weight = get_settings().ranking_prior_weight if weight is None else weight
    if prior_weight + score_count == 0:
        return mean
    return (prior_weight * mean + score_sum) / (prior_weight + score_count)


def bayesian_expression(challenge: Challenge) -> ColumnElement[Any]:
    weight = float(get_settings().ranking_prior_weight)
    prior = literal(weight * challenge_mean(challenge), Float)
    return (prior + col(Design.score_sum)) / (literal(weight, Float) + col(Design.score_count))


def refresh_bayesian_scores(
    session: Session, *, challenge: Challenge, excluded_voter_ids: set[int] | None = None
) -> None:
    """Recompute every design's stored Bayesian score against the current challenge mean (one UPDATE), and its
    calibrated adjusted score (discounted voters left out: these, or else those on record)."""
    session.execute(
        update(Design)
        .where(col(Design.challenge_id) == challenge.id)
        .values(bayesian_score=bayesian_expression(challenge))
        .execution_options(synchronize_session=False)
    )
    ranking.refresh_adjusted_scores(session, challenge=challenge, excluded_voter_ids=excluded_voter_ids)


def recount_scores(session: Session, *, challenge: Challenge, excluded_voter_ids: set[int]) -> None:
    """Recompute the design and challenge score counters from the scores, leaving out these voters' (a moderator
    discounted them: app.moderation.integrity), then every design's Bayesian score. The scores themselves stay."""
    query = (
        select(Score.design_id, func.count(), func.sum(Score.value), func.sum(sql_cast(col(Score.would_buy), Integer)))
        .join(Design, col(Design.id) == Score.design_id)
        .where(Design.challenge_id == challenge.id)
        .group_by(col(Score.design_id))
    )
    if excluded_voter_ids:
        query = query.where(col(Score.voter_id).not_in(excluded_voter_ids))
    counted = {design_id: (count, total or 0, buys or 0) for design_id, count, total, buys in session.exec(query).all()}
    designs = session.exec(select(Design).where(Design.challenge_id == challenge.id).with_for_update()).all()
    for design in designs:
        design.score_count, design.score_sum, design.buy_count = counted.get(id_of(design), (0, 0, 0))
        session.add(design)
    session.flush()
    set_challenge_totals(
        session,
        challenge=challenge,
        score_count=sum(count for count, _, _ in counted.values()),
        score_sum=sum(total for _, total, _ in counted.values()),
    )
    refresh_bayesian_scores(session, challenge=challenge, excluded_voter_ids=excluded_voter_ids)


def set_challenge_totals(session: Session, *, challenge: Challenge, score_count: int, score_sum: int) -> None:
    """Replace the challenge's score shards by one holding these totals (a recount's result)."""
    session.execute(delete(ChallengeScoreShard).where(col(ChallengeScoreShard.challenge_id) == challenge.id))
    session.add(
        ChallengeScoreShard(challenge_id=id_of(challenge), shard=0, score_count=score_count, score_sum=score_sum)
    )
    session.flush()
    set_committed_value(challenge, "score_count", score_count)
    set_committed_value(challenge, "score_sum", score_sum)


# ------------------------------------------------------------------------------------------------------------
# Scores
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ScoreStatements:
    claim: Any
    previous: Any
    change: Any
    challenge_shard: Any
    design_counters: Any


@lru_cache
def _score_statements(dialect: str) -> _ScoreStatements:
    """cast_score's statements, built once per dialect with bound parameters (building them was most of its CPU)."""
    scores = cast(Table, Score.__table__)  # type: ignore[attr-defined]
    shards = cast(Table, ChallengeScoreShard.__table__)  # type: ignore[attr-defined]
    designs = cast(Table, Design.__table__)  # type: ignore[attr-defined]
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    names = ("design_id", "voter_id", "value", "would_buy", "created_at", "updated_at")
    pair = (scores.c.design_id == bindparam("design_id"), scores.c.voter_id == bindparam("voter_id"))
    delta_sum, delta_count = bindparam("delta_sum", type_=Integer), bindparam("delta_count", type_=Integer)
    weight = bindparam("weight", type_=Float)
    return _ScoreStatements(
        claim=insert(scores)
        .values({name: bindparam(name, type_=scores.c[name].type) for name in names})
        .on_conflict_do_nothing(index_elements=["design_id", "voter_id"])
        .returning(*scores.c),
        previous=sa_select(scores.c.id, scores.c.value, scores.c.would_buy).where(*pair).with_for_update(),
        change=sa_update(scores)
        .where(scores.c.id == bindparam("score_id"))
        .values(
            value=bindparam("value", type_=scores.c.value.type),
            would_buy=bindparam("would_buy", type_=scores.c.would_buy.type),
            updated_at=bindparam("updated_at", type_=scores.c.updated_at.type),
        )
        .returning(*scores.c),
        challenge_shard=_add_to_shard(insert(shards), delta_sum=delta_sum, delta_count=delta_count),
        design_counters=sa_update(designs)
        .where(designs.c.id == bindparam("design_id"))
        .values(
            score_sum=designs.c.score_sum + delta_sum,
            score_count=designs.c.score_count + delta_count,
            buy_count=designs.c.buy_count + bindparam("delta_buy", type_=Integer),
            bayesian_score=(weight * _shard_mean(shards) + designs.c.score_sum + delta_sum)
            / (weight + designs.c.score_count + delta_count),
        )
        .returning(designs.c.score_sum, designs.c.score_count, designs.c.buy_count, designs.c.bayesian_score),
    )


def _shard_mean(shards: Table) -> Any:
    """The challenge's mean score from its shards (this transaction's score included), DEFAULT_MEAN before any."""
    count, total = func.sum(shards.c.score_count), func.sum(shards.c.score_sum)
    return (
        sa_select(case((count > 0, sql_cast(total, Float) / count), else_=literal(DEFAULT_MEAN, Float)))
        .where(shards.c.challenge_id == bindparam("scored_challenge_id"))
        .scalar_subquery()
    )


def _add_to_shard(insert: Any, *, delta_sum: Any, delta_count: Any) -> Any:
    """INSERT the shard, or add the deltas to it when it exists (one statement either way)."""
    statement = insert.values(
        challenge_id=bindparam("scored_challenge_id"),
        shard=bindparam("voter_shard"),
        score_sum=delta_sum,
        score_count=delta_count,
    )
    return statement.on_conflict_do_update(
        index_elements=["challenge_id", "shard"],
        set_={
            "score_sum": statement.table.c.score_sum + statement.excluded.score_sum,
            "score_count": statement.table.c.score_count + statement.excluded.score_count,
        },
    )


@dataclass(frozen=True)
class CastScore:
    """A score as ``cast_score`` left it: the row's columns, from RETURNING (no ORM object is built for it)."""

    id: int
    design_id: int
    voter_id: int
    value: int
    would_buy: bool
    created_at: datetime
    updated_at: datetime


class Voter(Protocol):
    """Who scores: a ``User``, or an account read without the ORM (``app.accounts.reads.Account``)."""

    @property
    def id(self) -> int | None: ...

    @property
    def is_confirmed(self) -> bool: ...


class ScoredDesign(Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def challenge_id(self) -> int: ...

    @property
    def designer_id(self) -> int: ...

    @property
    def status(self) -> DesignStatus: ...


class ScoredChallenge(Windows, Protocol):
    @property
    def id(self) -> int | None: ...


class ScoredCommunity(Protocol):
    @property
    def brand_id(self) -> int: ...

    @property
    def name(self) -> str: ...


def cast_score(
    session: Session,
    *,
    voter: User,
    design: Design,
    value: int,
    would_buy: bool,
    now: datetime | None = None,
    challenge: Challenge | None = None,
    community: Community | None = None,
    membership: Membership | None = None,
) -> CastScore:
    """Score a design 0-5 (and say whether one would buy it) during scoring; a second call changes the score
    (``score_design``, for the loaded objects of a page or a test).

    A caller that has loaded the design's challenge and community, and the voter's membership there (a permit
    has), may pass them to save their queries; the checks are the same. A membership passed is trusted only if it
    is the voter's in that community; without one, it is looked up.
    """
    if challenge is None or challenge.id != design.challenge_id:
        challenge = session.get(Challenge, design.challenge_id)
        assert challenge is not None
    if community is None or community.id != challenge.community_id:
        community = session.get(Community, challenge.community_id)
        assert community is not None
    trusted = membership is not None and membership.community_id == community.id and membership.user_id == voter.id
    is_member = trusted or (
        voter.is_confirmed and communities_service.get_membership(session, community=community, user=voter) is not None
    )
    return score_design(
        session,
        voter=voter,
        design=design,
        challenge=challenge,
        community=community,
        is_member=is_member,
        value=value,
        would_buy=would_buy,
        now=now or utcnow(),
    )


def score_design(
    session: Session,
    *,
    voter: Voter,
    design: ScoredDesign,
    challenge: ScoredChallenge,
    community: ScoredCommunity,
    is_member: bool,
    value: int,
    would_buy: bool,
    now: datetime,
) -> CastScore:
    """Score a design 0-5 (and say whether one would buy it) during scoring; a second call changes the score.
    Works on plain values (``is_member``: whether the voter belongs to the community), so the scoring API runs it on
    columns read without the ORM; a design, challenge or score this session has loaded takes the new values.

    One score per member and design, and the rollups move by the difference, in this transaction: an INSERT ...
    ON CONFLICT DO NOTHING claims the (design, voter) pair; when it exists already, its row is locked (FOR UPDATE
    on PostgreSQL; SQLite writers hold the database's write lock) and its old value gives the deltas.
    """
    if value not in SCORE_VALUES:
        raise Invalid(_("Choose a score from 0 to 5."), fields={"value": _("Choose a score from 0 to 5.")})
    require_scoring_window(challenge, now)
    if design.status != DesignStatus.submitted:
        raise Conflict(_("This design is no longer in the challenge."))
    if design.designer_id == voter.id:
        raise Forbidden(_("You cannot score your own design."))
    doing = "score designs"  # i18n: ignore (the use case refuse_participation words its refusal for)
    refuse_participation(
        doing=doing, is_confirmed=voter.is_confirmed, is_member=is_member, community_name=community.name
    )
    rate_limits.hit(
        get_settings().score_rate_per_account,
        "score",
        str(voter.id),
        message=_("You are scoring very fast; take a moment before the next score."),
    )

    # Core statements on the transaction's connection: none of them loads or changes an ORM object.
    voter_id = voter.id
    assert voter_id is not None
    connection = session.connection()
    statements = _score_statements(connection.dialect.name)
    pair = {"design_id": design.id, "voter_id": voter_id}
    row = connection.execute(
        statements.claim, {**pair, "value": value, "would_buy": would_buy, "created_at": now, "updated_at": now}
    ).one_or_none()
    if row is not None:
        delta_sum, delta_count, delta_buy = value, 1, int(would_buy)
        # A member's first score of this design may earn points: one SELECT when the brand has no rule for it.
        rewards_points.award_points(
            session,
            user_id=voter_id,
            brand_id=community.brand_id,
            action=PointsAction.first_score,
            source_key=f"score:{design.id}",
            now=now,
        )
    else:
        previous = connection.execute(statements.previous, pair).one()
        row = connection.execute(
            statements.change, {"score_id": previous.id, "value": value, "would_buy": would_buy, "updated_at": now}
        ).one()
        delta_sum, delta_count, delta_buy = value - previous.value, 0, int(would_buy) - int(previous.would_buy)

    if delta_sum or delta_count or delta_buy:
        deltas = {"delta_sum": delta_sum, "delta_count": delta_count, "scored_challenge_id": challenge.id}
        if delta_sum or delta_count:  # a changed "I'd buy it" alone moves only the design's counters
            connection.execute(statements.challenge_shard, {"voter_shard": voter_id % SCORE_SHARDS, **deltas})
        # The design's Bayesian score takes the challenge mean from the shards, in the same statement.
        counters = connection.execute(
            statements.design_counters,
            {
                "design_id": design.id,
                "delta_buy": delta_buy,
                "weight": float(get_settings().ranking_prior_weight),
                **deltas,
            },
        ).one()
        _update_loaded(session, Design, design.id, counters._asdict())
        loaded_challenge = session.identity_map.get(identity_key(Challenge, challenge.id))
        if loaded_challenge is not None:  # its totals are read again when next needed
            session.expire(loaded_challenge, ["score_count", "score_sum"])
    values = row._asdict()
    _update_loaded(session, Score, values["id"], values)
    return CastScore(**values)


def _update_loaded(session: Session, model: type[Any], row_id: int | None, values: Mapping[str, Any]) -> None:
    """Give an object this session has loaded already the values a Core statement wrote (RETURNING): no SELECT to
    refresh it, and it does not keep showing the old ones."""
    loaded = session.identity_map.get(identity_key(model, row_id))
    if loaded is not None:
        for name, value in values.items():
            set_committed_value(loaded, name, value)


def get_my_score(session: Session, *, design: Design, voter: User | None) -> Score | None:
    """The caller's own score of a design (always visible to them), if any."""
    if voter is None:
        return None
    return session.exec(select(Score).where(Score.design_id == design.id, Score.voter_id == voter.id)).first()
