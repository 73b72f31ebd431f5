"""Comments on designs and ideas: post, reply, edit within a window, soft-delete, and read a thread in one query.

Each use case takes the thread's subject as ``design=`` or ``idea=`` (exactly one); comments on ideas also tell the
idea's followers and @mentioned members, and keep its comment counter (``app.ideas.posting``).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlmodel import Session, col, select, update

from app import rate_limits
from app.accounts.models import User
from app.challenges.models import Challenge, Design, DesignStatus
from app.columns import id_of, utcnow
from app.comments import policies
from app.comments.models import BODY_MAX_LENGTH, Comment
from app.communities import service as communities_service
from app.communities.models import Community
from app.config import get_settings
from app.disclosure import service as disclosure_service
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.i18n import _, ngettext, use_locale
from app.i18n.formatting import format_number
from app.ideas import posting as ideas_posting
from app.ideas import rules as ideas_rules
from app.ideas.models import Idea
from app.moderation import screening as moderation_screening
from app.moderation.models import SubjectKind
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.permissions import Role
from app.webhooks import service as webhooks_service


@dataclass
class ThreadComment:
    """A comment with its author, and (for a thread root) its replies in order."""

    comment: Comment
    author: User
    replies: list["ThreadComment"] = field(default_factory=list)


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise Invalid(_("Please correct the marked fields."), fields={"body": _("Write something first.")})
    if len(body) > BODY_MAX_LENGTH:
        raise Invalid(
            _("Please correct the marked fields."),
            fields={
                "body": _(
                    "Keep it under %(limit)s characters (this is %(length)s).",
                    limit=format_number(BODY_MAX_LENGTH),
                    length=format_number(len(body)),
                )
            },
        )
    return body


def _one_subject(design: Design | None, idea: Idea | None) -> Design | Idea:
    if (design is None) == (idea is None):
        raise TypeError("pass exactly one of design= and idea=")
    subject = design if design is not None else idea
    assert subject is not None
    return subject


def _belongs(comment: Comment, subject: Design | Idea) -> bool:
    if isinstance(subject, Design):
        return comment.design_id == subject.id
    return comment.idea_id == subject.id


def check_may_comment(
    session: Session, *, author: User, design: Design | None = None, idea: Idea | None = None
) -> None:
    """The one place that decides whether someone may comment on a design or an idea now.

    A member of its community, on a design or idea that is shown. Suspensions and bans are enforced before this, by
    the permits every route passes through (app.moderation.enforcement).
    """
    if idea is not None:
        community = session.get(Community, idea.community_id)
        assert community is not None
        ideas_rules.require_member(session, community=community, user=author, doing="comment")
        ideas_posting.require_open_for_comments(idea)
        return
    design = cast(Design, _one_subject(design, idea))
    challenge = session.get(Challenge, design.challenge_id)
    community = session.get(Community, challenge.community_id) if challenge is not None else None
    if community is None or communities_service.get_membership(session, community=community, user=author) is None:
        raise Forbidden(_("Join the community to comment."))
    if design.status != DesignStatus.submitted:
        raise Conflict(_("This design is not open for comments."))


def _community_of(session: Session, subject: Design | Idea) -> Community:
    if isinstance(subject, Idea):
        community = session.get(Community, subject.community_id)
    else:
        challenge = session.get(Challenge, subject.challenge_id)
        community = session.get(Community, challenge.community_id) if challenge is not None else None
    assert community is not None
    return community


def get_comment(
    session: Session, *, comment_id: int, design: Design | None = None, idea: Idea | None = None
) -> Comment:
    """A comment of this design or idea (one of another thread's answers as missing)."""
    subject = _one_subject(design, idea)
    comment = session.get(Comment, comment_id)
    if comment is None or not _belongs(comment, subject):
        if design is not None:
            raise NotFound(_("There is no such comment on this design."))
        raise NotFound(_("There is no such comment on this idea."))
    return comment


def comment_link(comment: Comment) -> str:
    if comment.idea_id is not None:
        return f"/ideas/{comment.idea_id}#comment-{comment.id}"
    return f"/designs/{comment.design_id}#comment-{comment.id}"


def add_comment(
    session: Session,
    *,
    author: User,
    body: str,
    design: Design | None = None,
    idea: Idea | None = None,
    parent: Comment | None = None,
    now: datetime | None = None,
) -> Comment:
    """Comment on a design or idea, or reply to a comment (a reply to a reply joins the same thread)."""
    subject = _one_subject(design, idea)
    body = _clean_body(body)
    check_may_comment(session, design=design, idea=idea, author=author)
    rate_limits.hit(
        get_settings().comment_rate_per_account,
        "comment",
        str(author.id),
        message=_("You are commenting very fast; wait a moment before the next comment."),
    )
    root: Comment | None = None
    if parent is not None:
        if not _belongs(parent, subject):
            raise NotFound(_("There is no such comment here."))
        root = parent if parent.parent_id is None else session.get(Comment, parent.parent_id)
        assert root is not None
    comment = Comment(
        design_id=design.id if design is not None else None,
        idea_id=idea.id if idea is not None else None,
        author_id=id_of(author),
        parent_id=root.id if root is not None else None,
        body=body,
        created_at=now or utcnow(),
    )
    session.add(comment)
    session.flush()
    _count_on_idea(session, comment, shown=True)  # a hold below takes it back by hiding it
    community = _community_of(session, subject)
    if moderation_screening.screen_post(
        session,
        community=community,
        author=author,
        kind=SubjectKind.comment,
        subject_id=id_of(comment),
        text=body,
        now=comment.created_at,
    ):
        return comment  # held for review: nobody is told of it until a moderator approves it (announce_comment)
    _announce(session, comment=comment, subject=subject, author=author, parent=parent, community=community)
    return comment


def announce_comment(session: Session, *, comment_id: int) -> None:
    """Tell of a comment that was held for review and is now approved: what posting it would have told."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.is_deleted:
        return
    subject: Design | Idea | None = (
        session.get(Idea, comment.idea_id) if comment.idea_id is not None else session.get(Design, comment.design_id)
    )
    author = session.get(User, comment.author_id)
    if subject is None or author is None:
        return
    parent = session.get(Comment, comment.parent_id) if comment.parent_id is not None else None
    community = _community_of(session, subject)
    _announce(session, comment=comment, subject=subject, author=author, parent=parent, community=community)


def _announce(
    session: Session,
    *,
    comment: Comment,
    subject: Design | Idea,
    author: User,
    parent: Comment | None,
    community: Community,
) -> None:
    """The webhook, and the people told of a new comment: the one replied to, an idea's followers (and those
    mentioned), a design's designer."""
    _emit_comment_created(session, comment=comment, subject=subject, author=author, community=community)
    replied_to = session.get(User, parent.author_id) if parent is not None and not parent.is_deleted else None
    if replied_to is not None:
        with use_locale(replied_to.locale, replied_to.time_zone):  # stored in the words of the one told
            text = _("%(name)s replied to your comment on %(title)s", name=author.display_name, title=subject.title)
            rollup_text = _("{count} replies to your comment on %(title)s", title=subject.title)
        notifications_service.notify(
            session,
            user=replied_to,
            kind=NotificationKind.comment_reply,
            text=text,
            link=comment_link(comment),
            actor=author,
            community=community,
            rollup=notifications_service.Rollup(subject=f"comment:{comment.parent_id}", text=rollup_text),
        )
    if isinstance(subject, Idea):
        ideas_posting.comment_added(
            session,
            idea=subject,
            author=author,
            body=comment.body,
            link=comment_link(comment),
            replied_to_id=replied_to.id if replied_to is not None else None,
        )
    elif parent is None:
        designer = session.get(User, subject.designer_id)
        if designer is not None:
            with use_locale(designer.locale, designer.time_zone):
                text = _("%(name)s commented on your design %(title)s", name=author.display_name, title=subject.title)
                rollup_text = _("{count} new comments on your design %(title)s", title=subject.title)
            notifications_service.notify(
                session,
                user=designer,
                kind=NotificationKind.design_comment,
                text=text,
                link=comment_link(comment),
                actor=author,
                community=community,
                rollup=notifications_service.Rollup(subject=f"design:{subject.id}", text=rollup_text),
            )


