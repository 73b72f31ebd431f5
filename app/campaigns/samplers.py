"""Who had a campaign's product in hand: connectors whose kit left the warehouse, and respondents from their
networks who tried it.

A respondent "tried the product" when their response through a share link is tied to their account and rates the
product: it answers the survey's question coded ``overall`` ("Overall, how do you like it?", the template's first
question). A survey without that question names no respondent as having tried the product.

Reviews (``app.reviews``) and disclosure badges (``app.disclosure``) both ask these questions, so the rule lives once.
"""

from collections.abc import Collection

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.campaigns.models import Campaign, CampaignApplication, CampaignResponse, KitShipment, ShipmentStatus
from app.communities.models import Community
from app.surveys.models import Answer, Question

OVERALL_CODE = "overall"
# A kit on its way counts as received for disclosure: the product was given, whether the carrier has confirmed it.
GIVEN_STATUSES = (ShipmentStatus.shipped, ShipmentStatus.delivered)


def kit_recipients(session: Session, *, brand_id: int, user_ids: Collection[int]) -> set[int]:
    """Those of ``user_ids`` to whom a kit of one of the brand's campaigns was shipped (or delivered)."""
    if not user_ids:
        return set()
    rows = session.exec(
        select(CampaignApplication.user_id)
        .join(KitShipment, col(KitShipment.application_id) == CampaignApplication.id)
        .join(Campaign, col(Campaign.id) == CampaignApplication.campaign_id)
        .join(Community, col(Community.id) == Campaign.community_id)
        .where(Community.brand_id == brand_id, col(KitShipment.status).in_(GIVEN_STATUSES))
        .where(col(CampaignApplication.user_id).in_(user_ids))
        .distinct()
    ).all()
    return set(rows)


def product_testers(session: Session, *, brand_id: int, user_ids: Collection[int]) -> set[int]:
    """Those of ``user_ids`` who tried a product of one of the brand's campaigns as a respondent (module docstring)."""
    if not user_ids:
        return set()
    rows = session.exec(
        select(CampaignResponse.user_id)
        .join(Campaign, col(Campaign.id) == CampaignResponse.campaign_id)
        .join(Community, col(Community.id) == Campaign.community_id)
        .join(Answer, col(Answer.response_id) == CampaignResponse.survey_response_id)
        .join(Question, col(Question.id) == Answer.question_id)
        .where(Community.brand_id == brand_id, Question.code == OVERALL_CODE)
        .where(col(CampaignResponse.user_id).in_(user_ids))
        .distinct()
    ).all()
    return {user_id for user_id in rows if user_id is not None}


def delivered_kit(session: Session, *, campaign: Campaign, user_id: int) -> KitShipment | None:
    """The user's own kit of this campaign, once it is delivered."""
    return session.exec(
        select(KitShipment)
        .join(CampaignApplication, col(CampaignApplication.id) == KitShipment.application_id)
        .where(KitShipment.campaign_id == campaign.id, CampaignApplication.user_id == user_id)
        .where(KitShipment.status == ShipmentStatus.delivered)
    ).first()


def tried_through_delivered_kit(session: Session, *, campaign: Campaign, user: User) -> bool:
    """Whether the user tried the campaign's product as a respondent, through the link of a connector whose kit of
    this campaign was delivered."""
    connector_application = (
        select(CampaignApplication.user_id)
        .join(KitShipment, col(KitShipment.application_id) == CampaignApplication.id)
        .where(CampaignApplication.campaign_id == campaign.id, KitShipment.status == ShipmentStatus.delivered)
    )
    found = session.exec(
        select(CampaignResponse.id)
        .join(Answer, col(Answer.response_id) == CampaignResponse.survey_response_id)
        .join(Question, col(Question.id) == Answer.question_id)
        .where(CampaignResponse.campaign_id == campaign.id, CampaignResponse.user_id == user.id)
        .where(Question.code == OVERALL_CODE)
        .where(col(CampaignResponse.connector_id).in_(connector_application))
    ).first()
    return found is not None
