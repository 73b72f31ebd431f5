"""Friends answering through share links: attribution through two hops, one response per person, the survey's
conditions and versions, the public page (no JavaScript, no account), honeypot and rate limit, joining."""

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app import rate_limits
from app.accounts.models import User
from app.brands.models import Brand
from app.campaigns import answering as campaign_answering
from app.campaigns import connectors as campaign_connectors
from app.campaigns import links as share_links
from app.campaigns import roundtables as campaign_roundtables
from app.campaigns.models import Campaign, CampaignResponse, ConnectorReach, ShareLink
from app.communities import service as communities_service
from app.communities.models import Community, CommunityKind
from app.config import get_settings
from app.errors import Conflict, Invalid
from app.media.models import MediaImage
from app.notifications.models import Notification, NotificationKind, OutboxEmail
from app.rewards import points as rewards_points
from app.rewards.models import PointsAward
from app.surveys import questions as surveys_questions
from app.surveys.models import Answer, Question, QuestionKind, SurveyResponse
from tests.campaigns.factories import accept, apply, make_campaign, move_to
from tests.factories import (
    add_staff,
    csrf_token,
    field_errors,
    log_in,
    make_brand,
    make_community,
    make_user,
    png_bytes,
)
from tests.surveys.factories import add_question


def _sharing(session: Session, connectors: int = 1) -> tuple[Campaign, Community, list[ShareLink]]:
    """A campaign in its sharing window with accepted connectors; their share links."""
    brand = make_brand(session)
    community = make_community(session, brand, kind=CommunityKind.feedback)
    manager = make_user(session)
    add_staff(session, brand, manager)
    campaign = make_campaign(session, community)
    applications = [apply(session, campaign, community) for _ in range(connectors)]
    for application in applications:
        accept(session, campaign, community, application, manager)
    move_to(session, campaign, "sharing")
    links = []
    for application in applications:
        connector = session.get(User, application.user_id)
        assert connector is not None
        link = campaign_connectors.connector_link(session, campaign=campaign, user=connector)
        assert link is not None
        links.append(link)
    return campaign, community, links


def _questions(session: Session, campaign: Campaign) -> dict[str, Question]:
    return {q.code: q for q in campaign_answering.survey_questions(session, campaign=campaign) if q.code}


def _answers(session: Session, campaign: Campaign, *, recommended: str = "no", count: str = "") -> dict[str, list[str]]:
    questions = _questions(session, campaign)
    form = {
        questions["overall"].input_name: ["4"],
        questions["outcome"].input_name: ["keep"],
        questions["recommend_intent"].input_name: ["9"],
        questions["recommended"].input_name: [recommended],
    }
    if count:
        form[questions["recommended_count"].input_name] = [count]
    return form


def _answer(session: Session, campaign: Campaign, link: ShareLink, token: str, **kwargs: object) -> CampaignResponse:
    return campaign_answering.answer_campaign(
        session,
        link=link,
        campaign=campaign,
        form=_answers(session, campaign),
        device_token=token,
        **kwargs,  # type: ignore[arg-type]
    )


def test_campaigns_get_a_survey_from_the_template(session: Session) -> None:
    campaign, _, _ = _sharing(session)
    codes = set(_questions(session, campaign))
    assert {"outcome", "pay", "recommend_intent", "recommended", "recommended_count"} <= codes


def test_attribution_through_two_hops(session: Session) -> None:
    campaign, _, (root,) = _sharing(session)
    first = _answer(session, campaign, root, "friend-1")
    assert (first.share_link_id, first.connector_id, first.hop) == (root.id, root.connector_id, 1)
    second_link = share_links.friend_link(session, campaign=campaign, response=first)
    assert share_links.friend_link(session, campaign=campaign, response=first).id == second_link.id
    assert (second_link.hop, second_link.parent_id, second_link.connector_id) == (2, root.id, root.connector_id)
    second = _answer(session, campaign, second_link, "friend-2")
    assert (second.hop, second.connector_id, second.share_link_id) == (2, root.connector_id, second_link.id)
    session.expire_all()
    root_row, hop2_row = session.get(ShareLink, root.id), session.get(ShareLink, second_link.id)
    assert root_row is not None and hop2_row is not None
    # The connector's link counts both responses and the second-hop share; the friend's link counts its own.
    assert (root_row.response_count, root_row.share_count) == (2, 1)
    assert (hop2_row.response_count, hop2_row.share_count) == (1, 0)
    reach = session.exec(select(ConnectorReach).order_by(col(ConnectorReach.hop))).all()
    assert [(row.hop, row.response_count, row.share_count) for row in reach] == [(1, 1, 1), (2, 1, 0)]
    connector = session.get(User, root.connector_id)
    assert connector is not None
    board = campaign_connectors.connector_dashboard(session, campaign=campaign, user=connector)
    assert board.reach == 2
    note = session.exec(select(Notification).where(Notification.user_id == connector.id)).all()
    assert any(n.kind == NotificationKind.network_response and "1 person" in n.text for n in note)


