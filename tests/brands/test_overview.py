"""The brand home's figures, timeline and needs-attention list, against hand-counted fixtures: one brand with two
communities, and a second brand whose data must not leak in. Every count is checked against the page it links to.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from app.brands import overview
from app.brands.models import Brand
from app.campaigns import applications as campaign_applications
from app.campaigns.models import ApplicationStatus, Campaign, KitShipment, ShipmentStatus
from app.challenges.models import DesignStatus, Score
from app.columns import utcnow
from app.communities.models import Community, CommunityKind, Membership
from app.ideas import reading as ideas_reading
from app.ideas.models import IdeaStatus
from app.moderation import appeals as moderation_appeals
from app.moderation import queue as moderation_queue
from app.moderation.models import (
    Appeal,
    AuditAction,
    AuditEntry,
    ItemFlag,
    ItemStatus,
    ModerationItem,
    SubjectKind,
)
from app.permissions import Role
from app.rewards import payouts as rewards_payouts
from app.rewards import statements as rewards_statements
from app.surveys.models import SurveyResponse
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.campaigns.factories import make_application, make_campaign
from tests.factories import make_brand, make_challenge, make_community, make_design, make_user
from tests.ideas.factories import make_idea
from tests.rewards.factories import make_live_product, sell
from tests.surveys.factories import make_survey

MANAGER = frozenset({Role.user, Role.manager})
ANALYST = frozenset({Role.user, Role.analyst})


def _join(session: Session, community: Community, days_ago: int, user: object = None) -> object:
    user = user or make_user(session)
    session.add(Membership(community_id=community.id, user_id=user.id, joined_at=utcnow() - timedelta(days=days_ago)))  # type: ignore[attr-defined,arg-type]
    session.flush()
    return user


def _score(session: Session, voter: object, design: object, days_ago: int) -> None:
    at = utcnow() - timedelta(days=days_ago)
    session.add(Score(design_id=design.id, voter_id=voter.id, value=4, created_at=at))  # type: ignore[attr-defined]
    session.flush()


def _response(session: Session, survey: object, days_ago: float, *, hidden: bool = False) -> None:
    at = utcnow() - timedelta(days=days_ago)
    session.add(
        SurveyResponse(
            survey_id=survey.id,  # type: ignore[attr-defined]
            survey_version=1,
            submitted_at=at,
            hidden_at=at if hidden else None,
        )
    )
    session.flush()


def _item(session: Session, community: Community, subject_id: int, status: ItemStatus) -> ModerationItem:
    item = ModerationItem(
        community_id=community.id,  # type: ignore[arg-type]
        subject_kind=SubjectKind.idea,
        subject_id=subject_id,
        flag=ItemFlag.reported,
        status=status,
        report_count=1,
    )
    session.add(item)
    session.flush()
    return item


def _appeal(session: Session, community: Community, appellant: object) -> Appeal:
    entry = AuditEntry(community_id=community.id, action=AuditAction.hide, target_user_id=appellant.id)  # type: ignore[attr-defined]
    session.add(entry)
    session.flush()
    appeal = Appeal(audit_entry_id=entry.id, community_id=community.id, appellant_id=appellant.id, body="Please")  # type: ignore[arg-type,attr-defined]
    session.add(appeal)
    session.flush()
    return appeal


def _endpoint(session: Session, brand: Brand, *statuses: DeliveryStatus, active: bool = True) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(brand_id=brand.id, url="https://hooks.example/in", secret="s", is_active=active)  # type: ignore[arg-type]
    session.add(endpoint)
    session.flush()
    for number, status in enumerate(statuses):
        session.add(
            WebhookDelivery(
                key=f"k{endpoint.id}-{number}",
                endpoint_id=endpoint.id,
                event="idea_created",
                body="{}",
                status=status,
                attempts=1,  # type: ignore[arg-type]
            )
        )
    session.flush()
    return endpoint


@dataclass
class World:
    brand: Brand
    design_lab: Community
    testers: Community
    applying: Campaign
    other: Brand


@pytest.fixture
def world(session: Session) -> World:
    """Brand A: 4 members (3 of them 30 days ago), designs, scores, responses and waiting work, all counted by hand
    in the tests; brand B has some of everything, none of which may show on A's home."""
    brand = make_brand(session, name="Alpha")
    design_lab = make_community(session, brand, name="Alpha Lab", slug="alpha-lab")
    testers = make_community(session, brand, name="Alpha Testers", slug="alpha-testers", kind=CommunityKind.feedback)
    u1 = _join(session, design_lab, 60)
    u2 = _join(session, design_lab, 45)
    u3 = _join(session, design_lab, 5)
    u4 = _join(session, testers, 40)
    _join(session, testers, 50, u1)  # in both communities: one member

    challenge = make_challenge(session, design_lab, title="Rain tees")
    d1 = make_design(session, challenge, u1, created_at=utcnow() - timedelta(days=2))
    d2 = make_design(session, challenge, u2, created_at=utcnow() - timedelta(days=10))
    make_design(session, challenge, u3, created_at=utcnow() - timedelta(days=20))
    make_design(session, challenge, u3, created_at=utcnow() - timedelta(days=1), status=DesignStatus.withdrawn)
    make_design(session, challenge, u1, created_at=utcnow() - timedelta(days=45))  # active in the 30 days before
    _score(session, u3, d1, 1)
    _score(session, u2, d1, 3)
    _score(session, u4, d2, 8)
    survey = make_survey(session, brand)
    _response(session, survey, 1)
    _response(session, survey, 6.5)
    _response(session, survey, 9)
    _response(session, survey, 2, hidden=True)

    applying = make_campaign(session, testers, phase="applying", title="Oven paste", slug="oven-paste")
    for _ in range(3):
        make_application(session, applying, make_user(session))
    accepted = make_application(session, applying, make_user(session), status=ApplicationStatus.accepted)
    session.add(KitShipment(campaign_id=applying.id, application_id=accepted.id))  # type: ignore[arg-type]
    shipped = make_application(session, applying, make_user(session), status=ApplicationStatus.accepted)
    session.add(KitShipment(campaign_id=applying.id, application_id=shipped.id, status=ShipmentStatus.shipped))  # type: ignore[arg-type]
    closed = make_campaign(session, testers, phase="closed", title="Dish soap")
    make_application(session, closed, make_user(session))  # too late to decide: not waiting

    _item(session, design_lab, 1, ItemStatus.open)
    _item(session, design_lab, 2, ItemStatus.held)
    _item(session, design_lab, 3, ItemStatus.hidden)
    _appeal(session, design_lab, u2)
    make_idea(session, testers, u4)
    make_idea(session, testers, u4)
    make_idea(session, testers, u4, response="We are on it.")
    make_idea(session, testers, u4, status=IdeaStatus.planned)
    make_idea(session, testers, u4, hidden_at=utcnow())
    _endpoint(session, brand, DeliveryStatus.delivered, DeliveryStatus.failed)
    _endpoint(session, brand, DeliveryStatus.failed, DeliveryStatus.delivered)
    _endpoint(session, brand, DeliveryStatus.failed, active=False)

    other = make_brand(session, name="Beta")
    elsewhere = make_community(session, other, kind=CommunityKind.both)
    stranger = _join(session, elsewhere, 2)
    other_challenge = make_challenge(session, elsewhere)
    other_design = make_design(session, other_challenge, stranger, created_at=utcnow() - timedelta(days=1))
    _score(session, stranger, other_design, 1)
    _response(session, make_survey(session, other), 1)
    make_application(session, make_campaign(session, elsewhere, phase="applying"), make_user(session))
    _item(session, elsewhere, 9, ItemStatus.open)
    make_idea(session, elsewhere, stranger)
    _endpoint(session, other, DeliveryStatus.failed)
    return World(brand, design_lab, testers, applying, other)


