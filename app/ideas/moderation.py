"""Ideas as moderation sees them: how to describe, load, count, hide, restore and announce them
(app.moderation.subjects)."""

from collections import Counter
from collections.abc import Callable, Collection

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.ideas import managing as ideas_managing
from app.ideas import posting as ideas_posting
from app.ideas.models import Idea
from app.moderation.models import SubjectKind
from app.moderation.subjects import SubjectContent, SubjectInfo, SubjectType, excerpt


def _describe_idea(session: Session, idea_id: int, community_id: int) -> SubjectInfo | None:
    found = session.get(Idea, idea_id)
    if found is None or found.community_id != community_id:
        return None
    return SubjectInfo(
        community_id=community_id,
        author_id=found.author_id,
        excerpt=excerpt(found.title, found.description),
        link=f"/ideas/{found.id}",
        hidden=found.is_hidden,
    )


def _idea_contents(session: Session, idea_ids: Collection[int]) -> dict[int, SubjectContent]:
    return {
        idea.id or 0: SubjectContent(title=idea.title, text=idea.description, posted_at=idea.created_at)
        for idea in session.exec(select(Idea).where(col(Idea.id).in_(idea_ids)))
    }


def _count_ideas(session: Session, community_id: int, author_ids: Collection[int]) -> Counter[int]:
    """Ideas each author posted on the community's board."""
    query = (
        select(Idea.author_id, func.count())
        .where(Idea.community_id == community_id, col(Idea.author_id).in_(author_ids))
        .group_by(col(Idea.author_id))
    )
    return Counter({author_id: number for author_id, number in session.exec(query).all() if author_id is not None})


def _set_idea_hidden(hidden: bool) -> Callable[[Session, int], None]:
    def apply(session: Session, idea_id: int) -> None:
        idea = session.get(Idea, idea_id)
        if idea is not None:
            ideas_managing.set_hidden(session, idea=idea, hidden=hidden)

    return apply


SUBJECT_TYPES = (
    SubjectType(
        kind=SubjectKind.idea,
        label="idea",
        describe=_describe_idea,
        hide=_set_idea_hidden(True),
        restore=_set_idea_hidden(False),
        announce=lambda session, idea_id: ideas_posting.announce_idea(session, idea_id=idea_id),
        content=_idea_contents,
        count_posts=_count_ideas,
    ),
)
