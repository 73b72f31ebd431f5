"""JSON API for moderation: the same services as the pages."""

from datetime import datetime

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.deps import AccountUser, SiteAdmin, clear_session_cookie
from app.accounts.models import User
from app.challenges.deps import ChallengeAccess, challenge_access
from app.columns import RowId, id_of, utcnow
from app.communities.deps import CommunityAccess, community_access
from app.db import SessionDep
from app.insights.deps import SurveyAccess, survey_access
from app.moderation import appeals as moderation_appeals
from app.moderation import audit as moderation_audit
from app.moderation import decisions as moderation_decisions
from app.moderation import enforcement as moderation_enforcement
from app.moderation import evidence, integrity, privacy, schemas
from app.moderation import queue as moderation_queue
from app.moderation import reports as moderation_reports
from app.moderation import sanctions as moderation_sanctions
from app.moderation import screening as moderation_screening
from app.moderation.models import Appeal, AppealStatus, AuditEntry, ModerationSettings, Sanction, SubjectKind
from app.permissions import Action

router = APIRouter(tags=["moderation"])
PREFIX = "/communities/{community_slug}"


def _image_public(image: evidence.DesignImage) -> schemas.DesignImagePublic:
    return schemas.DesignImagePublic(
        design_id=image.design_id, thumbnail_url=image.thumbnail_url, full_url=image.full_url
    )


def _side_public(side: evidence.DesignSide) -> schemas.DesignSidePublic:
    return schemas.DesignSidePublic(
        design_id=side.design_id,
        title=side.title,
        designer_handle=side.designer_handle,
        posted_at=side.posted_at,
        image=_image_public(side.image),
    )


def queue_item_public(entry: moderation_queue.QueueEntry, found: evidence.Evidence) -> schemas.QueueItemPublic:
    item, history = entry.item, entry.history
    active = history.active_sanction
    pair = found.near_duplicate
    return schemas.QueueItemPublic(
        id=id_of(item),
        subject_kind=item.subject_kind,
        subject_id=item.subject_id,
        link=entry.link,
        excerpt=item.excerpt,
        flag=item.flag,
        status=item.status,
        report_count=item.report_count,
        reasons=entry.reasons,
        author_handle=entry.author.handle if entry.author else None,
        author_history=schemas.AuthorHistoryPublic(
            items=history.items,
            reports=history.reports,
            hidden_or_removed=history.hidden_or_removed,
            sanctions=history.sanctions,
            active_sanction=str(active.kind) if active else None,
            posts=history.posts,
            account_created_at=history.account_created_at,
            account_age_days=history.account_age_days,
        ),
        created_at=item.created_at,
        decided_at=item.decided_at,
        title=found.title,
        body_html=found.body_html,
        image=_image_public(found.image) if found.image is not None else None,
        near_duplicate=schemas.NearDuplicatePublic(
            similarity=pair.similarity,
            percent_alike=pair.percent_alike,
            earlier=_side_public(pair.earlier),
            later=_side_public(pair.later),
        )
        if pair is not None
        else None,
    )


def report_public(outcome: moderation_reports.ReportOutcome) -> schemas.ReportPublic:
    return schemas.ReportPublic(
        id=id_of(outcome.report),
        item_id=id_of(outcome.item),
        reason=outcome.report.reason,
        created_at=outcome.report.created_at,
        auto_hidden=outcome.auto_hidden,
    )


def audit_public(entry: AuditEntry, actor: User | None, target: User | None) -> schemas.AuditEntryPublic:
    return schemas.AuditEntryPublic(
        id=id_of(entry),
        created_at=entry.created_at,
        actor_handle=actor.handle if actor else None,
        action=entry.action,
        subject_kind=entry.subject_kind,
        subject_id=entry.subject_id,
        member_handle=target.handle if target else None,
        reason=entry.reason,
        before=entry.before,
        after=entry.after,
    )


