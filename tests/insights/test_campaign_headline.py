"""A campaign's outcome at a glance, counted by hand on the results world (tests/insights/factories.py): respondents,
reach against the declared networks, kits, responses per day with small days hidden, intent against action with
Wilson intervals, and the referral chain, monotone also on data that tries to break it; the same in the JSON, and
none of it for another brand's staff."""

from datetime import timedelta
from itertools import pairwise

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.brands.models import StaffRole
from app.campaigns import answering as campaign_answering
from app.campaigns import applications as campaign_applications
from app.campaigns import kits as campaign_kits
from app.campaigns import links as share_links
from app.campaigns import totals as campaign_totals
from app.campaigns.models import CampaignResponse, KitShipment
from app.insights import campaign_headline as headline
from app.insights import campaign_results as campaign_service
from app.insights import schemas
from app.insights.stats import wilson_interval
from app.surveys import responses as surveys_responses
from app.surveys.models import Answer, Survey, SurveyResponse
from tests.factories import add_staff, log_in, make_brand, make_user
from tests.insights.factories import OPENS, Answered, CampaignWorld, campaign_form, campaign_world


def _kept(session: Session, world: CampaignWorld) -> dict[str, dict[str, int]]:
    return campaign_totals.read_totals(session, campaign_id=world.campaign.id or 0)


def _glance(session: Session, world: CampaignWorld) -> schemas.CampaignHeadline:
    scope = campaign_service.campaign_scope(session, campaign=world.campaign)
    return campaign_service.campaign_headline(session, scope=scope)


def _ship(session: Session, world: CampaignWorld) -> None:
    """a's and b's kits go out; a confirms theirs arrived, b reports a problem; c's is still to be sent."""
    shipments = {
        shipment.application_id: shipment
        for shipment in session.exec(select(KitShipment).where(KitShipment.campaign_id == world.campaign.id)).all()
    }
    rows = ["kit_id,carrier,tracking_number"]
    for key in ("a", "b"):
        application = campaign_applications.get_application(
            session, campaign=world.campaign, user=world.connectors[key]
        )
        assert application is not None
        rows.append(f"{shipments[application.id].id},DHL,TRACK{key}")
    campaign_kits.import_tracking(
        session, campaign=world.campaign, community=world.community, content="\n".join(rows).encode()
    )
    campaign_applications.confirm_receipt(session, campaign=world.campaign, user=world.connectors["a"])
    campaign_applications.confirm_receipt(
        session, campaign=world.campaign, user=world.connectors["b"], problem="Leaked"
    )


def test_the_headline_figures_are_the_hand_counted_ones(session: Session) -> None:
    world = campaign_world(session)
    _ship(session, world)
    glance = _glance(session, world)
    assert glance.respondents == 18
    # Hop 1 opens (a 15, b 7, c 2) against three declared networks of 25.
    assert (glance.reached, glance.network_size) == (OPENS["a"] + OPENS["b"] + OPENS["c"], 75) == (24, 75)
    assert glance.reach_share == pytest.approx(24 / 75)
    assert glance.opens == sum(OPENS.values())
    assert (glance.kits_accepted, glance.kits_shipped, glance.kits_delivered, glance.kits_with_problem) == (3, 2, 2, 1)
    # The recommended action: 9 of 18 said keep it.
    assert glance.action is not None and glance.action.code == "outcome"
    keep = next(option for option in glance.action.options if option.key == "keep")
    assert (keep.share.count, keep.share.total) == (9, 18)
    # NPS: 7 promoters, 7 detractors and 4 passives of 18: the 4 are hidden, and so (the total being shown) one more
    # group and the score (the one rule, app.insights.suppression).
    assert glance.nps is not None and glance.nps.answered == 18 and glance.nps.passives is None
    assert glance.nps.score is None and None in (glance.nps.promoters, glance.nps.detractors)
    # Everyone answered the same day.
    day = session.exec(select(CampaignResponse.created_at).where(CampaignResponse.campaign_id == world.campaign.id))
    assert glance.responses_over_time == [
        schemas.ResponsesOnDay(day=next(iter(day)).strftime("%Y-%m-%d"), responses=18)
    ]


