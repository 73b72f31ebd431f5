"""What holds for every question: who takes part and how, links, the community of a question, its row lock."""

from sqlmodel import Session, select

from app.accounts.models import User
from app.brands import service as brands_service
from app.communities import service as communities_service
from app.communities.models import Community
from app.errors import Forbidden
from app.i18n import N_, _
from app.questions.models import CommunityAnswer, CommunityQuestion, QuestionSettings

FIX_MARKED_FIELDS = N_("Please correct the marked fields.")


def question_link(question: CommunityQuestion) -> str:
    return f"/questions/{question.id}"


def answer_link(answer: CommunityAnswer) -> str:
    return f"/questions/{answer.question_id}#answer-{answer.id}"


def community_of(session: Session, question: CommunityQuestion) -> Community:
    community = session.get(Community, question.community_id)
    assert community is not None
    return community


def question_of(session: Session, answer: CommunityAnswer) -> CommunityQuestion:
    question = session.get(CommunityQuestion, answer.question_id)
    assert question is not None
    return question


def is_brand_staff(session: Session, *, community: Community, user: User | None) -> bool:
    return brands_service.staff_role(session, brand_id=community.brand_id, user=user) is not None


def is_insider(session: Session, *, community: Community, user: User | None) -> bool:
    """A member of the community or one of its brand's staff: those who ask and answer without being held."""
    if user is None:
        return False
    member = communities_service.get_membership(session, community=community, user=user) is not None
    return member or is_brand_staff(session, community=community, user=user)


def require_insider(session: Session, *, community: Community, user: User, doing: str) -> None:
    """Members (confirmed) and the brand's staff answer; the one place that says so for the services."""
    unconfirmed, outsider = _REFUSALS.get(doing, _REFUSALS[""])
    if not user.is_confirmed:
        raise Forbidden(_(unconfirmed))
    if not is_insider(session, community=community, user=user):
        raise Forbidden(_(outsider, community=community.name))


# Why someone may not take part, a whole sentence per thing they tried (``doing``: "answer", "vote").
_REFUSALS = {
    "answer": (N_("Confirm your e-mail address before you answer."), N_("Join %(community)s to answer.")),
    "vote": (N_("Confirm your e-mail address before you vote."), N_("Join %(community)s to vote.")),
    "": (N_("Confirm your e-mail address first."), N_("Join %(community)s to take part.")),
}


def settings_of(session: Session, *, community: Community) -> QuestionSettings:
    """The community's Q&A setting, or the default (visitors may not ask; not saved) when it has none yet."""
    found = session.get(QuestionSettings, community.id)
    return found if found is not None else QuestionSettings(community_id=community.id or 0)


def lock_question(session: Session, question: CommunityQuestion) -> CommunityQuestion:
    """Lock the question's row (PostgreSQL; SQLite writers hold the write lock) and read its current state."""
    session.exec(select(CommunityQuestion.id).where(CommunityQuestion.id == question.id).with_for_update()).one()
    session.refresh(question)
    return question
