"""Campaign results: the referral chain, reach by hop and connectors against a recount of the raw rows, campaign
segments (connector, hops, answers) and their suppression, a survey shared with other responses, the responses'
export with consented e-mails only, and the chart posted with the outcome."""

from collections import Counter

import pytest
from sqlmodel import Session, col, select

from app.campaigns.models import CampaignResponse
from app.errors import Invalid
from app.insights import campaign_exports, campaign_outcome, schemas
from app.insights import campaign_results as campaign_service
from app.insights import survey_results as results_service
from app.insights.segments import read_campaign_segment
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import Answer, Question
from tests.campaigns.factories import make_campaign, move_to
from tests.insights.factories import (
    ANSWERS,
    OPENS,
    SAMPLES,
    SIGNUPS,
    Answered,
    CampaignWorld,
    campaign_form,
    campaign_world,
)


def _results(
    session: Session, world: CampaignWorld, params: dict[str, list[str]] | None = None, **kwargs: object
) -> schemas.CampaignResults:
    scope = campaign_service.campaign_scope(session, campaign=world.campaign)
    chosen = None
    if params is not None:
        questions = results_service.questions_by_id(session, survey=scope.survey) if scope.survey else {}
        form = read_campaign_segment(params, "a", questions)
        assert form.errors == []
        chosen = campaign_service.campaign_filter(session, scope=scope, form=form)
    return campaign_service.campaign_results(
        session,
        scope=scope,
        community=world.community,
        chosen=chosen,
        **kwargs,  # type: ignore[arg-type]
    )


def _answers(session: Session, world: CampaignWorld, code: str) -> list[tuple[CampaignResponse, Answer]]:
    """The raw answers to one question of the campaign's responses, with the campaign response each belongs to."""
    return list(
        session.exec(
            select(CampaignResponse, Answer)
            .join(Answer, col(Answer.response_id) == CampaignResponse.survey_response_id)
            .where(CampaignResponse.campaign_id == world.campaign.id, Answer.question_id == world.questions[code].id)
        ).all()
    )


def _steps(results: schemas.CampaignResults) -> dict[str, int | None]:
    return {step.key: step.people for step in results.funnel}


def test_funnel_hops_and_connectors_equal_a_recount_of_the_raw_rows(session: Session) -> None:
    world = campaign_world(session)
    results = _results(session, world)
    responses = session.exec(select(CampaignResponse).where(CampaignResponse.campaign_id == world.campaign.id)).all()
    promoters = sum(1 for _, answer in _answers(session, world, "recommend_intent") if (answer.number_value or 0) >= 9)
    said_yes = sum(1 for _, answer in _answers(session, world, "recommended") if answer.option_key == "yes")
    told = sum(int(answer.number_value or 0) for _, answer in _answers(session, world, "recommended_count"))
    # The four links (a, a2, b, c) were all opened and answered; a and a2 brought sign-ups.
    assert _steps(results) == {"shared": 4, "opened": 4, "answered": 4, "joined": len(SIGNUPS)}
    assert results.funnel[3].note == "2 of 4 answered links brought a sign-up"
    # The figures of the world, for the reader: 7 promoters, 6 who recommended it to 16 people in all, 18 answers.
    assert (promoters, said_yes, told, len(responses)) == (7, 6, 16, 18)
    assert results.recommended_to == told
    assert results.respondents == 18 and results.survey is not None and results.survey.respondents == 18

    per_hop = Counter(response.hop for response in responses)
    assert (per_hop[1], per_hop[2]) == (14, 4)
    # The 4 of hop 2 are hidden, and the 14 with them (18 answered in all would give the 4 away).
    assert [(row.hop, row.responses, row.opens, row.signups, row.shares) for row in results.hops] == [
        (1, None, OPENS["a"] + OPENS["b"] + OPENS["c"], SIGNUPS["a"], 1),
        (2, None, OPENS["a2"], SIGNUPS["a2"], 0),
    ]
    per_connector = Counter(response.connector_id for response in responses)
    assert [per_connector[world.connectors[key].id] for key in ("a", "b", "c")] == [12, 5, 1]
    by_handle = {row.handle: row for row in results.connectors}
    for key, connector in world.connectors.items():
        row = by_handle[connector.handle]
        opens = OPENS[key] + (OPENS["a2"] if key == "a" else 0)
        assert (row.opens, row.samples_passed_on) == (opens, SAMPLES[key])
    # c's 1 response is hidden, and b's 5 with it (the campaign's 18 would give it away); their rates go with them.
    a, b, c = (by_handle[world.connectors[key].handle] for key in ("a", "b", "c"))
    assert (a.responses, b.responses, c.responses) == (12, None, None)
    assert (a.suppressed, b.suppressed, c.suppressed) == (False, True, True)
    assert b.response_rate is None and c.response_rate is None
    # Best reaching first by default; a 12-of-10 rate (friends passed the link on) is above 100 %.
    assert results.connectors[0].handle == world.connectors["a"].handle
    assert a.response_rate == pytest.approx(1.2)