def _emit_comment_created(
    session: Session, *, comment: Comment, subject: Design | Idea, author: User, community: Community
) -> None:
    """Tell the brand's webhook endpoints (``comment_created``)."""
    about: dict[str, object]
    if isinstance(subject, Idea):
        about = {"idea": {"id": subject.id, "title": subject.title}}
    else:
        challenge = session.get(Challenge, subject.challenge_id)
        about = {
            "design": {"id": subject.id, "title": subject.title},
            "challenge": {"slug": challenge.slug, "title": challenge.title} if challenge is not None else None,
        }
    webhooks_service.emit_event(
        session,
        brand_id=community.brand_id,
        event="comment_created",
        payload={
            "comment": {
                "id": comment.id,
                "parent_id": comment.parent_id,
                "body": comment.body,
                "created_at": comment.created_at.isoformat(),
                "url": get_settings().base_url.rstrip("/") + comment_link(comment),
            },
            "author": {"handle": author.handle, "display_name": author.display_name},
            **about,
            "community": {"slug": community.slug, "name": community.name},
        },
    )


def edit_comment(
    session: Session, *, comment: Comment, editor: User, body: str, now: datetime | None = None
) -> Comment:
    """Change one's own comment, within ``settings.comment_edit_minutes`` of posting it."""
    now = now or utcnow()
    if not policies.is_author(comment, editor):
        raise Forbidden(_("Only its author may edit a comment."))
    if comment.is_deleted:
        raise Conflict(_("This comment is deleted."))
    if not policies.can_edit(comment, editor, now):
        minutes = get_settings().comment_edit_minutes
        raise Conflict(
            ngettext(
                "Comments can be edited for %(num)s minute after posting.",
                "Comments can be edited for %(num)s minutes after posting.",
                minutes,
            )
        )
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
        raise Forbidden(_("Only its author or a moderator may delete a comment."))
    # Conditional, so a delete and a moderator's hiding at once take it off the idea's count once between them.
    deleted = session.execute(
        update(Comment)
        .where(col(Comment.id) == comment.id, col(Comment.deleted_at).is_(None))
        .values(deleted_at=now or utcnow())
        .returning(col(Comment.hidden_at))
    ).first()
    if deleted is not None and deleted.hidden_at is None:
        _count_on_idea(session, comment, shown=False)
    return comment


