"""A survey's questions in other languages: written by the brand (service, builder pages, JSON API), shown to each
respondent in their language where present, and answered by option key, so results count every language together."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts import tokens as accounts_tokens
from app.brands.models import Brand, StaffRole
from app.communities.models import Community
from app.errors import Conflict, Invalid
from app.i18n import use_locale
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import Question, Survey
from app.surveys.translations import TranslationFields, delete_translation, set_translation, translations_of
from tests.factories import add_member, add_staff, csrf_token, field_errors, log_in, make_community, make_user
from tests.surveys.factories import add_question, make_survey
from tests.surveys.html import parse

GERMAN = TranslationFields(prompt="Welche Farbe?", help_text="Nimm eine.", options={"red": "Rot", "green": "Grün"})


def _brand_of(session: Session, community: Community) -> Brand:
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    return brand


def _published(session: Session) -> tuple[Community, Survey, Question]:
    community = make_community(session)
    survey = make_survey(session, _brand_of(session, community), title="Which refill?")
    question = add_question(session, survey, "single_choice", required=True, prompt="Which colour?", help_text="One.")
    surveys_building.publish_survey(session, survey=survey, community=community)
    return community, survey, question


def _manager(client: TestClient, session: Session, brand: Brand) -> None:
    person = make_user(session)
    add_staff(session, brand, person, StaffRole.manager)
    log_in(client, session, person)


# --- The service ---------------------------------------------------------------------------------------------


def test_a_translation_is_written_read_and_shown_part_by_part(session: Session) -> None:
    _, survey, question = _published(session)
    set_translation(session, survey=survey, question=question, language="de", fields=GERMAN)
    set_translation(
        session, survey=survey, question=question, language="es", fields=TranslationFields(prompt="¿Qué color?")
    )
    assert list(translations_of(question)) == ["es", "de"]
    assert translations_of(question)["de"] == GERMAN
    german = question.in_language("de")
    assert (german.prompt, german.help_text, german.option_label("green")) == ("Welche Farbe?", "Nimm eine.", "Grün")
    spanish = question.in_language("es")  # only the prompt is translated: the rest is the original's
    assert (spanish.prompt, spanish.help_text, spanish.option_label("red")) == ("¿Qué color?", "One.", "Red")
    assert question.in_language("en").prompt == "Which colour?"
    assert survey.version == 1  # rewording into a language is not a new version


def test_yes_no_answers_read_in_the_readers_language_unless_translated(session: Session) -> None:
    survey = make_survey(session)
    question = add_question(session, survey, "yes_no")
    with use_locale("de"):
        assert question.in_language("de").option_label("yes") == "Ja"
    set_translation(
        session, survey=survey, question=question, language="de", fields=TranslationFields(options={"yes": "Klar"})
    )
    assert question.in_language("de").option_label("yes") == "Klar"


def test_unknown_options_languages_and_retired_questions_are_refused(session: Session) -> None:
    _, survey, question = _published(session)
    with pytest.raises(Invalid) as unknown:
        set_translation(
            session, survey=survey, question=question, language="de", fields=TranslationFields(options={"blue": "B"})
        )
    assert "options" in unknown.value.fields
    with pytest.raises(Invalid) as language:
        set_translation(session, survey=survey, question=question, language="fr", fields=GERMAN)
    assert "language" in language.value.fields
    assert question.translations == {}
    other = add_question(session, survey, "text")
    surveys_responses.record_response(session, survey=survey, form={question.input_name: ["red"]})
    surveys_questions.retire_question(session, survey=survey, question=other)
    with pytest.raises(Conflict):
        set_translation(session, survey=survey, question=other, language="de", fields=GERMAN)


def test_all_blank_or_deleting_removes_a_translation(session: Session) -> None:
    _, survey, question = _published(session)
    set_translation(session, survey=survey, question=question, language="de", fields=GERMAN)
    set_translation(session, survey=survey, question=question, language="de", fields=TranslationFields(prompt=" "))
    assert question.translations == {}
    set_translation(session, survey=survey, question=question, language="de", fields=GERMAN)
    delete_translation(session, survey=survey, question=question, language="de")
    assert question.in_language("de").prompt == "Which colour?"


# --- Respondents in their language ------------------------------------------------------------------------------


def test_a_german_browser_sees_the_german_question_and_its_answer_counts_with_the_english(
    client: TestClient, session: Session
) -> None:
    community, survey, question = _published(session)
    set_translation(session, survey=survey, question=question, language="de", fields=GERMAN)
    url = f"/c/{community.slug}/surveys/{survey.id}"
    german, english = make_user(session), make_user(session)
    for member in (german, english):
        add_member(session, community, member)

    log_in(client, session, german)
    page = parse(client.get(url, headers={"Accept-Language": "de-DE,de;q=0.9"}).text)
    assert page.find(class_="survey-prompt").text().startswith("Welche Farbe?")
    assert [label.text() for label in page.find_all(class_="choice")] == ["Rot", "Grün"]
    assert "Nimm eine." in page.find(id=f"{question.input_name}-question").text()
    sent = client.post(
        url,
        data={question.input_name: "red"},
        headers={"x-csrftoken": csrf_token(client), "Accept-Language": "de"},
        follow_redirects=False,
    )
    assert sent.status_code == 303

    log_in(client, session, english)
    page = parse(client.get(url).text)
    assert page.find(class_="survey-prompt").text().startswith("Which colour?")
    assert [label.text() for label in page.find_all(class_="choice")] == ["Red", "Green"]
    client.post(url, data={question.input_name: "red"}, headers={"x-csrftoken": csrf_token(client)})

    (tally,) = [each for each in surveys_responses.tallies(session, survey=survey) if each.question.id == question.id]
    assert tally.answered == 2
    assert {count.key: count.count for count in tally.counts} == {"red": 2, "green": 0}


# --- The builder ------------------------------------------------------------------------------------------------


def test_the_builder_edits_a_questions_translations_with_htmx(client: TestClient, session: Session) -> None:
    community, survey, question = _published(session)
    _manager(client, session, _brand_of(session, community))
    base = f"/brands/{_brand_of(session, community).slug}/surveys/{survey.id}"
    builder = parse(client.get(base).text)
    assert builder.find_all("a", href=f"{base}/questions/{question.id}/translations")
    url = f"{base}/questions/{question.id}/translations"
    page = client.get(url, headers={"HX-Request": "true"})
    assert page.status_code == 200 and f'id="translations-{question.id}"' in page.text and "<html" not in page.text
    saved = client.post(
        f"{url}/de",
        data={
            "prompt": "Welche Farbe?",
            "help_text": "",
            "option_key": ["red", "green"],
            "option_label": ["Rot", ""],
        },
        headers={"x-csrftoken": csrf_token(client), "HX-Request": "true"},
    )
    assert saved.status_code == 200 and "chorus:toast" in saved.headers["HX-Trigger"]
    assert parse(saved.text).find("input", id=f"tr-{question.id}-de-prompt").attrs["value"] == "Welche Farbe?"
    session.refresh(question)
    assert question.translations == {"de": {"prompt": "Welche Farbe?", "help_text": "", "options": {"red": "Rot"}}}
    assert "translated: de" in client.get(base).text

    refused = client.post(
        f"{url}/de",
        data={"prompt": "x" * 501, "option_key": ["red"], "option_label": ["Rot"]},
        headers={"x-csrftoken": csrf_token(client), "HX-Request": "true"},
    )
    assert refused.status_code == 422 and "Use at most 500 characters." in refused.text
    assert parse(refused.text).find("input", id=f"tr-{question.id}-de-prompt").attrs["value"] == "x" * 501

    removed = client.post(f"{url}/de/delete", headers={"x-csrftoken": csrf_token(client)}, follow_redirects=False)
    assert removed.status_code == 303 and removed.headers["location"].endswith("/translations")
    session.refresh(question)
    assert question.translations == {}


def test_the_translation_pages_speak_the_managers_language(client: TestClient, session: Session) -> None:
    community, survey, question = _published(session)
    _manager(client, session, _brand_of(session, community))
    url = f"/brands/{_brand_of(session, community).slug}/surveys/{survey.id}/questions/{question.id}/translations"
    page = client.get(url, headers={"Accept-Language": "de"})
    assert "Übersetzungen" in page.text and "Zurück zu den Fragen" in page.text


# --- The JSON API -----------------------------------------------------------------------------------------------


def test_the_api_writes_reads_and_removes_translations(client: TestClient, session: Session) -> None:
    community, survey, question = _published(session)
    person = make_user(session)
    add_staff(session, _brand_of(session, community), person, StaffRole.manager)
    _, plain = accounts_tokens.create_api_token(session, user=person, name="crm")
    auth = {"Authorization": f"Bearer {plain}"}
    url = f"/api/v1/surveys/{survey.id}/questions/{question.id}/translations"
    put = client.put(f"{url}/de", json={"prompt": "Welche Farbe?", "options": {"red": "Rot"}}, headers=auth)
    assert put.status_code == 200
    assert put.json()["translations"] == {"de": {"prompt": "Welche Farbe?", "help_text": "", "options": {"red": "Rot"}}}
    assert client.get(url, headers=auth).json() == put.json()["translations"]
    detail = client.get(f"/api/v1/surveys/{survey.id}", headers=auth).json()
    assert detail["questions"][0]["translations"]["de"]["prompt"] == "Welche Farbe?"

    refused = client.put(f"{url}/fr", json={"prompt": "Quelle couleur ?"}, headers={**auth, "Accept-Language": "es"})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("Elige uno de los idiomas")
    unknown = client.put(f"{url}/de", json={"options": {"blue": "Blau"}}, headers=auth)
    assert unknown.status_code == 422 and "options" in field_errors(unknown)

    assert client.delete(f"{url}/de", headers=auth).status_code == 204
    assert client.get(url, headers=auth).json() == {}
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/surveys/{survey_id}/questions/{question_id}/translations/{language}" in schema["paths"]
