"""Deciding on applications, one by one or by selection rules, the kit taken or released in the same transaction."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select, update

from app.accounts.models import User
from app.campaigns import events as campaign_events
from app.campaigns.kits import refuse_second_kit_for_household, release_kit, take_kit
from app.campaigns.lifecycle import DECIDING_PHASES, campaign_url, lock_campaign, require_phase
from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
)
from app.columns import utcnow
from app.communities.models import Community
from app.errors import Conflict, Invalid
from app.i18n import N_, _, use_locale
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind

DECISIONS = {
    "accept": ApplicationStatus.accepted,
    "waitlist": ApplicationStatus.waitlisted,
    "decline": ApplicationStatus.declined,
}


@dataclass
class DecisionResult:
    """What a bulk decision did: the applications changed, and why others were not (by application id)."""

    changed: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def decide_applications(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    application_ids: Sequence[int],
    decision: str,
    decided_by: User,
    now: datetime | None = None,
) -> DecisionResult:
    """Accept, waitlist or decline applications; each is its own savepoint, so one refusal leaves the rest done.

    Accepting takes a kit by a conditional UPDATE: never more kits accepted than exist, under concurrency too.
    """
    now = now or utcnow()
    if decision not in DECISIONS:
        message = _("Choose accept, waitlist or decline.")
        raise Invalid(message, fields={"decision": message})
    if not application_ids:
        message = _("Tick at least one application.")
        raise Invalid(message, fields={"application_ids": message})
    require_phase(
        campaign, now, DECIDING_PHASES, N_("You cannot decide on applications now: %(campaign)s is at “%(phase)s”.")
    )
    target = DECISIONS[decision]
    result = DecisionResult()
    for application_id in dict.fromkeys(application_ids):
        application = session.get(CampaignApplication, application_id)
        if application is None or application.campaign_id != campaign.id:
            result.refused[application_id] = _("There is no such application in this campaign.")
            continue
        previous = application.status
        try:
            with session.begin_nested():
                _decide(
                    session, campaign=campaign, community=community, application=application, target=target, now=now
                )
        except (Conflict, Invalid) as error:
            session.refresh(application)
            result.refused[application_id] = error.message
            continue
        result.changed.append(application_id)
        _tell_decision(session, campaign=campaign, community=community, application=application, actor=decided_by)
        campaign_events.emit_application_decided(session, campaign=campaign, application=application, previous=previous)
    session.refresh(campaign)
    return result


ALREADY_DECIDED = {
    ApplicationStatus.accepted: N_("This application is accepted already."),
    ApplicationStatus.waitlisted: N_("This application is waitlisted already."),
    ApplicationStatus.declined: N_("This application is declined already."),
}


def _decide(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    application: CampaignApplication,
    target: ApplicationStatus,
    now: datetime,
) -> None:
    previous = application.status
    if previous == target:
        raise Conflict(_(ALREADY_DECIDED[target]))
    if previous == ApplicationStatus.withdrawn:
        raise Conflict(_("This application was withdrawn."))
    # Claim the application in its current state, so two managers deciding at once cannot both act on it.
    claimed = session.exec(
        update(CampaignApplication)
        .where(col(CampaignApplication.id) == application.id, col(CampaignApplication.status) == previous)
        .values(status=target, decided_at=now)
    )
    if claimed.rowcount != 1:
        raise Conflict(_("Someone else decided on this application just now."))
    if previous == ApplicationStatus.accepted:
        release_kit(session, campaign=campaign, application=application)
    if target == ApplicationStatus.accepted:
        take_kit(session, campaign=campaign, community=community, application=application)
        # After the kit's UPDATE, which holds the campaign's row: two household mates accepted at once queue here.
        refuse_second_kit_for_household(session, campaign=campaign, application=application)
    session.refresh(application)


def _tell_decision(
    session: Session, *, campaign: Campaign, community: Community, application: CampaignApplication, actor: User
) -> None:
    user = session.get(User, application.user_id)
    assert user is not None
    link = f"{campaign_url(campaign, community)}/mine"
    texts = {
        ApplicationStatus.accepted: N_("You are a connector for %(campaign)s! Check your shipping address."),
        ApplicationStatus.waitlisted: N_("You are on the waiting list for %(campaign)s."),
        ApplicationStatus.declined: N_("Your application to %(campaign)s was not selected this time."),
    }
    with use_locale(user.locale, user.time_zone):  # in the applicant's language
        text = _(texts[application.status], campaign=campaign.title)
        subject = _("%(campaign)s: your application", campaign=campaign.title)
    # notify() also e-mails them, now or in a digest, as they chose for the kind.
    notifications_service.notify(
        session,
        user=user,
        kind=NotificationKind.campaign_decision,
        text=text,
        link=link,
        actor=actor,
        community=community,
        email_subject=subject,
    )


@dataclass(frozen=True)
class SelectionRules:
    """Auto-selection: eligible applicants with at least this network, largest networks first, then earliest."""

    min_network_size: int = 1
    waitlist_the_rest: bool = True


def auto_select(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    rules: SelectionRules,
    decided_by: User,
    now: datetime | None = None,
) -> DecisionResult:
    """Accept the best-fitting open applications up to the kits left, one per household; waitlist the other
    fitting ones."""
    now = now or utcnow()
    require_phase(
        campaign, now, DECIDING_PHASES, N_("You cannot select connectors now: %(campaign)s is at “%(phase)s”.")
    )
    candidates = session.exec(
        select(CampaignApplication.id, CampaignApplication.household_key)
        .where(
            CampaignApplication.campaign_id == campaign.id,
            col(CampaignApplication.status).in_([ApplicationStatus.applied, ApplicationStatus.waitlisted]),
            col(CampaignApplication.eligible).is_(True),
            CampaignApplication.network_size >= rules.min_network_size,
        )
        .order_by(col(CampaignApplication.network_size).desc(), col(CampaignApplication.created_at).asc())
    ).all()
    left = lock_campaign(session, campaign)
    room = left.kit_count - left.kits_accepted
    households = set(
        session.exec(
            select(CampaignApplication.household_key).where(
                CampaignApplication.campaign_id == campaign.id,
                CampaignApplication.status == ApplicationStatus.accepted,
                col(CampaignApplication.household_key).is_not(None),
            )
        ).all()
    )
    chosen: list[int] = []
    rest: list[int] = []
    for application_id, key in candidates:
        if application_id is None:
            continue
        if len(chosen) < room and (key is None or key not in households):
            chosen.append(application_id)
            households.add(key)
        else:
            rest.append(application_id)
    result = DecisionResult()
    if chosen:
        accepted = decide_applications(
            session,
            campaign=campaign,
            community=community,
            application_ids=chosen,
            decision="accept",
            decided_by=decided_by,
            now=now,
        )
        result.changed += accepted.changed
        result.refused.update(accepted.refused)
    if rules.waitlist_the_rest:
        open_rest = [
            application_id
            for application_id in rest
            if (found := session.get(CampaignApplication, application_id)) is not None
            and found.status == ApplicationStatus.applied
        ]
        if open_rest:
            waitlisted = decide_applications(
                session,
                campaign=campaign,
                community=community,
                application_ids=open_rest,
                decision="waitlist",
                decided_by=decided_by,
                now=now,
            )
            result.changed += waitlisted.changed
            result.refused.update(waitlisted.refused)
    return result
