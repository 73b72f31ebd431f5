"""One member scoring one design from several threads at once, on a real engine with separate sessions (as
separate requests would be): exactly one score remains and the counters agree with it. Committed data lives in
a throw-away database (a SQLite file or a PostgreSQL schema) that is dropped afterwards."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.accounts.models import User
from app.challenges import scores as challenge_scores
from app.challenges.models import Challenge, Design, Score
from app.db import build_engine, session_scope, writer_engine
from tests import databases
from tests.factories import add_member, make_challenge, make_community, make_design, make_user

THREADS = 8


@pytest.fixture
def real_engine(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with databases.migrated_database(tmp_path_factory, label="scores", sqlite_dir=tmp_path) as url:
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def test_racing_scores_by_one_member_leave_one_score_and_right_counters(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        community = make_community(session)
        challenge = make_challenge(session, community, phase="scoring")
        design = make_design(session, challenge)
        voter = make_user(session)
        add_member(session, community, voter)
        ids = (challenge.id, design.id, voter.id)

    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def cast(number: int) -> None:
        try:
            # Requests that write open their transaction on the writer engine (BEGIN IMMEDIATE on SQLite).
            with Session(writer_engine(real_engine), expire_on_commit=False) as session:
                barrier.wait()
                target = session.get(Design, ids[1])
                person = session.get(User, ids[2])
                assert target is not None and person is not None
                challenge_scores.cast_score(
                    session, voter=person, design=target, value=number % 6, would_buy=number % 2 == 0
                )
                session.commit()
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=cast, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    with Session(real_engine) as session:
        scores = session.exec(select(Score).where(Score.design_id == ids[1])).all()
        assert len(scores) == 1
        (score,) = scores
        design_row = session.get(Design, ids[1])
        challenge_row = session.get(Challenge, ids[0])
        assert design_row is not None and challenge_row is not None
        assert (design_row.score_count, design_row.score_sum, design_row.buy_count) == (
            1,
            score.value,
            int(score.would_buy),
        )
        assert (challenge_row.score_count, challenge_row.score_sum) == (1, score.value)
        assert session.exec(select(func.count()).select_from(Score)).one() == 1


@pytest.mark.parametrize("shards", [challenge_scores.SCORE_SHARDS, 1], ids=["own shards", "one shard"])
def test_racing_scores_by_many_members_add_up(
    real_engine: Engine, shards: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With one shard, every voter's first score races to create, then to add to, the same shard row.
    monkeypatch.setattr(challenge_scores, "SCORE_SHARDS", shards)
    with session_scope(real_engine) as session:
        community = make_community(session)
        challenge = make_challenge(session, community, phase="scoring")
        design = make_design(session, challenge)
        voters = [make_user(session) for _ in range(THREADS)]
        for voter in voters:
            add_member(session, community, voter)
        design_id, challenge_id, voter_ids = design.id, challenge.id, [voter.id for voter in voters]

    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def cast(voter_id: int | None) -> None:
        try:
            with Session(writer_engine(real_engine), expire_on_commit=False) as session:
                barrier.wait()
                target, person = session.get(Design, design_id), session.get(User, voter_id)
                assert target is not None and person is not None
                challenge_scores.cast_score(session, voter=person, design=target, value=3, would_buy=True)
                session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=cast, args=(voter_id,)) for voter_id in voter_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(real_engine) as session:
        design_row, challenge_row = session.get(Design, design_id), session.get(Challenge, challenge_id)
        assert design_row is not None and challenge_row is not None
        expected = (THREADS, 3 * THREADS, THREADS)
        assert (design_row.score_count, design_row.score_sum, design_row.buy_count) == expected
        assert (challenge_row.score_count, challenge_row.score_sum) == (THREADS, 3 * THREADS)
