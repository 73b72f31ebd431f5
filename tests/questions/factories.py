"""Factories for Community Q&A: questions and answers made directly (use the services to test asking, answering,
voting and accepting)."""

import itertools

from sqlmodel import Session

from app.accounts.models import User
from app.communities.models import Community
from app.questions.models import CommunityAnswer, CommunityQuestion, QuestionSettings
from tests.factories import add_member, make_community, make_user

_sequence = itertools.count(1)


def make_question(
    session: Session, community: Community | None = None, author: User | None = None, **overrides: object
) -> CommunityQuestion:
    """A shown question in a community (made directly: no membership check, no follow, no screening)."""
    community = community or make_community(session)
    if author is None:
        author = make_user(session)
        add_member(session, community, author)
    values: dict[str, object] = {
        "community_id": community.id,
        "author_id": author.id,
        "title": f"Question number {next(_sequence)}?",
    }
    values.update(overrides)
    question = CommunityQuestion(**values)  # type: ignore[arg-type]
    session.add(question)
    session.flush()
    return question


def make_answer(
    session: Session, question: CommunityQuestion, author: User | None = None, **overrides: object
) -> CommunityAnswer:
    """A shown answer, counted in its question's answer count."""
    if author is None:
        author = make_user(session)
        community = session.get(Community, question.community_id)
        assert community is not None
        add_member(session, community, author)
    values: dict[str, object] = {"question_id": question.id, "author_id": author.id, "body": "An answer."}
    values.update(overrides)
    answer = CommunityAnswer(**values)  # type: ignore[arg-type]
    session.add(answer)
    question.answer_count += 1
    session.add(question)
    session.flush()
    return answer


def allow_visitors(session: Session, community: Community) -> None:
    """Let visitors ask in the community."""
    session.add(QuestionSettings(community_id=community.id or 0, visitors_may_ask=True))
    session.flush()
