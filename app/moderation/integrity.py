"""Vote integrity: find clusters of voters who look like one person's sockpuppets, and discount their scores.

Signals, per voter in a challenge: how concentrated their scores are on one designer, whether they only give 5s
(or only 0s) there, whether they scored in a burst. Candidates (voters concentrated on a designer, pushing them up
or down) are linked in pairs by evidence that they are the same hand: a shared network or device fingerprint (a
network shared by many members, such as a mobile carrier's, counts for little), accounts created close together,
scoring within the same hour, and scoring the same designs. Pairs with enough evidence are strong links; connected
components of three or more are clusters, scored by their links' strength and their size, with the reasons.

Discounting a cluster leaves its scores in place but excludes them from the design and challenge counters, which are
recomputed (and the Bayesian ranking refreshed); restoring recomputes them again. Both are audited.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import combinations

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

# Tuned on bench/integrity.py's simulated community (numbers in bench/README.md).
CONCENTRATION = 0.5  # share of a voter's scores on their top designer's designs
MIN_TARGET_SCORES = 2  # scores on that designer's designs
EXTREME_SHARE = 0.9  # share of those scores that are 5 (boosting) or 0 (sinking)
CREATED_CLOSE = timedelta(days=3)
SCORED_CLOSE = timedelta(hours=1)
CROWDED_NETWORK = 10  # a network seen with more members than this is shared by strangers
STRONG_LINK = 3.0
MIN_CLUSTER = 3


@dataclass(frozen=True)
class Vote:
    voter_id: int
    design_id: int
    designer_id: int
    value: int
    at: datetime


@dataclass
class VoterProfile:
    voter_id: int
    target: int  # the designer most of their scores went to
    direction: int  # +1 boosting (5s), -1 sinking (0s)
    concentration: float
    extreme: float
    burst: bool
    first_at: datetime
    last_at: datetime
    designs: frozenset[int]


@dataclass
class Cluster:
    voter_ids: list[int]
    target_designer_id: int
    direction: int
    score: float
    reasons: list[str] = field(default_factory=list)


def _profile(voter_id: int, votes: Sequence[Vote]) -> VoterProfile | None:
    by_designer = Counter(vote.designer_id for vote in votes)
    target, on_target = by_designer.most_common(1)[0]
    concentration = on_target / len(votes)
    if on_target < MIN_TARGET_SCORES or concentration < CONCENTRATION:
        return None
    values = [vote.value for vote in votes if vote.designer_id == target]
    fives, zeros = values.count(5), values.count(0)
    direction = 1 if fives >= zeros else -1
    extreme = max(fives, zeros) / len(values)
    if extreme < EXTREME_SHARE:
        return None
    times = sorted(vote.at for vote in votes)
    return VoterProfile(
        voter_id=voter_id,
        target=target,
        direction=direction,
        concentration=concentration,
        extreme=extreme,
        burst=len(times) >= 3 and times[-1] - times[0] <= SCORED_CLOSE,
        first_at=times[0],
        last_at=times[-1],
        designs=frozenset(vote.design_id for vote in votes if vote.designer_id == target),
    )


def find_clusters(
    votes: Iterable[Vote],
    *,
    created_at: dict[int, datetime],
    fingerprints: dict[int, set[tuple[str, str]]],
    exclude_voters: frozenset[int] = frozenset(),
) -> list[Cluster]:
    """The suspicious clusters among these votes, most suspicious first (pure: bench and tests call it directly)."""
    per_voter: dict[int, list[Vote]] = defaultdict(list)
    for vote in votes:
        if vote.voter_id not in exclude_voters:
            per_voter[vote.voter_id].append(vote)
    network_size: Counter[str] = Counter()
    device_size: Counter[str] = Counter()
    for prints in fingerprints.values():
        for network in {network for network, _ in prints}:
            network_size[network] += 1
        for device in {device for _, device in prints}:
            device_size[device] += 1

    groups: dict[tuple[int, int], list[VoterProfile]] = defaultdict(list)
    for voter_id, theirs in per_voter.items():
        profile = _profile(voter_id, theirs)
        if profile is not None and profile.target != voter_id:
            groups[(profile.target, profile.direction)].append(profile)

    clusters = []
    for (target, direction), members in groups.items():
        if len(members) < MIN_CLUSTER:
            continue
        links: dict[int, set[int]] = defaultdict(set)
        evidence: Counter[str] = Counter()
        strengths: list[float] = []
        for a, b in combinations(members, 2):
            strength, why = _link(
                a,
                b,
                created_at=created_at,
                fingerprints=fingerprints,
                network_size=network_size,
                device_size=device_size,
            )
            if strength >= STRONG_LINK:
                links[a.voter_id].add(b.voter_id)
                links[b.voter_id].add(a.voter_id)
                evidence.update(why)
                strengths.append(strength)
        for component in _components(links):
            if len(component) < MIN_CLUSTER:
                continue
            mean_strength = sum(strengths) / len(strengths) if strengths else 0.0
            score = round(min(1.0, (mean_strength / 6) * 0.7 + min(len(component), 30) / 30 * 0.3), 2)
            reasons = [
                f"{len(component)} accounts giving {'5s' if direction > 0 else '0s'} to one designer's designs",
                *(f"{label} ({count} pairs)" for label, count in evidence.most_common()),
            ]
            clusters.append(
                Cluster(
                    voter_ids=sorted(component),
                    target_designer_id=target,
                    direction=direction,
                    score=score,
                    reasons=reasons,
                )
            )
    return sorted(clusters, key=lambda cluster: (-cluster.score, -len(cluster.voter_ids)))


def _link(
    a: VoterProfile,
    b: VoterProfile,
    *,
    created_at: dict[int, datetime],
    fingerprints: dict[int, set[tuple[str, str]]],
    network_size: Counter[str],
    device_size: Counter[str],
) -> tuple[float, list[str]]:
    strength, why = 0.0, []
    prints_a, prints_b = fingerprints.get(a.voter_id, set()), fingerprints.get(b.voter_id, set())
    shared_networks = {n for n, _ in prints_a} & {n for n, _ in prints_b}
    if shared_networks:
        rare = any(network_size[network] <= CROWDED_NETWORK for network in shared_networks)
        strength += 2.0 if rare else 0.5
        why.append("same network")
    shared_devices = {d for _, d in prints_a} & {d for _, d in prints_b}
    if shared_devices:
        rare = any(device_size[device] <= CROWDED_NETWORK for device in shared_devices)
        strength += 1.5 if rare else 0.25
        why.append("same device fingerprint")
    born_a, born_b = created_at.get(a.voter_id), created_at.get(b.voter_id)
    if born_a is not None and born_b is not None and abs(born_a - born_b) <= CREATED_CLOSE:
        strength += 1.0
        why.append("accounts created close together")
    if a.first_at - SCORED_CLOSE <= b.last_at and b.first_at - SCORED_CLOSE <= a.last_at:
        strength += 1.0
        why.append("scored in the same hour")
    if a.burst and b.burst:
        strength += 0.5
        why.append("scoring bursts")
    overlap = len(a.designs & b.designs) / len(a.designs | b.designs)
    if overlap >= 0.6:
        strength += 1.0
        why.append("scored the same designs")
    return strength, why


def _components(links: dict[int, set[int]]) -> list[set[int]]:
    seen: set[int] = set()
    components = []
    for start in links:
        if start in seen:
            continue
        component, frontier = set(), [start]
        while frontier:
            node = frontier.pop()
            if node in component:
                continue
            component.add(node)
            frontier.extend(links[node] - component)
        seen |= component
        components.append(component)
    return components


# --- on the database -------------------------------------------------------------------------------------------


def _discounted_voter_ids(session: Session, *, challenge: Challenge) -> set[int]:
    return set(
        session.exec(
            select(DiscountedVoter.voter_id)
            .join(ScoreDiscount, col(ScoreDiscount.id) == DiscountedVoter.discount_id)
            .where(ScoreDiscount.challenge_id == challenge.id, col(ScoreDiscount.restored_at).is_(None))
        ).all()
    )


def challenge_clusters(session: Session, *, challenge: Challenge) -> list[Cluster]:
    """The suspicious clusters among the challenge's voters not discounted already."""
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
    return find_clusters(
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
