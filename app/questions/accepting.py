"""Accepting an answer: the asker or the brand's staff mark the answer that settles a question, and may move the mark.

One answer at most is accepted per question: the question's row is locked while the mark moves (and a partial
unique index on ``answers`` holds it in the database too), so two people accepting different answers at once end
with one of them accepted, never both.

**Points follow the accepted answer.** When the brand has a points rule for ``answer_accepted`` (app/rewards; no
rule, or 0 points, means none), the author of the accepted answer earns it through the ledger, once per acceptance
(the award's key names the answer and the question's acceptance number). When the acceptance moves to another
answer, or is taken back, or the answer is hidden, the award is reversed through the ledger (a reversal
transaction), so a member holds the points of an answer exactly while it is accepted, however often the mark moves.
Nobody earns points for answering their own question, and the brand's staff earn none for their answers.
"""

from datetime import datetime

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.columns import id_of, utcnow
from app.errors import Conflict, Forbidden
from app.i18n import N_, _
from app.notifications.models import NotificationKind
from app.questions.models import CommunityAnswer, CommunityQuestion
from app.questions.notifying import emit_answer_accepted, followers_of, tell
from app.questions.rules import answer_link, community_of, is_brand_staff, lock_question, question_of
from app.rewards import points as points_service
from app.rewards.models import PointsAction


def may_accept(session: Session, *, question: CommunityQuestion, user: User | None) -> bool:
    """The asker (with an account) or the brand's staff."""
    if user is None:
        return False
    if question.author_id is not None and question.author_id == user.id:
        return True
    return is_brand_staff(session, community=community_of(session, question), user=user)


def accepted_answer(session: Session, *, question: CommunityQuestion) -> CommunityAnswer | None:
    return session.exec(
        select(CommunityAnswer).where(
            CommunityAnswer.question_id == question.id, col(CommunityAnswer.accepted_at).is_not(None)
        )
    ).first()


def accept(session: Session, *, answer: CommunityAnswer, actor: User, now: datetime | None = None) -> bool:
    """Accept an answer (moving the acceptance from another one); returns whether anything changed."""
    now = now or utcnow()
    question = lock_question(session, question_of(session, answer))
    if not may_accept(session, question=question, user=actor):
        raise Forbidden(_("Only the person who asked or the brand's team may accept an answer."))
    session.refresh(answer)
    if answer.is_hidden or question.is_hidden:
        raise Conflict(_("A hidden answer cannot be accepted."))
    if answer.is_accepted:
        return False
    current = accepted_answer(session, question=question)
    if current is not None:
        take_back(session, question=question, answer=current, reason=N_("another answer was accepted"), now=now)
    question.acceptance_count += 1
    question.accepted_at = now
    answer.accepted_at = now
    answer.accepted_by_id = id_of(actor)
    session.add_all([question, answer])
    session.flush()
    community = community_of(session, question)
    author = session.get(User, answer.author_id) if answer.author_id is not None else None
    if author is not None and not answer.by_staff and author.id != question.author_id:
        award = points_service.award_points(
            session,
            user_id=id_of(author),
            brand_id=community.brand_id,
            action=PointsAction.answer_accepted,
            source_key=f"answer:{answer.id}:{question.acceptance_count}",
            now=now,
        )
        if award is not None:
            answer.points_award_id = id_of(award)
            session.add(answer)
            session.flush()
    told = tell(
        session,
        [author] if author is not None else [],
        community=community,
        kind=NotificationKind.answer_accepted,
        text=lambda: _("Your answer to “%(question)s” was accepted", question=question.title),
        link=answer_link(answer),
        actor=actor,
    )
    tell(
        session,
        followers_of(session, question),
        community=community,
        kind=NotificationKind.answer_accepted,
        text=lambda: _("An answer to “%(question)s” was accepted", question=question.title),
        link=answer_link(answer),
        actor=actor,
        skip=told,
    )
    emit_answer_accepted(
        session, community=community, question=question, answer=answer, answer_author=author, accepted_by=actor
    )
    return True


def unaccept(session: Session, *, answer: CommunityAnswer, actor: User, now: datetime | None = None) -> bool:
    """Take the acceptance back (the question is open again); returns whether it was accepted."""
    question = lock_question(session, question_of(session, answer))
    if not may_accept(session, question=question, user=actor):
        raise Forbidden(_("Only the person who asked or the brand's team may change the accepted answer."))
    session.refresh(answer)
    if not answer.is_accepted:
        return False
    take_back(session, question=question, answer=answer, reason=N_("the acceptance was taken back"), now=now)
    question.accepted_at = None
    session.add(question)
    session.flush()
    return True


def take_back(
    session: Session,
    *,
    question: CommunityQuestion,
    answer: CommunityAnswer,
    reason: str,
    now: datetime | None = None,
) -> None:
    """Unmark an accepted answer and reverse the points its acceptance paid (the caller holds the question's lock
    or is hiding the answer)."""
    if answer.points_award_id is not None:
        points_service.reverse_award(session, award_id=answer.points_award_id, reason=reason, now=now)
        answer.points_award_id = None
    answer.accepted_at = None
    answer.accepted_by_id = None
    question.accepted_at = None
    session.add_all([answer, question])
    session.flush()