def test_connectors_sort_by_any_column_either_way(session: Session) -> None:
    world = campaign_world(session)
    a, b, c = (world.connectors[key].handle for key in ("a", "b", "c"))
    # b's and c's responses are hidden (c's 1, and b's 5 that would give it away): they tie, by name.
    hidden = sorted(
        [b, c],
        key=lambda handle: next(
            (user.display_name.casefold(), user.handle) for user in world.connectors.values() if user.handle == handle
        ),
    )
    order = {
        ("rate", True): [a, *hidden],  # no rate shown for b (hidden) and c (no sample): last
        ("rate", False): [*hidden, a],
        ("opens", True): [a, b, c],
        ("samples", False): [c, b, a],
        ("signups", True): [a, *hidden],
    }
    for (sort, descending), expected in order.items():
        rows = campaign_service.connector_results(session, campaign=world.campaign, sort=sort, descending=descending)
        assert [row.handle for row in rows.rows] == expected, (sort, descending)
    names = campaign_service.connector_results(session, campaign=world.campaign, sort="name", descending=False).rows
    assert [row.display_name.casefold() for row in names] == sorted(row.display_name.casefold() for row in names)


def test_a_connector_segment_counts_their_respondents_and_their_reach(session: Session) -> None:
    world = campaign_world(session)
    connector = world.connectors["a"]
    results = _results(session, world, {"a_connector": [f"@{connector.handle.upper()}"]})
    assert results.segment == schemas.CampaignSegment(connector=connector.handle, hops=[])
    theirs = [
        answer
        for response, answer in _answers(session, world, "recommend_intent")
        if response.connector_id == connector.id
    ]
    assert results.respondents == len(theirs) == 12
    # The chain of a's two links (their own and the one a friend passed on).
    assert _steps(results) == {"shared": 2, "opened": 2, "answered": 2, "joined": 2}
    assert [(row.hop, row.responses) for row in results.hops] == [(1, None), (2, None)]  # 8 and 4 of 12
    # The connectors' table stays the whole campaign's.
    assert len(results.connectors) == 3


def test_every_count_of_respondents_under_5_is_hidden_on_the_funnel_hops_and_connectors(session: Session) -> None:
    world = campaign_world(session)
    # Through a's links: 12 answered, 4 of them said they recommended it, the same 4 who say how many they told.
    results = _results(session, world, {"a_connector": [world.connectors["a"].handle]})
    assert results.survey is not None
    told = next(question for question in results.survey.questions if question.code == "recommended_count")
    assert told.suppressed and results.recommended_to is None
    # Responses per hop and per connector: no shown count of 1-4, and no hidden one alone in its column.
    everyone = _results(session, world)
    for values in ([row.responses for row in everyone.hops], [row.responses for row in everyone.connectors]):
        assert all(value is None or value == 0 or value >= 5 for value in values)
        assert values.count(None) != 1
    assert all(row.response_rate is None for row in everyone.connectors if row.responses is None)


def test_hop_segments_are_suppressed_when_small_or_leaving_few_out(session: Session) -> None:
    world = campaign_world(session)
    second = _results(session, world, {"a_hop": ["2"]})
    assert second.survey is not None and second.survey.suppressed and second.respondents is None
    # Hop 1 has 14 respondents, but leaves the 4 of hop 2 out: the campaign minus it would show them.
    first = _results(session, world, {"a_hop": ["1"]})
    assert first.survey is not None and first.survey.suppressed
    # The counters' reach is not about anyone's answers: it is shown for both.
    assert [row.hop for row in second.hops] == [2] and second.hops[0].opens == OPENS["a2"]
    assert _steps(second) == {"shared": 1, "opened": 1, "answered": 1, "joined": 1}  # a2 alone
    both = _results(session, world, {"a_hop": ["1", "2"]})
    assert both.respondents == 18 and both.survey is not None and not both.survey.suppressed


