"""Scoring as a stack of cards: the next design a member has not scored, in their own stable shuffle, and how far
through the challenge they are.

The shuffle is the gallery's "Shuffled for you" order (``service.shuffle_order``, a hash of design and member ids):
the same for one member on every visit, different between members, so early designs get no advantage. A member
scores only submitted designs by others; their own, withdrawn and hidden designs are never in their stack.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.challenges.gallery import shuffle_order, unscored_condition
from app.challenges.models import Challenge, Design, DesignStatus, Score
from app.challenges.phases import require_scoring_window
from app.columns import id_of, utcnow


@dataclass(frozen=True)
class ScoringProgress:
    """How many of the designs a member may score they have scored."""

    scored: int
    total: int

    @property
    def all_scored(self) -> bool:
        return self.total > 0 and self.scored >= self.total


def _scorable(challenge: Challenge, member: User) -> list[Any]:
    """The designs in a member's stack: submitted ones (not withdrawn or hidden) by somebody else."""
    return [
        col(Design.challenge_id) == challenge.id,
        col(Design.status) == DesignStatus.submitted,
        col(Design.designer_id) != member.id,
    ]


def next_unscored_design(
    session: Session, *, challenge: Challenge, member: User, after: Design | None = None, now: datetime | None = None
) -> Design | None:
    """The next design the member has not scored, in their shuffle: the first one after ``after`` (the design they
    are looking at; ignored if in another challenge), wrapping round to the start so a design they skipped comes
    back; None when none is left. Only while scoring is open."""
    require_scoring_window(challenge, now or utcnow())
    order = shuffle_order(id_of(member))
    query = select(Design).where(*_scorable(challenge, member), unscored_condition(member))
    if after is not None:
        position = session.exec(
            select(order).where(col(Design.id) == after.id, col(Design.challenge_id) == challenge.id)
        ).first()
        if position is not None:
            later = query.where((order > position) | ((order == position) & (col(Design.id) > after.id)))
            found = session.exec(later.order_by(order, col(Design.id)).limit(1)).first()
            if found is not None:
                return found
    return session.exec(query.order_by(order, col(Design.id)).limit(1)).first()


def scoring_progress(session: Session, *, challenge: Challenge, member: User) -> ScoringProgress:
    """How many designs the member may score in the challenge, and how many of them they have scored."""
    total, scored = session.exec(
        select(func.count(col(Design.id)), func.count(col(Score.id)))
        .select_from(Design)
        .outerjoin(Score, (col(Score.design_id) == Design.id) & (col(Score.voter_id) == member.id))
        .where(*_scorable(challenge, member))
    ).one()
    return ScoringProgress(scored=scored, total=total)


def my_scores(session: Session, *, member: User, designs: Sequence[Design]) -> dict[int, Score]:
    """The member's own scores of these designs, by design id (one query, for a gallery page)."""
    ids = [id_of(design) for design in designs]
    if not ids:
        return {}
    scores = session.exec(select(Score).where(Score.voter_id == member.id, col(Score.design_id).in_(ids))).all()
    return {score.design_id: score for score in scores}
