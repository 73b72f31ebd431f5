"""Factories for reviews: a campaign's connector with a kit in a given state, and a respondent from their network
who rated the product (or only answered), made directly as the campaign services leave them."""

from sqlmodel import Session, select

from app.accounts.models import User
from app.campaigns import links as share_links
from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignResponse,
    KitShipment,
    ShareLink,
    ShipmentStatus,
)
from app.columns import id_of, utcnow
from app.communities.models import Community, MemberRole
from app.surveys.models import Answer, Question, SurveyResponse
from tests.campaigns.factories import make_application
from tests.factories import add_member, make_user


def make_connector(
    session: Session,
    campaign: Campaign,
    community: Community,
    *,
    status: ShipmentStatus = ShipmentStatus.delivered,
    user: User | None = None,
) -> User:
    """A member accepted as the campaign's connector, their kit in ``status``, with their own share link."""
    user = user or make_user(session)
    add_member(session, community, user, MemberRole.connector)
    application = make_application(session, campaign, user, status=ApplicationStatus.accepted)
    session.add(
        KitShipment(
            campaign_id=id_of(campaign),
            application_id=id_of(application),
            status=status,
            shipped_at=utcnow() if status != ShipmentStatus.pending else None,
            delivered_at=utcnow() if status == ShipmentStatus.delivered else None,
        )
    )
    session.add(ShareLink(code=share_links.new_link_code(), campaign_id=id_of(campaign), connector_id=id_of(user)))
    session.flush()
    return user


def make_respondent(
    session: Session,
    campaign: Campaign,
    community: Community,
    connector: User,
    *,
    rated: bool = True,
    user: User | None = None,
    member: bool = True,
) -> User:
    """Someone who answered the campaign's survey through the connector's link, logged in as ``user``; ``rated``:
    their answers include the product's overall rating (they tried it)."""
    user = user or make_user(session)
    if member:
        add_member(session, community, user)
    link = session.exec(
        select(ShareLink).where(ShareLink.campaign_id == campaign.id, ShareLink.connector_id == connector.id)
    ).one()
    questions = {
        question.code: question
        for question in session.exec(select(Question).where(Question.survey_id == campaign.survey_id)).all()
    }
    response = SurveyResponse(survey_id=campaign.survey_id or 0, survey_version=1, user_id=id_of(user))
    session.add(response)
    session.flush()
    if rated:
        session.add(Answer(response_id=id_of(response), question_id=id_of(questions["overall"]), number_value=4))
    session.add(Answer(response_id=id_of(response), question_id=id_of(questions["recommended"]), option_key="yes"))
    session.add(
        CampaignResponse(
            campaign_id=id_of(campaign),
            survey_response_id=id_of(response),
            share_link_id=id_of(link),
            connector_id=id_of(connector),
            hop=1,
            user_id=id_of(user),
        )
    )
    session.flush()
    return user