def test_members_answering_earn_the_brands_points_and_anonymous_friends_do_not(session: Session) -> None:
    campaign, community, (link,) = _sharing(session)
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    rewards_points.set_points_rule(session, brand=brand, action="survey_answered", points="10", daily_cap="5")
    member = make_user(session)
    _answer(session, campaign, link, "device-member", user=member)
    _answer(session, campaign, link, "device-anonymous")
    assert rewards_points.points_balance(session, user=member, brand_id=brand.id or 0) == 10
    assert session.exec(select(func.count()).select_from(PointsAward)).one() == 1


def test_one_response_per_device_and_per_email(session: Session) -> None:
    campaign, _, (link,) = _sharing(session)
    _answer(session, campaign, link, "device-a", email="Friend@Example.com", consent=True)
    try:
        _answer(session, campaign, link, "device-a")
    except Conflict as error:
        assert "already" in error.message
    else:
        raise AssertionError("a second response from the same device was accepted")
    try:
        _answer(session, campaign, link, "device-b", email="friend@example.com")
    except Conflict:
        pass
    else:
        raise AssertionError("a second response with the same e-mail address was accepted")
    assert session.exec(select(func.count()).select_from(CampaignResponse)).one() == 1
    assert session.exec(select(func.count()).select_from(SurveyResponse)).one() == 1
    session.expire_all()
    assert session.get(ShareLink, link.id).response_count == 1  # type: ignore[union-attr]


def test_invalid_answers_store_nothing(session: Session) -> None:
    campaign, _, (link,) = _sharing(session)
    questions = _questions(session, campaign)
    form = _answers(session, campaign, recommended="yes")  # "to how many people?" is then required
    try:
        campaign_answering.answer_campaign(
            session, link=link, campaign=campaign, form=form, device_token="d", email="not-an-email"
        )
    except Invalid as error:
        assert set(error.fields) == {questions["recommended_count"].input_name, "email"}
    else:
        raise AssertionError("invalid answers were accepted")
    assert session.exec(select(func.count()).select_from(SurveyResponse)).one() == 0
    session.expire_all()
    assert session.get(ShareLink, link.id).response_count == 0  # type: ignore[union-attr]
    # The conditional question is skipped when its condition is not met; with it met, its answer is kept.
    campaign_answering.answer_campaign(
        session,
        link=link,
        campaign=campaign,
        form=_answers(session, campaign, recommended="yes", count="3"),
        device_token="d",
    )


def test_responses_record_the_survey_version(session: Session) -> None:
    campaign, _, (link,) = _sharing(session)
    first = _answer(session, campaign, link, "v1")
    survey = campaign_answering.campaign_survey(session, campaign=campaign)
    surveys_questions.add_question(
        session, survey=survey, fields=surveys_questions.QuestionFields(kind=QuestionKind.text, prompt="Where?")
    )
    second = _answer(session, campaign, link, "v2")
    versions = [session.get(SurveyResponse, r.survey_response_id).survey_version for r in (first, second)]  # type: ignore[union-attr]
    assert versions == [1, 2]


def test_answering_only_in_its_windows(session: Session) -> None:
    campaign, _, (link,) = _sharing(session)
    move_to(session, campaign, "closed")
    try:
        _answer(session, campaign, link, "late")
    except Conflict:
        pass
    else:
        raise AssertionError("an answer after feedback closed was accepted")


def test_counters_equal_a_recount(session: Session) -> None:
    campaign, _, links = _sharing(session, connectors=3)
    number = 0
    for index, link in enumerate(links):
        for _ in range(index + 2):
            number += 1
            response = _answer(session, campaign, link, f"device-{number}")
            if number % 2:
                second = share_links.friend_link(session, campaign=campaign, response=response)
                number += 1
                _answer(session, campaign, second, f"device-{number}")
    assert_counters_match_a_recount(session, campaign)


