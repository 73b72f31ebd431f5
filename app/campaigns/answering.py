"""Friends answering a campaign's survey through a share link, one answer per e-mail and device."""

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.campaigns import events as campaign_events
from app.campaigns import totals as campaign_totals
from app.campaigns.lifecycle import ANSWERING_PHASES, brand_id_of, campaign_url, require_phase
from app.campaigns.links import bump_link_counter
from app.campaigns.models import (
    Campaign,
    CampaignResponse,
    ConnectorReach,
    ShareLink,
)
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.errors import Conflict, Invalid
from app.i18n import N_, _, ngettext, use_locale
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.rewards import points as rewards_points
from app.rewards.models import PointsAction
from app.surveys import answers as surveys_answers
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import Question, Survey

# A connector hears about responses through their links at these counts, not at every one.
RESPONSE_MILESTONES = frozenset({1, 5, 10, 25, 50, 100, 250, 500, 1000})


# ------------------------------------------------------------------------------------------------------------
# Answering through a share link (friends, no account needed)
# ------------------------------------------------------------------------------------------------------------

EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ALREADY_ANSWERED = N_("You have answered this survey already. Thank you!")


def device_hash(token: str) -> str:
    """What is stored of a device token: its SHA-256, so the database never holds the cookie's secret."""
    return hashlib.sha256(token.encode()).hexdigest()


def campaign_survey(session: Session, *, campaign: Campaign) -> Survey:
    survey = session.get(Survey, campaign.survey_id) if campaign.survey_id is not None else None
    if survey is None:
        raise Conflict(_("%(campaign)s has no feedback survey yet.", campaign=campaign.title))
    return survey


def survey_questions(session: Session, *, campaign: Campaign) -> list[Question]:
    """The campaign survey's current questions, in order (what the answering page shows)."""
    return surveys_questions.list_questions(session, survey=campaign_survey(session, campaign=campaign))


def find_response(
    session: Session, *, campaign: Campaign, device_token: str | None = None, email: str = ""
) -> CampaignResponse | None:
    """This device's (or this e-mail address's) response to the campaign, if any."""
    conditions = []
    if device_token:
        conditions.append(col(CampaignResponse.device_hash) == device_hash(device_token))
    if email.strip():
        conditions.append(col(CampaignResponse.email) == email.strip().lower())
    if not conditions:
        return None
    return session.exec(
        select(CampaignResponse).where(CampaignResponse.campaign_id == campaign.id, or_(*conditions))
    ).first()


def answer_campaign(
    session: Session,
    *,
    link: ShareLink,
    campaign: Campaign,
    form: Mapping[str, Sequence[str]],
    device_token: str | None,
    email: str = "",
    consent: bool = False,
    photos: Mapping[str, surveys_answers.PhotoUpload] | None = None,
    user: User | None = None,
    now: datetime | None = None,
) -> CampaignResponse:
    """Someone's answers through a share link: stored by the survey service, attributed to the link (and every link
    it came through) and to its connector's hop, with the counters moved in this same transaction.

    One response per person and campaign (per device token and per e-mail address). Invalid names every wrong
    input (answers as q<id>, and "email"); nothing is stored then.
    """
    now = now or utcnow()
    require_phase(campaign, now, ANSWERING_PHASES, N_("You cannot answer now: %(campaign)s is at “%(phase)s”."))
    survey = campaign_survey(session, campaign=campaign)
    email = email.strip().lower()
    errors: dict[str, str] = {}
    if email and (len(email) > 254 or not EMAIL_PATTERN.fullmatch(email)):
        errors["email"] = _("Enter an e-mail address like name@example.com, or leave it empty.")
    elif consent and not email:
        errors["email"] = _("Give your e-mail address if we may contact you.")
    if not device_token and not email:
        raise Invalid(_("A device token or an e-mail address is needed to answer."), fields={"email": _("Enter one.")})
    if find_response(session, campaign=campaign, device_token=device_token, email=email) is not None:
        raise Conflict(_(ALREADY_ANSWERED))
    try:
        with session.begin_nested():
            try:
                # Given in the campaign's community, whatever community the survey may also be published to.
                response = surveys_responses.record_response(
                    session,
                    survey=survey,
                    form=form,
                    photos=photos,
                    user=user,
                    community_id=campaign.community_id,
                    now=now,
                )
            except Invalid as error:
                raise Invalid(error.message, fields={**error.fields, **errors}) from error
            if errors:
                raise Invalid(_("Please correct the marked fields."), fields=errors)
            answer = CampaignResponse(
                campaign_id=id_of(campaign),
                survey_response_id=id_of(response),
                share_link_id=id_of(link),
                connector_id=link.connector_id,
                hop=link.hop,
                email=email or None,
                consent=consent and bool(email),
                device_hash=device_hash(device_token) if device_token else None,
                user_id=user.id if user is not None else None,
                created_at=now,
            )
            session.add(answer)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_(ALREADY_ANSWERED)) from error
    bump_link_counter(session, link=link, counter="response_count")
    campaign_events.emit_response_recorded(session, campaign=campaign, answer=answer)
    campaign_totals.count_response(session, answer=answer, sign=1)
    _tell_connector_at_milestones(session, campaign=campaign, link=link)
    if user is not None:
        rewards_points.award_points(
            session,
            user_id=id_of(user),
            brand_id=brand_id_of(session, campaign),
            action=PointsAction.survey_answered,
            source_key=f"survey:{id_of(survey)}",
            now=now,
        )
    if answer.consent and answer.email:
        notifications_service.queue_email(
            session,
            to_address=answer.email,
            subject=_("Thanks for your feedback on %(product)s", product=campaign.product_name),
            body_text=_(
                "Thank you for answering about %(product)s. You said we may contact you: we will write when the "
                "brand tells everyone what it is doing with the feedback.",
                product=campaign.product_name,
            )
            + "\n",
        )
    return answer


def _tell_connector_at_milestones(session: Session, *, campaign: Campaign, link: ShareLink) -> None:
    total = session.exec(
        select(func.coalesce(func.sum(ConnectorReach.response_count), 0)).where(
            ConnectorReach.campaign_id == campaign.id, ConnectorReach.connector_id == link.connector_id
        )
    ).one()
    if int(total) not in RESPONSE_MILESTONES:
        return
    connector = session.get(User, link.connector_id)
    community = session.get(Community, campaign.community_id)
    if connector is None or community is None:
        return
    with use_locale(connector.locale, connector.time_zone):
        text = ngettext(
            "%(num)s person has answered about %(product)s through your links.",
            "%(num)s people have answered about %(product)s through your links.",
            int(total),
            product=campaign.product_name,
        )
    notifications_service.notify(
        session,
        user=connector,
        kind=NotificationKind.network_response,
        text=text,
        link=f"{campaign_url(campaign, community)}/mine",
        community=community,
        # Milestones passed on one day: the line gives the latest total.
        rollup=notifications_service.Rollup(subject=f"campaign:{campaign.id}", text=text),
    )
