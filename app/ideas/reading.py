"""Reading ideas: the board, similar ideas, the roadmap and the changelog, and how an idea is shown."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, literal
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.columns import id_of
from app.communities.models import Community
from app.i18n import N_
from app.ideas import search
from app.ideas.models import (
    Idea,
    IdeaCategory,
    IdeaStatus,
)
from app.ideas.rules import STATUS_LABELS
from app.ideas.votes import voted_ideas
from app.media import service as media_service
from app.media.models import MediaImage

BOARD_PAGE_SIZE = 20
SIMILAR_LIMIT = 5
SEARCH_LIMIT = 200
ROADMAP_PER_STATUS = 20
ROADMAP_STATUSES = (IdeaStatus.under_review, IdeaStatus.planned, IdeaStatus.in_progress, IdeaStatus.done)
BOARD_SORTS = ("top", "trending", "newest")
# A board filter beside the statuses: shown ideas still open with no official response, the brand's to answer
# (the brand home counts them with the same conditions, ``unanswered_conditions``).
UNANSWERED = "unanswered"
BOARD_FILTER_LABELS: dict[str, str] = {
    **{status.value: text for status, text in STATUS_LABELS.items()},
    UNANSWERED: N_("Waiting for an answer"),
}


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
