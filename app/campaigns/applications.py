"""Applying to a campaign: the member's application, its address, withdrawal and receipt; the manager's review list."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from app import rate_limits
from app.accounts.models import User
from app.campaigns import events as campaign_events
from app.campaigns.households import Address, set_address, validate_address
from app.campaigns.kits import get_shipment, release_kit
from app.campaigns.lifecycle import DECIDING_PHASES, MAX_NETWORK_SIZE, phase, require_phase
from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignPhase,
    KitShipment,
    ShipmentStatus,
)
from app.columns import id_of, utcnow
from app.communities import service as communities_service
from app.communities.models import Community, Membership
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid
from app.i18n import N_, _
from app.i18n.formatting import format_number


def get_application(session: Session, *, campaign: Campaign, user: User | None) -> CampaignApplication | None:
    if user is None:
        return None
    return session.exec(
        select(CampaignApplication).where(
            CampaignApplication.campaign_id == campaign.id, CampaignApplication.user_id == user.id
        )
    ).first()


def apply_to_campaign(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    user: User,
    network_size: int | None,
    answers: Mapping[str, str],
    address: Address,
    motivation: str = "",
    now: datetime | None = None,
) -> CampaignApplication:
    """Apply to be a connector: eligibility answers, declared network size and the shipping address.

    One application per member (a unique constraint). One kit per household is the managers' to keep: a second
    application from the same address is taken like any other, and the review table flags both as the same
    household (``household_mates``); accepting the second while the first is accepted is refused. Refusing it
    here instead would tell the applicant that someone at that address applied, which is another person's
    business: any address typed in would confirm or deny it. Flatmates, or a member who moved in with another,
    are also left for a person to judge.
    """
    now = now or utcnow()
    require_phase(campaign, now, {CampaignPhase.applying}, N_("You cannot apply now: %(campaign)s is at “%(phase)s”."))
    _require_member(session, community=community, user=user)
    rate_limits.hit(
        get_settings().campaign_apply_rate_per_account,
        "campaign-apply",
        str(id_of(user)),
        message=_("You have sent many applications just now; try again later."),
    )
    if get_application(session, campaign=campaign, user=user) is not None:
        raise Conflict(_("You have applied to %(campaign)s already.", campaign=campaign.title))
    errors = validate_address(address)
    if network_size is None or not 1 <= network_size <= MAX_NETWORK_SIZE:
        errors["network_size"] = _(
            "Say how many people you could pass samples on to (1 to %(limit)s).", limit=format_number(MAX_NETWORK_SIZE)
        )
    if len(motivation) > 1000:
        errors["motivation"] = _("Use at most %(limit)s characters.", limit=format_number(1000))
    clean_answers: dict[str, str] = {}
    eligible = True
    for question in campaign.eligibility_questions:
        answer = answers.get(question["key"], "").strip().lower()
        if answer not in {"yes", "no"}:
            errors[f"answer_{question['key']}"] = _("Answer yes or no.")
            continue
        clean_answers[question["key"]] = answer
        if question.get("required") and answer != question["required"]:
            eligible = False
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    application = CampaignApplication(
        campaign_id=id_of(campaign),
        user_id=id_of(user),
        network_size=network_size or 0,
        eligibility_answers=clean_answers,
        eligible=eligible,
        motivation=motivation.strip(),
    )
    set_address(application, address)
    try:
        with session.begin_nested():
            session.add(application)
            session.flush()
    except IntegrityError as error:  # the same member applying twice at once
        raise Conflict(_("You have applied to %(campaign)s already.", campaign=campaign.title)) from error
    session.execute(
        update(Campaign).where(col(Campaign.id) == campaign.id).values(application_count=Campaign.application_count + 1)
    )
    session.refresh(campaign)
    campaign_events.emit_application_received(session, campaign=campaign, application=application)
    return application


def _require_member(session: Session, *, community: Community, user: User) -> Membership:
    """The one place that decides whether someone may apply to a community's campaigns."""
    if not user.is_confirmed:
        raise Forbidden(_("Confirm your e-mail address before you apply."))
    membership = communities_service.get_membership(session, community=community, user=user)
    if membership is None:
        raise Forbidden(_("Join %(community)s to apply.", community=community.name))
    return membership


def own_application(session: Session, *, campaign: Campaign, user: User) -> CampaignApplication:
    """The member's application to the campaign; Conflict when there is none."""
    application = get_application(session, campaign=campaign, user=user)
    if application is None:
        raise Conflict(_("You have not applied to %(campaign)s.", campaign=campaign.title))
    return application


def withdraw_application(
    session: Session, *, campaign: Campaign, user: User, now: datetime | None = None
) -> CampaignApplication:
    """Withdraw one's application (an accepted one only before its kit ships); the kit goes back to the pool."""
    now = now or utcnow()
    application = own_application(session, campaign=campaign, user=user)
    if application.status == ApplicationStatus.withdrawn:
        raise Conflict(_("Your application is withdrawn already."))
    if application.status == ApplicationStatus.accepted:
        release_kit(session, campaign=campaign, application=application)
    application.status = ApplicationStatus.withdrawn
    application.household_key = None
    application.decided_at = now
    session.add(application)
    session.flush()
    return application


