"""Campaign services: lifecycle and windows, applications and households, kit inventory, fulfilment by CSV,
share links and their counters, standings, roundtable and outcome."""

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.brands.models import Brand
from app.campaigns import applications as campaign_applications
from app.campaigns import connectors as campaign_connectors
from app.campaigns import decisions as campaign_decisions
from app.campaigns import households as campaign_households
from app.campaigns import kits as campaign_kits
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns import links as share_links
from app.campaigns import roundtables as campaign_roundtables
from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignPhase,
    ConnectorReach,
    KitShipment,
    Rsvp,
    ShareLink,
    ShipmentStatus,
)
from app.columns import utcnow
from app.communities import service as communities_service
from app.communities.models import Community, CommunityKind, MemberRole
from app.errors import Conflict, Forbidden, Invalid
from app.notifications.models import Notification, NotificationKind, OutboxEmail
from app.rewards import points as rewards_points
from tests.campaigns.factories import (
    accept,
    address,
    apply,
    make_applicant,
    make_application,
    make_campaign,
    move_to,
    windows,
)
from tests.factories import add_staff, make_brand, make_community, make_user


@pytest.fixture
def world(session: Session) -> tuple:
    brand = make_brand(session)
    community = make_community(session, brand, kind=CommunityKind.feedback)
    manager = make_user(session)
    add_staff(session, brand, manager)
    return community, manager


def _fields(**overrides: object) -> campaign_lifecycle.CampaignFields:
    values: dict[str, object] = {
        "title": "Fizz summer",
        "product_name": "Fizz Lemonade",
        "kit_count": 40,
        "eligibility": "Do you drink soda? | yes\nDo you have kids?",
        **windows("upcoming"),
    }
    values.update(overrides)
    return campaign_lifecycle.CampaignFields(**values)  # type: ignore[arg-type]


# --- Lifecycle and windows --------------------------------------------------------------------------------------


