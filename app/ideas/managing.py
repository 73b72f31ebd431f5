"""The brand's side of ideas: statuses, official responses, tags, hiding and merging."""

from datetime import datetime

from sqlmodel import Session, func, select

from app.accounts.models import User
from app.challenges import service as challenges_service
from app.columns import id_of, utcnow
from app.errors import Conflict, Invalid, NotFound
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
    STATUS_LABELS,
    TRANSITIONS,
    community_of,
    idea_link,
    lock_idea,
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
        raise Invalid(FIX_MARKED_FIELDS, fields={"status": "Choose one of the statuses."}) from None
    lock_idea(session, idea)
    if idea.merged_into_id is not None:
        raise Conflict("This idea was merged into another; change the status of that one.")
    if target not in TRANSITIONS[idea.status]:
        choices = ", ".join(STATUS_LABELS[choice].lower() for choice in allowed_statuses(idea))
        raise Conflict(
            f"An idea that is {STATUS_LABELS[idea.status].lower()} can move to: {choices}.",
            fields={"status": f"From {STATUS_LABELS[idea.status].lower()}: {choices}."},
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
    label = STATUS_LABELS[target].lower()
    if target == IdeaStatus.done:
        people = [*followers_of(session, idea), *voters_of(session, idea)]
        tell_people(
            session,
            people,
            community=community_of(session, idea),
            kind=NotificationKind.idea_done,
            text=f"Done: {idea.title}. Thank you for your vote and ideas!",
            link=idea_link(idea),
            actor=actor,
        )
    else:
        tell_people(
            session,
            followers_of(session, idea),
            community=community_of(session, idea),
            kind=NotificationKind.idea_status,
            text=f"{idea.title} is now {label}",
            link=idea_link(idea),
            actor=actor,
            # Moved on twice in a day: the line says where it stands now.
            rollup=notifications_service.Rollup(subject=f"idea:{idea.id}", text=f"{idea.title} is now {label}"),
        )
    return idea


def respond(session: Session, *, idea: Idea, actor: User, body: str, now: datetime | None = None) -> Idea:
    """Give (or change) the brand's official response to an idea; its followers are told."""
    body = body.strip()
    if not body:
        raise Invalid(FIX_MARKED_FIELDS, fields={"response": "Write the response first."})
    if len(body) > RESPONSE_MAX_LENGTH:
        raise Invalid(FIX_MARKED_FIELDS, fields={"response": f"Keep it under {RESPONSE_MAX_LENGTH} characters."})
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
        text=f"The brand responded to {idea.title}",
        link=idea_link(idea) + "#response",
        actor=actor,
    )
    return idea


def set_tags(session: Session, *, idea: Idea, tags: str) -> Idea:
    """Replace the idea's tags (comma-separated; normalised like design tags)."""
    normalised = challenges_service.normalise_tags(tags)
    if len(normalised.split(",")) > challenges_service.MAX_TAGS or len(normalised) > 500:
        raise Invalid(FIX_MARKED_FIELDS, fields={"tags": f"Use at most {challenges_service.MAX_TAGS} tags."})
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
        raise Invalid(FIX_MARKED_FIELDS, fields={"into": "An idea cannot be merged into itself."})
    if duplicate.community_id != original.community_id:
        raise NotFound("There is no such idea in this community.")
    # Both rows locked, lower id first, so two merges (or a merge and votes) cannot deadlock.
    for idea in sorted((duplicate, original), key=lambda idea: id_of(idea)):
        lock_idea(session, idea)
    if duplicate.merged_into_id is not None:
        raise Conflict("This idea is merged already.")
    if original.merged_into_id is not None:
        raise Conflict("That idea was itself merged into another; merge into that one.")

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
        text=f"{duplicate.title} was merged into {original.title}; your vote and follow moved with it",
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