def assert_counters_match_a_recount(session: Session, campaign: Campaign) -> None:
    """The stored counters (per link with its descendants, per connector and hop) against the raw rows."""
    session.expire_all()
    responses = session.exec(select(CampaignResponse).where(CampaignResponse.campaign_id == campaign.id)).all()
    links = {link.id: link for link in session.exec(select(ShareLink).where(ShareLink.campaign_id == campaign.id))}

    def ancestors(link_id: int | None) -> list[int]:
        chain = []
        while link_id is not None:
            chain.append(link_id)
            link_id = links[link_id].parent_id
        return chain

    expected_responses: dict[int, int] = dict.fromkeys(links, 0)
    expected_shares: dict[int, int] = dict.fromkeys(links, 0)
    for response in responses:
        for link_id in ancestors(response.share_link_id):
            expected_responses[link_id] += 1
    for link in links.values():
        for link_id in ancestors(link.parent_id):
            expected_shares[link_id] += 1
    assert {i: link.response_count for i, link in links.items()} == expected_responses
    assert {i: link.share_count for i, link in links.items()} == expected_shares
    reach: dict[tuple[int, int], int] = {}
    for response in responses:
        key = (response.connector_id, response.hop)
        reach[key] = reach.get(key, 0) + 1
    rows = session.exec(select(ConnectorReach).where(ConnectorReach.campaign_id == campaign.id)).all()
    assert {(row.connector_id, row.hop): row.response_count for row in rows if row.response_count} == reach


# --- The public page ----------------------------------------------------------------------------------------


def _form(session: Session, campaign: Campaign, **extra: str) -> dict[str, object]:
    return {**_answers(session, campaign), **extra}


