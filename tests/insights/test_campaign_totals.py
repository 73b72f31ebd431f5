"""The campaign results read from the kept totals (app.campaigns.totals) show exactly what the raw queries showed
before them (tests/insights/old_campaign_results.py, the old code): on a generated campaign of a few hundred
connectors over two hops (totals recounted after the bulk load), and again after events moved them (answers hidden
and shown by moderation, links opened and passed on, samples corrected).

Every page of the connectors' table in every sort and direction is compared, so that after the events, when one
connector is hidden only to protect the one with 1-4 responses, it is placed as before wherever it falls."""

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.campaigns import connectors as campaign_connectors
from app.campaigns import links as share_links
from app.campaigns import totals as campaign_totals
from app.campaigns.models import Campaign, CampaignApplication, CampaignResponse, ShareLink
from app.communities.models import Community
from app.db import build_engine, migrate
from app.generate import generate_campaign
from app.insights import campaign_results as campaign_service
from app.surveys import responses as surveys_responses
from app.surveys.models import SurveyResponse
from tests import databases
from tests.insights import old_campaign_results as old

PER_PAGE = 37


@pytest.fixture
def generated(tmp_path: Path) -> Iterator[tuple[Engine, int]]:
    with databases.temporary_database(label="totals", sqlite_dir=tmp_path) as url:
        migrate(url)
        engine = build_engine(url)
        try:
            campaign = generate_campaign(engine, responses=900, connectors=160, hops=2, network_size=10)
            yield engine, campaign.campaign_id
        finally:
            engine.dispose()


def assert_results_as_before(session: Session, campaign_id: int) -> None:
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    community = session.get(Community, campaign.community_id)
    assert community is not None
    scope = campaign_service.campaign_scope(session, campaign=campaign)
    results = campaign_service.campaign_results(session, scope=scope, community=community)
    glance = results.headline
    assert scope.reach == campaign_connectors.reach_by_hop(session, campaign=campaign)
    assert glance.network_size == old.declared_network_size(session, campaign=campaign)
    assert glance.responses_over_time == old.responses_over_time(session, campaign=campaign)
    assert glance.intent_action == old.intent_action(session, campaign=campaign, survey=scope.survey)
    assert glance.intent_action is not None and glance.intent_action.groups[0].respondents
    assert glance.referral_chain == old.referral_chain(session, campaign=campaign)
    assert results.funnel == glance.referral_chain
    everyone = old.connector_results(session, campaign=campaign, per_page=None)
    assert results.connectors == everyone.rows[: campaign_service.CONNECTORS_PER_PAGE]
    assert results.connector_total == everyone.total == len(everyone.rows)
    assert any(row.suppressed for row in everyone.rows) and any(not row.suppressed for row in everyone.rows)
    pages = -(-everyone.total // PER_PAGE) + 1  # one page past the end, which is empty
    for sort in campaign_service.SORTS:
        for descending in (True, False):
            whole = campaign_service.connector_results(
                session, campaign=campaign, sort=sort, descending=descending, per_page=None
            )
            assert (
                whole.rows
                == old.connector_results(
                    session, campaign=campaign, sort=sort, descending=descending, per_page=None
                ).rows
            )
            for page in range(1, pages + 1):
                kept = campaign_service.connector_results(
                    session, campaign=campaign, sort=sort, descending=descending, page=page, per_page=PER_PAGE
                )
                before = old.connector_results(
                    session, campaign=campaign, sort=sort, descending=descending, page=page, per_page=PER_PAGE
                )
                assert (kept.rows, kept.total) == (before.rows, before.total), (sort, descending, page)


def test_a_generated_campaign_shows_what_the_raw_queries_showed(generated: tuple[Engine, int]) -> None:
    engine, campaign_id = generated
    with Session(engine) as session:
        assert campaign_totals.kept_totals(session, campaign_id=campaign_id) == campaign_totals.recounted_totals(
            session, campaign_id=campaign_id
        )
        assert_results_as_before(session, campaign_id)


def test_after_events_the_results_are_still_what_the_raw_queries_show(generated: tuple[Engine, int]) -> None:
    engine, campaign_id = generated
    rng = random.Random(19)
    with Session(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        answers = session.exec(select(CampaignResponse).where(CampaignResponse.campaign_id == campaign_id)).all()
        for answer in rng.sample(list(answers), 60):  # hidden by moderation, a third of them shown again
            _hide(session, answer)
            if rng.random() < 0.3:
                surveys_responses.set_response_hidden(session, response_id=answer.survey_response_id, hidden=False)
                share_links.count_response_shown(session, survey_response_id=answer.survey_response_id, shown=True)
        links = session.exec(select(ShareLink).where(ShareLink.campaign_id == campaign_id)).all()
        for link in rng.sample(list(links), 40):
            share_links.record_open(session, link=link)
        # First opens of links that respondents passed on: their intent against action moves.
        for link in [link for link in links if link.created_by_response_id and not link.open_count][:10]:
            share_links.record_open(session, link=link)
        applications = session.exec(
            select(CampaignApplication)
            .where(CampaignApplication.campaign_id == campaign_id)
            .order_by(col(CampaignApplication.id))
        ).all()
        for application in applications[:30]:
            user = session.get(User, application.user_id)
            assert user is not None
            campaign_connectors.record_samples_passed_on(
                session, campaign=campaign, user=user, count=rng.choice([0, 1, 3, 10])
            )
        _leave_one_small_connector(session, campaign_id)
        assert campaign_totals.kept_totals(session, campaign_id=campaign_id) == campaign_totals.recounted_totals(
            session, campaign_id=campaign_id
        )
        kept = campaign_totals.read_totals(session, campaign_id=campaign_id)
        assert campaign_service._protecting(session, campaign=campaign, kept=kept) is not None
        assert_results_as_before(session, campaign_id)


def _hide(session: Session, answer: CampaignResponse) -> None:
    if surveys_responses.set_response_hidden(session, response_id=answer.survey_response_id, hidden=True):
        share_links.count_response_shown(session, survey_response_id=answer.survey_response_id, shown=False)


def _leave_one_small_connector(session: Session, campaign_id: int) -> None:
    """Moderation hides every shown answer through connectors with 1-4, then all but two of one with more: one
    hidden cell alone, which the connector with the fewest shown responses must be hidden to protect."""
    shown: dict[int, list[CampaignResponse]] = {}
    for answer, hidden_at in session.exec(
        select(CampaignResponse, SurveyResponse.hidden_at)
        .join(SurveyResponse, col(SurveyResponse.id) == CampaignResponse.survey_response_id)
        .where(CampaignResponse.campaign_id == campaign_id)
        .order_by(col(CampaignResponse.id))
    ).all():
        if hidden_at is None:
            shown.setdefault(answer.connector_id, []).append(answer)
    larger = [answers for answers in shown.values() if len(answers) >= 5]
    for answers in shown.values():
        if len(answers) < 5:
            for answer in answers:
                _hide(session, answer)
    for answer in larger[0][2:]:
        _hide(session, answer)
