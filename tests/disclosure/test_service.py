"""The disclosure rules: each kind of material connection gives its badge in its own brand, and only there; members
without one get none; many authors are answered with one query per rule."""

from dataclasses import dataclass

import pytest
from sqlalchemy import event
from sqlmodel import Session

from app.accounts.models import User
from app.brands.models import Brand, StaffRole
from app.campaigns.models import Campaign, ShipmentStatus
from app.communities.models import Community
from app.disclosure import service as disclosure_service
from app.rewards import points as rewards_points
from app.rewards.models import PointsAction, PointsRule
from tests.campaigns.factories import make_campaign
from tests.factories import add_member, add_staff, make_brand, make_community, make_user
from tests.reviews.factories import make_connector, make_respondent


@dataclass(frozen=True)
class DisclosureWorld:
    """Brand A (Brightleaf) with one member per kind of connection, all also members of brand B's community."""

    brand: Brand
    other_brand: Brand
    community: Community
    other_community: Community
    campaign: Campaign
    people: dict[str, User]


EXPECTED = {
    "kit": ["free_sample"],
    "friend": ["free_sample"],
    "earner": ["rewards"],
    "staff": ["staff"],
    "plain": [],
    "shipped_only_pending": [],
}


def build_world(session: Session) -> DisclosureWorld:
    brand = make_brand(session, name="Brightleaf")
    other_brand = make_brand(session, name="Northwind")
    community = make_community(session, brand)
    other_community = make_community(session, other_brand)
    campaign = make_campaign(session, community, phase="feedback")
    kit = make_connector(session, campaign, community, status=ShipmentStatus.shipped)
    delivered = make_connector(session, campaign, community)
    friend = make_respondent(session, campaign, community, delivered)
    pending = make_connector(session, campaign, community, status=ShipmentStatus.pending)
    earner = make_user(session)
    add_member(session, community, earner)
    session.add(PointsRule(brand_id=brand.id or 0, action=PointsAction.survey_answered, points=10))
    session.flush()
    award = rewards_points.award_points(
        session, user_id=earner.id or 0, brand_id=brand.id or 0, action=PointsAction.survey_answered, source_key="s:1"
    )
    assert award is not None
    staff = make_user(session)
    add_staff(session, brand, staff, StaffRole.analyst)
    add_member(session, community, staff)
    plain = make_user(session)
    add_member(session, community, plain)
    people = {"kit": kit, "friend": friend, "earner": earner, "staff": staff, "plain": plain}
    people["shipped_only_pending"] = pending
    for person in people.values():
        add_member(session, other_community, person)
    return DisclosureWorld(brand, other_brand, community, other_community, campaign, people)


@pytest.fixture
def world(session: Session) -> DisclosureWorld:
    return build_world(session)


def test_each_connection_gives_its_badge_and_only_that(session: Session, world: DisclosureWorld) -> None:
    ids = {name: person.id or 0 for name, person in world.people.items()}
    found = disclosure_service.disclosures_for(session, brand_id=world.brand.id or 0, user_ids=ids.values())
    assert {name: [d.kind for d in found[user_id]] for name, user_id in ids.items()} == EXPECTED
    texts = {d.text for badges in found.values() for d in badges}
    assert texts == {"Received a free sample from Brightleaf", "Earned rewards from Brightleaf", "Brightleaf staff"}


def test_a_connection_to_one_brand_gives_no_badge_in_another(session: Session, world: DisclosureWorld) -> None:
    ids = [person.id or 0 for person in world.people.values()]
    found = disclosure_service.disclosures_for(session, brand_id=world.other_brand.id or 0, user_ids=ids)
    assert found == {user_id: [] for user_id in ids}


def test_several_connections_give_several_badges_in_rule_order(session: Session, world: DisclosureWorld) -> None:
    kit = world.people["kit"]
    add_staff(session, world.brand, kit, StaffRole.manager)
    found = disclosure_service.disclosures_for(session, brand_id=world.brand.id or 0, user_ids=[kit.id or 0])
    assert [d.kind for d in found[kit.id or 0]] == ["free_sample", "staff"]


def test_many_authors_take_one_query_per_rule(session: Session, world: DisclosureWorld) -> None:
    ids = [person.id or 0 for person in world.people.values()]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        disclosure_service.disclosures_for(session, brand_id=world.brand.id or 0, user_ids=ids * 20)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    # The brand's name, then one query per rule (the free-sample rule asks kits and respondents).
    assert len(statements) <= 1 + len(disclosure_service.RULES) + 1


def test_no_authors_no_queries(session: Session) -> None:
    assert disclosure_service.disclosures_for(session, brand_id=1, user_ids=[]) == {}
