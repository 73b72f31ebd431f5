"""Vote integrity: clusters from signals (pure), and discounting that recomputes the ranking, reversibly."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.challenges.models import Score
from app.errors import Conflict
from app.moderation import integrity
from app.moderation.integrity import Vote, find_clusters
from app.moderation.models import AuditEntry
from tests.factories import add_member, make_design, make_user
from tests.moderation.factories import make_place

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _ring(first_id: int, size: int, designer: int, designs: list[int]) -> list[Vote]:
    return [
        Vote(voter, design, designer, 5, T0 + timedelta(minutes=voter - first_id))
        for voter in range(first_id, first_id + size)
        for design in designs
    ]


def test_a_ring_sharing_a_network_and_born_together_is_one_cluster_with_reasons() -> None:
    votes = _ring(100, 6, designer=1, designs=[11, 12, 13])
    created = {voter: T0 - timedelta(days=30, hours=voter) for voter in range(100, 106)}
    prints = {voter: {("ring-net", "browser-a")} for voter in range(100, 106)}
    (cluster,) = find_clusters(votes, created_at=created, fingerprints=prints)
    assert cluster.voter_ids == list(range(100, 106))
    assert cluster.target_designer_id == 1 and cluster.direction == 1
    assert any("same network" in reason for reason in cluster.reasons)
    assert 0 < cluster.score <= 1


def test_honest_varied_voters_and_a_crowded_network_are_not_a_cluster() -> None:
    # Six fans of one designer, but with varied scores, years apart, on a carrier network shared by many.
    votes = [
        Vote(voter, design, 1, (voter + design) % 4 + 2, T0 + timedelta(days=voter))
        for voter in range(100, 106)
        for design in (11, 12, 13)
    ]
    created = {voter: T0 - timedelta(days=100 * (voter - 99)) for voter in range(100, 106)}
    crowd = {voter: {("carrier", "browser-a")} for voter in range(1, 200)}
    assert find_clusters(votes, created_at=created, fingerprints=crowd) == []


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
    integrity.challenge_clusters(session, challenge=challenge)  # runs on real rows
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
