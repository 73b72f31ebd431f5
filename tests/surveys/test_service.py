"""Survey services: the template, validation of every kind, conditional display, versioning and tallies."""

import io
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, func, select

from app.errors import Conflict, Invalid
from app.media.models import MediaImage
from app.surveys import answers as surveys_answers
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import ANSWERED, Answer, AnswerTally, Question, QuestionKind, SurveyResponse
from tests.factories import make_user, png_bytes
from tests.surveys.factories import add_question, by_code, form, make_survey

Q = surveys_questions.QuestionFields
OTHER_OUTCOMES = ("change_colour", "change_price", "change_scent", "scrap")


# --- The template -------------------------------------------------------------------------------------------


def test_template_has_the_standard_questions_with_their_codes(session: Session) -> None:
    survey = make_survey(session, template=True)
    questions = surveys_questions.list_questions(session, survey=survey)
    codes = [question.code for question in questions]
    assert codes == ["overall", "outcome", "pay", "recommend_intent", "recommended", "recommended_count", "comments"]
    found = by_code(questions)
    assert [option["key"] for option in found["outcome"].options] == [
        "keep",
        "change_colour",
        "change_price",
        "change_scent",
        "scrap",
    ]
    assert found["recommend_intent"].kind == QuestionKind.nps
    assert (found["recommended_count"].show_if_question_id, found["recommended_count"].show_if_values) == (
        found["recommended"].id,
        ["yes"],
    )
    assert survey.version == 1  # building before any response makes no versions


def test_a_blank_survey_has_no_questions_and_needs_a_title(session: Session) -> None:
    survey = make_survey(session)
    assert surveys_questions.list_questions(session, survey=survey) == []
    with pytest.raises(Invalid) as refused:
        make_survey(session, title="  ")
    assert "title" in refused.value.fields


# --- Validation of each kind --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "extra", "good", "bad", "message"),
    [
        ("rating", {}, ["1", "5"], ["0", "6", "3.5", "x", "-1"], "Choose from 1 to 5."),
        ("nps", {}, ["0", "10"], ["11", "-1", "five"], "Choose from 0 to 10."),
        (
            "number",
            {"number_min": 0, "number_max": 100},
            ["0", "99.5", "4,50", "100"],
            ["-1", "100.01", "lots", "nan", "inf"],
            None,
        ),
        ("single_choice", {}, ["red", "green"], ["blue", "RED"], "Choose from the options given."),
        ("yes_no", {}, ["yes", "no"], ["maybe", "true"], "Choose from the options given."),
        ("text", {}, ["Lovely", "x" * 2000], ["x" * 2001], "Use at most 2,000 characters."),
    ],
)
def test_each_kind_accepts_its_values_and_refuses_others(
    session: Session, kind: str, extra: dict[str, object], good: list[str], bad: list[str], message: str | None
) -> None:
    survey = make_survey(session)
    question = add_question(session, survey, kind, **extra)
    questions = [question]
    for value in good:
        parsed = surveys_answers.parse_answers(survey, questions, form((question, value)))
        assert len(parsed.answers) == 1
    for value in bad:
        with pytest.raises(Invalid) as refused:
            surveys_answers.parse_answers(survey, questions, form((question, value)))
        assert set(refused.value.fields) == {question.input_name}
        if message:
            assert refused.value.fields[question.input_name] == message


def test_number_bounds_are_named_in_the_message_and_values_are_rounded(session: Session) -> None:
    survey = make_survey(session)
    question = add_question(session, survey, "number", number_min=1, number_max=1000)
    with pytest.raises(Invalid) as refused:
        surveys_answers.parse_answers(survey, [question], form((question, "0")))
    assert refused.value.fields[question.input_name] == "Enter a number from 1 to 1,000."
    parsed = surveys_answers.parse_answers(survey, [question], form((question, "4,499")))
    assert parsed.answers[0].number_value == 4.5


