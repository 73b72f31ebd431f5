"""The demo reviews (seed/reviews.py) in the demo's testers community, on a copy of the run's seeded demo."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from app.accounts import service as accounts_service
from app.campaigns import lifecycle as campaign_lifecycle
from app.communities import service as communities_service
from app.reviews import service as reviews_service
from app.reviews.models import Review
from seed.campaigns import FINISHED_CAMPAIGN, RUNNING_CAMPAIGN, TESTERS
from seed.reviews import FINISHED_REVIEWS, RUNNING_REVIEWS, seed_reviews
from tests.demo import demo_session


@pytest.fixture
def session(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Session]:
    with demo_session(tmp_path_factory, tmp_path) as session:
        yield session


def test_demo_reviews_are_seeded_once_with_their_badges(session: Session) -> None:
    """The demo seed ran seed_reviews once (tests/demo.py checks that it created the demo); again, it adds none."""
    community = communities_service.get_community_by_slug(session, slug=TESTERS)
    mia = accounts_service.find_user_by_email(session, email="member@chorus.demo")
    assert mia is not None
    reviews = session.exec(select(func.count()).select_from(Review)).one()
    assert seed_reviews(session) is False
    assert session.exec(select(func.count()).select_from(Review)).one() == reviews

    finished = session.exec(campaign_lifecycle.select_campaign(community, FINISHED_CAMPAIGN)).one()
    running = session.exec(campaign_lifecycle.select_campaign(community, RUNNING_CAMPAIGN)).one()
    listing = reviews_service.list_reviews(session, campaign=finished, community=community)
    assert listing.total == FINISHED_REVIEWS
    assert sum(1 for row in listing.rows if row.thumbnail_url) == 2
    badge = "Received a free sample from Brightleaf Home"
    assert all(badge in [d.text for d in row.disclosures] for row in listing.rows)
    summary = reviews_service.rating_summary(session, campaign=finished)
    assert summary.total == FINISHED_REVIEWS and len({r for r, n in summary.counts.items() if n}) >= 3
    running_reviews = session.exec(select(Review).where(Review.campaign_id == running.id)).all()
    assert len(running_reviews) == RUNNING_REVIEWS and mia.id not in {r.author_id for r in running_reviews}
