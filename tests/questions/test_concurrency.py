"""Votes and acceptances from several threads at once, on a real engine with separate sessions (as separate requests
would be): one vote per member, one accepted answer per question, and points held exactly by the accepted answer's
author. Committed data lives in a throw-away database (a SQLite file or a PostgreSQL schema) dropped afterwards."""

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.db import build_engine, migrate, session_scope, writer_engine
from app.questions import accepting
from app.questions import votes as questions_votes
from app.questions.models import AnswerVote, CommunityAnswer
from app.rewards import points as points_service
from tests import databases
from tests.factories import make_brand, make_community
from tests.ideas.factories import make_member
from tests.questions.factories import make_answer, make_question

THREADS = 6


@pytest.fixture
def real_engine(tmp_path: Path) -> Iterator[Engine]:
    with databases.temporary_database(label="questions", sqlite_dir=tmp_path) as url:
        migrate(url)
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


def _vote(answer_id: int, voter_id: int) -> Callable[[Session], None]:
    def piece(session: Session) -> None:
        answer, voter = session.get(CommunityAnswer, answer_id), session.get(User, voter_id)
        assert answer is not None and voter is not None
        questions_votes.vote(session, answer=answer, voter=voter)

    return piece


def _votes(engine: Engine, answer_id: int) -> tuple[int, int]:
    with Session(engine) as session:
        answer = session.get(CommunityAnswer, answer_id)
        assert answer is not None
        rows = session.exec(select(func.count()).select_from(AnswerVote).where(AnswerVote.answer_id == answer_id)).one()
        return answer.vote_count, rows


def test_votes_count_once_per_member_and_all_members_count(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        community = make_community(session)
        answer_id = make_answer(session, make_question(session, community)).id or 0
        voter_ids = [make_member(session, community).id or 0 for _ in range(THREADS)]
    _race(real_engine, [_vote(answer_id, voter_ids[0]) for _ in range(THREADS)])
    assert _votes(real_engine, answer_id) == (1, 1)
    _race(real_engine, [_vote(answer_id, voter_id) for voter_id in voter_ids[1:]])
    assert _votes(real_engine, answer_id) == (THREADS, THREADS)


def test_accepting_different_answers_at_once_leaves_one_accepted_and_its_points(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        brand = make_brand(session)
        community = make_community(session, brand)
        points_service.set_points_rule(session, brand=brand, action="answer_accepted", points="10", daily_cap="50")
        asker = make_member(session, community)
        question = make_question(session, community, asker)
        authors = [make_member(session, community) for _ in range(THREADS)]
        answer_ids = [make_answer(session, question, author).id or 0 for author in authors]
        asker_id, brand_id, author_ids = asker.id or 0, brand.id or 0, [author.id or 0 for author in authors]

    def accept(answer_id: int) -> Callable[[Session], None]:
        def piece(session: Session) -> None:
            answer, actor = session.get(CommunityAnswer, answer_id), session.get(User, asker_id)
            assert answer is not None and actor is not None
            accepting.accept(session, answer=answer, actor=actor)

        return piece

    _race(real_engine, [accept(answer_id) for answer_id in answer_ids] + [accept(answer_ids[0])])
    with Session(real_engine) as session:
        accepted = session.exec(select(CommunityAnswer).where(col(CommunityAnswer.accepted_at).is_not(None))).all()
        assert len(accepted) == 1
        balances = {
            author_id: points_service.points_balance(session, user=session.get_one(User, author_id), brand_id=brand_id)
            for author_id in author_ids
        }
        assert balances[accepted[0].author_id or 0] == 10
        assert sum(balances.values()) == 10
