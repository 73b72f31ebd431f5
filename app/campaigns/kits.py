"""Kit inventory and fulfilment: taking and releasing kits, the fulfilment CSV and the tracking import.

Kit inventory is one conditional UPDATE (``kits_accepted < kit_count``) in the accepting transaction, so concurrent
accepts never take more kits than exist.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select, update

from app.accounts.models import User
from app.campaigns import events as campaign_events
from app.campaigns import totals as campaign_totals
from app.campaigns.lifecycle import campaign_url, phase
from app.campaigns.links import new_link_code, root_link
from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignPhase,
    CampaignStatus,
    KitShipment,
    ShareLink,
    ShipmentStatus,
)
from app.columns import id_of, utcnow
from app.communities.models import Community, MemberRole, Membership
from app.errors import Conflict, Invalid
from app.i18n import _, ngettext, use_locale
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind


def refuse_second_kit_for_household(session: Session, *, campaign: Campaign, application: CampaignApplication) -> None:
    """Conflict when another application of the same household is accepted already."""
    if application.household_key is None:
        return
    accepted = session.exec(
        select(User)
        .join(CampaignApplication, col(CampaignApplication.user_id) == User.id)
        .where(
            CampaignApplication.campaign_id == campaign.id,
            CampaignApplication.household_key == application.household_key,
            CampaignApplication.status == ApplicationStatus.accepted,
            CampaignApplication.id != application.id,
        )
    ).first()
    if accepted is not None:
        raise Conflict(
            _(
                "Same household as %(name)s (@%(handle)s), whose application is accepted: one kit per household.",
                name=accepted.display_name,
                handle=accepted.handle,
            )
        )


def take_kit(session: Session, *, campaign: Campaign, community: Community, application: CampaignApplication) -> None:
    """Take one kit for an accepted application (Conflict when none is left), with its shipment and root share link."""
    taken = session.exec(
        update(Campaign)
        .where(col(Campaign.id) == campaign.id, col(Campaign.kits_accepted) < col(Campaign.kit_count))
        .values(kits_accepted=Campaign.kits_accepted + 1)
    )
    if taken.rowcount != 1:
        raise Conflict(
            ngettext(
                "The %(num)s kit is taken: waitlist this application or add kits.",
                "All %(num)s kits are taken: waitlist this application or add kits.",
                campaign.kit_count,
            )
        )
    if get_shipment(session, application=application) is None:
        session.add(KitShipment(campaign_id=id_of(campaign), application_id=id_of(application)))
    if root_link(session, campaign_id=id_of(campaign), connector_id=application.user_id) is None:
        session.add(
            ShareLink(code=new_link_code(), campaign_id=id_of(campaign), connector_id=application.user_id, hop=1)
        )
        campaign_totals.count_new_link(session, campaign_id=id_of(campaign))
    # Accepting makes a plain member a connector of the community (moderators keep their role).
    session.execute(
        update(Membership)
        .where(
            col(Membership.community_id) == community.id,
            col(Membership.user_id) == application.user_id,
            col(Membership.role) == MemberRole.member,
        )
        .values(role=MemberRole.connector)
    )
    session.flush()
    campaign_totals.count_connector(session, application=application, sign=1)


def release_kit(session: Session, *, campaign: Campaign, application: CampaignApplication) -> None:
    """Give an accepted application's kit back, unless it has left the warehouse."""
    shipment = get_shipment(session, application=application)
    if shipment is not None and shipment.status != ShipmentStatus.pending:
        raise Conflict(_("This kit has shipped already: the connector keeps it."))
    if shipment is not None:
        session.delete(shipment)
    session.execute(
        update(Campaign)
        .where(col(Campaign.id) == campaign.id, col(Campaign.kits_accepted) > 0)
        .values(kits_accepted=Campaign.kits_accepted - 1)
    )
    session.flush()
    campaign_totals.count_connector(session, application=application, sign=-1)


# ------------------------------------------------------------------------------------------------------------
# Fulfilment: the kit list out, tracking numbers in, receipt
# ------------------------------------------------------------------------------------------------------------

KIT_CSV_COLUMNS = (
    "kit_id",
    "campaign",
    "connector",
    "recipient_name",
    "address_line1",
    "address_line2",
    "city",
    "postcode",
    "country",
    "kit_contents",
    "status",
    "carrier",
    "tracking_number",
)
TRACKING_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{2,79}")


def get_shipment(session: Session, *, application: CampaignApplication) -> KitShipment | None:
    return session.exec(select(KitShipment).where(KitShipment.application_id == application.id)).first()


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ (or tab, CR) would start a formula, so it gets a '."""
    text = str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def export_kits_csv(session: Session, *, campaign: Campaign) -> str:
    """The accepted kits with their shipping addresses, for the fulfilment house (managers only)."""
    if campaign.status == CampaignStatus.draft:
        raise Conflict(_("Publish the campaign and accept connectors before exporting kits."))
    rows = session.exec(
        select(KitShipment, CampaignApplication, User)
        .join(CampaignApplication, col(CampaignApplication.id) == KitShipment.application_id)
        .join(User, col(User.id) == CampaignApplication.user_id)
        .where(KitShipment.campaign_id == campaign.id)
        .order_by(col(KitShipment.id))
    ).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(KIT_CSV_COLUMNS)
    for shipment, application, user in rows:
        values = [
            shipment.id,
            campaign.slug,
            user.handle,
            application.recipient_name,
            application.address_line1,
            application.address_line2,
            application.city,
            application.postcode,
            application.country,
            campaign.kit_contents,
            shipment.status.value,
            shipment.carrier,
            shipment.tracking_number,
        ]
        writer.writerow([csv_cell(value) for value in values])
    return buffer.getvalue()


