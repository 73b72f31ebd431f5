"""Load the question or answer named in the path, with its community, and check the actor's roles there."""

from dataclasses import dataclass

from fastapi import Depends

from app.accounts.deps import CurrentUser, PermissionCheck, base_roles, check
from app.accounts.models import User
from app.columns import RowId
from app.communities.deps import CommunityAccess, community_roles
from app.communities.models import Community, Visibility
from app.db import SessionDep
from app.errors import NotFound
from app.i18n import N_, _
from app.moderation.enforcement import refuse_if_sanctioned
from app.permissions import Action, can
from app.questions.models import CommunityAnswer, CommunityQuestion

HIDDEN_QUESTION = N_("There is no such question.")
HIDDEN_ANSWER = N_("There is no such answer.")


@dataclass(frozen=True)
class QuestionAccess(CommunityAccess):
    question: CommunityQuestion


@dataclass(frozen=True)
class AnswerAccess(QuestionAccess):
    answer: CommunityAnswer


def _load(
    session: SessionDep, question: CommunityQuestion | None, user: User | None, action: Action, *, hidden: str
) -> QuestionAccess:
    """The question's community roles, checked as a community page checks them; a hidden question is seen only by
    its author and those who moderate the community (moderators, the brand's managers)."""
    community = session.get(Community, question.community_id) if question is not None else None
    if question is None or community is None:
        check(action, frozenset(base_roles(user)), user, hidden_message=hidden)
        raise NotFound(hidden)
    roles, membership = community_roles(session, community, user)
    frozen = frozenset(roles)
    if community.visibility == Visibility.invite_only:
        check(Action.view_invite_only_community, frozen, user, hidden_message=hidden)
    check(action, frozen, user, hidden_message=hidden, session=session, brand_id=community.brand_id)
    refuse_if_sanctioned(
        session,
        action=action,
        community_id=community.id or 0,
        community_name=community.name,
        user_id=user.id if user is not None else None,
    )
    is_author = user is not None and question.author_id == user.id
    if question.is_hidden and not (is_author or can(frozen, Action.moderate_community)):
        raise NotFound(hidden)
    return QuestionAccess(community=community, user=user, membership=membership, roles=frozen, question=question)


class QuestionPermit(PermissionCheck):
    """Depends on ``question_id``: loads the question and its community, and checks the roles there."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, question_id: RowId, user: CurrentUser, session: SessionDep) -> QuestionAccess:
        question = session.get(CommunityQuestion, question_id)
        return _load(session, question, user, self.action, hidden=_(HIDDEN_QUESTION))


class AnswerPermit(PermissionCheck):
    """Depends on ``answer_id``: loads the answer, its question and community, and checks the roles there; a hidden
    answer is seen only by its author and those who moderate the community."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, answer_id: RowId, user: CurrentUser, session: SessionDep) -> AnswerAccess:
        answer = session.get(CommunityAnswer, answer_id)
        question = session.get(CommunityQuestion, answer.question_id) if answer is not None else None
        access = _load(session, question, user, self.action, hidden=_(HIDDEN_ANSWER))
        assert answer is not None
        is_author = access.user is not None and answer.author_id == access.user.id
        if answer.is_hidden and not (is_author or access.can(Action.moderate_community)):
            raise NotFound(_(HIDDEN_ANSWER))
        return AnswerAccess(
            community=access.community,
            user=access.user,
            membership=access.membership,
            roles=access.roles,
            question=access.question,
            answer=answer,
        )


def question_access(action: Action) -> QuestionAccess:
    """``access: QuestionAccess = question_access(Action.view_community)`` in a route's parameters."""
    return Depends(QuestionPermit(action))


def answer_access(action: Action) -> AnswerAccess:
    """``access: AnswerAccess = answer_access(Action.vote_answer)`` in a route's parameters."""
    return Depends(AnswerPermit(action))
