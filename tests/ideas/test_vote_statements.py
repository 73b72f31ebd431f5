"""The vote is a hot path: it locks and reads the idea in one statement (no reload of the whole row), claims the vote
and the follow, and moves every counter in one UPDATE. Counted statements, not timings, so the machine's load does
not matter."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import Session

from app.ideas import votes as ideas_votes
from tests.factories import make_community
from tests.ideas.factories import make_idea, make_member


@contextmanager
def statements_on_idea_tables(session: Session) -> Iterator[list[str]]:
    """The SQL sent while the block runs that touches the ideas, their votes or their follows."""
    sent: list[str] = []
    engine = session.get_bind()

    def record(_connection: object, _cursor: object, statement: str, *_args: object) -> None:
        if " ideas" in statement or "idea_votes" in statement or "idea_follows" in statement:
            sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_vote_locks_claims_and_counts_in_four_statements(session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community)
    voter = make_member(session, community)
    with statements_on_idea_tables(session) as sent:
        assert ideas_votes.vote(session, idea=idea, voter=voter)
    assert [statement.split()[0] for statement in sent] == ["SELECT", "INSERT", "INSERT", "UPDATE"]
    assert "FROM ideas" in sent[0] and "ideas.title" not in sent[0]
    assert (idea.vote_count, idea.follower_count) == (1, 1)


def test_taking_a_vote_back_is_three_statements(session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community)
    voter = make_member(session, community)
    ideas_votes.vote(session, idea=idea, voter=voter)
    with statements_on_idea_tables(session) as sent:
        assert ideas_votes.unvote(session, idea=idea, voter=voter)
    assert [statement.split()[0] for statement in sent] == ["SELECT", "DELETE", "UPDATE"]
    assert (idea.vote_count, idea.follower_count, idea.trending_score) == (0, 1, 0.0)
