"""The role x route permission matrix, route by route.

1. ``app.permissions.can`` against the table in that module's docstring (parsed, so the two cannot drift).
2. The route table: every route declares exactly one permission check, and it is the one listed here.
3. The matrix: every route, for every actor of a small world, answers as ``can`` says it should.
4. Cross-brand isolation: another brand's staff see 404, never 403 and never the data.
5. Joining an invite-only community: only with a valid invite link.

Each (route, actor) case is a test of its own. The world is built once per module and every test runs in a
savepoint over it that is rolled back afterwards, so writes that succeed never reach the next case.
"""

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import fastapi.routing
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image
from sqlalchemy import Connection, Engine
from sqlmodel import Session, func, select

from app import permissions as permissions_module
from app.accounts import tokens as accounts_tokens
from app.accounts.deps import PermissionCheck, Permit, Unidentified
from app.accounts.models import ApiToken, User
from app.accounts.reads import ReadingPermit
from app.brands.deps import BrandPermit
from app.brands.models import StaffRole
from app.campaigns.deps import CampaignPermit
from app.campaigns.models import ShareLink
from app.challenges.deps import ChallengePermit, DesignPermit, ScoringPermit
from app.challenges.models import Challenge, Product
from app.columns import utcnow
from app.comments.deps import CommentPermit
from app.communities import service as communities_service
from app.communities.deps import CommunityPermit
from app.communities.models import Community, Invite, MemberRole, Membership, Visibility
from app.db import SAFE_METHODS
from app.ideas.deps import IdeaPermit
from app.insights.deps import SurveyResultsPermit
from app.main import create_app
from app.media.storage import get_storage
from app.moderation import appeals as moderation_appeals
from app.moderation import audit as moderation_audit
from app.moderation import sanctions as moderation_sanctions
from app.moderation import screening as moderation_screening
from app.moderation.models import AuditAction, AuditEntry, ModerationItem, ScoreDiscount
from app.notifications import service as notifications_service
from app.permissions import COMMUNITY_WRITE_ACTIONS, INSIDER_ROLES, PERMISSIONS, Action, Role, can
from app.preorders.models import Pledge, Preorder
from app.questions.deps import AnswerPermit, QuestionPermit
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.deps import BrandSurveyPermit, SurveyPermit
from tests.campaigns.factories import make_campaign
from tests.databases import use_test_session
from tests.factories import (
    add_member,
    add_staff,
    csrf_token,
    log_in,
    make_brand,
    make_challenge,
    make_comment,
    make_community,
    make_design,
    make_user,
)
from tests.ideas.factories import make_idea
from tests.questions.factories import allow_visitors, make_answer, make_question
from tests.rewards.factories import build_rewards_world
from tests.webhooks.factories import make_endpoint

# ------------------------------------------------------------------------------------------------------------
# 1. can() against the documented table
# ------------------------------------------------------------------------------------------------------------

_COLUMN_ROLES = {"site admin": Role.site_admin}
_ROW_ACTIONS = {"view_community (invite-only)": Action.view_invite_only_community}


def _documented_table() -> dict[Action, dict[Role, bool]]:
    """The markdown table in ``app.permissions.__doc__``: per action, whether each role's column has an x."""
    lines = [line.strip() for line in (permissions_module.__doc__ or "").splitlines() if line.strip().startswith("|")]
    header, _rule, *rows = lines
    columns = [cell.strip() for cell in header.strip("|").split("|")][1:]
    roles = [_COLUMN_ROLES.get(column) or Role(column) for column in columns]
    table: dict[Action, dict[Role, bool]] = {}
    for row in rows:
        label, *marks = (cell.strip() for cell in row.strip("|").split("|"))
        action = _ROW_ACTIONS.get(label) or Action(label.split(" ")[0])
        assert action not in table, f"{action} appears twice in the documented table"
        assert len(marks) == len(roles), f"row {label!r} has {len(marks)} cells for {len(roles)} roles"
        assert set(marks) <= {"", "x"}, f"row {label!r} has marks other than x: {marks}"
        table[action] = {role: mark == "x" for role, mark in zip(roles, marks, strict=True)}
    return table


DOCUMENTED = _documented_table()


def test_documented_table_covers_every_action_and_role() -> None:
    assert set(DOCUMENTED) == set(Action)
    assert all(set(columns) == set(Role) for columns in DOCUMENTED.values())
    assert set(PERMISSIONS) == set(Action)


@pytest.mark.parametrize(
    ("action", "role"), [(action, role) for action in Action for role in Role], ids=lambda value: str(value)
)
def test_can_matches_the_documented_table(action: Action, role: Role) -> None:
    """One role on its own, the way the table reads: its column has an x exactly where ``can`` says yes."""
    assert can(frozenset({role}), action) is DOCUMENTED[action][role]


# Whole actors, with every role they hold at once (a logged-in member is also a visitor and a user).
VISITOR = frozenset({Role.visitor})
USER = VISITOR | {Role.user}
MEMBER = USER | {Role.member}
CONNECTOR = USER | {Role.connector}
MODERATOR = USER | {Role.moderator}
ANALYST = USER | {Role.analyst}
MANAGER = USER | {Role.manager}
OWNER = USER | {Role.owner}
SITE_ADMIN = USER | {Role.site_admin}


@pytest.mark.parametrize(
    ("roles", "action", "allowed"),
    [
        (VISITOR, Action.view_public, True),
        (SITE_ADMIN, Action.view_public, True),
        (VISITOR, Action.view_community, True),
        (USER, Action.view_community, True),
        (VISITOR, Action.view_invite_only_community, False),
        (USER, Action.view_invite_only_community, False),
        (MEMBER, Action.view_invite_only_community, True),
        (ANALYST, Action.view_invite_only_community, True),
        (SITE_ADMIN, Action.view_invite_only_community, True),
        (VISITOR, Action.join_community, False),
        (USER, Action.join_community, True),
        (VISITOR, Action.join_by_invite, False),
        (USER, Action.join_by_invite, True),
        (VISITOR, Action.leave_community, False),
        (USER, Action.leave_community, False),
        (MEMBER, Action.leave_community, True),
        (MODERATOR, Action.leave_community, True),
        (OWNER, Action.leave_community, False),
        (MEMBER, Action.view_members, False),
        (CONNECTOR, Action.view_members, False),
        (MODERATOR, Action.view_members, True),
        (ANALYST, Action.view_members, True),
        (MODERATOR, Action.manage_community, False),
        (ANALYST, Action.manage_community, False),
        (MANAGER, Action.manage_community, True),
        (SITE_ADMIN, Action.manage_community, True),
        (MODERATOR, Action.view_brand, False),
        (ANALYST, Action.view_brand, True),
        (ANALYST, Action.create_community, False),
        (MANAGER, Action.create_community, True),
        (MANAGER, Action.manage_staff, False),
        (OWNER, Action.manage_staff, True),
        (SITE_ADMIN, Action.manage_staff, True),
        (VISITOR, Action.manage_own_account, False),
        (USER, Action.manage_own_account, True),
        (OWNER, Action.administer_site, False),
        (SITE_ADMIN, Action.administer_site, True),
        (USER, Action.report_content, False),
        (MEMBER, Action.report_content, True),
        (ANALYST, Action.report_content, False),
        (MEMBER, Action.moderate_community, False),
        (MODERATOR, Action.moderate_community, True),
        (ANALYST, Action.moderate_community, False),
        (MANAGER, Action.moderate_community, True),
        (MEMBER, Action.view_audit_log, False),
        (MODERATOR, Action.view_audit_log, True),
        (ANALYST, Action.view_audit_log, True),
        (USER, Action.appeal_decision, False),
        (MEMBER, Action.appeal_decision, True),
    ],
    ids=lambda value: "+".join(sorted(value)) if isinstance(value, frozenset) else str(value),
)
def test_can_for_whole_actors(roles: frozenset[Role], action: Action, allowed: bool) -> None:
    assert can(roles, action) is allowed


# Who may be told "403, your role does not allow this" rather than 404: people inside the brand or community.
INSIDERS = frozenset(
    {Role.member, Role.connector, Role.moderator, Role.analyst, Role.manager, Role.owner, Role.site_admin}
)


def test_insider_roles_are_the_community_roles_and_staff() -> None:
    assert INSIDER_ROLES == INSIDERS