def test_public_page_answers_without_an_account(client: TestClient, session: Session) -> None:
    campaign, _, (link,) = _sharing(session)
    page = client.get(f"/s/{link.code}")
    assert page.status_code == 200
    assert "survey-questions" in page.text and 'name="website"' in page.text
    assert "chorus_device" in page.cookies
    session.expire_all()
    assert session.get(ShareLink, link.id).open_count == 1  # type: ignore[union-attr]
    client.get(f"/s/{link.code}")  # the same browser again: not a new open
    session.expire_all()
    assert session.get(ShareLink, link.id).open_count == 1  # type: ignore[union-attr]

    questions = _questions(session, campaign)
    bad = client.post(
        f"/s/{link.code}",
        data={**_form(session, campaign, email="nope"), "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert bad.status_code == 422
    assert "Enter an e-mail address" in bad.text and 'value="nope"' in bad.text
    assert f'name="{questions["overall"].input_name}" value="4" id=' in bad.text  # what was chosen stays chosen
    done = client.post(
        f"/s/{link.code}",
        data={**_form(session, campaign, email="pal@example.com", consent="1"), "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/s/{link.code}/thanks")
    assert session.exec(select(CampaignResponse)).one().consent is True
    thanks = client.get(f"/s/{link.code}/thanks")
    assert "Thank you!" in thanks.text and "Get my own link" in thanks.text
    # Back on the survey, the same browser is sent to the thanks page; a second answer is refused.
    assert client.get(f"/s/{link.code}", follow_redirects=False).status_code == 303
    again = client.post(
        f"/s/{link.code}", data={**_form(session, campaign), "csrftoken": csrf_token(client)}, follow_redirects=False
    )
    assert again.status_code == 409
    # Passing it on gives a hop-2 link, shown with its QR code.
    client.post(f"/s/{link.code}/pass-on", data={"csrftoken": csrf_token(client)})
    own = session.exec(select(ShareLink).where(ShareLink.parent_id == link.id)).one()
    thanks = client.get(f"/s/{link.code}/thanks")
    assert own.code in thanks.text and "<svg" in thanks.text


def _with_photo_question(session: Session, campaign: Campaign) -> Question:
    survey = campaign_answering.campaign_survey(session, campaign=campaign)
    return add_question(session, survey, "photo", required=True, prompt="Where did you try it?")


def _photo_answers(session: Session) -> tuple[int, int]:
    """Answers holding an image, and images: what a refused photo must leave untouched."""
    with_image = select(func.count()).select_from(Answer).where(col(Answer.image_id).is_not(None))
    return session.exec(with_image).one(), session.exec(select(func.count()).select_from(MediaImage)).one()


def test_public_page_takes_a_photo_answer(client: TestClient, session: Session) -> None:
    campaign, _, (link,) = _sharing(session)
    photo = _with_photo_question(session, campaign)
    client.get(f"/s/{link.code}")
    refused = client.post(
        f"/s/{link.code}",
        data={**_form(session, campaign), "csrftoken": csrf_token(client)},
        files={photo.input_name: ("me.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png")},
    )
    assert refused.status_code == 422 and "SVG" in refused.text
    assert _photo_answers(session) == (0, 0)
    assert session.exec(select(func.count()).select_from(CampaignResponse)).one() == 0
    done = client.post(
        f"/s/{link.code}",
        data={**_form(session, campaign), "csrftoken": csrf_token(client)},
        files={photo.input_name: ("me.png", png_bytes(11), "image/png")},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/s/{link.code}/thanks")
    assert _photo_answers(session) == (1, 1)


def test_the_share_api_takes_json_and_a_form_with_a_photo(client: TestClient, session: Session) -> None:
    campaign, _, (link,) = _sharing(session)
    url = f"/api/v1/share/{link.code}/responses"
    client.get(f"/s/{link.code}")
    headers = {"x-csrftoken": csrf_token(client)}
    as_json = client.post(url, json={"answers": _answers(session, campaign), "device_token": "one"}, headers=headers)
    assert as_json.status_code == 201, as_json.text
    photo = _with_photo_question(session, campaign)
    not_a_form = client.post(url, content=b"answers=1", headers={**headers, "content-type": "text/plain"})
    assert not_a_form.status_code == 422
    too_long = client.post(url, data={**_answers(session, campaign), "device_token": "x" * 201}, headers=headers)
    assert too_long.status_code == 422 and "device_token" in too_long.text
    bad_file = client.post(
        url,
        data={**_answers(session, campaign), "device_token": "two"},
        files={photo.input_name: ("me.png", b"not an image at all", "image/png")},
        headers=headers,
    )
    assert bad_file.status_code == 422 and photo.input_name in field_errors(bad_file)
    assert _photo_answers(session) == (0, 0)
    answered = client.post(
        url,
        data={**_answers(session, campaign), "device_token": "two", "email": "pal@example.com", "consent": "true"},
        files={photo.input_name: ("me.png", png_bytes(12), "image/png")},
        headers=headers,
    )
    assert answered.status_code == 201, answered.text
    stored = session.get(CampaignResponse, answered.json()["id"])
    assert stored is not None and stored.consent is True and stored.email == "pal@example.com"
    assert _photo_answers(session) == (1, 1)


def test_honeypot_and_rate_limit(client: TestClient, session: Session, monkeypatch: object) -> None:
    campaign, _, (link,) = _sharing(session)
    client.get(f"/s/{link.code}")
    bot = client.post(
        f"/s/{link.code}",
        data={**_form(session, campaign, website="http://spam"), "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert bot.status_code == 303
    assert session.exec(select(func.count()).select_from(CampaignResponse)).one() == 0
    settings = get_settings()
    original = settings.campaign_response_rate_per_ip
    settings.campaign_response_rate_per_ip = "2/hour"
    try:
        rate_limits.reset()
        statuses = []
        for _ in range(3):
            client.cookies.delete("chorus_device")
            client.get(f"/s/{link.code}")
            response = client.post(
                f"/s/{link.code}", data={**_form(session, campaign), "csrftoken": csrf_token(client)}
            )
            statuses.append(response.status_code)
        assert statuses == [200, 200, 429]
    finally:
        settings.campaign_response_rate_per_ip = original
    assert session.exec(select(func.count()).select_from(CampaignResponse)).one() == 2


def test_joining_the_community_from_a_link_counts_a_sign_up(client: TestClient, session: Session) -> None:
    campaign, community, (link,) = _sharing(session)
    friend = make_user(session)
    refused = client.post(f"/s/{link.code}/join", data={"csrftoken": csrf_token(client)}, follow_redirects=False)
    assert refused.headers["location"].startswith("/login")
    log_in(client, session, friend)
    joined = client.post(f"/s/{link.code}/join", data={"csrftoken": csrf_token(client)}, follow_redirects=False)
    assert joined.headers["location"] == f"/c/{community.slug}"
    assert communities_service.get_membership(session, community=community, user=friend) is not None
    session.expire_all()
    assert session.get(ShareLink, link.id).signup_count == 1  # type: ignore[union-attr]
    board = campaign_connectors.connector_dashboard(
        session,
        campaign=campaign,
        user=session.get(User, link.connector_id),  # type: ignore[arg-type]
    )
    assert board.totals.signups == 1


def test_unknown_and_draft_links_are_not_found(client: TestClient, session: Session) -> None:
    campaign, _, (link,) = _sharing(session)
    assert client.get("/s/no-such-code").status_code == 404
    campaign.status = campaign.status.draft
    session.add(campaign)
    session.flush()
    assert client.get(f"/s/{link.code}").status_code == 404


def test_the_outcome_reaches_friends_who_agreed_to_be_contacted(session: Session) -> None:
    campaign, community, (link,) = _sharing(session)
    _answer(session, campaign, link, "yes-please", email="keen@example.com", consent=True)
    _answer(session, campaign, link, "no-thanks", email="quiet@example.com", consent=False)
    move_to(session, campaign, "closed")
    manager = make_user(session)
    campaign_roundtables.post_outcome(
        session, campaign=campaign, community=community, text="We are making it fizzier.", posted_by=manager
    )
    told = session.exec(
        select(OutboxEmail.to_address).where(col(OutboxEmail.subject).contains("what we are doing"))
    ).all()
    assert told == ["keen@example.com"]
