"""Screening new posts: the community's moderation settings (auto-hide threshold, pre-moderation, blocked words), and
the hold a domain asks for right after a member posts, or for a design the image pipeline found near-duplicate.
"""

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.columns import id_of, utcnow
from app.communities.models import Community, MemberRole, Membership
from app.config import get_settings
from app.errors import Invalid
from app.i18n import N_, _
from app.i18n.formatting import format_number
from app.moderation.audit import record
from app.moderation.models import (
    AuditAction,
    ItemFlag,
    ModerationItem,
    ModerationSettings,
    SubjectKind,
)
from app.moderation.queue import claim_item, hold

HELD_FOR_REVIEW = N_("A moderator reviews it before it is published.")  # the reason kept, in the author's words


def settings_for(session: Session, *, community: Community) -> ModerationSettings:
    """The community's moderation settings, or the defaults (not saved) when it has none yet."""
    found = session.get(ModerationSettings, community.id)
    if found is not None:
        return found
    return ModerationSettings(community_id=id_of(community), auto_hide_threshold=get_settings().auto_hide_threshold)


def blocked_word_list(settings: ModerationSettings) -> list[str]:
    return [line.strip().lower() for line in settings.blocked_words.splitlines() if line.strip()]


def update_settings(
    session: Session,
    *,
    community: Community,
    moderator: User,
    auto_hide_threshold: int,
    premoderation: bool,
    premoderation_posts: int,
    blocked_words: str,
    now: datetime | None = None,
) -> ModerationSettings:
    """Change the auto-hide threshold, pre-moderation and the blocked words; the change is audited."""
    now = now or utcnow()
    errors = {}
    if not 1 <= auto_hide_threshold <= 100:
        errors["auto_hide_threshold"] = _("Between %(least)s and %(most)s reports.", least=1, most=100)
    if not 1 <= premoderation_posts <= 20:
        errors["premoderation_posts"] = _("Between %(least)s and %(most)s posts.", least=1, most=20)
    words = [line.strip() for line in blocked_words.splitlines() if line.strip()]
    if len("\n".join(words)) > 5000:
        errors["blocked_words"] = _("Keep the list under %(limit)s characters.", limit=format_number(5000))
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    current = settings_for(session, community=community)
    before = _settings_snapshot(current)
    was_on = current.premoderation
    current.auto_hide_threshold = auto_hide_threshold
    current.premoderation = premoderation
    current.premoderation_posts = premoderation_posts
    current.blocked_words = "\n".join(words)
    if premoderation and not was_on:
        current.premoderation_since = now
    current.updated_at = now
    session.add(current)
    session.flush()
    record(
        session,
        community_id=id_of(community),
        actor=moderator,
        action=AuditAction.update_settings,
        subject_kind="community",
        subject_id=id_of(community),
        before=before,
        after=_settings_snapshot(current),
    )
    return current


def _settings_snapshot(settings: ModerationSettings) -> dict[str, Any]:
    return {
        "auto_hide_threshold": settings.auto_hide_threshold,
        "premoderation": settings.premoderation,
        "premoderation_posts": settings.premoderation_posts,
        "blocked_words": blocked_word_list(settings),
    }


def _contains_blocked_word(text: str, words: Sequence[str]) -> str | None:
    for word in words:
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE):
            return word
    return None


def _awaits_premoderation(
    session: Session, *, community: Community, author: User, settings: ModerationSettings
) -> bool:
    """A member who joined since pre-moderation was switched on and has made fewer posts than it holds.

    As Discourse's ``approve_post_count``, it counts the posts made, not those approved: with 1, a new member's first
    post waits and the ones after it are published at once, even while the first still waits. Posts held for a
    blocked word waited too, so they count among the first ones."""
    if not settings.premoderation:
        return False
    membership = session.exec(
        select(Membership).where(Membership.community_id == community.id, Membership.user_id == author.id)
    ).first()
    if membership is None or membership.role == MemberRole.moderator:
        return False
    if settings.premoderation_since is not None and membership.joined_at < settings.premoderation_since:
        return False
    waited = session.exec(
        select(func.count())
        .select_from(ModerationItem)
        .where(
            ModerationItem.community_id == community.id,
            ModerationItem.author_id == author.id,
            col(ModerationItem.flag).in_((ItemFlag.premoderation, ItemFlag.blocked_word)),
            col(ModerationItem.subject_kind) != SubjectKind.profile,
        )
    ).one()
    return waited < settings.premoderation_posts


def screen_post(
    session: Session,
    *,
    community: Community,
    author: User,
    kind: SubjectKind,
    subject_id: int,
    text: str,
    now: datetime | None = None,
) -> bool:
    """Called by a domain right after a member posts: holds the post for review when it contains a blocked word or
    the author's first posts await approval (pre-moderation). True when held (the post is hidden meanwhile).

    Blocked words hold the post rather than refuse it: a refusal teaches a spammer which word to misspell, and a
    false match (a word inside a legitimate phrase) costs an honest member only a short wait.
    """
    now = now or utcnow()
    settings = settings_for(session, community=community)
    word = _contains_blocked_word(text, blocked_word_list(settings))
    # One neutral reason for both holds: a blocked word's author must not learn that a word held the post.
    reason = _(HELD_FOR_REVIEW)
    if word is not None:
        flag = ItemFlag.blocked_word
    elif _awaits_premoderation(session, community=community, author=author, settings=settings):
        flag = ItemFlag.premoderation
    else:
        return False
    item = claim_item(session, community=community, kind=kind, subject_id=subject_id, flag=flag, now=now)
    return hold(session, community=community, item=item, action=AuditAction.hold, reason=reason, now=now)


def hold_post(
    session: Session, *, community: Community, kind: SubjectKind, subject_id: int, now: datetime | None = None
) -> bool:
    """Hold a post for review whatever the settings: what someone outside the community posts where the community
    lets them (a visitor's question) always waits for a moderator. True when held."""
    now = now or utcnow()
    item = claim_item(
        session, community=community, kind=kind, subject_id=subject_id, flag=ItemFlag.premoderation, now=now
    )
    return hold(session, community=community, item=item, action=AuditAction.hold, reason=_(HELD_FOR_REVIEW), now=now)


def flag_near_duplicate(session: Session, *, community: Community, design_id: int, now: datetime | None = None) -> None:
    """Put a design the image pipeline found to be a near-duplicate in the queue (shown meanwhile)."""
    claim_item(
        session,
        community=community,
        kind=SubjectKind.design,
        subject_id=design_id,
        flag=ItemFlag.near_duplicate,
        now=now or utcnow(),
    )
