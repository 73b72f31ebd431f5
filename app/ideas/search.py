"""Full-text search over ideas, behind one interface: SQLite FTS5 or PostgreSQL's tsvector, ranked, prefix-matching.

``search_ideas`` takes what someone typed and returns idea ids, best match first. What they typed never reaches the
query syntax: it is cut into words (letters and digits only), each word quoted, the last one matched as a prefix
(so "recycl" finds "recyclable" while typing). ``match="all"`` wants every word (the board's search box),
``match="any"`` any of them, ranked by how many and how rare (similar-idea suggestions).

- SQLite: the FTS5 table ``ideas_fts`` (external content over ``ideas``, kept in step by triggers; Porter stemming),
  ranked by ``bm25`` with a title match worth 4 description matches.
- PostgreSQL: ``to_tsquery('english', ...)`` over ``ideas.search_vector``, a stored generated tsvector (title
  weighted A, description B) with the GIN index ``ix_ideas_search``, ranked by ``ts_rank_cd``. Stored rather than an
  expression index, so ranking reads the vector instead of computing it again for every match.

Both are made in the ideas migration (2026-11-23-1203_ideas.py); neither is in the models' metadata, so Alembic's
comparison leaves them out (``is_search_object``).
"""

import re
from typing import Literal

from sqlalchemy import text
from sqlmodel import Session

SEARCH_TABLE = "ideas_fts"
SEARCH_INDEX = "ix_ideas_search"
SEARCH_COLUMN = "search_vector"
MAX_WORDS = 12
# Words that would match nearly every idea: left out of "any" queries (both databases stem, so these suffice).
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "for",
        "from",
        "has",
        "have",
        "i",
        "in",
        "is",
        "it",
        "its",
        "make",
        "me",
        "my",
        "of",
        "on",
        "or",
        "please",
        "should",
        "so",
        "that",
        "the",
        "their",
        "there",
        "this",
        "to",
        "too",
        "us",
        "was",
        "we",
        "when",
        "where",
        "which",
        "will",
        "with",
        "would",
        "you",
        "your",
        "",
    }
)
_WORD = re.compile(r"[^\W_]+")


def is_search_table(name: str | None) -> bool:
    """FTS5's table and its shadow tables (``ideas_fts_data``...), which the migration makes outside the models."""
    return bool(name) and (name == SEARCH_TABLE or str(name).startswith(SEARCH_TABLE + "_"))


def is_search_object(name: str | None, type_: str) -> bool:
    """What the migration makes for search outside the models: for Alembic's ``include_name`` to leave out."""
    return (
        (type_ == "table" and is_search_table(name))
        or (type_ == "index" and name == SEARCH_INDEX)
        or (type_ == "column" and name == SEARCH_COLUMN)
    )


def words_of(typed: str, *, match: Literal["all", "any"] = "all") -> list[str]:
    """The words of what someone typed, lower-cased, in order, without repeats (and without stop words for "any")."""
    words: list[str] = []
    for word in _WORD.findall(typed.lower()):
        if word not in words and not (match == "any" and word in STOP_WORDS):
            words.append(word)
    return words[:MAX_WORDS]


def fts5_query(words: list[str], *, match: Literal["all", "any"]) -> str:
    """An FTS5 MATCH expression: every word a quoted string (no operators survive), the last one a prefix."""
    terms = [f'"{word}"' for word in words]
    terms[-1] += "*"
    return (" AND " if match == "all" else " OR ").join(terms)


def tsquery(words: list[str], *, match: Literal["all", "any"]) -> str:
    """A to_tsquery expression from plain words (letters and digits only), the last one a prefix."""
    terms = list(words)
    terms[-1] += ":*"
    return (" & " if match == "all" else " | ").join(terms)


_SQLITE = text(
    "SELECT ideas.id FROM ideas_fts JOIN ideas ON ideas.id = ideas_fts.rowid "
    "WHERE ideas_fts MATCH :query AND ideas.community_id = :community_id "
    "AND ideas.merged_into_id IS NULL AND ideas.hidden_at IS NULL "
    "ORDER BY bm25(ideas_fts, 4.0, 1.0), ideas.vote_count DESC, ideas.id DESC LIMIT :limit"
)
_POSTGRESQL = text(
    "SELECT ideas.id FROM ideas, to_tsquery('english', :query) AS query "
    "WHERE ideas.search_vector @@ query AND ideas.community_id = :community_id "
    "AND ideas.merged_into_id IS NULL AND ideas.hidden_at IS NULL "
    "ORDER BY ts_rank_cd(ideas.search_vector, query) DESC, ideas.vote_count DESC, ideas.id DESC LIMIT :limit"
)


def search_ideas(
    session: Session, *, community_id: int, typed: str, match: Literal["all", "any"] = "all", limit: int = 20
) -> list[int]:
    """Ids of a community's shown ideas (not merged, not hidden) matching what was typed, best first."""
    words = words_of(typed, match=match)
    if not words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        statement, query = _POSTGRESQL, tsquery(words, match=match)
    else:
        statement, query = _SQLITE, fts5_query(words, match=match)
    rows = session.execute(statement, {"query": query, "community_id": community_id, "limit": limit})
    return [row[0] for row in rows]
