"""Moderation pages: report, the queue and its decisions, sanctions, settings, the audit log, site-wide bans and
one's own data (appeals: app.moderation.appeal_views; vote integrity: app.moderation.integrity_views). Forms work
without JavaScript; htmx swaps the queue's list."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.deps import AccountUser, SiteAdmin, clear_session_cookie
from app.accounts.models import User
from app.columns import RowId
from app.communities.deps import CommunityAccess, community_access
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.i18n import N_, _, ngettext
from app.insights.deps import SurveyAccess, survey_access
from app.moderation import appeals as moderation_appeals
from app.moderation import audit as moderation_audit
from app.moderation import decisions as moderation_decisions
from app.moderation import evidence, labels, privacy, subjects
from app.moderation import queue as moderation_queue
from app.moderation import reports as moderation_reports
from app.moderation import sanctions as moderation_sanctions
from app.moderation import screening as moderation_screening
from app.moderation.models import (
    AuditAction,
    Decision,
    ItemFlag,
    ItemStatus,
    ModerationSettings,
    ReportReason,
    SanctionKind,
    SubjectKind,
)
from app.permissions import Action
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect, safe_next
from app.web.templating import render, templates

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
BASE = "/c/{community_slug}/moderation"

templates.env.globals["moderation_label"] = labels.label

DECISION_LABELS = {
    Decision.hide: N_("Hide (the author may appeal)"),
    Decision.restore: N_("Keep or approve: dismiss the reports (shown)"),
    Decision.remove: N_("Remove (the author may appeal)"),
}
# The keys that pick a decision on the queue and item pages (static/js/moderation.js), announced beside each choice
# and in its aria-keyshortcuts. "d" dismisses the reports: the item stays (or becomes) shown.
DECISION_KEYS = {Decision.hide: "h", Decision.restore: "d", Decision.remove: "r"}
PROFILE_RESTORE_LABEL = N_("Dismiss the reports (the profile stays as it is)")


def _reason_choices() -> list[tuple[str, str]]:
    """The report reasons as (value, words) in the current language."""
    return [(reason.value, labels.label("reason", reason)) for reason in ReportReason]


def _int(value: str, field_name: str) -> int:
    if not value.strip().lstrip("-").isdigit():
        raise Invalid(_("Please correct the marked fields."), fields={field_name: _("Enter a whole number.")})
    return int(value)


# --- reporting -------------------------------------------------------------------------------------------------


def _report_context(
    session: Session, access: CommunityAccess, kind: str, subject_id: RowId, **form: Any
) -> dict[str, Any]:
    subject = subjects.describe_for_members(
        session, kind=kind, subject_id=subject_id, community_id=access.community.id or 0
    )
    return {
        "community": access.community,
        "kind": kind,
        "report_title": labels.report_title(kind),
        "subject_id": subject_id,
        "subject": subject,
        "reasons": _reason_choices(),
        "form": form,
    }


@router.get("/c/{community_slug}/report/{kind}/{subject_id}", name="moderation:report")
def report_form(
    request: Request,
    session: SessionDep,
    kind: str,
    subject_id: RowId,
    access: CommunityAccess = community_access(Action.report_content),
) -> Response:
    context = _report_context(session, access, kind, subject_id)
    return render(request, "moderation/report.html", context)


@router.post("/c/{community_slug}/report/{kind}/{subject_id}")
def report(
    request: Request,
    session: SessionDep,
    kind: str,
    subject_id: RowId,
    reason: FormText = "",
    note: FormText = "",
    access: CommunityAccess = community_access(Action.report_content),
) -> Response:
    assert access.user is not None
    number = subject_id
    context = _report_context(session, access, kind, number, reason=reason, note=note)
    try:
        moderation_reports.report_subject(
            session,
            community=access.community,
            reporter=access.user,
            kind=kind,
            subject_id=number,
            reason=reason,
            note=note,
        )
    except AppError as error:
        return form_error(request, session, "moderation/report.html", context, error)
    response = redirect(request, context["subject"].link)
    flash.add(response, request, _("Thank you: your report is with the moderators."))
    return response


# --- reporting a survey response (the brand's staff, from a survey's results) ---------------------------------

RESPONSE_REPORT = "/brands/{brand_slug}/surveys/{survey_id}/insights/responses/{response_id}/report"


def _response_report_context(
    session: Session, access: SurveyAccess, response_id: RowId, next_url: str, **form: Any
) -> dict[str, Any]:
    answers_url = f"/brands/{access.brand.slug}/surveys/{access.survey.id}/insights"
    return {
        "brand": access.brand,
        "survey": access.survey,
        "target": moderation_reports.response_for_report(session, survey=access.survey, response_id=response_id),
        "next_url": safe_next(next_url, answers_url),
        "results_url": answers_url,
        "reasons": _reason_choices(),
        "form": form,
    }


@router.get(RESPONSE_REPORT, name="moderation:report_response")
def report_response_form(
    request: Request,
    session: SessionDep,
    response_id: RowId,
    next: str = "",
    access: SurveyAccess = survey_access(Action.report_response),
) -> Response:
    context = _response_report_context(session, access, response_id, next)
    return render(request, "moderation/report_response.html", context)


@router.post(RESPONSE_REPORT)
def report_response(
    request: Request,
    session: SessionDep,
    response_id: RowId,
    reason: FormText = "",
    note: FormText = "",
    next: FormText = "",
    access: SurveyAccess = survey_access(Action.report_response),
) -> Response:
    assert access.user is not None
    context = _response_report_context(session, access, response_id, next, reason=reason, note=note)
    try:
        outcome = moderation_reports.report_response(
            session, survey=access.survey, response_id=response_id, reporter=access.user, reason=reason, note=note
        )
    except AppError as error:
        return form_error(request, session, "moderation/report_response.html", context, error)
    response = redirect(request, context["next_url"])
    community = context["target"].community
    if outcome.auto_hidden:
        message = _(
            "Thank you: your report is with the moderators of %(community)s. It is left out of the results until "
            "they decide.",
            community=community.name,
        )
    else:
        message = _("Thank you: your report is with the moderators of %(community)s.", community=community.name)
    flash.add(response, request, message)
    return response


# --- the queue -------------------------------------------------------------------------------------------------


def _queue_context(session: Session, access: CommunityAccess, filters: moderation_queue.QueueFilters) -> dict[str, Any]:
    entries = moderation_queue.list_queue(session, community=access.community, filters=filters)
    return {
        "community": access.community,
        "access": access,
        "entries": entries,
        "evidence": evidence.for_entries(session, community=access.community, entries=entries),
        "filters": filters,
        "statuses": [
            ("waiting", _("Waiting (open and held)")),
            ("all", _("All")),
            *((s.value, labels.label("status", s)) for s in ItemStatus),
        ],
        "kinds": [kind.value for kind in SubjectKind],
        "flags": [flag.value for flag in ItemFlag],
        "reasons": _reason_choices(),
        "decisions": [(decision.value, _(DECISION_LABELS[decision]), DECISION_KEYS[decision]) for decision in Decision],
        "sanction_kinds": [kind.value for kind in SanctionKind],
        "sanctions": moderation_sanctions.list_sanctions(session, community=access.community, active_only=True),
        "pending_appeals": len(moderation_appeals.list_appeals(session, community=access.community)),
        "form": {},
        "sanction_action": f"/c/{access.community.slug}/moderation/sanctions",
        "sanction_owner": None,
        "sanction_form": {},
        "sanction_errors": {},
    }


@router.get(BASE, name="moderation:queue")
def queue(
    request: Request,
    session: SessionDep,
    status: str = "waiting",
    kind: str = "",
    flag: str = "",
    reason: str = "",
    access: CommunityAccess = community_access(Action.moderate_community),
) -> Response:
    filters = moderation_queue.QueueFilters(status=status, kind=kind, flag=flag, reason=reason)
    try:
        context = _queue_context(session, access, filters)
    except AppError as error:
        context = _queue_context(session, access, moderation_queue.QueueFilters())
        return render(request, "moderation/queue.html", {**context, "error": error.message}, status_code=422)
    return render(request, "moderation/queue.html", context, block="queue")


@router.post(BASE + "/decide")
async def decide(
    request: Request,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.moderate_community),
) -> Response:
    """The queue's one form: the ticked items (``item_ids``), a decision and a reason (bulk or one item)."""
    assert access.user is not None
    posted = await request.form()
    ids = [int(str(value)) for value in posted.getlist("item_ids") if str(value).isdigit()]
    decision, reason = str(posted.get("decision", "")), str(posted.get("reason", ""))
    try:
        entries = moderation_decisions.decide(
            session, community=access.community, moderator=access.user, item_ids=ids, decision=decision, reason=reason
        )
    except AppError as error:
        context = _queue_context(session, access, moderation_queue.QueueFilters())
        context["form"] = {"decision": decision, "reason": reason, "item_ids": ids}
        return form_error(request, session, "moderation/queue.html", context, error)
    response = redirect(request, f"/c/{access.community.slug}/moderation")
    flash.add(
        response,
        request,
        ngettext(
            "Done: %(decision)s on %(num)s item.",
            "Done: %(decision)s on %(num)s items.",
            len(entries),
            decision=labels.label("action", decision),
        ),
    )
    return response


