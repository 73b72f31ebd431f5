"""Pre-orders with a fixed clock: opening and its announcement, pledging, changing, withdrawing, funded at the target,
not funded at the deadline with addresses erased; audit entries, webhooks and nothing on the ledger."""

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.campaigns.households import Address
from app.columns import utcnow
from app.errors import Conflict, Invalid
from app.follows import service as follows_service
from app.i18n import use_locale
from app.i18n.formatting import format_date
from app.ledger.models import LedgerEntry
from app.moderation import privacy
from app.moderation.models import AuditAction, AuditEntry
from app.notifications.models import Notification, NotificationKind
from app.preorders import outcomes, pledges
from app.preorders import service as preorders_service
from app.preorders.models import Pledge, PledgeStatus, PreorderStatus
from app.rewards import shop as rewards_shop
from app.webhooks.models import WebhookDelivery
from tests.factories import PASSWORD
from tests.notifications.factories import outbox_for
from tests.preorders.factories import PreorderWorld, a_member, build_preorder_world, open_preorder
from tests.webhooks.factories import make_endpoint

NOW = utcnow().replace(microsecond=0)
HOME = Address(
    recipient_name="Mia Example", address_line1="12 Harbour Road", city="Leith", postcode="eh6 6qt", country="gb"
)


@pytest.fixture
def world(session: Session) -> PreorderWorld:
    world = build_preorder_world(session)
    make_endpoint(session, world.brand, events=["preorder_opened", "preorder_funded", "preorder_failed"])
    return world


def notifications_of(session: Session, kind: NotificationKind) -> list[int]:
    return list(session.exec(select(Notification.user_id).where(Notification.kind == kind)).all())


def audit_actions(session: Session) -> list[str]:
    return [entry.action for entry in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]


def webhook_events(session: Session) -> list[str]:
    return [delivery.event for delivery in session.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.id)))]


def test_opening_tells_everyone_who_would_buy_it_and_the_webhooks(session: Session, world: PreorderWorld) -> None:
    preorder = open_preorder(session, world, target_count=50, stock_limit=60, now=NOW)

    assert preorder.status == PreorderStatus.open
    assert preorder.price_minor == 2400 and preorder.currency == "EUR"
    assert preorder.variants == ["S", "M", "L"]
    assert preorder.community_id == world.community.id
    told = notifications_of(session, NotificationKind.preorder_opened)
    assert sorted(told) == sorted(voter.id or 0 for voter in world.would_buy)
    assert world.would_not.id not in told and world.designer.id not in told
    # E-mail as their preferences say: "immediately" by default for this kind.
    assert [email.subject for email in outbox_for(session, world.would_buy[0])] == [
        "Harbour Lights Tee is on pre-order"
    ]
    assert audit_actions(session) == [AuditAction.preorder_opened]
    assert webhook_events(session) == ["preorder_opened"]
    body = json.loads(session.exec(select(WebhookDelivery)).one().body)
    assert body["data"]["target_count"] == 50 and body["data"]["product_name"] == "Harbour Lights Tee"
    with pytest.raises(Conflict):
        open_preorder(session, world, now=NOW)


def test_opening_tells_the_designers_followers_once_and_puts_it_in_the_shop(
    session: Session, world: PreorderWorld
) -> None:
    """Followers hear of the pre-order (those who would buy it already did, so not twice); the designer's shop lists
    it with the pre-order's price and its product page until the deadline is handled."""
    follower = a_member(session, world)
    for fan in (follower, world.would_buy[0]):
        follows_service.follow_designer(session, follower=fan, designer=world.designer)
    preorder = open_preorder(session, world, now=NOW)

    assert notifications_of(session, NotificationKind.followed_designer) == [follower.id]
    assert world.would_buy[0].id in notifications_of(session, NotificationKind.preorder_opened)
    [item] = rewards_shop.list_shop_products(session, designer=world.designer)
    assert (item.availability, item.price_minor, item.preorder_url) == (
        "preorder",
        preorder.price_minor,
        f"/c/{world.community.slug}/products/{world.product.id}",
    )
    assert preorders_service.taking_pledges_for(session, design=world.design, community=world.community) == (
        item.preorder_url
    )
    preorder.closed_at = NOW
    session.add(preorder)
    session.flush()
    assert rewards_shop.list_shop_products(session, designer=world.designer) == []
    assert preorders_service.taking_pledges_for(session, design=world.design, community=world.community) is None


