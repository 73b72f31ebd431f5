"""Load the comment named in the path, with its design, challenge and community, and check the actor's roles."""

from dataclasses import dataclass

from fastapi import Depends

from app.accounts.deps import CurrentUser, PermissionCheck, base_roles, check
from app.challenges.deps import DesignAccess, load_design_access
from app.columns import utcnow
from app.comments import policies
from app.comments.models import Comment
from app.db import SessionDep
from app.errors import NotFound
from app.permissions import Action

HIDDEN_COMMENT = "There is no such comment."


@dataclass(frozen=True)
class CommentAccess(DesignAccess):
    comment: Comment


class CommentPermit(PermissionCheck):
    """Depends on ``comment_id``: a comment is seen by whoever may see its design (DesignPermit's rules)."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, comment_id: int, user: CurrentUser, session: SessionDep) -> CommentAccess:
        comment = session.get(Comment, comment_id)
        if comment is None:
            check(self.action, frozenset(base_roles(user)), user, hidden_message=HIDDEN_COMMENT)
            raise NotFound(HIDDEN_COMMENT)
        access = load_design_access(session, comment.design_id, user, self.action, hidden=HIDDEN_COMMENT)
        return CommentAccess(
            community=access.community,
            user=user,
            membership=access.membership,
            roles=access.roles,
            challenge=access.challenge,
            design=access.design,
            comment=comment,
        )


def comment_access(action: Action) -> CommentAccess:
    """``access: CommentAccess = comment_access(Action.comment)`` in a route's parameters."""
    return Depends(CommentPermit(action))


def thread_context(session: SessionDep, access: DesignAccess, **form: object) -> dict[str, object]:
    """What ``comments/_thread.html`` needs: the thread and what this actor may do in it."""
    from app.comments import service as comments_service

    return {
        "thread": comments_service.list_thread(session, design=access.design),
        "may_comment": access.can(Action.comment) and access.design.status == "submitted",
        "may_moderate": access.can(Action.moderate_comments),
        "now": utcnow(),
        "edit_window": policies.edit_window(),
        "comment_form": form,
    }
