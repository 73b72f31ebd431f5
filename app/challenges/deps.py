"""Load the challenge or design named in the path, with its community, and check the actor's roles in it."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from fastapi import Depends, Request
from sqlalchemy import Integer, Table, and_, bindparam, select, true
from sqlmodel import col

from app.accounts.deps import CurrentUser, PermissionCheck, base_roles, check
from app.accounts.models import User
from app.accounts.reads import Account, Credentials, account_in_transaction, holder_account, request_credentials
from app.brands.models import BrandStaff, StaffRole
from app.challenges import service as challenges_service
from app.challenges.models import Challenge, ChallengeStatus, Design, DesignStatus
from app.columns import RowId, UTCDateTime, utcnow
from app.communities import service as communities_service
from app.communities.deps import CommunityAccess, community_roles
from app.communities.models import Community, Membership, Visibility
from app.db import SessionDep
from app.errors import NotFound
from app.i18n import N_, _
from app.moderation.enforcement import active_sanction_id, refuse_if_sanctioned
from app.permissions import Action, Role, can

HIDDEN_COMMUNITY = N_("There is no such community.")
HIDDEN_CHALLENGE = N_("There is no such challenge.")
HIDDEN_DESIGN = N_("There is no such design.")


@dataclass(frozen=True)
class ChallengeAccess(CommunityAccess):
    challenge: Challenge


@dataclass(frozen=True)
class DesignAccess(ChallengeAccess):
    design: Design


def _community_access(
    session: SessionDep, community: Community, user: User | None, action: Action, *, hidden: str
) -> CommunityAccess:
    """As CommunityPermit: an invite-only community is invisible to outsiders, then the action's own check."""
    roles, membership = community_roles(session, community, user)
    frozen = frozenset(roles)
    if community.visibility == Visibility.invite_only:
        check(Action.view_invite_only_community, frozen, user, hidden_message=hidden)
    check(action, frozen, user, hidden_message=hidden, session=session, brand_id=community.brand_id)
    refuse_if_sanctioned(
        session,
        action=action,
        community_id=community.id or 0,
        community_name=community.name,
        user_id=user.id if user is not None else None,
    )
    return CommunityAccess(community=community, user=user, membership=membership, roles=frozen)


def _hides_draft(status: ChallengeStatus, roles: frozenset[Role]) -> bool:
    return status == ChallengeStatus.draft and not can(roles, Action.manage_challenge)


class ChallengePermit(PermissionCheck):
    """Depends on ``community_slug`` and ``challenge_slug``; drafts are invisible (404) to all but their managers."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(
        self, community_slug: str, challenge_slug: str, user: CurrentUser, session: SessionDep
    ) -> ChallengeAccess:
        community = session.exec(communities_service.select_community_by_slug(community_slug)).first()
        if community is None:
            if user is None:  # visitors log in first; anyone logged in (the site admin too) gets the 404
                check(self.action, frozenset(base_roles(user)), user, hidden_message=HIDDEN_COMMUNITY)
            raise NotFound(_(HIDDEN_COMMUNITY))
        access = _community_access(session, community, user, self.action, hidden=HIDDEN_COMMUNITY)
        challenge = session.exec(challenges_service.select_challenge(community, challenge_slug)).first()
        if challenge is None or _hides_draft(challenge.status, access.roles):
            raise NotFound(_(HIDDEN_CHALLENGE))
        return ChallengeAccess(
            community=community, user=user, membership=access.membership, roles=access.roles, challenge=challenge
        )


class DesignPermit(PermissionCheck):
    """Depends on ``design_id``: loads the design, its challenge and community, and checks the roles there.

    Withdrawn or hidden designs are seen only by their designer and the community's moderators and staff.
    """

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, design_id: RowId, user: CurrentUser, session: SessionDep) -> DesignAccess:
        return load_design_access(session, design_id, user, self.action, hidden=HIDDEN_DESIGN)


def load_design_access(
    session: SessionDep, design_id: RowId, user: User | None, action: Action, *, hidden: str
) -> DesignAccess:
    """DesignPermit's check, for other permits that reach a design through something of theirs (a comment).

    One query loads the design, its challenge and community, and the actor's membership and brand-staff role there
    (outer joins on unique pairs, so one row at most), and the id of a suspension or ban stopping the actor from
    writing there (app.moderation.enforcement); the roles are then those of ``community_roles``.
    """
    user_id = user.id if user is not None else None
    found = session.execute(
        _select_design_access(), {"design_id": design_id, "user_id": user_id, "now": utcnow()}
    ).first()
    if found is None:
        check(action, frozenset(base_roles(user)), user, hidden_message=hidden)
        raise NotFound(_(hidden))
    design, challenge, community, membership, staff_role, sanction_id = found
    reach = _Reach(
        community_id=community.id,
        community_name=community.name,
        brand_id=community.brand_id,
        visibility=community.visibility,
        challenge_status=challenge.status,
        design_status=design.status,
        designer_id=design.designer_id,
        membership_role=membership.role if membership is not None else None,
        staff_role=staff_role,
        sanction_id=sanction_id,
    )
    roles = _check_reach(session, reach, user, action, hidden=hidden)
    return DesignAccess(
        community=community,
        user=user,
        membership=membership,
        roles=roles,
        challenge=challenge,
        design=design,
    )


@dataclass(frozen=True, slots=True)
class _Reach:
    """What deciding whether an actor reaches a design takes: its community's, challenge's and own columns, and the
    actor's standing in that community (roles, a suspension or ban)."""

    community_id: int
    community_name: str
    brand_id: int
    visibility: Visibility
    challenge_status: ChallengeStatus
    design_status: DesignStatus
    designer_id: int
    membership_role: str | None
    staff_role: str | None
    sanction_id: int | None


