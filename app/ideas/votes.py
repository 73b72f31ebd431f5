"""Votes and follows.

**Votes** are one per member and idea (a unique pair claimed with INSERT ... ON CONFLICT DO NOTHING); the idea's
counters move in the same transaction, after its row is locked (FOR UPDATE on PostgreSQL; SQLite writers hold the
database's write lock), so votes, merges and counters never race.

Voting is a hot path: its statements are built once, here, with bind parameters (per dialect for the UPSERTs), and
run on the session's connection; the loaded idea gets the columns they read back (no refresh, no ORM flush).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Float, Integer, Table, bindparam, case, delete
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app import rate_limits
from app.accounts.models import User
from app.columns import id_of, utcnow
from app.config import get_settings
from app.errors import Conflict
from app.i18n import N_, _
from app.ideas.models import Idea, IdeaFollow, IdeaVote
from app.ideas.rules import VOTABLE, community_of, require_member, status_phrase, trending_weight

_IDEAS = cast(Table, Idea.__table__)  # type: ignore[attr-defined]
_VOTES = cast(Table, IdeaVote.__table__)  # type: ignore[attr-defined]
_FOLLOWS = cast(Table, IdeaFollow.__table__)  # type: ignore[attr-defined]

# What a vote needs of the idea, read under its row lock; the loaded idea takes these values.
_VOTE_STATE = ("status", "hidden_at", "merged_into_id", "vote_count", "follower_count", "trending_score")
_LOCK_FOR_VOTE = (
    sa_select(*(_IDEAS.c[name] for name in _VOTE_STATE)).where(_IDEAS.c.id == bindparam("idea_id")).with_for_update()
)


def _claim(table: Table, pair: list[str]) -> dict[str, Any]:
    """INSERT ... ON CONFLICT (pair) DO NOTHING RETURNING id, per dialect; the values come as parameters."""
    return {
        name: insert(table).on_conflict_do_nothing(index_elements=pair).returning(table.c.id)
        for name, insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
    }


_CLAIM_VOTE = _claim(_VOTES, ["idea_id", "voter_id"])
_CLAIM_FOLLOW = _claim(_FOLLOWS, ["idea_id", "user_id"])
_TAKE_BACK_VOTE = (
    delete(_VOTES)
    .where(_VOTES.c.idea_id == bindparam("idea_id"), _VOTES.c.voter_id == bindparam("voter_id"))
    .returning(_VOTES.c.created_at)
)
_TAKE_BACK_FOLLOW = (
    delete(_FOLLOWS)
    .where(_FOLLOWS.c.idea_id == bindparam("idea_id"), _FOLLOWS.c.user_id == bindparam("user_id"))
    .returning(_FOLLOWS.c.id)
)
# The last vote gone leaves a trending score of exactly 0 (no float residue).
_MOVE_COUNTERS = (
    sa_update(_IDEAS)
    .where(_IDEAS.c.id == bindparam("idea_id"))
    .values(
        vote_count=_IDEAS.c.vote_count + bindparam("votes", type_=Integer),
        follower_count=_IDEAS.c.follower_count + bindparam("followers", type_=Integer),
        trending_score=case(
            (_IDEAS.c.vote_count + bindparam("votes", type_=Integer) == 0, 0.0),
            else_=_IDEAS.c.trending_score + bindparam("weight", type_=Float),
        ),
    )
    .returning(_IDEAS.c.vote_count, _IDEAS.c.follower_count, _IDEAS.c.trending_score)
)
_MOVE_FOLLOWERS = (
    sa_update(_IDEAS)
    .where(_IDEAS.c.id == bindparam("idea_id"))
    .values(follower_count=_IDEAS.c.follower_count + bindparam("followers", type_=Integer))
    .returning(_IDEAS.c.follower_count)
)
_VOTING_FAST = N_("You are voting very fast; take a moment before the next vote.")


def _lock_for_vote(connection: Connection, idea: Idea) -> None:
    """Lock the idea's row and read what voting needs of its current state into the loaded idea."""
    row = connection.execute(_LOCK_FOR_VOTE, {"idea_id": id_of(idea)}).one()
    for name, value in zip(_VOTE_STATE, row, strict=True):
        set_committed_value(idea, name, value)


