"""The connector's dashboard and the brand's view of connectors: samples passed on, reach by hop, standings."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.campaigns import totals as campaign_totals
from app.campaigns.applications import get_application, own_application
from app.campaigns.kits import get_shipment
from app.campaigns.lifecycle import ANSWERING_PHASES, brand_id_of, require_phase
from app.campaigns.links import root_link
from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    ConnectorReach,
    KitShipment,
    RoundtableInvitation,
    ShareLink,
    ShipmentStatus,
)
from app.columns import id_of, utcnow
from app.errors import Conflict, Invalid
from app.i18n import N_, _
from app.insights import suppression
from app.rewards import points as rewards_points
from app.rewards.models import PointsAction

MAX_SAMPLES = 1000


def connector_link(session: Session, *, campaign: Campaign, user: User) -> ShareLink | None:
    """The connector's own share link: there once their application is accepted."""
    application = get_application(session, campaign=campaign, user=user)
    if application is None or application.status != ApplicationStatus.accepted:
        return None
    return root_link(session, campaign_id=id_of(campaign), connector_id=id_of(user))


def record_samples_passed_on(
    session: Session, *, campaign: Campaign, user: User, count: int, now: datetime | None = None
) -> CampaignApplication:
    """The connector says how many samples they have passed on so far (a running total they may correct)."""
    now = now or utcnow()
    require_phase(
        campaign, now, ANSWERING_PHASES, N_("You cannot record samples passed on now: %(campaign)s is at “%(phase)s”.")
    )
    application = own_application(session, campaign=campaign, user=user)
    if application.status != ApplicationStatus.accepted:
        raise Conflict(_("Only connectors with a kit pass samples on."))
    limit = max(campaign.samples_per_kit, 1) * 10
    if not 0 <= count <= min(limit, MAX_SAMPLES):
        raise Invalid(
            _("Please correct the marked fields."),
            fields={"samples_passed_on": _("Enter a number from 0 to %(limit)s.", limit=min(limit, MAX_SAMPLES))},
        )
    application.samples_passed_on = count
    session.add(application)
    session.flush()
    campaign_totals.set_samples_rank(session, application=application)
    if count > 0:
        # Once per campaign: correcting the running total must not earn again.
        rewards_points.award_points(
            session,
            user_id=id_of(user),
            brand_id=brand_id_of(session, campaign),
            action=PointsAction.samples_passed,
            source_key=f"campaign:{id_of(campaign)}",
            now=now,
        )
    return application


@dataclass(frozen=True)
class ReachTotals:
    opens: int = 0
    responses: int = 0
    signups: int = 0
    shares: int = 0


@dataclass(frozen=True)
class ConnectorDashboard:
    application: CampaignApplication | None
    shipment: KitShipment | None
    link: ShareLink | None
    hops: Sequence[ConnectorReach]
    totals: ReachTotals
    invitation: RoundtableInvitation | None

    @property
    def reach(self) -> int:
        """People reached through the connector's links, all hops: everyone who answered."""
        return self.totals.responses

    @property
    def response_rate(self) -> float | None:
        passed = self.application.samples_passed_on if self.application else 0
        return self.totals.responses / passed if passed else None


def _totals(rows: Sequence[ConnectorReach]) -> ReachTotals:
    return ReachTotals(
        opens=sum(row.open_count for row in rows),
        responses=sum(row.response_count for row in rows),
        signups=sum(row.signup_count for row in rows),
        shares=sum(row.share_count for row in rows),
    )


def connector_dashboard(session: Session, *, campaign: Campaign, user: User) -> ConnectorDashboard:
    """One person's own view of a campaign: their application, kit, link and the network it reached."""
    application = get_application(session, campaign=campaign, user=user)
    shipment = get_shipment(session, application=application) if application else None
    hops = session.exec(
        select(ConnectorReach)
        .where(ConnectorReach.campaign_id == campaign.id, ConnectorReach.connector_id == user.id)
        .order_by(col(ConnectorReach.hop))
    ).all()
    invitation = session.exec(
        select(RoundtableInvitation).where(
            RoundtableInvitation.campaign_id == campaign.id, RoundtableInvitation.user_id == user.id
        )
    ).first()
    return ConnectorDashboard(
        application=application,
        shipment=shipment,
        link=connector_link(session, campaign=campaign, user=user),
        hops=hops,
        totals=_totals(hops),
        invitation=invitation,
    )


# ------------------------------------------------------------------------------------------------------------
# Progress and standings (staff)
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectorStanding:
    """An accepted connector's reach; ``shown_responses`` is their responses as the progress page may show them
    (``app.insights.suppression``: hidden below 5, with another to protect it), set by ``campaign_progress``."""

    user: User
    application: CampaignApplication
    shipment: KitShipment | None
    totals: ReachTotals
    shown_responses: int | None = None

    @property
    def response_rate(self) -> float | None:
        passed = self.application.samples_passed_on
        return self.totals.responses / passed if passed else None

    @property
    def shown_rate(self) -> float | None:
        """The response rate as it may be shown: it goes with the responses."""
        return self.response_rate if self.shown_responses is not None else None


