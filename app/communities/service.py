"""Communities: creating and editing them, joining and leaving, invite links and member roles."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, or_, select, update
from sqlmodel.sql.expression import SelectOfScalar

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.brands.models import Brand
from app.columns import id_of, utcnow
from app.communities.models import Community, CommunityKind, Invite, MemberRole, Membership, Visibility
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.i18n import _
from app.i18n.locales import SUPPORTED
from app.slugs import is_valid_slug, slugify

MEMBERS_PAGE_SIZE = 50


def select_community_by_slug(slug: str) -> SelectOfScalar[Community]:
    return select(Community).where(Community.slug == slug)


def get_community_by_slug(session: Session, *, slug: str) -> Community:
    community = session.exec(select_community_by_slug(slug)).first()
    if community is None:
        raise NotFound(_("There is no such community."))
    return community


def get_membership(session: Session, *, community: Community, user: User | None) -> Membership | None:
    if user is None:
        return None
    return session.exec(
        select(Membership).where(Membership.community_id == community.id, Membership.user_id == user.id)
    ).first()


def list_public_communities(session: Session) -> Sequence[tuple[Community, Brand]]:
    """Every public community with its brand, the biggest first."""
    return session.exec(
        select(Community, Brand)
        .join(Brand, col(Brand.id) == Community.brand_id)
        .where(Community.visibility == Visibility.public)
        .order_by(col(Community.member_count).desc(), Community.name)
    ).all()


def list_brand_communities(session: Session, *, brand: Brand) -> Sequence[Community]:
    return session.exec(select(Community).where(Community.brand_id == brand.id).order_by(Community.name)).all()


def list_memberships(session: Session, *, user: User) -> Sequence[tuple[Membership, Community]]:
    """The communities a member belongs to, with their role in each."""
    return session.exec(
        select(Membership, Community)
        .join(Community, col(Community.id) == Membership.community_id)
        .where(Membership.user_id == user.id)
        .order_by(Community.name)
    ).all()


def list_shared_memberships(session: Session, *, user: User, viewer: User | None) -> Sequence[Community]:
    """The communities shown on a profile: public ones, plus invite-only ones the viewer belongs to as well."""
    memberships = list_memberships(session, user=user)
    if viewer is None:
        return [community for _, community in memberships if community.visibility == Visibility.public]
    viewer_ids = set(session.exec(select(Membership.community_id).where(Membership.user_id == viewer.id)).all())
    return [
        community
        for _, community in memberships
        if community.visibility == Visibility.public or community.id in viewer_ids or viewer.id == user.id
    ]


def _validate(*, name: str, slug: str, tagline: str, description: str, kind: str, visibility: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name or len(name) > 80:
        errors["name"] = _("Enter the community's name (up to 80 characters).")
    if not is_valid_slug(slug):
        errors["slug"] = _("Use 2 to 60 lower-case letters, digits and single hyphens.")
    if len(tagline) > 160:
        errors["tagline"] = _("Use at most 160 characters.")
    if len(description) > 5000:
        errors["description"] = _("Use at most 5,000 characters.")
    if kind not in CommunityKind.__members__:
        errors["kind"] = _("Choose design, feedback or both.")
    if visibility not in Visibility.__members__:
        errors["visibility"] = _("Choose public or invite-only.")
    return errors


def create_community(
    session: Session,
    *,
    brand: Brand,
    name: str,
    kind: str,
    slug: str = "",
    tagline: str = "",
    description: str = "",
    visibility: str = Visibility.public,
) -> Community:
    """Open a new community for a brand."""
    name = name.strip()
    slug = slug.strip().lower() or slugify(name)
    errors = _validate(name=name, slug=slug, tagline=tagline, description=description, kind=kind, visibility=visibility)
    if "slug" not in errors and session.exec(select(Community).where(Community.slug == slug)).first():
        errors["slug"] = _("Another community uses this address; choose another.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    community = Community(
        brand_id=id_of(brand),
        name=name,
        slug=slug,
        tagline=tagline.strip(),
        description=description.strip(),
        kind=CommunityKind(kind),
        visibility=Visibility(visibility),
    )
    try:
        with session.begin_nested():
            session.add(community)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("Another community just took this address; choose another.")) from error
    return community


def update_community(
    session: Session,
    *,
    community: Community,
    name: str,
    tagline: str,
    description: str,
    kind: str,
    visibility: str,
    default_locale: str | None = None,
) -> Community:
    """Change a community's name, texts, kind, visibility or default language (its address stays); a language of
    None keeps the one it has."""
    name = name.strip()
    errors = _validate(
        name=name,
        slug=community.slug,
        tagline=tagline,
        description=description,
        kind=kind,
        visibility=visibility,
    )
    if default_locale is not None and default_locale not in SUPPORTED:
        errors["default_locale"] = _("Choose a language from the list.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    if default_locale is not None:
        community.default_locale = default_locale
    community.name = name
    community.tagline = tagline.strip()
    community.description = description.strip()
    community.kind = CommunityKind(kind)
    community.visibility = Visibility(visibility)
    session.add(community)
    session.flush()
    return community


def _add_member(session: Session, *, community: Community, user: User) -> Membership:
    """Insert the membership and bump the counter in one statement each; a concurrent double join is a Conflict."""
    if not user.is_confirmed:
        raise Forbidden(_("Confirm your e-mail address before joining a community."))
    if get_membership(session, community=community, user=user) is not None:
        raise Conflict(_("You are a member of %(community)s already.", community=community.name))
    membership = Membership(community_id=id_of(community), user_id=id_of(user))
    try:
        with session.begin_nested():
            session.add(membership)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("You are a member of %(community)s already.", community=community.name)) from error
    session.execute(
        update(Community).where(col(Community.id) == community.id).values(member_count=Community.member_count + 1)
    )
    session.refresh(community)
    return membership


def join_community(session: Session, *, community: Community, user: User) -> Membership:
    """Join a public community."""
    if community.visibility != Visibility.public:
        raise Forbidden(
            _("%(community)s is invite-only: you need an invite link from its team.", community=community.name)
        )
    return _add_member(session, community=community, user=user)


def leave_community(session: Session, *, community: Community, user: User) -> None:
    """Leave a community; one's scores and posts stay."""
    membership = get_membership(session, community=community, user=user)
    if membership is None:
        raise NotFound(_("You are not a member of %(community)s.", community=community.name))
    session.delete(membership)
    session.flush()
    session.execute(
        update(Community).where(col(Community.id) == community.id).values(member_count=Community.member_count - 1)
    )
    session.refresh(community)