def test_responses_per_day_hide_small_days_and_the_day_that_would_give_them_away(session: Session) -> None:
    world = campaign_world(session)
    responses = session.exec(
        select(CampaignResponse)
        .where(CampaignResponse.campaign_id == world.campaign.id)
        .order_by(col(CampaignResponse.id))
    ).all()
    for moved, response in enumerate(responses[:5]):
        response.created_at = response.created_at - timedelta(days=1 if moved < 3 else 2)
        session.add(response)
    session.flush()
    # Answers are not moved between days by any use case: the kept totals are recounted after moving them.
    campaign_totals.recount_campaign_totals(session, campaign_id=world.campaign.id or 0)
    days = headline.responses_over_time(_kept(session, world))
    # 2, 3 and 13: both small days hidden; the 13 stays, as two hidden cells do not give each other away.
    assert [day.responses for day in days] == [None, None, 13]
    assert days[0].day < days[1].day < days[2].day
    for response in responses[:5]:
        response.created_at = responses[-1].created_at - timedelta(days=1)
        session.add(response)
    session.flush()
    campaign_totals.recount_campaign_totals(session, campaign_id=world.campaign.id or 0)
    assert [day.responses for day in headline.responses_over_time(_kept(session, world))] == [5, 13]


def test_intent_against_action_counts_each_group_over_its_own_respondents(session: Session) -> None:
    world = campaign_world(session)
    intent = headline.intent_action(session, survey=_survey(session, world), totals=_kept(session, world))
    assert intent is not None and not intent.suppressed
    promoters, detractors = intent.groups
    # Promoters (9-10): three through a, two through a2, two through b; four of them told someone. The first of
    # a's passed a link on (a2), which was opened: the one recorded action.
    assert (promoters.key, promoters.respondents) == ("promoters", 7)
    # 4 of 7 would give away the 3 who did not, 1 of 7 the one who did: both hidden by the one rule.
    assert (promoters.said_recommended.count, promoters.said_recommended.total) == (None, 7)
    assert promoters.said_recommended.suppressed and promoters.said_recommended.low is None
    assert (promoters.link_opened.count, promoters.link_opened.total, promoters.link_opened.suppressed) == (
        None,
        7,
        True,
    )
    # Detractors (0-6): seven, none of whom told anyone or passed a link on.
    assert (detractors.key, detractors.respondents) == ("detractors", 7)
    assert (detractors.said_recommended.count, detractors.said_recommended.share) == (0, 0.0)
    assert detractors.said_recommended.low == 0.0 and detractors.said_recommended.high == pytest.approx(
        wilson_interval(0, 7)[1]
    )
    # The four passives (7-8) are in neither group, and four is too few to show.
    assert intent.passives is None


def _survey(session: Session, world: CampaignWorld) -> Survey | None:
    return campaign_service.campaign_scope(session, campaign=world.campaign).survey


def test_hidden_answers_leave_the_groups_and_a_group_under_5_is_hidden_with_its_shares(session: Session) -> None:
    world = campaign_world(session)
    detractors = session.exec(
        select(SurveyResponse)
        .join(Answer, col(Answer.response_id) == SurveyResponse.id)
        .where(Answer.question_id == world.questions["recommend_intent"].id, col(Answer.number_value) <= 6)
    ).all()
    assert len(detractors) == 7
    for response in detractors[:3]:  # as moderation hides them
        assert surveys_responses.set_response_hidden(session, response_id=response.id or 0, hidden=True)
        share_links.count_response_shown(session, survey_response_id=response.id or 0, shown=False)
    intent = headline.intent_action(session, survey=_survey(session, world), totals=_kept(session, world))
    assert intent is not None
    promoters, left = intent.groups
    assert promoters.respondents == 7 and left.respondents is None
    assert left.said_recommended.suppressed and left.said_recommended.count is None
    assert left.link_opened.suppressed and left.link_opened.share is None


def _adversarial(session: Session, world: CampaignWorld) -> None:
    """Links that skip a step: b2 (from a promoter through b) answered and joined through without a recorded open;
    c2 (from c's one answer) opened and nothing else."""
    first_of = {}
    for key in ("b", "c"):
        first_of[key] = session.exec(
            select(CampaignResponse)
            .where(CampaignResponse.share_link_id == world.links[key].id)
            .order_by(col(CampaignResponse.id))
        ).first()
    b2 = share_links.friend_link(session, campaign=world.campaign, response=first_of["b"])
    campaign_answering.answer_campaign(
        session,
        link=b2,
        campaign=world.campaign,
        form=campaign_form(world.questions, Answered("keep", 5, 10)),
        device_token="device-unopened",
    )
    share_links.join_through_link(
        session, link=b2, campaign=world.campaign, community=world.community, user=make_user(session)
    )
    c2 = share_links.friend_link(session, campaign=world.campaign, response=first_of["c"])
    share_links.record_open(session, link=c2)


