"""Recording a response is a hot path: the answers go in as one INSERT (an executemany), not one statement an answer.
Counted statements, not timings, so the machine's load does not matter."""

from sqlalchemy import event
from sqlmodel import Session

from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from tests.surveys.factories import by_code, form, make_survey


def test_a_response_writes_its_answers_in_one_statement(session: Session) -> None:
    survey = make_survey(session, template=True)
    found = by_code(surveys_questions.list_questions(session, survey=survey))
    answers = form(
        (found["overall"], "4"),
        (found["outcome"], "keep"),
        (found["pay"], "3.5"),
        (found["recommend_intent"], "9"),
        (found["recommended"], "yes"),
        (found["recommended_count"], "2"),
        (found["comments"], "Lovely scent"),
    )
    engine = session.get_bind()
    inserts: list[str] = []

    def record(_connection: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().startswith("INSERT INTO survey_answers "):
            inserts.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = surveys_responses.record_response(session, survey=survey, form=answers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(inserts) == 1
    stored = surveys_responses.get_response_answers(session, response=response)
    assert sorted((question.code, len(rows)) for question, rows in stored) == sorted((code, 1) for code in found)
