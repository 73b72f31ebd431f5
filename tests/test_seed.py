"""The demo seed (seed/demo.py) on a database of its own: what it creates, and that a second run changes nothing."""

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app import db
from app.accounts.models import User
from app.brands.models import Brand
from app.campaigns import service as campaigns_service
from app.campaigns.models import Campaign
from app.challenges import service as challenges_service
from app.challenges.models import Challenge, ChallengeStatus, Design, Product, Score
from app.columns import utcnow
from app.communities.models import Community
from app.config import get_settings
from app.db import build_engine, migrate, session_scope
from app.ideas.models import Idea, IdeaStatus, IdeaVote
from app.media.models import MediaImage
from app.moderation.models import Appeal, AuditEntry, Report
from seed.campaigns import FINISHED_CAMPAIGN, RUNNING_CAMPAIGN
from seed.demo import CLOSED_CHALLENGE, MEMBER_COUNT, OPEN_CHALLENGE, WINNERS, seed_demo
from tests import databases


@pytest.fixture
def demo_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """An empty migrated database, with the settings (database, media directory) pointing at it."""
    with databases.temporary_database(label="seed", sqlite_dir=tmp_path) as url:
        migrate(url)
        monkeypatch.setenv("CHORUS_DATABASE_URL", url)
        monkeypatch.setenv("CHORUS_MEDIA_DIR", str(tmp_path / "media"))
        get_settings.cache_clear()
        db._engine_for.cache_clear()
        engine = build_engine(url)
        try:
            yield engine
        finally:
            db.get_engine().dispose()
            engine.dispose()
            monkeypatch.undo()
            get_settings.cache_clear()
            db._engine_for.cache_clear()


def _count(session: Session, model: type, *where: object) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()  # type: ignore[call-overload]


def _snapshot(engine: Engine) -> dict[str, object]:
    with session_scope(engine) as session:
        return {
            "users": _count(session, User),
            "brands": _count(session, Brand),
            "communities": _count(session, Community),
            "challenges": sorted(
                (c.slug, c.status, c.design_count, c.score_count, c.score_sum) for c in session.exec(select(Challenge))
            ),
            "designs": _count(session, Design),
            "scores": _count(session, Score),
            "images": _count(session, MediaImage),
            "products": _count(session, Product),
            "ideas": sorted(
                (i.title, i.status, i.vote_count, i.merged_into_id is not None) for i in session.exec(select(Idea))
            ),
            "idea_votes": _count(session, IdeaVote),
            "moderation": (_count(session, AuditEntry), _count(session, Report), _count(session, Appeal)),
        }


def test_the_demo_seed_creates_the_demo_once(demo_engine: Engine, tmp_path: Path) -> None:
    console = Console(file=io.StringIO(), width=100)
    assert seed_demo(console=console) is True
    first = _snapshot(demo_engine)

    with session_scope(demo_engine) as session:
        assert first["users"] == MEMBER_COUNT + 6
        assert (first["brands"], first["communities"]) == (2, 2)
        challenges = {c.slug: c for c in session.exec(select(Challenge))}
        closed, opened = challenges[CLOSED_CHALLENGE], challenges[OPEN_CHALLENGE]
        assert closed.status == ChallengeStatus.winners_announced
        assert opened.status == ChallengeStatus.published
        assert closed.design_count + opened.design_count == first["designs"] == first["images"] == 60

        # Every design is its own picture: none is flagged as a near-duplicate of another.
        assert _count(session, Design, col(Design.flagged_near_duplicate_of_id).is_not(None)) == 0
        assert len({image.similarity_hashes for image in session.exec(select(MediaImage))}) == 60

        # Scores only in the closed challenge, 30 to 80 per design, with some designs clearly better than others.
        assert opened.score_count == 0
        closed_designs = session.exec(select(Design).where(Design.challenge_id == closed.id)).all()
        assert all(30 <= design.score_count <= 80 for design in closed_designs)
        assert first["scores"] == closed.score_count == sum(design.score_count for design in closed_designs)
        means = sorted(design.score_sum / design.score_count for design in closed_designs)
        assert means[-1] - means[0] > 1.5

        # Its winners were picked and announced; each became a draft product.
        winners = [design for design in closed_designs if design.won_at is not None]
        assert len(winners) == first["products"] == WINNERS
        assert closed.winners_announced_at is not None

        # Mia has a design in the open challenge; the manager made both challenges.
        mia = session.exec(select(User).where(User.email == "member@chorus.demo")).one()
        manager = session.exec(select(User).where(User.email == "manager@northwind.demo")).one()
        assert _count(session, Design, Design.challenge_id == opened.id, Design.designer_id == mia.id) == 1
        assert {closed.created_by_id, opened.created_by_id} == {manager.id}

        # The testers' ideas board: about 80 ideas across the statuses, votes, responses, and one merged duplicate.
        ideas = session.exec(select(Idea)).all()
        assert len(ideas) == 81
        assert {idea.status for idea in ideas} == set(IdeaStatus)
        assert sum(idea.vote_count for idea in ideas) == first["idea_votes"] > 300
        merged = [idea for idea in ideas if idea.merged_into_id is not None]
        assert len(merged) == 1 and merged[0].vote_count == 0
        assert all(idea.response for idea in ideas if idea.status != IdeaStatus.open)

    # The image files are where the settings say.
    assert len(list((tmp_path / "media" / "originals").iterdir())) == 60

    # Moderation (seed/moderation.py): reports in the queue, a removed comment, a suspension under appeal.
    assert first["moderation"] == (5, 4, 1)

    assert seed_demo(console=console) is False
    assert _snapshot(demo_engine) == first


def _phases(engine: Engine) -> dict[str, object]:
    """Where each challenge and campaign of the demo stands now, by slug."""
    now = utcnow()
    with session_scope(engine) as session:
        return {
            "challenges": {c.slug: challenges_service.phase(c, now) for c in session.exec(select(Challenge))},
            "campaigns": {c.slug: campaigns_service.phase(c, now) for c in session.exec(select(Campaign))},
        }


# The phases the demo shows whatever the day it is seeded.
DEMO_PHASES = {
    "challenges": {CLOSED_CHALLENGE: "winners_announced", OPEN_CHALLENGE: "submissions_open"},
    "campaigns": {RUNNING_CAMPAIGN: "sharing", FINISHED_CAMPAIGN: "closed"},
}


@pytest.mark.parametrize("days_ahead", [0, 60])
def test_the_demo_shows_the_same_phases_whatever_the_day_it_is_seeded(
    demo_engine: Engine, time_machine: Any, days_ahead: int
) -> None:
    """Every window is computed from the moment of seeding: seeded today or in 60 days, each phase is the same."""
    time_machine.move_to(utcnow() + timedelta(days=days_ahead), tick=True)
    assert seed_demo(console=Console(file=io.StringIO(), width=100)) is True
    assert _phases(demo_engine) == DEMO_PHASES