@dataclass
class TrackingImport:
    """The outcome of an import: kits newly shipped, tracking corrected, rows already as the file says."""

    shipped: int = 0
    corrected: int = 0
    unchanged: int = 0


MAX_IMPORT_BYTES = 2_000_000


def import_tracking(
    session: Session, *, campaign: Campaign, community: Community, content: bytes, now: datetime | None = None
) -> TrackingImport:
    """Read kit_id, carrier and tracking_number per row and mark those kits shipped.

    Every row is checked first; if any is wrong, nothing changes and each bad row is reported (Invalid, its
    ``fields`` keyed "row 3" and so on). Importing the same file again changes nothing.
    """
    now = now or utcnow()
    if phase(campaign, now) in {CampaignPhase.draft, CampaignPhase.upcoming, CampaignPhase.closed}:
        raise Conflict(_("Tracking numbers can be imported while the campaign runs, not now."))
    if len(content) > MAX_IMPORT_BYTES:
        raise Invalid(_("The file is too large (2 MB at most)."), fields={"file": _("The file is too large.")})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid(_("The file is not UTF-8 text."), fields={"file": _("Save the CSV as UTF-8.")}) from error
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ("kit_id", "tracking_number") if name not in header]
    if missing:
        raise Invalid(
            _("The file has no %(columns)s column.", columns=" / ".join(missing)),
            fields={"file": _("The first row must name the columns: kit_id, carrier, tracking_number.")},
        )
    reader.fieldnames = header
    shipments = {
        shipment.id: shipment
        for shipment in session.exec(
            select(KitShipment).where(KitShipment.campaign_id == campaign.id).with_for_update()
        ).all()
    }
    errors: dict[str, str] = {}
    planned: dict[int, tuple[str, str]] = {}
    for number, row in enumerate(reader, start=2):
        kit_text = (row.get("kit_id") or "").strip()
        tracking = (row.get("tracking_number") or "").strip()
        carrier = (row.get("carrier") or "").strip()
        if not kit_text and not tracking and not carrier:
            continue
        label = f"row {number}"
        if not kit_text.isdigit() or int(kit_text) not in shipments:
            errors[label] = _("kit_id “%(kit)s” is not a kit of this campaign.", kit=kit_text[:20])
            continue
        kit_id = int(kit_text)
        if not TRACKING_PATTERN.fullmatch(tracking):
            errors[label] = _("tracking_number must be 3 to 80 letters, digits, spaces or hyphens.")
            continue
        if len(carrier) > 60:
            errors[label] = _("carrier is longer than 60 characters.")
            continue
        if kit_id in planned and planned[kit_id] != (carrier, tracking):
            errors[label] = _("kit %(kit)s appears twice with different tracking.", kit=kit_id)
            continue
        shipment = shipments[kit_id]
        if shipment.status == ShipmentStatus.delivered and shipment.tracking_number != tracking:
            errors[label] = _("kit %(kit)s is delivered already; its tracking can no longer change.", kit=kit_id)
            continue
        planned[kit_id] = (carrier, tracking)
    if errors:
        count = len(errors)
        raise Invalid(
            ngettext(
                "%(num)s row could not be read; nothing was imported.",
                "%(num)s rows could not be read; nothing was imported.",
                count,
            ),
            fields=errors,
        )
    result = TrackingImport()
    for kit_id, (carrier, tracking) in planned.items():
        shipment = shipments[kit_id]
        if shipment.tracking_number == tracking and shipment.carrier == carrier:
            result.unchanged += 1
            continue
        newly_shipped = shipment.status == ShipmentStatus.pending
        shipment.carrier, shipment.tracking_number = carrier, tracking
        if newly_shipped:
            shipment.status, shipment.shipped_at = ShipmentStatus.shipped, now
            result.shipped += 1
        else:
            result.corrected += 1
        session.add(shipment)
        if newly_shipped:
            _tell_shipped(session, campaign=campaign, community=community, shipment=shipment)

    session.flush()
    return result


def _tell_shipped(session: Session, *, campaign: Campaign, community: Community, shipment: KitShipment) -> None:
    """Tell the connector and the brand's webhooks (the shipments are locked by the import: shipped once)."""
    application = session.get(CampaignApplication, shipment.application_id)
    assert application is not None
    user = session.get(User, application.user_id)
    assert user is not None
    link = f"{campaign_url(campaign, community)}/mine"
    with use_locale(user.locale, user.time_zone):  # in the connector's language
        if shipment.carrier:
            text = _(
                "Your %(campaign)s kit is on its way (%(carrier)s %(tracking)s).",
                campaign=campaign.title,
                carrier=shipment.carrier,
                tracking=shipment.tracking_number,
            )
        else:
            text = _(
                "Your %(campaign)s kit is on its way (tracking %(tracking)s).",
                campaign=campaign.title,
                tracking=shipment.tracking_number,
            )
        subject = _("%(campaign)s: your kit has shipped", campaign=campaign.title)
    notifications_service.notify(
        session,
        user=user,
        kind=NotificationKind.kit_shipped,
        text=text,
        link=link,
        community=community,
        email_subject=subject,
    )
    campaign_events.emit_kit_shipped(session, campaign=campaign, application=application, shipment=shipment)
