"""Posting ideas (with categories and a photo) and keeping an idea's comment counter (app/comments calls these)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select, update

from app import rate_limits
from app.accounts.models import User
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.i18n import _
from app.i18n.formatting import format_number
from app.ideas.models import (
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Idea,
    IdeaCategory,
)
from app.ideas.notifying import emit_webhook_event, followers_of, notify_mentions, tell_people
from app.ideas.rules import FIX_MARKED_FIELDS, community_of, idea_link, require_member
from app.ideas.votes import follow
from app.media import service as media_service
from app.moderation import screening as moderation_screening
from app.moderation.models import SubjectKind
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.slugs import slugify

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
        raise Invalid(
            _(FIX_MARKED_FIELDS),
            fields={"name": _("Name the category in up to 60 characters, with letters or digits.")},
        )
    taken = session.exec(
        select(IdeaCategory.id).where(IdeaCategory.community_id == community.id, IdeaCategory.slug == slug)
    ).first()
    if taken is not None:
        raise Conflict(
            _("There is a category called %(name)s already.", name=name), fields={"name": _("This category exists.")}
        )
    category = IdeaCategory(community_id=id_of(community), name=name, slug=slug)
    session.add(category)
    session.flush()
    return category


def _category_in(session: Session, community: Community, category_id: int | None) -> IdeaCategory | None:
    if category_id is None:
        return None
    category = session.get(IdeaCategory, category_id)
    if category is None or category.community_id != community.id:
        raise Invalid(_(FIX_MARKED_FIELDS), fields={"category_id": _("Choose one of this community's categories.")})
    return category


# ------------------------------------------------------------------------------------------------------------
# Posting
# ------------------------------------------------------------------------------------------------------------


def _validate(*, title: str, description: str) -> dict[str, str]:
    errors = {}
    if len(title) < 5:
        errors["title"] = _("Give your idea a title of at least 5 characters.")
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = _("Keep the title under %(limit)s characters.", limit=format_number(TITLE_MAX_LENGTH))
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = _(
            "Keep the description under %(limit)s characters.", limit=format_number(DESCRIPTION_MAX_LENGTH)
        )
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
    require_member(session, community=community, user=author, doing="post ideas")  # i18n: ignore (a key)
    errors = _validate(title=title, description=description)
    try:
        category = _category_in(session, community, category_id)
    except Invalid as error:
        errors.update(error.fields)
        category = None
    if errors:
        raise Invalid(_(FIX_MARKED_FIELDS), fields=errors)
    rate_limits.hit(
        get_settings().idea_rate_per_account,
        "idea",
        str(author.id),
        message=_("You have posted many ideas in a short time; wait a while before the next one."),
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
    notify_mentions(
        session,
        community=community,
        text=idea.description,
        actor=author,
        link=link,
        line=lambda: _("%(name)s mentioned you in %(idea)s", name=author.display_name, idea=idea.title),
    )
    emit_webhook_event(session, community=community, idea=idea, event="idea_created", author=author, category=category)


def set_photo(session: Session, *, idea: Idea, author: User, photo: Photo) -> Idea:
    """Give one's own idea a photo (or replace it), through the image pipeline."""
    if idea.author_id != author.id:
        raise Forbidden(_("Only its author may change an idea's photo."))
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
        raise NotFound(_("There is no such idea."))
    return idea


# ------------------------------------------------------------------------------------------------------------
# Comments (app/comments calls these for comments on ideas)
# ------------------------------------------------------------------------------------------------------------


def require_open_for_comments(idea: Idea) -> None:
    if idea.merged_into_id is not None:
        raise Conflict(_("This idea was merged into another: comment there."))
    if idea.is_hidden:
        raise Conflict(_("This idea is hidden."))


def comment_added(
    session: Session, *, idea: Idea, author: User, body: str, link: str, replied_to_id: int | None = None
) -> None:
    """After a comment on an idea is posted (and not held): its author follows the idea, followers and @mentioned
    members are told.

    The author of the comment replied to (told of the reply by app/comments) is not told again.
    """
    follow(session, idea=idea, user=author)
    community = community_of(session, idea)
    told = {replied_to_id} if replied_to_id is not None else set()
    mentioned = notify_mentions(
        session,
        community=community,
        text=body,
        actor=author,
        link=link,
        line=lambda: _("%(name)s mentioned you in a comment on %(idea)s", name=author.display_name, idea=idea.title),
        skip=frozenset(told),
    )
    tell_people(
        session,
        followers_of(session, idea),
        community=community,
        kind=NotificationKind.idea_comment,
        text=lambda: _("%(name)s commented on %(idea)s", name=author.display_name, idea=idea.title),
        link=link,
        actor=author,
        skip=frozenset(told) | mentioned,
        rollup=lambda: notifications_service.Rollup(
            subject=f"idea:{idea.id}", text=_("{count} new comments on %(idea)s", idea=idea.title)
        ),
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
