"""Profiles as moderation sees them: how to describe and load them (app.moderation.subjects). A profile is never
hidden: its owner is warned, suspended or banned instead."""

from collections.abc import Collection

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.communities.models import Membership
from app.i18n import N_
from app.moderation.models import SubjectKind
from app.moderation.subjects import SubjectContent, SubjectInfo, SubjectType, excerpt


def _describe_profile(session: Session, user_id: int, community_id: int) -> SubjectInfo | None:
    found = session.exec(
        select(User)
        .join(Membership, Membership.user_id == User.id)  # type: ignore[arg-type]
        .where(User.id == user_id, Membership.community_id == community_id)
    ).first()
    if found is None:
        return None
    return SubjectInfo(
        community_id=community_id,
        author_id=found.id,
        excerpt=excerpt(f"{found.display_name} (@{found.handle})", found.bio),
        link=f"/u/{found.handle}",
        hidden=False,
    )


def _profile_contents(session: Session, user_ids: Collection[int]) -> dict[int, SubjectContent]:
    """A profile as members see it: the name and handle, and the bio (Markdown)."""
    return {
        user.id or 0: SubjectContent(title=f"{user.display_name} (@{user.handle})", text=user.bio)
        for user in session.exec(select(User).where(col(User.id).in_(user_ids)))
    }


SUBJECT_TYPES = (
    SubjectType(kind=SubjectKind.profile, label=N_("profile"), describe=_describe_profile, content=_profile_contents),
)