def test_multiple_choice_takes_each_option_once_and_refuses_unknown_keys(session: Session) -> None:
    survey = make_survey(session)
    question = add_question(session, survey, "multiple_choice", required=True)
    parsed = surveys_answers.parse_answers(survey, [question], form((question, ["red", "green", "red"])))
    assert [answer.option_key for answer in parsed.answers] == ["red", "green"]
    with pytest.raises(Invalid) as refused:
        surveys_answers.parse_answers(survey, [question], form((question, ["red", "purple"])))
    assert refused.value.fields == {question.input_name: "Choose from the options given."}
    with pytest.raises(Invalid) as missing:
        surveys_answers.parse_answers(survey, [question], {})
    assert missing.value.fields == {question.input_name: "Please answer this question."}


def test_required_questions_need_an_answer_and_optional_ones_may_be_blank(session: Session) -> None:
    survey = make_survey(session)
    required = add_question(session, survey, "text", required=True)
    optional = add_question(session, survey, "rating")
    questions = [required, optional]
    with pytest.raises(Invalid) as refused:
        surveys_answers.parse_answers(survey, questions, form((required, "   "), (optional, "")))
    assert refused.value.fields == {required.input_name: "Please answer this question."}
    parsed = surveys_answers.parse_answers(survey, questions, form((required, " fine ")))
    assert [(answer.question.id, answer.text_value) for answer in parsed.answers] == [(required.id, "fine")]


def test_two_different_values_for_a_single_answer_are_refused(session: Session) -> None:
    survey = make_survey(session)
    question = add_question(session, survey, "single_choice")
    with pytest.raises(Invalid) as refused:
        surveys_answers.parse_answers(survey, [question], form((question, ["red", "green"])))
    assert refused.value.fields[question.input_name] == "Give one answer."


def test_every_wrong_answer_is_reported_at_once(session: Session) -> None:
    survey = make_survey(session)
    rating = add_question(session, survey, "rating", required=True)
    nps = add_question(session, survey, "nps")
    with pytest.raises(Invalid) as refused:
        surveys_answers.parse_answers(survey, [rating, nps], form((nps, "12")))
    assert set(refused.value.fields) == {rating.input_name, nps.input_name}


# --- Conditional display ------------------------------------------------------------------------------------


def _chain(session: Session) -> tuple[object, Question, Question, Question]:
    """A -> B -> C: B shows when A is yes; C shows when B is "green"."""
    survey = make_survey(session)
    a = add_question(session, survey, "yes_no", required=True)
    b = add_question(session, survey, "single_choice", required=True, show_if_question_id=a.id, show_if_values=["yes"])
    c = add_question(session, survey, "text", required=True, show_if_question_id=b.id, show_if_values=["green"])
    return survey, a, b, c


def test_a_conditional_question_shows_only_when_its_condition_holds(session: Session) -> None:
    _survey, a, b, c = _chain(session)
    questions = [a, b, c]
    assert [q.id for q in surveys_answers.visible_questions(questions, {})] == [a.id]
    assert [q.id for q in surveys_answers.visible_questions(questions, form((a, "no")))] == [a.id]
    assert [q.id for q in surveys_answers.visible_questions(questions, form((a, "yes")))] == [a.id, b.id]
    shown = surveys_answers.visible_questions(questions, form((a, "yes"), (b, "green")))
    assert [q.id for q in shown] == [a.id, b.id, c.id]


def test_chains_hide_a_question_whose_controller_is_hidden(session: Session) -> None:
    _survey, a, b, c = _chain(session)
    # B says "green", but B itself is hidden (A is "no"), so C is hidden too.
    shown = surveys_answers.visible_questions([a, b, c], form((a, "no"), (b, "green")))
    assert [q.id for q in shown] == [a.id]


