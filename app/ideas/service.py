"""The ideas board: posting, voting, following, statuses, official responses, tags, merging, search and the roadmap.

**Votes** are one per member and idea (a unique pair claimed with INSERT ... ON CONFLICT DO NOTHING); the idea's
counters move in the same transaction, after its row is locked (FOR UPDATE on PostgreSQL; SQLite writers hold the
database's write lock), so votes, merges and counters never race.

**Trending** ranks by votes weighted by recency: a vote cast ``d`` days ago counts ``0.5 ** (d / 7)`` (a half-life
of a week). Kept up to date without touching every idea every day: each idea stores
``trending_score = sum over its votes of 2 ** ((voted_at - TRENDING_EPOCH) / half-life)``, which changes only when a
vote comes or goes (by that vote's weight). At any moment ``now`` the decayed sum is ``trending_score *
2 ** -((now - TRENDING_EPOCH) / half-life)``, the same factor for every idea, so ordering by the stored column
(indexed per community) is ordering by the decayed sum. Doubling every week, the stored values stay within a
float's range for about 19 years after the epoch; moving the epoch forward is one UPDATE scaling every score.

**Statuses** (``TRANSITIONS``): open → under review → planned → in progress → done, with declined reachable from
the early ones; managers may also step back one stage (a plan that slips, a "done" reopened). Followers hear of each
change; when an idea is done its voters hear of it too (and it joins the changelog).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO, cast

from sqlalchemy import ColumnElement, Table, case, delete, literal
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select, update

from app import rate_limits
from app.accounts.models import User
from app.challenges import service as challenges_service
from app.columns import id_of, utcnow
from app.communities import service as communities_service
from app.communities.models import Community, Membership
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.ideas import search
from app.ideas.models import (
    DESCRIPTION_MAX_LENGTH,
    RESPONSE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Idea,
    IdeaCategory,
    IdeaFollow,
    IdeaStatus,
    IdeaVote,
)
from app.media import service as media_service
from app.media.models import MediaImage
from app.moderation import screening as moderation_screening
from app.moderation.models import SubjectKind
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.slugs import slugify
from app.webhooks import service as webhooks_service

TRENDING_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
TRENDING_HALF_LIFE_DAYS = 7.0
BOARD_PAGE_SIZE = 20
SIMILAR_LIMIT = 5
SEARCH_LIMIT = 200
ROADMAP_PER_STATUS = 20
ROADMAP_STATUSES = (IdeaStatus.under_review, IdeaStatus.planned, IdeaStatus.in_progress, IdeaStatus.done)
BOARD_SORTS = ("top", "trending", "newest")
STATUS_LABELS = {
    IdeaStatus.open: "Open",
    IdeaStatus.under_review: "Under review",
    IdeaStatus.planned: "Planned",
    IdeaStatus.in_progress: "In progress",
    IdeaStatus.done: "Done",
    IdeaStatus.declined: "Declined",
}
# A board filter beside the statuses: shown ideas still open with no official response, the brand's to answer
# (the brand home counts them with the same conditions, ``unanswered_conditions``).
UNANSWERED = "unanswered"
BOARD_FILTER_LABELS: dict[str, str] = {
    **{status.value: text for status, text in STATUS_LABELS.items()},
    UNANSWERED: "Waiting for an answer",
}
TRANSITIONS: dict[IdeaStatus, frozenset[IdeaStatus]] = {
    IdeaStatus.open: frozenset({IdeaStatus.under_review, IdeaStatus.planned, IdeaStatus.declined}),
    IdeaStatus.under_review: frozenset({IdeaStatus.open, IdeaStatus.planned, IdeaStatus.declined}),
    IdeaStatus.planned: frozenset({IdeaStatus.under_review, IdeaStatus.in_progress, IdeaStatus.declined}),
    IdeaStatus.in_progress: frozenset({IdeaStatus.planned, IdeaStatus.done}),
    IdeaStatus.done: frozenset({IdeaStatus.in_progress}),
    IdeaStatus.declined: frozenset({IdeaStatus.open, IdeaStatus.under_review}),
}
# Ideas members may still vote for: a done or declined idea is settled.
VOTABLE = frozenset({IdeaStatus.open, IdeaStatus.under_review, IdeaStatus.planned, IdeaStatus.in_progress})
_MENTION = re.compile(r"(?<![\w@])@([a-z0-9_]{2,30})", re.IGNORECASE)
_FIX = "Please correct the marked fields."


# ------------------------------------------------------------------------------------------------------------
# Trending
# ------------------------------------------------------------------------------------------------------------


def _half_lives_since_epoch(moment: datetime) -> float:
    return (moment - TRENDING_EPOCH).total_seconds() / 86400 / TRENDING_HALF_LIFE_DAYS


def trending_weight(voted_at: datetime) -> float:
    """What one vote cast at ``voted_at`` adds to ``Idea.trending_score`` (see the module docstring)."""
    return float(2.0 ** _half_lives_since_epoch(voted_at))


def trending_now(idea: Idea, now: datetime) -> float:
    """The idea's votes weighted by recency at ``now``: each counts 0.5 ** (its age in days / 7)."""
    return idea.trending_score * float(2.0 ** -_half_lives_since_epoch(now))


