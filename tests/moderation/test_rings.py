"""Vote rings (pure): each ring shape on a small honest community is found; honest look-alikes are not."""

import random
from datetime import UTC, datetime, timedelta

from app.moderation.rings import Vote, find_rings

START = datetime(2026, 6, 1, tzinfo=UTC)
WINDOW = timedelta(days=21)
DESIGNS = 60  # design d is by designer 10_000 + d // 2 (two designs each)


def designer(design: int) -> int:
    return 10_000 + design // 2


class Community:
    """400 honest members scoring 15-30 of 60 designs around each design's quality, with their own bias and noise,
    at random moments of a three-week window; accounts made months to years before."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.quality = [self.rng.uniform(1.0, 4.2) for _ in range(DESIGNS)]
        # A member's latest score of a design, in the order given (a new score of a design moves it to the end).
        self._votes: dict[tuple[int, int], Vote] = {}
        self.created_at: dict[int, datetime] = {}
        for member in range(1, 401):
            bias, noise = self.rng.gauss(0, 0.4), self.rng.uniform(0.5, 0.9)
            self.member(member, bias=bias, noise=noise, count=self.rng.randint(15, 30))

    def member(self, member: int, *, bias: float, noise: float, count: int, scale: float = 1.0) -> None:
        self.created_at[member] = START - timedelta(days=self.rng.uniform(60, 700))
        for design in self.rng.sample(range(DESIGNS), count):
            value = 2.5 + bias + scale * (self.quality[design] - 2.5) + self.rng.gauss(0, noise)
            self.score(member, design, max(0, min(5, round(value))), START + WINDOW * self.rng.random())

    def score(self, voter: int, design: int, value: int, at: datetime) -> None:
        self._votes.pop((voter, design), None)
        self._votes[voter, design] = Vote(voter, design, designer(design), value, at)

    @property
    def votes(self) -> list[Vote]:
        return list(self._votes.values())

    def mediocre(self) -> int:
        return sorted(range(DESIGNS), key=lambda d: self.quality[d])[DESIGNS // 3]

    def flagged(self, **kwargs: object) -> set[int]:
        rings = find_rings(self.votes, created_at=self.created_at, **kwargs)  # type: ignore[arg-type]
        return {voter for ring in rings for voter in ring.voter_ids}


def test_a_burst_of_new_accounts_each_giving_one_design_a_single_five_is_found() -> None:
    community = Community()
    target, at = community.mediocre(), START + timedelta(days=9)
    ring = range(5000, 5015)
    for account in ring:
        community.created_at[account] = at - timedelta(hours=3)
        community.score(account, target, 5, at + timedelta(minutes=account - 5000))
    (found,) = find_rings(community.votes, created_at=community.created_at)
    assert set(ring) <= set(found.voter_ids) and len(found.voter_ids) <= len(ring) + 1
    assert found.direction == 1 and target in found.target_design_ids
    assert any("accounts that scored little else" in reason for reason in found.reasons)
    assert found.votes and all(vote.design_id == target for vote in found.votes)


def test_a_burst_on_a_good_design_is_found_too() -> None:
    community = Community()
    best = max(range(DESIGNS), key=lambda d: community.quality[d])
    for account in range(5000, 5012):
        community.created_at[account] = START
        community.score(account, best, 5, START + timedelta(hours=1, minutes=account - 5000))
    assert set(range(5000, 5012)) <= community.flagged()


def test_a_slow_drip_of_accounts_days_apart_is_found() -> None:
    community = Community()
    target = community.mediocre()
    for index, account in enumerate(range(5000, 5012)):
        made = START + timedelta(days=1.5 * index)
        community.created_at[account] = made
        community.score(account, target, 5, made + timedelta(minutes=20))
    assert set(range(5000, 5012)) <= community.flagged()


def test_aged_accounts_that_score_like_everyone_and_slip_the_target_a_five_are_found() -> None:
    community = Community()
    target, at = community.mediocre(), START + timedelta(days=12)
    ring = list(range(5000, 5015))
    for account in ring:
        community.member(account, bias=0.0, noise=0.6, count=25)
        community.score(account, target, 5, at + timedelta(hours=community.rng.uniform(0, 30)))
    flagged = community.flagged()
    assert len(flagged & set(ring)) >= 0.8 * len(ring)
    assert len(flagged - set(ring)) <= 2


def test_designers_swapping_fives_and_sinking_rivals_are_found_with_or_without_fingerprints() -> None:
    community = Community()
    ranked = sorted(range(DESIGNS), key=lambda d: community.quality[d])
    own = ranked[10:16:2]  # three designers' mediocre designs
    rivals = ranked[-6:]
    ring = [designer(design) for design in own] + list(range(5000, 5003))
    for account in ring:
        community.created_at[account] = START - timedelta(days=200)
        for design in own:
            if designer(design) != account:
                community.score(account, design, 5, START + WINDOW * community.rng.random())
        for design in rivals:
            community.score(account, design, community.rng.choice([0, 1]), START + WINDOW * community.rng.random())
    assert set(ring) <= community.flagged()
    prints = {account: {("home-net", "laptop")} for account in ring}
    assert set(ring) <= community.flagged(fingerprints=prints)


def test_honest_look_alikes_are_not_flagged() -> None:
    community = Community(seed=2)
    ranked = sorted(range(DESIGNS), key=lambda d: community.quality[d])
    # Newcomers who score a few designs the day they join.
    for account in range(6000, 6060):
        joined = START + WINDOW * community.rng.random()
        community.created_at[account] = joined
        for design in community.rng.sample(range(DESIGNS), community.rng.randint(1, 4)):
            value = max(0, min(5, round(community.quality[design] + community.rng.gauss(0, 0.7))))
            community.score(account, design, value, joined + timedelta(minutes=10))
    # Heavy users, harsh raters and soft raters.
    for account in range(7000, 7010):
        community.member(account, bias=0.0, noise=0.7, count=DESIGNS)
    for account in range(7100, 7120):
        community.member(account, bias=-1.8, noise=0.4, count=30, scale=0.6)
    for account in range(7200, 7220):
        community.member(account, bias=1.8, noise=0.4, count=30, scale=0.5)
    # A fan club of the designer of the two best designs: 4s and 5s there, spread over the window, and like
    # everyone else elsewhere.
    favourite = designer(ranked[-1])
    fan_designs = [d for d in range(DESIGNS) if designer(d) == favourite]
    for account in range(8000, 8030):
        community.member(account, bias=0.0, noise=0.6, count=15)
        for design in fan_designs:
            community.score(account, design, community.rng.choice([4, 5, 5]), START + WINDOW * community.rng.random())
    honest = set(community.created_at)
    assert len(community.flagged() & honest) <= 0.01 * len(honest)


def test_discounted_voters_are_left_out() -> None:
    community = Community()
    target = community.mediocre()
    ring = frozenset(range(5000, 5012))
    for account in ring:
        community.created_at[account] = START
        community.score(account, target, 5, START + timedelta(minutes=account - 5000))
    assert find_rings(community.votes, created_at=community.created_at, exclude_voters=ring) == []
