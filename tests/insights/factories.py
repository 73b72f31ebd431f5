"""Scores, members, activity and a sampling campaign for results tests, made through the services where they keep
counters."""

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from app.accounts.models import User
from app.brands.models import Brand
from app.campaigns import answering as campaign_answering
from app.campaigns import connectors as campaign_connectors
from app.campaigns import links as share_links
from app.campaigns.models import Campaign, ShareLink
from app.challenges import scores as challenge_scores
from app.challenges.models import Challenge, Design
from app.communities import service as communities_service
from app.communities.models import Community, CommunityKind, Membership
from app.surveys.models import Question
from tests.campaigns.factories import accept, apply, make_campaign, move_to
from tests.factories import add_member, add_staff, make_brand, make_community, make_user
from tests.surveys.factories import form


def scoring_moment(challenge: Challenge) -> datetime:
    """A moment inside the challenge's scoring window (even when it is closed by now)."""
    return challenge.scoring_close_at - timedelta(hours=1)


def score(
    session: Session,
    community: Community,
    design: Design,
    value: int,
    *,
    would_buy: bool = False,
    voter: User | None = None,
    now: datetime | None = None,
) -> challenge_scores.CastScore:
    """A new member scores the design through the service (its counters move as in production)."""
    challenge = session.get(Challenge, design.challenge_id)
    assert challenge is not None
    voter = voter or make_user(session)
    return challenge_scores.cast_score(
        session,
        voter=voter,
        design=design,
        value=value,
        would_buy=would_buy,
        now=now or scoring_moment(challenge),
        challenge=challenge,
        community=community,
        membership=_membership(session, community, voter),
    )


def _membership(session: Session, community: Community, voter: User) -> Membership:
    found = communities_service.get_membership(session, community=community, user=voter)
    return found if found is not None else add_member(session, community, voter)


def join(session: Session, community: Community, *, joined_at: datetime, user: User | None = None) -> Membership:
    """A member who joined at the given moment."""
    membership = add_member(session, community, user or make_user(session))
    membership.joined_at = joined_at
    session.add(membership)
    session.flush()
    return membership


# --- A sampling campaign with responses through two hops ----------------------------------------------------


@dataclass(frozen=True)
class Answered:
    """One friend's answers: what to do with it, overall, NPS, how many they told (0: "no") and their e-mail."""

    outcome: str
    overall: int
    nps: int
    told: int = 0
    email: str = ""
    consent: bool = False
    comment: str = ""


# Per share link: the answers that came through it. "a2" is a link passed on by the first who answered through a.
ANSWERS: dict[str, list[Answered]] = {
    "a": [
        Answered("keep", 5, 10, 3, "first@example.com", True, comment="Lovely fizz"),
        Answered("keep", 5, 9, 2, "second@example.com", False, comment="Too sweet for me"),
        Answered("keep", 4, 9, comment="Lovely fizz, would buy"),
        Answered("keep", 4, 8, 1),
        Answered("change_price", 3, 7, comment="too sweet"),
        Answered("change_price", 3, 6, 0, "=cmd@example.com", True),
        Answered("scrap", 2, 3),
        Answered("scrap", 1, 2),
    ],
    "a2": [
        Answered("keep", 5, 10, 4, comment="Lovely fizz again"),
        Answered("keep", 4, 9),
        Answered("change_price", 3, 6),
        Answered("scrap", 2, 1),
    ],
    "b": [
        Answered("keep", 5, 10, 5, comment="Too sweet"),
        Answered("keep", 4, 9),
        Answered("change_colour", 3, 7, 1),
        Answered("scrap", 2, 5),
        Answered("scrap", 1, 0),
    ],
    "c": [Answered("keep", 4, 8)],
}
OPENS = {"a": 15, "a2": 6, "b": 7, "c": 2}
SIGNUPS = {"a": 2, "a2": 1}
SAMPLES = {"a": 10, "b": 5, "c": 0}


@dataclass(frozen=True)
class CampaignWorld:
    brand: Brand
    community: Community
    campaign: Campaign
    manager: User
    connectors: dict[str, User]  # "a", "b", "c"
    links: dict[str, ShareLink]  # "a", "a2", "b", "c"
    questions: dict[str, Question]


def campaign_world(session: Session) -> CampaignWorld:
    """A campaign in its sharing window: three connectors with samples passed on, 18 responses through their links
    (4 of them at hop 2, through a link a friend passed on), opens and sign-ups; everything through the services."""
    brand = make_brand(session, name="Fizz Drinks")
    community = make_community(session, brand, kind=CommunityKind.feedback)
    manager = make_user(session)
    add_staff(session, brand, manager)
    campaign = make_campaign(session, community, title="Fizz summer", product_name="Fizz Lemonade")
    connectors: dict[str, User] = {}
    for key in ("a", "b", "c"):
        application = apply(session, campaign, community)
        accept(session, campaign, community, application, manager)
        connector = session.get(User, application.user_id)
        assert connector is not None
        connectors[key] = connector
    move_to(session, campaign, "sharing")
    links: dict[str, ShareLink] = {}
    for key, connector in connectors.items():
        link = campaign_connectors.connector_link(session, campaign=campaign, user=connector)
        assert link is not None
        links[key] = link
        campaign_connectors.record_samples_passed_on(session, campaign=campaign, user=connector, count=SAMPLES[key])
    questions = {q.code: q for q in campaign_answering.survey_questions(session, campaign=campaign) if q.code}
    device = itertools.count()
    for key in ("a", "a2", "b", "c"):
        for number, answered in enumerate(ANSWERS[key]):
            response = campaign_answering.answer_campaign(
                session,
                link=links[key],
                campaign=campaign,
                form=campaign_form(questions, answered),
                device_token=f"device-{next(device)}",
                email=answered.email,
                consent=answered.consent,
            )
            if key == "a" and number == 0:
                links["a2"] = share_links.friend_link(session, campaign=campaign, response=response)
    for key, count in OPENS.items():
        for _ in range(count):
            share_links.record_open(session, link=links[key])
    for key, count in SIGNUPS.items():
        for _ in range(count):
            share_links.join_through_link(
                session, link=links[key], campaign=campaign, community=community, user=make_user(session)
            )
    session.refresh(campaign)
    return CampaignWorld(brand, community, campaign, manager, connectors, links, questions)


def campaign_form(questions: dict[str, Question], answered: Answered) -> dict[str, list[str]]:
    pairs: list[tuple[Question, str]] = [
        (questions["overall"], str(answered.overall)),
        (questions["outcome"], answered.outcome),
        (questions["recommend_intent"], str(answered.nps)),
        (questions["recommended"], "yes" if answered.told else "no"),
    ]
    if answered.told:
        pairs.append((questions["recommended_count"], str(answered.told)))
    if answered.comment:
        pairs.append((questions["comments"], answered.comment))
    return form(*pairs)
