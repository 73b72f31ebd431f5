"""Designs as moderation sees them: how to describe, load, count, hide and restore them (app.moderation.subjects)."""

from collections import Counter
from collections.abc import Callable, Collection

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.challenges import designs as challenge_designs
from app.challenges.models import Challenge, Design
from app.i18n import N_
from app.moderation.models import SubjectKind
from app.moderation.subjects import SubjectContent, SubjectInfo, SubjectType, excerpt


def _describe_design(session: Session, design_id: int, community_id: int) -> SubjectInfo | None:
    found = session.exec(
        select(Design, Challenge)
        .join(Challenge, Challenge.id == Design.challenge_id)  # type: ignore[arg-type]
        .where(Design.id == design_id, Challenge.community_id == community_id)
    ).first()
    if found is None:
        return None
    design, _challenge = found
    return SubjectInfo(
        community_id=community_id,
        author_id=design.designer_id,
        excerpt=excerpt(design.title, design.description),
        link=f"/designs/{design.id}",
        hidden=design.status == "hidden",
    )


def _design_contents(session: Session, design_ids: Collection[int]) -> dict[int, SubjectContent]:
    return {
        design.id or 0: SubjectContent(
            title=design.title, text=design.description, posted_at=design.created_at, design_id=design.id
        )
        for design in session.exec(select(Design).where(col(Design.id).in_(design_ids)))
    }


def _count_designs(session: Session, community_id: int, author_ids: Collection[int]) -> Counter[int]:
    """Designs (not withdrawn) each designer submitted in the community's challenges."""
    query = (
        select(Design.designer_id, func.count())
        .join(Challenge, col(Challenge.id) == Design.challenge_id)
        .where(Challenge.community_id == community_id, Design.status != "withdrawn")
        .where(col(Design.designer_id).in_(author_ids))
        .group_by(col(Design.designer_id))
    )
    return Counter(dict(session.exec(query).all()))


def _set_design_hidden(hidden: bool) -> Callable[[Session, int], None]:
    def apply(session: Session, design_id: int) -> None:
        design = challenge_designs.get_design(session, design_id=design_id)
        challenge_designs.set_design_hidden(session, design=design, hidden=hidden)

    return apply


SUBJECT_TYPES = (
    SubjectType(
        kind=SubjectKind.design,
        label=N_("design"),
        describe=_describe_design,
        hide=_set_design_hidden(True),
        restore=_set_design_hidden(False),
        content=_design_contents,
        count_posts=_count_designs,
    ),
)
