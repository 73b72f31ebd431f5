"""Votes and follows.

**Votes** are one per member and idea (a unique pair claimed with INSERT ... ON CONFLICT DO NOTHING); the idea's
counters move in the same transaction, after its row is locked (FOR UPDATE on PostgreSQL; SQLite writers hold the
database's write lock), so votes, merges and counters never race.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, case, delete
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select, update

from app import rate_limits
from app.accounts.models import User
from app.columns import id_of, utcnow
from app.config import get_settings
from app.errors import Conflict
from app.ideas.models import (
    Idea,
    IdeaFollow,
    IdeaVote,
)
from app.ideas.rules import (
    STATUS_LABELS,
    VOTABLE,
    community_of,
    dialect_insert,
    lock_idea,
    require_member,
    trending_weight,
)


def _require_votable(session: Session, idea: Idea) -> None:
    if idea.merged_into_id is not None:
        original = session.get(Idea, idea.merged_into_id)
        title = original.title if original is not None else "another idea"
        raise Conflict(f"This idea was merged into “{title}”: vote for that one.")
    if idea.is_hidden:
        raise Conflict("This idea is hidden.")
    if idea.status not in VOTABLE:
        raise Conflict(f"This idea is {STATUS_LABELS[idea.status].lower()}: votes are closed.")


def vote(session: Session, *, idea: Idea, voter: User, now: datetime | None = None) -> bool:
    """Vote for an idea (and follow it); returns whether a vote was added (False: the member had voted already)."""
    now = now or utcnow()
    community = community_of(session, idea)
    require_member(session, community=community, user=voter, doing="vote")
    rate_limits.hit(
        get_settings().vote_rate_per_account,
        "vote",
        str(voter.id),
        message="You are voting very fast; take a moment before the next vote.",
    )
    lock_idea(session, idea)
    _require_votable(session, idea)
    votes = cast(Table, IdeaVote.__table__)  # type: ignore[attr-defined]
    claimed = session.execute(
        dialect_insert(session)(votes)
        .values(idea_id=id_of(idea), voter_id=id_of(voter), created_at=now)
        .on_conflict_do_nothing(index_elements=["idea_id", "voter_id"])
        .returning(votes.c.id)
    ).first()
    if claimed is None:
        return False
    _move_votes(session, idea, count=1, weight=trending_weight(now))
    follow(session, idea=idea, user=voter, now=now)
    return True


def unvote(session: Session, *, idea: Idea, voter: User) -> bool:
    """Take one's vote back; returns whether there was one."""
    rate_limits.hit(
        get_settings().vote_rate_per_account,
        "vote",
        str(voter.id),
        message="You are voting very fast; take a moment before the next vote.",
    )
    lock_idea(session, idea)
    votes = cast(Table, IdeaVote.__table__)  # type: ignore[attr-defined]
    removed = session.execute(
        delete(votes).where(votes.c.idea_id == idea.id, votes.c.voter_id == voter.id).returning(votes.c.created_at)
    ).first()
    if removed is None:
        return False
    _move_votes(session, idea, count=-1, weight=-trending_weight(removed.created_at))
    return True


def _move_votes(session: Session, idea: Idea, *, count: int, weight: float) -> None:
    """Add to the idea's vote counter and trending score in one UPDATE; the last vote gone leaves exactly 0."""
    row = session.execute(
        update(Idea)
        .where(col(Idea.id) == idea.id)
        .values(
            vote_count=Idea.vote_count + count,
            trending_score=case((col(Idea.vote_count) + count == 0, 0.0), else_=col(Idea.trending_score) + weight),
        )
        .returning(col(Idea.vote_count), col(Idea.trending_score))
    ).one()
    set_committed_value(idea, "vote_count", row[0])
    set_committed_value(idea, "trending_score", row[1])


def has_voted(session: Session, *, idea: Idea, user: User | None) -> bool:
    if user is None:
        return False
    return (
        session.exec(select(IdeaVote.id).where(IdeaVote.idea_id == idea.id, IdeaVote.voter_id == user.id)).first()
        is not None
    )


def voted_ideas(session: Session, *, user: User | None, idea_ids: Sequence[int]) -> set[int]:
    """Which of these ideas the user voted for: one query for a page of ideas."""
    if user is None or not idea_ids:
        return set()
    return set(
        session.exec(
            select(IdeaVote.idea_id).where(IdeaVote.voter_id == user.id, col(IdeaVote.idea_id).in_(idea_ids))
        ).all()
    )


def follow(session: Session, *, idea: Idea, user: User, now: datetime | None = None) -> bool:
    """Follow an idea (be told of its comments, status and official response); returns whether newly followed."""
    if idea.merged_into_id is not None:
        raise Conflict("This idea was merged into another: follow that one.")
    follows = cast(Table, IdeaFollow.__table__)  # type: ignore[attr-defined]
    claimed = session.execute(
        dialect_insert(session)(follows)
        .values(idea_id=id_of(idea), user_id=id_of(user), created_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["idea_id", "user_id"])
        .returning(follows.c.id)
    ).first()
    if claimed is None:
        return False
    _move_followers(session, idea, 1)
    return True


def unfollow(session: Session, *, idea: Idea, user: User) -> bool:
    """Stop following an idea; returns whether one was following it."""
    follows = cast(Table, IdeaFollow.__table__)  # type: ignore[attr-defined]
    removed = session.execute(
        delete(follows).where(follows.c.idea_id == idea.id, follows.c.user_id == user.id).returning(follows.c.id)
    ).first()
    if removed is None:
        return False
    _move_followers(session, idea, -1)
    return True


def _move_followers(session: Session, idea: Idea, count: int) -> None:
    value = session.execute(
        update(Idea)
        .where(col(Idea.id) == idea.id)
        .values(follower_count=Idea.follower_count + count)
        .returning(col(Idea.follower_count))
    ).scalar_one()
    set_committed_value(idea, "follower_count", value)


def is_following(session: Session, *, idea: Idea, user: User | None) -> bool:
    if user is None:
        return False
    return (
        session.exec(select(IdeaFollow.id).where(IdeaFollow.idea_id == idea.id, IdeaFollow.user_id == user.id)).first()
        is not None
    )
