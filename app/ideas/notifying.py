"""Telling people about ideas: followers, voters and @mentioned members, and the brand's webhooks."""

import re
from collections.abc import Callable, Sequence

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.columns import id_of
from app.communities.models import Community, Membership
from app.config import get_settings
from app.i18n import use_locale
from app.ideas.models import (
    Idea,
    IdeaCategory,
    IdeaFollow,
    IdeaVote,
)
from app.ideas.rules import idea_link
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.webhooks import service as webhooks_service

_MENTION = re.compile(r"(?<![\w@])@([a-z0-9_]{2,30})", re.IGNORECASE)


def emit_webhook_event(
    session: Session,
    *,
    community: Community,
    idea: Idea,
    event: str,
    author: User | None = None,
    category: IdeaCategory | None = None,
    extra: dict[str, object] | None = None,
) -> None:
    """Tell the brand's webhook endpoints about an idea (``idea_created``, ``idea_status_changed``)."""
    webhooks_service.emit_event(
        session,
        brand_id=community.brand_id,
        event=event,
        payload={
            "idea": {
                "id": idea.id,
                "title": idea.title,
                "description": idea.description,
                "status": idea.status.value,
                "category": category.name if category is not None else None,
                "vote_count": idea.vote_count,
                "created_at": idea.created_at.isoformat(),
                "url": get_settings().base_url.rstrip("/") + idea_link(idea),
            },
            "author": {"handle": author.handle, "display_name": author.display_name} if author is not None else None,
            "community": {"slug": community.slug, "name": community.name},
            **(extra or {}),
        },
    )


# ------------------------------------------------------------------------------------------------------------
# Telling people
# ------------------------------------------------------------------------------------------------------------


def followers_of(session: Session, idea: Idea) -> Sequence[User]:
    """The idea's active followers, by id."""
    return session.exec(
        select(User)
        .join(IdeaFollow, col(IdeaFollow.user_id) == User.id)
        .where(IdeaFollow.idea_id == idea.id, col(User.is_active))
        .order_by(col(User.id))
    ).all()


def voters_of(session: Session, idea: Idea) -> Sequence[User]:
    """The idea's active voters, by id."""
    return session.exec(
        select(User)
        .join(IdeaVote, col(IdeaVote.voter_id) == User.id)
        .where(IdeaVote.idea_id == idea.id, col(User.is_active))
        .order_by(col(User.id))
    ).all()


def tell_people(
    session: Session,
    people: Sequence[User],
    *,
    kind: NotificationKind,
    text: Callable[[], str],
    link: str,
    actor: User | None,
    community: Community | None,
    skip: frozenset[int] = frozenset(),
    rollup: Callable[[], notifications_service.Rollup] | None = None,
) -> int:
    """Notify each person once (never the actor, nor those in ``skip``); returns how many.

    ``text`` (and ``rollup``) are called for each person in their own language, so each reads the line (and any
    e-mail notify() sends now) in theirs. notify() e-mails them now, in a digest or not at all, as each chose.
    """
    told = 0
    seen = set(skip)
    for person in people:
        if person.id in seen:
            continue
        seen.add(id_of(person))
        with use_locale(person.locale, person.time_zone):
            told_now = notifications_service.notify(
                session,
                user=person,
                kind=kind,
                text=text(),
                link=link,
                actor=actor,
                community=community,
                rollup=rollup() if rollup is not None else None,
            )
        if told_now:
            told += 1
    return told


def mentioned_members(session: Session, *, community: Community, text: str) -> Sequence[User]:
    """The community's members named as @handle in a text (handles of non-members are ignored: no leaks)."""
    handles = {handle.lower() for handle in _MENTION.findall(text)}
    if not handles:
        return []
    return session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.community_id == community.id, col(User.handle).in_(handles), col(User.is_active))
        .order_by(col(User.id))
    ).all()


def notify_mentions(
    session: Session,
    *,
    community: Community,
    text: str,
    actor: User,
    link: str,
    line: Callable[[], str],
    skip: frozenset[int] = frozenset(),
) -> frozenset[int]:
    """Tell the members @mentioned in a text (``line``: what they read, in their language); returns their ids (so
    they are not told twice about one comment)."""
    people = mentioned_members(session, community=community, text=text)
    tell_people(
        session,
        people,
        community=community,
        kind=NotificationKind.mention,
        text=line,
        link=link,
        actor=actor,
        skip=skip,
    )
    return frozenset(id_of(person) for person in people)
