"""Comments as moderation sees them: how to describe, load, count, hide, restore and announce them
(app.moderation.subjects)."""

from collections import Counter
from collections.abc import Callable, Collection

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.challenges.models import Challenge, Design
from app.comments import service as comments_service
from app.comments.models import Comment
from app.i18n import N_
from app.ideas.models import Idea
from app.moderation.models import SubjectKind
from app.moderation.subjects import SubjectContent, SubjectInfo, SubjectType, excerpt


def _describe_comment(session: Session, comment_id: int, community_id: int) -> SubjectInfo | None:
    """A comment on a design (its challenge's community) or on an idea (the idea's community)."""
    found = session.exec(
        select(Comment)
        .outerjoin(Design, Design.id == Comment.design_id)  # type: ignore[arg-type]
        .outerjoin(Challenge, Challenge.id == Design.challenge_id)  # type: ignore[arg-type]
        .outerjoin(Idea, Idea.id == Comment.idea_id)  # type: ignore[arg-type]
        .where(Comment.id == comment_id)
        .where(or_(col(Challenge.community_id) == community_id, col(Idea.community_id) == community_id))
    ).first()
    if found is None or found.is_deleted:
        return None
    return SubjectInfo(
        community_id=community_id,
        author_id=found.author_id,
        excerpt=excerpt(found.body),
        link=comments_service.comment_link(found),
        hidden=found.is_hidden,
    )


def _comment_contents(session: Session, comment_ids: Collection[int]) -> dict[int, SubjectContent]:
    return {
        comment.id or 0: SubjectContent(title="", text=comment.body, posted_at=comment.created_at)
        for comment in session.exec(select(Comment).where(col(Comment.id).in_(comment_ids)))
    }


def _count_comments(session: Session, community_id: int, author_ids: Collection[int]) -> Counter[int]:
    """Comments (not deleted) each author wrote on the community's designs and ideas."""
    query = (
        select(Comment.author_id, func.count())
        .outerjoin(Design, col(Design.id) == Comment.design_id)
        .outerjoin(Challenge, col(Challenge.id) == Design.challenge_id)
        .outerjoin(Idea, col(Idea.id) == Comment.idea_id)
        .where(or_(col(Challenge.community_id) == community_id, col(Idea.community_id) == community_id))
        .where(col(Comment.deleted_at).is_(None), col(Comment.author_id).in_(author_ids))
        .group_by(col(Comment.author_id))
    )
    return Counter(dict(session.exec(query).all()))


def _set_comment_hidden(hidden: bool) -> Callable[[Session, int], None]:
    def apply(session: Session, comment_id: int) -> None:
        comment = session.get(Comment, comment_id)
        if comment is not None:
            comments_service.set_comment_hidden(session, comment=comment, hidden=hidden)

    return apply


SUBJECT_TYPES = (
    SubjectType(
        kind=SubjectKind.comment,
        label=N_("comment"),
        describe=_describe_comment,
        hide=_set_comment_hidden(True),
        restore=_set_comment_hidden(False),
        announce=lambda session, comment_id: comments_service.announce_comment(session, comment_id=comment_id),
        content=_comment_contents,
        count_posts=_count_comments,
    ),
)