def set_comment_hidden(session: Session, *, comment: Comment, hidden: bool, now: datetime | None = None) -> Comment:
    """Hide a comment from its thread (moderation), or show it again; an idea's comment count follows, as it counts
    the comments members see (deleted ones never)."""
    flipped = col(Comment.hidden_at).is_(None) if hidden else col(Comment.hidden_at).is_not(None)
    changed = session.execute(
        update(Comment)
        .where(col(Comment.id) == comment.id, flipped)
        .values(hidden_at=(now or utcnow()) if hidden else None)
        .returning(col(Comment.deleted_at))
    ).first()
    if changed is not None and changed.deleted_at is None:
        _count_on_idea(session, comment, shown=not hidden)
    return comment


def _count_on_idea(session: Session, comment: Comment, *, shown: bool) -> None:
    """Move the comment count of the comment's idea (comments on designs have none)."""
    if comment.idea_id is None:
        return
    idea = session.get(Idea, comment.idea_id)
    assert idea is not None
    if shown:
        ideas_posting.comment_shown(session, idea=idea)
    else:
        ideas_posting.comment_removed(session, idea=idea)


def thread_disclosures(
    session: Session, *, community: Community, thread: Sequence[ThreadComment]
) -> dict[int, list[disclosure_service.Disclosure]]:
    """The disclosure badges of every author in a thread (replies included), for the community's brand."""
    authors = {id_of(entry.author) for entry in thread} | {
        id_of(reply.author) for entry in thread for reply in entry.replies
    }
    return disclosure_service.disclosures_for(session, brand_id=community.brand_id, user_ids=authors)


def list_thread(
    session: Session,
    *,
    design: Design | None = None,
    idea: Idea | None = None,
    viewer: User | None = None,
    may_moderate: bool = False,
) -> list[ThreadComment]:
    """A design's or idea's comments as threads, oldest first, with their authors: one query.

    Comments hidden by moderation are left out, except for the moderators and for their own author (who sees a
    notice in their place).
    """
    subject = _one_subject(design, idea)
    on_subject = Comment.design_id == subject.id if design is not None else Comment.idea_id == subject.id
    query = (
        select(Comment, User)
        .join(User, col(User.id) == Comment.author_id)
        .where(on_subject)
        .order_by(col(Comment.created_at), col(Comment.id))
    )
    if not may_moderate:
        shown = col(Comment.hidden_at).is_(None)
        query = query.where(shown | (col(Comment.author_id) == viewer.id) if viewer is not None else shown)
    rows: Sequence[tuple[Comment, User]] = session.exec(query).all()
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