def _assert_monotone(steps: list[schemas.FunnelStep]) -> None:
    counts = [step.people for step in steps]
    assert all(count is not None for count in counts)
    assert all(later <= earlier for earlier, later in pairwise(counts)), counts  # type: ignore[operator]
    assert all(step.of == earlier.people for earlier, step in pairwise(steps))


def test_the_referral_chain_never_grows_even_on_links_that_skip_a_step(session: Session) -> None:
    world = campaign_world(session)
    chain = headline.referral_chain(session, campaign=world.campaign)
    assert [(step.key, step.people) for step in chain] == [("shared", 4), ("opened", 4), ("answered", 4), ("joined", 2)]
    _adversarial(session, world)
    chain = headline.referral_chain(session, campaign=world.campaign)
    # b2 was answered and brought a member without a recorded open: not an opened link, so neither answered nor
    # joined; c2 was opened only. b's own counters include b2's answer, but b's own events are what count.
    assert [(step.key, step.people, step.of) for step in chain] == [
        ("shared", 6, None),
        ("opened", 5, 6),
        ("answered", 4, 5),
        ("joined", 2, 4),
    ]
    assert chain[2].note == "4 of 5 opened links were answered"
    _assert_monotone(chain)
    # The recorded action of intent against action is not fooled either: b2 was never opened.
    intent = headline.intent_action(session, survey=_survey(session, world), totals=_kept(session, world))
    assert intent is not None and intent.groups[0].link_opened.suppressed  # 1 (not 2) of 8: hidden
    # One connector's links and one hop give their own chains, monotone too.
    for connector_id, hops in ((world.connectors["b"].id, ()), (None, (2,)), (world.connectors["a"].id, (1,))):
        _assert_monotone(
            headline.referral_chain(session, campaign=world.campaign, connector_id=connector_id, hops=hops)
        )
    b_chain = headline.referral_chain(session, campaign=world.campaign, connector_id=world.connectors["b"].id)
    assert [step.people for step in b_chain] == [2, 1, 1, 0]


def test_the_json_carries_the_headline_and_another_brands_staff_get_404(client: TestClient, session: Session) -> None:
    world = campaign_world(session)
    analyst = make_user(session)
    add_staff(session, world.brand, analyst, StaffRole.analyst)
    log_in(client, session, analyst)
    url = f"/api/v1/communities/{world.community.slug}/campaigns/{world.campaign.slug}/insights"
    body = client.get(url, params={"a_connector": world.connectors["b"].handle}).json()
    glance = body["headline"]
    # The headline is the whole campaign's whatever the segment (b's 5 respondents here).
    assert body["respondents"] == 5 and glance["respondents"] == 18
    assert (glance["reached"], glance["network_size"], glance["kits_accepted"]) == (24, 75, 3)
    assert glance["nps"]["answered"] == 18 and glance["action"]["code"] == "outcome"
    assert [day["responses"] for day in glance["responses_over_time"]] == [18]
    groups = {group["key"]: group for group in glance["intent_action"]["groups"]}
    assert groups["promoters"]["said_recommended"]["count"] is None and groups["promoters"]["respondents"] == 7
    assert groups["detractors"]["link_opened"]["total"] == 7 and glance["intent_action"]["passives"] is None
    assert [step["people"] for step in glance["referral_chain"]] == [4, 4, 4, 2]
    assert [step["people"] for step in body["funnel"]] == [1, 1, 1, 0]  # b's own link
    # Documented in OpenAPI.
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert {"CampaignHeadline", "IntentAction", "IntentGroup", "ResponsesOnDay"} <= set(schema)
    assert "reached" in schema["CampaignHeadline"]["properties"]
    # Another brand's analyst sees neither the JSON nor the page.
    client.cookies.clear()
    outsider = make_user(session)
    add_staff(session, make_brand(session, name="Other Drinks"), outsider, StaffRole.analyst)
    log_in(client, session, outsider)
    assert client.get(url).status_code == 404
    page = f"/c/{world.community.slug}/campaigns/{world.campaign.slug}/insights"
    assert client.get(page).status_code == 404
