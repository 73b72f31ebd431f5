"""Asking questions, the community's Q&A setting, and hiding or showing a question (moderation).

Members and the brand's staff ask at once (screened like every post: blocked words, a new member's first posts).
Anyone else (a visitor, named by what they type, or someone logged in who has not joined) may ask only where the
community takes visitors' questions; such a question always waits for a moderator, and they are rate-limited by IP
address, as they have no standing in the community.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app import rate_limits
from app.accounts.models import User
from app.campaigns.models import Campaign, CampaignStatus
from app.challenges.models import Product, ProductStatus
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.config import get_settings
from app.errors import Forbidden, Invalid, NotFound
from app.i18n import _
from app.i18n.formatting import format_number
from app.moderation import screening as moderation_screening
from app.moderation.models import SubjectKind
from app.questions import votes
from app.questions.models import (
    BODY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    VISITOR_NAME_MAX_LENGTH,
    CommunityQuestion,
    QuestionSettings,
)
from app.questions.notifying import emit_question_asked
from app.questions.rules import FIX_MARKED_FIELDS, is_insider, settings_of

TITLE_MIN_LENGTH = 10


def set_settings(
    session: Session, *, community: Community, visitors_may_ask: bool, now: datetime | None = None
) -> QuestionSettings:
    """Let visitors ask in the community (pre-moderated, rate-limited by IP), or not."""
    current = session.get(QuestionSettings, community.id) or QuestionSettings(community_id=id_of(community))
    current.visitors_may_ask = visitors_may_ask
    current.updated_at = now or utcnow()
    session.add(current)
    session.flush()
    return current


@dataclass(frozen=True)
class Asker:
    """Who asks: an account (``user``), or nobody logged in; ``visitor_name`` and ``ip`` matter to outsiders."""

    user: User | None
    visitor_name: str = ""
    ip: str = ""


def may_ask_directly(session: Session, *, community: Community, user: User | None) -> bool:
    return is_insider(session, community=community, user=user)


def may_ask(session: Session, *, community: Community, user: User | None) -> bool:
    """Whether the ask form is open to this person: insiders always, others where visitors may ask."""
    return (
        may_ask_directly(session, community=community, user=user)
        or settings_of(session, community=community).visitors_may_ask
    )


def _validate(
    session: Session,
    *,
    community: Community,
    title: str,
    body: str,
    visitor_name: str | None,
    product_id: int | None,
    campaign_id: int | None,
) -> dict[str, str]:
    errors = {}
    if len(title) < TITLE_MIN_LENGTH:
        errors["title"] = _("Ask your question in at least %(limit)s characters.", limit=TITLE_MIN_LENGTH)
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = _(
            "Keep the question under %(limit)s characters; add details below.", limit=format_number(TITLE_MAX_LENGTH)
        )
    if len(body) > BODY_MAX_LENGTH:
        errors["body"] = _("Keep the details under %(limit)s characters.", limit=format_number(BODY_MAX_LENGTH))
    if visitor_name is not None and not 2 <= len(visitor_name) <= VISITOR_NAME_MAX_LENGTH:
        errors["visitor_name"] = _(
            "Give a name to show with your question (2 to %(limit)s characters).", limit=VISITOR_NAME_MAX_LENGTH
        )
    if product_id is not None:
        product = session.get(Product, product_id)
        if product is None or product.brand_id != community.brand_id or product.status != ProductStatus.live:
            errors["product_id"] = _("Choose one of the brand's products.")
    if campaign_id is not None:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None or campaign.community_id != community.id or campaign.status != CampaignStatus.published:
            errors["campaign_id"] = _("Choose one of this community's campaigns.")
    return errors


def ask_question(
    session: Session,
    *,
    community: Community,
    asker: Asker,
    title: str,
    body: str = "",
    product_id: int | None = None,
    campaign_id: int | None = None,
    now: datetime | None = None,
) -> CommunityQuestion:
    """Ask a question in a community; the asker (with an account) follows it. Held for a moderator when it comes
    from outside the community, or when screening holds it; the brand's webhooks hear of it once members see it."""
    now = now or utcnow()
    title, body = " ".join(title.split()), body.strip()
    user = asker.user
    direct = may_ask_directly(session, community=community, user=user)
    if not direct and not settings_of(session, community=community).visitors_may_ask:
        if user is None:
            raise Forbidden(_("Log in and join %(community)s to ask a question.", community=community.name))
        raise Forbidden(_("Join %(community)s to ask a question.", community=community.name))
    if user is not None and not user.is_confirmed:
        raise Forbidden(_("Confirm your e-mail address before you ask."))
    visitor_name = " ".join(asker.visitor_name.split()) if user is None else None
    errors = _validate(
        session,
        community=community,
        title=title,
        body=body,
        visitor_name=visitor_name,
        product_id=product_id,
        campaign_id=campaign_id,
    )
    if errors:
        raise Invalid(_(FIX_MARKED_FIELDS), fields=errors)
    message = _("You have asked many questions in a short time; wait a while before the next one.")
    if user is not None:
        rate_limits.hit(get_settings().question_rate_per_account, "question", str(user.id), message=message)
    if not direct:
        rate_limits.hit(get_settings().visitor_question_rate_per_ip, "visitor-question", asker.ip, message=message)
    question = CommunityQuestion(
        community_id=id_of(community),
        author_id=user.id if user is not None else None,
        visitor_name=visitor_name or "",
        product_id=product_id,
        campaign_id=campaign_id,
        title=title,
        body=body,
        created_at=now,
    )
    session.add(question)
    session.flush()
    if user is not None:
        votes.follow(session, question=question, user=user, now=now)
    if not direct:
        held = moderation_screening.hold_post(
            session, community=community, kind=SubjectKind.question, subject_id=id_of(question), now=now
        )
    else:
        assert user is not None
        held = moderation_screening.screen_post(
            session,
            community=community,
            author=user,
            kind=SubjectKind.question,
            subject_id=id_of(question),
            text=f"{title}\n{body}",
            now=now,
        )
    if not held:
        emit_question_asked(session, community=community, question=question, author=user)
    return question


def announce_question(session: Session, *, question_id: int) -> None:
    """A question held for review is approved: tell what asking it would have told (the brand's webhooks)."""
    question = session.get(CommunityQuestion, question_id)
    community = session.get(Community, question.community_id) if question is not None else None
    if question is None or community is None:
        return
    author = session.get(User, question.author_id) if question.author_id is not None else None
    emit_question_asked(session, community=community, question=question, author=author)


def set_hidden(session: Session, *, question: CommunityQuestion, hidden: bool, now: datetime | None = None) -> None:
    """Hide a question from the community (a moderator, or a hold), or show it again."""
    if hidden and question.hidden_at is None:
        question.hidden_at = now or utcnow()
    elif not hidden:
        question.hidden_at = None
    session.add(question)
    session.flush()


def get_question(session: Session, *, question_id: int) -> CommunityQuestion:
    question = session.get(CommunityQuestion, question_id)
    if question is None:
        raise NotFound(_("There is no such question."))
    return question