@dataclass(frozen=True)
class CampaignProgress:
    """The progress page's counts. Responses are people who answered: ``responses`` (in all), ``hop_responses``
    (by_hop's, in order) and each connector's ``shown_responses`` follow the one suppression rule, while opens,
    shares and sign-ups count the links' events and stay shown, as on the campaign's results page."""

    applications: dict[str, int]
    shipments: dict[str, int]
    totals: ReachTotals
    by_hop: list[tuple[int, ReachTotals]]
    samples_passed_on: int
    connectors: list[ConnectorStanding]
    responses: int | None
    hop_responses: list[int | None]


def connector_standings(session: Session, *, campaign: Campaign) -> list[ConnectorStanding]:
    """Accepted connectors, best first: by reach (responses through all hops), then response rate."""
    rows = session.exec(
        select(CampaignApplication, User, KitShipment)
        .join(User, col(User.id) == CampaignApplication.user_id)
        .outerjoin(KitShipment, col(KitShipment.application_id) == CampaignApplication.id)
        .where(
            CampaignApplication.campaign_id == campaign.id,
            CampaignApplication.status == ApplicationStatus.accepted,
        )
    ).all()
    reach: dict[int, list[ConnectorReach]] = {}
    for row in session.exec(select(ConnectorReach).where(ConnectorReach.campaign_id == campaign.id)).all():
        reach.setdefault(row.connector_id, []).append(row)
    standings = [
        ConnectorStanding(user=user, application=application, shipment=shipment, totals=_totals(reach.get(user.id, [])))
        for application, user, shipment in rows
        if user.id is not None
    ]
    standings.sort(key=lambda s: (-s.totals.responses, -(s.response_rate or 0.0), s.application.id or 0))
    return standings


def reach_by_hop(
    session: Session, *, campaign: Campaign, connector_id: int | None = None
) -> list[tuple[int, ReachTotals]]:
    """Opens, responses, sign-ups and shares per hop, from the counters (one connector's, or everyone's)."""
    query = sa_select(
        col(ConnectorReach.hop),
        func.sum(ConnectorReach.open_count),
        func.sum(ConnectorReach.response_count),
        func.sum(ConnectorReach.signup_count),
        func.sum(ConnectorReach.share_count),
    ).where(col(ConnectorReach.campaign_id) == campaign.id)
    if connector_id is not None:
        query = query.where(col(ConnectorReach.connector_id) == connector_id)
    rows = session.execute(query.group_by(col(ConnectorReach.hop)).order_by(col(ConnectorReach.hop))).all()
    return [
        (hop, ReachTotals(int(opens or 0), int(responses or 0), int(signups or 0), int(shares or 0)))
        for hop, opens, responses, signups, shares in rows
    ]


def kit_counts(session: Session, *, campaign: Campaign) -> dict[str, int]:
    """The campaign's kits by shipment status (every status present, 0 when none)."""
    shipments = dict.fromkeys((status.value for status in ShipmentStatus), 0)
    for status, count in session.exec(
        select(KitShipment.status, func.count())
        .where(KitShipment.campaign_id == campaign.id)
        .group_by(KitShipment.status)
    ).all():
        shipments[ShipmentStatus(status).value] = count
    return shipments


def campaign_progress(session: Session, *, campaign: Campaign) -> CampaignProgress:
    """Counts for the staff's progress page: applications and kits by status, reach per hop, connectors."""
    applications = dict.fromkeys((status.value for status in ApplicationStatus), 0)
    for status, count in session.exec(
        select(CampaignApplication.status, func.count())
        .where(CampaignApplication.campaign_id == campaign.id)
        .group_by(CampaignApplication.status)
    ).all():
        applications[ApplicationStatus(status).value] = count
    shipments = kit_counts(session, campaign=campaign)
    by_hop = reach_by_hop(session, campaign=campaign)
    standings = connector_standings(session, campaign=campaign)
    shown = suppression.suppress_partition([standing.totals.responses for standing in standings])
    shown_standings = [
        replace(standing, shown_responses=responses) for standing, responses in zip(standings, shown, strict=True)
    ]
    # Hidden responses sort below every shown one, by name, so that a place tells nothing of a hidden count.
    shown_standings.sort(
        key=lambda s: (
            s.shown_responses is None,
            -(s.shown_responses or 0),
            -(s.shown_rate or 0.0),
            s.user.display_name.casefold() if s.shown_responses is None else "",
            s.application.id or 0,
        )
    )
    total_responses = sum(t.responses for _, t in by_hop)
    samples = session.exec(
        select(func.coalesce(func.sum(CampaignApplication.samples_passed_on), 0)).where(
            CampaignApplication.campaign_id == campaign.id,
            CampaignApplication.status == ApplicationStatus.accepted,
        )
    ).one()
    return CampaignProgress(
        applications=applications,
        shipments=shipments,
        totals=ReachTotals(
            opens=sum(t.opens for _, t in by_hop),
            responses=total_responses,
            signups=sum(t.signups for _, t in by_hop),
            shares=sum(t.shares for _, t in by_hop),
        ),
        by_hop=by_hop,
        samples_passed_on=int(samples),
        connectors=shown_standings,
        responses=suppression.shown(total_responses),
        hop_responses=suppression.suppress_partition([t.responses for _, t in by_hop]),
    )
