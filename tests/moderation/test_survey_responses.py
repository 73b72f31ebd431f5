"""Survey responses in moderation: the brand's staff report one from the results (page and API), it goes to the
queue of the community it was given in (a campaign's own community for answers through its share links), and once
hidden it drops out of every result (tallies, segments, free text, exports) until a moderator restores it."""

import csv
import io
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.brands.models import Brand, StaffRole
from app.campaigns import links as share_links
from app.campaigns.models import ConnectorReach, ShareLink
from app.communities.models import Community, MemberRole
from app.errors import Conflict, NotFound
from app.insights import survey_results as results_service
from app.insights.survey_results import Condition, Segment
from app.moderation import decisions as moderation_decisions
from app.moderation import queue as moderation_queue
from app.moderation import reports as moderation_reports
from app.moderation import screening as moderation_screening
from app.moderation.models import ItemStatus, ModerationItem, SubjectKind
from app.surveys import building as surveys_building
from app.surveys import responses as surveys_responses
from app.surveys.models import Question, Survey, SurveyResponse
from tests.campaigns.test_answering import _answer, _answers, _sharing
from tests.factories import add_member, add_staff, csrf_token, log_in, make_brand, make_community, make_user
from tests.surveys.factories import add_question, form, make_survey

ABUSE = "You are all idiots"


@dataclass
class SurveyPlace:
    brand: Brand
    community: Community
    survey: Survey
    rating: Question
    text: Question
    analyst: User
    moderator: User
    responses: list[SurveyResponse]

    @property
    def abusive(self) -> SurveyResponse:
        return self.responses[0]


def make_survey_place(session: Session, *, answers: int = 12) -> SurveyPlace:
    """A survey published to a community and answered there by members; the first answer is abusive."""
    brand = make_brand(session)
    community = make_community(session, brand)
    analyst, moderator = make_user(session), make_user(session)
    add_staff(session, brand, analyst, StaffRole.analyst)
    add_member(session, community, moderator, MemberRole.moderator)
    survey = make_survey(session, brand, title="Lavender soap")
    rating = add_question(session, survey, "rating")
    text = add_question(session, survey, "text")
    surveys_building.publish_survey(session, survey=survey, community=community)
    responses = []
    for number in range(answers):
        member = make_user(session)
        add_member(session, community, member)
        said = ABUSE if number == 0 else f"Opinion number {number}"
        responses.append(
            surveys_responses.answer_community_survey(
                session,
                survey=survey,
                community=community,
                member=member,
                form=form((rating, str(1 + number % 5)), (text, said)),
            )
        )
    return SurveyPlace(brand, community, survey, rating, text, analyst, moderator, responses)


def _hide(session: Session, place: SurveyPlace, item: ModerationItem) -> None:
    moderation_decisions.decide(
        session,
        community=place.community,
        moderator=place.moderator,
        item_ids=[item.id or 0],
        decision="hide",
        reason="Abuse",
    )


def _rating_result(results: results_service.schemas.SurveyResults) -> results_service.schemas.QuestionResult:
    return next(result for result in results.questions if result.kind == "rating")


# --- the service ------------------------------------------------------------------------------------------------


def test_a_reported_response_goes_to_its_communitys_queue_anonymous(session: Session) -> None:
    place = make_survey_place(session)
    outcome = moderation_reports.report_response(
        session,
        survey=place.survey,
        response_id=place.abusive.id or 0,
        reporter=place.analyst,
        reason="offensive",
        note="Insults the team",
    )
    item = outcome.item
    assert (item.community_id, item.subject_kind, item.subject_id) == (
        place.community.id,
        SubjectKind.survey_response,
        place.abusive.id,
    )
    assert item.author_id is None and item.link == ""  # the respondent stays anonymous, as on the results pages
    assert item.excerpt == f"Answer to Lavender soap — {place.text.prompt} “{ABUSE}”"
    assert not outcome.auto_hidden and item.status == ItemStatus.open
    (entry,) = moderation_queue.list_queue(
        session, community=place.community, filters=moderation_queue.QueueFilters(kind="survey_response")
    )
    assert entry.author is None and entry.reasons == {"offensive": 1}