# ------------------------------------------------------------------------------------------------------------
# Who may take part
# ------------------------------------------------------------------------------------------------------------


def require_member(session: Session, *, community: Community, user: User, doing: str) -> Membership:
    """The one place that decides whether someone may take part in a community's ideas (post, vote, comment).

    A confirmed member of the community; sanctions (app/moderation) belong here too when they arrive.
    """
    if not user.is_confirmed:
        raise Forbidden(f"Confirm your e-mail address before you {doing}.")
    membership = communities_service.get_membership(session, community=community, user=user)
    if membership is None:
        raise Forbidden(f"Join {community.name} to {doing}.")
    return membership


def idea_link(idea: Idea) -> str:
    return f"/ideas/{idea.id}"


def _community_of(session: Session, idea: Idea) -> Community:
    community = session.get(Community, idea.community_id)
    assert community is not None
    return community


# ------------------------------------------------------------------------------------------------------------
# Categories
# ------------------------------------------------------------------------------------------------------------


def list_categories(session: Session, *, community: Community) -> Sequence[IdeaCategory]:
    return session.exec(
        select(IdeaCategory).where(IdeaCategory.community_id == community.id).order_by(col(IdeaCategory.name))
    ).all()


def create_category(session: Session, *, community: Community, name: str) -> IdeaCategory:
    """A new category for the community's ideas (its slug, from the name, is unique in the community)."""
    name = " ".join(name.split())
    slug = slugify(name)
    if not name or len(name) > 60 or not slug:
        raise Invalid(_FIX, fields={"name": "Name the category in up to 60 characters, with letters or digits."})
    taken = session.exec(
        select(IdeaCategory.id).where(IdeaCategory.community_id == community.id, IdeaCategory.slug == slug)
    ).first()
    if taken is not None:
        raise Conflict(f"There is a category called {name} already.", fields={"name": "This category exists."})
    category = IdeaCategory(community_id=id_of(community), name=name, slug=slug)
    session.add(category)
    session.flush()
    return category


def _category_in(session: Session, community: Community, category_id: int | None) -> IdeaCategory | None:
    if category_id is None:
        return None
    category = session.get(IdeaCategory, category_id)
    if category is None or category.community_id != community.id:
        raise Invalid(_FIX, fields={"category_id": "Choose one of this community's categories."})
    return category


# ------------------------------------------------------------------------------------------------------------
# Posting
# ------------------------------------------------------------------------------------------------------------


def _validate(*, title: str, description: str) -> dict[str, str]:
    errors = {}
    if len(title) < 5:
        errors["title"] = "Give your idea a title of at least 5 characters."
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = f"Keep the title under {TITLE_MAX_LENGTH} characters."
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = f"Keep the description under {DESCRIPTION_MAX_LENGTH} characters."
    return errors