def test_answers_to_hidden_questions_are_dropped_and_required_applies_only_when_shown(session: Session) -> None:
    survey, a, b, c = _chain(session)
    parsed = surveys_answers.parse_answers(survey, [a, b, c], form((a, "no"), (b, "not-an-option"), (c, "ignored")))
    assert [(answer.question.id, answer.option_key) for answer in parsed.answers] == [(a.id, "no")]
    with pytest.raises(Invalid) as refused:
        surveys_answers.parse_answers(survey, [a, b, c], form((a, "yes"), (b, "green")))
    assert refused.value.fields == {c.input_name: "Please answer this question."}


def test_a_condition_must_name_an_earlier_question_and_its_answers(session: Session) -> None:
    survey = make_survey(session)
    text = add_question(session, survey, "text")
    choice = add_question(session, survey, "single_choice")
    with pytest.raises(Invalid) as not_controlling:
        add_question(session, survey, "text", show_if_question_id=text.id, show_if_values=["x"])
    assert "show_if_question_id" in not_controlling.value.fields
    with pytest.raises(Invalid) as unknown:
        add_question(session, survey, "text", show_if_question_id=choice.id, show_if_values=["blue"])
    assert "show_if_values" in unknown.value.fields
    dependent = add_question(session, survey, "text", show_if_question_id=choice.id, show_if_values=["red"])
    with pytest.raises(Conflict):
        surveys_questions.move_question(session, survey=survey, question=dependent, offset=-2)
    with pytest.raises(Conflict):
        surveys_questions.retire_question(session, survey=survey, question=choice)


def test_a_rating_can_control_a_follow_up(session: Session) -> None:
    survey = make_survey(session)
    rating = add_question(session, survey, "rating")
    why = add_question(session, survey, "text", show_if_question_id=rating.id, show_if_values=["1", "2"])
    assert [q.id for q in surveys_answers.visible_questions([rating, why], form((rating, "2")))] == [rating.id, why.id]
    assert [q.id for q in surveys_answers.visible_questions([rating, why], form((rating, "4")))] == [rating.id]


# --- Recording responses and tallies ------------------------------------------------------------------------


def _answer_template(survey: object, questions: list[Question], **overrides: str | list[str]) -> dict[str, list[str]]:
    found = by_code(questions)
    values: dict[str, str | list[str]] = {
        "overall": "4",
        "outcome": "change_price",
        "pay": "12.5",
        "recommend_intent": "9",
        "recommended": "yes",
        "recommended_count": "3",
        "comments": "Smells great",
    }
    values.update(overrides)
    return form(*((found[code], value) for code, value in values.items()))


def test_record_response_stores_answers_and_tallies(session: Session) -> None:
    survey = make_survey(session, template=True)
    questions = surveys_questions.list_questions(session, survey=survey)
    found = by_code(questions)
    person = make_user(session)
    response = surveys_responses.record_response(
        session, survey=survey, form=_answer_template(survey, questions), user=person
    )
    assert (response.survey_version, response.user_id, survey.response_count) == (1, person.id, 1)
    stored = session.exec(select(Answer).where(Answer.response_id == response.id)).all()
    assert len(stored) == 7
    results = {tally.question.code: tally for tally in surveys_responses.tallies(session, survey=survey)}
    assert results["pay"].answered == 1 and results["pay"].total == 12.5
    assert [(value.key, value.count) for value in results["outcome"].counts if value.count] == [("change_price", 1)]
    assert results["recommend_intent"].total == 9
    assert results["recommended_count"].total == 3
    assert results["comments"].answered == 1
    assert found["comments"].id == results["comments"].question.id


def test_a_logged_in_person_answers_once(session: Session) -> None:
    survey = make_survey(session, template=True)
    questions = surveys_questions.list_questions(session, survey=survey)
    person = make_user(session)
    surveys_responses.record_response(session, survey=survey, form=_answer_template(survey, questions), user=person)
    with pytest.raises(Conflict):
        surveys_responses.record_response(session, survey=survey, form=_answer_template(survey, questions), user=person)
    # Anonymous people (a campaign's friends) are not limited here.
    for _ in range(2):
        surveys_responses.record_response(session, survey=survey, form=_answer_template(survey, questions))
    assert survey.response_count == 3