@dataclass(frozen=True)
class MembersPage:
    members: Sequence[tuple[Membership, User]]
    total: int
    page: int
    pages: int


def list_members(
    session: Session, *, community: Community, search: str = "", role: str = "", page: int = 1
) -> MembersPage:
    """One page of members, filtered by a search on name or handle and by role."""
    conditions: list[ColumnElement[bool]] = [col(Membership.community_id) == community.id]
    if search.strip():
        # The search is text: % and _ (common in handles) match themselves, not any characters.
        term = search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{term}%"
        conditions.append(
            or_(
                func.lower(User.display_name).like(pattern, escape="\\"),
                col(User.handle).like(pattern, escape="\\"),
            )
        )
    if role:
        if role not in MemberRole.__members__:
            raise Invalid(_("Choose member, connector or moderator."), fields={"role": _("Unknown role.")})
        conditions.append(col(Membership.role) == MemberRole(role))
    total = session.exec(
        select(func.count()).select_from(Membership).join(User, col(User.id) == Membership.user_id).where(*conditions)
    ).one()
    pages = max(1, -(-total // MEMBERS_PAGE_SIZE))
    page = min(max(page, 1), pages)
    members = session.exec(
        select(Membership, User)
        .join(User, col(User.id) == Membership.user_id)
        .where(*conditions)
        .order_by(col(Membership.joined_at).desc(), col(Membership.id).desc())
        .offset((page - 1) * MEMBERS_PAGE_SIZE)
        .limit(MEMBERS_PAGE_SIZE)
    ).all()
    return MembersPage(members=members, total=total, page=page, pages=pages)


def change_member_role(session: Session, *, community: Community, handle: str, role: str) -> Membership:
    """Make a member a connector or moderator, or a plain member again."""
    if role not in MemberRole.__members__:
        raise Invalid(_("Choose member, connector or moderator."), fields={"role": _("Unknown role.")})
    user = accounts_service.get_user_by_handle(session, handle=handle)
    membership = get_membership(session, community=community, user=user)
    if membership is None:
        raise NotFound(
            _("%(name)s is not a member of %(community)s.", name=user.display_name, community=community.name)
        )
    membership.role = MemberRole(role)
    session.add(membership)
    session.flush()
    return membership


def create_invite(
    session: Session,
    *,
    community: Community,
    created_by: User,
    note: str = "",
    max_uses: int | None = None,
    expires_in_days: int | None = 14,
    now: datetime | None = None,
) -> Invite:
    """Make an invite link for the community."""
    now = now or utcnow()
    errors = {}
    if len(note) > 120:
        errors["note"] = _("Use at most 120 characters.")
    if max_uses is not None and not 1 <= max_uses <= 10000:
        errors["max_uses"] = _("Choose between 1 and 10,000 uses, or leave it empty for no limit.")
    if expires_in_days is not None and not 1 <= expires_in_days <= 365:
        errors["expires_in_days"] = _("Choose between 1 and 365 days, or leave it empty for no expiry.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    invite = Invite(
        community_id=id_of(community),
        code=secrets.token_urlsafe(18),
        created_by_id=created_by.id,
        note=note.strip(),
        max_uses=max_uses,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(invite)
    session.flush()
    return invite


def list_invites(session: Session, *, community: Community) -> Sequence[Invite]:
    return session.exec(
        select(Invite)
        .where(Invite.community_id == community.id, col(Invite.revoked_at).is_(None))
        .order_by(col(Invite.id).desc())
    ).all()


def revoke_invite(session: Session, *, community: Community, invite_id: int) -> None:
    invite = session.get(Invite, invite_id)
    if invite is None or invite.community_id != community.id or invite.revoked_at is not None:
        raise NotFound(_("There is no such invite."))
    invite.revoked_at = utcnow()
    session.add(invite)
    session.flush()


def invite_problem(invite: Invite) -> str | None:
    """Why an invite can no longer be used, or None."""
    if invite.revoked_at is not None:
        return _("This invite link has been withdrawn. Ask the community's team for a new one.")
    if invite.expires_at is not None and invite.expires_at <= utcnow():
        return _("This invite link has expired. Ask the community's team for a new one.")
    if invite.max_uses is not None and invite.use_count >= invite.max_uses:
        return _("This invite link has been used as often as it may be. Ask the community's team for a new one.")
    return None


def get_invite(session: Session, *, code: str) -> tuple[Invite, Community]:
    """The invite behind a code and its community; unknown codes are NotFound."""
    row = session.exec(
        select(Invite, Community).join(Community, col(Community.id) == Invite.community_id).where(Invite.code == code)
    ).first()
    if row is None:
        raise NotFound(_("This invite link is not valid. Check that you copied all of it."))
    return row


def join_by_invite(session: Session, *, code: str, user: User) -> Community:
    """Join the invite's community; the use is counted by one conditional UPDATE, so a limit holds under races."""
    invite, community = get_invite(session, code=code)
    problem = invite_problem(invite)
    if problem:
        raise Invalid(problem)
    if get_membership(session, community=community, user=user) is not None:
        raise Conflict(_("You are a member of %(community)s already.", community=community.name))
    claim = (
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.revoked_at).is_(None))
        .values(use_count=Invite.use_count + 1)
    )
    if invite.max_uses is not None:
        claim = claim.where(col(Invite.use_count) < invite.max_uses)
    if cast(CursorResult[Any], session.execute(claim)).rowcount != 1:
        raise Invalid(_("This invite link has just been used up. Ask the community's team for a new one."))
    _add_member(session, community=community, user=user)
    return community