@dataclass(frozen=True)
class Photo:
    """An uploaded photo as the image pipeline takes it."""

    upload: BinaryIO
    filename: str = ""
    content_type: str = ""


def post_idea(
    session: Session,
    *,
    community: Community,
    author: User,
    title: str,
    description: str = "",
    category_id: int | None = None,
    photo: Photo | None = None,
    now: datetime | None = None,
) -> Idea:
    """Post an idea or piece of feedback; its author follows it, and the members it @mentions are told.

    Screened like every post (app/moderation): a blocked word, or a new member's first posts under pre-moderation,
    hold it hidden (off the board, search, roadmap and changelog) until a moderator approves it.
    """
    now = now or utcnow()
    title, description = " ".join(title.split()), description.strip()
    require_member(session, community=community, user=author, doing="post ideas")
    errors = _validate(title=title, description=description)
    try:
        category = _category_in(session, community, category_id)
    except Invalid as error:
        errors.update(error.fields)
        category = None
    if errors:
        raise Invalid(_FIX, fields=errors)
    rate_limits.hit(
        get_settings().idea_rate_per_account,
        "idea",
        str(author.id),
        message="You have posted many ideas in a short time; wait a while before the next one.",
    )
    image = None
    if photo is not None:
        image = media_service.ingest_image(
            session,
            upload=photo.upload,
            uploaded_by=author,
            declared_filename=photo.filename,
            declared_content_type=photo.content_type,
        )
    idea = Idea(
        community_id=id_of(community),
        author_id=id_of(author),
        category_id=category.id if category is not None else None,
        image_id=image.id if image is not None else None,
        title=title,
        description=description,
        created_at=now,
    )
    session.add(idea)
    session.flush()
    follow(session, idea=idea, user=author, now=now)
    if moderation_screening.screen_post(
        session,
        community=community,
        author=author,
        kind=SubjectKind.idea,
        subject_id=id_of(idea),
        text=f"{title}\n{description}",
        now=now,
    ):
        return idea  # held for review (hidden): nobody is told of it until a moderator approves it (announce_idea)
    _announce(session, community=community, idea=idea, author=author, category=category)
    return idea


def announce_idea(session: Session, *, idea_id: int) -> None:
    """Tell of an idea that was held for review and is now approved: what posting it would have told."""
    idea = session.get(Idea, idea_id)
    community = session.get(Community, idea.community_id) if idea is not None else None
    author = session.get(User, idea.author_id) if idea is not None else None
    if idea is None or community is None or author is None:
        return
    category = session.get(IdeaCategory, idea.category_id) if idea.category_id is not None else None
    _announce(session, community=community, idea=idea, author=author, category=category)


def _announce(
    session: Session, *, community: Community, idea: Idea, author: User, category: IdeaCategory | None
) -> None:
    """Those mentioned in a new idea, and the webhook (``idea_created``)."""
    link = idea_link(idea)
    notify_mentions(session, community=community, text=idea.description, actor=author, link=link, where=idea.title)
    _emit(session, community=community, idea=idea, event="idea_created", author=author, category=category)