def _item_context(session: Session, access: CommunityAccess, item_id: RowId, **form: Any) -> dict[str, Any]:
    detail = moderation_queue.item_detail(session, community=access.community, item_id=item_id)
    people = moderation_audit.users_by_id(
        session, {i for e in detail.audit for i in (e.actor_id, e.target_user_id) if i is not None}
    )
    kind = detail.entry.item.subject_kind
    profile = kind == SubjectKind.profile
    found = evidence.for_item(session, community=access.community, entry=detail.entry)
    people.update(
        moderation_audit.users_by_id(session, {e.actor_id for e in found.author_decisions if e.actor_id is not None})
    )
    return {
        "community": access.community,
        "detail": detail,
        "subject_heading": labels.subject_heading(kind),
        "evidence": found,
        "people": people,
        "decisions": [
            (
                decision.value,
                _(PROFILE_RESTORE_LABEL) if profile else _(DECISION_LABELS[decision]),
                DECISION_KEYS[decision],
            )
            for decision in moderation_decisions.decisions_for(kind)
        ],
        "form": form,
        "reason_labels": dict(_reason_choices()),
        # A profile cannot be hidden: its owner is warned, suspended or banned from here instead.
        "sanction_owner": detail.entry.author if profile else None,
        "sanction_action": f"/c/{access.community.slug}/moderation/items/{item_id}/sanction",
        "sanction_form": {},
        "sanction_errors": {},
    }


