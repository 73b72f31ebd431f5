"""Votes from several threads at once, on a real engine with separate sessions (as separate requests would be):
one vote per member whatever the timing, and counters that agree with the rows. Committed data lives in a
throw-away database (a SQLite file or a PostgreSQL schema) dropped afterwards."""

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.accounts.models import User
from app.db import build_engine, session_scope, writer_engine
from app.ideas import managing as ideas_managing
from app.ideas import votes as ideas_votes
from app.ideas.models import Idea, IdeaFollow, IdeaVote
from tests import databases
from tests.factories import make_community, make_user
from tests.ideas.factories import make_idea, make_member

THREADS = 8


@pytest.fixture
def real_engine(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with databases.migrated_database(tmp_path_factory, label="ideas", sqlite_dir=tmp_path) as url:
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _race(engine: Engine, work: list[Callable[[Session], None]]) -> None:
    """Run each piece of work in a thread of its own, all released at once, each in its own transaction."""
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(piece: Callable[[Session], None]) -> None:
        try:
            # Requests that write open their transaction on the writer engine (BEGIN IMMEDIATE on SQLite).
            with Session(writer_engine(engine), expire_on_commit=False) as session:
                barrier.wait()
                piece(session)
                session.commit()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(piece,)) for piece in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _counted(engine: Engine, idea_id: int) -> tuple[int, int, int, int]:
    """(stored vote counter, vote rows, stored follower counter, follow rows)."""
    with Session(engine) as session:
        idea = session.get(Idea, idea_id)
        assert idea is not None
        votes = session.exec(select(func.count()).select_from(IdeaVote).where(IdeaVote.idea_id == idea_id)).one()
        follows = session.exec(select(func.count()).select_from(IdeaFollow).where(IdeaFollow.idea_id == idea_id)).one()
        return idea.vote_count, votes, idea.follower_count, follows


def _vote(idea_id: int, voter_id: int, *, back: bool = False) -> Callable[[Session], None]:
    def piece(session: Session) -> None:
        idea, voter = session.get(Idea, idea_id), session.get(User, voter_id)
        assert idea is not None and voter is not None
        if back:
            ideas_votes.unvote(session, idea=idea, voter=voter)
        else:
            ideas_votes.vote(session, idea=idea, voter=voter)

    return piece


def test_one_member_voting_from_many_requests_counts_once(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        community = make_community(session)
        idea_id = make_idea(session, community).id or 0
        voter_id = make_member(session, community).id or 0
    _race(real_engine, [_vote(idea_id, voter_id) for _ in range(THREADS)])
    assert _counted(real_engine, idea_id) == (1, 1, 1, 1)


def test_many_members_voting_at_once_all_count(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        community = make_community(session)
        idea_id = make_idea(session, community).id or 0
        voter_ids = [make_member(session, community).id or 0 for _ in range(THREADS)]
    _race(real_engine, [_vote(idea_id, voter_id) for voter_id in voter_ids])
    assert _counted(real_engine, idea_id) == (THREADS, THREADS, THREADS, THREADS)


def test_votes_taken_back_while_others_vote_leave_matching_counters(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        community = make_community(session)
        idea = make_idea(session, community)
        voter_ids = [make_member(session, community).id or 0 for _ in range(THREADS)]
        for voter_id in voter_ids[: THREADS // 2]:
            voter = session.get(User, voter_id)
            assert voter is not None
            ideas_votes.vote(session, idea=idea, voter=voter)
        idea_id = idea.id or 0
    # The first half take their votes back (twice each), the second half vote.
    work = [_vote(idea_id, voter_id, back=True) for voter_id in voter_ids[: THREADS // 2] for _ in range(2)]
    work += [_vote(idea_id, voter_id) for voter_id in voter_ids[THREADS // 2 :]]
    _race(real_engine, work)
    stored, rows, _, _ = _counted(real_engine, idea_id)
    assert stored == rows == THREADS // 2


def test_a_merge_racing_votes_counts_everyone_once(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        community = make_community(session)
        original_id, duplicate_id = make_idea(session, community).id or 0, make_idea(session, community).id or 0
        voter_ids = [make_member(session, community).id or 0 for _ in range(THREADS)]
        manager_id = make_user(session).id or 0

    def merge(session: Session) -> None:
        duplicate, original = session.get(Idea, duplicate_id), session.get(Idea, original_id)
        manager = session.get(User, manager_id)
        assert duplicate is not None and original is not None and manager is not None
        ideas_managing.merge(session, duplicate=duplicate, original=original, actor=manager)

    # Everyone voted for the duplicate; now they vote for the original while it is being merged into it.
    with session_scope(real_engine) as session:
        for voter_id in voter_ids:
            voter, duplicate = session.get(User, voter_id), session.get(Idea, duplicate_id)
            assert voter is not None and duplicate is not None
            ideas_votes.vote(session, idea=duplicate, voter=voter)
    _race(real_engine, [merge, *[_vote(original_id, voter_id) for voter_id in voter_ids]])
    assert _counted(real_engine, original_id)[:2] == (THREADS, THREADS)
    assert _counted(real_engine, duplicate_id)[:2] == (0, 0)
