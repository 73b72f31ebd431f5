"""Following designers: follow and unfollow (one row per pair, safe under concurrent requests), followers
counted, and followers told of a designer's news (``tell_followers``) as their notification preferences say.

A follower is told only of what they may see: news from an invite-only community reaches the followers who are
its members, its brand's staff or site administrators, never the others (the link would be a 404 to them and the
text would leak the community's work). Hidden and withdrawn designs are never announced (``announce_design``).
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, exists
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.brands.models import BrandStaff
from app.challenges.models import Challenge, ChallengeStatus, Design, DesignStatus
from app.columns import id_of, utcnow
from app.communities.models import Community, Membership, Visibility
from app.errors import Invalid
from app.follows.models import DesignerFollow
from app.i18n import _, use_locale
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind


def follow_designer(session: Session, *, follower: User, designer: User, now: datetime | None = None) -> bool:
    """Follow a designer; returns whether newly followed. Following twice (two requests at once) is one follow."""
    if follower.id == designer.id:
        raise Invalid(_("You cannot follow yourself."))
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(DesignerFollow)
        .values(follower_id=id_of(follower), designer_id=id_of(designer), created_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["follower_id", "designer_id"])
        .returning(col(DesignerFollow.id))
    )
    return session.execute(statement).first() is not None


def unfollow_designer(session: Session, *, follower: User, designer: User) -> bool:
    """Stop following a designer; returns whether one was following them."""
    statement = (
        delete(DesignerFollow)
        .where(col(DesignerFollow.follower_id) == follower.id, col(DesignerFollow.designer_id) == designer.id)
        .returning(col(DesignerFollow.id))
    )
    return session.execute(statement).first() is not None


def is_following(session: Session, *, follower: User | None, designer: User) -> bool:
    if follower is None:
        return False
    return (
        session.exec(
            select(DesignerFollow.id).where(
                DesignerFollow.follower_id == follower.id, DesignerFollow.designer_id == designer.id
            )
        ).first()
        is not None
    )


def follower_count(session: Session, *, designer: User) -> int:
    """How many follow a designer: one COUNT on the designer_id index."""
    return session.exec(
        select(func.count()).select_from(DesignerFollow).where(DesignerFollow.designer_id == designer.id)
    ).one()


def list_followed(session: Session, *, follower: User) -> Sequence[User]:
    """The designers someone follows, most recently followed first."""
    return session.exec(
        select(User)
        .join(DesignerFollow, col(DesignerFollow.designer_id) == User.id)
        .where(DesignerFollow.follower_id == follower.id)
        .order_by(col(DesignerFollow.created_at).desc(), col(DesignerFollow.id).desc())
    ).all()


def _followers_who_may_see(session: Session, *, designer_id: int, community: Community) -> Sequence[User]:
    query = (
        select(User)
        .join(DesignerFollow, col(DesignerFollow.follower_id) == User.id)
        .where(DesignerFollow.designer_id == designer_id, col(User.id) != designer_id)
        .order_by(col(User.id))
    )
    if community.visibility != Visibility.public:
        member = exists().where(col(Membership.community_id) == community.id, col(Membership.user_id) == User.id)
        staff = exists().where(col(BrandStaff.brand_id) == community.brand_id, col(BrandStaff.user_id) == User.id)
        query = query.where(col(User.is_site_admin) | member | staff)
    return session.exec(query).all()


def tell_followers(
    session: Session,
    *,
    designer_id: int,
    community: Community,
    news: Callable[[], tuple[str, str | None]],
    link: str,
    already_told: Collection[int] = (),
) -> int:
    """Tell a designer's followers of news from ``community`` (a new design, a win, a pre-order opening): in the app,
    and by e-mail now, in a digest or not at all as each of them chose for ``followed_designer``. Followers who may
    not see the community are left out, and so are those ``already_told`` of the same news another way (a pre-order
    tells those who would buy the design first); the designer is never told of their own news. ``news`` writes the
    notification's text and e-mail subject; it is called in each follower's language. Returns how many were told."""
    told = 0
    for follower in _followers_who_may_see(session, designer_id=designer_id, community=community):
        if follower.id in already_told:
            continue
        with use_locale(follower.locale, follower.time_zone):
            text, email_subject = news()
        notification = notifications_service.notify(
            session,
            user=follower,
            kind=NotificationKind.followed_designer,
            text=text,
            link=link,
            community=community,
            email_subject=email_subject,
        )
        told += notification is not None
    return told


def announce_design(session: Session, *, design: Design, challenge: Challenge, news: Literal["new", "won"]) -> int:
    """Tell the designer's followers of a new design or a win; hidden and withdrawn designs, and designs of draft
    challenges, are never announced. Returns how many were told."""
    if design.status != DesignStatus.submitted or challenge.status == ChallengeStatus.draft:
        return 0
    designer = session.get(User, design.designer_id)
    community = session.get(Community, challenge.community_id)
    assert designer is not None and community is not None
    names = {"designer": designer.display_name, "design": design.title, "challenge": challenge.title}

    def written() -> tuple[str, str]:
        if news == "new":
            return (
                _("%(designer)s submitted a new design, %(design)s, to %(challenge)s", **names),
                _("New design by %(designer)s: %(design)s", **names),
            )
        return (
            _("%(designer)s's design %(design)s won %(challenge)s", **names),
            _("%(designer)s won %(challenge)s", **names),
        )

    return tell_followers(
        session, designer_id=id_of(designer), community=community, news=written, link=f"/designs/{design.id}"
    )


@dataclass(frozen=True)
class FollowBox:
    """What the follow button shows a viewer about a designer."""

    designer: User
    follower_count: int
    following: bool
    is_self: bool


def follow_box(session: Session, *, designer: User, viewer: User | None) -> FollowBox:
    return FollowBox(
        designer=designer,
        follower_count=follower_count(session, designer=designer),
        following=is_following(session, follower=viewer, designer=designer),
        is_self=viewer is not None and viewer.id == designer.id,
    )
