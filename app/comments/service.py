"""Comments on designs: post, reply, edit within a window, soft-delete, and read a thread in one query."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from app import rate_limits
from app.accounts.models import User
from app.challenges.models import Challenge, Design, DesignStatus
from app.columns import id_of, utcnow
from app.comments import policies
from app.comments.models import BODY_MAX_LENGTH, Comment
from app.communities import service as communities_service
from app.communities.models import Community
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.permissions import Role


@dataclass
class ThreadComment:
    """A comment with its author, and (for a thread root) its replies in order."""

    comment: Comment
    author: User
    replies: list["ThreadComment"] = field(default_factory=list)


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise Invalid("Please correct the marked fields.", fields={"body": "Write something first."})
    if len(body) > BODY_MAX_LENGTH:
        raise Invalid(
            "Please correct the marked fields.",
            fields={"body": f"Keep it under {BODY_MAX_LENGTH} characters (this is {len(body)})."},
        )
    return body


def check_may_comment(session: Session, *, design: Design, author: User) -> None:
    """The one place that decides whether someone may comment on a design now.

    A member of the design's community, on a design that is shown; community sanctions (suspensions, mutes) will
    be checked here too when they arrive.
    """
    challenge = session.get(Challenge, design.challenge_id)
    community = session.get(Community, challenge.community_id) if challenge is not None else None
    if community is None or communities_service.get_membership(session, community=community, user=author) is None:
        raise Forbidden("Join the community to comment.")
    if design.status != DesignStatus.submitted:
        raise Conflict("This design is not open for comments.")


def get_comment(session: Session, *, comment_id: int, design: Design) -> Comment:
    """A comment of this design (one of another design's answers as missing)."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.design_id != design.id:
        raise NotFound("There is no such comment on this design.")
    return comment


def comment_link(comment: Comment) -> str:
    return f"/designs/{comment.design_id}#comment-{comment.id}"


def add_comment(
    session: Session,
    *,
    design: Design,
    author: User,
    body: str,
    parent: Comment | None = None,
    now: datetime | None = None,
) -> Comment:
    """Comment on a design, or reply to a comment (a reply to a reply joins the same thread)."""
    body = _clean_body(body)
    check_may_comment(session, design=design, author=author)
    rate_limits.hit(
        get_settings().comment_rate_per_account,
        "comment",
        str(author.id),
        message="You are commenting very fast; wait a moment before the next comment.",
    )
    root: Comment | None = None
    if parent is not None:
        if parent.design_id != design.id:
            raise NotFound("There is no such comment on this design.")
        root = parent if parent.parent_id is None else session.get(Comment, parent.parent_id)
        assert root is not None
    comment = Comment(
        design_id=id_of(design),
        author_id=id_of(author),
        parent_id=root.id if root is not None else None,
        body=body,
        created_at=now or utcnow(),
    )
    session.add(comment)
    session.flush()
    if parent is not None:
        replied_to = session.get(User, parent.author_id)
        if replied_to is not None and not parent.is_deleted:
            notifications_service.notify(
                session,
                user=replied_to,
                kind=NotificationKind.comment_reply,
                text=f"{author.display_name} replied to your comment on {design.title}",
                link=comment_link(comment),
                actor=author,
            )
    else:
        designer = session.get(User, design.designer_id)
        if designer is not None:
            notifications_service.notify(
                session,
                user=designer,
                kind=NotificationKind.design_comment,
                text=f"{author.display_name} commented on your design {design.title}",
                link=comment_link(comment),
                actor=author,
            )
    return comment


def edit_comment(
    session: Session, *, comment: Comment, editor: User, body: str, now: datetime | None = None
) -> Comment:
    """Change one's own comment, within ``settings.comment_edit_minutes`` of posting it."""
    now = now or utcnow()
    if not policies.is_author(comment, editor):
        raise Forbidden("Only its author may edit a comment.")
    if comment.is_deleted:
        raise Conflict("This comment is deleted.")
    if not policies.can_edit(comment, editor, now):
        minutes = get_settings().comment_edit_minutes
        raise Conflict(f"Comments can be edited for {minutes} minutes after posting.")
    comment.body = _clean_body(body)
    comment.edited_at = now
    session.add(comment)
    session.flush()
    return comment


def delete_comment(
    session: Session, *, comment: Comment, actor: User, roles: frozenset[Role], now: datetime | None = None
) -> Comment:
    """Soft-delete a comment: its author, the community's moderators or the brand's managers; the thread stays."""
    if comment.is_deleted:
        return comment
    if not policies.can_delete(comment, actor, roles):
        raise Forbidden("Only its author or a moderator may delete a comment.")
    comment.deleted_at = now or utcnow()
    session.add(comment)
    session.flush()
    return comment


def list_thread(session: Session, *, design: Design) -> list[ThreadComment]:
    """A design's comments as threads, oldest first, with their authors: one query."""
    rows: Sequence[tuple[Comment, User]] = session.exec(
        select(Comment, User)
        .join(User, col(User.id) == Comment.author_id)
        .where(Comment.design_id == design.id)
        .order_by(col(Comment.created_at), col(Comment.id))
    ).all()
    roots: dict[int, ThreadComment] = {}
    orphans: list[ThreadComment] = []
    for comment, author in rows:
        entry = ThreadComment(comment=comment, author=author)
        if comment.parent_id is None:
            roots[id_of(comment)] = entry
        elif comment.parent_id in roots:
            roots[comment.parent_id].replies.append(entry)
        else:
            orphans.append(entry)  # a root posted after its reply cannot happen, but never lose a comment
    return [*roots.values(), *orphans]