def _emit(
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


def set_photo(session: Session, *, idea: Idea, author: User, photo: Photo) -> Idea:
    """Give one's own idea a photo (or replace it), through the image pipeline."""
    if idea.author_id != author.id:
        raise Forbidden("Only its author may change an idea's photo.")
    image = media_service.ingest_image(
        session,
        upload=photo.upload,
        uploaded_by=author,
        declared_filename=photo.filename,
        declared_content_type=photo.content_type,
    )
    idea.image_id = id_of(image)
    session.add(idea)
    session.flush()
    return idea


def get_idea(session: Session, *, idea_id: int) -> Idea:
    idea = session.get(Idea, idea_id)
    if idea is None:
        raise NotFound("There is no such idea.")
    return idea


# ------------------------------------------------------------------------------------------------------------
# Votes and follows
# ------------------------------------------------------------------------------------------------------------


def _insert(session: Session) -> Any:
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _lock(session: Session, idea: Idea) -> Idea:
    """Lock the idea's row (PostgreSQL; SQLite writers hold the write lock) and read its current state."""
    session.exec(select(Idea.id).where(Idea.id == idea.id).with_for_update()).one()
    session.refresh(idea)
    return idea


def _require_votable(session: Session, idea: Idea) -> None:
    if idea.merged_into_id is not None:
        original = session.get(Idea, idea.merged_into_id)
        title = original.title if original is not None else "another idea"
        raise Conflict(f"This idea was merged into “{title}”: vote for that one.")
    if idea.is_hidden:
        raise Conflict("This idea is hidden.")
    if idea.status not in VOTABLE:
        raise Conflict(f"This idea is {STATUS_LABELS[idea.status].lower()}: votes are closed.")


def vote(session: Session, *, idea: Idea, voter: User, now: datetime | None = None) -> bool:
    """Vote for an idea (and follow it); returns whether a vote was added (False: the member had voted already)."""
    now = now or utcnow()
    community = _community_of(session, idea)
    require_member(session, community=community, user=voter, doing="vote")
    rate_limits.hit(
        get_settings().vote_rate_per_account,
        "vote",
        str(voter.id),
        message="You are voting very fast; take a moment before the next vote.",
    )
    _lock(session, idea)
    _require_votable(session, idea)
    votes = cast(Table, IdeaVote.__table__)  # type: ignore[attr-defined]
    claimed = session.execute(
        _insert(session)(votes)
        .values(idea_id=id_of(idea), voter_id=id_of(voter), created_at=now)
        .on_conflict_do_nothing(index_elements=["idea_id", "voter_id"])
        .returning(votes.c.id)
    ).first()
    if claimed is None:
        return False
    _move_votes(session, idea, count=1, weight=trending_weight(now))
    follow(session, idea=idea, user=voter, now=now)
    return True


def unvote(session: Session, *, idea: Idea, voter: User) -> bool:
    """Take one's vote back; returns whether there was one."""
    rate_limits.hit(
        get_settings().vote_rate_per_account,
        "vote",
        str(voter.id),
        message="You are voting very fast; take a moment before the next vote.",
    )
    _lock(session, idea)
    votes = cast(Table, IdeaVote.__table__)  # type: ignore[attr-defined]
    removed = session.execute(
        delete(votes).where(votes.c.idea_id == idea.id, votes.c.voter_id == voter.id).returning(votes.c.created_at)
    ).first()
    if removed is None:
        return False
    _move_votes(session, idea, count=-1, weight=-trending_weight(removed.created_at))
    return True


def _move_votes(session: Session, idea: Idea, *, count: int, weight: float) -> None:
    """Add to the idea's vote counter and trending score in one UPDATE; the last vote gone leaves exactly 0."""
    row = session.execute(
        update(Idea)
        .where(col(Idea.id) == idea.id)
        .values(
            vote_count=Idea.vote_count + count,
            trending_score=case((col(Idea.vote_count) + count == 0, 0.0), else_=col(Idea.trending_score) + weight),
        )
        .returning(col(Idea.vote_count), col(Idea.trending_score))
    ).one()
    set_committed_value(idea, "vote_count", row[0])
    set_committed_value(idea, "trending_score", row[1])


def has_voted(session: Session, *, idea: Idea, user: User | None) -> bool:
    if user is None:
        return False
    return (
        session.exec(select(IdeaVote.id).where(IdeaVote.idea_id == idea.id, IdeaVote.voter_id == user.id)).first()
        is not None
    )


def voted_ideas(session: Session, *, user: User | None, idea_ids: Sequence[int]) -> set[int]:
    """Which of these ideas the user voted for: one query for a page of ideas."""
    if user is None or not idea_ids:
        return set()
    return set(
        session.exec(
            select(IdeaVote.idea_id).where(IdeaVote.voter_id == user.id, col(IdeaVote.idea_id).in_(idea_ids))
        ).all()
    )


def follow(session: Session, *, idea: Idea, user: User, now: datetime | None = None) -> bool:
    """Follow an idea (be told of its comments, status and official response); returns whether newly followed."""
    if idea.merged_into_id is not None:
        raise Conflict("This idea was merged into another: follow that one.")
    follows = cast(Table, IdeaFollow.__table__)  # type: ignore[attr-defined]
    claimed = session.execute(
        _insert(session)(follows)
        .values(idea_id=id_of(idea), user_id=id_of(user), created_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["idea_id", "user_id"])
        .returning(follows.c.id)
    ).first()
    if claimed is None:
        return False
    _move_followers(session, idea, 1)
    return True


def unfollow(session: Session, *, idea: Idea, user: User) -> bool:
    """Stop following an idea; returns whether one was following it."""
    follows = cast(Table, IdeaFollow.__table__)  # type: ignore[attr-defined]
    removed = session.execute(
        delete(follows).where(follows.c.idea_id == idea.id, follows.c.user_id == user.id).returning(follows.c.id)
    ).first()
    if removed is None:
        return False
    _move_followers(session, idea, -1)
    return True


def _move_followers(session: Session, idea: Idea, count: int) -> None:
    value = session.execute(
        update(Idea)
        .where(col(Idea.id) == idea.id)
        .values(follower_count=Idea.follower_count + count)
        .returning(col(Idea.follower_count))
    ).scalar_one()
    set_committed_value(idea, "follower_count", value)


def is_following(session: Session, *, idea: Idea, user: User | None) -> bool:
    if user is None:
        return False
    return (
        session.exec(select(IdeaFollow.id).where(IdeaFollow.idea_id == idea.id, IdeaFollow.user_id == user.id)).first()
        is not None
    )


# ------------------------------------------------------------------------------------------------------------
# Telling people
# ------------------------------------------------------------------------------------------------------------


def _followers(session: Session, idea: Idea) -> Sequence[User]:
    return session.exec(
        select(User)
        .join(IdeaFollow, col(IdeaFollow.user_id) == User.id)
        .where(IdeaFollow.idea_id == idea.id, col(User.is_active))
        .order_by(col(User.id))
    ).all()


def _voters(session: Session, idea: Idea) -> Sequence[User]:
    return session.exec(
        select(User)
        .join(IdeaVote, col(IdeaVote.voter_id) == User.id)
        .where(IdeaVote.idea_id == idea.id, col(User.is_active))
        .order_by(col(User.id))
    ).all()


def _tell(
    session: Session,
    people: Sequence[User],
    *,
    kind: NotificationKind,
    text: str,
    link: str,
    actor: User | None,
    community: Community | None,
    skip: frozenset[int] = frozenset(),
    rollup: notifications_service.Rollup | None = None,
) -> int:
    """Notify each person once (never the actor, nor those in ``skip``); returns how many.

    notify() also e-mails them now, in a digest or not at all, as each person chose for the kind.
    """
    told = 0
    seen = set(skip)
    for person in people:
        if person.id in seen:
            continue
        seen.add(id_of(person))
        if notifications_service.notify(
            session, user=person, kind=kind, text=text, link=link, actor=actor, community=community, rollup=rollup
        ):
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
    where: str,
    skip: frozenset[int] = frozenset(),
) -> frozenset[int]:
    """Tell the members @mentioned in a text; returns their ids (so they are not told twice about one comment)."""
    people = mentioned_members(session, community=community, text=text)
    _tell(
        session,
        people,
        community=community,
        kind=NotificationKind.mention,
        text=f"{actor.display_name} mentioned you in {where}",
        link=link,
        actor=actor,
        skip=skip,
    )
    return frozenset(id_of(person) for person in people)


