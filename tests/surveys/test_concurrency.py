"""Many people answering one survey at once, and moderators hiding and restoring responses, from threads with sessions
of their own (as separate requests): the response counts and every tally equal a recount of the answers shown.
Committed data lives in a throw-away database (a SQLite file or a PostgreSQL schema) that is dropped afterwards."""

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.db import build_engine, session_scope, writer_engine
from app.errors import Conflict
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import Survey, SurveyResponse
from tests import databases
from tests.factories import make_user
from tests.surveys.factories import by_code, form, make_survey
from tests.surveys.test_service import _recount, _stored_tallies

THREADS = 8
EACH = 5


@pytest.fixture
def real_engine(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with databases.migrated_database(tmp_path_factory, label="surveys", sqlite_dir=tmp_path) as url:
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
                    found = by_code(surveys_questions.list_questions(session, survey=target))
                    values = form(
                        (found["overall"], str(1 + (number + round_) % 5)),
                        (found["outcome"], "keep" if number % 2 else "scrap"),
                        (found["pay"], str(number + round_)),
                        (found["recommend_intent"], str((number * round_) % 11)),
                        (found["recommended"], "yes"),
                        (found["recommended_count"], str(number + 1)),
                    )
                    surveys_responses.record_response(session, survey=target, form=values)
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
                found = by_code(surveys_questions.list_questions(session, survey=target))
                values = form(
                    (found["overall"], "3"),
                    (found["outcome"], "keep"),
                    (found["recommend_intent"], str(number)),
                    (found["recommended"], "no"),
                )
                try:
                    surveys_responses.record_response(session, survey=target, form=values, user=user)
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


def _template_answers(session: Session, survey: Survey, number: int) -> dict[str, list[str]]:
    found = by_code(surveys_questions.list_questions(session, survey=survey))
    return form(
        (found["overall"], str(1 + number % 5)),
        (found["outcome"], "keep" if number % 2 else "scrap"),
        (found["pay"], f"{number}.5"),
        (found["recommend_intent"], str(number % 11)),
        (found["recommended"], "yes"),
        (found["recommended_count"], str(number + 1)),
        (found["comments"], f"Answer {number}"),
    )


def _assert_shown_tallies(session: Session, survey_id: int) -> Survey:
    stored = session.get(Survey, survey_id)
    assert stored is not None
    hidden = session.exec(
        select(func.count())
        .select_from(SurveyResponse)
        .where(SurveyResponse.survey_id == survey_id, col(SurveyResponse.hidden_at).is_not(None))
    ).one()
    assert stored.hidden_response_count == hidden
    tallies, recount = _stored_tallies(session, survey_id), _recount(session, survey_id)
    assert tallies.keys() == recount.keys()
    for key, (count, total) in recount.items():
        assert tallies[key][0] == count
        assert tallies[key][1] == pytest.approx(total)
    return stored


def test_racing_hides_restores_and_new_responses_keep_the_tallies_exact(real_engine: Engine) -> None:
    """Moderators hiding and restoring the same responses at once while people keep answering: each flip counts once,
    and the tallies equal a recount of the responses shown."""
    with session_scope(real_engine) as session:
        survey = make_survey(session, template=True)
        survey_id = survey.id or 0
        response_ids = [
            surveys_responses.record_response(session, survey=survey, form=_template_answers(session, survey, n)).id
            or 0
            for n in range(4)
        ]

    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    flips: list[tuple[int, bool]] = []

    def moderate(number: int) -> None:
        generator = random.Random(number)
        try:
            barrier.wait()
            for round_ in range(EACH):
                with Session(writer_engine(real_engine), expire_on_commit=False) as session:
                    if number % 4 == 0:  # someone answering
                        target = session.get(Survey, survey_id)
                        assert target is not None
                        values = _template_answers(session, target, number * EACH + round_)
                        surveys_responses.record_response(session, survey=target, form=values)
                    else:
                        response_id, hide = generator.choice(response_ids), generator.random() < 0.6
                        if surveys_responses.set_response_hidden(session, response_id=response_id, hidden=hide):
                            flips.append((response_id, hide))
                    session.commit()
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    _run([threading.Thread(target=moderate, args=(number,)) for number in range(THREADS)])
    assert errors == []
    with Session(real_engine) as session:
        stored = _assert_shown_tallies(session, survey_id)
        assert stored.response_count == 4 + (THREADS // 4) * EACH
        # The flips of each response alternate: nothing was hidden twice or shown twice.
        for response_id in response_ids:
            mine = [hide for flipped, hide in flips if flipped == response_id]
            assert mine == [index % 2 == 0 for index in range(len(mine))]
            response = session.get(SurveyResponse, response_id)
            assert response is not None and response.is_hidden == (len(mine) % 2 == 1)


def test_moderators_hiding_one_response_at_once_hide_it_once(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        survey = make_survey(session, template=True)
        survey_id = survey.id or 0
        response_id = (
            surveys_responses.record_response(session, survey=survey, form=_template_answers(session, survey, 3)).id
            or 0
        )
        surveys_responses.record_response(session, survey=survey, form=_template_answers(session, survey, 4))

    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    changed: list[bool] = []

    def hide() -> None:
        try:
            with Session(writer_engine(real_engine), expire_on_commit=False) as session:
                barrier.wait()
                changed.append(surveys_responses.set_response_hidden(session, response_id=response_id, hidden=True))
                session.commit()
        except BaseException as error:
            errors.append(error)

    _run([threading.Thread(target=hide) for _ in range(THREADS)])
    assert errors == []
    assert sorted(changed) == [False] * (THREADS - 1) + [True]
    with Session(real_engine) as session:
        stored = _assert_shown_tallies(session, survey_id)
        assert (stored.response_count, stored.hidden_response_count) == (2, 1)