def test_an_invalid_response_stores_nothing(session: Session) -> None:
    survey = make_survey(session, template=True)
    questions = surveys_questions.list_questions(session, survey=survey)
    with pytest.raises(Invalid) as refused:
        surveys_responses.record_response(
            session, survey=survey, form=_answer_template(survey, questions, overall="9", pay="-3")
        )
    found = by_code(questions)
    assert set(refused.value.fields) == {found["overall"].input_name, found["pay"].input_name}
    assert session.exec(select(func.count()).select_from(SurveyResponse)).one() == 0
    assert session.exec(select(func.count()).select_from(AnswerTally)).one() == 0
    session.refresh(survey)
    assert survey.response_count == 0


def _recount(session: Session, survey_id: int) -> dict[tuple[int, str], tuple[int, float]]:
    """What the tallies should be, counted from the raw answers of the responses shown (not hidden by moderation)."""
    counts: Counter[tuple[int, str]] = Counter()
    sums: Counter[tuple[int, str]] = Counter()
    answered: dict[int, set[int]] = {}
    rows = session.exec(
        select(Answer)
        .join(Question, col(Question.id) == Answer.question_id)
        .join(SurveyResponse, col(SurveyResponse.id) == Answer.response_id)
        .where(Question.survey_id == survey_id, col(SurveyResponse.hidden_at).is_(None))
    ).all()
    for answer in rows:
        answered.setdefault(answer.question_id, set())
        if answer.response_id not in answered[answer.question_id]:
            answered[answer.question_id].add(answer.response_id)
            counts[(answer.question_id, ANSWERED)] += 1
            sums[(answer.question_id, ANSWERED)] += answer.number_value or 0.0
        if answer.option_key is not None:
            counts[(answer.question_id, answer.option_key)] += 1
        elif answer.number_value is not None:
            key = surveys_answers.format_number(answer.number_value)
            counts[(answer.question_id, key)] += 1
            sums[(answer.question_id, key)] += answer.number_value
    return {key: (count, sums[key]) for key, count in counts.items()}


def _stored_tallies(session: Session, survey_id: int) -> dict[tuple[int, str], tuple[int, float]]:
    """The tallies with a count (a value only hidden responses gave keeps its row, at 0)."""
    rows = session.exec(select(AnswerTally).where(AnswerTally.survey_id == survey_id, AnswerTally.count != 0)).all()
    return {(row.question_id, row.value_key): (row.count, row.sum) for row in rows}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=10_000), responses=st.integers(min_value=1, max_value=25))
def test_tallies_equal_a_recount_after_random_responses(session: Session, seed: int, responses: int) -> None:
    generator = random.Random(seed)
    survey = make_survey(session, template=True)
    questions = surveys_questions.list_questions(session, survey=survey)
    colours = add_question(session, survey, "multiple_choice")
    for _ in range(responses):
        recommended = generator.choice(["yes", "no"])
        values = _answer_template(
            survey,
            questions,
            overall=str(generator.randint(1, 5)),
            outcome=generator.choice(["keep", "change_colour", "change_price", "change_scent", "scrap"]),
            pay=generator.choice(["", "0", "4.5", "10", str(generator.randint(1, 40))]),
            recommend_intent=str(generator.randint(0, 10)),
            recommended=recommended,
            recommended_count=str(generator.randint(1, 30)),  # dropped when "no": the question is hidden
            comments=generator.choice(["", "nice"]),
        )
        values[colours.input_name] = generator.sample(["red", "green"], generator.randint(0, 2))
        surveys_responses.record_response(session, survey=survey, form=values)
    session.flush()
    stored = _stored_tallies(session, survey.id)  # type: ignore[arg-type]
    recount = _recount(session, survey.id)  # type: ignore[arg-type]
    assert stored.keys() == recount.keys()
    for key, (count, total) in recount.items():
        assert stored[key][0] == count
        assert stored[key][1] == pytest.approx(total)
    assert survey.response_count == responses
    found = by_code(questions)
    hidden_counts = session.exec(
        select(func.count()).select_from(Answer).where(Answer.question_id == found["recommended_count"].id)
    ).one()
    yes = stored.get((found["recommended"].id, "yes"), (0, 0.0))[0]
    assert hidden_counts == yes


