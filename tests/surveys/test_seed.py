"""The demo surveys (seed/surveys.py): built through the services, with the stated responses, and only once."""

from sqlmodel import Session, func, select

from app.surveys import responses as surveys_responses
from app.surveys.models import Survey, SurveyResponse
from seed.surveys import REFILL_RESPONSES, SPRAY_RESPONSES, seed_surveys
from tests.factories import make_brand
from tests.surveys.test_service import _recount, _stored_tallies


def test_demo_surveys_are_seeded_once_with_consistent_tallies(session: Session) -> None:
    assert seed_surveys(session) is False  # no Brightleaf yet: nothing to do
    make_brand(session, slug="brightleaf", name="Brightleaf Home")
    assert seed_surveys(session) is True
    surveys = {survey.title: survey for survey in session.exec(select(Survey)).all()}
    counts = sorted(survey.response_count for survey in surveys.values())
    assert counts == sorted([SPRAY_RESPONSES, REFILL_RESPONSES])
    assert session.exec(select(func.count()).select_from(SurveyResponse)).one() == SPRAY_RESPONSES + REFILL_RESPONSES
    for survey in surveys.values():
        stored, recount = _stored_tallies(session, survey.id or 0), _recount(session, survey.id or 0)
        assert stored.keys() == recount.keys()
    spray = next(survey for survey in surveys.values() if survey.response_count == SPRAY_RESPONSES)
    results = {result.question.code: result for result in surveys_responses.tallies(session, survey=spray)}
    overall = results["overall"]
    assert 3.3 < overall.total / max(overall.answered, 1) < 4.5  # most like it
    assert 0 < results["recommended_count"].answered < results["recommended"].answered
    assert seed_surveys(session) is False
    assert len(session.exec(select(Survey)).all()) == 2