def sanction_public(sanction: Sanction, member: User) -> schemas.SanctionPublic:
    return schemas.SanctionPublic(
        id=id_of(sanction),
        handle=member.handle,
        kind=sanction.kind,
        reason=sanction.reason,
        created_at=sanction.created_at,
        ends_at=sanction.ends_at,
        lifted_at=sanction.lifted_at,
        active=moderation_enforcement.is_blocking(sanction, utcnow()),
    )


def appeal_public(appeal: Appeal, appellant: User) -> schemas.AppealPublic:
    return schemas.AppealPublic(
        id=id_of(appeal),
        decision_id=appeal.audit_entry_id,
        appellant_handle=appellant.handle,
        body=appeal.body,
        status=appeal.status,
        created_at=appeal.created_at,
        decided_at=appeal.decided_at,
        decision_reason=appeal.decision_reason,
    )


def settings_public(settings: ModerationSettings) -> schemas.SettingsPublic:
    return schemas.SettingsPublic(
        auto_hide_threshold=settings.auto_hide_threshold,
        premoderation=settings.premoderation,
        premoderation_posts=settings.premoderation_posts,
        blocked_words=moderation_screening.blocked_word_list(settings),
    )


def integrity_public(session: Session, access: ChallengeAccess) -> schemas.IntegrityPublic:
    report = integrity.challenge_integrity(session, challenge=access.challenge)
    clusters = report.rings
    people = moderation_audit.users_by_id(session, {i for c in clusters for i in (*c.voter_ids, c.target_designer_id)})
    challenge = access.challenge
    return schemas.IntegrityPublic(
        clusters=[
            schemas.ClusterPublic(
                voter_handles=[people[i].handle for i in cluster.voter_ids if i in people],
                voter_ids=cluster.voter_ids,
                target_designer_handle=people[cluster.target_designer_id].handle
                if cluster.target_designer_id in people
                else None,
                target_design_ids=cluster.target_design_ids,
                direction=integrity.DIRECTIONS[cluster.direction],
                score=cluster.score,
                reasons=cluster.reasons,
                votes=[
                    schemas.RingVotePublic(voter_id=v.voter_id, design_id=v.design_id, value=v.value, at=v.at)
                    for v in cluster.votes
                ],
            )
            for cluster in clusters
        ],
        preview=[schemas.RankMovePublic(**vars(move)) for move in report.moves],
        discounts=[
            schemas.DiscountPublic(
                id=id_of(discount),
                voter_ids=voters,
                reason=discount.reason,
                created_at=discount.created_at,
                restored_at=discount.restored_at,
            )
            for discount, voters in integrity.list_discounts(session, challenge=challenge)
        ],
        score_count=challenge.score_count,
        score_sum=challenge.score_sum,
    )


# --- members ---------------------------------------------------------------------------------------------------


@router.post(PREFIX + "/reports", status_code=status.HTTP_201_CREATED, summary="Report content or a profile")
def report(
    body: schemas.ReportCreate, session: SessionDep, access: CommunityAccess = community_access(Action.report_content)
) -> schemas.ReportPublic:
    assert access.user is not None
    outcome = moderation_reports.report_subject(
        session,
        community=access.community,
        reporter=access.user,
        kind=body.subject_kind,
        subject_id=body.subject_id,
        reason=body.reason,
        note=body.note,
    )
    return report_public(outcome)


@router.post(
    PREFIX + "/members/{handle}/reports",
    status_code=status.HTTP_201_CREATED,
    summary="Report a member's profile to this community's moderators",
)
def report_profile(
    handle: str,
    body: schemas.ReasonCreate,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.report_content),
) -> schemas.ReportPublic:
    assert access.user is not None
    member = accounts_service.get_user_by_handle(session, handle=handle)
    outcome = moderation_reports.report_subject(
        session,
        community=access.community,
        reporter=access.user,
        kind=SubjectKind.profile,
        subject_id=id_of(member),
        reason=body.reason,
        note=body.note,
    )
    return report_public(outcome)