def test_photo_answers_go_through_the_media_pipeline(session: Session) -> None:
    survey = make_survey(session)
    photo = add_question(session, survey, "photo", required=True)

    class Upload:
        def __init__(self, data: bytes, filename: str, content_type: str) -> None:
            self.file = io.BytesIO(data)
            self.filename = filename
            self.content_type = content_type

    with pytest.raises(Invalid) as missing:
        surveys_responses.record_response(session, survey=survey, form={}, photos={})
    assert missing.value.fields == {photo.input_name: "Add a photo."}
    with pytest.raises(Invalid) as bad:
        surveys_responses.record_response(
            session,
            survey=survey,
            form={},
            photos={
                photo.input_name: Upload(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "x.svg", "image/svg+xml")
            },
        )
    assert photo.input_name in bad.value.fields and "SVG" in bad.value.fields[photo.input_name]
    assert session.exec(select(func.count()).select_from(MediaImage)).one() == 0

    response = surveys_responses.record_response(
        session, survey=survey, form={}, photos={photo.input_name: Upload(png_bytes(7), "shelf.png", "image/png")}
    )
    (answer,) = session.exec(select(Answer).where(Answer.response_id == response.id)).all()
    image = session.get(MediaImage, answer.image_id)
    assert image is not None and image.format == "PNG"
    (result,) = surveys_responses.tallies(session, survey=survey)
    assert result.answered == 1


# --- Versioning: what may change once a survey has responses --------------------------------------------------


def _answered_survey(session: Session) -> tuple[object, dict[str, Question], SurveyResponse]:
    survey = make_survey(session, template=True)
    questions = surveys_questions.list_questions(session, survey=survey)
    response = surveys_responses.record_response(session, survey=survey, form=_answer_template(survey, questions))
    return survey, by_code(questions), response


def _fields_of(question: Question, **changes: object) -> surveys_questions.QuestionFields:
    values: dict[str, object] = {
        "kind": question.kind,
        "prompt": question.prompt,
        "help_text": question.help_text,
        "required": question.required,
        "options": [dict(option) for option in question.options],
        "number_min": question.number_min,
        "number_max": question.number_max,
        "unit": question.unit,
        "show_if_question_id": question.show_if_question_id,
        "show_if_values": list(question.show_if_values),
        "code": question.code,
    }
    values.update(changes)
    return Q(**values)  # type: ignore[arg-type]


def test_before_responses_anything_goes_without_new_versions(session: Session) -> None:
    survey = make_survey(session, template=True)
    outcome = by_code(surveys_questions.list_questions(session, survey=survey))["outcome"]
    surveys_questions.update_question(
        session,
        survey=survey,
        question=outcome,
        fields=_fields_of(
            outcome, kind="multiple_choice", options=[{"label": "Keep"}, {"label": "Bin"}], required=False
        ),
    )
    assert [option["key"] for option in outcome.options] == ["keep", "bin"]
    surveys_questions.retire_question(session, survey=survey, question=outcome)
    assert session.get(Question, outcome.id) is None  # nobody answered it: deleted outright
    assert survey.version == 1