def _figures(result: overview.BrandOverview) -> dict[str, tuple[float | None, float | None]]:
    return {figure.key: (figure.value, figure.previous) for figure in result.figures}


def test_figures_against_the_period_before(session: Session, world: World) -> None:
    result = overview.brand_overview(session, brand=world.brand, roles=MANAGER)
    figures = _figures(result)
    assert figures["members"] == (4, 3)
    assert figures["active_members"] == (4, 1)
    assert figures["designs"] == (1, 1)
    assert figures["scores"] == (2, 1)
    assert figures["responses"] == (2, 1)
    assert figures["nps"] == (None, None)
    members = next(figure for figure in result.figures if figure.key == "members")
    assert members.change == 1 and members.compared_with == "vs 30 days ago"


def test_needs_attention_counts_what_the_linked_pages_list(session: Session, world: World) -> None:
    result = overview.brand_overview(session, brand=world.brand, roles=MANAGER)
    found = {item.key: item for item in result.attention}
    assert {key: item.count for key, item in found.items()} == {
        "applications": 3,
        "kits": 1,
        "reports": 2,
        "appeals": 1,
        "ideas": 2,
        "webhooks": 1,
    }
    assert result.attention_total == 10
    assert found["applications"].where == "Oven paste"
    assert found["applications"].url == "/c/alpha-testers/campaigns/oven-paste/applications?status=applied"
    assert found["kits"].url == "/c/alpha-testers/campaigns/oven-paste/applications?status=kit_to_ship"
    assert found["reports"].url == "/c/alpha-lab/moderation"
    assert found["ideas"].url == "/c/alpha-testers/ideas?status=unanswered&sort=newest"

    # The pages behind the links list exactly as many.
    to_review = campaign_applications.list_applications(session, campaign=world.applying, status="applied")
    to_ship = campaign_applications.list_applications(session, campaign=world.applying, status="kit_to_ship")
    waiting = moderation_queue.list_queue(session, community=world.design_lab, filters=moderation_queue.QueueFilters())
    appeals = moderation_appeals.list_appeals(session, community=world.design_lab)
    board = ideas_reading.list_board(session, community=world.testers, status="unanswered", include_hidden=True)
    assert (len(to_review), len(to_ship), len(waiting), len(appeals), len(board.rows)) == (3, 1, 2, 1, 2)


