"""The demo campaigns (seed/campaigns.py) in the demo's testers community, on a copy of the run's seeded demo."""

import io
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress
from sqlmodel import Session, func, select

from app.accounts import service as accounts_service
from app.campaigns import answering as campaign_answering
from app.campaigns import applications as campaign_applications
from app.campaigns import connectors as campaign_connectors
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns.models import (
    ApplicationStatus,
    CampaignApplication,
    CampaignPhase,
    KitShipment,
    RoundtableInvitation,
    ShipmentStatus,
)
from app.columns import utcnow
from app.communities import service as communities_service
from app.insights import campaign_headline, campaign_outcome
from app.surveys.models import Answer
from seed.campaigns import (
    APPLYING_CAMPAIGN,
    FINISHED_CAMPAIGN,
    FINISHED_KITS,
    RUNNING_CAMPAIGN,
    RUNNING_KITS,
    SHIPPING_CAMPAIGN,
    SHIPPING_KITS,
    TESTERS,
    seed_campaigns,
)
from tests.demo import demo_session


@pytest.fixture
def session(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Session]:
    with demo_session(tmp_path_factory, tmp_path) as session:
        yield session


def test_demo_campaigns_are_seeded_once(session: Session) -> None:
    """The demo seed ran seed_campaigns once (tests/demo.py checks that it created the demo)."""
    community = communities_service.get_community_by_slug(session, slug=TESTERS)
    mia = accounts_service.find_user_by_email(session, email="member@chorus.demo")
    assert mia is not None
    progress = Progress(console=Console(file=io.StringIO()))

    running = session.exec(campaign_lifecycle.select_campaign(community, RUNNING_CAMPAIGN)).one()
    finished = session.exec(campaign_lifecycle.select_campaign(community, FINISHED_CAMPAIGN)).one()
    now = utcnow()
    assert campaign_lifecycle.phase(running, now) == CampaignPhase.sharing
    assert campaign_lifecycle.phase(finished, now) == CampaignPhase.closed
    assert (running.kits_accepted, finished.kits_accepted) == (RUNNING_KITS, FINISHED_KITS)
    progress_now = campaign_connectors.campaign_progress(session, campaign=running)
    assert progress_now.applications["waitlisted"] > 0
    assert progress_now.shipments["delivered"] > 30 and progress_now.shipments["pending"] == 0
    assert progress_now.totals.opens > 0 and progress_now.samples_passed_on > 0
    rates = {standing.application.samples_passed_on for standing in progress_now.connectors}
    assert len(rates) > 5  # believable variation, not one number for everyone
    # About a thousand network responses, through two hops, differing between connectors.
    assert 800 <= progress_now.totals.responses <= 1300
    assert [hop for hop, _ in progress_now.by_hop] == [1, 2]
    reach = [standing.totals.responses for standing in progress_now.connectors]
    assert max(reach) > 3 * max(1, min(reach))
    overall = {q.code: q for q in campaign_answering.survey_questions(session, campaign=running)}["overall"]
    ratings = session.exec(select(Answer.number_value).where(Answer.question_id == overall.id)).all()
    assert len(set(ratings)) >= 4 and 3.0 < sum(r or 0 for r in ratings) / len(ratings) < 4.5
    assert finished.outcome_posted_at is not None and finished.roundtable_at is not None
    chart = campaign_outcome.posted_chart(finished)
    assert chart is not None and chart.question is not None and chart.question.code == "outcome"
    # The results' referral chain of the demo's campaigns never grows from one step to the next, and is not empty.
    for campaign in (running, finished):
        chain = campaign_headline.referral_chain(session, campaign=campaign)
        counts = [step.people or 0 for step in chain]
        assert counts[2] > 0 and all(later <= earlier for earlier, later in pairwise(counts)), counts
    invited = session.exec(
        select(func.count()).select_from(RoundtableInvitation).where(RoundtableInvitation.campaign_id == finished.id)
    ).one()
    assert invited == 6
    mine = campaign_applications.get_application(session, campaign=running, user=mia)
    assert mine is not None and mine.status == ApplicationStatus.accepted  # the demo login is a connector

    # Taking applications now: some have come in, none decided; Mia has not applied, so she can.
    applying = session.exec(campaign_lifecycle.select_campaign(community, APPLYING_CAMPAIGN)).one()
    assert campaign_lifecycle.phase(applying, now) == CampaignPhase.applying
    applied = campaign_connectors.campaign_progress(session, campaign=applying).applications
    assert applied["applied"] > 20 and applied["accepted"] == 0 and applying.kits_accepted == 0
    assert campaign_applications.get_application(session, campaign=applying, user=mia) is None

    # Shipping now: every kit given out, two thirds of them sent (a few already confirmed), the rest still to send.
    shipping = session.exec(campaign_lifecycle.select_campaign(community, SHIPPING_CAMPAIGN)).one()
    assert campaign_lifecycle.phase(shipping, now) == CampaignPhase.shipping
    assert shipping.kits_accepted == SHIPPING_KITS
    statuses = session.exec(select(KitShipment.status).where(KitShipment.campaign_id == shipping.id)).all()
    assert len(statuses) == SHIPPING_KITS
    assert statuses.count(ShipmentStatus.pending) == SHIPPING_KITS - SHIPPING_KITS * 2 // 3
    assert 0 < statuses.count(ShipmentStatus.delivered) < SHIPPING_KITS * 2 // 3

    before = session.exec(select(func.count()).select_from(CampaignApplication)).one()
    assert seed_campaigns(session, progress=progress) is False
    assert session.exec(select(func.count()).select_from(CampaignApplication)).one() == before