def test_create_publish_and_phases(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = campaign_lifecycle.create_campaign(session, community=community, created_by=manager, fields=_fields())
    assert campaign.slug == "fizz-summer"
    assert campaign.target_network_size == 25
    assert campaign.eligibility_questions == [
        {"key": "q1", "text": "Do you drink soda?", "required": "yes"},
        {"key": "q2", "text": "Do you have kids?", "required": ""},
    ]
    now = utcnow()
    assert campaign_lifecycle.phase(campaign, now) == CampaignPhase.draft
    campaign_lifecycle.publish_campaign(session, campaign=campaign)
    assert campaign_lifecycle.phase(campaign, now) == CampaignPhase.upcoming
    expected = [
        (campaign.apply_opens_at, CampaignPhase.applying),
        (campaign.apply_closes_at, CampaignPhase.shipping),
        (campaign.ship_closes_at, CampaignPhase.sharing),
        (campaign.share_closes_at, CampaignPhase.feedback),
        (campaign.feedback_closes_at, CampaignPhase.closed),
    ]
    for moment, expected_phase in expected:
        assert campaign_lifecycle.phase(campaign, moment) == expected_phase
        assert campaign_lifecycle.phase(campaign, moment - timedelta(seconds=1)) != expected_phase
    with pytest.raises(Conflict):
        campaign_lifecycle.publish_campaign(session, campaign=campaign)


def test_invalid_fields_are_reported_together(session: Session, world: tuple) -> None:
    community, manager = world
    moments = windows("upcoming")
    moments["share_closes_at"] = moments["ship_closes_at"]
    with pytest.raises(Invalid) as raised:
        campaign_lifecycle.create_campaign(
            session,
            community=community,
            created_by=manager,
            fields=_fields(title="", product_name="", kit_count=0, eligibility="Dog? | maybe", **moments),
        )
    assert set(raised.value.fields) == {"title", "slug", "product_name", "kit_count", "eligibility", "share_closes_at"}
    assert session.exec(select(func.count()).select_from(Campaign)).one() == 0


def test_design_communities_run_no_campaigns(session: Session) -> None:
    community = make_community(session, kind=CommunityKind.design)
    with pytest.raises(Conflict):
        campaign_lifecycle.create_campaign(
            session, community=community, created_by=make_user(session), fields=_fields()
        )


def test_kit_count_cannot_drop_below_accepted(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = make_campaign(session, community, kit_count=3)
    for _ in range(2):
        accept(session, campaign, community, apply(session, campaign, community), manager)
    session.refresh(campaign)
    same_questions = "Do you drink soda? | yes"
    fields = _fields(kit_count=1, eligibility=same_questions, **windows("applying"))
    with pytest.raises(Invalid) as raised:
        campaign_lifecycle.update_campaign(session, campaign=campaign, fields=fields)
    assert set(raised.value.fields) == {"kit_count"}
    changed_questions = _fields(kit_count=2, eligibility="Do you like tea?", **windows("applying"))
    with pytest.raises(Invalid) as raised:
        campaign_lifecycle.update_campaign(session, campaign=campaign, fields=changed_questions)
    assert set(raised.value.fields) == {"eligibility"}
    fine = _fields(kit_count=2, eligibility=same_questions, **windows("applying"))
    assert campaign_lifecycle.update_campaign(session, campaign=campaign, fields=fine).kit_count == 2


@pytest.mark.parametrize("phase", ["upcoming", "shipping", "closed"])
def test_applying_only_while_applications_are_open(session: Session, world: tuple, phase: str) -> None:
    community, _ = world
    campaign = make_campaign(session, community, phase=phase)
    with pytest.raises(Conflict):
        apply(session, campaign, community)


def test_only_confirmed_members_apply(session: Session, world: tuple) -> None:
    community, _ = world
    campaign = make_campaign(session, community)
    with pytest.raises(Forbidden):
        apply(session, campaign, community, make_user(session))
    unconfirmed = make_applicant(session, community)
    unconfirmed.email_confirmed_at = None
    with pytest.raises(Forbidden):
        apply(session, campaign, community, unconfirmed)


# --- Applications and households --------------------------------------------------------------------------------


def test_apply_records_answers_eligibility_and_counts(session: Session, world: tuple) -> None:
    community, _ = world
    campaign = make_campaign(session, community)
    user = make_applicant(session, community)
    application = campaign_applications.apply_to_campaign(
        session,
        campaign=campaign,
        community=community,
        user=user,
        network_size=30,
        answers={"q1": "No"},
        address=address(),
    )
    assert application.status == ApplicationStatus.applied
    assert application.eligibility_answers == {"q1": "no"}
    assert application.eligible is False
    assert campaign.application_count == 1
    with pytest.raises(Conflict):
        campaign_applications.apply_to_campaign(
            session,
            campaign=campaign,
            community=community,
            user=user,
            network_size=30,
            answers={"q1": "yes"},
            address=address(),
        )


def test_apply_reports_every_bad_field(session: Session, world: tuple) -> None:
    community, _ = world
    campaign = make_campaign(session, community)
    with pytest.raises(Invalid) as raised:
        campaign_applications.apply_to_campaign(
            session,
            campaign=campaign,
            community=community,
            user=make_applicant(session, community),
            network_size=0,
            answers={},
            address=address(recipient_name="", country="Britain"),
        )
    assert set(raised.value.fields) == {"network_size", "answer_q1", "recipient_name", "country"}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("12 Main St., Apt 3", ""), ("12 main street apt 3", "")),
        (("12 Main Street", "Apartment 3"), ("12 MAIN ST", "#3")),
        (("12 Main St", "Flat 3"), ("12 main st.", "unit 3")),
        (("1 North Avenue", ""), ("1 N. Ave", "")),
    ],
)
def test_a_second_application_from_one_household_is_taken_and_flagged_to_the_managers(
    session: Session, world: tuple, first: tuple, second: tuple
) -> None:
    community, manager = world
    campaign = make_campaign(session, community)
    one = address(address_line1=first[0], address_line2=first[1], postcode="ls1 4ap", city="Leeds")
    other = address(address_line1=second[0], address_line2=second[1], postcode="LS14AP", city="LEEDS")
    assert campaign_households.household_key(one) == campaign_households.household_key(other)
    earlier = apply(session, campaign, community, shipping_address=one)
    # The second applicant is told nothing about the first: the application is simply taken.
    later = apply(session, campaign, community, shipping_address=other)
    elsewhere = apply(session, campaign, community)
    earlier_user, later_user = session.get(User, earlier.user_id), session.get(User, later.user_id)
    assert campaign_households.household_mates(session, campaign=campaign) == {
        earlier.id: [later_user],
        later.id: [earlier_user],
    }
    assert elsewhere.id not in campaign_households.household_mates(session, campaign=campaign)
    accept(session, campaign, community, later, manager)
    refused = campaign_decisions.decide_applications(
        session,
        campaign=campaign,
        community=community,
        application_ids=[earlier.id or 0],
        decision="accept",
        decided_by=manager,
    )
    assert refused.changed == [] and "Same household as" in refused.refused[earlier.id or 0]
    assert f"@{later_user.handle}" in refused.refused[earlier.id or 0]
    session.refresh(earlier)
    session.refresh(campaign)
    assert earlier.status == ApplicationStatus.applied and campaign.kits_accepted == 1