def test_opening_refuses_bad_terms_field_by_field(session: Session, world: PreorderWorld) -> None:
    with pytest.raises(Invalid) as refused:
        preorders_service.open_preorder(
            session,
            brand=world.brand,
            product=world.product,
            actor=world.manager,
            fields=preorders_service.PreorderFields(
                target_count=0, deadline_at=NOW + timedelta(minutes=5), price="free", stock_limit=2_000_000
            ),
            now=NOW,
        )
    assert set(refused.value.fields) == {"target_count", "deadline_at", "price", "stock_limit"}
    assert preorders_service.get_preorder(session, product=world.product) is None


def test_a_product_without_a_design_cannot_go_on_preorder(session: Session, world: PreorderWorld) -> None:
    world.product.design_id = None
    with pytest.raises(Conflict):
        open_preorder(session, world, now=NOW)


def pledge(
    session: Session, world: PreorderWorld, member: User, quantity: int = 1, variant: str = "M", *, at: datetime = NOW
) -> Pledge:
    preorder = preorders_service.get_preorder(session, product=world.product)
    assert preorder is not None
    return pledges.pledge(
        session,
        preorder=preorder,
        community=world.community,
        user=member,
        variant=variant,
        quantity=quantity,
        address=HOME,
        now=at,
    )


def test_pledge_change_withdraw_then_funded_at_the_target(session: Session, world: PreorderWorld) -> None:
    preorder = open_preorder(session, world, target_count=5, now=NOW)
    first, second = a_member(session, world), a_member(session, world)

    made = pledge(session, world, first, 2, "S", at=NOW + timedelta(hours=1))
    assert (made.postcode, made.country) == ("EH6 6QT", "GB")
    assert preorder.pledged_count == 2
    changed = pledge(session, world, first, 3, "L", at=NOW + timedelta(hours=2))
    assert changed.id == made.id and (changed.variant, changed.quantity) == ("L", 3)
    assert preorder.pledged_count == 3

    pledge(session, world, second, 1, at=NOW + timedelta(hours=3))
    assert preorder.pledged_count == 4
    withdrawn = pledges.withdraw(
        session, preorder=preorder, community=world.community, user=second, now=NOW + timedelta(hours=4)
    )
    assert withdrawn.status == PledgeStatus.withdrawn and withdrawn.address_line1 == ""
    assert preorder.pledged_count == 3 and preorder.status == PreorderStatus.open

    pledge(session, world, second, 2, at=NOW + timedelta(hours=5))  # back again: 5 of 5
    assert preorder.status == PreorderStatus.funded
    assert preorder.funded_at == NOW + timedelta(hours=5)
    told = notifications_of(session, NotificationKind.preorder_funded)
    assert sorted(told) == sorted([first.id, second.id, world.designer.id])
    assert webhook_events(session) == ["preorder_opened", "preorder_funded"]
    assert audit_actions(session) == [
        AuditAction.preorder_opened,
        AuditAction.pledge_made,
        AuditAction.pledge_changed,
        AuditAction.pledge_made,
        AuditAction.pledge_withdrawn,
        AuditAction.pledge_made,
        AuditAction.preorder_funded,
    ]
    # The audit log is read by moderators: it never holds an address.
    assert "Harbour" not in json.dumps([entry.after for entry in session.exec(select(AuditEntry)).all()])

    # Funded: pledges may grow, not shrink or be withdrawn; more members may still pledge until the deadline.
    with pytest.raises(Conflict):
        pledge(session, world, first, 1, at=NOW + timedelta(hours=6))
    with pytest.raises(Conflict):
        pledges.withdraw(
            session, preorder=preorder, community=world.community, user=first, now=NOW + timedelta(hours=6)
        )
    pledge(session, world, a_member(session, world), 1, at=NOW + timedelta(hours=7))
    assert preorder.pledged_count == 6
    assert len(notifications_of(session, NotificationKind.preorder_funded)) == 3  # told once

    # The fulfilment file: the kits CSV's shape, one row per active pledge.
    rows = list(csv.reader(io.StringIO(outcomes.export_pledges_csv(session, preorder=preorder, product=world.product))))
    assert rows[0] == list(outcomes.PLEDGE_CSV_COLUMNS)
    assert len(rows) == 1 + 3
    assert rows[1][2] == first.handle and rows[1][9] == "3 x Harbour Lights Tee (L)" and rows[1][7] == "EH6 6QT"
    # Pledges are commitments, not money.
    assert session.exec(select(func.count()).select_from(LedgerEntry)).one() == 0