def _check_reach(
    session: SessionDep, reach: _Reach, user: User | Account | None, action: Action, *, hidden: str
) -> frozenset[Role]:
    """The actor's roles at the design, once they may do ``action`` there; refuses as ``check`` does otherwise.
    Withdrawn or hidden designs are seen only by their designer and the community's moderators and staff."""
    roles = base_roles(user)
    if reach.membership_role is not None:
        roles.add(Role(reach.membership_role))
    if reach.staff_role is not None:
        roles.add(Role(StaffRole(reach.staff_role)))
    frozen = frozenset(roles)
    if reach.visibility == Visibility.invite_only:
        check(Action.view_invite_only_community, frozen, user, hidden_message=hidden)
    check(action, frozen, user, hidden_message=hidden, session=session, brand_id=reach.brand_id)
    if _hides_draft(reach.challenge_status, frozen):
        raise NotFound(_(hidden))
    refuse_if_sanctioned(
        session,
        action=action,
        community_id=reach.community_id,
        community_name=reach.community_name,
        user_id=user.id if user is not None else None,
        sanction_id=reach.sanction_id,
        known=True,
    )
    is_designer = user is not None and reach.designer_id == user.id
    may_moderate = Role.moderator in frozen or can(frozen, Action.view_shortlist)
    if reach.design_status != DesignStatus.submitted and not (is_designer or may_moderate):
        raise NotFound(_(hidden))
    return frozen


@cache
def _select_design_access() -> Any:
    """Built once, with bound parameters ``design_id``, ``user_id`` (NULL for a visitor: no membership, staff or
    sanction) and ``now``."""
    user_id = bindparam("user_id", type_=Integer)
    sanction_id = active_sanction_id(Community.id, user_id, bindparam("now", type_=UTCDateTime))
    return (
        select(Design, Challenge, Community, Membership, col(BrandStaff.role), sanction_id)
        .join(Challenge, col(Challenge.id) == Design.challenge_id)
        .join(Community, col(Community.id) == Challenge.community_id)
        .outerjoin(Membership, and_(col(Membership.community_id) == Community.id, col(Membership.user_id) == user_id))
        .outerjoin(BrandStaff, and_(col(BrandStaff.brand_id) == Community.brand_id, col(BrandStaff.user_id) == user_id))
        .where(col(Design.id) == bindparam("design_id", type_=Integer))
    )


def challenge_access(action: Action) -> ChallengeAccess:
    """``access: ChallengeAccess = challenge_access(Action.view_challenge)`` in a route's parameters."""
    return Depends(ChallengePermit(action))


def design_access(action: Action) -> DesignAccess:
    """``access: DesignAccess = design_access(Action.score_design)`` in a route's parameters."""
    return Depends(DesignPermit(action))


# --- Scoring through the API, without the ORM ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoredDesignColumns:
    id: int
    challenge_id: int
    designer_id: int
    status: DesignStatus


@dataclass(frozen=True, slots=True)
class ScoredChallengeColumns:
    id: int
    status: ChallengeStatus
    submissions_open_at: datetime
    submissions_close_at: datetime
    scoring_close_at: datetime


@dataclass(frozen=True, slots=True)
class ScoredCommunityColumns:
    brand_id: int
    name: str


@dataclass(frozen=True, slots=True)
class ScoringAccess:
    """What ``score_design`` needs of a design it is asked to score through the API, and who asks."""

    voter: Account
    design: ScoredDesignColumns
    challenge: ScoredChallengeColumns
    community: ScoredCommunityColumns
    is_member: bool


