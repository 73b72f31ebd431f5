"""Many people answering one survey at once, from threads with sessions of their own (as separate requests): the
response count and every tally equal a recount of the stored answers. Committed data lives in a throw-away
database (a SQLite file or a PostgreSQL schema) that is dropped afterwards."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.accounts.models import User
from app.db import build_engine, migrate, session_scope, writer_engine
from app.errors import Conflict
from app.surveys import service as surveys_service
from app.surveys.models import Survey, SurveyResponse
from tests import databases
from tests.factories import make_user
from tests.surveys.factories import by_code, form, make_survey
from tests.surveys.test_service import _recount, _stored_tallies

THREADS = 8
EACH = 5


@pytest.fixture
def real_engine(tmp_path: Path) -> Iterator[Engine]:
    with databases.temporary_database(label="surveys", sqlite_dir=tmp_path) as url:
        migrate(url)
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _run(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_racing_responses_keep_the_count_and_tallies_exact(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        survey = make_survey(session, template=True)
        survey_id = survey.id

    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def answer(number: int) -> None:
        try:
            barrier.wait()
            for round_ in range(EACH):
                with Session(writer_engine(real_engine), expire_on_commit=False) as session:
                    target = session.get(Survey, survey_id)
                    assert target is not None
                    found = by_code(surveys_service.list_questions(session, survey=target))
                    values = form(
                        (found["overall"], str(1 + (number + round_) % 5)),
                        (found["outcome"], "keep" if number % 2 else "scrap"),
                        (found["pay"], str(number + round_)),
                        (found["recommend_intent"], str((number * round_) % 11)),
                        (found["recommended"], "yes"),
                        (found["recommended_count"], str(number + 1)),
                    )
                    surveys_service.record_response(session, survey=target, form=values)
                    session.commit()
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    _run([threading.Thread(target=answer, args=(number,)) for number in range(THREADS)])
    assert errors == []

    with Session(real_engine) as session:
        stored = session.get(Survey, survey_id)
        assert stored is not None and stored.response_count == THREADS * EACH
        responses = session.exec(select(func.count()).select_from(SurveyResponse)).one()
        assert responses == THREADS * EACH
        tallies, recount = _stored_tallies(session, survey_id), _recount(session, survey_id)  # type: ignore[arg-type]
        assert tallies.keys() == recount.keys()
        for key, (count, total) in recount.items():
            assert tallies[key][0] == count
            assert tallies[key][1] == pytest.approx(total)


def test_one_person_racing_themselves_leaves_one_response(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        survey = make_survey(session, template=True)
        person = make_user(session)
        survey_id, person_id = survey.id, person.id

    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    refused: list[Conflict] = []

    def answer(number: int) -> None:
        try:
            with Session(writer_engine(real_engine), expire_on_commit=False) as session:
                barrier.wait()
                target, user = session.get(Survey, survey_id), session.get(User, person_id)
                assert target is not None and user is not None
                found = by_code(surveys_service.list_questions(session, survey=target))
                values = form(
                    (found["overall"], "3"),
                    (found["outcome"], "keep"),
                    (found["recommend_intent"], str(number)),
                    (found["recommended"], "no"),
                )
                try:
                    surveys_service.record_response(session, survey=target, form=values, user=user)
                except Conflict as conflict:
                    refused.append(conflict)
                    session.rollback()
                    return
                session.commit()
        except BaseException as error:
            errors.append(error)

    _run([threading.Thread(target=answer, args=(number,)) for number in range(THREADS)])
    assert errors == []
    assert len(refused) == THREADS - 1
    with Session(real_engine) as session:
        stored = session.get(Survey, survey_id)
        assert stored is not None and stored.response_count == 1
        tallies, recount = _stored_tallies(session, survey_id), _recount(session, survey_id)  # type: ignore[arg-type]
        assert tallies == recount
