"""The brand's side of ideas: statuses, official responses, tags, hiding and merging."""

from datetime import datetime

from sqlmodel import Session, func, select

from app.accounts.models import User
from app.challenges import service as challenges_service
from app.columns import id_of, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.i18n.formatting import format_number
from app.ideas.models import (
    RESPONSE_MAX_LENGTH,
    Idea,
    IdeaCategory,
    IdeaFollow,
    IdeaStatus,
    IdeaVote,
)
from app.ideas.notifying import emit_webhook_event, followers_of, tell_people, voters_of
from app.ideas.rules import (
    FIX_MARKED_FIELDS,
    TRANSITIONS,
    community_of,
    idea_link,
    lock_idea,
    status_phrase,
    trending_weight,
)
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind

# ------------------------------------------------------------------------------------------------------------
# The brand's side: statuses, official responses, tags, hiding, merging
# ------------------------------------------------------------------------------------------------------------


def allowed_statuses(idea: Idea) -> list[IdeaStatus]:
    """The statuses an idea may move to from its current one, in the order of the flow."""
    return [status for status in IdeaStatus if status in TRANSITIONS[idea.status]]


def change_status(
    session: Session, *, idea: Idea, actor: User, status: IdeaStatus | str, now: datetime | None = None
) -> Idea:
    """Move an idea to another status (``TRANSITIONS``); followers are told, and voters too when it is done."""
    now = now or utcnow()
    try:
        target = IdeaStatus(status)
    except ValueError:
        raise Invalid(_(FIX_MARKED_FIELDS), fields={"status": _("Choose one of the statuses.")}) from None
    lock_idea(session, idea)
    if idea.merged_into_id is not None:
        raise Conflict(_("This idea was merged into another; change the status of that one."))
    if target not in TRANSITIONS[idea.status]:
        choices = ", ".join(status_phrase(choice) for choice in allowed_statuses(idea))
        current = status_phrase(idea.status)
        raise Conflict(
            _("An idea that is %(status)s can move to: %(choices)s.", status=current, choices=choices),
            fields={"status": _("From %(status)s: %(choices)s.", status=current, choices=choices)},
        )
    previous = idea.status
    idea.status = target
    idea.status_changed_at = now
    session.add(idea)
    session.flush()
    emit_webhook_event(
        session,
        community=community_of(session, idea),
        idea=idea,
        event="idea_status_changed",
        author=session.get(User, idea.author_id) if idea.author_id is not None else None,
        category=session.get(IdeaCategory, idea.category_id) if idea.category_id is not None else None,
        extra={"previous_status": previous.value, "changed_by": {"handle": actor.handle}},
    )

    def status_line() -> str:
        return _("%(idea)s is now %(status)s", idea=idea.title, status=status_phrase(target))

    if target == IdeaStatus.done:
        people = [*followers_of(session, idea), *voters_of(session, idea)]
        tell_people(
            session,
            people,
            community=community_of(session, idea),
            kind=NotificationKind.idea_done,
            text=lambda: _("Done: %(idea)s. Thank you for your vote and ideas!", idea=idea.title),
            link=idea_link(idea),
            actor=actor,
        )
    else:
        tell_people(
            session,
            followers_of(session, idea),
            community=community_of(session, idea),
            kind=NotificationKind.idea_status,
            text=status_line,
            link=idea_link(idea),
            actor=actor,
            # Moved on twice in a day: the line says where it stands now.
            rollup=lambda: notifications_service.Rollup(subject=f"idea:{idea.id}", text=status_line()),
        )
    return idea


def respond(session: Session, *, idea: Idea, actor: User, body: str, now: datetime | None = None) -> Idea:
    """Give (or change) the brand's official response to an idea; its followers are told."""
    body = body.strip()
    if not body:
        raise Invalid(_(FIX_MARKED_FIELDS), fields={"response": _("Write the response first.")})
    if len(body) > RESPONSE_MAX_LENGTH:
        raise Invalid(
            _(FIX_MARKED_FIELDS),
            fields={"response": _("Keep it under %(limit)s characters.", limit=format_number(RESPONSE_MAX_LENGTH))},
        )
    idea.response = body
    idea.response_by_id = id_of(actor)
    idea.response_at = now or utcnow()
    session.add(idea)
    session.flush()
    tell_people(
        session,
        followers_of(session, idea),
        community=community_of(session, idea),
        kind=NotificationKind.idea_response,
        text=lambda: _("The brand responded to %(idea)s", idea=idea.title),
        link=idea_link(idea) + "#response",
        actor=actor,
    )
    return idea


