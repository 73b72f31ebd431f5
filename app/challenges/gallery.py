"""The gallery: a challenge's designs a page at a time, in the orders each phase allows, and a designer's
portfolio."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, literal
from sqlalchemy import cast as sql_cast
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.brands import service as brands_service
from app.challenges.models import (
    Challenge,
    ChallengeStatus,
    Design,
    DesignStatus,
    Phase,
    Score,
)
from app.challenges.phases import phase, scores_are_public
from app.challenges.scores import bayesian_average, bayesian_expression, challenge_mean
from app.challenges.service import normalise_tags
from app.columns import id_of, utcnow
from app.communities import service as communities_service
from app.communities.models import Community, Visibility

GALLERY_PAGE_SIZE = 24

# Gallery orders: "shuffled" during scoring (a stable order per member, so early designs get no advantage),
# "rank" only once scores are public, "newest" always.
GALLERY_SORTS = ("shuffled", "rank", "newest")


def rank_order(challenge: Challenge) -> list[Any]:
    buy_rate = func.coalesce(
        sql_cast(col(Design.buy_count), Float) / func.nullif(col(Design.score_count), 0), literal(0.0, Float)
    )
    return [
        bayesian_expression(challenge).desc(),
        buy_rate.desc(),
        col(Design.score_count).desc(),
        col(Design.id).asc(),
    ]


def shuffle_order(seed: int) -> Any:
    """A stable pseudo-random order per member: a small hash of (design id, member id), same on both databases."""
    prime = 1000003
    design_id = sql_cast(col(Design.id), BigInteger)
    left = (design_id * 7919 + seed) % prime
    right = (design_id * 104729 + seed * 31 + 17) % prime
    return (left * right) % prime


def unscored_condition(member: User) -> Any:
    """A WHERE clause on Design: the member may score it (not their own) and has not yet."""
    scored = select(Score.design_id).where(Score.voter_id == member.id)
    return (col(Design.designer_id) != member.id) & col(Design.id).not_in(scored)


@dataclass(frozen=True)
class GalleryPage:
    designs: Sequence[tuple[Design, User]]
    page: int
    has_more: bool
    sort: str
    tag: str
    unscored: bool = False


def gallery_sorts(challenge: Challenge, now: datetime) -> tuple[str, ...]:
    """The orders offered at this phase: never by rank while scores are hidden."""
    current = phase(challenge, now)
    if scores_are_public(challenge, now):
        return ("rank", "newest")
    if current == Phase.scoring:
        return ("shuffled", "newest")
    return ("newest",)


def list_gallery(
    session: Session,
    *,
    challenge: Challenge,
    viewer: User | None,
    tag: str = "",
    sort: str = "",
    page: int = 1,
    unscored: bool = False,
    now: datetime | None = None,
) -> GalleryPage:
    """One page of a challenge's designs, filtered by a tag (and, for a viewer, to those they may score and have
    not scored yet), in an order allowed at this phase."""
    now = now or utcnow()
    offered = gallery_sorts(challenge, now)
    sort = sort if sort in offered else offered[0]
    tag = normalise_tags(tag).split(",")[0]
    page = max(page, 1)
    # The page's ids first, sorted over the design rows alone; then those designs and their designers. Sorting
    # the join instead carried every designer row through the sort (about 3 times slower with 10,000 designs).
    query = select(Design.id).where(Design.challenge_id == challenge.id, Design.status == DesignStatus.submitted)
    if tag:
        query = query.where((literal(",") + col(Design.tags) + literal(",")).contains(f",{tag},"))
    unscored = unscored and viewer is not None
    if unscored and viewer is not None:
        query = query.where(unscored_condition(viewer))
    if sort == "rank":
        query = query.order_by(*rank_order(challenge))
    elif sort == "shuffled":
        query = query.order_by(shuffle_order(viewer.id or 0 if viewer else 0), col(Design.id))
    else:
        query = query.order_by(col(Design.created_at).desc(), col(Design.id).desc())
    ids = session.exec(query.offset((page - 1) * GALLERY_PAGE_SIZE).limit(GALLERY_PAGE_SIZE + 1)).all()
    loaded = {
        id_of(design): (design, designer)
        for design, designer in session.exec(
            select(Design, User).join(User, col(User.id) == Design.designer_id).where(col(Design.id).in_(ids))
        ).all()
    }
    rows = [loaded[design_id] for design_id in ids if design_id in loaded]
    return GalleryPage(
        designs=rows[:GALLERY_PAGE_SIZE],
        page=page,
        has_more=len(rows) > GALLERY_PAGE_SIZE,
        sort=sort,
        tag=tag,
        unscored=unscored,
    )


def list_challenge_tags(session: Session, *, challenge: Challenge) -> list[str]:
    """Every tag used in the challenge, for the gallery's filter."""
    # DISTINCT: the database folds the designs' tag lists into the few different ones, so a page with 10,000
    # designs fetches dozens of rows, not 10,000.
    rows = session.exec(
        select(Design.tags)
        .where(Design.challenge_id == challenge.id, Design.status == DesignStatus.submitted)
        .distinct()
    ).all()
    return sorted({tag for tags in rows for tag in tags.split(",") if tag})


@dataclass(frozen=True)
class PortfolioEntry:
    design: Design
    challenge: Challenge
    community: Community
    scores_public: bool
    bayesian: float | None


def visible_community_ids(session: Session, *, viewer: User | None) -> set[int] | None:
    """The invite-only communities a viewer may see (None: every one, for site admins)."""
    if viewer is None:
        return set()
    if viewer.is_site_admin:
        return None
    ids = {id_of(community) for _, community in communities_service.list_memberships(session, user=viewer)}
    for brand, _role in brands_service.list_staffed_brands(session, user=viewer):
        ids.update(id_of(community) for community in communities_service.list_brand_communities(session, brand=brand))
    return ids


def list_portfolio(
    session: Session, *, designer: User, viewer: User | None, now: datetime | None = None
) -> list[PortfolioEntry]:
    """A designer's designs in published challenges the viewer may see, with final scores once public."""
    now = now or utcnow()
    visible = visible_community_ids(session, viewer=viewer)
    rows = session.exec(
        select(Design, Challenge, Community)
        .join(Challenge, col(Challenge.id) == Design.challenge_id)
        .join(Community, col(Community.id) == Challenge.community_id)
        .where(
            Design.designer_id == designer.id,
            Design.status == DesignStatus.submitted,
            Challenge.status != ChallengeStatus.draft,
        )
        .order_by(col(Design.created_at).desc(), col(Design.id).desc())
    ).all()
    entries = []
    for design, challenge, community in rows:
        if community.visibility != Visibility.public and visible is not None and community.id not in visible:
            continue
        public = scores_are_public(challenge, now)
        bayesian = (
            bayesian_average(score_sum=design.score_sum, score_count=design.score_count, mean=challenge_mean(challenge))
            if public
            else None
        )
        entries.append(
            PortfolioEntry(
                design=design, challenge=challenge, community=community, scores_public=public, bayesian=bayesian
            )
        )
    return entries
