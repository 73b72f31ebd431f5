"""Hiding responses (moderation): a hidden response's answers come off the tallies and go back on when it is shown
again, exactly once, so the tallies always equal a recount of the responses shown."""

import io
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, func, select

from app.errors import NotFound
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import Survey, SurveyResponse
from tests.factories import png_bytes
from tests.surveys.factories import add_question, make_survey
from tests.surveys.test_service import _answer_template, _recount, _stored_tallies


class Upload:
    def __init__(self, data: bytes, filename: str, content_type: str) -> None:
        self.file = io.BytesIO(data)
        self.filename = filename
        self.content_type = content_type


def _assert_tallies_match_the_shown_responses(session: Session, survey: Survey) -> None:
    stored, recount = _stored_tallies(session, survey.id or 0), _recount(session, survey.id or 0)
    assert stored.keys() == recount.keys()
    for key, (count, total) in recount.items():
        assert stored[key][0] == count, key
        assert stored[key][1] == pytest.approx(total), key
    hidden = session.exec(
        select(func.count())
        .select_from(SurveyResponse)
        .where(SurveyResponse.survey_id == survey.id, col(SurveyResponse.hidden_at).is_not(None))
    ).one()
    session.refresh(survey)
    assert survey.hidden_response_count == hidden
    assert survey.shown_response_count == survey.response_count - hidden


def test_hiding_takes_the_answers_off_and_showing_puts_them_back_once(session: Session) -> None:
    survey = make_survey(session, template=True)
    questions = surveys_questions.list_questions(session, survey=survey)
    photo = add_question(session, survey, "photo")
    colours = add_question(session, survey, "multiple_choice")
    responses = []
    for number, (pay, outcome) in enumerate((("12.5", "keep"), ("4.5", "scrap"), ("12.5", "keep"))):
        values = _answer_template(survey, questions, pay=pay, outcome=outcome)
        values[colours.input_name] = ["red", "green"]
        upload = Upload(png_bytes(number), "shelf.png", "image/png")
        responses.append(
            surveys_responses.record_response(session, survey=survey, form=values, photos={photo.input_name: upload})
        )
    before = _stored_tallies(session, survey.id or 0)

    assert surveys_responses.set_response_hidden(session, response_id=responses[1].id or 0, hidden=True)
    assert not surveys_responses.set_response_hidden(session, response_id=responses[1].id or 0, hidden=True)
    _assert_tallies_match_the_shown_responses(session, survey)
    results = {
        tally.question.code or tally.question.kind: tally for tally in surveys_responses.tallies(session, survey=survey)
    }
    assert results["pay"].answered == 2 and results["pay"].total == 25
    assert [(value.key, value.count) for value in results["outcome"].counts if value.count] == [("keep", 2)]
    assert results["photo"].answered == 2
    assert [(value.key, value.count) for value in results["multiple_choice"].counts] == [("red", 2), ("green", 2)]
    assert (survey.response_count, survey.hidden_response_count, survey.shown_response_count) == (3, 1, 2)
    session.refresh(responses[1])
    assert responses[1].is_hidden

    assert surveys_responses.set_response_hidden(session, response_id=responses[1].id or 0, hidden=False)
    assert not surveys_responses.set_response_hidden(session, response_id=responses[1].id or 0, hidden=False)
    after = _stored_tallies(session, survey.id or 0)
    assert after.keys() == before.keys()
    for key, (count, total) in before.items():
        assert after[key][0] == count and after[key][1] == pytest.approx(total)
    session.refresh(survey)
    assert (survey.response_count, survey.hidden_response_count) == (3, 0)


def test_a_response_of_another_survey_is_not_found(session: Session) -> None:
    survey, other = make_survey(session, template=True), make_survey(session, template=True)
    questions = surveys_questions.list_questions(session, survey=other)
    response = surveys_responses.record_response(session, survey=other, form=_answer_template(other, questions))
    assert surveys_responses.get_response(session, survey=other, response_id=response.id or 0) == response
    with pytest.raises(NotFound):
        surveys_responses.get_response(session, survey=survey, response_id=response.id or 0)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    responses=st.integers(min_value=1, max_value=12),
    moves=st.integers(min_value=1, max_value=30),
)
def test_tallies_equal_a_recount_of_the_shown_responses_after_random_hides_and_restores(
    session: Session, seed: int, responses: int, moves: int
) -> None:
    """Responses of every kind of answer; then hides and restores at random, repeats (no-ops) included."""
    generator = random.Random(seed)
    survey = make_survey(session, template=True)
    questions = surveys_questions.list_questions(session, survey=survey)
    colours = add_question(session, survey, "multiple_choice")
    recorded = []
    for _ in range(responses):
        values = _answer_template(
            survey,
            questions,
            overall=str(generator.randint(1, 5)),
            outcome=generator.choice(["keep", "change_colour", "change_price", "change_scent", "scrap"]),
            pay=generator.choice(["", "0", "4.5", "10", str(generator.randint(1, 40))]),
            recommend_intent=str(generator.randint(0, 10)),
            recommended=generator.choice(["yes", "no"]),
            recommended_count=str(generator.randint(1, 30)),
            comments=generator.choice(["", "nice"]),
        )
        values[colours.input_name] = generator.sample(["red", "green"], generator.randint(0, 2))
        recorded.append(surveys_responses.record_response(session, survey=survey, form=values).id or 0)
    hidden: set[int] = set()
    for _ in range(moves):
        response_id, hide = generator.choice(recorded), generator.random() < 0.6
        changed = surveys_responses.set_response_hidden(session, response_id=response_id, hidden=hide)
        assert changed == ((response_id in hidden) != hide)
        (hidden.add if hide else hidden.discard)(response_id)
        _assert_tallies_match_the_shown_responses(session, survey)
    assert survey.hidden_response_count == len(hidden)