@router.post(
    "/brands/{brand_slug}/surveys/{survey_id}/insights/responses/{response_id}/reports",
    status_code=status.HTTP_201_CREATED,
    summary="Report a survey response to the moderators of the community it was given in (the brand's staff)",
)
def report_response(
    response_id: RowId,
    body: schemas.ReasonCreate,
    session: SessionDep,
    access: SurveyAccess = survey_access(Action.report_response),
) -> schemas.ReportPublic:
    assert access.user is not None
    outcome = moderation_reports.report_response(
        session,
        survey=access.survey,
        response_id=response_id,
        reporter=access.user,
        reason=body.reason,
        note=body.note,
    )
    return report_public(outcome)


@router.get(PREFIX + "/decisions", summary="Moderation decisions about me in this community")
def my_decisions(
    session: SessionDep, access: CommunityAccess = community_access(Action.appeal_decision)
) -> list[schemas.DecisionPublic]:
    assert access.user is not None
    return [
        schemas.DecisionPublic(
            id=id_of(entry),
            action=entry.action,
            reason=entry.reason,
            created_at=entry.created_at,
            appeal=appeal_public(appeal, access.user) if appeal else None,
        )
        for entry, appeal in moderation_appeals.my_decisions(session, community=access.community, member=access.user)
    ]


@router.post(
    PREFIX + "/decisions/{entry_id}/appeal", status_code=status.HTTP_201_CREATED, summary="Appeal a decision, once"
)
def appeal(
    entry_id: RowId,
    body: schemas.AppealCreate,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.appeal_decision),
) -> schemas.AppealPublic:
    assert access.user is not None
    filed = moderation_appeals.file_appeal(
        session, community=access.community, appellant=access.user, entry_id=entry_id, body=body.body
    )
    return appeal_public(filed, access.user)


# --- moderators ------------------------------------------------------------------------------------------------


@router.get(PREFIX + "/moderation/queue", summary="The moderation queue, most reported first")
def queue(
    session: SessionDep,
    status_filter: str = Query("waiting", alias="status", description="waiting, all, or one item status"),
    kind: str = "",
    flag: str = "",
    reason: str = "",
    access: CommunityAccess = community_access(Action.moderate_community),
) -> list[schemas.QueueItemPublic]:
    filters = moderation_queue.QueueFilters(status=status_filter, kind=kind, flag=flag, reason=reason)
    entries = moderation_queue.list_queue(session, community=access.community, filters=filters)
    found = evidence.for_entries(session, community=access.community, entries=entries)
    return [queue_item_public(e, found[id_of(e.item)]) for e in entries]


@router.get(
    PREFIX + "/moderation/items/{item_id}",
    summary="One queue item: its content as members saw it, a design's images, its reports and history",
)
def item(
    item_id: RowId, session: SessionDep, access: CommunityAccess = community_access(Action.moderate_community)
) -> schemas.QueueItemDetail:
    detail = moderation_queue.item_detail(session, community=access.community, item_id=item_id)
    found = evidence.for_item(session, community=access.community, entry=detail.entry)
    people = moderation_audit.users_by_id(
        session,
        {i for e in [*detail.audit, *found.author_decisions] for i in (e.actor_id, e.target_user_id) if i is not None},
    )
    return schemas.QueueItemDetail(
        **queue_item_public(detail.entry, found).model_dump(),
        author_decisions=[
            audit_public(e, people.get(e.actor_id or 0), people.get(e.target_user_id or 0))
            for e in found.author_decisions
        ],
        reports=[
            schemas.ReportDetail(reporter_handle=reporter.handle, reason=r.reason, note=r.note, created_at=r.created_at)
            for r, reporter in detail.reports
        ],
        history=[audit_public(e, people.get(e.actor_id or 0), people.get(e.target_user_id or 0)) for e in detail.audit],
        decisions=moderation_decisions.decisions_for(detail.entry.item.subject_kind),
    )


