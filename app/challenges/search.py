"""Finding designs: full-text search over their title, description, tags and designer's name, with filters
(challenge, phase, tag, winners only) and orders (relevance, newest, top scored), in one community or across every
community the viewer may see.

The machinery is the ideas board's (app/ideas/search.py: what was typed is cut into plain words, each quoted, the
last one a prefix, all required):
- SQLite: the FTS5 table ``designs_fts`` (rowid = the design's id; its own copy of the text, since the designer's
  name lives in ``users``), ranked by ``bm25`` with a title match worth 4 description matches and a tag or
  designer match worth 2;
- PostgreSQL: ``designs.search_vector`` (title A, tags and designer B, description C) with the GIN index
  ``ix_designs_search``, ranked by ``ts_rank_cd``.
Both are made and kept in step by triggers in the migration 2026-12-07-0730_designer_follows.py; neither is in the
models' metadata, so Alembic's comparison leaves them out (``is_search_object``).

Only shown designs are found (submitted: never hidden or withdrawn) in published challenges, and a score order
uses scores only where they are public (after scoring closes), so a search never leaks what a gallery hides.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, and_, case, false, literal, text
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges.gallery import visible_community_ids
from app.challenges.models import Challenge, ChallengeStatus, Design, DesignStatus, Phase
from app.challenges.phases import phase
from app.challenges.service import normalise_tags
from app.columns import id_of, utcnow
from app.communities.models import Community, Visibility
from app.ideas.search import fts5_query, tsquery, words_of

SEARCH_TABLE = "designs_fts"
SEARCH_INDEX = "ix_designs_search"
SEARCH_COLUMN = "search_vector"
PAGE_SIZE = 24
SORTS = ("relevance", "newest", "top")
# The phases a search may filter by: drafts are never found.
PHASES = (Phase.upcoming, Phase.submissions_open, Phase.scoring, Phase.closed, Phase.winners_announced)


def is_search_table(name: str | None) -> bool:
    """FTS5's table and its shadow tables (``designs_fts_data``...), which the migration makes outside the models."""
    return bool(name) and (name == SEARCH_TABLE or str(name).startswith(SEARCH_TABLE + "_"))


def is_search_object(name: str | None, type_: str) -> bool:
    """What the migration makes for design search outside the models: for Alembic's ``include_name`` to leave out."""
    return (
        (type_ == "table" and is_search_table(name))
        or (type_ == "index" and name == SEARCH_INDEX)
        or (type_ == "column" and name == SEARCH_COLUMN)
    )


# The matching designs' ids and a relevance where more is better (bm25 is better when lower: negated).
_SQLITE_MATCHES = text(
    "SELECT rowid AS id, -bm25(designs_fts, 4.0, 1.0, 2.0, 2.0) AS relevance FROM designs_fts "
    "WHERE designs_fts MATCH :query"
).columns(id=Integer, relevance=Float)
_POSTGRESQL_MATCHES = text(
    "SELECT designs.id AS id, ts_rank_cd(designs.search_vector, query) AS relevance "
    "FROM designs, to_tsquery('english', :query) AS query WHERE designs.search_vector @@ query"
).columns(id=Integer, relevance=Float)


@dataclass(frozen=True)
class DesignSearch:
    """What someone asked for: the words typed, the filters and the order, as typed (``normalised`` checks them)."""

    typed: str = ""
    challenge: str = ""  # a challenge's slug; only within a community
    phase: str = ""
    tag: str = ""
    winners_only: bool = False
    sort: str = ""
    page: int = 1

    def normalised(self) -> "DesignSearch":
        """Unknown values fall back to none (filters) or the default order: a search never fails on its filters."""
        typed = self.typed.strip()[:200]
        sort = self.sort if self.sort in SORTS else ("relevance" if words_of(typed) else "newest")
        if sort == "relevance" and not words_of(typed):
            sort = "newest"
        return DesignSearch(
            typed=typed,
            # PostgreSQL refuses NUL in text, so one typed in the address could only end in an error.
            challenge=self.challenge.replace("\x00", "").strip()[:60],
            phase=self.phase if self.phase in {str(value) for value in PHASES} else "",
            tag=normalise_tags(self.tag).split(",")[0],
            winners_only=self.winners_only,
            sort=sort,
            page=max(self.page, 1),
        )


@dataclass(frozen=True)
class FoundDesign:
    design: Design
    designer: User
    challenge: Challenge
    community: Community
    phase: Phase

    @property
    def is_announced_winner(self) -> bool:
        return self.design.is_winner and self.phase == Phase.winners_announced


@dataclass(frozen=True)
class DesignResults:
    search: DesignSearch
    found: Sequence[FoundDesign]
    has_more: bool
    community: Community | None = None

    @property
    def page(self) -> int:
        return self.search.page