def test_hiding_a_response_drops_it_out_of_every_result_and_restoring_brings_it_back(session: Session) -> None:
    place = make_survey_place(session)
    survey, rating_low = place.survey, Segment(conditions=(Condition(question_id=place.rating.id or 0, low=1, high=2),))
    questions = list(results_service.questions_by_id(session, survey=survey).values())
    before = results_service.survey_results(session, survey=survey)
    item = moderation_reports.report_response(
        session, survey=survey, response_id=place.abusive.id or 0, reporter=place.analyst, reason="offensive"
    ).item
    _hide(session, place, item)
    session.refresh(place.abusive)
    assert place.abusive.is_hidden and item.status == ItemStatus.hidden

    everyone = results_service.survey_results(session, survey=survey)
    assert everyone.respondents == 11 and _rating_result(everyone).answered == 11
    # The tallies (everyone) and the raw answers (a segment of everyone, by date) agree.
    assert results_service.survey_results(session, survey=survey, segment=Segment(since=date(2000, 1, 1))) == everyone
    low = results_service.survey_results(session, survey=survey, segment=rating_low)
    assert low.respondents == 5  # ratings 1 and 2: six answers, the hidden one (a 1) left out
    texts = results_service.text_answers(session, survey=survey, question=place.text)
    assert ABUSE not in texts.answers and len(texts.answers) == 11
    assert place.abusive.id not in texts.response_ids
    exported = list(results_service.response_rows(session, survey=survey, questions=questions))
    assert [row[0] for row in exported] == [response.id for response in place.responses[1:]]
    assert ABUSE not in str(exported)

    moderation_decisions.decide(
        session,
        community=place.community,
        moderator=place.moderator,
        item_ids=[item.id or 0],
        decision="restore",
        reason="",
    )
    session.refresh(survey)
    assert results_service.survey_results(session, survey=survey) == before
    assert ABUSE in results_service.text_answers(session, survey=survey, question=place.text).answers


def test_a_withdrawn_surveys_answers_still_go_to_the_community_they_were_given_in(session: Session) -> None:
    place = make_survey_place(session, answers=1)
    surveys_building.publish_survey(session, survey=place.survey, community=None)
    item = moderation_reports.report_response(
        session, survey=place.survey, response_id=place.abusive.id or 0, reporter=place.analyst, reason="spam"
    ).item
    assert item.community_id == place.community.id


def test_enough_staff_reports_hide_a_response_until_a_moderator_decides(session: Session) -> None:
    place = make_survey_place(session)
    moderation_screening.update_settings(
        session,
        community=place.community,
        moderator=place.moderator,
        auto_hide_threshold=2,
        premoderation=False,
        premoderation_posts=1,
        blocked_words="",
    )
    manager = make_user(session)
    add_staff(session, place.brand, manager)
    outcomes = [
        moderation_reports.report_response(
            session, survey=place.survey, response_id=place.abusive.id or 0, reporter=reporter, reason="offensive"
        )
        for reporter in (place.analyst, manager)
    ]
    assert [outcome.auto_hidden for outcome in outcomes] == [False, True]
    session.refresh(place.survey)
    assert place.survey.hidden_response_count == 1
    assert results_service.survey_results(session, survey=place.survey).respondents == 11


def test_a_campaign_answer_goes_to_the_campaigns_community_not_the_surveys(session: Session) -> None:
    campaign, community, (link,) = _sharing(session)
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    elsewhere = make_community(session, brand)
    survey = session.get(Survey, campaign.survey_id)
    assert survey is not None
    surveys_building.publish_survey(session, survey=survey, community=elsewhere)
    answer = _answer(session, campaign, link, "device-1")
    response = session.get(SurveyResponse, answer.survey_response_id)
    assert response is not None and response.community_id == community.id
    member = make_user(session)
    add_member(session, elsewhere, member)
    on_page = surveys_responses.answer_community_survey(
        session, survey=survey, community=elsewhere, member=member, form=_answers(session, campaign)
    )
    assert on_page.community_id == elsewhere.id

    analyst = make_user(session)
    add_staff(session, brand, analyst, StaffRole.analyst)
    reported = moderation_reports.report_response(
        session, survey=survey, response_id=response.id or 0, reporter=analyst, reason="spam"
    )
    assert reported.item.community_id == community.id


