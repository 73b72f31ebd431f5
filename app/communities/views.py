"""HTML pages for communities: the directory, a community's home, joining, members, settings and invites."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import InvitedUser, Public
from app.brands import service as brands_service
from app.campaigns import lifecycle as campaign_lifecycle
from app.columns import PageNumber, RowId
from app.communities import service as communities_service
from app.communities.deps import CommunityAccess, community_access
from app.communities.models import CommunityKind, MemberRole, Visibility
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.i18n import N_, _
from app.i18n.locales import LANGUAGES
from app.permissions import Action
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
# What the team sees after changing a role: one whole sentence per role (a role is a noun in German).
ROLE_CHANGED = {
    MemberRole.member: N_("@%(handle)s is now a member."),
    MemberRole.connector: N_("@%(handle)s is now a connector."),
    MemberRole.moderator: N_("@%(handle)s is now a moderator."),
}
CHOICES = {"kinds": list(CommunityKind), "visibilities": list(Visibility), "roles": list(MemberRole)}


@router.get("/", name="home")
def home(request: Request, session: SessionDep, user: Public) -> Response:
    communities = communities_service.list_public_communities(session)
    memberships = communities_service.list_memberships(session, user=user) if user else []
    staffed = brands_service.list_staffed_brands(session, user=user) if user else []
    return render(
        request,
        "communities/home.html",
        {"communities": communities, "memberships": memberships, "staffed_brands": staffed},
    )


def _community_page(
    request: Request, session: SessionDep, access: CommunityAccess, *, status_code: int = 200, **extra: object
) -> Response:
    brand = brands_service.get_brand_by_id(session, brand_id=access.community.brand_id)
    context = {
        "community": access.community,
        "brand": brand,
        "access": access,
        "Action": Action,
        "campaigns": campaign_lifecycle.current_campaigns(session, community=access.community, user=access.user),
        "phase_labels": campaign_lifecycle.PHASE_LABELS,
        **extra,
    }
    return render(
        request,
        "communities/detail.html",
        context,
        block="membership",
        status_code=status_code,
    )


@router.get("/c/{community_slug}", name="communities:detail")
def detail(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.view_community)
) -> Response:
    return _community_page(request, session, access)


@router.post("/c/{community_slug}/join", name="communities:join")
def join(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.join_community)
) -> Response:
    assert access.user is not None
    try:
        communities_service.join_community(session, community=access.community, user=access.user)
    except AppError as error:
        session.rollback()
        return _community_page(request, session, access, error=error.message, status_code=error.status_code)
    response = redirect(request, f"/c/{access.community.slug}")
    flash.add(response, request, _("Welcome to %(community)s!", community=access.community.name))
    return response


@router.post("/c/{community_slug}/leave", name="communities:leave")
def leave(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.leave_community)
) -> Response:
    assert access.user is not None
    communities_service.leave_community(session, community=access.community, user=access.user)
    response = redirect(request, f"/c/{access.community.slug}")
    flash.add(response, request, _("You have left %(community)s.", community=access.community.name), "info")
    return response


@router.get("/c/{community_slug}/members", name="communities:members")
def members(
    request: Request,
    session: SessionDep,
    q: str = "",
    role: str = "",
    page: PageNumber = 1,
    access: CommunityAccess = community_access(Action.view_members),
) -> Response:
    listing = communities_service.list_members(session, community=access.community, search=q, role=role, page=page)
    return render(
        request,
        "communities/members.html",
        {
            "community": access.community,
            "listing": listing,
            "q": q,
            "role": role,
            "access": access,
            "Action": Action,
            **CHOICES,
        },
        block="member_list",
    )


@router.post("/c/{community_slug}/members/{handle}/role", name="communities:change_role")
def change_role(
    request: Request,
    handle: str,
    session: SessionDep,
    role: FormText = "",
    access: CommunityAccess = community_access(Action.manage_community),
) -> Response:
    communities_service.change_member_role(session, community=access.community, handle=handle, role=role)
    response = redirect(request, f"/c/{access.community.slug}/members")
    flash.add(response, request, _(ROLE_CHANGED[MemberRole(role)], handle=handle))
    return response


def _settings_context(session: SessionDep, access: CommunityAccess, **extra: object) -> dict[str, object]:
    community = access.community
    form = {
        "name": community.name,
        "tagline": community.tagline,
        "description": community.description,
        "kind": community.kind,
        "visibility": community.visibility,
        "default_locale": community.default_locale,
    }
    invites = communities_service.list_invites(session, community=community)
    languages = list(LANGUAGES.items())
    context = {"community": community, "form": form, "invites": invites, "invite_form": {}, "languages": languages}
    return {**context, **CHOICES, **extra}


@router.get("/c/{community_slug}/settings", name="communities:settings")
def settings_page(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.manage_community)
) -> Response:
    return render(request, "communities/settings.html", _settings_context(session, access))


@router.post("/c/{community_slug}/settings")
def update_settings(
    request: Request,
    session: SessionDep,
    name: FormText = "",
    tagline: FormText = "",
    description: FormText = "",
    kind: FormText = "",
    visibility: FormText = "",
    default_locale: FormText = "",
    access: CommunityAccess = community_access(Action.manage_community),
) -> Response:
    form = {
        "name": name,
        "tagline": tagline,
        "description": description,
        "kind": kind,
        "visibility": visibility,
        "default_locale": default_locale,
    }
    try:
        communities_service.update_community(
            session,
            community=access.community,
            name=name,
            tagline=tagline,
            description=description,
            kind=kind,
            visibility=visibility,
            default_locale=default_locale or None,
        )
    except AppError as error:
        context = {**_settings_context(session, access), "form": form}
        return form_error(request, session, "communities/settings.html", context, error)
    response = redirect(request, f"/c/{access.community.slug}/settings")
    flash.add(response, request, _("The community is saved."))
    return response


def _whole_number(value: str, field: str) -> int | None:
    """An optional whole number typed into a form; empty means none."""
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise Invalid(
            _("Please correct the marked fields."), fields={field: _("Use a whole number, or leave it empty.")}
        )
    return int(value)


@router.post("/c/{community_slug}/invites", name="communities:create_invite")
def create_invite(
    request: Request,
    session: SessionDep,
    note: FormText = "",
    max_uses: FormText = "",
    expires_in_days: FormText = "14",
    access: CommunityAccess = community_access(Action.manage_community),
) -> Response:
    invite_form = {"note": note, "max_uses": max_uses, "expires_in_days": expires_in_days}
    assert access.user is not None
    try:
        uses = _whole_number(max_uses, "max_uses")
        days = _whole_number(expires_in_days, "expires_in_days")
        invite = communities_service.create_invite(
            session,
            community=access.community,
            created_by=access.user,
            note=note,
            max_uses=uses,
            expires_in_days=days,
        )
    except AppError as error:
        context = {**_settings_context(session, access), "invite_form": invite_form, "invite_error": True}
        return form_error(request, session, "communities/settings.html", context, error, block="invites")
    context = _settings_context(session, access, new_invite=invite)
    return render(request, "communities/settings.html", context, block="invites")


@router.post("/c/{community_slug}/invites/{invite_id}/revoke", name="communities:revoke_invite")
def revoke_invite(
    request: Request,
    invite_id: RowId,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.manage_community),
) -> Response:
    communities_service.revoke_invite(session, community=access.community, invite_id=invite_id)
    if request.headers.get("HX-Request"):
        return render(request, "communities/settings.html", _settings_context(session, access), block="invites")
    response = redirect(request, f"/c/{access.community.slug}/settings")
    flash.add(response, request, _("The invite link is withdrawn."), "info")
    return response


@router.get("/invite/{code}", name="communities:invite")
def invite_page(request: Request, code: str, session: SessionDep, user: Public) -> Response:
    invite, community = communities_service.get_invite(session, code=code)
    problem = communities_service.invite_problem(invite)
    membership = communities_service.get_membership(session, community=community, user=user)
    return render(
        request,
        "communities/invite.html",
        {"community": community, "code": code, "problem": problem, "membership": membership},
        status_code=410 if problem else 200,
    )


@router.post("/invite/{code}", name="communities:accept_invite")
def accept_invite(request: Request, code: str, session: SessionDep, user: InvitedUser) -> Response:
    try:
        community = communities_service.join_by_invite(session, code=code, user=user)
    except AppError as error:
        session.rollback()
        _invite, community = communities_service.get_invite(session, code=code)
        membership = communities_service.get_membership(session, community=community, user=user)
        return render(
            request,
            "communities/invite.html",
            {"community": community, "code": code, "problem": error.message, "membership": membership},
            status_code=error.status_code,
        )
    response = redirect(request, f"/c/{community.slug}")
    flash.add(response, request, _("Welcome to %(community)s!", community=community.name))
    return response