@router.get(BASE + "/items/{item_id}", name="moderation:item")
def item(
    request: Request,
    item_id: RowId,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.moderate_community),
) -> Response:
    return render(request, "moderation/item.html", _item_context(session, access, item_id))


@router.post(BASE + "/items/{item_id}/decide")
def decide_item(
    request: Request,
    item_id: RowId,
    session: SessionDep,
    decision: FormText = "",
    reason: FormText = "",
    access: CommunityAccess = community_access(Action.moderate_community),
) -> Response:
    """The item page's form: one decision on this item; a refusal shows the item again with what was typed."""
    assert access.user is not None
    try:
        moderation_decisions.decide(
            session,
            community=access.community,
            moderator=access.user,
            item_ids=[item_id],
            decision=decision,
            reason=reason,
        )
    except AppError as error:
        context = _item_context(session, access, item_id, decision=decision, reason=reason)
        return form_error(request, session, "moderation/item.html", context, error)
    response = redirect(request, f"/c/{access.community.slug}/moderation")
    flash.add(
        response,
        request,
        _("Done: %(decision)s on item %(item)s.", decision=labels.label("action", decision), item=item_id),
    )
    return response


@router.get(BASE + "/designs/{design_id}/image", name="moderation:design_image")
def design_image(
    design_id: RowId,
    session: SessionDep,
    size: str = "full",
    access: CommunityAccess = community_access(Action.moderate_community),
) -> Response:
    """A design's rendition for this community's moderators, hidden designs included (never the original)."""
    image = evidence.design_image(session, community=access.community, design_id=design_id, size=size)
    caching = {"Cache-Control": "private, max-age=3600"}  # i18n: ignore
    return Response(image.content, media_type=image.media_type, headers=caching)


def _sanction_from_form(
    session: Session,
    access: CommunityAccess,
    member: User,
    *,
    kind: str,
    days: str,
    reason: str,
    item_id: RowId | None = None,
) -> None:
    """The sanction form (queue or profile item) to the service: the days count only for a suspension."""
    assert access.user is not None
    moderation_sanctions.sanction_member(
        session,
        community=access.community,
        moderator=access.user,
        member=member,
        kind=kind,
        reason=reason,
        days=_int(days, "days") if kind == SanctionKind.suspension else None,
        item_id=item_id,
    )


def _sanctioned(kind: str, handle: str, *, reporters_told: bool) -> str:
    """The flash after a sanction: one whole sentence per kind."""
    if reporters_told:
        if kind == SanctionKind.ban:
            return _("@%(handle)s is banned; they are told why, and the reporters are told.", handle=handle)
        if kind == SanctionKind.suspension:
            return _("@%(handle)s is suspended; they are told why, and the reporters are told.", handle=handle)
        return _("@%(handle)s is warned; they are told why, and the reporters are told.", handle=handle)
    if kind == SanctionKind.ban:
        return _("@%(handle)s is banned; they are told why.", handle=handle)
    if kind == SanctionKind.suspension:
        return _("@%(handle)s is suspended; they are told why.", handle=handle)
    return _("@%(handle)s is warned; they are told why.", handle=handle)


