"""Questions and answers as moderation sees them: how to describe, load, count, hide, restore and announce them
(app.moderation.subjects)."""

from collections import Counter
from collections.abc import Callable, Collection

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.moderation.models import SubjectKind
from app.moderation.subjects import SubjectContent, SubjectInfo, SubjectType, excerpt
from app.questions import answering, asking
from app.questions.models import CommunityAnswer, CommunityQuestion
from app.questions.rules import answer_link, question_link


def _describe_question(session: Session, question_id: int, community_id: int) -> SubjectInfo | None:
    found = session.get(CommunityQuestion, question_id)
    if found is None or found.community_id != community_id:
        return None
    return SubjectInfo(
        community_id=community_id,
        author_id=found.author_id,
        excerpt=excerpt(found.title, found.body),
        link=question_link(found),
        hidden=found.is_hidden,
    )


def _describe_answer(session: Session, answer_id: int, community_id: int) -> SubjectInfo | None:
    found = session.get(CommunityAnswer, answer_id)
    question = session.get(CommunityQuestion, found.question_id) if found is not None else None
    if found is None or question is None or question.community_id != community_id:
        return None
    return SubjectInfo(
        community_id=community_id,
        author_id=found.author_id,
        excerpt=excerpt(found.body),
        link=answer_link(found),
        hidden=found.is_hidden,
    )


def _question_contents(session: Session, question_ids: Collection[int]) -> dict[int, SubjectContent]:
    return {
        question.id or 0: SubjectContent(title=question.title, text=question.body, posted_at=question.created_at)
        for question in session.exec(select(CommunityQuestion).where(col(CommunityQuestion.id).in_(question_ids)))
    }


def _answer_contents(session: Session, answer_ids: Collection[int]) -> dict[int, SubjectContent]:
    return {
        answer.id or 0: SubjectContent(title="", text=answer.body, posted_at=answer.created_at)
        for answer in session.exec(select(CommunityAnswer).where(col(CommunityAnswer.id).in_(answer_ids)))
    }


def _count_questions(session: Session, community_id: int, author_ids: Collection[int]) -> Counter[int]:
    """Questions each author asked in the community."""
    query = (
        select(CommunityQuestion.author_id, func.count())
        .where(CommunityQuestion.community_id == community_id, col(CommunityQuestion.author_id).in_(author_ids))
        .group_by(col(CommunityQuestion.author_id))
    )
    return Counter({author: number for author, number in session.exec(query).all() if author is not None})


def _count_answers(session: Session, community_id: int, author_ids: Collection[int]) -> Counter[int]:
    """Answers each author gave in the community."""
    query = (
        select(CommunityAnswer.author_id, func.count())
        .join(CommunityQuestion, col(CommunityQuestion.id) == CommunityAnswer.question_id)
        .where(CommunityQuestion.community_id == community_id, col(CommunityAnswer.author_id).in_(author_ids))
        .group_by(col(CommunityAnswer.author_id))
    )
    return Counter({author: number for author, number in session.exec(query).all() if author is not None})


def _set_question_hidden(hidden: bool) -> Callable[[Session, int], None]:
    def apply(session: Session, question_id: int) -> None:
        question = session.get(CommunityQuestion, question_id)
        if question is not None:
            asking.set_hidden(session, question=question, hidden=hidden)

    return apply


def _set_answer_hidden(hidden: bool) -> Callable[[Session, int], None]:
    def apply(session: Session, answer_id: int) -> None:
        answer = session.get(CommunityAnswer, answer_id)
        if answer is not None:
            answering.set_hidden(session, answer=answer, hidden=hidden)

    return apply


SUBJECT_TYPES = (
    SubjectType(
        kind=SubjectKind.question,
        label="question",
        describe=_describe_question,
        hide=_set_question_hidden(True),
        restore=_set_question_hidden(False),
        announce=lambda session, question_id: asking.announce_question(session, question_id=question_id),
        content=_question_contents,
        count_posts=_count_questions,
    ),
    SubjectType(
        kind=SubjectKind.answer,
        label="answer",
        describe=_describe_answer,
        hide=_set_answer_hidden(True),
        restore=_set_answer_hidden(False),
        announce=lambda session, answer_id: answering.announce_answer(session, answer_id=answer_id),
        content=_answer_contents,
        count_posts=_count_answers,
    ),
)
