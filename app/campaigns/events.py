"""Telling the brand's webhooks about sampling campaigns: applications received and decided, kits shipped and
delivered, survey responses recorded.

Each is emitted in the transaction of the write it reports, after the write has claimed its change (a new row, a
conditional UPDATE, a locked row), so a retried or concurrent request never tells it twice. Applicants and connectors
are named by their handle; their shipping address is never sent. A respondent is named (by the e-mail address they
gave) only when they consented to be contacted.
"""

from typing import Any

from sqlmodel import Session

from app.accounts.models import User
from app.campaigns.lifecycle import campaign_url
from app.campaigns.models import ApplicationStatus, Campaign, CampaignApplication, CampaignResponse, KitShipment
from app.communities.models import Community
from app.config import get_settings
from app.surveys import responses as surveys_responses
from app.surveys.models import SurveyResponse
from app.webhooks import service as webhooks_service
from app.webhooks.models import WebhookEvent


def _campaign(campaign: Campaign, community: Community) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "slug": campaign.slug,
        "title": campaign.title,
        "product_name": campaign.product_name,
        "url": get_settings().base_url.rstrip("/") + campaign_url(campaign, community),
    }


def _emit(
    session: Session, *, campaign: Campaign, event: WebhookEvent, user_id: int, role: str, body: dict[str, Any]
) -> None:
    community = session.get(Community, campaign.community_id)
    user = session.get(User, user_id)
    assert community is not None and user is not None  # foreign keys cascade
    webhooks_service.emit_event(
        session,
        brand_id=community.brand_id,
        event=event,
        payload={
            **body,
            role: {"handle": user.handle},
            "campaign": _campaign(campaign, community),
            "community": {"slug": community.slug, "name": community.name},
        },
    )


def emit_application_received(session: Session, *, campaign: Campaign, application: CampaignApplication) -> None:
    """``application_received``: eligibility and network size, never the address."""
    _emit(
        session,
        campaign=campaign,
        event=WebhookEvent.application_received,
        user_id=application.user_id,
        role="applicant",
        body={
            "application": {
                "id": application.id,
                "status": application.status.value,
                "eligible": application.eligible,
                "network_size": application.network_size,
                "created_at": application.created_at.isoformat(),
            }
        },
    )


def emit_application_decided(
    session: Session, *, campaign: Campaign, application: CampaignApplication, previous: ApplicationStatus
) -> None:
    """``application_decided``: the new status and the one before."""
    _emit(
        session,
        campaign=campaign,
        event=WebhookEvent.application_decided,
        user_id=application.user_id,
        role="applicant",
        body={
            "application": {
                "id": application.id,
                "status": application.status.value,
                "previous_status": previous.value,
                "decided_at": application.decided_at.isoformat() if application.decided_at else None,
            }
        },
    )


def emit_kit_shipped(
    session: Session, *, campaign: Campaign, application: CampaignApplication, shipment: KitShipment
) -> None:
    """``kit_shipped``: the carrier and tracking number, as the fulfilment house gave them."""
    _emit(
        session,
        campaign=campaign,
        event=WebhookEvent.kit_shipped,
        user_id=application.user_id,
        role="connector",
        body={
            "kit": {
                "id": shipment.id,
                "application_id": shipment.application_id,
                "carrier": shipment.carrier,
                "tracking_number": shipment.tracking_number,
                "shipped_at": shipment.shipped_at.isoformat() if shipment.shipped_at else None,
            }
        },
    )


def emit_kit_delivered(
    session: Session, *, campaign: Campaign, application: CampaignApplication, shipment: KitShipment
) -> None:
    """``kit_delivered``: the connector confirmed its arrival."""
    _emit(
        session,
        campaign=campaign,
        event=WebhookEvent.kit_delivered,
        user_id=application.user_id,
        role="connector",
        body={
            "kit": {
                "id": shipment.id,
                "application_id": shipment.application_id,
                "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
            }
        },
    )


def _answers(session: Session, response_id: int) -> list[dict[str, Any]]:
    """Each answered question with its values (photos are left out: their files stay in Chorus)."""
    survey_response = session.get(SurveyResponse, response_id)
    assert survey_response is not None
    answered = []
    for question, answers in surveys_responses.get_response_answers(session, response=survey_response):
        values: list[Any] = []
        for answer in answers:
            for value in (answer.option_key, answer.number_value, answer.text_value):
                if value is not None:
                    values.append(int(value) if isinstance(value, float) and value.is_integer() else value)
        if values:
            answered.append({"question_id": question.id, "prompt": question.prompt, "values": values})
    return answered


def emit_response_recorded(session: Session, *, campaign: Campaign, answer: CampaignResponse) -> None:
    """``campaign_response_recorded``: the answers, the hop and the connector; the respondent's e-mail address only
    when they consented to be contacted (``CampaignResponse.consent``), otherwise ``respondent`` is null."""
    respondent = {"email": answer.email} if answer.consent and answer.email else None
    _emit(
        session,
        campaign=campaign,
        event=WebhookEvent.campaign_response_recorded,
        user_id=answer.connector_id,
        role="connector",
        body={
            "response": {
                "id": answer.id,
                "hop": answer.hop,
                "created_at": answer.created_at.isoformat(),
                "answers": _answers(session, answer.survey_response_id),
            },
            "respondent": respondent,
        },
    )
