"""Full-text search over ideas, on whichever database the run uses (SQLite FTS5 or PostgreSQL tsvector): the
same interface and the same answers on both."""

from typing import Literal

import pytest
from sqlmodel import Session

from app.columns import utcnow
from app.ideas import managing as ideas_managing
from app.ideas import reading as ideas_reading
from app.ideas import search
from tests.factories import make_community, make_user
from tests.ideas.factories import make_idea


def test_words_are_cut_from_what_was_typed() -> None:
    assert search.words_of('Refill "pouches" OR NEAR(soap*) & -bottle:* ') == [
        "refill",
        "pouches",
        "or",
        "near",
        "soap",
        "bottle",
    ]
    assert search.words_of("the refill for the soap", match="any") == ["refill", "soap"]
    assert search.fts5_query(["refill", "soa"], match="all") == '"refill" AND "soa"*'
    assert search.tsquery(["refill", "soa"], match="any") == "refill | soa:*"


def test_search_finds_stems_and_prefixes_and_ranks_titles_first(session: Session) -> None:
    community = make_community(session)
    in_title = make_idea(session, community, title="Refillable bottles for dish soap")
    in_description = make_idea(session, community, title="Less plastic", description="Offer refill pouches at stores.")
    make_idea(session, community, title="A lavender scent", description="For the floor cleaner.")
    make_idea(session, make_community(session), title="Refill elsewhere")

    def found(typed: str, match: Literal["all", "any"] = "all") -> list[int]:
        return search.search_ideas(session, community_id=community.id or 0, typed=typed, match=match)

    assert found("refill") == [in_title.id, in_description.id]  # "refill" stems both; the title weighs more
    assert found("bottle") == [in_title.id]  # plural stemmed
    assert found("lav") == [found("lavender")[0]]  # a prefix while typing
    assert found("refill lavender") == []  # all words
    assert set(found("refill lavender", "any")) == {in_title.id, in_description.id, found("lavender")[0]}
    assert found("") == [] and found("!!! ***") == []


@pytest.mark.parametrize(
    "typed",
    [
        '"',
        "'",
        "refill\"'",
        "NEAR(a b)",
        "a AND OR NOT",
        "col:refill",
        "title:pouch refill",
        "a & | ! ( ) : * < >",
        "^refill",
        "-refill",
        "é",
    ],
)
def test_any_input_is_safe(session: Session, typed: str) -> None:
    community = make_community(session)
    idea = make_idea(session, community, title="Refill pouches")
    every = search.search_ideas(session, community_id=community.id or 0, typed=typed, match="all")
    some = search.search_ideas(session, community_id=community.id or 0, typed=typed, match="any")
    # Operators and quotes are never syntax: only the words count.
    assert every == ([idea.id] if search.words_of(typed) == ["refill"] else [])
    assert some == ([idea.id] if "refill" in search.words_of(typed, match="any") else [])


def test_the_index_follows_edits_hiding_and_merges(session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community, title="Refill pouches")
    original = make_idea(session, community, title="Compostable sponges")
    idea.title = "Bamboo brushes"
    session.add(idea)
    session.flush()
    assert search.search_ideas(session, community_id=community.id or 0, typed="refill") == []
    assert search.search_ideas(session, community_id=community.id or 0, typed="bamboo") == [idea.id]
    idea.hidden_at = utcnow()
    session.flush()
    assert search.search_ideas(session, community_id=community.id or 0, typed="bamboo") == []
    idea.hidden_at = None
    session.flush()
    ideas_managing.merge(session, duplicate=idea, original=original, actor=make_user(session))
    assert search.search_ideas(session, community_id=community.id or 0, typed="bamboo") == []
    session.delete(original)
    session.flush()
    assert search.search_ideas(session, community_id=community.id or 0, typed="compostable") == []


def test_similar_ideas_and_the_board_search(session: Session) -> None:
    community = make_community(session)
    soap = make_idea(session, community, title="Refillable dish soap bottles")
    pouch = make_idea(session, community, title="Soap refill pouches")
    make_idea(session, community, title="A lavender floor cleaner")
    similar = ideas_reading.similar_ideas(session, community=community, typed="Refill for the soap")
    assert {row.idea.id for row in similar} == {soap.id, pouch.id}
    board = ideas_reading.list_board(session, community=community, typed="soap refil")
    assert {row.idea.id for row in board.rows} == {soap.id, pouch.id}