@router.post(BASE + "/items/{item_id}/sanction")
def sanction_owner(
    request: Request,
    item_id: RowId,
    session: SessionDep,
    kind: FormText = "",
    days: FormText = "",
    reason: FormText = "",
    access: CommunityAccess = community_access(Action.moderate_community),
) -> Response:
    """Warn, suspend or ban a reported profile's owner from its item: the sanction resolves the item's reports."""
    assert access.user is not None
    context = _item_context(session, access, item_id)
    owner = context["sanction_owner"]
    try:
        if owner is None:
            raise Invalid(_("Only a reported profile's owner is sanctioned from its item; use the queue's form."))
        _sanction_from_form(session, access, owner, kind=kind, days=days, reason=reason, item_id=item_id)
    except AppError as error:
        context["sanction_form"] = {"kind": kind, "days": days, "sanction_reason": reason}
        context["sanction_errors"] = error.fields
        return form_error(request, session, "moderation/item.html", context, error)
    response = redirect(request, f"/c/{access.community.slug}/moderation")
    flash.add(response, request, _sanctioned(kind, owner.handle, reporters_told=True))
    return response


@router.post(BASE + "/sanctions")
def sanction(
    request: Request,
    session: SessionDep,
    handle: FormText = "",
    kind: FormText = "",
    days: FormText = "",
    reason: FormText = "",
    access: CommunityAccess = community_access(Action.moderate_community),
) -> Response:
    assert access.user is not None
    try:
        member = accounts_service.get_user_by_handle(session, handle=handle.strip().lstrip("@"))
        _sanction_from_form(session, access, member, kind=kind, days=days, reason=reason)
    except AppError as error:
        context = _queue_context(session, access, moderation_queue.QueueFilters())
        context["sanction_form"] = {"handle": handle, "kind": kind, "days": days, "sanction_reason": reason}
        context["sanction_errors"] = error.fields
        return form_error(request, session, "moderation/queue.html", context, error)
    response = redirect(request, f"/c/{access.community.slug}/moderation")
    flash.add(response, request, _sanctioned(kind, handle.strip().lstrip("@"), reporters_told=False))
    return response


@router.post(BASE + "/sanctions/{sanction_id}/lift")
def lift(
    request: Request,
    sanction_id: RowId,
    session: SessionDep,
    reason: FormText = "",
    access: CommunityAccess = community_access(Action.moderate_community),
) -> Response:
    try:
        found = moderation_sanctions.get_sanction(session, community=access.community, sanction_id=sanction_id)
        moderation_sanctions.lift_sanction(
            session, community=access.community, moderator=access.user, sanction=found, reason=reason
        )
    except AppError as error:
        context = _queue_context(session, access, moderation_queue.QueueFilters())
        return form_error(request, session, "moderation/queue.html", context, error)
    response = redirect(request, f"/c/{access.community.slug}/moderation")
    flash.add(response, request, _("The sanction is lifted."))
    return response


# --- settings --------------------------------------------------------------------------------------------------


def _settings_form(settings: ModerationSettings) -> dict[str, Any]:
    return {
        "auto_hide_threshold": str(settings.auto_hide_threshold),
        "premoderation": settings.premoderation,
        "premoderation_posts": str(settings.premoderation_posts),
        "blocked_words": settings.blocked_words,
    }


@router.get(BASE + "/settings", name="moderation:settings")
def settings_page(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.moderate_community)
) -> Response:
    current = moderation_screening.settings_for(session, community=access.community)
    return render(request, "moderation/settings.html", {"community": access.community, "form": _settings_form(current)})


@router.post(BASE + "/settings")
def save_settings(
    request: Request,
    session: SessionDep,
    auto_hide_threshold: FormText = "",
    premoderation: FormText = "",
    premoderation_posts: FormText = "1",
    blocked_words: FormText = "",
    access: CommunityAccess = community_access(Action.moderate_community),
) -> Response:
    assert access.user is not None
    form = {
        "auto_hide_threshold": auto_hide_threshold,
        "premoderation": bool(premoderation),
        "premoderation_posts": premoderation_posts,
        "blocked_words": blocked_words,
    }
    try:
        moderation_screening.update_settings(
            session,
            community=access.community,
            moderator=access.user,
            auto_hide_threshold=_int(auto_hide_threshold, "auto_hide_threshold"),
            premoderation=bool(premoderation),
            premoderation_posts=_int(premoderation_posts, "premoderation_posts"),
            blocked_words=blocked_words,
        )
    except AppError as error:
        return form_error(
            request, session, "moderation/settings.html", {"community": access.community, "form": form}, error
        )
    response = redirect(request, f"/c/{access.community.slug}/moderation/settings")
    flash.add(response, request, _("Moderation settings saved."))
    return response


