"""Who may change a comment: pure functions over the comment, the actor, their roles and the time."""

from datetime import datetime, timedelta

from app.accounts.models import User
from app.comments.models import Comment
from app.config import get_settings
from app.permissions import Action, Role, can


def edit_window() -> timedelta:
    return timedelta(minutes=get_settings().comment_edit_minutes)


def is_author(comment: Comment, user: User | None) -> bool:
    return user is not None and comment.author_id == user.id


def can_edit(comment: Comment, user: User | None, now: datetime) -> bool:
    """Its author, while it is not deleted and within the edit window."""
    return is_author(comment, user) and not comment.is_deleted and now < comment.created_at + edit_window()


def can_delete(comment: Comment, user: User | None, roles: frozenset[Role]) -> bool:
    """Its author, or whoever may moderate comments in its community (moderators, the brand's managers)."""
    if comment.is_deleted:
        return False
    return is_author(comment, user) or can(roles, Action.moderate_comments)