def test_answer_segments_count_answers_and_leave_unattributable_reach_out(session: Session) -> None:
    world = campaign_world(session)
    outcome = world.questions["outcome"].id
    keep = _results(session, world, {"a": [f"{outcome}:keep"]})
    kept = [response for response, answer in _answers(session, world, "outcome") if answer.option_key == "keep"]
    assert keep.respondents == len(kept) == 9
    # The links' counters know nobody's answers: every step of the chain says so instead of guessing.
    assert all(step.people is None and step.note == campaign_service.NOT_ATTRIBUTABLE for step in keep.funnel)
    assert [step.key for step in keep.funnel] == ["shared", "opened", "answered", "joined"]
    promoters = sum(1 for answers in ANSWERS.values() for one in answers if one.outcome == "keep" and one.nps >= 9)
    assert promoters == 7
    # 7 promoters of 9 would show the other 2: the NPS is hidden by the one rule (its complement is under 5).
    assert keep.survey is not None and (keep.survey.nps is None or keep.survey.nps.promoters is None)
    # Segment and connector together: the keepers who came through b.
    both = _results(session, world, {"a": [f"{outcome}:keep"], "a_connector": [world.connectors["b"].handle]})
    assert both.survey is not None and both.survey.suppressed  # 2 of them


def test_an_unknown_connector_is_refused(session: Session) -> None:
    world = campaign_world(session)
    scope = campaign_service.campaign_scope(session, campaign=world.campaign)
    questions = results_service.questions_by_id(session, survey=scope.survey) if scope.survey else {}
    for handle in ("nobody_at_all", world.manager.handle):
        form = read_campaign_segment({"a_connector": [handle]}, "a", questions)
        with pytest.raises(Invalid, match="is not a connector of this campaign"):
            campaign_service.campaign_filter(session, scope=scope, form=form)
    bad = read_campaign_segment({"a_hop": ["0", "x", "2"]}, "a", questions)
    assert bad.hops == (2,) and len(bad.errors) == 2


def test_a_survey_shared_with_other_responses_counts_only_the_campaigns(session: Session) -> None:
    world = campaign_world(session)
    scope = campaign_service.campaign_scope(session, campaign=world.campaign)
    assert scope.survey is not None and not scope.shared
    # The brand records three responses of its own on the same survey (say, from a shop's tablet).
    for outcome in ("scrap", "scrap", "scrap"):
        answered = Answered(outcome, 1, 0)
        surveys_responses.record_response(session, survey=scope.survey, form=campaign_form(world.questions, answered))
    scope = campaign_service.campaign_scope(session, campaign=world.campaign)
    assert scope.shared and scope.survey is not None and scope.survey.response_count == 21
    # The campaign's figures are its 18 responses' (not the survey's tallies, which count 21) ... but the survey
    # minus the campaign is 3 people: shown beside the survey's own results, they could be worked out. Hidden.
    results = campaign_service.campaign_results(session, scope=scope, community=world.community)
    assert results.survey is not None and results.survey.suppressed
    for outcome in ("scrap", "keep"):
        answered = Answered(outcome, 1, 0)
        surveys_responses.record_response(session, survey=scope.survey, form=campaign_form(world.questions, answered))
    scope = campaign_service.campaign_scope(session, campaign=world.campaign)
    results = campaign_service.campaign_results(session, scope=scope, community=world.community)
    assert results.survey is not None and results.survey.respondents == 18
    keep = next(o for o in results.survey.outcome.options if o.key == "keep") if results.survey.outcome else None
    assert keep is not None and keep.share.count == 9 and keep.share.total == 18
    # A campaign segment is checked against the campaign's respondents too: everyone but the 4 of hop 2 is 14.
    questions = results_service.questions_by_id(session, survey=scope.survey)
    form = read_campaign_segment({"a_hop": ["1"]}, "a", questions)
    chosen = campaign_service.campaign_filter(session, scope=scope, form=form)
    hop1 = campaign_service.campaign_results(session, scope=scope, community=world.community, chosen=chosen)
    assert hop1.survey is not None and hop1.survey.suppressed