def update_address(
    session: Session, *, campaign: Campaign, user: User, address: Address, now: datetime | None = None
) -> CampaignApplication:
    """Correct one's shipping address, until the kit has shipped (a shared household is flagged, not refused:
    see ``apply_to_campaign``)."""
    now = now or utcnow()
    require_phase(
        campaign, now, DECIDING_PHASES, N_("You cannot change your address now: %(campaign)s is at “%(phase)s”.")
    )
    application = own_application(session, campaign=campaign, user=user)
    if application.status == ApplicationStatus.withdrawn:
        raise Conflict(_("Your application is withdrawn."))
    shipment = get_shipment(session, application=application)
    if shipment is not None and shipment.status != ShipmentStatus.pending:
        raise Conflict(_("Your kit has shipped: the address can no longer change."))
    errors = validate_address(address)
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    set_address(application, address)
    session.add(application)
    session.flush()
    return application


APPLICATION_SORTS: dict[str, list[Any]] = {
    "newest": [col(CampaignApplication.created_at).desc(), col(CampaignApplication.id).desc()],
    "oldest": [col(CampaignApplication.created_at).asc(), col(CampaignApplication.id).asc()],
    "network": [col(CampaignApplication.network_size).desc(), col(CampaignApplication.id).asc()],
    "name": [func.lower(User.display_name).asc(), col(CampaignApplication.id).asc()],
}


# A review filter beside the statuses: accepted connectors whose kit has not shipped yet (the brand home counts
# them with the same conditions, ``kit_to_ship_conditions``).
KIT_TO_SHIP = "kit_to_ship"
REVIEW_FILTERS = (*(status.value for status in ApplicationStatus), KIT_TO_SHIP)


def kit_to_ship_conditions() -> tuple[ColumnElement[bool], ...]:
    """Applications accepted whose kit is still to be sent (over applications joined to their shipment)."""
    return (
        col(CampaignApplication.status) == ApplicationStatus.accepted,
        col(KitShipment.status) == ShipmentStatus.pending,
    )


def list_applications(
    session: Session,
    *,
    campaign: Campaign,
    status: str = "",
    eligible: str = "",
    sort: str = "newest",
    search: str = "",
) -> Sequence[tuple[CampaignApplication, User, KitShipment | None]]:
    """The review table: filtered by status, eligibility and a name search, sorted by a known key."""
    conditions: list[ColumnElement[bool]] = [col(CampaignApplication.campaign_id) == campaign.id]
    if status == KIT_TO_SHIP:
        conditions.extend(kit_to_ship_conditions())
    elif status:
        if status not in ApplicationStatus.__members__:
            raise Invalid(_("Unknown status."), fields={"status": _("Choose a status from the list.")})
        conditions.append(col(CampaignApplication.status) == ApplicationStatus(status))
    if eligible in {"yes", "no"}:
        conditions.append(col(CampaignApplication.eligible).is_(eligible == "yes"))
    if search.strip():
        term = search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(User.display_name).like(f"%{term}%", escape="\\"))
    order = APPLICATION_SORTS.get(sort) or APPLICATION_SORTS["newest"]
    rows = session.exec(
        select(CampaignApplication, User, KitShipment)
        .join(User, col(User.id) == CampaignApplication.user_id)
        .outerjoin(KitShipment, col(KitShipment.application_id) == CampaignApplication.id)
        .where(*conditions)
        .order_by(*order)
    ).all()
    return rows


def confirm_receipt(
    session: Session, *, campaign: Campaign, user: User, problem: str = "", now: datetime | None = None
) -> KitShipment:
    """The connector says their kit arrived, or reports a problem with it."""
    now = now or utcnow()
    if phase(campaign, now) == CampaignPhase.closed:
        raise Conflict(_("%(campaign)s is closed.", campaign=campaign.title))
    application = own_application(session, campaign=campaign, user=user)
    shipment = get_shipment(session, application=application)
    if application.status != ApplicationStatus.accepted or shipment is None:
        raise Conflict(_("You have no kit in this campaign."))
    if shipment.status == ShipmentStatus.pending:
        raise Conflict(_("Your kit has not shipped yet."))
    problem = problem.strip()
    if len(problem) > 500:
        raise Invalid(
            _("Please correct the marked fields."),
            fields={"problem": _("Use at most %(limit)s characters.", limit=format_number(500))},
        )
    if problem:
        shipment.status, shipment.problem = ShipmentStatus.problem, problem
        session.add(shipment)
        session.flush()
        return shipment
    # Claimed by a conditional UPDATE, so two confirmations at once deliver (and tell the webhooks) once.
    claimed = session.exec(
        update(KitShipment)
        .where(col(KitShipment.id) == shipment.id, col(KitShipment.status) != ShipmentStatus.delivered)
        .values(status=ShipmentStatus.delivered, delivered_at=now)
    )
    if claimed.rowcount != 1:
        raise Conflict(_("You confirmed your kit's arrival already."))
    session.refresh(shipment)
    campaign_events.emit_kit_delivered(session, campaign=campaign, application=application, shipment=shipment)
    return shipment
