"""Appeal pages: a member reads a decision about them and appeals it once; the community's moderators (never the one
who decided) grant or reject the appeals."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.columns import RowId
from app.communities.deps import CommunityAccess, community_access
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.i18n import _
from app.moderation import appeals as moderation_appeals
from app.moderation import evidence, subjects
from app.moderation.models import AppealStatus, AuditEntry, SubjectKind
from app.moderation.views import BASE
from app.permissions import Action
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
# Decisions name and link their subject for the author when it is content members open themselves.
LINKED_SUBJECTS = frozenset({SubjectKind.design, SubjectKind.comment, SubjectKind.idea})


def _appeals_context(session: Session, access: CommunityAccess) -> dict[str, Any]:
    rows = moderation_appeals.list_appeals(session, community=access.community, status=None)
    # The moderator who made a decision may not decide its appeal: they see who may, not the buttons.
    viewer_id = access.user.id if access.user is not None else None
    own = {appeal.id for appeal, entry, _ in rows if entry.actor_id is not None and entry.actor_id == viewer_id}
    return {"community": access.community, "rows": rows, "pending": AppealStatus.pending, "form": {}, "own": own}


@router.get(BASE + "/appeals", name="moderation:appeals")
def appeals(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.moderate_community)
) -> Response:
    return render(request, "moderation/appeals.html", _appeals_context(session, access))


@router.post(BASE + "/appeals/{appeal_id}")
def decide_appeal(
    request: Request,
    appeal_id: RowId,
    session: SessionDep,
    outcome: FormText = "",
    reason: FormText = "",
    access: CommunityAccess = community_access(Action.moderate_community),
) -> Response:
    assert access.user is not None
    try:
        found = moderation_appeals.get_appeal(session, community=access.community, appeal_id=appeal_id)
        if outcome not in ("grant", "reject"):
            raise Invalid(_("Grant or reject the appeal."), fields={"outcome": _("Grant or reject the appeal.")})
        moderation_appeals.decide_appeal(
            session,
            community=access.community,
            decider=access.user,
            appeal=found,
            grant=outcome == "grant",
            reason=reason,
        )
    except AppError as error:
        context = _appeals_context(session, access)
        context["form"] = {"appeal_id": appeal_id, "reason": reason}
        return form_error(request, session, "moderation/appeals.html", context, error)
    response = redirect(request, f"/c/{access.community.slug}/moderation/appeals")
    message = (
        _("Appeal granted; the member is told.") if outcome == "grant" else _("Appeal rejected; the member is told.")
    )
    flash.add(response, request, message)
    return response


def _decided_subject(session: Session, access: CommunityAccess, entry: AuditEntry) -> subjects.SubjectInfo | None:
    """What a decision was about, named and linked for its author (gone, or a kind members don't open: none)."""
    if entry.subject_kind not in LINKED_SUBJECTS or entry.subject_id is None:
        return None
    try:
        return subjects.describe(
            session, kind=entry.subject_kind, subject_id=entry.subject_id, community_id=access.community.id or 0
        )
    except AppError:
        return None


def _decision_context(session: Session, access: CommunityAccess, entry_id: RowId, **form: Any) -> dict[str, Any]:
    assert access.user is not None
    entry = moderation_appeals.get_decision(session, community=access.community, entry_id=entry_id, viewer=access.user)
    ends_at = entry.after.get("ends_at") if isinstance(entry.after, dict) else None
    return {
        "community": access.community,
        "entry": entry,
        "subject": _decided_subject(session, access, entry),
        "seen": evidence.as_seen(session, kind=entry.subject_kind, subject_id=entry.subject_id)
        if entry.subject_kind in LINKED_SUBJECTS and entry.subject_id is not None
        else None,
        "ends_at": datetime.fromisoformat(ends_at) if isinstance(ends_at, str) else None,
        "appeal": moderation_appeals.appeal_for(session, entry=entry),
        "appealable": entry.action in moderation_appeals.APPEALABLE,
        "form": form,
    }


@router.get("/c/{community_slug}/decisions/{entry_id}", name="moderation:decision")
def decision(
    request: Request,
    entry_id: RowId,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.appeal_decision),
) -> Response:
    return render(request, "moderation/decision.html", _decision_context(session, access, entry_id))


@router.post("/c/{community_slug}/decisions/{entry_id}/appeal")
def appeal(
    request: Request,
    entry_id: RowId,
    session: SessionDep,
    body: FormText = "",
    access: CommunityAccess = community_access(Action.appeal_decision),
) -> Response:
    assert access.user is not None
    context = _decision_context(session, access, entry_id, body=body)
    try:
        moderation_appeals.file_appeal(
            session, community=access.community, appellant=access.user, entry_id=entry_id, body=body
        )
    except AppError as error:
        return form_error(request, session, "moderation/decision.html", context, error)
    response = redirect(request, f"/c/{access.community.slug}/decisions/{entry_id}")
    flash.add(response, request, _("Your appeal is filed; another moderator will decide it."))
    return response
