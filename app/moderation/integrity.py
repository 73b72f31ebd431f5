"""Vote integrity: find vote rings in a challenge (app/moderation/rings.py) and discount their scores.

Discounting a ring leaves its scores in place but excludes them from the design and challenge counters, which are
recomputed (and the Bayesian ranking refreshed); restoring recomputes them again. Both are audited.
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges import phases as challenge_phases
from app.challenges import scores as challenge_scores
from app.challenges.models import Challenge, Design, Phase, Score
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.errors import Conflict, Invalid, NotFound
from app.i18n import N_, _
from app.moderation import audit as moderation_audit
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


DIRECTIONS = {1: N_("boosting"), -1: N_("sinking"), 0: N_("swapping")}  # marked for translation


@dataclass(frozen=True)
class RankMove:
    """Where a design ranks now, and where it would rank with the rings' scores left out."""

    design_id: int
    title: str
    rank_now: int
    rank_without: int


@dataclass
class IntegrityReport:
    """What the integrity page and its API show: the rings, each target's scores (for the pictures) and, while
    they are not discounted, the ranking as it would be without them."""

    rings: list[Ring]
    target_votes: dict[int, list[Vote]]  # per ring target design, every score on it
    moves: list[RankMove]
    window: tuple[datetime, datetime]  # the first and last score of the challenge


def _challenge_votes(session: Session, *, challenge: Challenge) -> list[Vote]:
    rows = session.execute(
        sa_select(
            col(Score.voter_id), col(Score.design_id), col(Design.designer_id), col(Score.value), col(Score.updated_at)
        )
        .join(Design, col(Design.id) == Score.design_id)
        .where(col(Design.challenge_id) == challenge.id)
    ).all()
    return [Vote(voter_id=v, design_id=d, designer_id=g, value=x, at=t) for v, d, g, x, t in rows]


def challenge_integrity(session: Session, *, challenge: Challenge) -> IntegrityReport:
    """The vote rings among the challenge's voters not discounted already, with the evidence and the preview."""
    votes = _challenge_votes(session, challenge=challenge)
    voter_ids = {vote.voter_id for vote in votes}
    created_at = dict(session.exec(select(User.id, User.created_at).where(col(User.id).in_(voter_ids))).all())
    fingerprints: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for user_id, network, device in session.exec(
        select(MemberFingerprint.user_id, MemberFingerprint.network_hash, MemberFingerprint.device_hash).where(
            col(MemberFingerprint.user_id).in_(voter_ids)
        )
    ).all():
        fingerprints[user_id].add((network, device))
    discounted = frozenset(_discounted_voter_ids(session, challenge=challenge))
    rings = find_rings(
        votes,
        created_at={key: value for key, value in created_at.items() if key is not None},
        fingerprints=fingerprints,
        exclude_voters=discounted,
    )
    targets = {design for ring in rings for design in ring.target_design_ids}
    target_votes: dict[int, list[Vote]] = defaultdict(list)
    for vote in votes:
        if vote.design_id in targets and vote.voter_id not in discounted:
            target_votes[vote.design_id].append(vote)
    ringed = {voter for ring in rings for voter in ring.voter_ids}
    counted = [vote for vote in votes if vote.voter_id not in discounted]
    moments = [vote.at for vote in votes]
    window = (min(moments), max(moments)) if moments else (utcnow(), utcnow())
    return IntegrityReport(
        rings=rings,
        target_votes=dict(target_votes),
        moves=_rank_moves(session, challenge=challenge, votes=counted, without=ringed) if ringed else [],
        window=window,
    )


def design_titles(session: Session, *, challenge: Challenge) -> dict[int, str]:
    rows = session.exec(select(Design.id, Design.title).where(Design.challenge_id == challenge.id)).all()
    return {design_id: title for design_id, title in rows if design_id is not None}


def _ranks(votes: Sequence[Vote], design_ids: Sequence[int]) -> dict[int, int]:
    """Each design's place by the Bayesian average of these scores (ties by id, as the shortlist breaks them)."""
    sums: Counter[int] = Counter()
    counts: Counter[int] = Counter()
    for vote in votes:
        sums[vote.design_id] += vote.value
        counts[vote.design_id] += 1
    total = sum(counts.values())
    mean = sum(sums.values()) / total if total else 0.0
    order = sorted(
        design_ids,
        key=lambda design: (
            -challenge_scores.bayesian_average(score_sum=sums[design], score_count=counts[design], mean=mean),
            design,
        ),
    )
    return {design: place for place, design in enumerate(order, start=1)}


def _rank_moves(session: Session, *, challenge: Challenge, votes: Sequence[Vote], without: set[int]) -> list[RankMove]:
    """The designs whose place changes when these voters' scores are left out, biggest moves first."""
    titles = design_titles(session, challenge=challenge)
    design_ids = sorted({vote.design_id for vote in votes} & titles.keys())
    now = _ranks(votes, design_ids)
    after = _ranks([vote for vote in votes if vote.voter_id not in without], design_ids)
    moves = [
        RankMove(design_id=design, title=titles[design], rank_now=now[design], rank_without=after[design])
        for design in design_ids
        if now[design] != after[design]
    ]
    return sorted(moves, key=lambda move: (-abs(move.rank_without - move.rank_now), move.rank_now))[:10]


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


def can_discount(challenge: Challenge, now: datetime | None = None) -> bool:
    """Counters are recomputed once scoring has closed, so a discounted voter cannot move them again afterwards;
    until then the integrity page previews the ranking without the rings."""
    return challenge_phases.phase(challenge, now or utcnow()) in (Phase.closed, Phase.winners_announced)


def _require_scoring_closed(challenge: Challenge, now: datetime) -> None:
    if not can_discount(challenge, now):
        raise Conflict(_("Scores can be discounted once scoring has closed; suspend the accounts meanwhile."))


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
        raise Invalid(
            _("Please correct the marked fields."), fields={"reason": _("Say why these scores are discounted.")}
        )
    wanted = sorted(set(voter_ids))
    voted = set(
        session.exec(
            select(Score.voter_id)
            .join(Design, col(Design.id) == Score.design_id)
            .where(Design.challenge_id == challenge.id, col(Score.voter_id).in_(wanted))
        ).all()
    )
    if not wanted or voted != set(wanted):
        raise NotFound(_("Some of these members did not score in this challenge."))
    already = _discounted_voter_ids(session, challenge=challenge)
    if set(wanted) <= already:
        raise Conflict(_("These scores are discounted already."))
    discount = ScoreDiscount(
        challenge_id=id_of(challenge), reason=reason[:500], created_by_id=moderator.id, created_at=now
    )
    session.add(discount)
    session.flush()
    for voter_id in sorted(set(wanted) - already):
        session.add(DiscountedVoter(discount_id=id_of(discount), voter_id=voter_id))
    session.flush()
    before = _totals(challenge)
    challenge_scores.recount_scores(session, challenge=challenge, excluded_voter_ids=already | set(wanted))
    moderation_audit.record(
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
        raise NotFound(_("There is no such discount in this challenge."))
    if discount.restored_at is not None:
        raise Conflict(_("These scores count again already."))
    reason = reason.strip()
    if not reason:
        raise Invalid(_("Please correct the marked fields."), fields={"reason": _("Say why these scores count again.")})
    discount.restored_at = now
    discount.restored_by_id = moderator.id
    session.add(discount)
    session.flush()
    before = _totals(challenge)
    challenge_scores.recount_scores(
        session, challenge=challenge, excluded_voter_ids=_discounted_voter_ids(session, challenge=challenge)
    )
    moderation_audit.record(
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