def test_a_hidden_campaign_answer_leaves_the_reach_counters_and_rejoins_them_once_restored(session: Session) -> None:
    campaign, community, (root,) = _sharing(session)
    first = _answer(session, campaign, root, "device-1")
    second_link = share_links.pass_link_on(
        session, parent=root, campaign=campaign, response_id=first.survey_response_id
    )
    second = _answer(session, campaign, second_link, "device-2")
    brand = session.get(Brand, community.brand_id)
    survey = session.get(Survey, campaign.survey_id)
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    analyst = make_user(session)
    add_staff(session, brand, analyst, StaffRole.analyst)
    item = moderation_reports.report_response(
        session, survey=survey, response_id=second.survey_response_id, reporter=analyst, reason="spam"
    ).item

    def counts() -> tuple[int, int, list[tuple[int, int]]]:
        session.expire_all()
        reach = session.exec(select(ConnectorReach).order_by(col(ConnectorReach.hop))).all()
        return (
            session.get(ShareLink, root.id).response_count,
            session.get(ShareLink, second_link.id).response_count,
            [(row.hop, row.response_count) for row in reach],
        )

    assert counts() == (2, 1, [(1, 1), (2, 1)])
    for decision, expected in (
        ("hide", (1, 0, [(1, 1), (2, 0)])),
        ("hide", (1, 0, [(1, 1), (2, 0)])),  # deciding the same again moves nothing
        ("restore", (2, 1, [(1, 1), (2, 1)])),
    ):
        moderation_decisions.decide(
            session,
            community=community,
            moderator=moderator,
            item_ids=[item.id or 0],
            decision=decision,
            reason="Spam" if decision == "hide" else "",
        )
        assert counts() == expected


def test_a_response_from_the_brands_own_systems_has_no_moderators(session: Session) -> None:
    place = make_survey_place(session, answers=1)
    recorded = surveys_responses.record_response(session, survey=place.survey, form=form((place.rating, "3")))
    with pytest.raises(Conflict, match="no moderators"):
        moderation_reports.report_response(
            session, survey=place.survey, response_id=recorded.id or 0, reporter=place.analyst, reason="spam"
        )
    assert session.exec(select(ModerationItem)).all() == []


def test_members_cannot_report_a_survey_response(session: Session) -> None:
    place = make_survey_place(session, answers=2)
    member = make_user(session)
    add_member(session, place.community, member)
    with pytest.raises(NotFound):
        moderation_reports.report_subject(
            session,
            community=place.community,
            reporter=member,
            kind="survey_response",
            subject_id=place.abusive.id or 0,
            reason="spam",
        )


def test_another_surveys_response_is_not_found(session: Session) -> None:
    place, other = make_survey_place(session, answers=1), make_survey_place(session, answers=1)
    with pytest.raises(NotFound):
        moderation_reports.report_response(
            session, survey=place.survey, response_id=other.abusive.id or 0, reporter=place.analyst, reason="spam"
        )


# --- pages ------------------------------------------------------------------------------------------------------