# ------------------------------------------------------------------------------------------------------------
# Comments (app/comments calls these for comments on ideas)
# ------------------------------------------------------------------------------------------------------------


def require_open_for_comments(idea: Idea) -> None:
    if idea.merged_into_id is not None:
        raise Conflict("This idea was merged into another: comment there.")
    if idea.is_hidden:
        raise Conflict("This idea is hidden.")


def comment_added(
    session: Session, *, idea: Idea, author: User, body: str, link: str, replied_to_id: int | None = None
) -> None:
    """After a comment on an idea is posted (and not held): its author follows the idea, followers and @mentioned
    members are told.

    The author of the comment replied to (told of the reply by app/comments) is not told again.
    """
    follow(session, idea=idea, user=author)
    community = _community_of(session, idea)
    told = {replied_to_id} if replied_to_id is not None else set()
    mentioned = notify_mentions(
        session,
        community=community,
        text=body,
        actor=author,
        link=link,
        where=f"a comment on {idea.title}",
        skip=frozenset(told),
    )
    _tell(
        session,
        _followers(session, idea),
        community=community,
        kind=NotificationKind.idea_comment,
        text=f"{author.display_name} commented on {idea.title}",
        link=link,
        actor=author,
        skip=frozenset(told) | mentioned,
        rollup=notifications_service.Rollup(subject=f"idea:{idea.id}", text=f"{{count}} new comments on {idea.title}"),
    )