def test_pledges_are_checked(session: Session, world: PreorderWorld) -> None:
    open_preorder(session, world, now=NOW)
    member = a_member(session, world)
    with pytest.raises(Invalid) as refused:
        pledge(session, world, member, 11, "XXL")
    assert set(refused.value.fields) == {"variant", "quantity"}
    preorder = preorders_service.get_preorder(session, product=world.product)
    assert preorder is not None
    with pytest.raises(Invalid) as no_address:
        pledges.pledge(
            session, preorder=preorder, community=world.community, user=member, variant="S", quantity=1,
            address=Address(), now=NOW,
        )  # fmt: skip
    assert {"recipient_name", "address_line1", "city", "country"} <= set(no_address.value.fields)
    assert preorder.pledged_count == 0


def test_the_stock_limit_is_never_passed(session: Session, world: PreorderWorld) -> None:
    preorder = open_preorder(session, world, target_count=3, stock_limit=4, now=NOW)
    pledge(session, world, a_member(session, world), 3)
    with pytest.raises(Conflict, match="Only 1 left"):
        pledge(session, world, a_member(session, world), 2)
    pledge(session, world, a_member(session, world), 1)
    with pytest.raises(Conflict, match="Sold out"):
        pledge(session, world, a_member(session, world), 1)
    assert preorder.pledged_count == 4


def test_not_funded_at_the_deadline_tells_everyone_and_erases_addresses(session: Session, world: PreorderWorld) -> None:
    preorder = open_preorder(session, world, target_count=10, deadline_at=NOW + timedelta(days=2), now=NOW)
    members = [a_member(session, world) for _ in range(2)]
    for member in members:
        pledge(session, world, member, 2)
    at_deadline = NOW + timedelta(days=2, minutes=1)

    with pytest.raises(Conflict, match="closed"):
        pledge(session, world, a_member(session, world), 1, at=at_deadline)
    assert outcomes.close_at_deadline(session, preorder_id=preorder.id or 0, now=NOW + timedelta(days=1)) is None
    assert outcomes.close_at_deadline(session, preorder_id=preorder.id or 0, now=at_deadline) == (
        PreorderStatus.not_funded
    )
    assert preorder.status == PreorderStatus.not_funded and preorder.closed_at == at_deadline
    told = notifications_of(session, NotificationKind.preorder_not_funded)
    assert sorted(told) == sorted([*(member.id or 0 for member in members), world.designer.id or 0])
    for row in session.exec(select(Pledge)).all():
        assert (row.recipient_name, row.address_line1, row.city, row.postcode, row.country) == ("", "", "", "", "")
        assert row.quantity == 2  # the record of the pledge stays
    assert webhook_events(session) == ["preorder_opened", "preorder_failed"]
    assert audit_actions(session)[-1] == AuditAction.preorder_not_funded
    with pytest.raises(Conflict):
        outcomes.export_pledges_csv(session, preorder=preorder, product=world.product)

    # Idempotent: running the deadline again changes nothing and tells nobody twice.
    assert (
        outcomes.close_at_deadline(session, preorder_id=preorder.id or 0, now=at_deadline + timedelta(hours=1)) is None
    )
    assert len(notifications_of(session, NotificationKind.preorder_not_funded)) == 3
    assert webhook_events(session) == ["preorder_opened", "preorder_failed"]