def test_the_responses_export_adds_connector_hop_and_consented_emails_only(session: Session) -> None:
    world = campaign_world(session)
    scope = campaign_service.campaign_scope(session, campaign=world.campaign)
    assert scope.survey is not None
    questions = list(results_service.questions_by_id(session, survey=scope.survey).values())
    header = campaign_exports.response_header(scope, questions)
    rows = [
        dict(zip(header, row, strict=True))
        for row in campaign_exports.response_rows(session, scope=scope, questions=questions)
    ]
    assert header[:5] == ["response_id", "submitted_at", "connector", "hop", "email"] and len(rows) == 18
    emails = sorted(row["email"] for row in rows if row["email"])
    # first@ and =cmd@ agreed to be contacted; second@ gave an address without agreeing: not exported.
    assert emails == ["=cmd@example.com", "first@example.com"]
    handles = {world.connectors[key].handle: key for key in world.connectors}
    assert Counter((handles[row["connector"]], row["hop"]) for row in rows) == {
        ("a", 1): 8,
        ("a", 2): 4,
        ("b", 1): 5,
        ("c", 1): 1,
    }
    first = next(row for row in rows if row["email"] == "first@example.com")
    assert (first["outcome"], first["recommend_intent"], first["recommended_count"]) == ("keep", "10", "3")
    # A segment's export, and a suppressed one's (nothing).
    keep = read_campaign_segment(
        {"a": [f"{world.questions['outcome'].id}:keep"]}, "a", {q.id or 0: q for q in questions}
    )
    chosen = campaign_service.campaign_filter(session, scope=scope, form=keep)
    assert len(list(campaign_exports.response_rows(session, scope=scope, questions=questions, chosen=chosen))) == 9
    few = read_campaign_segment({"a_hop": ["2"]}, "a", {q.id or 0: q for q in questions})
    hidden = campaign_service.campaign_filter(session, scope=scope, form=few)
    assert list(campaign_exports.response_rows(session, scope=scope, questions=questions, chosen=hidden)) == []


def _question(world: CampaignWorld, code: str) -> Question:
    return world.questions[code]


def test_the_outcome_carries_a_snapshot_of_the_chosen_chart(session: Session) -> None:
    world = campaign_world(session)
    move_to(session, world.campaign, "feedback")
    scope = campaign_service.campaign_scope(session, campaign=world.campaign)
    choices = dict(campaign_outcome.outcome_chart_choices(session, scope=scope))
    outcome_choice = f"q{_question(world, 'outcome').id}"
    assert {"", "nps", "funnel", outcome_choice} <= set(choices)
    assert f"q{_question(world, 'comments').id}" not in choices  # free text has no chart
    campaign = campaign_outcome.post_outcome(
        session, scope=scope, community=world.community, text="You told us: keep it.", chart=outcome_choice,
        posted_by=world.manager,
    )  # fmt: skip
    posted = campaign_outcome.posted_chart(campaign)
    assert posted is not None and posted.kind == "question" and posted.respondents == 18
    assert posted.question is not None and posted.question.code == "outcome"
    assert campaign_outcome.chosen_chart(campaign) == outcome_choice
    # Later answers do not move the posted chart; posting again takes the figures as they are then.
    for kind, check in (("nps", lambda chart: chart.nps.promoters == 7), ("funnel", lambda chart: chart.funnel)):
        campaign = campaign_outcome.post_outcome(
            session, scope=scope, community=world.community, text="Again", chart=kind, posted_by=world.manager
        )
        snapshot = campaign_outcome.posted_chart(campaign)
        assert snapshot is not None and snapshot.kind == kind and check(snapshot)
    campaign = campaign_outcome.post_outcome(
        session, scope=scope, community=world.community, text="No chart", chart="", posted_by=world.manager
    )
    assert campaign.outcome_chart is None and campaign_outcome.chosen_chart(campaign) == ""
    with pytest.raises(Invalid) as unknown:
        campaign_outcome.post_outcome(
            session, scope=scope, community=world.community, text="x", chart="q999999", posted_by=world.manager
        )
    assert "outcome_chart" in unknown.value.fields


def test_an_outcome_chart_of_fewer_than_5_answers_is_refused(session: Session) -> None:
    world = campaign_world(session)
    few = make_campaign(session, world.community, phase="feedback")
    scope = campaign_service.campaign_scope(session, campaign=few)
    assert scope.survey is not None
    outcome = next(q for q in surveys_questions.list_questions(session, survey=scope.survey) if q.code == "outcome")
    for chart in ("nps", "funnel", f"q{outcome.id}"):
        with pytest.raises(Invalid) as refused:
            campaign_outcome.post_outcome(
                session, scope=scope, community=world.community, text="Thanks", chart=chart, posted_by=world.manager
            )
        assert refused.value.fields == {
            "outcome_chart": "Fewer than 5 people answered this: the chart cannot be shown to participants."
        }
    assert few.outcome_posted_at is None