def test_staff_report_an_answer_from_the_answers_page(client: TestClient, session: Session) -> None:
    place = make_survey_place(session)
    base = f"/brands/{place.brand.slug}/surveys/{place.survey.id}/insights"
    log_in(client, session, place.analyst)
    answers_url = f"{base}/answers?question={place.text.id}&search=idiots"
    page = client.get(answers_url)
    report_url = f"{base}/responses/{place.abusive.id}/report"
    assert ABUSE in page.text and f'href="{report_url}?next=' in page.text

    form_page = client.get(report_url, params={"next": answers_url})
    assert form_page.status_code == 200
    assert ABUSE in form_page.text and f"moderators of {place.community.name}" in form_page.text
    failed = client.post(
        report_url, data={"note": "my careful note", "next": answers_url, "csrftoken": csrf_token(client)}
    )
    assert failed.status_code == 422 and "my careful note" in failed.text and "Choose a reason" in failed.text
    done = client.post(
        report_url,
        data={"reason": "offensive", "next": answers_url, "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, answers_url)
    assert f"your report is with the moderators of {place.community.name}" in client.get(answers_url).text
    item = session.exec(select(ModerationItem).where(ModerationItem.subject_id == place.abusive.id)).one()
    assert item.subject_kind == SubjectKind.survey_response

    log_in(client, session, place.moderator)
    detail = client.get(f"/c/{place.community.slug}/moderation/items/{item.id}")
    assert detail.status_code == 200 and ABUSE in detail.text and "See it in context" not in detail.text
    hidden = client.post(
        f"/c/{place.community.slug}/moderation/decide",
        data={"item_ids": str(item.id), "decision": "hide", "reason": "Abuse", "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert hidden.status_code == 303

    log_in(client, session, place.analyst)
    assert ABUSE not in client.get(f"{base}/answers?question={place.text.id}").text
    rows = list(csv.reader(io.StringIO(client.get(f"{base}/responses.csv").text)))
    assert len(rows) == 1 + 11 and ABUSE not in str(rows)
    results_page = client.get(f"/brands/{place.brand.slug}/surveys/{place.survey.id}/insights").text
    assert 'data-testid="respondents-a">11<' in results_page
    builder = client.get(f"/brands/{place.brand.slug}/surveys/{place.survey.id}").text
    assert "12 responses, 1 of them hidden by the moderators" in builder
    again = client.get(report_url)
    assert "The moderators have hidden this response" in again.text


def test_the_report_page_of_a_response_from_the_brands_systems_says_why_it_cannot(
    client: TestClient, session: Session
) -> None:
    place = make_survey_place(session, answers=1)
    recorded = surveys_responses.record_response(session, survey=place.survey, form=form((place.text, "From the shop")))
    url = f"/brands/{place.brand.slug}/surveys/{place.survey.id}/insights/responses/{recorded.id}/report"
    log_in(client, session, place.analyst)
    page = client.get(url, params={"next": "https://elsewhere.example.com/"})
    assert "From the shop" in page.text and "no moderators review it" in page.text
    assert f'action="{url}"' not in page.text
    assert 'href="https://elsewhere.example.com/' not in page.text  # next stays on this site
    refused = client.post(url, data={"reason": "spam", "csrftoken": csrf_token(client)})
    assert refused.status_code == 409 and "no moderators review it" in refused.text


def test_members_get_no_report_page_for_a_survey_response(client: TestClient, session: Session) -> None:
    place = make_survey_place(session, answers=2)
    member = make_user(session)
    add_member(session, place.community, member)
    log_in(client, session, member)
    page = client.get(f"/c/{place.community.slug}/report/survey_response/{place.abusive.id}")
    assert page.status_code == 404 and ABUSE not in page.text


# --- the API ----------------------------------------------------------------------------------------------------


def test_the_api_reports_a_response_and_shows_it_hidden(client: TestClient, session: Session) -> None:
    place = make_survey_place(session)
    headers = {"x-csrftoken": csrf_token(client)}
    base = f"/api/v1/brands/{place.brand.slug}/surveys/{place.survey.id}/insights"
    log_in(client, session, place.analyst)
    listed = client.get(f"{base}/answers", params={"question": place.text.id, "search": "idiots"}).json()
    assert listed["answers"] == [ABUSE] and listed["response_ids"] == [place.abusive.id]

    created = client.post(f"{base}/responses/{place.abusive.id}/reports", json={"reason": "offensive"}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["auto_hidden"] is False
    again = client.post(f"{base}/responses/{place.abusive.id}/reports", json={"reason": "spam"}, headers=headers)
    assert again.status_code == 409 and "already" in again.json()["detail"]
    other = make_survey_place(session, answers=1)
    missing = client.post(f"{base}/responses/{other.abusive.id}/reports", json={"reason": "spam"}, headers=headers)
    assert missing.status_code == 404
    members = client.post(
        f"/api/v1/communities/{place.community.slug}/reports",
        json={"subject_kind": "survey_response", "subject_id": place.abusive.id, "reason": "spam"},
        headers=headers,
    )
    assert members.status_code == 403  # staff are no members; and members are refused the kind (below)

    _hide(session, place, session.get(ModerationItem, created.json()["item_id"]))  # type: ignore[arg-type]
    assert client.get(f"{base}").json()["respondents"] == 11
    shown = client.get(f"/api/v1/surveys/{place.survey.id}/responses/{place.abusive.id}").json()
    assert shown["hidden"] is True
    survey = client.get(f"/api/v1/surveys/{place.survey.id}").json()
    assert (survey["response_count"], survey["hidden_response_count"]) == (12, 1)

    member = make_user(session)
    add_member(session, place.community, member)
    log_in(client, session, member)
    refused = client.post(
        f"/api/v1/communities/{place.community.slug}/reports",
        json={"subject_kind": "survey_response", "subject_id": place.responses[1].id, "reason": "spam"},
        headers=headers,
    )
    assert refused.status_code == 404 and refused.json()["detail"] == "There is no such kind of content."
