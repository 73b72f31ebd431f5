"""Load the comment named in the path, with its design or idea and community, and check the actor's roles."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Depends

from app.accounts.deps import CurrentUser, PermissionCheck, base_roles, check
from app.challenges.deps import DesignAccess, load_design_access
from app.columns import RowId, utcnow
from app.comments import policies
from app.comments.models import Comment
from app.communities.deps import CommunityAccess
from app.db import SessionDep
from app.errors import NotFound
from app.i18n import N_, _
from app.ideas.deps import IdeaAccess, load_idea_access
from app.permissions import Action

HIDDEN_COMMENT = N_("There is no such comment.")
# What a thread is on: a design (with its challenge) or an idea, as its permit loaded it.
SubjectAccess = DesignAccess | IdeaAccess


@dataclass(frozen=True)
class CommentAccess(CommunityAccess):
    comment: Comment
    subject: SubjectAccess


class CommentPermit(PermissionCheck):
    """Depends on ``comment_id``: a comment is seen by whoever may see its design or idea (their permits' rules)."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, comment_id: RowId, user: CurrentUser, session: SessionDep) -> CommentAccess:
        comment = session.get(Comment, comment_id)
        if comment is None:
            check(self.action, frozenset(base_roles(user)), user, hidden_message=_(HIDDEN_COMMENT))
            raise NotFound(_(HIDDEN_COMMENT))
        subject: SubjectAccess
        if comment.idea_id is not None:
            subject = load_idea_access(session, comment.idea_id, user, self.action, hidden=_(HIDDEN_COMMENT))
        else:
            assert comment.design_id is not None  # the one_subject check
            subject = load_design_access(session, comment.design_id, user, self.action, hidden=_(HIDDEN_COMMENT))
        return CommentAccess(
            community=subject.community,
            user=user,
            membership=subject.membership,
            roles=subject.roles,
            comment=comment,
            subject=subject,
        )


def comment_access(action: Action) -> CommentAccess:
    """``access: CommentAccess = comment_access(Action.comment)`` in a route's parameters."""
    return Depends(CommentPermit(action))


def _own_hidden_statuses(session: SessionDep, access: SubjectAccess, thread: Sequence[Any]) -> dict[int, str]:
    from app.moderation import queue as moderation_queue
    from app.moderation.models import SubjectKind

    if access.user is None:
        return {}
    own: list[int] = []
    stack = list(thread)
    while stack:
        entry = stack.pop()
        stack.extend(entry.replies)
        comment = entry.comment
        if comment.is_hidden and comment.author_id == access.user.id:
            own.append(comment.id)
    statuses = moderation_queue.item_statuses(
        session, community_id=access.community.id or 0, kind=SubjectKind.comment, subject_ids=own
    )
    return {comment_id: str(status) for comment_id, status in statuses.items()}


def thread_context(session: SessionDep, access: SubjectAccess, **form: object) -> dict[str, object]:
    """What ``comments/_thread.html`` needs: the thread, where its forms post, and what this actor may do in it."""
    from app.comments import service as comments_service

    may_moderate = access.can(Action.moderate_comments)
    if isinstance(access, IdeaAccess):
        idea = access.idea
        thread = comments_service.list_thread(session, idea=idea, viewer=access.user, may_moderate=may_moderate)
        page_url = f"/ideas/{idea.id}"
        is_open = idea.merged_into_id is None and not idea.is_hidden
    else:
        thread = comments_service.list_thread(
            session, design=access.design, viewer=access.user, may_moderate=may_moderate
        )
        page_url = f"/designs/{access.design.id}"
        is_open = access.design.status == "submitted"
    return {
        "thread": thread,
        # Every author's disclosure badges, shown beside their name on the page and in each htmx swap.
        "disclosures": comments_service.thread_disclosures(session, community=access.community, thread=thread),
        # How the viewer's own hidden comments stand (held for review, hidden, removed), to tell them which.
        "own_hidden_statuses": _own_hidden_statuses(session, access, thread),
        "page_url": page_url,
        "comments_url": f"{page_url}/comments",
        "may_comment": access.can(Action.comment) and is_open,
        "may_moderate": may_moderate,
        "may_report": access.can(Action.report_content),
        "community_slug": access.community.slug,
        "now": utcnow(),
        "edit_window": policies.edit_window(),
        "comment_form": form,
    }
