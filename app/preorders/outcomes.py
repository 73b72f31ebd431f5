"""How a pre-order ends: funded when the target is reached, not funded at the deadline without it, and the
fulfilment CSV of a funded one.

Each outcome is taken by one conditional UPDATE on the pre-order's status, so of two transactions reaching it at once
(two pledges, two sweeps) only one tells people, audits and sends the webhook: running the sweep again changes
nothing.
"""

import csv
import io
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select, update

from app.accounts.models import User
from app.campaigns.kits import csv_cell
from app.challenges.models import Product
from app.columns import utcnow
from app.communities.models import Community
from app.db import session_scope
from app.errors import Conflict
from app.i18n import _, use_locale
from app.i18n.formatting import format_number
from app.moderation import audit as moderation_audit
from app.moderation.models import AuditAction
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.preorders.models import Pledge, PledgeStatus, Preorder, PreorderStatus
from app.preorders.service import product_url, webhook_payload
from app.webhooks import service as webhooks_service

logger = logging.getLogger("chorus.preorders")


def _pledgers(session: Session, *, preorder: Preorder) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(Pledge, col(Pledge.user_id) == User.id)
            .where(Pledge.preorder_id == preorder.id, Pledge.status == PledgeStatus.active)
            .order_by(col(User.id))
        ).all()
    )


def _tell(
    session: Session,
    *,
    people: list[User],
    kind: NotificationKind,
    news: Callable[[], tuple[str, str]],
    community: Community,
    product: Product,
) -> None:
    """Tell each person; ``news`` writes the text and the e-mail subject, called in each person's language."""
    for person in people:
        with use_locale(person.locale, person.time_zone):
            text, subject = news()
        notifications_service.notify(
            session,
            user=person,
            kind=kind,
            text=text,
            link=product_url(community, product),
            community=community,
            email_subject=subject,
        )


def _everyone(session: Session, *, preorder: Preorder, product: Product) -> list[User]:
    """The active pledgers and the designer (once, if they pledged too)."""
    people = _pledgers(session, preorder=preorder)
    designer = session.get(User, product.designer_id) if product.designer_id is not None else None
    if designer is not None and designer.id not in {person.id for person in people}:
        people.append(designer)
    return people


def fund_if_reached(session: Session, *, preorder: Preorder, community: Community, now: datetime) -> bool:
    """Fund the pre-order if its pledges reached the target and nobody funded it yet: pledgers and the designer are
    told, the audit log and the ``preorder_funded`` webhook record it. True when this call funded it."""
    funded = session.exec(
        update(Preorder)
        .where(
            col(Preorder.id) == preorder.id,
            col(Preorder.status) == PreorderStatus.open,
            col(Preorder.pledged_count) >= col(Preorder.target_count),
        )
        .values(status=PreorderStatus.funded, funded_at=now)
    )
    session.refresh(preorder)
    if funded.rowcount != 1:
        return False
    product = session.get(Product, preorder.product_id)
    assert product is not None  # the pre-order's foreign key
    moderation_audit.record(
        session,
        community_id=community.id,
        actor=None,
        action=AuditAction.preorder_funded,
        subject_kind="preorder",
        subject_id=preorder.id,
        after={"pledged_count": preorder.pledged_count, "target_count": preorder.target_count},
        now=now,
    )
    _tell(
        session,
        people=_everyone(session, preorder=preorder, product=product),
        kind=NotificationKind.preorder_funded,
        news=lambda: (
            _(
                "%(product)s is funded: %(pledged)s of %(target)s pledged. It will be made.",
                product=product.name,
                pledged=format_number(preorder.pledged_count),
                target=format_number(preorder.target_count),
            ),
            _("%(product)s is funded", product=product.name),
        ),
        community=community,
        product=product,
    )
    webhooks_service.emit_event(
        session,
        brand_id=preorder.brand_id,
        event="preorder_funded",
        payload=webhook_payload(preorder, product, community),
    )
    return True


