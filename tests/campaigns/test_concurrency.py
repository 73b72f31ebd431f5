"""Managers accepting applications from several threads at once, on a real engine with separate sessions (as
separate requests would be): never more kits accepted than exist, and one accept per application. Committed data
lives in a throw-away database (a SQLite file or a PostgreSQL schema) dropped afterwards."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.accounts.models import User
from app.campaigns import answering as campaign_answering
from app.campaigns import connectors as campaign_connectors
from app.campaigns import decisions as campaign_decisions
from app.campaigns import links as share_links
from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignResponse,
    KitShipment,
    ShareLink,
)
from app.communities.models import Community
from app.db import build_engine, session_scope, writer_engine
from tests import databases
from tests.campaigns.factories import make_applicant, make_application, make_campaign, move_to
from tests.campaigns.test_answering import assert_counters_match_a_recount
from tests.factories import add_staff, make_brand, make_community, make_user

THREADS = 8
KITS = 3


@pytest.fixture
def real_engine(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with databases.migrated_database(tmp_path_factory, label="kits", sqlite_dir=tmp_path) as url:
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _race(engine: Engine, work: list[tuple[int, int, list[int]]]) -> list[campaign_decisions.DecisionResult]:
    """Each worker (campaign id, manager id, application ids) accepts in its own session, all released at once."""
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []
    results: list[campaign_decisions.DecisionResult] = []

    def accept(campaign_id: int, manager_id: int, application_ids: list[int]) -> None:
        try:
            with Session(writer_engine(engine), expire_on_commit=False) as session:
                barrier.wait()
                campaign = session.get(Campaign, campaign_id)
                manager = session.get(User, manager_id)
                assert campaign is not None and manager is not None
                community = session.get(Community, campaign.community_id)
                assert community is not None
                results.append(
                    campaign_decisions.decide_applications(
                        session,
                        campaign=campaign,
                        community=community,
                        application_ids=application_ids,
                        decision="accept",
                        decided_by=manager,
                    )
                )
                session.commit()
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=accept, args=args) for args in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def _setup(engine: Engine, applicants: int) -> tuple[int, int, list[int]]:
    with session_scope(engine) as session:
        brand = make_brand(session)
        community = make_community(session, brand)
        manager = make_user(session)
        add_staff(session, brand, manager)
        campaign = make_campaign(session, community, kit_count=KITS)
        ids = [make_application(session, campaign, make_applicant(session, community)).id for _ in range(applicants)]
        return campaign.id or 0, manager.id or 0, [application_id or 0 for application_id in ids]


def _check(engine: Engine, campaign_id: int, expected_accepted: int) -> None:
    with Session(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        accepted = session.exec(
            select(func.count())
            .select_from(CampaignApplication)
            .where(
                CampaignApplication.campaign_id == campaign_id,
                CampaignApplication.status == ApplicationStatus.accepted,
            )
        ).one()
        kits = session.exec(
            select(func.count()).select_from(KitShipment).where(KitShipment.campaign_id == campaign_id)
        ).one()
        assert accepted == kits == campaign.kits_accepted == expected_accepted


def test_concurrent_accepts_never_take_more_kits_than_exist(real_engine: Engine) -> None:
    campaign_id, manager_id, application_ids = _setup(real_engine, THREADS)
    results = _race(real_engine, [(campaign_id, manager_id, [application_id]) for application_id in application_ids])
    assert sum(len(result.changed) for result in results) == KITS
    assert sum(len(result.refused) for result in results) == THREADS - KITS
    _check(real_engine, campaign_id, KITS)


def test_concurrent_accepts_of_the_same_application_count_once(real_engine: Engine) -> None:
    campaign_id, manager_id, application_ids = _setup(real_engine, 1)
    results = _race(real_engine, [(campaign_id, manager_id, application_ids) for _ in range(THREADS)])
    assert sum(len(result.changed) for result in results) == 1
    _check(real_engine, campaign_id, 1)


def test_concurrent_answers_keep_the_counters_exact(real_engine: Engine) -> None:
    """Friends answering at once through two connectors' links and a second-hop link: every response is counted
    once on its link, the links it came through and its connector's hop (checked against a recount)."""
    with session_scope(real_engine) as session:
        brand = make_brand(session)
        community = make_community(session, brand)
        manager = make_user(session)
        add_staff(session, brand, manager)
        campaign = make_campaign(session, community)
        applications = [make_application(session, campaign, make_applicant(session, community)) for _ in range(2)]
        campaign_decisions.decide_applications(
            session,
            campaign=campaign,
            community=community,
            application_ids=[application.id or 0 for application in applications],
            decision="accept",
            decided_by=manager,
        )
        move_to(session, campaign, "sharing")
        roots = [
            campaign_connectors.connector_link(session, campaign=campaign, user=session.get(User, a.user_id))  # type: ignore[arg-type]
            for a in applications
        ]
        assert roots[0] is not None and roots[1] is not None
        hop2 = share_links.pass_link_on(session, parent=roots[0], campaign=campaign, response_id=None)
        link_ids = [roots[0].id, roots[1].id, hop2.id]
        campaign_id = campaign.id
        questions = {q.code: q.input_name for q in campaign_answering.survey_questions(session, campaign=campaign)}
    form = {
        questions["overall"]: ["4"],
        questions["outcome"]: ["keep"],
        questions["recommend_intent"]: ["8"],
        questions["recommended"]: ["no"],
    }
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def answer(number: int) -> None:
        try:
            with Session(writer_engine(real_engine), expire_on_commit=False) as session:
                barrier.wait()
                link = session.get(ShareLink, link_ids[number % 3])
                campaign = session.get(Campaign, campaign_id)
                assert link is not None and campaign is not None
                campaign_answering.answer_campaign(
                    session, link=link, campaign=campaign, form=form, device_token=f"device-{number}"
                )
                session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=answer, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(real_engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert session.exec(select(func.count()).select_from(CampaignResponse)).one() == THREADS
        assert_counters_match_a_recount(session, campaign)