# --- the audit log ---------------------------------------------------------------------------------------------


def _day(value: str, field_name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise Invalid(
            _("Use dates like %(example)s.", example="2026-11-23"),
            fields={field_name: _("Use a date like %(example)s.", example="2026-11-23")},
        ) from None


def _audit_filters(action: str, actor: str, member: str, since: str, until: str) -> moderation_audit.AuditFilters:
    return moderation_audit.AuditFilters(
        action=action, actor=actor, target=member, since=_day(since, "since"), until=_day(until, "until")
    )


@router.get(BASE + "/audit", name="moderation:audit")
def audit(
    request: Request,
    session: SessionDep,
    action: str = "",
    actor: str = "",
    member: str = "",
    since: str = "",
    until: str = "",
    access: CommunityAccess = community_access(Action.view_audit_log),
) -> Response:
    form = {"action": action, "actor": actor, "member": member, "since": since, "until": until}
    context: dict[str, Any] = {"community": access.community, "form": form, "actions": [a.value for a in AuditAction]}
    try:
        filters = _audit_filters(action, actor, member, since, until)
        rows = moderation_audit.list_audit(session, community=access.community, filters=filters)
    except AppError as error:
        return render(
            request,
            "moderation/audit.html",
            {**context, "rows": [], "error": error.message, "errors": error.fields},
            status_code=error.status_code,
        )
    return render(request, "moderation/audit.html", {**context, "rows": rows}, block="entries")


@router.get(BASE + "/audit.csv", name="moderation:audit_csv")
def audit_csv(
    session: SessionDep,
    action: str = "",
    actor: str = "",
    member: str = "",
    since: str = "",
    until: str = "",
    access: CommunityAccess = community_access(Action.view_audit_log),
) -> Response:
    filters = _audit_filters(action, actor, member, since, until)
    rows = moderation_audit.list_audit(session, community=access.community, filters=filters, limit=None)
    return Response(
        moderation_audit.audit_csv(rows),
        media_type="text/csv; charset=utf-8",  # i18n: ignore
        headers={"Content-Disposition": f'attachment; filename="audit-{access.community.slug}.csv"'},  # i18n: ignore
    )


# --- site-wide bans (site admins) ------------------------------------------------------------------------------


def _bans_context(session: Session, **form: Any) -> dict[str, Any]:
    return {"bans": moderation_sanctions.list_site_bans(session), "form": form}


@router.get("/admin/bans", name="moderation:site_bans")
def site_bans(request: Request, session: SessionDep, _admin: SiteAdmin) -> Response:
    return render(request, "moderation/site_bans.html", _bans_context(session))


@router.post("/admin/bans")
def ban_site_wide(
    request: Request, session: SessionDep, admin: SiteAdmin, handle: FormText = "", reason: FormText = ""
) -> Response:
    assert admin is not None
    try:
        member = accounts_service.get_user_by_handle(session, handle=handle.strip().lstrip("@"))
        moderation_sanctions.ban_site_wide(session, admin=admin, user=member, reason=reason)
    except AppError as error:
        return form_error(
            request, session, "moderation/site_bans.html", _bans_context(session, handle=handle, reason=reason), error
        )
    response = redirect(request, "/admin/bans")
    flash.add(
        response, request, _("@%(handle)s is banned from Chorus; their account is deactivated.", handle=member.handle)
    )
    return response


# --- one's own data --------------------------------------------------------------------------------------------


@router.get("/settings/privacy", name="moderation:privacy")
def privacy_page(request: Request, _user: AccountUser) -> Response:
    return render(request, "moderation/privacy.html", {})


@router.get("/settings/privacy/export")
def export(session: SessionDep, user: AccountUser) -> JSONResponse:
    return JSONResponse(
        privacy.export_member_data(session, user=user),
        headers={"Content-Disposition": f'attachment; filename="chorus-{user.handle}.json"'},  # i18n: ignore
    )


@router.post("/settings/privacy/delete")
def delete_account(request: Request, session: SessionDep, user: AccountUser, password: FormText = "") -> Response:
    try:
        privacy.delete_account(session, user=user, password=password)
    except AppError as error:
        return form_error(request, session, "moderation/privacy.html", {}, error)
    response = redirect(request, "/")
    clear_session_cookie(response)
    flash.add(response, request, _("Your account is deleted. Goodbye."))
    return response