def _phase_condition(wanted: str, now: datetime) -> Any:
    published = col(Challenge.status) == ChallengeStatus.published
    conditions = {
        Phase.winners_announced: col(Challenge.status) == ChallengeStatus.winners_announced,
        Phase.upcoming: and_(published, col(Challenge.submissions_open_at) > now),
        Phase.submissions_open: and_(
            published, col(Challenge.submissions_open_at) <= now, col(Challenge.submissions_close_at) > now
        ),
        Phase.scoring: and_(
            published, col(Challenge.submissions_close_at) <= now, col(Challenge.scoring_close_at) > now
        ),
        Phase.closed: and_(published, col(Challenge.scoring_close_at) <= now),
    }
    return conditions[Phase(wanted)]


def _scores_public(now: datetime) -> Any:
    """Where scores may be shown (and ordered by): the same rule as ``service.scores_are_public``."""
    return (col(Challenge.status) == ChallengeStatus.winners_announced) | (
        (col(Challenge.status) == ChallengeStatus.published) & (col(Challenge.scoring_close_at) <= now)
    )


def _scope(session: Session, *, viewer: User | None, community: Community | None) -> Any:
    if community is not None:
        return Challenge.community_id == community.id
    visible = visible_community_ids(session, viewer=viewer)
    if visible is None:  # site administrators see every community
        return literal(True)
    public = col(Community.visibility) == Visibility.public
    return public | col(Community.id).in_(visible) if visible else public


def find_designs(
    session: Session,
    *,
    search: DesignSearch,
    viewer: User | None,
    community: Community | None = None,
    now: datetime | None = None,
) -> DesignResults:
    """A page of shown designs matching a search, in one community (whose visibility the caller checked) or across
    the public communities and the invite-only ones the viewer belongs to (or works for)."""
    now = now or utcnow()
    search = search.normalised()
    query = (
        select(Design.id)
        .join(Challenge, col(Challenge.id) == Design.challenge_id)
        .join(Community, col(Community.id) == Challenge.community_id)
        .where(
            Design.status == DesignStatus.submitted,
            Challenge.status != ChallengeStatus.draft,
            _scope(session, viewer=viewer, community=community),
        )
    )
    words = words_of(search.typed)
    relevance: Any = None
    if words:
        if session.get_bind().dialect.name == "postgresql":
            matches = _POSTGRESQL_MATCHES.bindparams(query=tsquery(words, match="all")).subquery("matches")
        else:
            matches = _SQLITE_MATCHES.bindparams(query=fts5_query(words, match="all")).subquery("matches")
        query = query.join(matches, matches.c.id == Design.id)
        relevance = matches.c.relevance
    if search.challenge:
        query = query.where(Challenge.slug == search.challenge) if community is not None else query.where(false())
    if search.phase:
        query = query.where(_phase_condition(search.phase, now))
    if search.tag:
        query = query.where((literal(",") + col(Design.tags) + literal(",")).contains(f",{search.tag},"))
    if search.winners_only:
        query = query.where(col(Design.won_at).is_not(None), Challenge.status == ChallengeStatus.winners_announced)
    newest: list[Any] = [col(Design.created_at).desc(), col(Design.id).desc()]
    if search.sort == "relevance" and relevance is not None:
        query = query.order_by(relevance.desc(), *newest)
    elif search.sort == "top":
        public_score = case((_scores_public(now), col(Design.bayesian_score)), else_=None)
        query = query.order_by(public_score.desc().nulls_last(), col(Design.score_count).desc(), *newest)
    else:
        query = query.order_by(*newest)
    ids = session.exec(query.offset((search.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    rows = session.exec(
        select(Design, User, Challenge, Community)
        .join(User, col(User.id) == Design.designer_id)
        .join(Challenge, col(Challenge.id) == Design.challenge_id)
        .join(Community, col(Community.id) == Challenge.community_id)
        .where(col(Design.id).in_(ids[:PAGE_SIZE]))
    ).all()
    loaded = {
        id_of(design): FoundDesign(
            design=design, designer=designer, challenge=challenge, community=place, phase=phase(challenge, now)
        )
        for design, designer, challenge, place in rows
    }
    return DesignResults(
        search=search,
        found=[loaded[design_id] for design_id in ids[:PAGE_SIZE] if design_id in loaded],
        has_more=len(ids) > PAGE_SIZE,
        community=community,
    )


def list_community_challenges(session: Session, *, community: Community) -> Sequence[Challenge]:
    """The community's published challenges, newest first, for the search's challenge filter."""
    return session.exec(
        select(Challenge)
        .where(Challenge.community_id == community.id, Challenge.status != ChallengeStatus.draft)
        .order_by(col(Challenge.submissions_open_at).desc(), col(Challenge.id).desc())
    ).all()