def test_a_funded_preorder_closes_at_the_deadline_and_keeps_its_addresses(
    session: Session, world: PreorderWorld
) -> None:
    preorder = open_preorder(session, world, target_count=1, deadline_at=NOW + timedelta(days=1), now=NOW)
    pledge(session, world, a_member(session, world), 1)
    assert outcomes.close_at_deadline(session, preorder_id=preorder.id or 0, now=NOW + timedelta(days=1)) == (
        PreorderStatus.funded
    )
    assert preorder.closed_at is not None
    assert session.exec(select(Pledge)).one().recipient_name == "Mia Example"
    assert audit_actions(session)[-1] == AuditAction.preorder_closed
    assert notifications_of(session, NotificationKind.preorder_not_funded) == []


def test_deleting_ones_account_erases_pledge_addresses(session: Session, world: PreorderWorld) -> None:
    open_preorder(session, world, now=NOW)
    member = a_member(session, world)
    pledge(session, world, member, 1)
    privacy.delete_account(session, user=member, password=PASSWORD)
    assert session.exec(select(Pledge)).one().address_line1 == ""


def test_the_progress_reads_as_people_say_it(session: Session, world: PreorderWorld) -> None:
    preorder = open_preorder(session, world, target_count=50, deadline_at=NOW + timedelta(days=4, hours=3), now=NOW)
    preorder.pledged_count = 37
    progress = preorders_service.progress_of(preorder, now=NOW)
    assert progress.summary(NOW) == "37 of 50, 4 days left"
    assert progress.percent == 74
    assert progress.time_left(NOW + timedelta(days=3, hours=2)) == "1 day left"
    assert progress.time_left(NOW + timedelta(days=4, hours=1)) == "2 hours left"
    assert progress.time_left(NOW + timedelta(days=5)) == "closed"


def test_the_progress_follows_the_language_its_figures_and_plurals(session: Session, world: PreorderWorld) -> None:
    preorder = open_preorder(session, world, target_count=2000, deadline_at=NOW + timedelta(days=4, hours=3), now=NOW)
    preorder.pledged_count = 1234
    progress = preorders_service.progress_of(preorder, now=NOW)
    assert progress.summary(NOW) == "1,234 of 2,000, 4 days left"
    with use_locale("de"):
        assert progress.summary(NOW) == "1.234 von 2.000, noch 4 Tage"
        assert progress.time_left(NOW + timedelta(days=3, hours=2)) == "noch 1 Tag"
    with use_locale("es"):
        assert progress.summary(NOW + timedelta(days=3, hours=2)) == "1.234 de 2.000, queda 1 día"
        assert progress.time_left(NOW + timedelta(days=4, hours=1)) == "quedan 2 horas"


def test_those_who_would_buy_it_hear_in_their_own_language(session: Session, world: PreorderWorld) -> None:
    german = world.would_buy[0]
    german.locale = "de"
    session.add(german)
    preorder = open_preorder(session, world, now=NOW)
    with use_locale("de"):
        day = format_date(preorder.deadline_at, style="long")  # "11. Dezember 2026"
    [notice] = session.exec(select(Notification).where(Notification.user_id == german.id)).all()
    assert notice.text == f"Du wolltest „{world.design.title}“ kaufen: Harbour Lights Tee ist bis {day} vorbestellbar."
    assert [email.subject for email in outbox_for(session, german)] == ["Harbour Lights Tee ist vorbestellbar"]
