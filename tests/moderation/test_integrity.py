"""Vote integrity on the database: rings found on real rows, and discounting that recomputes the ranking, reversibly
(the detector itself: tests/moderation/test_rings.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.challenges.models import Score
from app.errors import Conflict
from app.moderation import integrity
from app.moderation.models import AuditEntry
from tests.factories import add_member, make_design, make_user
from tests.moderation.factories import make_place, score_with_a_ring

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def test_discounting_recomputes_counters_and_restoring_brings_them_back(session: Session) -> None:
    place = make_place(session, phase="scoring")
    challenge, community = place.challenge, place.community
    honest = make_user(session)
    ring = [make_user(session) for _ in range(3)]
    for person in [honest, *ring]:
        add_member(session, community, person)
    other = make_design(session, challenge)
    rows = [(honest, place.design, 2), (honest, other, 4)] + [(r, place.design, 5) for r in ring]
    for voter, design, value in rows:
        session.add(Score(design_id=design.id or 0, voter_id=voter.id or 0, value=value))
    session.flush()
    with pytest.raises(Conflict, match="once scoring has closed"):
        integrity.discount_voters(
            session,
            community=community,
            challenge=challenge,
            moderator=place.moderator,
            voter_ids=[r.id or 0 for r in ring],
            reason="Ring",
        )
    challenge.scoring_close_at = datetime.now(UTC) - timedelta(hours=1)
    challenge.submissions_close_at = challenge.scoring_close_at - timedelta(days=1)
    session.add(challenge)
    session.flush()
    discount = integrity.discount_voters(
        session,
        community=community,
        challenge=challenge,
        moderator=place.moderator,
        voter_ids=[r.id or 0 for r in ring],
        reason="Sockpuppets",
    )
    session.refresh(place.design)
    session.refresh(challenge)
    assert (place.design.score_count, place.design.score_sum) == (1, 2)
    assert (challenge.score_count, challenge.score_sum) == (2, 6)
    assert len(session.exec(select(Score)).all()) >= 5  # kept, not deleted
    assert integrity.discounted_counts(session, challenge=challenge) == {place.design.id: 3}
    integrity.restore_discount(
        session,
        community=community,
        challenge=challenge,
        moderator=place.moderator,
        discount_id=discount.id or 0,
        reason="Honest after all",
    )
    session.refresh(place.design)
    assert (place.design.score_count, place.design.score_sum) == (4, 17)
    actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.subject_id == challenge.id))]
    assert actions == ["discount", "restore_discount"]


def test_the_integrity_report_finds_a_ring_on_real_rows_and_previews_the_ranking_without_it(session: Session) -> None:
    place = make_place(session, phase="scoring")
    ring = score_with_a_ring(session, place, ring_size=12)
    report = integrity.challenge_integrity(session, challenge=place.challenge)
    (found,) = report.rings
    assert set(found.voter_ids) == {voter.id for voter in ring}
    assert found.target_design_ids == [place.design.id] and found.direction == 1
    assert len(report.target_votes[place.design.id or 0]) == 30 + 12
    (move,) = [move for move in report.moves if move.design_id == place.design.id]
    assert move.rank_without > move.rank_now
    assert not integrity.can_discount(place.challenge)