def _require_votable(session: Session, idea: Idea) -> None:
    if idea.merged_into_id is not None:
        original = session.get(Idea, idea.merged_into_id)
        if original is None:
            raise Conflict(_("This idea was merged into another: vote for that one."))
        raise Conflict(_("This idea was merged into “%(idea)s”: vote for that one.", idea=original.title))
    if idea.is_hidden:
        raise Conflict(_("This idea is hidden."))
    if idea.status not in VOTABLE:
        raise Conflict(_("This idea is %(status)s: votes are closed.", status=status_phrase(idea.status)))


def vote(session: Session, *, idea: Idea, voter: User, now: datetime | None = None) -> bool:
    """Vote for an idea (and follow it); returns whether a vote was added (False: the member had voted already)."""
    now = now or utcnow()
    community = community_of(session, idea)
    require_member(session, community=community, user=voter, doing="vote")
    rate_limits.hit(get_settings().vote_rate_per_account, "vote", str(voter.id), message=_(_VOTING_FAST))
    connection = session.connection()
    _lock_for_vote(connection, idea)
    _require_votable(session, idea)
    pair = {"idea_id": id_of(idea), "voter_id": id_of(voter), "created_at": now}
    if connection.execute(_CLAIM_VOTE[connection.dialect.name], pair).first() is None:
        return False
    follow_pair = {"idea_id": id_of(idea), "user_id": id_of(voter), "created_at": now}
    followed = connection.execute(_CLAIM_FOLLOW[connection.dialect.name], follow_pair).first() is not None
    _move_counters(connection, idea, votes=1, followers=int(followed), weight=trending_weight(now))
    return True


def unvote(session: Session, *, idea: Idea, voter: User) -> bool:
    """Take one's vote back; returns whether there was one."""
    rate_limits.hit(get_settings().vote_rate_per_account, "vote", str(voter.id), message=_(_VOTING_FAST))
    connection = session.connection()
    _lock_for_vote(connection, idea)
    removed = connection.execute(_TAKE_BACK_VOTE, {"idea_id": id_of(idea), "voter_id": id_of(voter)}).first()
    if removed is None:
        return False
    _move_counters(connection, idea, votes=-1, followers=0, weight=-trending_weight(removed.created_at))
    return True


def _move_counters(connection: Connection, idea: Idea, *, votes: int, followers: int, weight: float) -> None:
    """Add to the idea's vote and follower counters and its trending score in one UPDATE."""
    params = {"idea_id": id_of(idea), "votes": votes, "followers": followers, "weight": weight}
    vote_count, follower_count, trending_score = connection.execute(_MOVE_COUNTERS, params).one()
    set_committed_value(idea, "vote_count", vote_count)
    set_committed_value(idea, "follower_count", follower_count)
    set_committed_value(idea, "trending_score", trending_score)


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
        raise Conflict(_("This idea was merged into another: follow that one."))
    connection = session.connection()
    pair = {"idea_id": id_of(idea), "user_id": id_of(user), "created_at": now or utcnow()}
    if connection.execute(_CLAIM_FOLLOW[connection.dialect.name], pair).first() is None:
        return False
    _move_followers(connection, idea, 1)
    return True


def unfollow(session: Session, *, idea: Idea, user: User) -> bool:
    """Stop following an idea; returns whether one was following it."""
    connection = session.connection()
    if connection.execute(_TAKE_BACK_FOLLOW, {"idea_id": id_of(idea), "user_id": id_of(user)}).first() is None:
        return False
    _move_followers(connection, idea, -1)
    return True


def _move_followers(connection: Connection, idea: Idea, count: int) -> None:
    value = connection.execute(_MOVE_FOLLOWERS, {"idea_id": id_of(idea), "followers": count}).scalar_one()
    set_committed_value(idea, "follower_count", value)


def is_following(session: Session, *, idea: Idea, user: User | None) -> bool:
    if user is None:
        return False
    return (
        session.exec(select(IdeaFollow.id).where(IdeaFollow.idea_id == idea.id, IdeaFollow.user_id == user.id)).first()
        is not None
    )
