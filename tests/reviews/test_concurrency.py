"""The same connector publishing their review from several requests at once, on a real engine with separate
sessions: one review is stored, every other request is refused with 409 (the unique constraint), nothing else."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.accounts.models import User
from app.campaigns.models import Campaign
from app.communities.models import Community
from app.db import build_engine, migrate, session_scope, writer_engine
from app.errors import Conflict
from app.reviews import service as reviews_service
from app.reviews.models import Review
from tests import databases
from tests.campaigns.factories import make_campaign
from tests.factories import make_brand, make_community
from tests.reviews.factories import make_connector

THREADS = 6


@pytest.fixture
def real_engine(tmp_path: Path) -> Iterator[Engine]:
    with databases.temporary_database(label="reviews", sqlite_dir=tmp_path) as url:
        migrate(url)
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def test_concurrent_publishes_by_one_person_store_one_review(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        community = make_community(session, make_brand(session))
        campaign = make_campaign(session, community, phase="feedback")
        connector = make_connector(session, campaign, community)
        campaign_id, connector_id = campaign.id, connector.id
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def publish(number: int) -> None:
        try:
            with Session(writer_engine(real_engine), expire_on_commit=False) as session:
                barrier.wait()
                campaign = session.get(Campaign, campaign_id)
                author = session.get(User, connector_id)
                assert campaign is not None and author is not None
                community = session.get(Community, campaign.community_id)
                assert community is not None
                try:
                    reviews_service.publish_review(
                        session, campaign=campaign, community=community, author=author, rating=4, body=f"Try {number}"
                    )
                    session.commit()
                    outcomes.append("published")
                except Conflict:
                    session.rollback()
                    outcomes.append("conflict")
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=publish, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == ["conflict"] * (THREADS - 1) + ["published"]
    with Session(real_engine) as session:
        stored = session.exec(select(func.count()).select_from(Review).where(Review.campaign_id == campaign_id)).one()
        assert stored == 1