def comment_shown(session: Session, *, idea: Idea) -> None:
    """A comment on the idea is shown: just posted, or approved or shown again by a moderator.

    ``comment_count`` counts the comments members see: a held post is counted when posted and taken back by its
    hiding, like a design in its challenge's count.
    """
    _move_comments(session, idea, 1)


def comment_removed(session: Session, *, idea: Idea) -> None:
    """A comment members saw on the idea is gone: deleted, or hidden by a moderator."""
    _move_comments(session, idea, -1)


def _move_comments(session: Session, idea: Idea, count: int) -> None:
    value = session.execute(
        update(Idea)
        .where(col(Idea.id) == idea.id)
        .values(comment_count=Idea.comment_count + count)
        .returning(col(Idea.comment_count))
    ).scalar_one()
    set_committed_value(idea, "comment_count", value)


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
        raise Invalid(_FIX, fields={"status": "Choose one of the statuses."}) from None
    _lock(session, idea)
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
    _emit(
        session,
        community=_community_of(session, idea),
        idea=idea,
        event="idea_status_changed",
        author=session.get(User, idea.author_id) if idea.author_id is not None else None,
        category=session.get(IdeaCategory, idea.category_id) if idea.category_id is not None else None,
        extra={"previous_status": previous.value, "changed_by": {"handle": actor.handle}},
    )
    label = STATUS_LABELS[target].lower()
    if target == IdeaStatus.done:
        people = [*_followers(session, idea), *_voters(session, idea)]
        _tell(
            session,
            people,
            community=_community_of(session, idea),
            kind=NotificationKind.idea_done,
            text=f"Done: {idea.title}. Thank you for your vote and ideas!",
            link=idea_link(idea),
            actor=actor,
        )
    else:
        _tell(
            session,
            _followers(session, idea),
            community=_community_of(session, idea),
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
        raise Invalid(_FIX, fields={"response": "Write the response first."})
    if len(body) > RESPONSE_MAX_LENGTH:
        raise Invalid(_FIX, fields={"response": f"Keep it under {RESPONSE_MAX_LENGTH} characters."})
    idea.response = body
    idea.response_by_id = id_of(actor)
    idea.response_at = now or utcnow()
    session.add(idea)
    session.flush()
    _tell(
        session,
        _followers(session, idea),
        community=_community_of(session, idea),
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
        raise Invalid(_FIX, fields={"tags": f"Use at most {challenges_service.MAX_TAGS} tags."})
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
        raise Invalid(_FIX, fields={"into": "An idea cannot be merged into itself."})
    if duplicate.community_id != original.community_id:
        raise NotFound("There is no such idea in this community.")
    # Both rows locked, lower id first, so two merges (or a merge and votes) cannot deadlock.
    for idea in sorted((duplicate, original), key=lambda idea: id_of(idea)):
        _lock(session, idea)
    if duplicate.merged_into_id is not None:
        raise Conflict("This idea is merged already.")
    if original.merged_into_id is not None:
        raise Conflict("That idea was itself merged into another; merge into that one.")

    followers_before = list(_followers(session, duplicate))
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
    _tell(
        session,
        followers_before,
        community=_community_of(session, original),
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


# ------------------------------------------------------------------------------------------------------------
# Reading: the board, similar ideas, the roadmap and the changelog
# ------------------------------------------------------------------------------------------------------------


@dataclass
class IdeaRow:
    """An idea as lists show it: with its author and category (loaded with it, never lazily)."""

    idea: Idea
    author: User | None
    category: IdeaCategory | None


@dataclass
class BoardPage:
    rows: list[IdeaRow]
    has_more: bool
    page: int
    sort: str
    status: str
    category: str
    tag: str
    typed: str
    voted: set[int] = field(default_factory=set)


def _select_rows() -> Any:
    return (
        select(Idea, User, IdeaCategory)
        .outerjoin(User, col(User.id) == Idea.author_id)
        .outerjoin(IdeaCategory, col(IdeaCategory.id) == Idea.category_id)
    )


def _rows(found: Sequence[Any]) -> list[IdeaRow]:
    return [IdeaRow(idea=idea, author=author, category=category) for idea, author, category in found]


_ORDERS = {
    "top": (col(Idea.vote_count).desc(), col(Idea.id).desc()),
    "trending": (col(Idea.trending_score).desc(), col(Idea.id).desc()),
    "newest": (col(Idea.id).desc(),),
}


def unanswered_conditions() -> tuple[ColumnElement[bool], ...]:
    """Ideas waiting for the brand: open, shown, not merged, without an official response."""
    return (
        col(Idea.status) == IdeaStatus.open,
        col(Idea.response) == "",
        col(Idea.hidden_at).is_(None),
        col(Idea.merged_into_id).is_(None),
    )


def list_board(
    session: Session,
    *,
    community: Community,
    viewer: User | None = None,
    sort: str = "trending",
    status: str = "",
    category: str = "",
    tag: str = "",
    typed: str = "",
    page: int = 1,
    include_hidden: bool = False,
    page_size: int = BOARD_PAGE_SIZE,
) -> BoardPage:
    """A page of the board: filtered by status, category and tag; sorted, or ranked by a search when one is typed."""
    sort = sort if sort in BOARD_SORTS else "trending"
    status = status if status in IdeaStatus.__members__ or status == UNANSWERED else ""
    page = max(page, 1)
    query = _select_rows().where(Idea.community_id == community.id, col(Idea.merged_into_id).is_(None))
    if not include_hidden:
        query = query.where(col(Idea.hidden_at).is_(None))
    if status == UNANSWERED:
        query = query.where(*unanswered_conditions())
    elif status:
        query = query.where(Idea.status == IdeaStatus(status))
    if category:
        query = query.where(IdeaCategory.slug == category)
    if tag:
        query = query.where((literal(",") + col(Idea.tags) + literal(",")).contains(f",{tag},"))
    ranked: list[int] = []
    if typed.strip():
        # Ranked ids up to this page (and one more, to know whether there is a next), at most SEARCH_LIMIT.
        limit = min(page * page_size + 1, SEARCH_LIMIT)
        ranked = search.search_ideas(session, community_id=id_of(community), typed=typed, limit=limit)
        query = query.where(col(Idea.id).in_(ranked))
        found = session.exec(query).all()
        position = {idea_id: index for index, idea_id in enumerate(ranked)}
        ordered = sorted(found, key=lambda row: position[row[0].id])
        chunk = ordered[(page - 1) * page_size : page * page_size + 1]
    else:
        chunk = list(session.exec(query.order_by(*_ORDERS[sort]).offset((page - 1) * page_size).limit(page_size + 1)))
    rows = _rows(chunk[:page_size])
    return BoardPage(
        rows=rows,
        has_more=len(chunk) > page_size,
        page=page,
        sort=sort,
        status=status,
        category=category,
        tag=tag,
        typed=typed,
        voted=voted_ideas(session, user=viewer, idea_ids=[id_of(row.idea) for row in rows]),
    )


def similar_ideas(session: Session, *, community: Community, typed: str, limit: int = SIMILAR_LIMIT) -> list[IdeaRow]:
    """Shown ideas whose title or description share words with what is being typed (any word), best first."""
    ranked = search.search_ideas(session, community_id=id_of(community), typed=typed, match="any", limit=limit)
    if not ranked:
        return []
    found = session.exec(_select_rows().where(col(Idea.id).in_(ranked))).all()
    position = {idea_id: index for index, idea_id in enumerate(ranked)}
    return _rows(sorted(found, key=lambda row: position[row[0].id]))


@dataclass
class Roadmap:
    columns: dict[IdeaStatus, list[IdeaRow]]
    counts: dict[IdeaStatus, int]
    sort: str


def roadmap(
    session: Session, *, community: Community, sort: str = "top", per_status: int = ROADMAP_PER_STATUS
) -> Roadmap:
    """The community's ideas grouped by status (under review, planned, in progress, done), by votes or trending."""
    sort = sort if sort in ("top", "trending") else "top"
    shown = (Idea.community_id == community.id, col(Idea.merged_into_id).is_(None), col(Idea.hidden_at).is_(None))
    counts = {status: 0 for status in IdeaStatus}
    for status, number in session.exec(select(Idea.status, func.count()).where(*shown).group_by(col(Idea.status))):
        counts[IdeaStatus(status)] = number
    columns = {
        status: _rows(
            session.exec(
                _select_rows().where(*shown, Idea.status == status).order_by(*_ORDERS[sort]).limit(per_status)
            ).all()
        )
        for status in ROADMAP_STATUSES
    }
    return Roadmap(columns=columns, counts=counts, sort=sort)


def changelog(session: Session, *, community: Community, limit: int = 50) -> list[IdeaRow]:
    """The community's done ideas, most recently done first: what the brand shipped from members' ideas."""
    return _rows(
        session.exec(
            _select_rows()
            .where(
                Idea.community_id == community.id,
                Idea.status == IdeaStatus.done,
                col(Idea.merged_into_id).is_(None),
                col(Idea.hidden_at).is_(None),
            )
            .order_by(col(Idea.status_changed_at).desc(), col(Idea.id).desc())
            .limit(limit)
        ).all()
    )


def images_of(session: Session, *, ideas: Sequence[Idea]) -> dict[int, MediaImage]:
    """The photos of a page of ideas, by image id: one query."""
    image_ids = {idea.image_id for idea in ideas if idea.image_id is not None}
    if not image_ids:
        return {}
    return {id_of(image): image for image in session.exec(select(MediaImage).where(col(MediaImage.id).in_(image_ids)))}


def thumbnails(session: Session, *, ideas: Sequence[Idea]) -> dict[int, str]:
    """The thumbnail URL of each idea that has a photo, by idea id."""
    images = images_of(session, ideas=ideas)
    return {
        id_of(idea): media_service.rendition_url(images[idea.image_id], "thumbnail")
        for idea in ideas
        if idea.image_id is not None and idea.image_id in images
    }


def idea_row(session: Session, *, idea: Idea) -> IdeaRow:
    """One idea with its author and category."""
    author = session.get(User, idea.author_id) if idea.author_id is not None else None
    category = session.get(IdeaCategory, idea.category_id) if idea.category_id is not None else None
    return IdeaRow(idea=idea, author=author, category=category)


def photo_url(session: Session, *, idea: Idea) -> str | None:
    if idea.image_id is None:
        return None
    image = session.get(MediaImage, idea.image_id)
    return media_service.rendition_url(image, "display") if image is not None else None


def status_label(status: IdeaStatus | str) -> str:
    return STATUS_LABELS[IdeaStatus(status)]
