"""Telling people about questions: followers (per their notification preferences) and the brand's webhooks."""

from collections.abc import Callable, Sequence

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.columns import id_of
from app.communities.models import Community
from app.config import get_settings
from app.i18n import use_locale
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.questions.models import CommunityAnswer, CommunityQuestion, QuestionFollow
from app.questions.rules import question_link
from app.webhooks import service as webhooks_service
from app.webhooks.models import WebhookEvent


def followers_of(session: Session, question: CommunityQuestion) -> Sequence[User]:
    """The question's active followers, by id."""
    return session.exec(
        select(User)
        .join(QuestionFollow, col(QuestionFollow.user_id) == User.id)
        .where(QuestionFollow.question_id == question.id, col(User.is_active))
        .order_by(col(User.id))
    ).all()


def tell(
    session: Session,
    people: Sequence[User],
    *,
    community: Community,
    kind: NotificationKind,
    text: Callable[[], str],
    link: str,
    actor: User | None,
    skip: frozenset[int] = frozenset(),
) -> frozenset[int]:
    """Notify each person once (never the actor nor those in ``skip``); returns who was considered. ``text`` is
    called for each person in their own language (the line and any e-mail sent now read in theirs)."""
    seen = set(skip) | ({id_of(actor)} if actor is not None else set())
    for person in people:
        if person.id in seen:
            continue
        seen.add(id_of(person))
        with use_locale(person.locale, person.time_zone):
            notifications_service.notify(
                session, user=person, kind=kind, text=text(), link=link, actor=actor, community=community
            )
    return frozenset(seen)


def _question_payload(question: CommunityQuestion, author: User | None) -> dict[str, object]:
    return {
        "id": question.id,
        "title": question.title,
        "body": question.body,
        "product_id": question.product_id,
        "campaign_id": question.campaign_id,
        "asked_by": {"handle": author.handle, "display_name": author.display_name}
        if author is not None
        else {"visitor_name": question.visitor_name},
        "created_at": question.created_at.isoformat(),
        "url": get_settings().base_url.rstrip("/") + question_link(question),
    }


def emit_question_asked(
    session: Session, *, community: Community, question: CommunityQuestion, author: User | None
) -> None:
    """Tell the brand's webhook endpoints of a question members can see (``question_asked``)."""
    webhooks_service.emit_event(
        session,
        brand_id=community.brand_id,
        event=WebhookEvent.question_asked.value,
        payload={
            "question": _question_payload(question, author),
            "community": {"slug": community.slug, "name": community.name},
        },
    )


def emit_answer_accepted(
    session: Session,
    *,
    community: Community,
    question: CommunityQuestion,
    answer: CommunityAnswer,
    answer_author: User | None,
    accepted_by: User,
) -> None:
    """Tell the brand's webhook endpoints that an answer was accepted (``answer_accepted``)."""
    asker = session.get(User, question.author_id) if question.author_id is not None else None
    webhooks_service.emit_event(
        session,
        brand_id=community.brand_id,
        event=WebhookEvent.answer_accepted.value,
        payload={
            "question": _question_payload(question, asker),
            "answer": {
                "id": answer.id,
                "body": answer.body,
                "by_brand": answer.by_staff,
                "author": {"handle": answer_author.handle, "display_name": answer_author.display_name}
                if answer_author is not None
                else None,
                "vote_count": answer.vote_count,
                "accepted_at": answer.accepted_at.isoformat() if answer.accepted_at else None,
            },
            "accepted_by": {"handle": accepted_by.handle, "display_name": accepted_by.display_name},
            "community": {"slug": community.slug, "name": community.name},
        },
    )
