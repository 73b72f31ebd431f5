"""Full-text search over questions, on whichever database the run uses (SQLite FTS5 or PostgreSQL tsvector): the
same interface and the same answers on both, and an index that follows every change."""

import pytest
from sqlmodel import Session

from app.columns import utcnow
from app.questions import reading, search
from tests.factories import make_community
from tests.questions.factories import make_answer, make_question


def test_search_finds_stems_and_prefixes_and_ranks_titles_first(session: Session) -> None:
    community = make_community(session)
    in_title = make_question(session, community, title="Are the refills recyclable?")
    in_body = make_question(session, community, title="Where do I buy it?", body="Looking for refills near me")
    make_question(session, community, title="Is the lavender scent strong?")
    elsewhere = make_question(session, make_community(session), title="Refills?")

    def found(typed: str) -> list[int]:
        return search.search_questions(session, community_id=community.id or 0, typed=typed)

    assert found("refill") == [in_title.id, in_body.id]  # a stem, the title match first
    assert found("recycl") == [in_title.id]  # a prefix while typing
    assert found("refill lavender") == []  # every word
    assert elsewhere.id not in found("refills")


@pytest.mark.parametrize("typed", ['"refill', "refill*", "refill OR spray", "refill AND (", "NEAR(refill)", "^refill"])
def test_any_input_is_safe(session: Session, typed: str) -> None:
    community = make_community(session)
    question = make_question(session, community, title="Refill pouches?")
    assert search.search_questions(session, community_id=community.id or 0, typed=typed, match="any") == [question.id]


def test_the_index_follows_edits_hiding_and_deletes(session: Session) -> None:
    community = make_community(session)
    question = make_question(session, community, title="Refill pouches?")
    question.title = "Bamboo brushes?"
    session.add(question)
    session.flush()
    assert search.search_questions(session, community_id=community.id or 0, typed="refill") == []
    assert search.search_questions(session, community_id=community.id or 0, typed="bamboo") == [question.id]
    question.hidden_at = utcnow()
    session.flush()
    assert search.search_questions(session, community_id=community.id or 0, typed="bamboo") == []
    question.hidden_at = None
    session.flush()
    session.delete(question)
    session.flush()
    assert search.search_questions(session, community_id=community.id or 0, typed="bamboo") == []


def test_similar_questions_and_the_list_search(session: Session) -> None:
    community = make_community(session)
    bottle = make_question(session, community, title="Can I refill the dish soap bottle?")
    pouch = make_question(session, community, title="How big is a soap refill pouch?")
    make_answer(session, pouch)
    make_question(session, community, title="Does the floor cleaner smell of lavender?")
    similar = reading.similar_questions(session, community=community, typed="Refill for the soap")
    assert {row.question.id for row in similar} == {bottle.id, pouch.id}
    listing = reading.list_questions(session, community=community, typed="soap refil")
    assert {row.question.id for row in listing.rows} == {bottle.id, pouch.id}
    unanswered = reading.list_questions(session, community=community, typed="soap refil", unanswered=True)
    assert [row.question.id for row in unanswered.rows] == [bottle.id]
