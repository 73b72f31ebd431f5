"""Votes on answers and follows of questions.

A vote is one per member and answer: the pair is claimed with INSERT ... ON CONFLICT DO NOTHING (the unique pair),
and only a claimed pair moves the answer's counter, by one atomic UPDATE in the same transaction; so concurrent
votes by one member count once, and concurrent votes by many all count. Follows work the same way.
"""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam, delete
from sqlalchemy import update as sa_update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app import rate_limits
from app.accounts.models import User
from app.columns import id_of, utcnow
from app.config import get_settings
from app.errors import Conflict, Forbidden
from app.i18n import N_, _
from app.questions.models import AnswerVote, CommunityAnswer, CommunityQuestion, QuestionFollow
from app.questions.rules import community_of, question_of, require_insider

_ANSWERS = cast(Table, CommunityAnswer.__table__)  # type: ignore[attr-defined]
_QUESTIONS = cast(Table, CommunityQuestion.__table__)  # type: ignore[attr-defined]
_VOTES = cast(Table, AnswerVote.__table__)  # type: ignore[attr-defined]
_FOLLOWS = cast(Table, QuestionFollow.__table__)  # type: ignore[attr-defined]


def _claim(table: Table, pair: list[str]) -> dict[str, Any]:
    """INSERT ... ON CONFLICT (pair) DO NOTHING RETURNING id, per dialect."""
    return {
        name: insert(table).on_conflict_do_nothing(index_elements=pair).returning(table.c.id)
        for name, insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
    }


_CLAIM_VOTE = _claim(_VOTES, ["answer_id", "voter_id"])
_CLAIM_FOLLOW = _claim(_FOLLOWS, ["question_id", "user_id"])
_TAKE_BACK_VOTE = (
    delete(_VOTES)
    .where(_VOTES.c.answer_id == bindparam("answer_id"), _VOTES.c.voter_id == bindparam("voter_id"))
    .returning(_VOTES.c.id)
)
_TAKE_BACK_FOLLOW = (
    delete(_FOLLOWS)
    .where(_FOLLOWS.c.question_id == bindparam("question_id"), _FOLLOWS.c.user_id == bindparam("user_id"))
    .returning(_FOLLOWS.c.id)
)
_MOVE_VOTES = (
    sa_update(_ANSWERS)
    .where(_ANSWERS.c.id == bindparam("answer_id"))
    .values(vote_count=_ANSWERS.c.vote_count + bindparam("votes", type_=Integer))
    .returning(_ANSWERS.c.vote_count)
)
_MOVE_FOLLOWERS = (
    sa_update(_QUESTIONS)
    .where(_QUESTIONS.c.id == bindparam("question_id"))
    .values(follower_count=_QUESTIONS.c.follower_count + bindparam("followers", type_=Integer))
    .returning(_QUESTIONS.c.follower_count)
)
_VOTING_FAST = N_("You are voting very fast; take a moment before the next vote.")


def vote(session: Session, *, answer: CommunityAnswer, voter: User, now: datetime | None = None) -> bool:
    """Vote an answer up; returns whether a vote was added (False: the member had voted for it already)."""
    question = question_of(session, answer)
    require_insider(session, community=community_of(session, question), user=voter, doing="vote")
    if answer.author_id == voter.id:
        raise Forbidden(_("You cannot vote for your own answer."))
    if answer.is_hidden or question.is_hidden:
        raise Conflict(_("This answer is hidden."))
    rate_limits.hit(get_settings().vote_rate_per_account, "vote", str(voter.id), message=_(_VOTING_FAST))
    connection = session.connection()
    pair = {"answer_id": id_of(answer), "voter_id": id_of(voter), "created_at": now or utcnow()}
    if connection.execute(_CLAIM_VOTE[connection.dialect.name], pair).first() is None:
        return False
    _move_votes(session, answer, 1)
    return True


def unvote(session: Session, *, answer: CommunityAnswer, voter: User) -> bool:
    """Take one's vote back; returns whether there was one."""
    rate_limits.hit(get_settings().vote_rate_per_account, "vote", str(voter.id), message=_(_VOTING_FAST))
    connection = session.connection()
    if connection.execute(_TAKE_BACK_VOTE, {"answer_id": id_of(answer), "voter_id": id_of(voter)}).first() is None:
        return False
    _move_votes(session, answer, -1)
    return True


def _move_votes(session: Session, answer: CommunityAnswer, votes: int) -> None:
    value = session.connection().execute(_MOVE_VOTES, {"answer_id": id_of(answer), "votes": votes}).scalar_one()
    set_committed_value(answer, "vote_count", value)


def voted_answers(session: Session, *, user: User | None, answer_ids: list[int]) -> set[int]:
    """Which of these answers the user voted for: one query for a question's page."""
    if user is None or not answer_ids:
        return set()
    return set(
        session.exec(
            select(AnswerVote.answer_id).where(
                AnswerVote.voter_id == user.id, col(AnswerVote.answer_id).in_(answer_ids)
            )
        ).all()
    )


def follow(session: Session, *, question: CommunityQuestion, user: User, now: datetime | None = None) -> bool:
    """Follow a question (be told of new answers and the one accepted); returns whether newly followed."""
    connection = session.connection()
    pair = {"question_id": id_of(question), "user_id": id_of(user), "created_at": now or utcnow()}
    if connection.execute(_CLAIM_FOLLOW[connection.dialect.name], pair).first() is None:
        return False
    _move_followers(session, question, 1)
    return True


def unfollow(session: Session, *, question: CommunityQuestion, user: User) -> bool:
    """Stop following a question; returns whether one was following it."""
    params = {"question_id": id_of(question), "user_id": id_of(user)}
    if session.connection().execute(_TAKE_BACK_FOLLOW, params).first() is None:
        return False
    _move_followers(session, question, -1)
    return True


def _move_followers(session: Session, question: CommunityQuestion, count: int) -> None:
    params = {"question_id": id_of(question), "followers": count}
    value = session.connection().execute(_MOVE_FOLLOWERS, params).scalar_one()
    set_committed_value(question, "follower_count", value)


def is_following(session: Session, *, question: CommunityQuestion, user: User | None) -> bool:
    if user is None:
        return False
    found = session.exec(
        select(QuestionFollow.id).where(QuestionFollow.question_id == question.id, QuestionFollow.user_id == user.id)
    ).first()
    return found is not None