@pytest.mark.parametrize(
    ("code", "changes", "field"),
    [
        ("overall", {"kind": "nps"}, "kind"),
        (
            "outcome",
            {"options": [{"key": "keep", "label": "Keep it"}, {"key": "scrap", "label": "Scrap it"}]},
            "options",
        ),
        (
            "outcome",
            {
                "options": [
                    {"key": "keep2", "label": "Keep it"},
                    *[{"key": key, "label": key} for key in OTHER_OUTCOMES],
                ]
            },
            "options",
        ),
        ("pay", {"required": True}, "required"),
        ("pay", {"number_min": 5}, "number_min"),
        ("pay", {"number_max": 50}, "number_max"),
        ("recommended_count", {"show_if_values": ["no"]}, "show_if_question_id"),
        ("comments", {"code": "remarks"}, "code"),
    ],
)
def test_breaking_edits_are_refused_after_responses(
    session: Session, code: str, changes: dict[str, object], field: str
) -> None:
    survey, found, _ = _answered_survey(session)
    question = found[code]
    with pytest.raises(Invalid) as refused:
        surveys_questions.update_question(
            session, survey=survey, question=question, fields=_fields_of(question, **changes)
        )
    assert field in refused.value.fields
    assert "only new questions" in refused.value.message
    assert survey.version == 1


def test_additive_edits_are_allowed_after_responses_and_each_makes_a_version(session: Session) -> None:
    survey, found, old_response = _answered_survey(session)
    outcome = found["outcome"]
    options = [*outcome.options, {"label": "Change the size"}]
    options[0] = {"key": "keep", "label": "Keep it exactly as it is"}
    surveys_questions.update_question(
        session, survey=survey, question=outcome, fields=_fields_of(outcome, options=options, prompt="What now?")
    )
    assert survey.version == 2
    assert [option["key"] for option in outcome.options][-1] == "change_the_size"
    surveys_questions.update_question(
        session, survey=survey, question=found["overall"], fields=_fields_of(found["overall"], required=False)
    )
    assert survey.version == 3
    pay = found["pay"]
    surveys_questions.update_question(session, survey=survey, question=pay, fields=_fields_of(pay, number_max=20000))
    assert survey.version == 4
    added = add_question(session, survey, "text", prompt="Where did you buy it?")
    assert (survey.version, added.added_in_version) == (5, 5)
    surveys_questions.retire_question(session, survey=survey, question=found["comments"])
    assert survey.version == 6
    retired = session.get(Question, found["comments"].id)
    assert retired is not None and retired.is_retired and retired.retired_in_version == 6
    surveys_questions.move_question(session, survey=survey, question=added, offset=-10)
    assert survey.version == 7
    surveys_building.update_survey(session, survey=survey, title="A new title")
    assert survey.version == 8

    # The old response still reads in full, the retired question with it.
    read = surveys_responses.get_response_answers(session, response=old_response)
    assert found["comments"].id in [question.id for question, _ in read]
    assert len(read) == 7
    # A new response records the new version; the retired question is no longer asked.
    questions = surveys_questions.list_questions(session, survey=survey)
    assert found["comments"].id not in [question.id for question in questions]
    new = surveys_responses.record_response(
        session,
        survey=survey,
        form=form(
            (added, "A market"), (found["recommend_intent"], "7"), (found["recommended"], "no"), (outcome, "keep")
        ),
    )
    assert new.survey_version == 8
    every = surveys_questions.list_questions(session, survey=survey, include_retired=True)
    asked_then = {question.id for question in surveys_questions.questions_at_version(every, 1)}
    asked_now = {question.id for question in surveys_questions.questions_at_version(every, 8)}
    assert found["comments"].id in asked_then - asked_now
    assert added.id in asked_now - asked_then


def test_a_survey_with_responses_cannot_be_deleted(session: Session) -> None:
    survey, _, _ = _answered_survey(session)
    with pytest.raises(Conflict):
        surveys_building.delete_survey(session, survey=survey)
    blank = make_survey(session, template=True)
    surveys_building.delete_survey(session, survey=blank)
    assert session.exec(select(func.count()).select_from(Question).where(Question.survey_id == blank.id)).one() == 0
