"""A survey published to a community: its members answer it on the community's pages (or the API), once each."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.accounts import tokens as accounts_tokens
from app.brands.models import Brand
from app.communities.models import Community, MemberRole
from app.config import get_settings
from app.errors import Conflict, NotFound, TooManyRequests
from app.media.models import MediaImage
from app.moderation import sanctions as moderation_sanctions
from app.rewards import points as rewards_points
from app.surveys import building as surveys_building
from app.surveys import responses as surveys_responses
from app.surveys.models import Answer, Question, Survey, SurveyResponse
from tests.factories import (
    add_member,
    add_staff,
    csrf_token,
    field_errors,
    log_in,
    make_community,
    make_user,
    png_bytes,
)
from tests.surveys.factories import add_question, make_survey
from tests.surveys.html import parse


def test_publishing_needs_a_community_of_the_brand_and_questions(session: Session) -> None:
    community = make_community(session)
    blank = make_survey(session)
    with pytest.raises(NotFound):
        surveys_building.publish_survey(session, survey=blank, community=community)  # another brand's community
    own = make_survey(session, _brand_of(session, community))
    with pytest.raises(Conflict):
        surveys_building.publish_survey(session, survey=own, community=community)
    add_question(session, own, "rating")
    surveys_building.publish_survey(session, survey=own, community=community)
    assert surveys_building.list_community_surveys(session, community=community) == [own]
    assert own.version == 1
    surveys_building.publish_survey(session, survey=own, community=None)
    assert surveys_building.list_community_surveys(session, community=community) == []


def _brand_of(session: Session, community: Community) -> Brand:
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    return brand


def _published(session: Session) -> tuple[Community, Survey, Question]:
    community = make_community(session)
    survey = make_survey(session, _brand_of(session, community), title="Which refill?")
    question = add_question(session, survey, "single_choice", required=True, prompt="Which colour?")
    surveys_building.publish_survey(session, survey=survey, community=community)
    return community, survey, question


def test_members_answer_once_on_the_community_page(client: TestClient, session: Session) -> None:
    community, survey, question = _published(session)
    member = make_user(session)
    add_member(session, community, member)
    log_in(client, session, member)
    url = f"/c/{community.slug}/surveys/{survey.id}"
    listed = client.get(f"/c/{community.slug}/surveys")
    assert "Which refill?" in listed.text and "Waiting for your answers." in listed.text
    page = client.get(url)
    assert page.status_code == 200 and 'name="q' in page.text
    refused = client.post(url, data={question.input_name: "blue"}, headers={"x-csrftoken": csrf_token(client)})
    assert refused.status_code == 422
    assert parse(refused.text).find(class_="field-error").text() == "Choose from the options given."
    sent = client.post(
        url, data={question.input_name: "red"}, headers={"x-csrftoken": csrf_token(client)}, follow_redirects=False
    )
    assert sent.status_code == 303
    again = client.get(url)
    assert "You have answered this survey." in again.text and 'name="q' not in again.text
    twice = client.post(url, data={question.input_name: "green"}, headers={"x-csrftoken": csrf_token(client)})
    assert twice.status_code == 409
    session.refresh(survey)
    assert survey.response_count == 1


def test_a_suspended_member_reads_the_surveys_but_cannot_answer(client: TestClient, session: Session) -> None:
    community, survey, question = _published(session)
    member, moderator = make_user(session), make_user(session)
    add_member(session, community, member)
    add_member(session, community, moderator, MemberRole.moderator)
    moderation_sanctions.sanction_member(
        session, community=community, moderator=moderator, member=member, kind="suspension", reason="Spam", days=3
    )
    log_in(client, session, member)
    url = f"/c/{community.slug}/surveys/{survey.id}"
    listed = client.get(f"/c/{community.slug}/surveys")
    assert listed.status_code == 200 and "Which refill?" in listed.text
    page = client.get(url)
    assert page.status_code == 200 and "Which colour?" in page.text and 'name="q' not in page.text
    assert f"You are suspended in {community.name} until" in page.text and "not answer it" in page.text
    api = client.get(f"/api/v1/communities/{community.slug}/surveys")
    assert api.status_code == 200 and [entry["title"] for entry in api.json()] == ["Which refill?"]
    refused = client.post(url, data={question.input_name: "red"}, headers={"x-csrftoken": csrf_token(client)})
    assert refused.status_code == 403 and f"You are suspended in {community.name} until" in refused.text
    refused_api = client.post(
        f"/api/v1/communities/{community.slug}/surveys/{survey.id}/responses",
        json={"answers": {str(question.id): "red"}},
        headers={"x-csrftoken": csrf_token(client)},
    )
    assert refused_api.status_code == 403 and "Spam" in refused_api.json()["detail"]


def test_answering_earns_the_brands_points_once_per_survey(session: Session) -> None:
    community, survey, question = _published(session)
    brand = _brand_of(session, community)
    rewards_points.set_points_rule(session, brand=brand, action="survey_answered", points="15", daily_cap="5")
    member = make_user(session)
    add_member(session, community, member)
    form = {question.input_name: ["red"]}
    surveys_responses.answer_community_survey(session, survey=survey, community=community, member=member, form=form)
    with pytest.raises(Conflict):
        surveys_responses.answer_community_survey(session, survey=survey, community=community, member=member, form=form)
    assert rewards_points.points_balance(session, user=member, brand_id=brand.id or 0) == 15


def test_non_members_and_unpublished_surveys_get_404(client: TestClient, session: Session) -> None:
    community, survey, _ = _published(session)
    outsider = make_user(session)
    log_in(client, session, outsider)
    assert client.get(f"/c/{community.slug}/surveys/{survey.id}").status_code == 404
    member = make_user(session)
    add_member(session, community, member)
    log_in(client, session, member)
    unpublished = make_survey(session, _brand_of(session, community))
    assert client.get(f"/c/{community.slug}/surveys/{unpublished.id}").status_code == 404


def test_members_answer_through_the_api_and_the_rate_limit_holds(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    community, survey, question = _published(session)
    member = make_user(session)
    add_member(session, community, member)
    _, plain = accounts_tokens.create_api_token(session, user=member, name="phone")
    auth = {"Authorization": f"Bearer {plain}"}
    listed = client.get(f"/api/v1/communities/{community.slug}/surveys", headers=auth).json()
    assert [(item["id"], item["answered"]) for item in listed] == [(survey.id, False)]
    url = f"/api/v1/communities/{community.slug}/surveys/{survey.id}/responses"
    answered = client.post(url, json={"answers": {str(question.id): "green"}}, headers=auth)
    assert answered.status_code == 201
    assert client.post(url, json={"answers": {str(question.id): "red"}}, headers=auth).status_code == 409

    monkeypatch.setattr(get_settings(), "survey_rate_per_account", "1/hour")
    other = make_survey(session, _brand_of(session, community))
    add_question(session, other, "text")
    surveys_building.publish_survey(session, survey=other, community=community)
    surveys_responses.answer_community_survey(session, survey=other, community=community, member=member, form={})
    with pytest.raises(TooManyRequests):
        surveys_responses.answer_community_survey(session, survey=other, community=community, member=member, form={})


def _photo_survey(session: Session) -> tuple[Community, Survey, Question, Question]:
    """A published survey with a required choice and a required photo question."""
    community, survey, choice = _published(session)
    photo = add_question(session, survey, "photo", required=True, prompt="Show us where it lives")
    return community, survey, choice, photo


def _stored(session: Session) -> tuple[int, int, int]:
    """Responses, answers and images in the database: what a refused answer must leave untouched."""
    return tuple(  # type: ignore[return-value]
        session.exec(select(func.count()).select_from(table)).one() for table in (SurveyResponse, Answer, MediaImage)
    )


def test_a_member_answers_with_a_photo_on_the_survey_page(client: TestClient, session: Session) -> None:
    community, survey, choice, photo = _photo_survey(session)
    member = make_user(session)
    add_member(session, community, member)
    log_in(client, session, member)
    url = f"/c/{community.slug}/surveys/{survey.id}"
    assert 'enctype="multipart/form-data"' in client.get(url).text
    sent = client.post(
        url,
        data={choice.input_name: "red", "csrftoken": csrf_token(client)},
        files={photo.input_name: ("shelf.png", png_bytes(3), "image/png")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    response = session.exec(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)).one()
    stored = session.exec(select(Answer).where(Answer.response_id == response.id, Answer.question_id == photo.id)).one()
    image = session.get(MediaImage, stored.image_id)
    assert image is not None and image.format == "PNG" and image.uploaded_by_id == member.id


def test_a_file_that_is_no_image_is_refused_and_nothing_is_kept(client: TestClient, session: Session) -> None:
    community, survey, choice, photo = _photo_survey(session)
    member = make_user(session)
    add_member(session, community, member)
    log_in(client, session, member)
    url = f"/c/{community.slug}/surveys/{survey.id}"
    before = _stored(session)
    refused = client.post(
        url,
        data={choice.input_name: "red", "csrftoken": csrf_token(client)},
        files={photo.input_name: ("notes.png", b"these are my notes, not a picture", "image/png")},
    )
    assert refused.status_code == 422
    page = parse(refused.text)
    assert "Please correct the marked answers." in refused.text
    assert "PNG, JPEG or WebP" in page.find(class_="field-error").text()
    assert 'value="red" checked' in refused.text or 'value="red" id=' in refused.text
    missing = client.post(url, data={choice.input_name: "red", "csrftoken": csrf_token(client)})
    assert missing.status_code == 422 and parse(missing.text).find(class_="field-error").text() == "Add a photo."
    session.expire_all()
    assert _stored(session) == before
    assert session.get(Survey, survey.id).response_count == 0  # type: ignore[union-attr]


def test_members_answer_with_a_photo_through_the_api(client: TestClient, session: Session) -> None:
    community, survey, choice, photo = _photo_survey(session)
    member = make_user(session)
    add_member(session, community, member)
    _, plain = accounts_tokens.create_api_token(session, user=member, name="phone")
    auth = {"Authorization": f"Bearer {plain}"}
    url = f"/api/v1/communities/{community.slug}/surveys/{survey.id}/responses"
    as_json = client.post(url, json={"answers": {str(choice.id): "red"}}, headers=auth)
    assert as_json.status_code == 422 and field_errors(as_json) == {photo.input_name: "Add a photo."}
    not_an_image = client.post(
        url,
        data={choice.input_name: "red"},
        files={photo.input_name: ("x.png", b"GIF89a not really", "image/png")},
        headers=auth,
    )
    assert not_an_image.status_code == 422 and photo.input_name in field_errors(not_an_image)
    assert _stored(session)[0] == 0
    answered = client.post(
        url,
        data={choice.input_name: "red"},
        files={photo.input_name: ("shelf.png", png_bytes(5), "image/png")},
        headers=auth,
    )
    assert answered.status_code == 201, answered.text
    by_question = {answer["question_id"]: answer for answer in answered.json()["answers"]}
    assert by_question[choice.id]["option_key"] == "red" and by_question[photo.id]["image_id"] is not None


def test_the_answering_endpoints_document_json_and_multipart(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/communities/{community_slug}/surveys/{survey_id}/responses",
        "/api/v1/surveys/{survey_id}/responses",
        "/api/v1/share/{share_code}/responses",
    ):
        content = spec["paths"][path]["post"]["requestBody"]["content"]
        assert set(content) == {"application/json", "multipart/form-data"}, path
        assert "answers" in content["application/json"]["schema"]["properties"]


def test_managers_publish_from_the_builder(client: TestClient, session: Session) -> None:
    community = make_community(session)
    brand = _brand_of(session, community)
    manager = make_user(session)
    add_staff(session, brand, manager)
    log_in(client, session, manager)
    survey = make_survey(session, brand, template=True)
    url = f"/brands/{brand.slug}/surveys/{survey.id}/publish"
    published = client.post(
        url, data={"community": community.slug}, headers={"x-csrftoken": csrf_token(client)}, follow_redirects=False
    )
    assert published.status_code == 303
    session.refresh(survey)
    assert survey.community_id == community.id
    builder = client.get(f"/brands/{brand.slug}/surveys/{survey.id}")
    assert f"/c/{community.slug}/surveys/{survey.id}" in builder.text
    other = make_community(session)
    refused = client.post(url, data={"community": other.slug}, headers={"x-csrftoken": csrf_token(client)})
    assert refused.status_code == 404
