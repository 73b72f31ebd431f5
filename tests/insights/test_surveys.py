"""Survey results: tallies against a recount of raw answers, segments and their suppression, cross-tabs, free text,
exports, pages, fragments and JSON."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from app.brands.models import Brand, StaffRole
from app.errors import Invalid
from app.insights import survey_results as results_service
from app.insights.suppression import suppress_table
from app.insights.survey_results import Condition, Segment
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import Answer, Question, QuestionKind, Survey, SurveyResponse
from tests.factories import add_staff, log_in, make_brand, make_user
from tests.surveys.factories import add_question, by_code, form, make_survey

HTMX = {"HX-Request": "true"}
OUTCOMES = ("keep", "change_colour", "change_price", "change_scent", "scrap")
START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _answer(
    session: Session,
    survey: Survey,
    questions: dict[str, Question],
    *,
    outcome: str,
    overall: int,
    nps: int,
    pay: float | None = None,
    recommended: int = 0,
    comment: str = "",
    day: int = 0,
) -> None:
    pairs: list[tuple[Question, str]] = [
        (questions["overall"], str(overall)),
        (questions["outcome"], outcome),
        (questions["recommend_intent"], str(nps)),
        (questions["recommended"], "yes" if recommended else "no"),
    ]
    if recommended:
        pairs.append((questions["recommended_count"], str(recommended)))
    if pay is not None:
        pairs.append((questions["pay"], f"{pay:g}"))
    if comment:
        pairs.append((questions["comments"], comment))
    surveys_responses.record_response(
        session, survey=survey, form=form(*pairs), user=make_user(session), now=START + timedelta(days=day)
    )


def _survey(session: Session, brand: Brand | None = None) -> tuple[Survey, dict[str, Question]]:
    survey = make_survey(session, brand, template=True, title="Lavender soap")
    questions = by_code(surveys_questions.list_questions(session, survey=survey))
    return survey, questions


def _filled(session: Session, brand: Brand | None = None) -> tuple[Survey, dict[str, Question]]:
    """20 responses: 8 keep (the first days), 6 change_price, 6 scrap; comments about scent and price."""
    survey, questions = _survey(session, brand)
    for n in range(8):
        _answer(
            session,
            survey,
            questions,
            outcome="keep",
            overall=5,
            nps=10 if n < 6 else 8,
            pay=12 + n,
            recommended=2,
            comment="Lovely strong scent" if n % 2 else "",
            day=n,
        )
    for n in range(6):
        _answer(
            session,
            survey,
            questions,
            outcome="change_price",
            overall=3,
            nps=6,
            pay=5 + n,
            comment='=HYPERLINK("x") price too high' if n == 0 else "price too high",
            day=10 + n,
        )
    for n in range(6):
        _answer(session, survey, questions, outcome="scrap", overall=1, nps=2, day=20 + n)
    return survey, questions


def test_results_from_tallies(session: Session) -> None:
    survey, _ = _filled(session)
    results = results_service.survey_results(session, survey=survey)
    assert results.respondents == 20
    assert results.outcome is not None
    shares = {option.key: (option.share.count, option.share.total) for option in results.outcome.options}
    assert shares == {
        "keep": (8, 20),
        "change_colour": (0, 20),
        "change_price": (6, 20),
        "change_scent": (0, 20),
        "scrap": (6, 20),
    }
    assert results.nps is not None
    # 6 promoters, 2 passives, 12 detractors: the 2 are hidden with the 6, and the score with them (it would
    # give them back).
    assert (results.nps.promoters, results.nps.passives, results.nps.detractors) == (None, None, 12)
    assert results.nps.score is None and results.nps.total == 20
    assert results.pay is not None and results.pay.count == 14 and results.pay.median == pytest.approx(12.5)
    overall = next(q for q in results.questions if q.code == "overall")
    assert overall.mean == pytest.approx((8 * 5 + 6 * 3 + 6 * 1) / 20)


def _recount(session: Session, survey: Survey) -> results_service.schemas.SurveyResults:
    """The same figures counted from the raw answers (a segment that is everyone, by a date before the first)."""
    return results_service.survey_results(session, survey=survey, segment=Segment(since=date(2000, 1, 1)))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(OUTCOMES),
            st.integers(1, 5),
            st.integers(0, 10),
            st.integers(0, 3),
            st.one_of(st.none(), st.integers(0, 40)),
        ),
        min_size=5,
        max_size=25,
    )
)
def test_tallies_equal_a_recount_after_random_inserts(
    session: Session, answers: list[tuple[str, int, int, int, int | None]]
) -> None:
    session.begin_nested()
    try:
        survey, questions = _survey(session)
        for outcome, overall, nps, recommended, pay in answers:
            _answer(
                session,
                survey,
                questions,
                outcome=outcome,
                overall=overall,
                nps=nps,
                recommended=recommended,
                pay=None if pay is None else float(pay),
            )
        from_tallies = results_service.survey_results(session, survey=survey)
        recounted = _recount(session, survey)
        assert from_tallies.model_dump() == recounted.model_dump()
    finally:
        session.rollback()


def test_each_responses_answer_keys_equal_a_recount_of_its_answers(session: Session) -> None:
    """Segments are summed from the answer keys; these must say what the answers rows say."""
    survey, questions = _filled(session)
    uses = add_question(session, survey, QuestionKind.multiple_choice, prompt="Where would you use it?")
    surveys_responses.record_response(
        session, survey=survey, form=form((questions["overall"], "3"), (questions["outcome"], "keep"),
                                          (questions["recommend_intent"], "8"), (questions["recommended"], "no"),
                                          (questions["pay"], "7.5"), (uses, ["red", "green"])),
    )  # fmt: skip
    kinds = {question.id: question.kind for question in surveys_questions.list_questions(session, survey=survey)}
    for response in session.exec(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)).all():
        recount: set[str] = set()
        for answer in session.exec(select(Answer).where(Answer.response_id == response.id)).all():
            if answer.option_key is not None:
                recount.add(f"{answer.question_id}:{answer.option_key}")
            elif answer.number_value is not None:
                recount.add(f"{answer.question_id}:{answer.number_value:g}")
            if kinds[answer.question_id] in {"multiple_choice", "text", "photo"}:
                recount.add(f"{answer.question_id}:*")
        assert set(response.answer_keys.split()) == recount, response.id
    last = session.exec(select(SurveyResponse).order_by(col(SurveyResponse.id).desc())).first()
    assert last is not None and f"{questions['pay'].id}:7.5" in last.answer_keys.split()
    assert {f"{uses.id}:red", f"{uses.id}:green", f"{uses.id}:*"} <= set(last.answer_keys.split())


def test_segments_filter_by_answers_and_dates(session: Session) -> None:
    survey, questions = _filled(session)
    keep = Condition(question_id=questions["outcome"].id or 0, values=("keep",))
    results = results_service.survey_results(session, survey=survey, segment=Segment(conditions=(keep,)))
    assert results.respondents == 8 and results.nps is not None
    assert results.nps.promoters is None and results.nps.passives is None  # 6 and 2 of 8: the 2 would show
    ranged = Condition(question_id=questions["overall"].id or 0, low=3, high=5)
    assert (
        results_service.survey_results(session, survey=survey, segment=Segment(conditions=(ranged,))).respondents == 14
    )
    dated = Segment(since=(START + timedelta(days=10)).date(), until=(START + timedelta(days=15)).date())
    assert results_service.survey_results(session, survey=survey, segment=dated).respondents == 6


def test_small_segments_and_small_complements_are_suppressed(session: Session) -> None:
    survey, questions = _filled(session)
    outcome = questions["outcome"].id or 0
    few = Segment(
        conditions=(Condition(question_id=outcome, values=("keep",)),),
        since=START.date(),
        until=(START + timedelta(days=2)).date(),
    )
    hidden = results_service.survey_results(session, survey=survey, segment=few)
    assert hidden.suppressed and hidden.respondents is None and hidden.questions == []
    # Everyone but the first three days' respondents: the survey minus this segment would give those three away.
    most = Segment(since=(START + timedelta(days=3)).date())
    assert results_service.survey_results(session, survey=survey, segment=most).suppressed
    assert (
        list(results_service.response_rows(session, survey=survey, questions=list(questions.values()), segment=few))
        == []
    )


def test_crosstab_counts_pairs_of_answers(session: Session) -> None:
    survey, questions = _filled(session)
    table = results_service.crosstab(
        session, survey=survey, rows=questions["outcome"], columns=questions["recommended"]
    )
    assert table.row_labels[0] == "Keep it as it is" and table.column_labels == ["Yes", "No"]
    assert table.cells == [[8, 0], [0, 0], [0, 6], [0, 0], [0, 6]]
    with pytest.raises(Invalid):
        results_service.crosstab(session, survey=survey, rows=questions["pay"], columns=questions["outcome"])


def test_small_cells_are_suppressed_with_a_complement_in_their_row_and_column() -> None:
    matrix: list[list[int | None]] = [[8, 2, 9], [7, 6, 10], [0, 12, 5]]
    suppress_table(matrix)
    # 2 is blanked; then 8 (the smallest other in its row) so the row total cannot give it back, and 6 in its
    # column; then each of those lines has two blanks.
    assert matrix[0][1] is None
    for line in (matrix[0], [row[1] for row in matrix]):
        assert sum(cell is None for cell in line) != 1
    for column in range(3):
        assert sum(row[column] is None for row in matrix) != 1
    assert matrix[2][0] == 0  # zeros are not secrets


def test_free_text_search_keywords_and_suppression(session: Session) -> None:
    survey, questions = _filled(session)
    found = results_service.text_answers(session, survey=survey, question=questions["comments"])
    assert len(found.answers) == 10 and found.answers[0] == "price too high"  # newest first
    phrases = [keyword.phrase for keyword in found.keywords]
    assert set(phrases[:2]) == {"high", "price"} and "strong scent" in phrases and "lovely strong" in phrases
    assert found.keywords[0].answers == 6  # six answers, two different ones: each shown once
    assert found.keywords[0].examples == ["price too high", '=HYPERLINK("x") price too high']
    searched = results_service.text_answers(session, survey=survey, question=questions["comments"], search="SCENT")
    assert searched.answers == ["Lovely strong scent"] * 4
    percent = results_service.text_answers(session, survey=survey, question=questions["comments"], search="%")
    assert percent.answers == []  # LIKE wildcards are escaped
    keep = Segment(conditions=(Condition(question_id=questions["outcome"].id or 0, values=("keep",)),))
    assert results_service.text_answers(session, survey=survey, question=questions["comments"], segment=keep).suppressed
    with pytest.raises(Invalid):
        results_service.text_answers(session, survey=survey, question=questions["outcome"])


def test_response_rows_have_one_row_per_response_and_no_identity(session: Session) -> None:
    survey, _ = _filled(session)
    ordered = results_service.questions_by_id(session, survey=survey)
    header = results_service.response_header(list(ordered.values()))
    rows = list(results_service.response_rows(session, survey=survey, questions=list(ordered.values())))
    assert len(rows) == 20 and header[:2] == ["response_id", "submitted_at"]
    first = dict(zip(header, rows[0], strict=True))
    assert (
        first["outcome"] == "keep"
        and first["overall"] == "5"
        and first["pay"] == "12"
        and first["recommended"] == "yes"
    )
    assert not any("@" in str(cell) for row in rows for cell in row)


def _staff(session: Session, brand: Brand, client: TestClient, role: StaffRole = StaffRole.analyst) -> None:
    person = make_user(session)
    add_staff(session, brand, person, role)
    log_in(client, session, person)


def test_page_segment_fragment_and_comparison(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    survey, questions = _filled(session, brand)
    _staff(session, brand, client)
    url = f"/brands/{brand.slug}/surveys/{survey.id}/insights"
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.text and "Net Promoter Score" in page.text
    assert 'data-testid="respondents-a">20<' in page.text and 'role="img"' in page.text
    outcome = questions["outcome"].id
    fragment = client.get(url, params={"a": f"{outcome}:keep,change_price"}, headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="results"' in fragment.text
    assert 'data-testid="respondents-a">14<' in fragment.text
    assert f"responses.csv?a={outcome}%3Akeep%2Cchange_price" in fragment.text  # exports follow the segment
    picked = client.get(url, params={"a_pick": str(questions["overall"].id)})
    assert 'name="a_min"' in picked.text and 'name="a_num"' in picked.text
    ranged = client.get(url, params={"a_num": str(questions["overall"].id), "a_min": "3", "a_max": "5"})
    assert 'data-testid="respondents-a">14<' in ranged.text and "Overall, how do you like it? 3 to 5" in ranged.text
    compared = client.get(url, params={"compare": "1", "a": f"{outcome}:keep", "b": f"{outcome}:scrap,change_price"})
    assert 'data-testid="respondents-a">8<' in compared.text and 'data-testid="respondents-b">12<' in compared.text
    bad = client.get(url, params={"a": "999:keep", "a_since": "yesterday"})
    assert bad.status_code == 200 and "names no question" in bad.text and "is not a date" in bad.text
    crosstab = client.get(url, params={"rows": str(outcome), "columns": str(questions["recommended"].id)})
    assert "Cross-tab" in crosstab.text and "(rows) by" in crosstab.text
    report = client.get(url + "/report")
    assert (
        report.status_code == 200
        and "Report: Results of Lavender soap" in report.text
        and "segment-form" not in report.text
    )


def test_free_text_page_and_fragment(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    survey, questions = _filled(session, brand)
    _staff(session, brand, client)
    url = f"/brands/{brand.slug}/surveys/{survey.id}/insights/answers"
    page = client.get(url, params={"question": questions["comments"].id})
    assert page.status_code == 200 and "Most frequent words and phrases" in page.text
    fragment = client.get(url, params={"question": questions["comments"].id, "search": "scent"}, headers=HTMX)
    assert "<html" not in fragment.text and fragment.text.count("Lovely strong scent") == 4
    assert client.get(url, params={"question": 0}).status_code == 422


def test_csv_exports(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    survey, questions = _filled(session, brand)
    _staff(session, brand, client, StaffRole.manager)
    url = f"/brands/{brand.slug}/surveys/{survey.id}/insights"
    responses = client.get(url + "/responses.csv")
    assert responses.status_code == 200 and responses.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(responses.text)))
    assert len(rows) == 20
    assert sum(row["comments"].startswith("'=HYPERLINK") for row in rows) == 1  # neutralised
    segment = client.get(url + "/responses.csv", params={"a": f"{questions['outcome'].id}:scrap,change_price"})
    assert len(list(csv.DictReader(io.StringIO(segment.text)))) == 12
    aggregates = list(csv.DictReader(io.StringIO(client.get(url + "/aggregates.csv").text)))
    keep = next(row for row in aggregates if row["question"] == "outcome" and row["value"] == "Keep it as it is")
    assert (keep["count"], keep["answered"], keep["share_or_value"]) == ("8", "20", "0.4")
    # The NPS is hidden with its 2 passives (as on the page and in the JSON): no row gives it.
    assert not any(row["value"] == "NPS" for row in aggregates)
    pay = [row for row in aggregates if row["question"] == "pay"]
    assert [row["value"] for row in pay][-4:] == ["median", "lower quartile", "upper quartile", "mean"]
    assert all(row["count"] == "" or int(row["count"]) == 0 or int(row["count"]) >= 5 for row in pay)


def test_json_api(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    survey, questions = _filled(session, brand)
    _staff(session, brand, client)
    base = f"/api/v1/brands/{brand.slug}/surveys/{survey.id}/insights"
    everyone = client.get(base).json()
    assert everyone["respondents"] == 20 and everyone["nps"]["promoters"] is None
    assert everyone["nps"]["detractors"] == 12 and everyone["nps"]["score"] is None
    outcome = questions["outcome"].id
    keep = client.get(base, params={"a": f"{outcome}:keep"}).json()
    assert keep["respondents"] == 8
    small = client.get(base, params={"a": f"{outcome}:keep", "a_until": START.date().isoformat()}).json()
    assert small["suppressed"] is True and small["respondents"] is None and small["questions"] == []
    compared = client.get(base + "/compare", params={"a": f"{outcome}:keep", "b": f"{outcome}:scrap"}).json()
    assert (compared["a"]["respondents"], compared["b"]["respondents"]) == (8, 6)
    table = client.get(base + "/crosstab", params={"rows": outcome, "columns": questions["recommended"].id}).json()
    assert table["cells"][0] == [8, 0]
    text = client.get(base + "/answers", params={"question": questions["comments"].id, "search": "price"}).json()
    assert len(text["answers"]) == 6
    assert client.get(base, params={"a": "nonsense"}).status_code == 422
    assert client.get(base + "/crosstab", params={"rows": 0, "columns": outcome}).status_code == 422


def test_another_brands_analyst_gets_404_on_every_survey_insights_route(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    survey, questions = _filled(session, brand)
    _staff(session, make_brand(session), client)
    page = f"/brands/{brand.slug}/surveys/{survey.id}/insights"
    api = f"/api/v1/brands/{brand.slug}/surveys/{survey.id}/insights"
    question = questions["comments"].id
    for url in (
        page,
        page + "/report",
        page + f"/answers?question={question}",
        page + "/responses.csv",
        page + "/aggregates.csv",
        api,
        api + "/compare",
        api + f"/answers?question={question}",
        api + f"/crosstab?rows={questions['outcome'].id}&columns={questions['recommended'].id}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Lavender" not in response.text


def test_results_speak_the_readers_language_with_its_figures(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    survey, _questions = _filled(session, brand)
    _staff(session, brand, client)
    url = f"/brands/{brand.slug}/surveys/{survey.id}/insights"
    german = {"Accept-Language": "de"}
    page = client.get(url, headers=german).text
    assert f"Ergebnisse von {survey.title}" in page and "Würden zahlen (Median)" in page and "Alle Fragen" in page
    pay = page.split("Würden zahlen (Median)</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert "," in pay and "." not in pay  # the median in German digits
    assert "Stimmen" not in page and "Votes" not in page
    header = client.get(url + "/aggregates.csv", headers=german).text.splitlines()[0]
    assert header.lower().startswith("frage,fragetext,wert")
    english = client.get(url + "/aggregates.csv").text.splitlines()[0]
    assert english.startswith("question,prompt,value")
    api = f"/api/v1/brands/{brand.slug}/surveys/{survey.id}/insights"
    refused = client.get(api, params={"a": "999:keep"}, headers={"Accept-Language": "es"})
    assert refused.status_code == 422 and "no nombra ninguna pregunta" in refused.json()["detail"]