# ------------------------------------------------------------------------------------------------------------
# 2. The route table: every route declares exactly one permission
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    dependant: Dependant = field(repr=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def __str__(self) -> str:
        return self.key


def route_table(application: FastAPI) -> list[RouteInfo]:
    """Every ``APIRoute`` the app serves, once per method, with the full path and the dependant it runs with.

    Since FastAPI 0.137 ``include_router`` no longer copies routes into ``app.routes``; it leaves one
    opaque ``_IncludedRouter`` there per router. ``fastapi.routing.iter_route_contexts`` walks those, giving
    each route with its prefixed path and the dependant built for that inclusion (router-level dependencies
    included); older FastAPI has no such function and lists the copied routes in ``app.routes`` directly.
    """
    iter_route_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    entries: list[Any] = list(iter_route_contexts(application.routes) if iter_route_contexts else application.routes)
    routes = []
    for entry in entries:
        if not isinstance(getattr(entry, "original_route", entry), APIRoute):
            continue
        for method in sorted(entry.methods):
            routes.append(RouteInfo(method=method, path=entry.path, dependant=entry.dependant))
    return routes


def dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """The callables of a dependant's dependencies, sub-dependencies included."""
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from dependency_calls(sub)


def permission_checks(dependant: Dependant) -> list[PermissionCheck]:
    """The distinct permission checks a route runs (one instance used twice counts once)."""
    checks: dict[int, PermissionCheck] = {}
    for call in dependency_calls(dependant):
        if isinstance(call, PermissionCheck):
            checks[id(call)] = call
    return list(checks.values())


# One app for the whole module: FastAPI builds an included router's routes lazily, per app, on its first
# request, which costs more than the rest of a case; the ``app`` fixture below sets it on each test's session.
APP = create_app(check_migrations=False)
ROUTES = route_table(APP)

# What each route must declare: the kind of check (the resource its roles are worked out on) and the action.
SITE, BRAND, COMMUNITY = Permit, BrandPermit, CommunityPermit
# Site-wide checks of routes that read in the event loop: nobody in particular (liveness), one's own account.
UNIDENTIFIED, READING = Unidentified, ReadingPermit
CHALLENGE, DESIGN, COMMENT = ChallengePermit, DesignPermit, CommentPermit
# The scoring API's check: DesignPermit's decision on columns read without the ORM.
SCORING = ScoringPermit
# Checks whose roles are the staff roles in a brand (a survey's brand; a survey's results take its brand's too).
SURVEY, BRAND_SURVEY, SURVEY_RESULTS = SurveyPermit, BrandSurveyPermit, SurveyResultsPermit
IN_BRAND: tuple[type[PermissionCheck], ...] = (BRAND, SURVEY, BRAND_SURVEY, SURVEY_RESULTS)
# Checks whose roles are worked out in a community (a challenge's, design's or comment's community).
IDEA, CAMPAIGN, QUESTION, ANSWER = IdeaPermit, CampaignPermit, QuestionPermit, AnswerPermit
IN_COMMUNITY: tuple[type[PermissionCheck], ...] = (
    COMMUNITY,
    CHALLENGE,
    DESIGN,
    SCORING,
    COMMENT,
    IDEA,
    CAMPAIGN,
    QUESTION,
    ANSWER,
)
PUBLIC = (SITE, Action.view_public)
OWN_ACCOUNT = (SITE, Action.manage_own_account)
ADMIN = (SITE, Action.administer_site)
ROUTE_PERMISSIONS: dict[str, tuple[type[PermissionCheck], Action]] = {
    "GET /healthz": (UNIDENTIFIED, Action.view_public),
    "GET /readyz": PUBLIC,
    "GET /docs": PUBLIC,
    # accounts pages
    "GET /signup": PUBLIC,
    "POST /signup": PUBLIC,
    "GET /confirm/resend": PUBLIC,
    "POST /confirm/resend": PUBLIC,
    "GET /confirm/{token}": PUBLIC,
    "GET /login": PUBLIC,
    "POST /login": PUBLIC,
    "POST /logout": OWN_ACCOUNT,
    "GET /reset": PUBLIC,
    "POST /reset": PUBLIC,
    "GET /reset/{token}": PUBLIC,
    "POST /reset/{token}": PUBLIC,
    "GET /settings": OWN_ACCOUNT,
    "POST /settings": OWN_ACCOUNT,
    "GET /settings/language": OWN_ACCOUNT,
    "POST /settings/language": OWN_ACCOUNT,
    "POST /language": PUBLIC,
    "POST /settings/password": OWN_ACCOUNT,
    "GET /settings/tokens": OWN_ACCOUNT,
    "POST /settings/tokens": OWN_ACCOUNT,
    "POST /settings/tokens/{token_id}/revoke": OWN_ACCOUNT,
    "GET /login/two-factor": PUBLIC,
    "POST /login/two-factor": PUBLIC,
    "GET /login/recovery": PUBLIC,
    "POST /login/recovery": PUBLIC,
    "GET /settings/two-factor": OWN_ACCOUNT,
    "POST /settings/two-factor": OWN_ACCOUNT,
    "POST /settings/two-factor/recovery-codes": OWN_ACCOUNT,
    "POST /settings/two-factor/disable": OWN_ACCOUNT,
    "GET /u/{handle}": PUBLIC,
    # community pages
    "GET /": PUBLIC,
    "GET /c/{community_slug}": (COMMUNITY, Action.view_community),
    "POST /c/{community_slug}/join": (COMMUNITY, Action.join_community),
    "POST /c/{community_slug}/leave": (COMMUNITY, Action.leave_community),
    "GET /c/{community_slug}/members": (COMMUNITY, Action.view_members),
    "POST /c/{community_slug}/members/{handle}/role": (COMMUNITY, Action.manage_community),
    "GET /c/{community_slug}/settings": (COMMUNITY, Action.manage_community),
    "POST /c/{community_slug}/settings": (COMMUNITY, Action.manage_community),
    "POST /c/{community_slug}/invites": (COMMUNITY, Action.manage_community),
    "POST /c/{community_slug}/invites/{invite_id}/revoke": (COMMUNITY, Action.manage_community),
    "GET /invite/{code}": PUBLIC,
    "POST /invite/{code}": (SITE, Action.join_by_invite),
    # brand staff pages
    "GET /brands/{brand_slug}": (BRAND, Action.view_brand),
    "GET /brands/{brand_slug}/communities/new": (BRAND, Action.create_community),
    "POST /brands/{brand_slug}/communities/new": (BRAND, Action.create_community),
    "GET /brands/{brand_slug}/staff": (BRAND, Action.view_brand),
    "POST /brands/{brand_slug}/staff": (BRAND, Action.manage_staff),
    "POST /brands/{brand_slug}/staff/{handle}/remove": (BRAND, Action.manage_staff),
    "POST /brands/{brand_slug}/staff/two-factor": (BRAND, Action.manage_staff),
    # site administration and the development outbox
    "GET /admin": ADMIN,
    "POST /admin/brands": ADMIN,
    "GET /dev/outbox": PUBLIC,
    "GET /dev/outbox/{email_id}": PUBLIC,
    # in-app notifications (one's own)
    "GET /notifications": OWN_ACCOUNT,
    "POST /notifications/read": OWN_ACCOUNT,
    "GET /notifications/bell": OWN_ACCOUNT,
    "GET /api/v1/me/notifications": OWN_ACCOUNT,
    "POST /api/v1/me/notifications/read": OWN_ACCOUNT,
    # comments on designs
    "POST /designs/{design_id}/comments": (DESIGN, Action.comment),
    "POST /comments/{comment_id}/edit": (COMMENT, Action.comment),
    "POST /comments/{comment_id}/delete": (COMMENT, Action.delete_comment),
    "GET /api/v1/designs/{design_id}/comments": (DESIGN, Action.view_challenge),
    "POST /api/v1/designs/{design_id}/comments": (DESIGN, Action.comment),
    "PATCH /api/v1/comments/{comment_id}": (COMMENT, Action.comment),
    "DELETE /api/v1/comments/{comment_id}": (COMMENT, Action.delete_comment),
    # accounts API
    "POST /api/v1/users": PUBLIC,
    "POST /api/v1/auth/confirm": PUBLIC,
    "POST /api/v1/auth/confirm/resend": PUBLIC,
    "POST /api/v1/auth/session": PUBLIC,
    "DELETE /api/v1/auth/session": OWN_ACCOUNT,
    "POST /api/v1/auth/password-reset": PUBLIC,
    "POST /api/v1/auth/password-reset/confirm": PUBLIC,
    "GET /api/v1/me": (READING, Action.manage_own_account),
    "PATCH /api/v1/me": OWN_ACCOUNT,
    "GET /api/v1/me/preferences": OWN_ACCOUNT,
    "PUT /api/v1/me/preferences": OWN_ACCOUNT,
    "GET /api/v1/languages": PUBLIC,
    "POST /api/v1/me/password": OWN_ACCOUNT,
    "GET /api/v1/me/tokens": OWN_ACCOUNT,
    "POST /api/v1/me/tokens": OWN_ACCOUNT,
    "DELETE /api/v1/me/tokens/{token_id}": OWN_ACCOUNT,
    "GET /api/v1/me/two-factor": OWN_ACCOUNT,
    "POST /api/v1/me/two-factor/setup": OWN_ACCOUNT,
    "POST /api/v1/me/two-factor": OWN_ACCOUNT,
    "POST /api/v1/me/two-factor/disable": OWN_ACCOUNT,
    "POST /api/v1/me/two-factor/recovery-codes": OWN_ACCOUNT,
    "GET /api/v1/users/{handle}": PUBLIC,
    # communities API
    "GET /api/v1/communities": PUBLIC,
    "GET /api/v1/me/memberships": OWN_ACCOUNT,
    "GET /api/v1/communities/{community_slug}": (COMMUNITY, Action.view_community),
    "PATCH /api/v1/communities/{community_slug}": (COMMUNITY, Action.manage_community),
    "POST /api/v1/communities/{community_slug}/membership": (COMMUNITY, Action.join_community),
    "DELETE /api/v1/communities/{community_slug}/membership": (COMMUNITY, Action.leave_community),
    "GET /api/v1/communities/{community_slug}/members": (COMMUNITY, Action.view_members),
    "PUT /api/v1/communities/{community_slug}/members/{handle}": (COMMUNITY, Action.manage_community),
    "GET /api/v1/communities/{community_slug}/invites": (COMMUNITY, Action.manage_community),
    "POST /api/v1/communities/{community_slug}/invites": (COMMUNITY, Action.manage_community),
    "DELETE /api/v1/communities/{community_slug}/invites/{invite_id}": (COMMUNITY, Action.manage_community),
    "POST /api/v1/invites/{code}/accept": (SITE, Action.join_by_invite),
    # brands API
    "GET /api/v1/brands": OWN_ACCOUNT,
    "GET /api/v1/brands/{brand_slug}": (BRAND, Action.view_brand),
    "GET /api/v1/brands/{brand_slug}/overview": (BRAND, Action.view_brand),
    "GET /api/v1/brands/{brand_slug}/communities": (BRAND, Action.view_brand),
    "POST /api/v1/brands/{brand_slug}/communities": (BRAND, Action.create_community),
    "GET /api/v1/brands/{brand_slug}/staff": (BRAND, Action.view_brand),
    "POST /api/v1/brands/{brand_slug}/staff": (BRAND, Action.manage_staff),
    "DELETE /api/v1/brands/{brand_slug}/staff/{handle}": (BRAND, Action.manage_staff),
    "PUT /api/v1/brands/{brand_slug}/two-factor-policy": (BRAND, Action.manage_staff),
    # admin API
    "GET /api/v1/admin/brands": ADMIN,
    "POST /api/v1/admin/brands": ADMIN,
    # challenge pages
    "GET /c/{community_slug}/challenges": (COMMUNITY, Action.view_challenge),
    "GET /c/{community_slug}/challenges/new": (COMMUNITY, Action.manage_challenge),
    "POST /c/{community_slug}/challenges/new": (COMMUNITY, Action.manage_challenge),
    "GET /c/{community_slug}/challenges/{challenge_slug}": (CHALLENGE, Action.view_challenge),
    "GET /c/{community_slug}/challenges/{challenge_slug}/edit": (CHALLENGE, Action.manage_challenge),
    "POST /c/{community_slug}/challenges/{challenge_slug}/edit": (CHALLENGE, Action.manage_challenge),
    "POST /c/{community_slug}/challenges/{challenge_slug}/publish": (CHALLENGE, Action.manage_challenge),
    "GET /c/{community_slug}/challenges/{challenge_slug}/submit": (CHALLENGE, Action.submit_design),
    "POST /c/{community_slug}/challenges/{challenge_slug}/submit": (CHALLENGE, Action.submit_design),
    "GET /c/{community_slug}/challenges/{challenge_slug}/next": (CHALLENGE, Action.score_design),
    "GET /c/{community_slug}/challenges/{challenge_slug}/shortlist": (CHALLENGE, Action.view_shortlist),
    "POST /c/{community_slug}/challenges/{challenge_slug}/winners": (CHALLENGE, Action.manage_challenge),
    "POST /c/{community_slug}/challenges/{challenge_slug}/winners/announce": (CHALLENGE, Action.manage_challenge),
    "POST /c/{community_slug}/challenges/{challenge_slug}/winners/withdraw": (CHALLENGE, Action.manage_challenge),
    "GET /c/{community_slug}/challenges/{challenge_slug}/winners": (CHALLENGE, Action.view_challenge),
    "GET /designs/{design_id}": (DESIGN, Action.view_challenge),
    "GET /designs/{design_id}/original": (DESIGN, Action.view_shortlist),
    "POST /designs/{design_id}/score": (DESIGN, Action.score_design),
    "GET /designs/{design_id}/edit": (DESIGN, Action.submit_design),
    "POST /designs/{design_id}/edit": (DESIGN, Action.submit_design),
    "POST /designs/{design_id}/withdraw": (DESIGN, Action.submit_design),
    "GET /u/{handle}/designs": PUBLIC,
    # media renditions (app/media)
    "GET /media/{key:path}": PUBLIC,
    "HEAD /media/{key:path}": PUBLIC,
    # challenges API
    "GET /api/v1/communities/{community_slug}/challenges": (COMMUNITY, Action.view_challenge),
    "POST /api/v1/communities/{community_slug}/challenges": (COMMUNITY, Action.manage_challenge),
    "GET /api/v1/communities/{community_slug}/challenges/{challenge_slug}": (CHALLENGE, Action.view_challenge),
    "PATCH /api/v1/communities/{community_slug}/challenges/{challenge_slug}": (CHALLENGE, Action.manage_challenge),
    "POST /api/v1/communities/{community_slug}/challenges/{challenge_slug}/publish": (
        CHALLENGE,
        Action.manage_challenge,
    ),
    "GET /api/v1/communities/{community_slug}/challenges/{challenge_slug}/designs": (CHALLENGE, Action.view_challenge),
    "POST /api/v1/communities/{community_slug}/challenges/{challenge_slug}/designs": (CHALLENGE, Action.submit_design),
    "GET /api/v1/communities/{community_slug}/challenges/{challenge_slug}/next-design": (
        CHALLENGE,
        Action.score_design,
    ),
    "GET /api/v1/communities/{community_slug}/challenges/{challenge_slug}/shortlist": (
        CHALLENGE,
        Action.view_shortlist,
    ),
    "POST /api/v1/communities/{community_slug}/challenges/{challenge_slug}/winners": (
        CHALLENGE,
        Action.manage_challenge,
    ),
    "POST /api/v1/communities/{community_slug}/challenges/{challenge_slug}/winners/announce": (
        CHALLENGE,
        Action.manage_challenge,
    ),
    "DELETE /api/v1/communities/{community_slug}/challenges/{challenge_slug}/winners/{design_id}": (
        CHALLENGE,
        Action.manage_challenge,
    ),
    "GET /api/v1/communities/{community_slug}/challenges/{challenge_slug}/winners": (
        CHALLENGE,
        Action.view_challenge,
    ),
    "GET /api/v1/designs/{design_id}": (DESIGN, Action.view_challenge),
    "GET /api/v1/designs/{design_id}/original": (DESIGN, Action.view_shortlist),
    "PATCH /api/v1/designs/{design_id}": (DESIGN, Action.submit_design),
    "DELETE /api/v1/designs/{design_id}": (DESIGN, Action.submit_design),
    "PUT /api/v1/designs/{design_id}/score": (SCORING, Action.score_design),
    "GET /api/v1/users/{handle}/designs": PUBLIC,
    # finding designs: across the communities one may see, and within one
    "GET /designs": PUBLIC,
    "GET /c/{community_slug}/designs": (COMMUNITY, Action.view_challenge),
    "GET /api/v1/designs": PUBLIC,
    "GET /api/v1/communities/{community_slug}/designs": (COMMUNITY, Action.view_challenge),
    # following designers (one's own follows)
    "POST /u/{handle}/follow": OWN_ACCOUNT,
    "POST /u/{handle}/unfollow": OWN_ACCOUNT,
    "PUT /api/v1/users/{handle}/follow": OWN_ACCOUNT,
    "DELETE /api/v1/users/{handle}/follow": OWN_ACCOUNT,
    "GET /api/v1/users/{handle}/followers": PUBLIC,
    "GET /api/v1/me/follows": OWN_ACCOUNT,
    # a designer's shop, and one's own royalties per product
    "GET /api/v1/users/{handle}/shop": PUBLIC,
    "GET /api/v1/me/royalties": OWN_ACCOUNT,
    # the ideas board: pages
    "GET /c/{community_slug}/ideas": (COMMUNITY, Action.view_ideas),
    "POST /c/{community_slug}/ideas/categories": (COMMUNITY, Action.manage_ideas),
    "GET /c/{community_slug}/ideas/new": (COMMUNITY, Action.post_idea),
    "POST /c/{community_slug}/ideas/new": (COMMUNITY, Action.post_idea),
    "GET /c/{community_slug}/ideas/similar": (COMMUNITY, Action.view_ideas),
    "GET /c/{community_slug}/roadmap": (COMMUNITY, Action.view_ideas),
    "GET /c/{community_slug}/changelog": (COMMUNITY, Action.view_ideas),
    "GET /ideas/{idea_id}": (IDEA, Action.view_ideas),
    "POST /ideas/{idea_id}/vote": (IDEA, Action.vote_idea),
    "POST /ideas/{idea_id}/unvote": (IDEA, Action.vote_idea),
    "POST /ideas/{idea_id}/follow": (IDEA, Action.follow_idea),
    "POST /ideas/{idea_id}/unfollow": (IDEA, Action.follow_idea),
    "POST /ideas/{idea_id}/status": (IDEA, Action.manage_ideas),
    "POST /ideas/{idea_id}/response": (IDEA, Action.manage_ideas),
    "POST /ideas/{idea_id}/tags": (IDEA, Action.manage_ideas),
    "POST /ideas/{idea_id}/merge": (IDEA, Action.manage_ideas),
    "POST /ideas/{idea_id}/hide": (IDEA, Action.hide_idea),
    "POST /ideas/{idea_id}/comments": (IDEA, Action.comment),
    # the ideas board: API
    "GET /api/v1/communities/{community_slug}/ideas": (COMMUNITY, Action.view_ideas),
    "POST /api/v1/communities/{community_slug}/ideas": (COMMUNITY, Action.post_idea),
    "GET /api/v1/communities/{community_slug}/ideas/similar": (COMMUNITY, Action.view_ideas),
    "GET /api/v1/communities/{community_slug}/roadmap": (COMMUNITY, Action.view_ideas),
    "GET /api/v1/communities/{community_slug}/changelog": (COMMUNITY, Action.view_ideas),
    "GET /api/v1/communities/{community_slug}/idea-categories": (COMMUNITY, Action.view_ideas),
    "POST /api/v1/communities/{community_slug}/idea-categories": (COMMUNITY, Action.manage_ideas),
    "GET /api/v1/ideas/{idea_id}": (IDEA, Action.view_ideas),
    "PUT /api/v1/ideas/{idea_id}/photo": (IDEA, Action.post_idea),
    "PUT /api/v1/ideas/{idea_id}/vote": (IDEA, Action.vote_idea),
    "DELETE /api/v1/ideas/{idea_id}/vote": (IDEA, Action.vote_idea),
    "PUT /api/v1/ideas/{idea_id}/follow": (IDEA, Action.follow_idea),
    "DELETE /api/v1/ideas/{idea_id}/follow": (IDEA, Action.follow_idea),
    "POST /api/v1/ideas/{idea_id}/status": (IDEA, Action.manage_ideas),
    "PUT /api/v1/ideas/{idea_id}/response": (IDEA, Action.manage_ideas),
    "PUT /api/v1/ideas/{idea_id}/tags": (IDEA, Action.manage_ideas),
    "POST /api/v1/ideas/{idea_id}/merge": (IDEA, Action.manage_ideas),
    "PUT /api/v1/ideas/{idea_id}/hidden": (IDEA, Action.hide_idea),
    "GET /api/v1/ideas/{idea_id}/comments": (IDEA, Action.view_ideas),
    "POST /api/v1/ideas/{idea_id}/comments": (IDEA, Action.comment),
    # community Q&A: pages (app/questions)
    "GET /c/{community_slug}/questions": (COMMUNITY, Action.view_community),
    "POST /c/{community_slug}/questions/settings": (COMMUNITY, Action.manage_community),
    "GET /c/{community_slug}/questions/new": (COMMUNITY, Action.ask_question),
    "POST /c/{community_slug}/questions/new": (COMMUNITY, Action.ask_question),
    "GET /c/{community_slug}/questions/similar": (COMMUNITY, Action.view_community),
    "GET /questions/{question_id}": (QUESTION, Action.view_community),
    "POST /questions/{question_id}/answers": (QUESTION, Action.answer_question),
    "POST /questions/{question_id}/follow": (QUESTION, Action.follow_question),
    "POST /questions/{question_id}/unfollow": (QUESTION, Action.follow_question),
    "POST /questions/{question_id}/hide": (QUESTION, Action.moderate_community),
    "POST /answers/{answer_id}/vote": (ANSWER, Action.vote_answer),
    "POST /answers/{answer_id}/unvote": (ANSWER, Action.vote_answer),
    "POST /answers/{answer_id}/accept": (ANSWER, Action.accept_answer),
    "POST /answers/{answer_id}/unaccept": (ANSWER, Action.accept_answer),
    "POST /answers/{answer_id}/hide": (ANSWER, Action.moderate_community),
    # community Q&A: API
    "GET /api/v1/communities/{community_slug}/questions": (COMMUNITY, Action.view_community),
    "POST /api/v1/communities/{community_slug}/questions": (COMMUNITY, Action.ask_question),
    "GET /api/v1/communities/{community_slug}/questions/similar": (COMMUNITY, Action.view_community),
    "GET /api/v1/communities/{community_slug}/question-settings": (COMMUNITY, Action.manage_community),
    "PUT /api/v1/communities/{community_slug}/question-settings": (COMMUNITY, Action.manage_community),
    "GET /api/v1/questions/{question_id}": (QUESTION, Action.view_community),
    "POST /api/v1/questions/{question_id}/answers": (QUESTION, Action.answer_question),
    "PUT /api/v1/questions/{question_id}/follow": (QUESTION, Action.follow_question),
    "DELETE /api/v1/questions/{question_id}/follow": (QUESTION, Action.follow_question),
    "PUT /api/v1/questions/{question_id}/hidden": (QUESTION, Action.moderate_community),
    "PUT /api/v1/answers/{answer_id}/vote": (ANSWER, Action.vote_answer),
    "DELETE /api/v1/answers/{answer_id}/vote": (ANSWER, Action.vote_answer),
    "PUT /api/v1/answers/{answer_id}/accepted": (ANSWER, Action.accept_answer),
    "DELETE /api/v1/answers/{answer_id}/accepted": (ANSWER, Action.accept_answer),
    "PUT /api/v1/answers/{answer_id}/hidden": (ANSWER, Action.moderate_community),
    "GET /api/v1/users/{handle}/helpful-answers": PUBLIC,
    # insights: results pages, reports, exports and their JSON (app/insights)
    "GET /c/{community_slug}/insights": (COMMUNITY, Action.view_insights),
    "GET /c/{community_slug}/insights/report": (COMMUNITY, Action.view_insights),
    "GET /c/{community_slug}/insights/export.csv": (COMMUNITY, Action.view_insights),
    "GET /c/{community_slug}/challenges/{challenge_slug}/insights": (CHALLENGE, Action.view_insights),
    "GET /c/{community_slug}/challenges/{challenge_slug}/insights/report": (CHALLENGE, Action.view_insights),
    "GET /c/{community_slug}/challenges/{challenge_slug}/insights/export.csv": (CHALLENGE, Action.view_insights),
    "GET /api/v1/communities/{community_slug}/insights": (COMMUNITY, Action.view_insights),
    "GET /api/v1/communities/{community_slug}/challenges/{challenge_slug}/insights": (
        CHALLENGE,
        Action.view_insights,
    ),
    "GET /brands/{brand_slug}/surveys/{survey_id}/insights": (SURVEY_RESULTS, Action.view_insights),
    "GET /brands/{brand_slug}/surveys/{survey_id}/insights/report": (SURVEY_RESULTS, Action.view_insights),
    "GET /brands/{brand_slug}/surveys/{survey_id}/insights/answers": (SURVEY_RESULTS, Action.view_insights),
    "GET /brands/{brand_slug}/surveys/{survey_id}/insights/responses.csv": (SURVEY_RESULTS, Action.view_insights),
    "GET /brands/{brand_slug}/surveys/{survey_id}/insights/aggregates.csv": (SURVEY_RESULTS, Action.view_insights),
    "GET /api/v1/brands/{brand_slug}/surveys/{survey_id}/insights": (SURVEY_RESULTS, Action.view_insights),
    "GET /api/v1/brands/{brand_slug}/surveys/{survey_id}/insights/compare": (SURVEY_RESULTS, Action.view_insights),
    "GET /api/v1/brands/{brand_slug}/surveys/{survey_id}/insights/crosstab": (SURVEY_RESULTS, Action.view_insights),
    "GET /api/v1/brands/{brand_slug}/surveys/{survey_id}/insights/answers": (SURVEY_RESULTS, Action.view_insights),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/insights": (CAMPAIGN, Action.view_insights),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/insights/report": (CAMPAIGN, Action.view_insights),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/insights/connectors": (CAMPAIGN, Action.view_insights),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/insights/answers": (CAMPAIGN, Action.view_insights),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/insights/responses.csv": (CAMPAIGN, Action.view_insights),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/insights/aggregates.csv": (CAMPAIGN, Action.view_insights),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/insights/export.csv": (CAMPAIGN, Action.view_insights),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/insights": (CAMPAIGN, Action.view_insights),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/insights/compare": (
        CAMPAIGN,
        Action.view_insights,
    ),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/insights/crosstab": (
        CAMPAIGN,
        Action.view_insights,
    ),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/insights/answers": (
        CAMPAIGN,
        Action.view_insights,
    ),
    # notification settings and unsubscribe links (app/notifications)
    "GET /settings/notifications": OWN_ACCOUNT,
    "POST /settings/notifications": OWN_ACCOUNT,
    "GET /api/v1/me/notification-preferences": OWN_ACCOUNT,
    "PUT /api/v1/me/notification-preferences": OWN_ACCOUNT,
    "GET /unsubscribe/{token}": PUBLIC,
    "POST /unsubscribe/{token}": PUBLIC,
    "POST /api/v1/unsubscribe/{token}": PUBLIC,
    # webhooks (app/webhooks)
    "GET /webhooks/events": PUBLIC,
    "GET /api/v1/webhook-events": PUBLIC,
    "GET /brands/{brand_slug}/webhooks": (BRAND, Action.manage_webhooks),
    "POST /brands/{brand_slug}/webhooks": (BRAND, Action.manage_webhooks),
    "GET /brands/{brand_slug}/webhooks/{endpoint_id}": (BRAND, Action.manage_webhooks),
    "POST /brands/{brand_slug}/webhooks/{endpoint_id}/active": (BRAND, Action.manage_webhooks),
    "POST /brands/{brand_slug}/webhooks/{endpoint_id}/events": (BRAND, Action.manage_webhooks),
    "POST /brands/{brand_slug}/webhooks/{endpoint_id}/delete": (BRAND, Action.manage_webhooks),
    "POST /brands/{brand_slug}/webhooks/{endpoint_id}/test": (BRAND, Action.manage_webhooks),
    "GET /api/v1/brands/{brand_slug}/webhooks": (BRAND, Action.manage_webhooks),
    "POST /api/v1/brands/{brand_slug}/webhooks": (BRAND, Action.manage_webhooks),
    "GET /api/v1/brands/{brand_slug}/webhooks/{endpoint_id}": (BRAND, Action.manage_webhooks),
    "PATCH /api/v1/brands/{brand_slug}/webhooks/{endpoint_id}": (BRAND, Action.manage_webhooks),
    "DELETE /api/v1/brands/{brand_slug}/webhooks/{endpoint_id}": (BRAND, Action.manage_webhooks),
    "GET /api/v1/brands/{brand_slug}/webhooks/{endpoint_id}/deliveries": (BRAND, Action.manage_webhooks),
    "POST /api/v1/brands/{brand_slug}/webhooks/{endpoint_id}/test": (BRAND, Action.manage_webhooks),
    # survey builder pages (app/surveys)
    "GET /brands/{brand_slug}/surveys": (BRAND, Action.view_surveys),
    "POST /brands/{brand_slug}/surveys": (BRAND, Action.manage_surveys),
    "GET /brands/{brand_slug}/surveys/{survey_id}": (BRAND_SURVEY, Action.view_surveys),
    "POST /brands/{brand_slug}/surveys/{survey_id}": (BRAND_SURVEY, Action.manage_surveys),
    "POST /brands/{brand_slug}/surveys/{survey_id}/delete": (BRAND_SURVEY, Action.manage_surveys),
    "POST /brands/{brand_slug}/surveys/{survey_id}/questions": (BRAND_SURVEY, Action.manage_surveys),
    "GET /brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/edit": (BRAND_SURVEY, Action.manage_surveys),
    "POST /brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}": (BRAND_SURVEY, Action.manage_surveys),
    "POST /brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/retire": (
        BRAND_SURVEY,
        Action.manage_surveys,
    ),
    "POST /brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/move": (
        BRAND_SURVEY,
        Action.manage_surveys,
    ),
    "GET /brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/translations": (
        BRAND_SURVEY,
        Action.manage_surveys,
    ),
    "POST /brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/translations/{language}": (
        BRAND_SURVEY,
        Action.manage_surveys,
    ),
    "POST /brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/translations/{language}/delete": (
        BRAND_SURVEY,
        Action.manage_surveys,
    ),
    "POST /brands/{brand_slug}/surveys/{survey_id}/preview": (BRAND_SURVEY, Action.view_surveys),
    "GET /brands/{brand_slug}/surveys/{survey_id}/results": (BRAND_SURVEY, Action.view_surveys),
    # surveys API
    "GET /api/v1/brands/{brand_slug}/surveys": (BRAND, Action.view_surveys),
    "POST /api/v1/brands/{brand_slug}/surveys": (BRAND, Action.manage_surveys),
    "GET /api/v1/surveys/{survey_id}": (SURVEY, Action.view_surveys),
    "PATCH /api/v1/surveys/{survey_id}": (SURVEY, Action.manage_surveys),
    "DELETE /api/v1/surveys/{survey_id}": (SURVEY, Action.manage_surveys),
    "POST /api/v1/surveys/{survey_id}/questions": (SURVEY, Action.manage_surveys),
    "PUT /api/v1/surveys/{survey_id}/questions/{question_id}": (SURVEY, Action.manage_surveys),
    "DELETE /api/v1/surveys/{survey_id}/questions/{question_id}": (SURVEY, Action.manage_surveys),
    "POST /api/v1/surveys/{survey_id}/questions/{question_id}/move": (SURVEY, Action.manage_surveys),
    "GET /api/v1/surveys/{survey_id}/questions/{question_id}/translations": (SURVEY, Action.view_surveys),
    "PUT /api/v1/surveys/{survey_id}/questions/{question_id}/translations/{language}": (SURVEY, Action.manage_surveys),
    "DELETE /api/v1/surveys/{survey_id}/questions/{question_id}/translations/{language}": (
        SURVEY,
        Action.manage_surveys,
    ),
    "GET /api/v1/surveys/{survey_id}/tallies": (SURVEY, Action.view_surveys),
    "POST /api/v1/surveys/{survey_id}/responses": (SURVEY, Action.manage_surveys),
    "GET /api/v1/surveys/{survey_id}/responses/{response_id}": (SURVEY, Action.view_surveys),
    "POST /brands/{brand_slug}/surveys/{survey_id}/publish": (BRAND_SURVEY, Action.manage_surveys),
    "PUT /api/v1/surveys/{survey_id}/community": (SURVEY, Action.manage_surveys),
    # surveys published to a community, answered by its members
    "GET /c/{community_slug}/surveys": (COMMUNITY, Action.read_community_surveys),
    "GET /c/{community_slug}/surveys/{survey_id}": (COMMUNITY, Action.read_community_surveys),
    "POST /c/{community_slug}/surveys/{survey_id}": (COMMUNITY, Action.answer_survey),
    "GET /api/v1/communities/{community_slug}/surveys": (COMMUNITY, Action.read_community_surveys),
    "POST /api/v1/communities/{community_slug}/surveys/{survey_id}/responses": (COMMUNITY, Action.answer_survey),
    # sampling campaign pages
    "GET /c/{community_slug}/campaigns": (COMMUNITY, Action.view_campaign),
    "GET /c/{community_slug}/campaigns/new": (COMMUNITY, Action.manage_campaign),
    "POST /c/{community_slug}/campaigns/new": (COMMUNITY, Action.manage_campaign),
    "GET /c/{community_slug}/campaigns/{campaign_slug}": (CAMPAIGN, Action.view_campaign),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/edit": (CAMPAIGN, Action.manage_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/edit": (CAMPAIGN, Action.manage_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/publish": (CAMPAIGN, Action.manage_campaign),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/apply": (CAMPAIGN, Action.take_part_in_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/apply": (CAMPAIGN, Action.take_part_in_campaign),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/mine": (CAMPAIGN, Action.take_part_in_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/mine/address": (CAMPAIGN, Action.take_part_in_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/mine/withdraw": (CAMPAIGN, Action.take_part_in_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/mine/receipt": (CAMPAIGN, Action.take_part_in_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/mine/samples": (CAMPAIGN, Action.take_part_in_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/mine/rsvp": (CAMPAIGN, Action.take_part_in_campaign),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/mine/qr.svg": (CAMPAIGN, Action.take_part_in_campaign),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/applications": (CAMPAIGN, Action.manage_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/applications/decide": (CAMPAIGN, Action.manage_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/applications/auto-select": (CAMPAIGN, Action.manage_campaign),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/kits.csv": (CAMPAIGN, Action.manage_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/tracking": (CAMPAIGN, Action.manage_campaign),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/progress": (CAMPAIGN, Action.view_campaign_progress),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/roundtable": (CAMPAIGN, Action.manage_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/outcome": (CAMPAIGN, Action.manage_campaign),
    # sampling campaigns API
    "GET /api/v1/communities/{community_slug}/campaigns": (COMMUNITY, Action.view_campaign),
    "POST /api/v1/communities/{community_slug}/campaigns": (COMMUNITY, Action.manage_campaign),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}": (CAMPAIGN, Action.view_campaign),
    "PATCH /api/v1/communities/{community_slug}/campaigns/{campaign_slug}": (CAMPAIGN, Action.manage_campaign),
    "POST /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/publish": (CAMPAIGN, Action.manage_campaign),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/application": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "POST /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/application": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "DELETE /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/application": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "PUT /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/application/address": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "POST /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/application/receipt": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "PUT /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/application/samples": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "PUT /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/application/rsvp": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/applications": (
        CAMPAIGN,
        Action.manage_campaign,
    ),
    "POST /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/applications/decisions": (
        CAMPAIGN,
        Action.manage_campaign,
    ),
    "POST /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/applications/auto-select": (
        CAMPAIGN,
        Action.manage_campaign,
    ),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/kits.csv": (CAMPAIGN, Action.manage_campaign),
    "POST /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/tracking": (CAMPAIGN, Action.manage_campaign),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/progress": (
        CAMPAIGN,
        Action.view_campaign_progress,
    ),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/roundtable": (
        CAMPAIGN,
        Action.view_campaign_progress,
    ),
    "POST /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/roundtable": (
        CAMPAIGN,
        Action.manage_campaign,
    ),
    "PUT /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/outcome": (CAMPAIGN, Action.manage_campaign),
    # product reviews of a campaign (app.reviews): everyone reads, those who tried it write their own, staff export
    "GET /c/{community_slug}/campaigns/{campaign_slug}/reviews": (CAMPAIGN, Action.view_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/reviews": (CAMPAIGN, Action.take_part_in_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/reviews/mine/edit": (CAMPAIGN, Action.take_part_in_campaign),
    "POST /c/{community_slug}/campaigns/{campaign_slug}/reviews/mine/withdraw": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "GET /c/{community_slug}/campaigns/{campaign_slug}/reviews.csv": (CAMPAIGN, Action.view_campaign_progress),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/reviews": (CAMPAIGN, Action.view_campaign),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/reviews/mine": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "POST /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/reviews": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "PUT /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/reviews/mine": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "PUT /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/reviews/mine/photo": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "DELETE /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/reviews/mine": (
        CAMPAIGN,
        Action.take_part_in_campaign,
    ),
    "GET /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/reviews.csv": (
        CAMPAIGN,
        Action.view_campaign_progress,
    ),
    # the disclosure rules (app.disclosure), public
    "GET /disclosure": PUBLIC,
    "GET /api/v1/disclosure/rules": PUBLIC,
    # answering through a share link: the code is the key; joining needs someone logged in
    "GET /s/{share_code}": PUBLIC,
    "POST /s/{share_code}": PUBLIC,
    "GET /s/{share_code}/thanks": PUBLIC,
    "POST /s/{share_code}/pass-on": PUBLIC,
    "POST /s/{share_code}/join": (SITE, Action.join_community),
    "GET /api/v1/share/{share_code}": PUBLIC,
    "POST /api/v1/share/{share_code}/responses": PUBLIC,
    "POST /api/v1/share/{share_code}/links": PUBLIC,
    "POST /api/v1/share/{share_code}/membership": (SITE, Action.join_community),
    # moderation (app/moderation)
    "GET /c/{community_slug}/report/{kind}/{subject_id}": (COMMUNITY, Action.report_content),
    "POST /c/{community_slug}/report/{kind}/{subject_id}": (COMMUNITY, Action.report_content),
    "GET /c/{community_slug}/moderation": (COMMUNITY, Action.moderate_community),
    "POST /c/{community_slug}/moderation/decide": (COMMUNITY, Action.moderate_community),
    "GET /c/{community_slug}/moderation/items/{item_id}": (COMMUNITY, Action.moderate_community),
    "POST /c/{community_slug}/moderation/items/{item_id}/decide": (COMMUNITY, Action.moderate_community),
    "GET /c/{community_slug}/moderation/designs/{design_id}/image": (COMMUNITY, Action.moderate_community),
    "POST /c/{community_slug}/moderation/items/{item_id}/sanction": (COMMUNITY, Action.moderate_community),
    "POST /c/{community_slug}/moderation/sanctions": (COMMUNITY, Action.moderate_community),
    "POST /c/{community_slug}/moderation/sanctions/{sanction_id}/lift": (COMMUNITY, Action.moderate_community),
    "GET /c/{community_slug}/moderation/settings": (COMMUNITY, Action.moderate_community),
    "POST /c/{community_slug}/moderation/settings": (COMMUNITY, Action.moderate_community),
    "GET /c/{community_slug}/moderation/audit": (COMMUNITY, Action.view_audit_log),
    "GET /c/{community_slug}/moderation/audit.csv": (COMMUNITY, Action.view_audit_log),
    "GET /c/{community_slug}/moderation/appeals": (COMMUNITY, Action.moderate_community),
    "POST /c/{community_slug}/moderation/appeals/{appeal_id}": (COMMUNITY, Action.moderate_community),
    "GET /c/{community_slug}/decisions/{entry_id}": (COMMUNITY, Action.appeal_decision),
    "POST /c/{community_slug}/decisions/{entry_id}/appeal": (COMMUNITY, Action.appeal_decision),
    "GET /c/{community_slug}/challenges/{challenge_slug}/integrity": (CHALLENGE, Action.moderate_community),
    "POST /c/{community_slug}/challenges/{challenge_slug}/integrity/discounts": (CHALLENGE, Action.moderate_community),
    "POST /c/{community_slug}/challenges/{challenge_slug}/integrity/discounts/{discount_id}/restore": (
        CHALLENGE,
        Action.moderate_community,
    ),
    "GET /settings/privacy": OWN_ACCOUNT,
    "GET /settings/privacy/export": OWN_ACCOUNT,
    "POST /settings/privacy/delete": OWN_ACCOUNT,
    "POST /api/v1/communities/{community_slug}/reports": (COMMUNITY, Action.report_content),
    "POST /api/v1/communities/{community_slug}/members/{handle}/reports": (COMMUNITY, Action.report_content),
    "GET /brands/{brand_slug}/surveys/{survey_id}/insights/responses/{response_id}/report": (
        SURVEY_RESULTS,
        Action.report_response,
    ),
    "POST /brands/{brand_slug}/surveys/{survey_id}/insights/responses/{response_id}/report": (
        SURVEY_RESULTS,
        Action.report_response,
    ),
    "POST /api/v1/brands/{brand_slug}/surveys/{survey_id}/insights/responses/{response_id}/reports": (
        SURVEY_RESULTS,
        Action.report_response,
    ),
    "GET /api/v1/communities/{community_slug}/decisions": (COMMUNITY, Action.appeal_decision),
    "POST /api/v1/communities/{community_slug}/decisions/{entry_id}/appeal": (COMMUNITY, Action.appeal_decision),
    "GET /api/v1/communities/{community_slug}/moderation/queue": (COMMUNITY, Action.moderate_community),
    "GET /api/v1/communities/{community_slug}/moderation/items/{item_id}": (COMMUNITY, Action.moderate_community),
    "POST /api/v1/communities/{community_slug}/moderation/decisions": (COMMUNITY, Action.moderate_community),
    "GET /api/v1/communities/{community_slug}/moderation/sanctions": (COMMUNITY, Action.moderate_community),
    "POST /api/v1/communities/{community_slug}/moderation/sanctions": (COMMUNITY, Action.moderate_community),
    "POST /api/v1/communities/{community_slug}/moderation/sanctions/{sanction_id}/lift": (
        COMMUNITY,
        Action.moderate_community,
    ),
    "GET /api/v1/communities/{community_slug}/moderation/settings": (COMMUNITY, Action.moderate_community),
    "PUT /api/v1/communities/{community_slug}/moderation/settings": (COMMUNITY, Action.moderate_community),
    "GET /api/v1/communities/{community_slug}/moderation/audit": (COMMUNITY, Action.view_audit_log),
    "GET /api/v1/communities/{community_slug}/moderation/appeals": (COMMUNITY, Action.moderate_community),
    "POST /api/v1/communities/{community_slug}/moderation/appeals/{appeal_id}/decision": (
        COMMUNITY,
        Action.moderate_community,
    ),
    "GET /api/v1/communities/{community_slug}/challenges/{challenge_slug}/integrity": (
        CHALLENGE,
        Action.moderate_community,
    ),
    "POST /api/v1/communities/{community_slug}/challenges/{challenge_slug}/integrity/discounts": (
        CHALLENGE,
        Action.moderate_community,
    ),
    "POST /api/v1/communities/{community_slug}/challenges/{challenge_slug}/integrity/discounts/{discount_id}/restore": (
        CHALLENGE,
        Action.moderate_community,
    ),
    "GET /api/v1/me/export": OWN_ACCOUNT,
    "POST /api/v1/me/delete": OWN_ACCOUNT,
    "GET /admin/bans": ADMIN,
    "POST /admin/bans": ADMIN,
    "POST /api/v1/admin/bans": ADMIN,
    # rewards: the brand's staff area
    "GET /brands/{brand_slug}/rewards": (BRAND, Action.view_rewards),
    "POST /brands/{brand_slug}/rewards/settings": (BRAND, Action.manage_rewards),
    "GET /brands/{brand_slug}/rewards/products/{product_id}": (BRAND, Action.view_rewards),
    "POST /brands/{brand_slug}/rewards/products/{product_id}": (BRAND, Action.manage_rewards),
    "GET /brands/{brand_slug}/rewards/sales": (BRAND, Action.view_rewards),
    "POST /brands/{brand_slug}/rewards/sales/import": (BRAND, Action.manage_rewards),
    "POST /brands/{brand_slug}/rewards/sales/refund": (BRAND, Action.manage_rewards),
    "GET /brands/{brand_slug}/rewards/points": (BRAND, Action.view_rewards),
    "GET /brands/{brand_slug}/rewards/redemptions": (BRAND, Action.view_rewards),
    "POST /brands/{brand_slug}/rewards/redemptions/{redemption_id}/fulfilled": (BRAND, Action.manage_rewards),
    "POST /brands/{brand_slug}/rewards/points/rules": (BRAND, Action.manage_rewards),
    "POST /brands/{brand_slug}/rewards/catalog": (BRAND, Action.manage_rewards),
    "GET /brands/{brand_slug}/rewards/payouts": (BRAND, Action.view_rewards),
    "POST /brands/{brand_slug}/rewards/payouts": (BRAND, Action.run_payouts),
    "GET /brands/{brand_slug}/rewards/payouts/{batch_id}": (BRAND, Action.view_rewards),
    "GET /brands/{brand_slug}/rewards/payouts/{batch_id}/export": (BRAND, Action.run_payouts),
    "POST /brands/{brand_slug}/rewards/payouts/{batch_id}/paid": (BRAND, Action.run_payouts),
    "POST /brands/{brand_slug}/rewards/payouts/{batch_id}/failed": (BRAND, Action.run_payouts),
    "GET /brands/{brand_slug}/rewards/liability": (BRAND, Action.view_rewards),
    # pre-orders (app/preorders): the brand's side, under its rewards pages
    "GET /brands/{brand_slug}/rewards/products/{product_id}/preorder": (BRAND, Action.view_rewards),
    "POST /brands/{brand_slug}/rewards/products/{product_id}/preorder": (BRAND, Action.manage_rewards),
    "GET /brands/{brand_slug}/rewards/products/{product_id}/preorder/pledges.csv": (BRAND, Action.manage_rewards),
    "GET /api/v1/brands/{brand_slug}/products/{product_id}/preorder": (BRAND, Action.view_rewards),
    "POST /api/v1/brands/{brand_slug}/products/{product_id}/preorder": (BRAND, Action.manage_rewards),
    "GET /api/v1/brands/{brand_slug}/products/{product_id}/preorder/pledges.csv": (BRAND, Action.manage_rewards),
    # pre-orders: the product page and one's pledge, in the design's community
    "GET /c/{community_slug}/products/{product_id}": (COMMUNITY, Action.view_challenge),
    "POST /c/{community_slug}/products/{product_id}/pledge": (COMMUNITY, Action.pledge_preorder),
    "POST /c/{community_slug}/products/{product_id}/pledge/withdraw": (COMMUNITY, Action.pledge_preorder),
    "GET /api/v1/communities/{community_slug}/products/{product_id}": (COMMUNITY, Action.view_challenge),
    "GET /api/v1/communities/{community_slug}/products/{product_id}/pledge": (COMMUNITY, Action.pledge_preorder),
    "PUT /api/v1/communities/{community_slug}/products/{product_id}/pledge": (COMMUNITY, Action.pledge_preorder),
    "DELETE /api/v1/communities/{community_slug}/products/{product_id}/pledge": (COMMUNITY, Action.pledge_preorder),
    # rewards: one's own money, points and referrals, and the referral link
    "GET /me/earnings": OWN_ACCOUNT,
    "GET /me/statement": OWN_ACCOUNT,
    "GET /me/referrals": OWN_ACCOUNT,
    "POST /me/referrals": OWN_ACCOUNT,
    "GET /me/points": OWN_ACCOUNT,
    "POST /me/points/redeem": OWN_ACCOUNT,
    "GET /r/{code}": PUBLIC,
    # rewards API
    "GET /api/v1/brands/{brand_slug}/rewards/settings": (BRAND, Action.view_rewards),
    "PUT /api/v1/brands/{brand_slug}/rewards/settings": (BRAND, Action.manage_rewards),
    "GET /api/v1/brands/{brand_slug}/products": (BRAND, Action.view_rewards),
    "PUT /api/v1/brands/{brand_slug}/products/{product_id}/terms": (BRAND, Action.manage_rewards),
    "GET /api/v1/brands/{brand_slug}/sales": (BRAND, Action.view_rewards),
    "POST /api/v1/brands/{brand_slug}/sales": (BRAND, Action.manage_rewards),
    "POST /api/v1/brands/{brand_slug}/sales/imports": (BRAND, Action.manage_rewards),
    "POST /api/v1/brands/{brand_slug}/refunds": (BRAND, Action.manage_rewards),
    "GET /api/v1/brands/{brand_slug}/points-rules": (BRAND, Action.view_rewards),
    "PUT /api/v1/brands/{brand_slug}/points-rules": (BRAND, Action.manage_rewards),
    "GET /api/v1/brands/{brand_slug}/catalog": (BRAND, Action.view_rewards),
    "GET /api/v1/brands/{brand_slug}/redemptions": (BRAND, Action.view_rewards),
    "POST /api/v1/brands/{brand_slug}/redemptions/{redemption_id}/fulfilled": (BRAND, Action.manage_rewards),
    "POST /api/v1/brands/{brand_slug}/catalog": (BRAND, Action.manage_rewards),
    "GET /api/v1/brands/{brand_slug}/payout-currencies": (BRAND, Action.view_rewards),
    "GET /api/v1/brands/{brand_slug}/payout-batches": (BRAND, Action.view_rewards),
    "POST /api/v1/brands/{brand_slug}/payout-batches": (BRAND, Action.run_payouts),
    "GET /api/v1/brands/{brand_slug}/payout-batches/{batch_id}": (BRAND, Action.view_rewards),
    "GET /api/v1/brands/{brand_slug}/payout-batches/{batch_id}/export": (BRAND, Action.run_payouts),
    "POST /api/v1/brands/{brand_slug}/payout-batches/{batch_id}/paid": (BRAND, Action.run_payouts),
    "POST /api/v1/brands/{brand_slug}/payout-batches/{batch_id}/failed": (BRAND, Action.run_payouts),
    "GET /api/v1/brands/{brand_slug}/liability": (BRAND, Action.view_rewards),
    "GET /api/v1/me/earnings": OWN_ACCOUNT,
    "GET /api/v1/me/statement": OWN_ACCOUNT,
    "GET /api/v1/me/referrals": OWN_ACCOUNT,
    "POST /api/v1/me/referrals": OWN_ACCOUNT,
    "GET /api/v1/me/points": OWN_ACCOUNT,
    "POST /api/v1/me/redemptions": OWN_ACCOUNT,
}


def test_route_table_is_fully_listed() -> None:
    """Every served route has an expected permission here, and nothing listed here has disappeared."""
    served = [route.key for route in ROUTES]
    assert len(served) == len(set(served)), "a method and path is served twice"
    assert sorted(set(served) - set(ROUTE_PERMISSIONS)) == [], "routes with no expected permission in this test"
    assert sorted(set(ROUTE_PERMISSIONS) - set(served)) == [], "expected routes the app does not serve"


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_route_declares_exactly_one_permission(route: RouteInfo) -> None:
    checks = permission_checks(route.dependant)
    assert len(checks) == 1, (
        f"{route.key} declares {len(checks)} permission checks, not exactly one: "
        f"{[(type(check).__name__, check.action) for check in checks]}"
    )
    (check,) = checks
    assert (type(check), check.action) == ROUTE_PERMISSIONS[route.key], f"{route.key} declares the wrong permission"


def test_route_walk_finds_nested_and_duplicated_checks() -> None:
    """The walk itself: a check inside a helper dependency is found, and two different checks are two."""
    from fastapi import APIRouter, Depends

    from app.accounts.deps import AccountUser, Public, SiteAdmin

    router = APIRouter()

    @router.get("/own")
    def own(_user: AccountUser) -> None: ...

    @router.get("/none")
    def none() -> None: ...

    @router.get("/two")
    def two(_visitor: Public, _admin: SiteAdmin) -> None: ...

    shared = Permit(Action.view_public)

    @router.get("/same-twice")
    def same_twice(_a: Any = Depends(shared), _b: Any = Depends(shared, use_cache=False)) -> None: ...

    application = FastAPI()
    application.include_router(router, prefix="/x")
    counts = {route.path: len(permission_checks(route.dependant)) for route in route_table(application)}
    assert counts == {"/x/own": 1, "/x/none": 0, "/x/two": 2, "/x/same-twice": 1}


# ------------------------------------------------------------------------------------------------------------
# 3. The world and the matrix
# ------------------------------------------------------------------------------------------------------------

BRANDS = ("A", "B")
# Community key: (brand key, visibility).
COMMUNITIES = {
    "A1": ("A", Visibility.public),
    "A2": ("A", Visibility.invite_only),
    "B1": ("B", Visibility.public),
}


@dataclass(frozen=True)
class Actor:
    """Someone in the world: whether they log in, their community roles and their brand staff roles."""

    logged_in: bool = True
    site_admin: bool = False
    community_roles: dict[str, MemberRole] = field(default_factory=dict)
    staff_roles: dict[str, StaffRole] = field(default_factory=dict)


ACTORS: dict[str, Actor] = {
    "visitor": Actor(logged_in=False),
    "user": Actor(),
    "member": Actor(community_roles={"A1": MemberRole.member, "A2": MemberRole.member}),
    "connector": Actor(community_roles={"A1": MemberRole.connector}),
    "moderator": Actor(community_roles={"A1": MemberRole.moderator}),
    "analyst_a": Actor(staff_roles={"A": StaffRole.analyst}),
    "manager_a": Actor(staff_roles={"A": StaffRole.manager}),
    "owner_a": Actor(staff_roles={"A": StaffRole.owner}),
    "site_admin": Actor(site_admin=True),
    "manager_b": Actor(staff_roles={"B": StaffRole.manager}),
    "owner_b": Actor(staff_roles={"B": StaffRole.owner}),
    "analyst_b": Actor(staff_roles={"B": StaffRole.analyst}),
}
MATRIX_ACTORS = [
    "visitor", "user", "member", "connector", "moderator", "analyst_a", "manager_a", "owner_a", "site_admin",
    "manager_b",
]  # fmt: skip
B_STAFF = ["manager_b", "owner_b", "analyst_b"]


# The world is built once per module and kept as plain values: every test runs in a savepoint over it (the
# ``session`` fixture below), so no test sees another's writes, and no ORM object is shared between tests.
@dataclass(frozen=True)
class BrandRef:
    id: int
    slug: str


@dataclass(frozen=True)
class CommunityRef:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class UserRef:
    id: int
    handle: str
    email: str


@dataclass(frozen=True)
class TokenRef:
    id: int
    plain: str


@dataclass(frozen=True)
class InviteRef:
    id: int
    code: str


@dataclass(frozen=True)
class World:
    challenges: dict[str, str]  # per community key: the slug of its challenge, in its scoring window
    designs: dict[str, int]  # per community key: a design by someone outside the actors
    own_designs: dict[tuple[str, str], int]  # per (actor, community key): the actor's own design there
    comments: dict[str, int]  # per community key: a comment by someone outside the actors
    own_comments: dict[tuple[str, str], int]  # per (actor, community key): the actor's own comment there
    ideas: dict[str, int]  # per community key: an idea by someone outside the actors
    other_ideas: dict[str, int]  # per community key: a second one, to merge the first into
    own_ideas: dict[tuple[str, str], int]  # per (actor, community key): the actor's own idea there, for members
    brands: dict[str, BrandRef]
    communities: dict[str, CommunityRef]
    users: dict[str, UserRef]  # every logged-in actor
    tokens: dict[str, TokenRef]  # each logged-in actor's personal API token
    invites: dict[str, InviteRef]  # one open invite link per community
    email_id: int  # an e-mail in the development outbox
    surveys: dict[str, tuple[int, int, int]]  # per brand key: a survey with a response, its question and response
    community_surveys: dict[str, int]  # per community key: a survey published there
    product_id: int  # a live product of brand A with terms (app/rewards)
    batch_id: int  # an open payout batch of brand A with one pending line
    redemption_id: int  # a reward of brand A redeemed by the member, to fulfil
    webhook_endpoints: dict[str, int] = field(default_factory=dict)  # per brand key: a webhook endpoint of it
    moderation: dict[str, dict[str, int]] = field(default_factory=dict)  # per community key: item, sanction, ...
    decisions: dict[tuple[str, str], int] = field(default_factory=dict)  # per (actor, community key): one about them
    # Per community key: a product of its design on pre-order, pledged to by every actor who is a member there.
    preorder_products: dict[str, int] = field(default_factory=dict)
    # Community Q&A, where visitors may ask: per community key, a question by someone outside the actors and an
    # answer to it by the same; per (actor, community key), an answer to the actor's own question (to accept).
    questions: dict[str, int] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    answers_to_own: dict[tuple[str, str], int] = field(default_factory=dict)


# Someone outside the actors, a member of every community: the author of the world's designs, comments and ideas.
DESIGNER_HANDLE = "perm_designer"


def build_world(session: Session) -> World:
    brands = {key: make_brand(session, name=f"Brand {key}", slug=f"perm-brand-{key.lower()}") for key in BRANDS}
    communities = {
        key: make_community(
            session,
            brands[brand],
            name=f"Community {key}",
            slug=f"perm-community-{key.lower()}",
            visibility=visibility,
        )
        for key, (brand, visibility) in COMMUNITIES.items()
    }
    users: dict[str, User] = {}
    tokens: dict[str, TokenRef] = {}
    for name, actor in ACTORS.items():
        if not actor.logged_in:
            continue
        user = make_user(
            session,
            handle=f"perm_{name}",
            email=f"{name}@perm.example.com",
            is_site_admin=actor.site_admin,
        )
        for brand_key, staff_role in actor.staff_roles.items():
            add_staff(session, brands[brand_key], user, staff_role)
        for community_key, member_role in actor.community_roles.items():
            add_member(session, communities[community_key], user, member_role)
        users[name] = user
        token, plain = accounts_tokens.create_api_token(session, user=user, name="laptop")
        tokens[name] = TokenRef(id=token.id or 0, plain=plain)
    invites = {
        key: communities_service.create_invite(session, community=community, created_by=users["site_admin"])
        for key, community in communities.items()
    }
    email = notifications_service.queue_email(session, to_address="someone@example.com", subject="Hi", body_text="Hi")
    designer = make_user(session, handle=DESIGNER_HANDLE, email="designer@perm.example.com")
    challenges = {}
    designs: dict[str, int] = {}
    own_designs: dict[tuple[str, str], int] = {}
    comments: dict[str, int] = {}
    own_comments: dict[tuple[str, str], int] = {}
    ideas: dict[str, int] = {}
    other_ideas: dict[str, int] = {}
    own_ideas: dict[tuple[str, str], int] = {}
    questions: dict[str, int] = {}
    answers: dict[str, int] = {}
    answers_to_own: dict[tuple[str, str], int] = {}
    for key, community_row in communities.items():
        add_member(session, community_row, designer)
        challenge = make_challenge(session, community_row, phase="scoring", slug=f"perm-challenge-{key.lower()}")
        challenges[key] = challenge.slug
        design = make_design(session, challenge, designer)
        designs[key] = design.id or 0
        comments[key] = make_comment(session, design, designer).id or 0
        # Everyone has a comment of their own on it (whether they could have posted it or not), so the edit and
        # delete routes reach the service's authorship check only when the route's permission allows.
        for name, logged_in in users.items():
            own_comments[(name, key)] = make_comment(session, design, logged_in).id or 0
        for name, actor in ACTORS.items():
            if key in actor.community_roles:
                own_designs[(name, key)] = make_design(session, challenge, users[name]).id or 0
        ideas[key] = make_idea(session, community_row, designer, title=f"Perm idea {key}").id or 0
        other_ideas[key] = make_idea(session, community_row, designer, title=f"Perm original {key}").id or 0
        for name, actor in ACTORS.items():
            if key in actor.community_roles:
                own_ideas[(name, key)] = make_idea(session, community_row, users[name]).id or 0
        allow_visitors(session, community_row)
        qa_question = make_question(session, community_row, designer, title=f"Perm question {key}?")
        questions[key] = qa_question.id or 0
        answers[key] = make_answer(session, qa_question, designer).id or 0
        for name, actor in ACTORS.items():
            if key in actor.community_roles:
                own = make_question(session, community_row, users[name])
                answers_to_own[(name, key)] = make_answer(session, own, designer).id or 0
    surveys: dict[str, tuple[int, int, int]] = {}
    for key, brand in brands.items():
        survey = surveys_building.create_survey(session, brand=brand, title=f"Survey {key}", author=None)
        question = surveys_questions.add_question(
            session, survey=survey, fields=surveys_questions.QuestionFields(kind="text", prompt="Anything else?")
        )
        # Given in the brand's public community, so that it can be reported to its moderators.
        response = surveys_responses.record_response(
            session, survey=survey, form={question.input_name: ["Fine"]}, community_id=communities[f"{key}1"].id
        )
        surveys[key] = (survey.id or 0, question.id or 0, response.id or 0)
    community_surveys: dict[str, int] = {}
    for key, community_row in communities.items():
        brand_row = brands[COMMUNITIES[key][0]]
        published = surveys_building.create_survey(session, brand=brand_row, title=f"Members {key}", author=None)
        surveys_questions.add_question(
            session, survey=published, fields=surveys_questions.QuestionFields(kind="text", prompt="Your thoughts?")
        )
        surveys_building.publish_survey(session, survey=published, community=community_row)
        community_surveys[key] = published.id or 0
    for key, community_row in communities.items():
        campaign = make_campaign(session, community_row, phase="applying", slug=campaign_slug(key))
        if key == "A1":
            session.add(ShareLink(code=SHARE_CODE, campaign_id=campaign.id or 0, connector_id=designer.id or 0))
    moderation, decisions = build_moderation_world(session, communities, users, designer, designs, challenges)
    rewards_world = build_rewards_world(session, brand=brands["A"], member=users["member"], staff=users["manager_a"])
    return World(
        surveys=surveys,
        community_surveys=community_surveys,
        moderation=moderation,
        decisions=decisions,
        product_id=rewards_world.product_id,
        batch_id=rewards_world.batch_id,
        redemption_id=rewards_world.redemption_id,
        challenges=challenges,
        designs=designs,
        own_designs=own_designs,
        comments=comments,
        own_comments=own_comments,
        ideas=ideas,
        other_ideas=other_ideas,
        own_ideas=own_ideas,
        brands={key: BrandRef(brand.id or 0, brand.slug) for key, brand in brands.items()},
        communities={key: CommunityRef(c.id or 0, c.slug, c.name) for key, c in communities.items()},
        users={key: UserRef(user.id or 0, user.handle, user.email) for key, user in users.items()},
        tokens=tokens,
        invites={key: InviteRef(invite.id or 0, invite.code) for key, invite in invites.items()},
        email_id=email.id or 0,
        webhook_endpoints={key: make_endpoint(session, brand).id or 0 for key, brand in brands.items()},
        preorder_products=build_preorder_world(session, communities, users, designs),
        questions=questions,
        answers=answers,
        answers_to_own=answers_to_own,
    )


def build_preorder_world(
    session: Session, communities: dict[str, Community], users: dict[str, User], designs: dict[str, int]
) -> dict[str, int]:
    """Per community: the world's design as a product on pre-order, with a pledge by each actor who is a member
    there (so the routes on one's pledge find it), made directly: the services' own tests cover opening it."""
    products: dict[str, int] = {}
    for key, community_row in communities.items():
        product = Product(brand_id=community_row.brand_id, name=f"Perm tee {key}", design_id=designs[key])
        session.add(product)
        session.flush()
        preorder = Preorder(
            product_id=product.id or 0,
            brand_id=community_row.brand_id,
            community_id=community_row.id or 0,
            target_count=100,
            variants=["M"],
            price_minor=2400,
            currency="EUR",
            deadline_at=utcnow() + timedelta(days=30),
        )
        session.add(preorder)
        session.flush()
        for name, actor in ACTORS.items():
            if key in actor.community_roles:
                session.add(Pledge(preorder_id=preorder.id or 0, user_id=users[name].id or 0, variant="M", quantity=1))
                preorder.pledged_count += 1
        session.add(preorder)
        session.flush()
        products[key] = product.id or 0
    return products


def build_moderation_world(
    session: Session,
    communities: dict[str, Community],
    users: dict[str, User],
    designer: User,
    designs: dict[str, int],
    challenges: dict[str, str],
) -> tuple[dict[str, dict[str, int]], dict[tuple[str, str], int]]:
    """Per community: a queue item, a sanction of the designer with their appeal, a discount; and for every actor a
    decision about them (the decision routes show only one's own)."""
    moderator = make_user(session, handle="perm_moderator_x", email="moderator-x@perm.example.com")
    moderation: dict[str, dict[str, int]] = {}
    decisions: dict[tuple[str, str], int] = {}
    for key, community_row in communities.items():
        moderation_screening.flag_near_duplicate(session, community=community_row, design_id=designs[key])
        item = session.exec(select(ModerationItem).where(ModerationItem.community_id == community_row.id)).one()
        sanction = moderation_sanctions.sanction_member(
            session, community=community_row, moderator=moderator, member=designer, kind="warning", reason="Spam"
        )
        entry = session.exec(select(AuditEntry).where(AuditEntry.subject_id == sanction.id)).one()
        appeal = moderation_appeals.file_appeal(
            session, community=community_row, appellant=designer, entry_id=entry.id or 0, body="It was not spam"
        )
        challenge_row = session.exec(select(Challenge).where(Challenge.slug == challenges[key])).one()
        discount = ScoreDiscount(challenge_id=challenge_row.id or 0, reason="A ring", created_by_id=moderator.id)
        session.add(discount)
        session.flush()
        moderation[key] = {
            "item_id": item.id or 0,
            "sanction_id": sanction.id or 0,
            "appeal_id": appeal.id or 0,
            "discount_id": discount.id or 0,
        }
        for name, person in users.items():
            about = moderation_audit.record(
                session,
                community_id=community_row.id,
                actor=moderator,
                action=AuditAction.warning,
                subject_kind="sanction",
                target_user_id=person.id,
                reason="Be kind",
            )
            decisions[(name, key)] = about.id or 0
    return moderation, decisions


@pytest.fixture(scope="module")
def world_connection(engine: Engine) -> Iterator[tuple[Connection, World]]:
    """One connection for the module, its transaction holding the world; rolled back at the end."""
    connection = engine.connect()
    transaction = connection.begin()
    try:
        builder = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        world = build_world(builder)
        builder.commit()  # releases the builder's savepoint into the module's transaction
        builder.close()
        yield connection, world
    finally:
        transaction.rollback()
        connection.close()


@pytest.fixture
def world(world_connection: tuple[Connection, World]) -> World:
    return world_connection[1]


@pytest.fixture
def session(world_connection: tuple[Connection, World]) -> Iterator[Session]:
    """Replaces tests/conftest.py's ``session`` here: a savepoint over the world, rolled back after the test.

    Commits (the app's, at the start and end of each request) only release the session's own savepoints.
    """
    connection, _ = world_connection
    savepoint = connection.begin_nested()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture
def app(session: Session) -> Iterator[FastAPI]:
    """The module's app on this test's session, as tests/conftest.py's ``app`` fixture sets up a new one."""

    use_test_session(APP, session)
    yield APP
    APP.dependency_overrides.clear()


_CSRF_COOKIE: dict[str, str] = {}


@pytest.fixture(scope="module")
def module_client() -> Iterator[TestClient]:
    """One client, and so one event loop thread, for the module's thousands of cases: entering a TestClient (its
    portal thread and the app's startup) for each one cost more than a millisecond of CPU a case."""
    with TestClient(APP, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def client(app: FastAPI, module_client: TestClient) -> TestClient:
    """The module's client holding no cookie but a CSRF one (fetched once: the token is signed, not tied to a
    login), so no login or flash message of an earlier case reaches this one."""
    module_client.cookies.clear()
    if "csrftoken" in _CSRF_COOKIE:
        module_client.cookies.set("csrftoken", _CSRF_COOKIE["csrftoken"])
    else:
        _CSRF_COOKIE["csrftoken"] = csrf_token(module_client)
    return module_client


def user(session: Session, world: World, actor: str) -> User:
    found = session.get(User, world.users[actor].id)
    assert found is not None
    return found


def community(session: Session, world: World, key: str) -> Community:
    found = session.get(Community, world.communities[key].id)
    assert found is not None
    return found


def invite(session: Session, world: World, key: str) -> Invite:
    found = session.get(Invite, world.invites[key].id)
    assert found is not None
    return found


# A share link of the world's campaign in A1 (made directly: nobody is accepted there).
SHARE_CODE = "perm-share-link"


def campaign_slug(community_key: str) -> str:
    """The world's sampling campaign in a community (in its applications window)."""
    return f"perm-campaign-{community_key.lower()}"


def url_for(route: RouteInfo, world: World, *, actor: str, target: str | None) -> str:
    """The route's path, its parameters filled from the world for the actor and target brand or community."""
    brand_key = COMMUNITIES[target][0] if target in COMMUNITIES else target or "A"
    community_key = target if target in COMMUNITIES else "A1"
    values = {
        "brand_slug": world.brands[brand_key].slug,
        "community_slug": world.communities[community_key].slug,
        # Someone the route may act on: staff who are not the brand's only owner, a member of every community whose
        # profile nobody of the actors owns (to report), or a member of A1 and A2.
        "handle": world.users[f"analyst_{brand_key.lower()}"].handle
        if "/staff/" in route.path
        else DESIGNER_HANDLE
        if route.path.endswith("/reports")
        else world.users["member"].handle,
        "invite_id": str(world.invites[community_key].id),
        "token_id": str(world.tokens[actor if actor in world.tokens else "user"].id),  # one's own token
        "code": world.invites["A2"].code,
        "email_id": str(world.email_id),
        "token": "not-a-real-token",
        "product_id": str(world.product_id),
        "batch_id": str(world.batch_id),
        "redemption_id": str(world.redemption_id),
        "key": stored_rendition_key() if "{key" in route.path else "",
        "challenge_slug": world.challenges[community_key],
        "campaign_slug": campaign_slug(community_key),
        "share_code": SHARE_CODE,
        # One's own design for the routes a designer uses on theirs; otherwise someone else's.
        "design_id": str(
            world.own_designs.get((actor, community_key), world.designs[community_key])
            if route.path.endswith(("/edit", "/withdraw")) or (route.is_api and route.method in {"PATCH", "DELETE"})
            else world.designs[community_key]
        ),
    }

    if "/products/{product_id}" in route.path and (
        route.path.startswith(("/c/", "/api/v1/communities/")) or route.path.endswith(("/preorder", "/pledges.csv"))
    ):
        # Pre-order routes: the community's product on pre-order (the brand's routes take brand A's in A1).
        values["product_id"] = str(world.preorder_products[community_key])
    values["endpoint_id"] = str(world.webhook_endpoints[brand_key])
    survey_id, question_id, response_id = world.surveys[brand_key]
    values.update(survey_id=str(survey_id), question_id=str(question_id), response_id=str(response_id))
    if route.path.startswith(("/c/", "/api/v1/communities/")):
        values["survey_id"] = str(world.community_surveys[community_key])
    values["comment_id"] = str(world.own_comments.get((actor, community_key), world.comments[community_key]))
    # One's own idea for the photo (its author's); otherwise someone else's.
    values["idea_id"] = str(
        world.own_ideas.get((actor, community_key), world.ideas[community_key])
        if route.path.endswith("/photo")
        else world.ideas[community_key]
    )
    if "/surveys/" not in route.path:
        # Community Q&A's question (a survey's question is the survey's, above; their ids may differ).
        values["question_id"] = str(world.questions[community_key])
    # One's own question's answer for accepting (only its asker or the brand's staff may); otherwise the world's.
    values["answer_id"] = str(
        world.answers_to_own.get((actor, community_key), world.answers[community_key])
        if "accept" in route.path
        else world.answers[community_key]
    )
    values["language"] = "de"  # a survey question's translation
    values["kind"] = "comment"
    values["subject_id"] = str(world.comments[community_key])
    values.update({name: str(number) for name, number in world.moderation[community_key].items()})
    values["entry_id"] = str(world.decisions.get((actor, community_key), world.decisions[("user", community_key)]))

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"{route.key}: no world value for the path parameter {{{name}}}; add one to url_for"
        return values[name]

    # "{key:path}" and the like: the converter is not part of the name.
    return re.sub(r"\{(\w+)(?::\w+)?\}", fill, route.path)


def stored_rendition_key() -> str:
    """A public rendition in the media storage, for GET /media/{key:path} (stored files are not part of the world,
    which lives in the database; putting the same content-addressed file again is harmless)."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 90)).save(buffer, "JPEG")
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    key = f"renditions/{digest[:2]}/{digest[2:4]}/{digest}.jpg"
    get_storage().put(key, data, "image/jpeg")
    return key


RESTORE_DISCOUNT_API = (
    "POST /api/v1/communities/{community_slug}/challenges/{challenge_slug}/integrity/discounts/{discount_id}/restore"
)


def body_for(route: RouteInfo, world: World, *, target: str | None) -> dict[str, Any]:
    """A minimal body, valid where that is cheap, so that allowed writes go through the real service code."""
    visibility = COMMUNITIES[target][1].value if target in COMMUNITIES else "public"
    plain_email = world.users["user"].email
    community_form = {
        "name": "Renamed",
        "tagline": "",
        "description": "",
        "kind": "both",
        "visibility": visibility,
    }
    moments = {
        "submissions_open_at": "2030-01-01T10:00",
        "submissions_close_at": "2030-01-10T10:00",
        "scoring_close_at": "2030-01-20T10:00",
    }
    challenge_json = {"title": "Fresh", **{name: value + ":00Z" for name, value in moments.items()}}
    survey_question = {"kind": "text", "prompt": "Anything more?"}
    address = {"recipient_name": "Mia", "address_line1": "12 Harbour Road", "city": "Leith", "country": "GB"}
    design_id = world.designs[target if target in COMMUNITIES else "A1"]
    community_key = target if target in COMMUNITIES else "A1"
    moderation = world.moderation[community_key]
    bodies: dict[str, dict[str, Any]] = {
        "POST /c/{community_slug}/challenges/new": {"data": {"title": "Fresh", "slug": "perm-fresh", **moments}},
        "POST /c/{community_slug}/challenges/{challenge_slug}/edit": {"data": {"title": "Renamed", **moments}},
        "POST /c/{community_slug}/challenges/{challenge_slug}/winners": {"data": {"design_id": str(design_id)}},
        "POST /c/{community_slug}/challenges/{challenge_slug}/winners/withdraw": {
            "data": {"design_id": str(design_id)}
        },
        "POST /designs/{design_id}/score": {"data": {"value": "4", "would_buy": "1"}},
        "POST /designs/{design_id}/edit": {"data": {"title": "Renamed"}},
        "POST /api/v1/communities/{community_slug}/challenges": {"json": {**challenge_json, "slug": "perm-fresh"}},
        "PATCH /api/v1/communities/{community_slug}/challenges/{challenge_slug}": {"json": challenge_json},
        "POST /api/v1/communities/{community_slug}/challenges/{challenge_slug}/designs": {
            "data": {"title": "Fresh"},
            "files": {"image": ("fresh.png", b"not really an image", "image/png")},
        },
        "POST /api/v1/communities/{community_slug}/challenges/{challenge_slug}/winners": {
            "json": {"design_id": design_id}
        },
        "PATCH /api/v1/designs/{design_id}": {"json": {"title": "Renamed"}},
        "PUT /api/v1/designs/{design_id}/score": {"json": {"value": 4, "would_buy": True}},
        "POST /designs/{design_id}/comments": {"data": {"body": "Lovely colours"}},
        "POST /comments/{comment_id}/edit": {"data": {"body": "Lovely colours, edited"}},
        "POST /api/v1/designs/{design_id}/comments": {"json": {"body": "Lovely colours"}},
        "PATCH /api/v1/comments/{comment_id}": {"json": {"body": "Lovely colours, edited"}},
        "POST /api/v1/me/notifications/read": {"json": {}},
        "POST /c/{community_slug}/ideas/categories": {"data": {"name": "Scents"}},
        "POST /c/{community_slug}/ideas/new": {"data": {"title": "A fresh idea for the board"}},
        "POST /ideas/{idea_id}/status": {"data": {"status": "under_review"}},
        "POST /ideas/{idea_id}/response": {"data": {"response": "Thanks, we are on it."}},
        "POST /ideas/{idea_id}/tags": {"data": {"tags": "scent, refill"}},
        "POST /ideas/{idea_id}/merge": {"data": {"into": str(world.other_ideas[community_key])}},
        "POST /ideas/{idea_id}/hide": {"data": {"hidden": "1"}},
        "POST /ideas/{idea_id}/comments": {"data": {"body": "Yes please"}},
        "POST /api/v1/communities/{community_slug}/ideas": {"json": {"title": "A fresh idea for the board"}},
        "POST /api/v1/communities/{community_slug}/idea-categories": {"json": {"name": "Scents"}},
        "PUT /api/v1/ideas/{idea_id}/photo": {"files": {"photo": ("photo.png", b"not really an image", "image/png")}},
        "POST /api/v1/ideas/{idea_id}/status": {"json": {"status": "under_review"}},
        "PUT /api/v1/ideas/{idea_id}/response": {"json": {"response": "Thanks, we are on it."}},
        "PUT /api/v1/ideas/{idea_id}/tags": {"json": {"tags": ["scent", "refill"]}},
        "POST /api/v1/ideas/{idea_id}/merge": {"json": {"into": world.other_ideas[community_key]}},
        "PUT /api/v1/ideas/{idea_id}/hidden": {"json": {"hidden": True}},
        "POST /api/v1/ideas/{idea_id}/comments": {"json": {"body": "Yes please"}},
        "POST /settings/notifications": {"data": {"kind-design_comment": "weekly"}},
        "PUT /api/v1/me/notification-preferences": {"json": {"preferences": {"design_comment": "weekly"}}},
        "POST /brands/{brand_slug}/webhooks": {
            "data": {"url": "https://hooks.example.com/in", "events": ["comment_created"]}
        },
        "POST /brands/{brand_slug}/webhooks/{endpoint_id}/active": {"data": {"is_active": "0"}},
        "POST /brands/{brand_slug}/webhooks/{endpoint_id}/events": {"data": {"events": ["sale_recorded"]}},
        "POST /api/v1/brands/{brand_slug}/webhooks": {
            "json": {"url": "https://hooks.example.com/in", "events": ["comment_created"]}
        },
        "PATCH /api/v1/brands/{brand_slug}/webhooks/{endpoint_id}": {"json": {"is_active": False}},
        "POST /c/{community_slug}/questions/new": {
            "data": {"title": "How long does one refill last?", "visitor_name": "Perm Visitor"}
        },
        "POST /api/v1/communities/{community_slug}/questions": {
            "json": {"title": "How long does one refill last?", "visitor_name": "Perm Visitor"}
        },
        "POST /c/{community_slug}/questions/settings": {"data": {"visitors_may_ask": "1"}},
        "PUT /api/v1/communities/{community_slug}/question-settings": {"json": {"visitors_may_ask": True}},
        "POST /questions/{question_id}/answers": {"data": {"body": "About a month for me."}},
        "POST /api/v1/questions/{question_id}/answers": {"json": {"body": "About a month for me."}},
        "POST /questions/{question_id}/hide": {"data": {"hidden": "1"}},
        "POST /answers/{answer_id}/hide": {"data": {"hidden": "1"}},
        "PUT /api/v1/questions/{question_id}/hidden": {"json": {"hidden": True}},
        "PUT /api/v1/answers/{answer_id}/hidden": {"json": {"hidden": True}},
        "POST /c/{community_slug}/report/{kind}/{subject_id}": {"data": {"reason": "spam"}},
        "POST /api/v1/communities/{community_slug}/reports": {
            "json": {"subject_kind": "comment", "subject_id": world.comments[community_key], "reason": "spam"}
        },
        "POST /api/v1/communities/{community_slug}/members/{handle}/reports": {"json": {"reason": "spam"}},
        "POST /brands/{brand_slug}/surveys/{survey_id}/insights/responses/{response_id}/report": {
            "data": {"reason": "offensive"}
        },
        "POST /api/v1/brands/{brand_slug}/surveys/{survey_id}/insights/responses/{response_id}/reports": {
            "json": {"reason": "offensive"}
        },
        "POST /c/{community_slug}/moderation/decide": {
            "data": {"item_ids": str(moderation["item_id"]), "decision": "restore", "reason": ""}
        },
        "POST /api/v1/communities/{community_slug}/moderation/decisions": {
            "json": {"item_ids": [moderation["item_id"]], "decision": "restore"}
        },
        "POST /c/{community_slug}/moderation/items/{item_id}/sanction": {"data": {"kind": "warning", "reason": "Spam"}},
        "POST /c/{community_slug}/moderation/sanctions": {
            "data": {"handle": DESIGNER_HANDLE, "kind": "warning", "reason": "Spam"}
        },
        "POST /api/v1/communities/{community_slug}/moderation/sanctions": {
            "json": {"handle": DESIGNER_HANDLE, "kind": "warning", "reason": "Spam"}
        },
        "POST /c/{community_slug}/moderation/sanctions/{sanction_id}/lift": {"data": {"reason": "Served"}},
        "POST /api/v1/communities/{community_slug}/moderation/sanctions/{sanction_id}/lift": {
            "json": {"reason": "Served"}
        },
        "POST /c/{community_slug}/moderation/settings": {
            "data": {"auto_hide_threshold": "4", "premoderation_posts": "1", "blocked_words": "casino"}
        },
        "PUT /api/v1/communities/{community_slug}/moderation/settings": {
            "json": {"auto_hide_threshold": 4, "blocked_words": ["casino"]}
        },
        "POST /c/{community_slug}/moderation/appeals/{appeal_id}": {"data": {"outcome": "reject", "reason": "Stands"}},
        "POST /api/v1/communities/{community_slug}/moderation/appeals/{appeal_id}/decision": {
            "json": {"grant": False, "reason": "Stands"}
        },
        "POST /c/{community_slug}/decisions/{entry_id}/appeal": {"data": {"body": "Please look again"}},
        "POST /api/v1/communities/{community_slug}/decisions/{entry_id}/appeal": {
            "json": {"body": "Please look again"}
        },
        "POST /c/{community_slug}/challenges/{challenge_slug}/integrity/discounts": {
            "data": {"voter_ids": "1", "reason": "A ring"}
        },
        "POST /api/v1/communities/{community_slug}/challenges/{challenge_slug}/integrity/discounts": {
            "json": {"voter_ids": [1], "reason": "A ring"}
        },
        "POST /c/{community_slug}/challenges/{challenge_slug}/integrity/discounts/{discount_id}/restore": {
            "data": {"reason": "Honest after all"}
        },
        RESTORE_DISCOUNT_API: {"json": {"reason": "Honest after all"}},
        "POST /settings/privacy/delete": {"data": {"password": "wrong"}},
        "POST /api/v1/me/delete": {"json": {"password": "wrong"}},
        "POST /admin/bans": {"data": {"handle": DESIGNER_HANDLE, "reason": "Spam"}},
        "POST /api/v1/admin/bans": {"json": {"handle": DESIGNER_HANDLE, "reason": "Spam"}},
        # Invalid on purpose: a valid one would hash a password (slow); only the refusal classes matter here.
        "POST /signup": {"data": {}},
        "POST /login": {"data": {"login": "", "password": ""}},
        "POST /settings/password": {"data": {"current_password": "wrong", "password": ""}},
        "POST /api/v1/users": {"json": {}},
        "POST /api/v1/auth/session": {"json": {"login": "", "password": ""}},
        "POST /api/v1/me/password": {"json": {"current_password": "wrong", "password": ""}},
        # Valid ones.
        "POST /confirm/resend": {"data": {"email": "nobody@example.com"}},
        "POST /reset": {"data": {"email": "nobody@example.com"}},
        "POST /reset/{token}": {"data": {"password": "irrelevant"}},
        "POST /settings": {"data": {"display_name": "Renamed", "bio": ""}},
        "POST /settings/language": {"data": {"locale": "de", "time_zone": "Europe/Berlin"}},
        "POST /language": {"data": {"locale": "es", "next": "/"}},
        "POST /settings/tokens": {"data": {"name": "ci"}},
        "POST /c/{community_slug}/members/{handle}/role": {"data": {"role": "connector"}},
        "POST /c/{community_slug}/settings": {"data": community_form},
        "POST /c/{community_slug}/invites": {"data": {"note": "", "max_uses": "", "expires_in_days": "14"}},
        "POST /brands/{brand_slug}/communities/new": {
            "data": {"name": "Fresh", "slug": "perm-fresh", "kind": "both", "visibility": "public"}
        },
        "POST /brands/{brand_slug}/staff": {"data": {"email": plain_email, "role": "analyst"}},
        "POST /admin/brands": {"data": {"name": "Fresh", "slug": "perm-fresh", "first_manager_email": plain_email}},
        "POST /api/v1/auth/confirm": {"json": {"token": "not-a-real-token"}},
        "POST /api/v1/auth/confirm/resend": {"json": {"email": "nobody@example.com"}},
        "POST /api/v1/auth/password-reset": {"json": {"email": "nobody@example.com"}},
        "POST /api/v1/auth/password-reset/confirm": {"json": {"token": "not-a-real-token", "password": "irrelevant"}},
        "PATCH /api/v1/me": {"json": {"display_name": "Renamed"}},
        "PUT /api/v1/me/preferences": {"json": {"locale": "de", "time_zone": "Europe/Berlin"}},
        "POST /api/v1/me/tokens": {"json": {"name": "ci"}},
        "POST /api/v1/me/two-factor": {"json": {"setup_token": "not-a-real-token", "code": "000000"}},
        "POST /api/v1/me/two-factor/disable": {"json": {}},
        "POST /api/v1/me/two-factor/recovery-codes": {"json": {}},
        "PUT /api/v1/brands/{brand_slug}/two-factor-policy": {"json": {"require_staff_two_factor": False}},
        "PATCH /api/v1/communities/{community_slug}": {
            "json": {"name": "Renamed", "kind": "both", "visibility": visibility}
        },
        "PUT /api/v1/communities/{community_slug}/members/{handle}": {"json": {"role": "connector"}},
        "POST /c/{community_slug}/campaigns/{campaign_slug}/reviews": {"data": {"rating": "5", "body": "Lovely"}},
        "POST /c/{community_slug}/campaigns/{campaign_slug}/reviews/mine/edit": {
            "data": {"rating": "4", "body": "Still lovely"}
        },
        "POST /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/reviews": {
            "json": {"rating": 5, "body": "Lovely"}
        },
        "PUT /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/reviews/mine": {
            "json": {"rating": 4, "body": "Still lovely"}
        },
        "PUT /api/v1/communities/{community_slug}/campaigns/{campaign_slug}/reviews/mine/photo": {
            "files": {"photo": ("photo.png", b"not really an image", "image/png")}
        },
        "POST /api/v1/communities/{community_slug}/invites": {"json": {}},
        "POST /api/v1/brands/{brand_slug}/communities": {
            "json": {"name": "Fresh", "slug": "perm-fresh", "kind": "both"}
        },
        "POST /api/v1/brands/{brand_slug}/staff": {"json": {"email": plain_email, "role": "analyst"}},
        "POST /api/v1/admin/brands": {
            "json": {"name": "Fresh", "slug": "perm-fresh", "first_manager_email": plain_email}
        },
        "POST /brands/{brand_slug}/surveys": {"data": {"title": "Fresh", "start": "blank"}},
        "POST /brands/{brand_slug}/surveys/{survey_id}": {"data": {"title": "Renamed"}},
        "POST /brands/{brand_slug}/surveys/{survey_id}/questions": {"data": survey_question},
        "POST /brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}": {"data": survey_question},
        "POST /brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/move": {"data": {"direction": "up"}},
        "POST /api/v1/brands/{brand_slug}/surveys": {"json": {"title": "Fresh"}},
        "PATCH /api/v1/surveys/{survey_id}": {"json": {"title": "Renamed"}},
        "POST /api/v1/surveys/{survey_id}/questions": {"json": survey_question},
        "PUT /api/v1/surveys/{survey_id}/questions/{question_id}": {"json": survey_question},
        "POST /api/v1/surveys/{survey_id}/questions/{question_id}/move": {"json": {"offset": 1}},
        "POST /brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/translations/{language}": {
            "data": {"prompt": "Noch etwas?"}
        },
        "PUT /api/v1/surveys/{survey_id}/questions/{question_id}/translations/{language}": {
            "json": {"prompt": "Noch etwas?"}
        },
        "POST /api/v1/surveys/{survey_id}/responses": {"json": {"answers": {}}},
        "POST /brands/{brand_slug}/surveys/{survey_id}/publish": {"data": {"community": ""}},
        "PUT /api/v1/surveys/{survey_id}/community": {"json": {"community_slug": None}},
        "POST /api/v1/communities/{community_slug}/surveys/{survey_id}/responses": {"json": {"answers": {}}},
        "POST /c/{community_slug}/products/{product_id}/pledge": {"data": {"variant": "M", "quantity": "1", **address}},
        "PUT /api/v1/communities/{community_slug}/products/{product_id}/pledge": {
            "json": {"variant": "M", "quantity": 1, **address}
        },
    }
    return bodies.get(route.key, {})


def send(
    client: TestClient, session: Session, world: World, route: RouteInfo, *, actor: str, target: str | None
) -> Response:
    """The request a browser or API client of this actor would send, with the CSRF header on writes."""
    headers = {"x-csrftoken": csrf_token(client)} if route.method not in SAFE_METHODS else {}
    if ACTORS[actor].logged_in:
        log_in(client, session, user(session, world, actor))
    url = url_for(route, world, actor=actor, target=target)
    return client.request(
        route.method, url, headers=headers, follow_redirects=False, **body_for(route, world, target=target)
    )


ALLOWED, LOGIN, NOT_FOUND, FORBIDDEN = "allowed", "log in first", "404", "403"


def roles_of(actor_name: str, kind: type[PermissionCheck], target: str | None) -> frozenset[Role]:
    """The actor's roles for the route's resource, from the world's declaration above (not from the app)."""
    actor = ACTORS[actor_name]
    roles = {Role.visitor}
    if actor.logged_in:
        roles.add(Role.user)
    if actor.site_admin:
        roles.add(Role.site_admin)
    if kind in IN_BRAND:
        assert target is not None
        if target in actor.staff_roles:
            roles.add(Role(actor.staff_roles[target]))
    elif kind in IN_COMMUNITY:
        assert target is not None
        brand_key = COMMUNITIES[target][0]
        if target in actor.community_roles:
            roles.add(Role(actor.community_roles[target]))
        if brand_key in actor.staff_roles:  # a brand's staff reach all of its communities
            roles.add(Role(actor.staff_roles[brand_key]))
    return frozenset(roles)


def refusal(actor_name: str, roles: frozenset[Role]) -> str:
    """How a refusal reads: log in first, 403 for insiders lacking the role, 404 for everyone else."""
    if not ACTORS[actor_name].logged_in:
        return LOGIN
    return FORBIDDEN if roles & INSIDERS else NOT_FOUND


def expected_outcome(route: RouteInfo, actor_name: str, target: str | None) -> str:
    """What ``can`` says for this actor on this route's action and resource."""
    kind, action = ROUTE_PERMISSIONS[route.key]
    roles = roles_of(actor_name, kind, target)
    if kind in IN_COMMUNITY and COMMUNITIES[target or ""][1] == Visibility.invite_only:
        if not can(roles, Action.view_invite_only_community):
            return refusal(actor_name, roles)
        if action == Action.join_community:
            # The table's row is "join_community (public)": an invite-only community is joined by invite only.
            return refusal(actor_name, roles)
    if not can(roles, action):
        return refusal(actor_name, roles)
    return ALLOWED


def outcome(route: RouteInfo, response: Response) -> str:
    """The class of an answer: allowed, or one of the three refusals (anything else is reported as it is)."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if route.is_api:
        if status == 401:
            return LOGIN
    elif status == 303 and response.headers.get("location", "").startswith("/login"):
        return LOGIN
    elif status == 401:
        return "401 on an HTML page"
    if status == 404:
        return NOT_FOUND
    if status == 403:
        return FORBIDDEN
    return ALLOWED


def describe(response: Response) -> str:
    location = response.headers.get("location")
    return f"{response.status_code}{f' -> {location}' if location else ''}: {response.text[:300]!r}"


@dataclass(frozen=True)
class Case:
    route: RouteInfo
    actor: str
    target: str | None  # a brand or community key, for routes about one

    def __str__(self) -> str:
        return f"{self.route.key} @{self.target or '-'} as {self.actor}"


def targets_of(route: RouteInfo) -> list[str | None]:
    kind, _ = ROUTE_PERMISSIONS.get(route.key, PUBLIC)
    if kind in IN_COMMUNITY:
        return ["A1", "A2"]
    if kind in IN_BRAND:
        return ["A"]
    return [None]


MATRIX = [Case(route, actor, target) for route in ROUTES for target in targets_of(route) for actor in MATRIX_ACTORS]


@pytest.mark.parametrize("case", MATRIX, ids=str)
def test_permission_matrix(case: Case, world: World, client: TestClient, session: Session) -> None:
    expected = expected_outcome(case.route, case.actor, case.target)
    response = send(client, session, world, case.route, actor=case.actor, target=case.target)
    assert outcome(case.route, response) == expected, f"{case}: expected {expected}, got {describe(response)}"
    if expected == LOGIN and not case.route.is_api:
        path = url_for(case.route, world, actor=case.actor, target=case.target)
        assert response.headers["location"] == "/login?next=" + quote(path)


def test_the_matrix_sees_every_outcome() -> None:
    """A guard on the test itself: every route has an allowed actor; each refusal is expected somewhere."""
    outcomes: dict[str, set[str]] = {}
    for case in MATRIX:
        outcomes.setdefault(case.route.key, set()).add(expected_outcome(case.route, case.actor, case.target))
    assert [key for key, seen in outcomes.items() if ALLOWED not in seen] == []
    assert set().union(*outcomes.values()) == {ALLOWED, LOGIN, NOT_FOUND, FORBIDDEN}


# ------------------------------------------------------------------------------------------------------------
# 4. Cross-brand isolation
# ------------------------------------------------------------------------------------------------------------


def _isolation_cases() -> list[Case]:
    cases = []
    for route in ROUTES:
        kind, action = ROUTE_PERMISSIONS[route.key]
        targets: list[str] = []
        if kind in IN_BRAND:
            targets = ["A"]
        elif kind in IN_COMMUNITY:
            targets = ["A2"]  # invite-only: invisible to them
            if action not in {
                Action.view_community,
                Action.join_community,
                Action.view_challenge,
                Action.view_ideas,
                Action.view_campaign,
                Action.ask_question,  # open to anyone where the community takes visitors' questions
            }:
                targets.append("A1")  # public, but its members, settings and invites are not theirs
        cases += [Case(route, actor, target) for target in targets for actor in B_STAFF]
    return cases


@pytest.mark.parametrize("case", _isolation_cases(), ids=str)
def test_another_brands_staff_get_404(case: Case, world: World, client: TestClient, session: Session) -> None:
    response = send(client, session, world, case.route, actor=case.actor, target=case.target)
    assert response.status_code == 404, f"{case}: expected 404, got {describe(response)}"
    for secret in (world.communities["A2"].name, world.invites["A1"].code, world.invites["A2"].code):
        assert secret not in response.text


@pytest.mark.parametrize("actor", B_STAFF)
def test_another_brands_staff_reach_their_own_brand(
    actor: str, world: World, client: TestClient, session: Session
) -> None:
    """The positive control for the 404s above: the same people do reach brand B and its community."""
    log_in(client, session, user(session, world, actor))
    assert client.get(f"/brands/{world.brands['B'].slug}").status_code == 200
    listed = client.get(f"/api/v1/brands/{world.brands['B'].slug}/communities")
    assert [c["slug"] for c in listed.json()] == [world.communities["B1"].slug]
    assert client.get(f"/api/v1/communities/{world.communities['B1'].slug}/members").status_code == 200


@pytest.mark.parametrize("actor", ["manager_a", "owner_a", "site_admin"])
@pytest.mark.parametrize("channel", ["html", "api"])
def test_guessing_another_communitys_invite_id_is_404(
    actor: str, channel: str, world: World, client: TestClient, session: Session
) -> None:
    a1, b1_invite = world.communities["A1"], world.invites["B1"]
    headers = {"x-csrftoken": csrf_token(client)}
    log_in(client, session, user(session, world, actor))
    if channel == "html":
        response = client.post(f"/c/{a1.slug}/invites/{b1_invite.id}/revoke", headers=headers, follow_redirects=False)
    else:
        response = client.delete(f"/api/v1/communities/{a1.slug}/invites/{b1_invite.id}", headers=headers)
    assert response.status_code == 404, describe(response)
    assert invite(session, world, "B1").revoked_at is None
    # Nor does A1's list of invites show B1's.
    listed = client.get(f"/api/v1/communities/{a1.slug}/invites").json()
    assert [entry["id"] for entry in listed] == [world.invites["A1"].id]


@pytest.mark.parametrize("channel", ["html", "api"])
def test_revoking_another_users_api_token_is_404(
    channel: str, world: World, client: TestClient, session: Session
) -> None:
    victim = world.tokens["member"]
    headers = {"x-csrftoken": csrf_token(client)}
    log_in(client, session, user(session, world, "user"))
    if channel == "html":
        response = client.post(f"/settings/tokens/{victim.id}/revoke", headers=headers)
    else:
        response = client.delete(f"/api/v1/me/tokens/{victim.id}", headers=headers)
    assert response.status_code == 404, describe(response)
    token = session.get(ApiToken, victim.id)
    assert token is not None and token.revoked_at is None
    client.cookies.clear()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {victim.plain}"})
    assert me.json()["handle"] == world.users["member"].handle


def test_another_brands_staff_see_no_invite_only_community_in_listings(
    world: World, client: TestClient, session: Session
) -> None:
    log_in(client, session, user(session, world, "manager_b"))
    slugs = {entry["slug"] for entry in client.get("/api/v1/communities").json()}
    assert world.communities["A1"].slug in slugs
    assert world.communities["A2"].slug not in slugs
    assert [brand["slug"] for brand in client.get("/api/v1/brands").json()] == [world.brands["B"].slug]
    profile = client.get(f"/u/{world.users['member'].handle}")
    assert profile.status_code == 200
    assert world.communities["A1"].name in profile.text
    assert world.communities["A2"].name not in profile.text


@pytest.mark.parametrize("channel", ["html", "api"])
def test_a_hidden_community_answers_like_a_missing_one(
    channel: str, world: World, client: TestClient, session: Session
) -> None:
    """To a logged-in outsider, an invite-only community and a slug that names nothing look the same."""
    log_in(client, session, user(session, world, "manager_b"))
    prefix = "/c" if channel == "html" else "/api/v1/communities"
    hidden = client.get(f"{prefix}/{world.communities['A2'].slug}")
    missing = client.get(f"{prefix}/perm-community-nowhere")
    assert hidden.status_code == missing.status_code == 404
    # The page's own address (the footer's language switcher returns to it) is the only difference allowed.
    assert hidden.text.replace(world.communities["A2"].slug, "perm-community-nowhere") == missing.text


# ------------------------------------------------------------------------------------------------------------
# 5. Joining an invite-only community
# ------------------------------------------------------------------------------------------------------------


def member_count(session: Session, world: World, key: str) -> int:
    """The community's stored counter, after checking it against the memberships actually there."""
    session.expire_all()
    community_id = world.communities[key].id
    stored = session.exec(select(Community.member_count).where(Community.id == community_id)).one()
    counted = session.exec(
        select(func.count()).select_from(Membership).where(Membership.community_id == community_id)
    ).one()
    assert stored == counted, f"{key}: member_count says {stored}, there are {counted} memberships"
    return stored


def is_member(session: Session, world: World, key: str, actor: str) -> bool:
    return (
        communities_service.get_membership(
            session, community=community(session, world, key), user=user(session, world, actor)
        )
        is not None
    )


def test_a_plain_user_cannot_join_an_invite_only_community_directly(
    world: World, client: TestClient, session: Session
) -> None:
    slug = world.communities["A2"].slug
    before = member_count(session, world, "A2")
    headers = {"x-csrftoken": csrf_token(client)}
    log_in(client, session, user(session, world, "user"))
    assert client.get(f"/c/{slug}").status_code == 404
    assert client.get(f"/api/v1/communities/{slug}").status_code == 404
    html = client.post(f"/c/{slug}/join", headers=headers, follow_redirects=False)
    assert html.status_code == 404, describe(html)
    api = client.post(f"/api/v1/communities/{slug}/membership", headers=headers)
    assert api.status_code == 404, describe(api)
    assert api.json()["detail"] == "There is no such community."
    assert not is_member(session, world, "A2", "user")
    assert member_count(session, world, "A2") == before


def test_joining_by_invite_on_the_page_and_through_the_api(world: World, client: TestClient, session: Session) -> None:
    slug, code = world.communities["A2"].slug, world.invites["A2"].code
    before = member_count(session, world, "A2")
    headers = {"x-csrftoken": csrf_token(client)}

    # A visitor sees the invite, and is sent to log in to accept it.
    assert client.get(f"/invite/{code}").status_code == 200
    refused = client.post(f"/invite/{code}", headers=headers, follow_redirects=False)
    assert (refused.status_code, refused.headers["location"]) == (303, f"/login?next=/invite/{code}")
    assert client.post(f"/api/v1/invites/{code}/accept", headers=headers).status_code == 401
    assert member_count(session, world, "A2") == before

    # A plain user accepts on the page...
    log_in(client, session, user(session, world, "user"))
    page = client.post(f"/invite/{code}", headers=headers, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, f"/c/{slug}")
    assert client.get(f"/c/{slug}").status_code == 200
    assert is_member(session, world, "A2", "user")
    assert member_count(session, world, "A2") == before + 1
    again = client.post(f"/api/v1/invites/{code}/accept", headers=headers)
    assert again.status_code == 409, describe(again)
    assert member_count(session, world, "A2") == before + 1

    # ... and someone else (A1's moderator, a stranger to A2) through the API.
    log_in(client, session, user(session, world, "moderator"))
    assert client.get(f"/api/v1/communities/{slug}").status_code == 404
    api = client.post(f"/api/v1/invites/{code}/accept", headers=headers)
    assert api.status_code == 201, describe(api)
    assert (api.json()["community_slug"], api.json()["role"]) == (slug, "member")
    assert client.get(f"/api/v1/communities/{slug}").json()["my_role"] == "member"
    assert member_count(session, world, "A2") == before + 2
    assert invite(session, world, "A2").use_count == 2


def _expire(session: Session, spoilt: Invite) -> None:
    spoilt.expires_at = utcnow() - timedelta(minutes=1)
    session.add(spoilt)
    session.flush()


def _revoke(session: Session, spoilt: Invite) -> None:
    owner = session.get(Community, spoilt.community_id)
    assert owner is not None
    communities_service.revoke_invite(session, community=owner, invite_id=spoilt.id or 0)


def _use_up(session: Session, spoilt: Invite) -> None:
    """A one-use link, already taken by someone else (through the service, as a real use would be)."""
    spoilt.max_uses = 1
    session.add(spoilt)
    session.flush()
    communities_service.join_by_invite(session, code=spoilt.code, user=make_user(session))


INVITE_PROBLEMS: dict[str, tuple[Callable[[Session, Invite], None], str]] = {
    "expired": (_expire, "expired"),
    "revoked": (_revoke, "withdrawn"),
    "used up": (_use_up, "used as often as it may be"),
}


@pytest.mark.parametrize("channel", ["html", "api"])
@pytest.mark.parametrize("problem", list(INVITE_PROBLEMS))
def test_a_spent_invite_is_refused_clearly(
    problem: str, channel: str, world: World, client: TestClient, session: Session
) -> None:
    slug, code = world.communities["A2"].slug, world.invites["A2"].code
    spoil, message = INVITE_PROBLEMS[problem]
    spoil(session, invite(session, world, "A2"))
    before = member_count(session, world, "A2")
    headers = {"x-csrftoken": csrf_token(client)}
    log_in(client, session, user(session, world, "user"))

    shown = client.get(f"/invite/{code}")
    assert shown.status_code == 410
    assert message in shown.text
    if channel == "html":
        response = client.post(f"/invite/{code}", headers=headers, follow_redirects=False)
        assert message in response.text
    else:
        response = client.post(f"/api/v1/invites/{code}/accept", headers=headers)
        assert message in response.json()["detail"]
    assert 400 <= response.status_code < 500, describe(response)
    assert response.status_code not in {401, 403, 404}, describe(response)
    assert not is_member(session, world, "A2", "user")
    assert member_count(session, world, "A2") == before
    assert client.get(f"/c/{slug}").status_code == 404


@pytest.mark.parametrize("channel", ["html", "api"])
def test_an_unknown_invite_code_is_404(channel: str, world: World, client: TestClient, session: Session) -> None:
    headers = {"x-csrftoken": csrf_token(client)}
    log_in(client, session, user(session, world, "user"))
    if channel == "html":
        response = client.post("/invite/not-a-code", headers=headers, follow_redirects=False)
    else:
        response = client.post("/api/v1/invites/not-a-code/accept", headers=headers)
    assert response.status_code == 404, describe(response)
    assert client.get("/invite/not-a-code").status_code == 404


# ------------------------------------------------------------------------------------------------------------
# 6. Sanctions: every community write route refuses a suspended or banned member (app.moderation.enforcement)
# ------------------------------------------------------------------------------------------------------------

SANCTIONED_ROUTES = [
    route
    for route in ROUTES
    if ROUTE_PERMISSIONS[route.key][0] in IN_COMMUNITY and ROUTE_PERMISSIONS[route.key][1] in COMMUNITY_WRITE_ACTIONS
]


def test_the_write_actions_have_routes() -> None:
    """A guard on the walk below: every write action is reached by some route, pages and API both."""
    actions = {ROUTE_PERMISSIONS[route.key][1] for route in SANCTIONED_ROUTES}
    assert actions == set(COMMUNITY_WRITE_ACTIONS)
    assert {route.is_api for route in SANCTIONED_ROUTES} == {True, False}


@pytest.mark.parametrize("kind", ["suspension", "ban"])
@pytest.mark.parametrize("route", SANCTIONED_ROUTES, ids=str)
def test_a_sanctioned_member_is_refused_every_write_route(
    route: RouteInfo, kind: str, world: World, client: TestClient, session: Session
) -> None:
    """The member (of A1) can do this route's action, as the matrix shows; sanctioned in A1, they get 403 with why."""
    member = user(session, world, "member")
    moderation_sanctions.sanction_member(
        session,
        community=community(session, world, "A1"),
        moderator=user(session, world, "moderator"),
        member=member,
        kind=kind,
        reason="Sockpuppet scoring",
        days=3 if kind == "suspension" else None,
    )
    session.flush()
    response = send(client, session, world, route, actor="member", target="A1")
    assert response.status_code == 403, describe(response)
    expected = "You are suspended in Community A1 until" if kind == "suspension" else "You are banned from Community A1"
    assert expected in response.text and "Sockpuppet scoring" in response.text, describe(response)


@pytest.mark.parametrize("route", SANCTIONED_ROUTES, ids=str)
def test_a_sanction_elsewhere_or_lifted_or_over_does_not_refuse(
    route: RouteInfo, world: World, client: TestClient, session: Session
) -> None:
    """Positive controls: a ban in A2, a lifted suspension and an expired one in A1 leave A1's routes open."""
    member, moderator = user(session, world, "member"), user(session, world, "moderator")
    a1, a2 = community(session, world, "A1"), community(session, world, "A2")
    moderation_sanctions.sanction_member(
        session, community=a2, moderator=moderator, member=member, kind="ban", reason="Elsewhere"
    )
    lifted = moderation_sanctions.sanction_member(
        session, community=a1, moderator=moderator, member=member, kind="suspension", reason="Lifted", days=2
    )
    moderation_sanctions.lift_sanction(session, community=a1, moderator=moderator, sanction=lifted, reason="Sorry")
    moderation_sanctions.sanction_member(
        session,
        community=a1,
        moderator=moderator,
        member=member,
        kind="suspension",
        reason="Over",
        days=1,
        now=utcnow() - timedelta(days=2),
    )
    session.flush()
    response = send(client, session, world, route, actor="member", target="A1")
    assert outcome(route, response) == ALLOWED, describe(response)
