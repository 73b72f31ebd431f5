"""The demo seed (seed/demo.py) on a database of its own: what it creates, and that a second run changes nothing."""

import io
from collections.abc import Iterator
from contextlib import contextmanager
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
from app.campaigns import applications as campaign_applications
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns.models import Campaign
from app.challenges import phases as challenge_phases
from app.challenges import service as challenges_service
from app.challenges.models import Challenge, ChallengeStatus, Design, Product, Score
from app.columns import utcnow
from app.communities import service as communities_service
from app.communities.models import Community, Membership, Visibility
from app.config import get_settings
from app.db import build_engine, session_scope
from app.ideas.models import Idea, IdeaStatus, IdeaVote
from app.insights import service as insights_service
from app.media.models import MediaImage
from app.moderation import integrity
from app.moderation.models import Appeal, AuditEntry, Report
from app.notifications.models import Notification, NotificationKind
from app.preorders.models import Pledge, Preorder
from app.questions.models import CommunityAnswer, CommunityQuestion
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from seed.campaigns import APPLYING_CAMPAIGN, FINISHED_CAMPAIGN, RUNNING_CAMPAIGN, SHIPPING_CAMPAIGN, TESTERS
from seed.challenges import CLOSED_CHALLENGE, OPEN_CHALLENGE, SCORING_CHALLENGE, SCORING_DESIGNS, WINNERS
from seed.demo import MEMBER_COUNT, seed_demo
from seed.insiders import INSIDERS, INSIDERS_MEMBERS
from seed.preorders import PREORDER_PLEDGERS, PREORDER_TARGET
from seed.reviews import FINISHED_PHOTOS
from seed.surveys import PUBLISHED_RESPONSES, PUBLISHED_SURVEY
from seed.vote_ring import RING_HANDLES
from tests import databases, demo