def close_at_deadline(session: Session, *, preorder_id: int, now: datetime) -> PreorderStatus | None:
    """Handle one pre-order whose deadline has passed: a funded one is closed to pledges; an open one is not funded,
    everyone is told, and the pledgers' addresses are erased. None when it was handled already."""
    closed = session.exec(
        update(Preorder)
        .where(col(Preorder.id) == preorder_id, col(Preorder.closed_at).is_(None), col(Preorder.deadline_at) <= now)
        .values(closed_at=now)
    )
    if closed.rowcount != 1:
        return None
    preorder = session.get(Preorder, preorder_id)
    assert preorder is not None
    session.refresh(preorder)
    product = session.get(Product, preorder.product_id)
    community = session.get(Community, preorder.community_id)
    assert product is not None and community is not None  # foreign keys
    if preorder.status == PreorderStatus.funded:
        moderation_audit.record(
            session,
            community_id=community.id,
            actor=None,
            action=AuditAction.preorder_closed,
            subject_kind="preorder",
            subject_id=preorder.id,
            after={"pledged_count": preorder.pledged_count},
            now=now,
        )
        return preorder.status
    preorder.status = PreorderStatus.not_funded
    session.add(preorder)
    session.flush()
    _tell(
        session,
        people=_everyone(session, preorder=preorder, product=product),
        kind=NotificationKind.preorder_not_funded,
        news=lambda: (
            _(
                "%(product)s was not funded: %(pledged)s of %(target)s pledged by the deadline. Nothing will be "
                "charged, and the shipping addresses given are erased.",
                product=product.name,
                pledged=format_number(preorder.pledged_count),
                target=format_number(preorder.target_count),
            ),
            _("%(product)s was not funded", product=product.name),
        ),
        community=community,
        product=product,
    )
    erased = erase_addresses(session, preorder=preorder)
    moderation_audit.record(
        session,
        community_id=community.id,
        actor=None,
        action=AuditAction.preorder_not_funded,
        subject_kind="preorder",
        subject_id=preorder.id,
        after={"pledged_count": preorder.pledged_count, "target_count": preorder.target_count, "erased": erased},
        now=now,
    )
    webhooks_service.emit_event(
        session,
        brand_id=preorder.brand_id,
        event="preorder_failed",
        payload=webhook_payload(preorder, product, community),
    )
    return preorder.status


def erase_addresses(session: Session, *, preorder: Preorder) -> int:
    """Blank every shipping address given to the pre-order; returns how many pledges had one."""
    erased = session.exec(
        update(Pledge)
        .where(col(Pledge.preorder_id) == preorder.id, col(Pledge.recipient_name) != "")
        .values(recipient_name="", address_line1="", address_line2="", city="", postcode="", country="")
    )
    session.flush()
    return int(erased.rowcount or 0)


def close_due_preorders(*, now: datetime | None = None, engine: Engine | None = None) -> dict[str, int]:
    """The periodic sweep (``app.tasks.close_preorders``): every pre-order past its deadline, each in a transaction
    of its own, so one failure leaves the others handled and is retried on the next run."""
    now = now or utcnow()
    with session_scope(engine) as session:
        due = session.exec(
            select(Preorder.id).where(col(Preorder.closed_at).is_(None), col(Preorder.deadline_at) <= now)
        ).all()
    counts = {status.value: 0 for status in (PreorderStatus.funded, PreorderStatus.not_funded)}
    for preorder_id in due:
        try:
            with session_scope(engine) as session:
                outcome = close_at_deadline(session, preorder_id=preorder_id or 0, now=now)
        except Exception:
            logger.exception("Pre-order %s could not be closed; the next sweep tries again", preorder_id)
            continue
        if outcome is not None:
            counts[outcome.value] += 1
    return counts


# ------------------------------------------------------------------------------------------------------------
# Fulfilment
# ------------------------------------------------------------------------------------------------------------

# The kits CSV's shape (app.campaigns.kits.KIT_CSV_COLUMNS): an id, what, who, the address, the contents, the
# shipping status and the carrier's columns the fulfilment house fills in.
PLEDGE_CSV_COLUMNS = (
    "pledge_id",
    "product",
    "member",
    "recipient_name",
    "address_line1",
    "address_line2",
    "city",
    "postcode",
    "country",
    "pledge_contents",
    "status",
    "carrier",
    "tracking_number",
)


def export_pledges_csv(session: Session, *, preorder: Preorder, product: Product) -> str:
    """The active pledges with their shipping addresses, for the fulfilment house (managers only, once funded)."""
    if preorder.status != PreorderStatus.funded:
        raise Conflict(_("The fulfilment file is ready once the pre-order is funded."))
    rows = session.exec(
        select(Pledge, User)
        .join(User, col(User.id) == Pledge.user_id)
        .where(Pledge.preorder_id == preorder.id, Pledge.status == PledgeStatus.active)
        .order_by(col(Pledge.id))
    ).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(PLEDGE_CSV_COLUMNS)
    for pledge_row, user in rows:
        values = [
            pledge_row.id,
            product.name,
            user.handle,
            pledge_row.recipient_name,
            pledge_row.address_line1,
            pledge_row.address_line2,
            pledge_row.city,
            pledge_row.postcode,
            pledge_row.country,
            f"{pledge_row.quantity} x {product.name} ({pledge_row.variant})",
            "pending",
            "",
            "",
        ]
        writer.writerow([csv_cell(value) for value in values])
    return buffer.getvalue()