class ScoringPermit(PermissionCheck):
    """``DesignPermit``'s check for the scoring API, the busiest write: the caller (by ``get_current_user``'s
    rules), the design's, challenge's and community's columns and the caller's standing there in one Core statement
    built once, on the request's transaction, with no ORM object built (a fifth of a score's CPU went to them).
    The decision is ``load_design_access``'s (``_check_reach``)."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, design_id: RowId, request: Request, session: SessionDep) -> ScoringAccess:
        credentials = request_credentials(request)
        now = utcnow()
        found = (
            session.connection()
            .execute(
                _select_scoring_access(credentials.bearer),
                {"design_id": design_id, "token_hash": credentials.token_hash, "now": now},
            )
            .first()
        )
        if found is None:  # no such design: refuse as DesignPermit does, the caller's credentials first
            account = account_in_transaction(session, request)
            check(self.action, frozenset(base_roles(account)), account, hidden_message=HIDDEN_DESIGN)
            raise NotFound(_(HIDDEN_DESIGN))
        account = holder_account(session, request, credentials, found, now=now)
        reach = _Reach(
            community_id=found.community_id,
            community_name=found.community_name,
            brand_id=found.brand_id,
            visibility=Visibility(found.visibility),
            challenge_status=ChallengeStatus(found.challenge_status),
            design_status=DesignStatus(found.design_status),
            designer_id=found.designer_id,
            membership_role=found.membership_role,
            staff_role=found.staff_role,
            sanction_id=found.sanction_id,
        )
        _check_reach(session, reach, account, self.action, hidden=HIDDEN_DESIGN)
        assert account is not None  # the check asked a visitor to log in
        return ScoringAccess(
            voter=account,
            design=ScoredDesignColumns(
                id=found.design_id,
                challenge_id=found.challenge_id,
                designer_id=found.designer_id,
                status=reach.design_status,
            ),
            challenge=ScoredChallengeColumns(
                id=found.challenge_id,
                status=reach.challenge_status,
                submissions_open_at=found.submissions_open_at,
                submissions_close_at=found.submissions_close_at,
                scoring_close_at=found.scoring_close_at,
            ),
            community=ScoredCommunityColumns(brand_id=found.brand_id, name=found.community_name),
            is_member=found.membership_role is not None,
        )


@cache
def _select_scoring_access(bearer: bool) -> Any:
    """One statement for the caller and their standing at the design: ``_select_design_access``'s joins in
    columns, with the credential's holder (``Credentials.holder``: NULL columns when nobody holds it) outer-joined
    in place of a bound user id. Bound parameters ``design_id``, ``token_hash`` and ``now``."""
    holder = Credentials(bearer=bearer, token_hash=None).holder.subquery("holder")
    designs = cast(Table, Design.__table__)  # type: ignore[attr-defined]
    challenges = cast(Table, Challenge.__table__)  # type: ignore[attr-defined]
    communities = cast(Table, Community.__table__)  # type: ignore[attr-defined]
    memberships = cast(Table, Membership.__table__)  # type: ignore[attr-defined]
    staff = cast(Table, BrandStaff.__table__)  # type: ignore[attr-defined]
    sanction_id = active_sanction_id(communities.c.id, holder.c.id, bindparam("now", type_=UTCDateTime))
    return (
        select(
            holder,
            designs.c.id.label("design_id"),
            designs.c.challenge_id,
            designs.c.designer_id,
            designs.c.status.label("design_status"),
            challenges.c.status.label("challenge_status"),
            challenges.c.submissions_open_at,
            challenges.c.submissions_close_at,
            challenges.c.scoring_close_at,
            communities.c.id.label("community_id"),
            communities.c.name.label("community_name"),
            communities.c.brand_id,
            communities.c.visibility,
            memberships.c.role.label("membership_role"),
            staff.c.role.label("staff_role"),
            sanction_id.label("sanction_id"),
        )
        .select_from(designs)
        .join(challenges, challenges.c.id == designs.c.challenge_id)
        .join(communities, communities.c.id == challenges.c.community_id)
        .outerjoin(holder, true())
        .outerjoin(
            memberships, and_(memberships.c.community_id == communities.c.id, memberships.c.user_id == holder.c.id)
        )
        .outerjoin(staff, and_(staff.c.brand_id == communities.c.brand_id, staff.c.user_id == holder.c.id))
        .where(designs.c.id == bindparam("design_id", type_=Integer))
    )


def scoring_access(action: Action) -> ScoringAccess:
    """``access: ScoringAccess = scoring_access(Action.score_design)`` in a route's parameters."""
    return Depends(ScoringPermit(action))
