"""Factories for sampling campaigns: a campaign in a given phase, applications made directly or accepted."""

import itertools
from datetime import timedelta

from sqlmodel import Session

from app.accounts.models import User
from app.brands.models import Brand
from app.campaigns import applications as campaign_applications
from app.campaigns import decisions as campaign_decisions
from app.campaigns import households as campaign_households
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns.models import ApplicationStatus, Campaign, CampaignApplication, CampaignStatus
from app.columns import utcnow
from app.communities.models import Community, CommunityKind, MemberRole
from app.surveys import building as surveys_building
from tests.factories import add_member, make_community, make_user

_sequence = itertools.count(1)

# Days from now: applications open, applications close, shipping ends, sharing ends, feedback closes.
PHASE_WINDOWS: dict[str, tuple[int, int, int, int, int]] = {
    "upcoming": (2, 5, 9, 12, 15),
    "applying": (-2, 5, 9, 12, 15),
    "shipping": (-9, -2, 5, 9, 12),
    "sharing": (-12, -9, -2, 5, 9),
    "feedback": (-15, -12, -9, -2, 5),
    "closed": (-20, -15, -12, -9, -2),
}


def windows(phase: str) -> dict[str, object]:
    now = utcnow()
    return {
        name: now + timedelta(days=days)
        for name, days in zip(campaign_lifecycle.WINDOW_FIELDS, PHASE_WINDOWS[phase], strict=True)
    }


def make_campaign(
    session: Session, community: Community | None = None, *, phase: str = "applying", **overrides: object
) -> Campaign:
    """A published campaign in the given phase (its windows set around now)."""
    community = community or make_community(session, kind=CommunityKind.feedback)
    number = next(_sequence)
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    values: dict[str, object] = {
        "community_id": community.id,
        "title": f"Campaign {number}",
        "slug": f"campaign-{number}",
        "product_name": "Fizz Lemonade",
        "brief": "Try *Fizz* and tell us.",
        "kit_contents": "One bottle for you plus 10 samples",
        "kit_count": 5,
        "eligibility_questions": [{"key": "q1", "text": "Do you drink soda?", "required": "yes"}],
        "status": CampaignStatus.published,
        **windows(phase),
    }
    values.update(overrides)
    if "survey_id" not in values:
        survey = surveys_building.create_survey(session, brand=brand, title="Feedback", author=None, template=True)
        values["survey_id"] = survey.id
    campaign = Campaign(**values)  # type: ignore[arg-type]
    session.add(campaign)
    session.flush()
    return campaign


def address(number: int | None = None, **overrides: str) -> campaign_households.Address:
    number = number if number is not None else next(_sequence)
    values = {
        "recipient_name": f"Person {number}",
        "address_line1": f"{number} Elm Road",
        "address_line2": "",
        "city": "Leeds",
        "postcode": "LS1 4AP",
        "country": "GB",
    }
    values.update(overrides)
    return campaign_households.Address(**values)


def make_applicant(session: Session, community: Community) -> User:
    user = make_user(session)
    add_member(session, community, user, MemberRole.member)
    return user


def apply(
    session: Session,
    campaign: Campaign,
    community: Community,
    user: User | None = None,
    *,
    network_size: int = 25,
    shipping_address: campaign_households.Address | None = None,
) -> CampaignApplication:
    """An application through the service (the campaign must be in its applications window)."""
    user = user or make_applicant(session, community)
    return campaign_applications.apply_to_campaign(
        session,
        campaign=campaign,
        community=community,
        user=user,
        network_size=network_size,
        answers={"q1": "yes"},
        address=shipping_address or address(),
    )


def make_application(
    session: Session, campaign: Campaign, user: User, *, status: ApplicationStatus = ApplicationStatus.applied
) -> CampaignApplication:
    """An application made directly, outside any window (use the service to test applying itself)."""
    shipping_address = address()
    application = CampaignApplication(
        campaign_id=campaign.id,  # type: ignore[arg-type]
        user_id=user.id,  # type: ignore[arg-type]
        status=status,
        network_size=20,
        eligibility_answers={"q1": "yes"},
        household_key=campaign_households.household_key(shipping_address),
        **{name: getattr(shipping_address, name) for name in campaign_households.ADDRESS_FIELDS},
    )
    session.add(application)
    campaign.application_count += 1
    session.add(campaign)
    session.flush()
    return application


def accept(
    session: Session, campaign: Campaign, community: Community, application: CampaignApplication, manager: User
) -> None:
    """Accept through the service (the campaign must be in a deciding phase)."""
    result = campaign_decisions.decide_applications(
        session,
        campaign=campaign,
        community=community,
        application_ids=[application.id or 0],
        decision="accept",
        decided_by=manager,
    )
    assert result.changed == [application.id], result.refused


def move_to(session: Session, campaign: Campaign, phase: str) -> None:
    """Set the campaign's windows so that it is in ``phase`` now (after applying and accepting in earlier ones)."""
    for name, moment in windows(phase).items():
        setattr(campaign, name, moment)
    session.add(campaign)
    session.flush()
