"""Vote integrity: find vote rings in a challenge (app/moderation/rings.py) and discount their scores.

Discounting a ring leaves its scores in place but excludes them from the design and challenge counters, which are
recomputed (and the Bayesian ranking refreshed); restoring recomputes them again. Both are audited.
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges import service as challenges_service
from app.challenges.models import Challenge, Design, Phase, Score
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.errors import Conflict, Invalid, NotFound
from app.moderation import service as moderation_service
from app.moderation.models import AuditAction, DiscountedVoter, MemberFingerprint, ScoreDiscount
from app.moderation.rings import Ring, Vote, find_rings

# --- on the database -------------------------------------------------------------------------------------------


def _discounted_voter_ids(session: Session, *, challenge: Challenge) -> set[int]:
    return set(
        session.exec(
            select(DiscountedVoter.voter_id)
            .join(ScoreDiscount, col(ScoreDiscount.id) == DiscountedVoter.discount_id)
            .where(ScoreDiscount.challenge_id == challenge.id, col(ScoreDiscount.restored_at).is_(None))
        ).all()
    )


def challenge_clusters(session: Session, *, challenge: Challenge) -> list[Ring]:
    """The vote rings among the challenge's voters not discounted already."""
    rows = session.execute(
        sa_select(
            col(Score.voter_id), col(Score.design_id), col(Design.designer_id), col(Score.value), col(Score.updated_at)
        )
        .join(Design, col(Design.id) == Score.design_id)
        .where(col(Design.challenge_id) == challenge.id)
    ).all()
    votes = [Vote(voter_id=v, design_id=d, designer_id=g, value=x, at=t) for v, d, g, x, t in rows]
    voter_ids = {vote.voter_id for vote in votes}
    created_at = dict(session.exec(select(User.id, User.created_at).where(col(User.id).in_(voter_ids))).all())
    fingerprints: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for user_id, network, device in session.exec(
        select(MemberFingerprint.user_id, MemberFingerprint.network_hash, MemberFingerprint.device_hash).where(
            col(MemberFingerprint.user_id).in_(voter_ids)
        )
    ).all():
        fingerprints[user_id].add((network, device))
    return find_rings(
        votes,
        created_at={key: value for key, value in created_at.items() if key is not None},
        fingerprints=fingerprints,
        exclude_voters=frozenset(_discounted_voter_ids(session, challenge=challenge)),
    )


def list_discounts(session: Session, *, challenge: Challenge) -> list[tuple[ScoreDiscount, list[int]]]:
    discounts = session.exec(
        select(ScoreDiscount).where(ScoreDiscount.challenge_id == challenge.id).order_by(col(ScoreDiscount.id))
    ).all()
    voters: dict[int, list[int]] = defaultdict(list)
    for discount_id, voter_id in session.exec(
        select(DiscountedVoter.discount_id, DiscountedVoter.voter_id).where(
            col(DiscountedVoter.discount_id).in_([id_of(d) for d in discounts])
        )
    ).all():
        voters[discount_id].append(voter_id)
    return [(discount, sorted(voters[id_of(discount)])) for discount in discounts]


def _require_scoring_closed(challenge: Challenge, now: datetime) -> None:
    """Counters are recomputed once scoring has closed, so a discounted voter cannot move them again afterwards."""
    if challenges_service.phase(challenge, now) not in (Phase.closed, Phase.winners_announced):
        raise Conflict("Scores can be discounted once scoring has closed; suspend the accounts meanwhile.")


def discount_voters(
    session: Session,
    *,
    community: Community,
    challenge: Challenge,
    moderator: User,
    voter_ids: Sequence[int],
    reason: str,
    now: datetime | None = None,
) -> ScoreDiscount:
    """Leave these voters' scores out of the challenge's counters and ranking (kept, not deleted); audited."""
    now = now or utcnow()
    _require_scoring_closed(challenge, now)
    reason = reason.strip()
    if not reason:
        raise Invalid("Please correct the marked fields.", fields={"reason": "Say why these scores are discounted."})
    wanted = sorted(set(voter_ids))
    voted = set(
        session.exec(
            select(Score.voter_id)
            .join(Design, col(Design.id) == Score.design_id)
            .where(Design.challenge_id == challenge.id, col(Score.voter_id).in_(wanted))
        ).all()
    )
    if not wanted or voted != set(wanted):
        raise NotFound("Some of these members did not score in this challenge.")
    already = _discounted_voter_ids(session, challenge=challenge)
    if set(wanted) <= already:
        raise Conflict("These scores are discounted already.")
    discount = ScoreDiscount(
        challenge_id=id_of(challenge), reason=reason[:500], created_by_id=moderator.id, created_at=now
    )
    session.add(discount)
    session.flush()
    for voter_id in sorted(set(wanted) - already):
        session.add(DiscountedVoter(discount_id=id_of(discount), voter_id=voter_id))
    session.flush()
    before = _totals(challenge)
    challenges_service.recount_scores(session, challenge=challenge, excluded_voter_ids=already | set(wanted))
    moderation_service.record(
        session,
        community_id=id_of(community),
        actor=moderator,
        action=AuditAction.discount,
        subject_kind="challenge",
        subject_id=id_of(challenge),
        reason=reason,
        before=before,
        after={**_totals(challenge), "voter_ids": wanted},
        now=now,
    )
    return discount


def restore_discount(
    session: Session,
    *,
    community: Community,
    challenge: Challenge,
    moderator: User,
    discount_id: int,
    reason: str,
    now: datetime | None = None,
) -> ScoreDiscount:
    """Count a discounted cluster's scores again; the counters and ranking are recomputed; audited."""
    now = now or utcnow()
    discount = session.get(ScoreDiscount, discount_id)
    if discount is None or discount.challenge_id != challenge.id:
        raise NotFound("There is no such discount in this challenge.")
    if discount.restored_at is not None:
        raise Conflict("These scores count again already.")
    reason = reason.strip()
    if not reason:
        raise Invalid("Please correct the marked fields.", fields={"reason": "Say why these scores count again."})
    discount.restored_at = now
    discount.restored_by_id = moderator.id
    session.add(discount)
    session.flush()
    before = _totals(challenge)
    challenges_service.recount_scores(
        session, challenge=challenge, excluded_voter_ids=_discounted_voter_ids(session, challenge=challenge)
    )
    moderation_service.record(
        session,
        community_id=id_of(community),
        actor=moderator,
        action=AuditAction.restore_discount,
        subject_kind="challenge",
        subject_id=id_of(challenge),
        reason=reason,
        before=before,
        after=_totals(challenge),
        now=now,
    )
    return discount


def discounted_counts(session: Session, *, challenge: Challenge) -> dict[int, int]:
    """Per design, how many of its scores are discounted (for the shortlist)."""
    excluded = _discounted_voter_ids(session, challenge=challenge)
    if not excluded:
        return {}
    return dict(
        Counter(
            session.exec(
                select(Score.design_id)
                .join(Design, col(Design.id) == Score.design_id)
                .where(Design.challenge_id == challenge.id, col(Score.voter_id).in_(excluded))
            ).all()
        )
    )


def _totals(challenge: Challenge) -> dict[str, int]:
    return {"score_count": challenge.score_count, "score_sum": challenge.score_sum}