def test_an_analyst_sees_the_counts_but_links_only_to_pages_they_may_open(session: Session, world: World) -> None:
    result = overview.brand_overview(session, brand=world.brand, roles=ANALYST)
    links = {item.key: item.url for item in result.attention}
    assert links["ideas"] is not None
    assert links["applications"] is None and links["reports"] is None and links["webhooks"] is None


def test_timeline_lists_every_challenge_and_campaign_with_its_next_date(session: Session, world: World) -> None:
    result = overview.brand_overview(session, brand=world.brand, roles=MANAGER)
    by_title = {entry.title: entry for entry in result.timeline}
    assert set(by_title) == {"Rain tees", "Oven paste", "Dish soap"}
    assert by_title["Rain tees"].phase == "submissions_open"
    assert by_title["Rain tees"].next_label == "Submissions close"
    assert by_title["Oven paste"].next_at == world.applying.apply_closes_at
    assert by_title["Dish soap"].finished and by_title["Dish soap"].next_at is None
    assert result.timeline[-1].title == "Dish soap"  # finished ones last


def test_money_owed_and_held_match_the_liability_report(session: Session) -> None:
    brand = make_brand(session)
    designer = make_user(session)
    _join(session, make_community(session, brand), 90, designer)
    product = make_live_product(session, brand, designer)
    sell(session, brand, product, order_id="old", quantity=40, now=utcnow() - timedelta(days=60))
    rewards_payouts.open_batch(session, brand=brand, created_by=make_user(session))
    sell(session, brand, product, order_id="new", quantity=4, now=utcnow() - timedelta(days=5))
    result = overview.brand_overview(session, brand=brand, roles=MANAGER)
    report = rewards_statements.liability_report(session, brand=brand)
    assert result.money.owed_minor == report.total_minor == 11000
    assert result.money.held_minor == sum(row.held_minor for row in report.rows) == 1000
    payouts = [item for item in result.attention if item.key == "payouts"]
    assert [(item.count, item.url is not None) for item in payouts] == [(1, True)]


def test_an_empty_brand_has_zeros_and_nothing_waiting(session: Session) -> None:
    brand = make_brand(session)
    result = overview.brand_overview(session, brand=brand, roles=MANAGER)
    # No challenge: no design or score figures, always zero.
    assert _figures(result) == {
        "members": (0, 0),
        "active_members": (0, 0),
        "responses": (0, 0),
        "nps": (None, None),
    }
    assert result.timeline == [] and result.attention == []
    assert (result.money.owed_minor, result.money.held_minor) == (0, 0)


def test_figures_read_the_given_moment(session: Session, world: World) -> None:
    """A week later, this week's designs are last week's."""
    later: datetime = utcnow() + timedelta(days=7)
    figures = _figures(overview.brand_overview(session, brand=world.brand, roles=MANAGER, now=later))
    assert figures["designs"] == (0, 1)