def set_tags(session: Session, *, idea: Idea, tags: str) -> Idea:
    """Replace the idea's tags (comma-separated; normalised like design tags)."""
    normalised = challenges_service.normalise_tags(tags)
    if len(normalised.split(",")) > challenges_service.MAX_TAGS or len(normalised) > 500:
        raise Invalid(
            _(FIX_MARKED_FIELDS), fields={"tags": _("Use at most %(limit)s tags.", limit=challenges_service.MAX_TAGS)}
        )
    idea.tags = normalised
    session.add(idea)
    session.flush()
    return idea


def set_hidden(session: Session, *, idea: Idea, hidden: bool, now: datetime | None = None) -> Idea:
    """Hide an idea from the board (moderators, managers), or show it again."""
    idea.hidden_at = (now or utcnow()) if hidden else None
    session.add(idea)
    session.flush()
    return idea


def merge(session: Session, *, duplicate: Idea, original: Idea, actor: User, now: datetime | None = None) -> Idea:
    """Merge a duplicate into its original: votes and followers move over, nobody is counted twice.

    A member who voted for both keeps one vote (the earlier, for the trending score); the counters of both ideas are
    recounted from the rows. The duplicate keeps its comments and points at the original. Its followers are told.
    """
    now = now or utcnow()
    if duplicate.id == original.id:
        raise Invalid(_(FIX_MARKED_FIELDS), fields={"into": _("An idea cannot be merged into itself.")})
    if duplicate.community_id != original.community_id:
        raise NotFound(_("There is no such idea in this community."))
    # Both rows locked, lower id first, so two merges (or a merge and votes) cannot deadlock.
    for idea in sorted((duplicate, original), key=lambda idea: id_of(idea)):
        lock_idea(session, idea)
    if duplicate.merged_into_id is not None:
        raise Conflict(_("This idea is merged already."))
    if original.merged_into_id is not None:
        raise Conflict(_("That idea was itself merged into another; merge into that one."))

    followers_before = list(followers_of(session, duplicate))
    original_voters = set(session.exec(select(IdeaVote.voter_id).where(IdeaVote.idea_id == original.id)).all())
    for moved in session.exec(select(IdeaVote).where(IdeaVote.idea_id == duplicate.id)).all():
        if moved.voter_id in original_voters:
            kept = session.exec(
                select(IdeaVote).where(IdeaVote.idea_id == original.id, IdeaVote.voter_id == moved.voter_id)
            ).one()
            kept.created_at = min(kept.created_at, moved.created_at)
            session.add(kept)
            session.delete(moved)
        else:
            moved.idea_id = id_of(original)
            session.add(moved)
    original_followers = set(session.exec(select(IdeaFollow.user_id).where(IdeaFollow.idea_id == original.id)).all())
    for follower in session.exec(select(IdeaFollow).where(IdeaFollow.idea_id == duplicate.id)).all():
        if follower.user_id in original_followers:
            session.delete(follower)
        else:
            follower.idea_id = id_of(original)
            session.add(follower)
    session.flush()

    duplicate.merged_into_id = id_of(original)
    duplicate.merged_at = now
    session.add(duplicate)
    for idea in (duplicate, original):
        recount(session, idea=idea)
    tell_people(
        session,
        followers_before,
        community=community_of(session, original),
        kind=NotificationKind.idea_merged,
        text=lambda: _(
            "%(duplicate)s was merged into %(original)s; your vote and follow moved with it",
            duplicate=duplicate.title,
            original=original.title,
        ),
        link=idea_link(original),
        actor=actor,
    )
    return original


def recount(session: Session, *, idea: Idea) -> Idea:
    """Set the idea's vote and follower counters and trending score from its rows (after a merge)."""
    voted_at = session.exec(select(IdeaVote.created_at).where(IdeaVote.idea_id == idea.id)).all()
    idea.vote_count = len(voted_at)
    idea.trending_score = sum(trending_weight(moment) for moment in voted_at)
    idea.follower_count = session.exec(
        select(func.count()).select_from(IdeaFollow).where(IdeaFollow.idea_id == idea.id)
    ).one()
    session.add(idea)
    session.flush()
    return idea
