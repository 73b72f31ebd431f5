"""Answering questions, and hiding or showing an answer (moderation).

``CommunityQuestion.answer_count`` counts the answers members see: an answer is counted when posted and taken back
by its hiding (a post held for review is hidden at once), like an idea's comment count. An accepted answer that is
hidden loses its acceptance (and the points it paid, app/questions/accepting.py): a hidden answer cannot be the one
the question points readers to.
"""

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from app import rate_limits
from app.accounts.models import User
from app.columns import id_of, utcnow
from app.config import get_settings
from app.errors import Conflict, Invalid
from app.i18n import N_, _
from app.i18n.formatting import format_number
from app.moderation import screening as moderation_screening
from app.moderation.models import SubjectKind
from app.notifications.models import NotificationKind
from app.questions import accepting, votes
from app.questions.models import ANSWER_MAX_LENGTH, CommunityAnswer, CommunityQuestion
from app.questions.notifying import followers_of, tell
from app.questions.rules import (
    FIX_MARKED_FIELDS,
    answer_link,
    community_of,
    is_brand_staff,
    question_of,
    require_insider,
)


def post_answer(
    session: Session, *, question: CommunityQuestion, author: User, body: str, now: datetime | None = None
) -> CommunityAnswer:
    """Answer a question (members and the brand's staff; staff answers carry the "Brand" badge). The author follows
    the question, and its followers are told, unless screening holds the answer for a moderator."""
    now = now or utcnow()
    body = body.strip()
    community = community_of(session, question)
    require_insider(session, community=community, user=author, doing="answer")
    if question.is_hidden:
        raise Conflict(_("This question is hidden."))
    if len(body) < 2:
        raise Invalid(_(FIX_MARKED_FIELDS), fields={"body": _("Write your answer.")})
    if len(body) > ANSWER_MAX_LENGTH:
        raise Invalid(
            _(FIX_MARKED_FIELDS),
            fields={"body": _("Keep the answer under %(limit)s characters.", limit=format_number(ANSWER_MAX_LENGTH))},
        )
    rate_limits.hit(
        get_settings().answer_rate_per_account,
        "answer",
        str(author.id),
        message=_("You have answered many questions in a short time; wait a while before the next answer."),
    )
    answer = CommunityAnswer(
        question_id=id_of(question),
        author_id=id_of(author),
        body=body,
        by_staff=is_brand_staff(session, community=community, user=author),
        created_at=now,
    )
    session.add(answer)
    session.flush()
    _move_answers(session, question, 1)
    votes.follow(session, question=question, user=author, now=now)
    if moderation_screening.screen_post(
        session,
        community=community,
        author=author,
        kind=SubjectKind.answer,
        subject_id=id_of(answer),
        text=body,
        now=now,
    ):
        return answer  # held (hidden): followers hear of it once a moderator approves it (announce_answer)
    _announce(session, question=question, answer=answer, author=author)
    return answer


def _announce(session: Session, *, question: CommunityQuestion, answer: CommunityAnswer, author: User) -> None:
    tell(
        session,
        followers_of(session, question),
        community=community_of(session, question),
        kind=NotificationKind.question_answer,
        text=lambda: _("%(name)s answered “%(question)s”", name=author.display_name, question=question.title),
        link=answer_link(answer),
        actor=author,
    )


def announce_answer(session: Session, *, answer_id: int) -> None:
    """An answer held for review is approved: tell the question's followers, as posting it would have."""
    answer = session.get(CommunityAnswer, answer_id)
    author = session.get(User, answer.author_id) if answer is not None and answer.author_id is not None else None
    if answer is None or author is None:
        return
    _announce(session, question=question_of(session, answer), answer=answer, author=author)


def set_hidden(session: Session, *, answer: CommunityAnswer, hidden: bool, now: datetime | None = None) -> None:
    """Hide an answer (a moderator, or a hold), or show it again; the question's answer count follows."""
    question = question_of(session, answer)
    if hidden and answer.hidden_at is None:
        if answer.is_accepted:
            accepting.take_back(session, question=question, answer=answer, reason=N_("the answer was hidden"))
        answer.hidden_at = now or utcnow()
        session.add(answer)
        session.flush()
        _move_answers(session, question, -1)
    elif not hidden and answer.hidden_at is not None:
        answer.hidden_at = None
        session.add(answer)
        session.flush()
        _move_answers(session, question, 1)


def _move_answers(session: Session, question: CommunityQuestion, count: int) -> None:
    value = session.execute(
        update(CommunityQuestion)
        .where(col(CommunityQuestion.id) == question.id)
        .values(answer_count=CommunityQuestion.answer_count + count)
        .returning(col(CommunityQuestion.answer_count))
    ).scalar_one()
    set_committed_value(question, "answer_count", value)