@router.post(PREFIX + "/moderation/decisions", summary="Hide, restore (approve) or remove items, one or many")
def decide(
    body: schemas.DecisionCreate,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.moderate_community),
) -> list[schemas.AuditEntryPublic]:
    assert access.user is not None
    entries = moderation_decisions.decide(
        session,
        community=access.community,
        moderator=access.user,
        item_ids=body.item_ids,
        decision=body.decision,
        reason=body.reason,
    )
    people = moderation_audit.users_by_id(session, {e.target_user_id for e in entries if e.target_user_id})
    return [audit_public(e, access.user, people.get(e.target_user_id or 0)) for e in entries]


@router.get(PREFIX + "/moderation/sanctions", summary="The community's sanctions, newest first")
def sanctions(
    session: SessionDep, active: bool = False, access: CommunityAccess = community_access(Action.moderate_community)
) -> list[schemas.SanctionPublic]:
    return [
        sanction_public(sanction, member)
        for sanction, member in moderation_sanctions.list_sanctions(
            session, community=access.community, active_only=active
        )
    ]


@router.post(
    PREFIX + "/moderation/sanctions", status_code=status.HTTP_201_CREATED, summary="Warn, suspend or ban a member"
)
def sanction(
    body: schemas.SanctionCreate,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.moderate_community),
) -> schemas.SanctionPublic:
    assert access.user is not None
    member = accounts_service.get_user_by_handle(session, handle=body.handle)
    created = moderation_sanctions.sanction_member(
        session,
        community=access.community,
        moderator=access.user,
        member=member,
        kind=body.kind,
        reason=body.reason,
        days=body.days,
        item_id=body.item_id,
    )
    return sanction_public(created, member)


@router.post(PREFIX + "/moderation/sanctions/{sanction_id}/lift", summary="Lift a sanction early")
def lift(
    sanction_id: RowId,
    body: schemas.SanctionLift,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.moderate_community),
) -> schemas.SanctionPublic:
    found = moderation_sanctions.get_sanction(session, community=access.community, sanction_id=sanction_id)
    lifted = moderation_sanctions.lift_sanction(
        session, community=access.community, moderator=access.user, sanction=found, reason=body.reason
    )
    member = session.get(User, lifted.user_id)
    assert member is not None
    return sanction_public(lifted, member)


@router.get(PREFIX + "/moderation/settings", summary="Auto-hide threshold, pre-moderation and blocked words")
def get_settings(
    session: SessionDep, access: CommunityAccess = community_access(Action.moderate_community)
) -> schemas.SettingsPublic:
    return settings_public(moderation_screening.settings_for(session, community=access.community))


@router.put(PREFIX + "/moderation/settings", summary="Change the moderation settings")
def put_settings(
    body: schemas.SettingsUpdate,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.moderate_community),
) -> schemas.SettingsPublic:
    assert access.user is not None
    saved = moderation_screening.update_settings(
        session,
        community=access.community,
        moderator=access.user,
        auto_hide_threshold=body.auto_hide_threshold,
        premoderation=body.premoderation,
        premoderation_posts=body.premoderation_posts,
        blocked_words="\n".join(body.blocked_words),
    )
    return settings_public(saved)


@router.get(PREFIX + "/moderation/audit", summary="The audit log, newest first, filtered")
def audit(
    session: SessionDep,
    action: str = "",
    actor: str = "",
    member: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    access: CommunityAccess = community_access(Action.view_audit_log),
) -> list[schemas.AuditEntryPublic]:
    filters = moderation_audit.AuditFilters(action=action, actor=actor, target=member, since=since, until=until)
    return [
        audit_public(*row) for row in moderation_audit.list_audit(session, community=access.community, filters=filters)
    ]