@contextmanager
def _settings_on(url: str, media_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """An engine on ``url``, with the settings (database, media directory) pointing at it."""
    monkeypatch.setenv("CHORUS_DATABASE_URL", url)
    monkeypatch.setenv("CHORUS_MEDIA_DIR", str(media_dir))
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


@pytest.fixture
def demo_engine(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """An empty migrated database, with the settings pointing at it."""
    with (
        databases.migrated_database(tmp_path_factory, label="seed", sqlite_dir=tmp_path) as url,
        _settings_on(url, tmp_path / "media", monkeypatch) as engine,
    ):
        yield engine


@pytest.fixture
def seeded_engine(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """A copy of the run's demo (tests/demo.py: seeded once on SQLite, by a first run of the seed that had to create
    it), with the settings pointing at it and its media in ``tmp_path / "media"``."""
    with (
        demo.demo_database(tmp_path_factory, label="seed", directory=tmp_path) as seeded,
        _settings_on(seeded.url, seeded.media_dir, monkeypatch) as engine,
    ):
        yield engine


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
            "moderation": (
                _count(session, AuditEntry, col(AuditEntry.subject_kind).not_in(("preorder", "pledge"))),
                _count(session, Report),
                _count(session, Appeal),
            ),
            "preorders": sorted((p.status, p.pledged_count, p.target_count) for p in session.exec(select(Preorder))),
            "pledges": _count(session, Pledge),
            "questions": sorted(
                (q.title, q.answer_count, q.accepted_at is not None) for q in session.exec(select(CommunityQuestion))
            ),
        }


def test_the_demo_seed_creates_the_demo_once(seeded_engine: Engine, tmp_path: Path) -> None:
    """What the demo seed created (its first run, which tests/demo.py requires to report that it created the demo),
    and that running it again changes nothing."""
    console = Console(file=io.StringIO(), width=100)
    first = _snapshot(seeded_engine)

    with session_scope(seeded_engine) as session:
        assert first["users"] == MEMBER_COUNT + 6 + len(RING_HANDLES)
        assert (first["brands"], first["communities"]) == (2, 3)
        challenges = {c.slug: c for c in session.exec(select(Challenge))}
        closed, scoring = challenges[CLOSED_CHALLENGE], challenges[SCORING_CHALLENGE]
        opened = challenges[OPEN_CHALLENGE]
        assert closed.status == ChallengeStatus.winners_announced
        assert opened.status == scoring.status == ChallengeStatus.published
        designs = closed.design_count + scoring.design_count + opened.design_count
        assert designs == first["designs"] == first["images"] - FINISHED_PHOTOS == 91

        # Every design is its own picture but one: seed/moderation.py's copy of the open challenge's first design,
        # flagged as its near-duplicate (still a different file, with different hashes).
        flagged = session.exec(select(Design).where(col(Design.flagged_near_duplicate_of_id).is_not(None))).all()
        assert [(d.challenge_id, d.flagged_near_duplicate_of_id) for d in flagged] == [
            (opened.id, min(d.id or 0 for d in session.exec(select(Design).where(Design.challenge_id == opened.id))))
        ]
        assert len({image.similarity_hashes for image in session.exec(select(MediaImage))}) == 91 + FINISHED_PHOTOS

        # Scores in the closed challenge, 30 to 80 per design, with some designs clearly better than others; some
        # in the one being scored; none yet in the open one.
        assert opened.score_count == 0
        closed_designs = session.exec(select(Design).where(Design.challenge_id == closed.id)).all()
        assert all(30 <= design.score_count <= 80 for design in closed_designs)
        assert closed.score_count == sum(design.score_count for design in closed_designs)
        assert first["scores"] == closed.score_count + scoring.score_count
        assert 500 < scoring.score_count < 1000
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
        assert {closed.created_by_id, scoring.created_by_id, opened.created_by_id} == {manager.id}

        # The testers' ideas board: about 80 ideas across the statuses, votes, responses, and one merged duplicate.
        ideas = session.exec(select(Idea)).all()
        assert len(ideas) == 81
        # The testers' Q&A: one question answered with an accepted answer, one answered, one unanswered.
        questions = first["questions"]
        assert isinstance(questions, list) and len(questions) == 3
        assert sorted((answers, accepted) for _, answers, accepted in questions) == [(0, False), (1, False), (2, True)]
        accepted = session.exec(select(CommunityAnswer).where(col(CommunityAnswer.accepted_at).is_not(None))).one()
        assert accepted.points_award_id is not None and not accepted.by_staff
        assert {idea.status for idea in ideas} == set(IdeaStatus)
        assert sum(idea.vote_count for idea in ideas) == first["idea_votes"] > 300
        merged = [idea for idea in ideas if idea.merged_into_id is not None]
        assert len(merged) == 1 and merged[0].vote_count == 0
        assert all(idea.response for idea in ideas if idea.status != IdeaStatus.open)

    # The image files are where the settings say.
    assert len(list((tmp_path / "media" / "originals").iterdir())) == 91 + FINISHED_PHOTOS

    # Moderation (seed/moderation.py): reports in the queue (the near-duplicate reported as stolen art among them),
    # a removed comment, a suspension under appeal.
    assert first["moderation"] == (5, 5, 1)

    # Pre-orders (seed/preorders.py): one product part-way to its target, each pledge and the opening audited.
    [(status, pledged, target)] = first["preorders"]
    assert (status, target) == ("open", PREORDER_TARGET) and PREORDER_PLEDGERS <= pledged < target
    assert first["pledges"] == PREORDER_PLEDGERS
    with session_scope(seeded_engine) as session:
        audited = _count(session, AuditEntry, col(AuditEntry.subject_kind).in_(("preorder", "pledge")))
        assert audited == 1 + PREORDER_PLEDGERS

    assert seed_demo(console=console) is False
    assert _snapshot(seeded_engine) == first

    # Seeded today, it shows every phase (test_the_demo_shows_the_same_phases_when_seeded_later: in 60 days too).
    _assert_the_demo_shows_every_phase(seeded_engine)


def _phases(engine: Engine) -> dict[str, object]:
    """Where each challenge and campaign of the demo stands now, by slug."""
    now = utcnow()
    with session_scope(engine) as session:
        return {
            "challenges": {c.slug: challenge_phases.phase(c, now) for c in session.exec(select(Challenge))},
            "campaigns": {c.slug: campaign_lifecycle.phase(c, now) for c in session.exec(select(Campaign))},
        }


# The phases the demo shows whatever the day it is seeded.
DEMO_PHASES = {
    "challenges": {
        OPEN_CHALLENGE: "submissions_open",
        SCORING_CHALLENGE: "scoring",
        CLOSED_CHALLENGE: "winners_announced",
    },
    "campaigns": {
        APPLYING_CAMPAIGN: "applying",
        SHIPPING_CAMPAIGN: "shipping",
        RUNNING_CAMPAIGN: "sharing",
        FINISHED_CAMPAIGN: "closed",
    },
}


def _assert_the_scoring_challenge_is_live(session: Session, *, mia: User) -> None:
    """About 30 designs, some scores cast, none by Mia, and the vote ring found by the integrity detector."""
    community = communities_service.get_community_by_slug(session, slug="northwind-design-lab")
    scoring = challenges_service.get_challenge(session, community=community, slug=SCORING_CHALLENGE)
    designs = session.exec(select(Design).where(Design.challenge_id == scoring.id)).all()
    assert scoring.design_count == len(designs) == SCORING_DESIGNS
    assert sum(1 for design in designs if design.score_count > 0) > SCORING_DESIGNS * 0.8
    assert _count(session, Score, Score.voter_id == mia.id, col(Score.design_id).in_([d.id for d in designs])) == 0

    ring = set(session.exec(select(User.id).where(col(User.handle).in_(RING_HANDLES))).all())
    (found,) = integrity.challenge_integrity(session, challenge=scoring).rings
    assert set(found.voter_ids) == ring and found.direction == 1
    assert [d.designer_id for d in designs].count(found.target_designer_id) == 2
    assert any("from accounts that scored little else" in reason for reason in found.reasons)
    assert any(reason.startswith("sharing a network or device") for reason in found.reasons)
    closed = challenges_service.get_challenge(session, community=community, slug=CLOSED_CHALLENGE)
    assert integrity.challenge_integrity(session, challenge=closed).rings == []


def _assert_the_published_survey_is_answerable(session: Session, *, mia: User) -> None:
    """Published to the testers before now, answered by some of them; Mia has not, and can now."""
    testers = communities_service.get_community_by_slug(session, slug=TESTERS)
    (survey,) = surveys_building.list_community_surveys(session, community=testers)
    assert survey.title == PUBLISHED_SURVEY
    assert survey.published_at is not None and survey.published_at < utcnow()
    assert survey.response_count == PUBLISHED_RESPONSES
    assert not surveys_responses.has_answered(session, survey=survey, user=mia)
    first = surveys_questions.list_questions(session, survey=survey)[0]
    surveys_responses.answer_community_survey(
        session,
        survey=survey,
        community=testers,
        member=mia,
        form={first.input_name: [first.options[0]["key"]]},
    )
    assert surveys_responses.has_answered(session, survey=survey, user=mia)


def _assert_mia_has_a_pending_invitation(session: Session, *, mia: User) -> None:
    """The invite-only Insiders have members; a single-use, unexpired link waits for Mia, who is told of it."""
    insiders = communities_service.get_community_by_slug(session, slug=INSIDERS)
    assert insiders.visibility == Visibility.invite_only and insiders.member_count == INSIDERS_MEMBERS
    assert communities_service.get_membership(session, community=insiders, user=mia) is None
    pending = [
        invite
        for invite in communities_service.list_invites(session, community=insiders)
        if invite.max_uses == 1 and communities_service.invite_problem(invite) is None
    ]
    assert len(pending) == 1 and pending[0].use_count == 0
    told = session.exec(
        select(Notification).where(
            Notification.user_id == mia.id, Notification.kind == NotificationKind.community_invite
        )
    ).all()
    assert [notification.link for notification in told] == [f"/invite/{pending[0].code}"]


def _assert_members_joined_over_months(session: Session) -> None:
    """Joins spread over about nine months, so the insights' monthly cohorts have several rows."""
    now = utcnow()
    for slug in ("northwind-design-lab", TESTERS):
        community = communities_service.get_community_by_slug(session, slug=slug)
        results = insights_service.community_results(session, community=community, now=now)
        assert len(results.cohorts) >= 6
        joined = session.exec(select(Membership.joined_at).where(Membership.community_id == community.id)).all()
        assert min(joined) < now - timedelta(days=240) and max(joined) > now - timedelta(days=100)


def _assert_the_demo_shows_every_phase(engine: Engine) -> None:
    """Each challenge and campaign in its phase, and what each phase shows: designs to score, a ring to catch, a
    survey to answer (answered here, so after the other checks), an invitation."""
    assert _phases(engine) == DEMO_PHASES
    with session_scope(engine) as session:
        mia = session.exec(select(User).where(User.email == "member@chorus.demo")).one()
        _assert_the_scoring_challenge_is_live(session, mia=mia)
        _assert_mia_has_a_pending_invitation(session, mia=mia)
        _assert_members_joined_over_months(session)
        _assert_the_published_survey_is_answerable(session, mia=mia)
        applying = session.exec(select(Campaign).where(Campaign.slug == APPLYING_CAMPAIGN)).one()
        assert campaign_applications.get_application(session, campaign=applying, user=mia) is None


def test_the_demo_shows_the_same_phases_when_seeded_later(demo_engine: Engine, time_machine: Any) -> None:
    """Every window is computed from the moment of seeding: seeded in 60 days, each phase is the same as seeded
    today (test_the_demo_seed_creates_the_demo_once), and so is what each phase shows. Seeding costs about 25 s of
    CPU, so the today case shares that test's seed."""
    time_machine.move_to(utcnow() + timedelta(days=60), tick=True)
    assert seed_demo(console=Console(file=io.StringIO(), width=100)) is True
    _assert_the_demo_shows_every_phase(demo_engine)
