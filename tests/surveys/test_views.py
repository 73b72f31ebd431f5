"""The builder pages: list and create, the builder with htmx fragments, question edits, preview and results."""

from collections.abc import Mapping
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.brands.models import Brand, StaffRole
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import Survey
from tests.factories import add_staff, csrf_token, log_in, make_brand, make_user
from tests.surveys.factories import add_question, by_code, form, make_survey
from tests.surveys.html import parse

HTMX = {"HX-Request": "true"}


def _staff(client: TestClient, session: Session, role: StaffRole = StaffRole.manager) -> Brand:
    brand = make_brand(session)
    person = make_user(session)
    add_staff(session, brand, person, role)
    log_in(client, session, person)
    return brand


def _post(
    client: TestClient, url: str, data: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    return client.post(
        url, data=data, headers={"x-csrftoken": csrf_token(client), **(headers or {})}, follow_redirects=False
    )


def _question_form(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "kind": "single_choice",
        "prompt": "Which scent?",
        "help_text": "",
        "option_key": ["", "", ""],
        "option_label": ["Lavender", "Cedar", ""],
    }
    values.update(overrides)
    return values


def test_managers_list_and_create_surveys_from_the_template(client: TestClient, session: Session) -> None:
    brand = _staff(client, session)
    page = client.get(f"/brands/{brand.slug}/surveys")
    assert page.status_code == 200 and "has no survey yet" in page.text
    created = _post(client, f"/brands/{brand.slug}/surveys", {"title": "Soap", "start": "template"})
    assert created.status_code == 303
    (survey,) = surveys_building.list_surveys(session, brand=brand)
    assert created.headers["location"] == f"/brands/{brand.slug}/surveys/{survey.id}"
    assert len(surveys_questions.list_questions(session, survey=survey)) == 7
    builder = client.get(created.headers["location"])
    assert builder.status_code == 200 and "What would you pay for it?" in builder.text
    assert "<html" in builder.text


def test_creating_without_a_title_keeps_what_was_typed(client: TestClient, session: Session) -> None:
    brand = _staff(client, session)
    refused = _post(
        client, f"/brands/{brand.slug}/surveys", {"title": "", "description": "About soap", "start": "blank"}
    )
    assert refused.status_code == 422
    page = parse(refused.text)
    assert page.find("textarea", name="description").text() == "About soap"
    assert page.find("input", name="start", value="blank").has("checked")
    assert page.find(class_="field-error").text() == "Give the survey a title (up to 200 characters)."


def test_htmx_gets_the_builder_fragment_and_a_browser_the_page(client: TestClient, session: Session) -> None:
    brand = _staff(client, session)
    survey = make_survey(session, brand, template=True)
    url = f"/brands/{brand.slug}/surveys/{survey.id}"
    full = client.get(url)
    fragment = client.get(url, headers=HTMX)
    assert "<html" in full.text and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="builder"')


def test_adding_a_question_with_htmx_answers_the_builder(client: TestClient, session: Session) -> None:
    brand = _staff(client, session)
    survey = make_survey(session, brand)
    url = f"/brands/{brand.slug}/surveys/{survey.id}/questions"
    added = _post(client, url, _question_form(), headers=HTMX)
    assert added.status_code == 200
    assert "<html" not in added.text and "Which scent?" in added.text
    (question,) = surveys_questions.list_questions(session, survey=survey)
    assert question.options == [{"key": "lavender", "label": "Lavender"}, {"key": "cedar", "label": "Cedar"}]
    # Without JavaScript: a redirect back to the builder.
    again = _post(client, url, _question_form(prompt="Which colour?"))
    assert again.status_code == 303


def test_a_refused_question_comes_back_with_messages_and_what_was_typed(client: TestClient, session: Session) -> None:
    brand = _staff(client, session)
    survey = make_survey(session, brand)
    url = f"/brands/{brand.slug}/surveys/{survey.id}/questions"
    refused = _post(
        client, url, _question_form(prompt="", option_label=["Only one", "", ""], number_min="x"), headers=HTMX
    )
    assert refused.status_code == 422
    page = parse(refused.text)
    errors = [node.text() for node in page.find_all(class_="field-error")]
    assert "Ask the question (up to 500 characters)." in errors
    assert "Give at least two options." in errors
    assert page.find("input", name="option_label", value="Only one") is not None
    assert surveys_questions.list_questions(session, survey=survey) == []


def test_the_condition_editor_sets_a_condition(client: TestClient, session: Session) -> None:
    brand = _staff(client, session)
    survey = make_survey(session, brand)
    owns = add_question(session, survey, "yes_no", prompt="Do you own a cat?")
    url = f"/brands/{brand.slug}/surveys/{survey.id}/questions"
    _post(client, url, _question_form(kind="text", prompt="Its name?", show_if=[f"{owns.id}:yes"]))
    question = surveys_questions.list_questions(session, survey=survey)[-1]
    assert (question.show_if_question_id, question.show_if_values) == (owns.id, ["yes"])
    mixed = _post(client, url, _question_form(kind="text", prompt="Mixed", show_if=[f"{owns.id}:yes", "999:no"]))
    assert mixed.status_code == 422
    assert "Choose answers of one question only." in mixed.text


def test_editing_a_question_after_responses_refuses_breaking_changes(client: TestClient, session: Session) -> None:
    brand = _staff(client, session)
    survey = make_survey(session, brand, template=True)
    found = by_code(surveys_questions.list_questions(session, survey=survey))
    outcome = found["outcome"]
    surveys_responses.record_response(
        session,
        survey=survey,
        form=form(
            (found["overall"], "3"), (outcome, "keep"), (found["recommend_intent"], "8"), (found["recommended"], "no")
        ),
    )
    base = f"/brands/{brand.slug}/surveys/{survey.id}/questions/{outcome.id}"
    editor = client.get(f"{base}/edit", headers=HTMX)
    assert editor.status_code == 200 and editor.text.lstrip().startswith(f'<div id="editor-{outcome.id}"')
    keys = [option["key"] for option in outcome.options]
    labels = [option["label"] for option in outcome.options]
    refused = _post(
        client,
        base,
        _question_form(prompt=outcome.prompt, option_key=keys[1:], option_label=labels[1:], required="1"),
        headers=HTMX,
    )
    assert refused.status_code == 422
    assert "Options people have answered cannot be removed" in refused.text
    assert refused.text.lstrip().startswith(f'<div id="editor-{outcome.id}"')
    accepted = _post(
        client,
        base,
        _question_form(
            prompt="What now?",
            option_key=[*keys, ""],
            option_label=[*labels, "Make it bigger"],
            required="1",
            code="outcome",
        ),
        headers=HTMX,
    )
    assert accepted.status_code == 200
    assert accepted.headers["HX-Retarget"] == "#builder"
    session.refresh(outcome)
    assert outcome.prompt == "What now?" and outcome.options[-1] == {"key": "make_it_bigger", "label": "Make it bigger"}
    session.refresh(survey)
    assert survey.version == 2


def test_move_and_retire_from_the_builder(client: TestClient, session: Session) -> None:
    brand = _staff(client, session)
    survey = make_survey(session, brand)
    first = add_question(session, survey, "text", prompt="First?")
    second = add_question(session, survey, "text", prompt="Second?")
    base = f"/brands/{brand.slug}/surveys/{survey.id}/questions"
    moved = _post(client, f"{base}/{second.id}/move", {"direction": "up"}, headers=HTMX)
    assert moved.status_code == 200
    assert [q.id for q in surveys_questions.list_questions(session, survey=survey)] == [second.id, first.id]
    _post(client, f"{base}/{first.id}/retire")
    assert [q.id for q in surveys_questions.list_questions(session, survey=survey)] == [second.id]


def test_the_preview_checks_answers_without_storing_them(client: TestClient, session: Session) -> None:
    brand = _staff(client, session, StaffRole.analyst)
    survey = make_survey(session, brand, template=True)
    found = by_code(surveys_questions.list_questions(session, survey=survey))
    url = f"/brands/{brand.slug}/surveys/{survey.id}/preview"
    refused = _post(client, url, {found["overall"].input_name: "9", found["comments"].input_name: "Kept"}, headers=HTMX)
    assert refused.status_code == 422
    page = parse(refused.text)
    assert page.find(id=f"preview-{found['overall'].input_name}-error").text() == "Choose from 1 to 5."
    assert page.find("textarea", name=found["comments"].input_name).text() == "Kept"
    fine = {
        found["overall"].input_name: "5",
        found["outcome"].input_name: "keep",
        found["recommend_intent"].input_name: "10",
        found["recommended"].input_name: "no",
    }
    accepted = _post(client, url, fine, headers=HTMX)
    assert accepted.status_code == 200 and "These answers would be accepted." in accepted.text
    session.refresh(survey)
    assert survey.response_count == 0


def test_analysts_see_the_builder_without_its_controls_and_cannot_write(client: TestClient, session: Session) -> None:
    brand = _staff(client, session, StaffRole.analyst)
    survey = make_survey(session, brand, template=True)
    page = client.get(f"/brands/{brand.slug}/surveys/{survey.id}")
    assert page.status_code == 200 and "Add a question" not in page.text and "Remove" not in page.text
    refused = _post(client, f"/brands/{brand.slug}/surveys/{survey.id}/questions", _question_form())
    assert refused.status_code == 403


def test_another_brands_manager_gets_404_and_a_survey_under_the_wrong_brand_is_404(
    client: TestClient, session: Session
) -> None:
    mine = _staff(client, session)
    other = make_brand(session)
    theirs = make_survey(session, other, template=True)
    assert client.get(f"/brands/{other.slug}/surveys/{theirs.id}").status_code == 404
    assert client.get(f"/brands/{mine.slug}/surveys/{theirs.id}").status_code == 404
    assert client.get(f"/brands/{mine.slug}/surveys/{theirs.id}/results").status_code == 404
    assert client.get(f"/api/v1/surveys/{theirs.id}").status_code == 404


def test_the_retired_results_page_redirects_to_the_one_results_page(client: TestClient, session: Session) -> None:
    """It once showed a bar per answer, groups of one person included; now the insights page is the only one."""
    brand = _staff(client, session, StaffRole.analyst)
    survey = make_survey(session, brand, template=True)
    found = by_code(surveys_questions.list_questions(session, survey=survey))
    for outcome in ("keep", "keep", "scrap"):
        surveys_responses.record_response(
            session,
            survey=survey,
            form=form(
                (found["overall"], "4"), (found["outcome"], outcome), (found["recommend_intent"], "9"),
                (found["recommended"], "yes"), (found["recommended_count"], "2"),
            ),
        )  # fmt: skip
    old = client.get(f"/brands/{brand.slug}/surveys/{survey.id}/results", follow_redirects=False)
    assert old.status_code == 308
    assert old.headers["location"] == f"/brands/{brand.slug}/surveys/{survey.id}/insights"
    page = client.get(f"/brands/{brand.slug}/surveys/{survey.id}/results")
    assert page.status_code == 200 and "Results of" in page.text
    assert "67%" not in page.text and "33%" not in page.text  # 2 and 1 of 3: never shown
    builder = client.get(f"/brands/{brand.slug}/surveys/{survey.id}").text
    assert f'href="/brands/{brand.slug}/surveys/{survey.id}/insights">Results</a>' in builder


def test_a_survey_without_responses_can_be_deleted_from_its_page(client: TestClient, session: Session) -> None:
    brand = _staff(client, session)
    survey = make_survey(session, brand)
    deleted = _post(client, f"/brands/{brand.slug}/surveys/{survey.id}/delete")
    assert deleted.status_code == 303
    assert session.get(Survey, survey.id) is None