@router.get(PREFIX + "/moderation/appeals", summary="Appeals, the pending ones by default")
def appeals(
    session: SessionDep,
    status_filter: AppealStatus | None = Query(AppealStatus.pending, alias="status"),
    access: CommunityAccess = community_access(Action.moderate_community),
) -> list[schemas.AppealPublic]:
    return [
        appeal_public(found, appellant)
        for found, _entry, appellant in moderation_appeals.list_appeals(
            session, community=access.community, status=status_filter
        )
    ]


@router.post(PREFIX + "/moderation/appeals/{appeal_id}/decision", summary="Grant or reject an appeal")
def decide_appeal(
    appeal_id: RowId,
    body: schemas.AppealDecision,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.moderate_community),
) -> schemas.AppealPublic:
    assert access.user is not None
    found = moderation_appeals.get_appeal(session, community=access.community, appeal_id=appeal_id)
    decided = moderation_appeals.decide_appeal(
        session, community=access.community, decider=access.user, appeal=found, grant=body.grant, reason=body.reason
    )
    appellant = session.get(User, decided.appellant_id)
    assert appellant is not None
    return appeal_public(decided, appellant)


CHALLENGE = PREFIX + "/challenges/{challenge_slug}/integrity"


@router.get(CHALLENGE, summary="Suspicious voting clusters and discounts in a challenge")
def challenge_integrity(
    session: SessionDep, access: ChallengeAccess = challenge_access(Action.moderate_community)
) -> schemas.IntegrityPublic:
    return integrity_public(session, access)


@router.post(
    CHALLENGE + "/discounts", status_code=status.HTTP_201_CREATED, summary="Discount voters' scores from the ranking"
)
def discount(
    body: schemas.DiscountCreate,
    session: SessionDep,
    access: ChallengeAccess = challenge_access(Action.moderate_community),
) -> schemas.IntegrityPublic:
    assert access.user is not None
    integrity.discount_voters(
        session,
        community=access.community,
        challenge=access.challenge,
        moderator=access.user,
        voter_ids=body.voter_ids,
        reason=body.reason,
    )
    return integrity_public(session, access)


@router.post(CHALLENGE + "/discounts/{discount_id}/restore", summary="Count discounted scores again")
def restore_discount(
    discount_id: RowId,
    body: schemas.DiscountRestore,
    session: SessionDep,
    access: ChallengeAccess = challenge_access(Action.moderate_community),
) -> schemas.IntegrityPublic:
    assert access.user is not None
    integrity.restore_discount(
        session,
        community=access.community,
        challenge=access.challenge,
        moderator=access.user,
        discount_id=discount_id,
        reason=body.reason,
    )
    return integrity_public(session, access)


# --- site-wide bans --------------------------------------------------------------------------------------------


@router.post("/admin/bans", status_code=status.HTTP_201_CREATED, summary="Ban an account from Chorus (site admins)")
def ban_site_wide(body: schemas.SiteBanCreate, session: SessionDep, admin: SiteAdmin) -> schemas.AuditEntryPublic:
    assert admin is not None
    member = accounts_service.get_user_by_handle(session, handle=body.handle)
    moderation_sanctions.ban_site_wide(session, admin=admin, user=member, reason=body.reason)
    (entry, actor, target), *_ = moderation_sanctions.list_site_bans(session)
    return audit_public(entry, actor, target)


# --- one's own data --------------------------------------------------------------------------------------------


@router.get("/me/export", summary="Download everything stored about me (JSON)")
def export(session: SessionDep, user: AccountUser) -> JSONResponse:
    return JSONResponse(
        privacy.export_member_data(session, user=user),
        headers={"Content-Disposition": f'attachment; filename="chorus-{user.handle}.json"'},  # i18n: ignore
    )


@router.post("/me/delete", status_code=status.HTTP_204_NO_CONTENT, summary="Delete my account (password required)")
def delete_account(body: schemas.AccountDeletion, session: SessionDep, user: AccountUser) -> Response:
    privacy.delete_account(session, user=user, password=body.password)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response)
    return response