def test_auto_select_accepts_one_application_per_household(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = make_campaign(session, community, kit_count=2)
    home = address(address_line1="3 Quay Lane")
    biggest = apply(session, campaign, community, network_size=90, shipping_address=home)
    mate = apply(session, campaign, community, network_size=80, shipping_address=home)
    neighbour = apply(session, campaign, community, network_size=10)
    result = campaign_decisions.auto_select(
        session, campaign=campaign, community=community, rules=campaign_decisions.SelectionRules(), decided_by=manager
    )
    assert sorted(result.changed) == sorted([biggest.id, neighbour.id, mate.id]) and result.refused == {}
    for application in (biggest, mate, neighbour):
        session.refresh(application)
    assert [biggest.status, neighbour.status, mate.status] == [
        ApplicationStatus.accepted,
        ApplicationStatus.accepted,
        ApplicationStatus.waitlisted,
    ]


def test_different_homes_are_different_households() -> None:
    keys = {
        campaign_households.household_key(address(address_line1=line, address_line2=flat))
        for line, flat in (
            ("12 Main St", "Apt 3"),
            ("12 Main St", "Apt 4"),
            ("14 Main St", "Apt 3"),
            ("12 Mill St", ""),
        )
    }
    assert len(keys) == 4


def test_withdrawing_frees_the_household_and_the_kit(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = make_campaign(session, community, kit_count=1)
    first = apply(session, campaign, community)
    accept(session, campaign, community, first, manager)
    assert campaign.kits_accepted == 1
    applicant = session.get(User, first.user_id)
    campaign_applications.withdraw_application(session, campaign=campaign, user=applicant)
    session.refresh(campaign)
    assert campaign.kits_accepted == 0
    assert first.household_key is None
    assert session.exec(select(KitShipment)).all() == []


def test_address_changes_until_the_kit_ships(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = make_campaign(session, community)
    applicant = make_applicant(session, community)
    application = apply(session, campaign, community, applicant)
    campaign_applications.update_address(
        session, campaign=campaign, user=applicant, address=address(address_line1="3 New Lane")
    )
    assert application.address_line1 == "3 New Lane"
    accept(session, campaign, community, application, manager)
    shipment = campaign_kits.get_shipment(session, application=application)
    assert shipment is not None
    shipment.status = ShipmentStatus.shipped
    session.add(shipment)
    with pytest.raises(Conflict):
        campaign_applications.update_address(session, campaign=campaign, user=applicant, address=address())


# --- Review, kit inventory and selection ------------------------------------------------------------------------


def test_accepting_takes_a_kit_makes_a_connector_and_tells_them(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = make_campaign(session, community, kit_count=2)
    applicant = make_applicant(session, community)
    application = apply(session, campaign, community, applicant)
    accept(session, campaign, community, application, manager)
    assert application.status == ApplicationStatus.accepted
    assert campaign.kits_accepted == 1
    membership = communities_service.get_membership(session, community=community, user=applicant)
    assert membership is not None and membership.role == MemberRole.connector
    link = campaign_connectors.connector_link(session, campaign=campaign, user=applicant)
    assert link is not None and link.hop == 1 and link.parent_id is None
    shipment = campaign_kits.get_shipment(session, application=application)
    assert shipment is not None and shipment.status == ShipmentStatus.pending
    note = session.exec(select(Notification).where(Notification.user_id == applicant.id)).one()
    assert note.kind == NotificationKind.campaign_decision
    assert session.exec(select(OutboxEmail).where(OutboxEmail.to_address == applicant.email)).one()


def test_no_more_kits_accepted_than_exist(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = make_campaign(session, community, kit_count=2)
    applications = [apply(session, campaign, community) for _ in range(3)]
    result = campaign_decisions.decide_applications(
        session,
        campaign=campaign,
        community=community,
        application_ids=[application.id or 0 for application in applications],
        decision="accept",
        decided_by=manager,
    )
    assert result.changed == [applications[0].id, applications[1].id]
    assert "kits are taken" in result.refused[applications[2].id or 0]
    assert applications[2].status == ApplicationStatus.applied
    assert campaign.kits_accepted == 2
    assert session.exec(select(func.count()).select_from(KitShipment)).one() == 2


def test_declining_an_accepted_application_returns_its_kit(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = make_campaign(session, community, kit_count=1)
    application = apply(session, campaign, community)
    accept(session, campaign, community, application, manager)
    result = campaign_decisions.decide_applications(
        session,
        campaign=campaign,
        community=community,
        application_ids=[application.id or 0],
        decision="decline",
        decided_by=manager,
    )
    assert result.changed == [application.id]
    assert campaign.kits_accepted == 0
    assert application.status == ApplicationStatus.declined


def test_decisions_only_in_their_windows(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = make_campaign(session, community, phase="sharing")
    application = make_application(session, campaign, make_applicant(session, community))
    with pytest.raises(Conflict):
        accept(session, campaign, community, application, manager)


def test_auto_select_by_rules(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = make_campaign(session, community, kit_count=2)
    big = apply(session, campaign, community, network_size=40)
    small = apply(session, campaign, community, network_size=5)
    middle = apply(session, campaign, community, network_size=30)
    other = apply(session, campaign, community, network_size=20)
    ineligible = campaign_applications.apply_to_campaign(
        session,
        campaign=campaign,
        community=community,
        user=make_applicant(session, community),
        network_size=100,
        answers={"q1": "no"},
        address=address(),
    )
    result = campaign_decisions.auto_select(
        session,
        campaign=campaign,
        community=community,
        rules=campaign_decisions.SelectionRules(min_network_size=10),
        decided_by=manager,
    )
    assert sorted(result.changed) == sorted([big.id, middle.id, other.id])
    assert (big.status, middle.status, other.status) == (
        ApplicationStatus.accepted,
        ApplicationStatus.accepted,
        ApplicationStatus.waitlisted,
    )
    assert small.status == ApplicationStatus.applied
    assert ineligible.status == ApplicationStatus.applied


def test_review_table_filters_and_sorts(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = make_campaign(session, community)
    small = apply(session, campaign, community, network_size=5)
    big = apply(session, campaign, community, network_size=50)
    accept(session, campaign, community, small, manager)
    rows = campaign_applications.list_applications(session, campaign=campaign, sort="network")
    assert [row[0].id for row in rows] == [big.id, small.id]
    accepted = campaign_applications.list_applications(session, campaign=campaign, status="accepted")
    assert [row[0].id for row in accepted] == [small.id]
    assert accepted[0][2] is not None  # its kit
    with pytest.raises(Invalid):
        campaign_applications.list_applications(session, campaign=campaign, status="nonsense")


# --- Fulfilment ---------------------------------------------------------------------------------------------


def _accepted_kits(session: Session, world: tuple, count: int = 2, phase: str = "applying") -> tuple:
    """A campaign with ``count`` accepted connectors, then moved on to ``phase``."""
    community, manager = world
    campaign = make_campaign(session, community)
    applications = [apply(session, campaign, community) for _ in range(count)]
    for application in applications:
        accept(session, campaign, community, application, manager)
    move_to(session, campaign, phase)
    shipments = [campaign_kits.get_shipment(session, application=application) for application in applications]
    return campaign, community, applications, shipments


def _rows(content: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content)))


def test_kit_export_lists_accepted_kits_with_addresses(session: Session, world: tuple) -> None:
    campaign, _, applications, shipments = _accepted_kits(session, world)
    rows = _rows(campaign_kits.export_kits_csv(session, campaign=campaign))
    assert [row["kit_id"] for row in rows] == [str(shipment.id) for shipment in shipments]
    assert rows[0]["address_line1"] == applications[0].address_line1
    assert rows[0]["postcode"] == "LS1 4AP"
    assert rows[0]["kit_contents"] == campaign.kit_contents
    assert rows[0]["status"] == "pending"


def test_kit_export_neutralises_formulas(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = make_campaign(session, community, kit_contents='=HYPERLINK("http://evil")')
    applicant = make_applicant(session, community)
    campaign_applications.apply_to_campaign(
        session,
        campaign=campaign,
        community=community,
        user=applicant,
        network_size=5,
        answers={"q1": "yes"},
        address=address(recipient_name="@SUM(A1)", address_line1="+44 Road", address_line2="-1", city="\tTab"),
    )
    application = campaign_applications.get_application(session, campaign=campaign, user=applicant)
    assert application is not None
    accept(session, campaign, community, application, manager)
    (row,) = _rows(campaign_kits.export_kits_csv(session, campaign=campaign))
    assert row["kit_contents"] == '\'=HYPERLINK("http://evil")'
    assert row["recipient_name"] == "'@SUM(A1)"
    assert row["address_line1"] == "'+44 Road"
    assert row["address_line2"] == "'-1"
    assert [campaign_kits.csv_cell(value) for value in ("plain", "", 7)] == ["plain", "", "7"]


def _import(session: Session, campaign: Campaign, community: object, text: str) -> campaign_kits.TrackingImport:
    return campaign_kits.import_tracking(
        session,
        campaign=campaign,
        community=community,  # type: ignore[arg-type]
        content=text.encode(),
    )


def test_tracking_import_ships_kits_and_is_idempotent(session: Session, world: tuple) -> None:
    campaign, community, _, (one, two) = _accepted_kits(session, world, phase="shipping")
    text = f"kit_id,carrier,tracking_number\r\n{one.id},DHL,JD0001\r\n{two.id},UPS,1Z999\r\n\r\n"
    result = _import(session, campaign, community, text)
    assert (result.shipped, result.corrected, result.unchanged) == (2, 0, 0)
    assert (one.status, one.carrier, one.tracking_number) == (ShipmentStatus.shipped, "DHL", "JD0001")
    shipped_notes = session.exec(
        select(func.count()).select_from(Notification).where(Notification.kind == NotificationKind.kit_shipped)
    ).one()
    assert shipped_notes == 2
    again = _import(session, campaign, community, text)
    assert (again.shipped, again.corrected, again.unchanged) == (0, 0, 2)
    assert (
        session.exec(
            select(func.count()).select_from(Notification).where(Notification.kind == NotificationKind.kit_shipped)
        ).one()
        == 2
    )
    corrected = _import(session, campaign, community, f"kit_id,carrier,tracking_number\n{one.id},DHL,JD0002\n")
    assert (corrected.shipped, corrected.corrected) == (0, 1)
    assert one.tracking_number == "JD0002"


def test_tracking_import_with_bad_rows_changes_nothing(session: Session, world: tuple) -> None:
    campaign, community, _, (one, two) = _accepted_kits(session, world, phase="shipping")
    elsewhere = _accepted_kits(session, world, count=1, phase="shipping")[3][0]
    text = (
        "kit_id,carrier,tracking_number\n"
        f"{one.id},DHL,JD0001\n"  # fine
        "abc,DHL,JD0002\n"  # row 3: not a number
        f"{elsewhere.id},DHL,JD0003\n"  # row 4: another campaign's kit
        f"{two.id},DHL,\n"  # row 5: no tracking number
        f"{one.id},DHL,JD0009\n"  # row 6: the same kit again, different tracking
    )
    with pytest.raises(Invalid) as raised:
        _import(session, campaign, community, text)
    assert set(raised.value.fields) == {"row 3", "row 4", "row 5", "row 6"}
    assert "nothing was imported" in raised.value.message
    session.refresh(one)
    session.refresh(two)
    assert (one.status, one.tracking_number, two.status) == (ShipmentStatus.pending, "", ShipmentStatus.pending)


def test_tracking_import_needs_the_columns(session: Session, world: tuple) -> None:
    campaign, community, _, _ = _accepted_kits(session, world, count=1, phase="shipping")
    with pytest.raises(Invalid) as raised:
        _import(session, campaign, community, "kit,number\n1,2\n")
    assert "kit_id" in raised.value.message
    with pytest.raises(Invalid):
        campaign_kits.import_tracking(session, campaign=campaign, community=community, content=b"\xff\xfe\x00")


def test_receipt_and_problems(session: Session, world: tuple) -> None:
    campaign, community, (application,), (shipment,) = _accepted_kits(session, world, count=1, phase="shipping")
    connector = session.get(User, application.user_id)
    with pytest.raises(Conflict):
        campaign_applications.confirm_receipt(session, campaign=campaign, user=connector)
    _import(session, campaign, community, f"kit_id,carrier,tracking_number\n{shipment.id},DHL,JD0001\n")
    campaign_applications.confirm_receipt(session, campaign=campaign, user=connector, problem="The box was crushed")
    assert (shipment.status, shipment.problem) == (ShipmentStatus.problem, "The box was crushed")
    campaign_applications.confirm_receipt(session, campaign=campaign, user=connector)
    assert shipment.status == ShipmentStatus.delivered and shipment.delivered_at is not None
    with pytest.raises(Conflict):
        campaign_applications.confirm_receipt(session, campaign=campaign, user=connector)


# --- Sharing and counters -----------------------------------------------------------------------------------


def test_share_links_count_through_two_hops(session: Session, world: tuple) -> None:
    campaign, _, (application,), _ = _accepted_kits(session, world, count=1, phase="sharing")
    connector = session.get(User, application.user_id)
    root = campaign_connectors.connector_link(session, campaign=campaign, user=connector)
    assert root is not None
    share_links.record_open(session, link=root)
    second = share_links.pass_link_on(session, parent=root, campaign=campaign, response_id=None)
    assert (second.hop, second.parent_id, second.connector_id) == (2, root.id, connector.id)
    share_links.record_open(session, link=second)
    third = share_links.pass_link_on(session, parent=second, campaign=campaign, response_id=None)
    assert third.hop == 3
    # The links this session holds read their new counts (no stale counter left behind by the UPDATE).
    assert (root.open_count, root.share_count, second.open_count, second.share_count) == (2, 2, 1, 1)
    session.expire_all()
    root = session.get(ShareLink, root.id)
    assert root is not None
    # The connector's link counts everything that came after it; the friend's link counts its own part.
    assert (root.open_count, root.share_count) == (2, 2)
    assert (session.get(ShareLink, second.id).open_count, session.get(ShareLink, second.id).share_count) == (1, 1)
    rows = session.exec(select(ConnectorReach).order_by(col(ConnectorReach.hop))).all()
    assert [(row.hop, row.open_count, row.share_count) for row in rows] == [(1, 1, 1), (2, 1, 1)]
    board = campaign_connectors.connector_dashboard(session, campaign=campaign, user=connector)
    assert (board.totals.opens, board.totals.shares) == (2, 2)


def test_qr_code_is_svg(session: Session) -> None:
    svg = share_links.qr_svg("http://testserver/s/abc")
    assert svg.startswith("<svg") and "</svg>" in svg
    assert "http://testserver/s/abc" in svg  # its title


def test_samples_passed_on(session: Session, world: tuple) -> None:
    campaign, _, (application,), _ = _accepted_kits(session, world, count=1, phase="sharing")
    connector = session.get(User, application.user_id)
    campaign_connectors.record_samples_passed_on(session, campaign=campaign, user=connector, count=8)
    assert application.samples_passed_on == 8
    with pytest.raises(Invalid):
        campaign_connectors.record_samples_passed_on(session, campaign=campaign, user=connector, count=100000)
    outsider = make_applicant(session, session.get(Community, campaign.community_id))
    with pytest.raises(Conflict):
        campaign_connectors.record_samples_passed_on(session, campaign=campaign, user=outsider, count=1)


def test_passing_samples_on_earns_the_brands_points_once_per_campaign(session: Session, world: tuple) -> None:
    campaign, community, (application,), _ = _accepted_kits(session, world, count=1, phase="sharing")
    brand = session.get(Brand, community.brand_id)
    rewards_points.set_points_rule(session, brand=brand, action="samples_passed", points="30", daily_cap="5")
    connector = session.get(User, application.user_id)
    campaign_connectors.record_samples_passed_on(session, campaign=campaign, user=connector, count=0)
    assert rewards_points.points_balance(session, user=connector, brand_id=brand.id) == 0  # nothing passed on yet
    campaign_connectors.record_samples_passed_on(session, campaign=campaign, user=connector, count=4)
    campaign_connectors.record_samples_passed_on(session, campaign=campaign, user=connector, count=6)  # a correction
    assert rewards_points.points_balance(session, user=connector, brand_id=brand.id) == 30


# --- Roundtable and outcome ---------------------------------------------------------------------------------


def test_roundtable_invites_the_best_and_outcome_tells_everyone(session: Session, world: tuple) -> None:
    campaign, community, applications, _ = _accepted_kits(session, world, count=3, phase="shipping")
    _, manager = world
    users = [session.get(User, application.user_id) for application in applications]
    # The third connector reached the most people, the first some, the second none.
    for user, responses in zip(users, (2, 0, 5), strict=True):
        link = campaign_connectors.connector_link(session, campaign=campaign, user=user)
        for _ in range(responses):
            share_links.bump_link_counter(session, link=link, counter="response_count")
    for application in applications:
        application.samples_passed_on = 10
    move_to(session, campaign, "closed")
    standings = campaign_connectors.connector_standings(session, campaign=campaign)
    assert [s.user.id for s in standings] == [users[2].id, users[0].id, users[1].id]
    assert standings[0].response_rate == 0.5
    invited = campaign_roundtables.invite_to_roundtable(
        session,
        campaign=campaign,
        community=community,
        when=utcnow() + timedelta(days=7),
        details="On video",
        count=2,
        invited_by=manager,
    )
    assert [invitation.user_id for invitation in invited] == [users[2].id, users[0].id]
    answer = campaign_roundtables.answer_rsvp(session, campaign=campaign, user=users[2], attending=True)
    assert answer.rsvp == Rsvp.attending
    with pytest.raises(Conflict):
        campaign_roundtables.answer_rsvp(session, campaign=campaign, user=users[1], attending=True)
    # Inviting again invites only those not invited yet.
    again = campaign_roundtables.invite_to_roundtable(
        session,
        campaign=campaign,
        community=community,
        when=utcnow() + timedelta(days=7),
        details="On video",
        count=5,
        invited_by=manager,
    )
    assert [invitation.user_id for invitation in again] == [users[1].id]
    campaign_roundtables.post_outcome(
        session, campaign=campaign, community=community, text="You said *fizzier*; we are.", posted_by=manager
    )
    assert campaign.outcome_posted_at is not None
    told = session.exec(select(Notification).where(Notification.kind == NotificationKind.campaign_outcome)).all()
    assert sorted(note.user_id for note in told) == sorted(user.id for user in users)


def test_outcome_waits_for_the_feedback_phase(session: Session, world: tuple) -> None:
    community, manager = world
    campaign = make_campaign(session, community, phase="sharing")
    with pytest.raises(Conflict):
        campaign_roundtables.post_outcome(session, campaign=campaign, community=community, text="x", posted_by=manager)
