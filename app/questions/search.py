"""Full-text search over questions, the ideas board's machinery (app/ideas/search.py) on another table.

What someone typed is cut into words by ``app.ideas.search.words_of`` and quoted the same way, so nothing typed
reaches the query syntax; ``match="all"`` serves the list's search box, ``match="any"`` the similar questions shown
while one types a new one.

- SQLite: the FTS5 table ``questions_fts`` (external content over ``questions``, kept in step by triggers; Porter
  stemming), ranked by ``bm25`` with a title match worth 4 body matches.
- PostgreSQL: ``questions.search_vector``, a stored generated tsvector (title weighted A, body B) with the GIN index
  ``ix_questions_search``, ranked by ``ts_rank_cd``.

Both are made in the Q&A migration (2026-12-07-0732_community_questions.py); neither is in the models' metadata, so
Alembic's comparison leaves them out (``is_search_object``, used with the ideas' one by migrations/env.py).
"""

from typing import Literal

from sqlalchemy import text
from sqlmodel import Session

from app.ideas.search import fts5_query, tsquery, words_of

SEARCH_TABLE = "questions_fts"
SEARCH_INDEX = "ix_questions_search"
SEARCH_COLUMN = "search_vector"


def is_search_table(name: str | None) -> bool:
    """FTS5's table and its shadow tables (``questions_fts_data``...), made by the migration outside the models."""
    return bool(name) and (name == SEARCH_TABLE or str(name).startswith(SEARCH_TABLE + "_"))


def is_search_object(name: str | None, type_: str) -> bool:
    """What the migration makes for search outside the models: for Alembic's ``include_name`` to leave out."""
    return (
        (type_ == "table" and is_search_table(name))
        or (type_ == "index" and name == SEARCH_INDEX)
        or (type_ == "column" and name == SEARCH_COLUMN)
    )


_SQLITE = text(
    "SELECT questions.id FROM questions_fts JOIN questions ON questions.id = questions_fts.rowid "
    "WHERE questions_fts MATCH :query AND questions.community_id = :community_id AND questions.hidden_at IS NULL "
    "ORDER BY bm25(questions_fts, 4.0, 1.0), questions.answer_count DESC, questions.id DESC LIMIT :limit"
)
_POSTGRESQL = text(
    "SELECT questions.id FROM questions, to_tsquery('english', :query) AS query "
    "WHERE questions.search_vector @@ query AND questions.community_id = :community_id "
    "AND questions.hidden_at IS NULL "
    "ORDER BY ts_rank_cd(questions.search_vector, query) DESC, questions.answer_count DESC, questions.id DESC "
    "LIMIT :limit"
)


def search_questions(
    session: Session, *, community_id: int, typed: str, match: Literal["all", "any"] = "all", limit: int = 20
) -> list[int]:
    """Ids of a community's shown questions matching what was typed, best first."""
    words = words_of(typed, match=match)
    if not words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        statement, query = _POSTGRESQL, tsquery(words, match=match)
    else:
        statement, query = _SQLITE, fts5_query(words, match=match)
    rows = session.execute(statement, {"query": query, "community_id": community_id, "limit": limit})
    return [row[0] for row in rows]
