"""Roundtables (invitations and RSVPs) and the campaign's published outcome."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.campaigns.connectors import connector_standings
from app.campaigns.lifecycle import campaign_url, require_phase
from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignPhase,
    CampaignResponse,
    RoundtableInvitation,
    Rsvp,
)
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.config import get_settings
from app.errors import Conflict, Invalid
from app.i18n import N_, _, use_locale
from app.i18n.formatting import format_datetime, format_number
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind

# ------------------------------------------------------------------------------------------------------------
# Roundtable and outcome
# ------------------------------------------------------------------------------------------------------------


def invite_to_roundtable(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    when: datetime,
    details: str,
    count: int,
    invited_by: User,
    now: datetime | None = None,
) -> list[RoundtableInvitation]:
    """Set the results roundtable and invite the ``count`` best connectors (those not invited yet)."""
    now = now or utcnow()
    require_phase(
        campaign,
        now,
        {CampaignPhase.feedback, CampaignPhase.closed},
        N_("You cannot invite to the roundtable now: %(campaign)s is at “%(phase)s”."),
    )
    errors = {}
    if when.tzinfo is None or when <= now:
        errors["roundtable_at"] = _("Choose a date and time in the future.")
    if len(details) > 2000:
        errors["roundtable_details"] = _("Use at most %(limit)s characters.", limit=format_number(2000))
    if not 1 <= count <= 100:
        errors["count"] = _("Invite between 1 and 100 connectors.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    campaign.roundtable_at, campaign.roundtable_details = when, details.strip()
    session.add(campaign)
    invited = {
        user_id
        for user_id in session.exec(
            select(RoundtableInvitation.user_id).where(RoundtableInvitation.campaign_id == campaign.id)
        ).all()
    }
    chosen = [s for s in connector_standings(session, campaign=campaign) if s.user.id not in invited][:count]
    invitations = []
    link = f"{campaign_url(campaign, community)}/mine"
    for standing in chosen:
        invitation = RoundtableInvitation(campaign_id=id_of(campaign), user_id=id_of(standing.user), invited_at=now)
        session.add(invitation)
        invitations.append(invitation)
        with use_locale(standing.user.locale, standing.user.time_zone):  # in the connector's language and time
            text = _(
                "You are invited to the %(campaign)s results roundtable on %(when)s. Will you come?",
                campaign=campaign.title,
                when=format_datetime(when, style="long"),
            )
            subject = _("%(campaign)s: results roundtable", campaign=campaign.title)
        notifications_service.notify(
            session,
            user=standing.user,
            kind=NotificationKind.roundtable_invite,
            text=f"{text} {details.strip()}".strip(),
            link=link,
            actor=invited_by,
            community=community,
            email_subject=subject,
        )
    session.flush()
    return invitations


def answer_rsvp(
    session: Session, *, campaign: Campaign, user: User, attending: bool, now: datetime | None = None
) -> RoundtableInvitation:
    """Say whether one will come to the roundtable one is invited to (changeable until it starts)."""
    now = now or utcnow()
    invitation = session.exec(
        select(RoundtableInvitation).where(
            RoundtableInvitation.campaign_id == campaign.id, RoundtableInvitation.user_id == user.id
        )
    ).first()
    if invitation is None:
        raise Conflict(_("You are not invited to this campaign's roundtable."))
    if campaign.roundtable_at is not None and campaign.roundtable_at <= now:
        raise Conflict(_("The roundtable has taken place."))
    invitation.rsvp = Rsvp.attending if attending else Rsvp.declined
    invitation.answered_at = now
    session.add(invitation)
    session.flush()
    return invitation


def list_invitations(session: Session, *, campaign: Campaign) -> Sequence[tuple[RoundtableInvitation, User]]:
    return session.exec(
        select(RoundtableInvitation, User)
        .join(User, col(User.id) == RoundtableInvitation.user_id)
        .where(RoundtableInvitation.campaign_id == campaign.id)
        .order_by(col(RoundtableInvitation.id))
    ).all()


def post_outcome(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    text: str,
    posted_by: User,
    chart: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Campaign:
    """Tell every participant what the brand decided ("you told us X, we are doing Y"); editable afterwards.

    ``chart`` is a snapshot of results shown with it (``app.insights`` makes it and applies k-anonymity)."""
    now = now or utcnow()
    require_phase(
        campaign,
        now,
        {CampaignPhase.feedback, CampaignPhase.closed},
        N_("You cannot post the outcome now: %(campaign)s is at “%(phase)s”."),
    )
    text = text.strip()
    if not text or len(text) > 20000:
        raise Invalid(_("Please correct the marked fields."), fields={"outcome": _("Write the outcome (Markdown).")})
    first_time = campaign.outcome_posted_at is None
    campaign.outcome, campaign.outcome_posted_at = text, campaign.outcome_posted_at or now
    campaign.outcome_chart = chart
    session.add(campaign)
    session.flush()
    if first_time:
        link = campaign_url(campaign, community)
        participants = session.exec(
            select(User)
            .join(CampaignApplication, col(CampaignApplication.user_id) == User.id)
            .where(
                CampaignApplication.campaign_id == campaign.id,
                CampaignApplication.status == ApplicationStatus.accepted,
            )
        ).all()
        for user in participants:
            with use_locale(user.locale, user.time_zone):
                told = _(
                    "%(campaign)s: the brand tells you what it is doing with your feedback.", campaign=campaign.title
                )
            notifications_service.notify(
                session,
                user=user,
                kind=NotificationKind.campaign_outcome,
                text=told,
                link=link,
                actor=posted_by,
                community=community,
            )
        # Friends who answered and agreed to be contacted were promised this e-mail (see answer_campaign).
        addresses = session.exec(
            select(CampaignResponse.email).where(
                CampaignResponse.campaign_id == campaign.id,
                col(CampaignResponse.consent).is_(True),
                col(CampaignResponse.email).is_not(None),
            )
        ).all()
        for address in addresses:
            notifications_service.queue_email(
                session,
                to_address=address or "",
                # Friends have no account: in the language of the manager's request (the community's, usually).
                subject=_("%(product)s: what we are doing with your feedback", product=campaign.product_name),
                body_text=_("Thank you again for answering about %(product)s.", product=campaign.product_name)
                + f"\n\n{text}\n\n{get_settings().base_url}{link}\n",
            )
    return campaign
