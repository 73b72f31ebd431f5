"""Vote rings on simulated communities: recall per ring shape and the share of honest members flagged.

    .venv/bin/python -m bench.rings                     # 10 seeds, fingerprints absent and present
    .venv/bin/python -m bench.rings --seeds 20 --fingerprints absent

Each community: 2,000 members and 300 designs in one challenge, most designers with one or two designs, scored over
a three-week window. Honest members score with their own taste around each design's quality (a bias, a spread and
noise of their own) and choose designs by popularity: regulars score 10-40 designs, newcomers join during the window
and score a few, heavy users score 100-300, harsh and soft raters sit far below or above everyone, and fan clubs
give a popular designer's designs 4s and 5s while scoring others like everyone else, spread over the whole window.

The rings (all four shapes in every community, each boosting a mid-ranked design of an honest designer):
1. burst: 10-40 accounts made the day before, each giving the target (or one of its designer's designs) a 5,
   all within an hour or within a day; a few also score one random design;
2. camouflage: 10-30 accounts months old that score 20-60 designs like a regular and give the target a 5, some
   rings within two days, some spread over the window;
3. drip: 10-30 accounts made over three weeks, each giving the target one 5 soon after it was made, days apart;
4. swap: three to six designers and one to three sock puppets each, giving the group's designs 5s and four to
   eight rivals' designs 0s and 1s, with some ordinary scores besides.
With fingerprints present, ring accounts share one to three networks and devices; absent, nobody has any (the
detector must not need them). The detector never sees which accounts are which.
"""

import argparse
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.progress import track
from rich.table import Table

from app.moderation.rings import Vote, find_rings

MEMBERS = 2000
DESIGNS = 300
START = datetime(2026, 6, 1, tzinfo=UTC)
WINDOW = timedelta(days=21)
SHAPES = ("burst", "camouflage", "drip", "swap", "camouflage spread")
CARRIERS = [f"carrier-{i}" for i in range(5)]
BROWSERS = [f"browser-{i}" for i in range(30)]


@dataclass
class Community:
    votes: list[Vote] = field(default_factory=list)
    created_at: dict[int, datetime] = field(default_factory=dict)
    fingerprints: dict[int, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    shape_of: dict[int, str] = field(default_factory=dict)  # ring accounts
    honest: set[int] = field(default_factory=set)


@dataclass
class Rater:
    bias: float
    scale: float
    noise: float


def _score(rng: random.Random, quality: float, rater: Rater) -> int:
    value = 2.5 + rater.bias + rater.scale * (quality - 2.5) + rng.gauss(0, rater.noise)
    return max(0, min(5, round(value)))


def _when(rng: random.Random, start: datetime, span: timedelta) -> datetime:
    return start + span * rng.random()


def simulate(seed: int, *, fingerprints: bool) -> Community:
    """One community with honest members of every kind and a ring of each shape."""
    rng = random.Random(seed)
    community = Community()
    quality = [min(5.0, max(0.0, rng.gauss(2.6, 0.8))) for _ in range(DESIGNS)]
    popularity = [math.exp(rng.gauss(0, 0.6) + 0.3 * (q - 2.6)) for q in quality]
    next_id = iter(range(1, 10**6))

    # Designers: most with one or two designs.
    designer_of: list[int] = []
    designers: list[int] = []
    while len(designer_of) < DESIGNS:
        designer = next(next_id)
        designers.append(designer)
        designer_of.extend([designer] * min(rng.choice([1, 1, 1, 2, 2, 3]), DESIGNS - len(designer_of)))
    designs_of: dict[int, list[int]] = defaultdict(list)
    for design, designer in enumerate(designer_of):
        designs_of[designer].append(design)

    def add(voter: int, design: int, value: int, at: datetime) -> None:
        community.votes.append(Vote(voter, design, designer_of[design], value, at))

    def pick(count: int, *, exclude: set[int] = frozenset()) -> list[int]:  # type: ignore[assignment]
        chosen: set[int] = set()
        while len(chosen) < min(count, DESIGNS - len(exclude)):
            design = rng.choices(range(DESIGNS), weights=popularity)[0]
            if design not in exclude:
                chosen.add(design)
        return sorted(chosen)

    def honest_rater() -> Rater:
        return Rater(bias=rng.gauss(0, 0.4), scale=rng.uniform(0.7, 1.3), noise=rng.uniform(0.5, 1.0))

    def home_prints(member: int) -> None:
        if fingerprints:
            community.fingerprints[member].add((f"home-{member}", rng.choice(BROWSERS)))
            if rng.random() < 0.5:
                community.fingerprints[member].add((rng.choice(CARRIERS), rng.choice(BROWSERS)))

    ring_budget = 4 * 25 + 20  # roughly; honest fill the rest
    honest_count = MEMBERS - ring_budget - len(designers)
    # Designers are honest members too (unless they join a swap ring below).
    for designer in designers:
        community.honest.add(designer)
        community.created_at[designer] = START - timedelta(days=rng.uniform(30, 600))
        home_prints(designer)
        rater = honest_rater()
        own = set(designs_of[designer])
        for design in pick(rng.randint(0, 15), exclude=own):
            add(designer, design, _score(rng, quality[design], rater), _when(rng, START, WINDOW))

    # A popular designer: every design of theirs among the best quarter.
    good = sorted(quality)[int(DESIGNS * 0.75)]
    popular = sorted(g for g in designers if all(quality[d] >= good for d in designs_of[g]))
    fan_designers = rng.sample(popular, 3)
    for _ in range(honest_count):
        member = next(next_id)
        community.honest.add(member)
        home_prints(member)
        kind = rng.choices(["regular", "newcomer", "heavy", "harsh", "soft", "fan"], weights=[55, 20, 5, 6, 6, 8])[0]
        rater = honest_rater()
        created = START - timedelta(days=rng.uniform(10, 700))
        start, span = START, WINDOW
        if kind == "newcomer":
            created = _when(rng, START, WINDOW)
            start, span = created + timedelta(minutes=5), timedelta(hours=rng.choice([1, 6, 48]))
            count = rng.randint(1, 5)
        elif kind == "heavy":
            count = rng.randint(100, 300)
        elif kind == "harsh":
            rater = Rater(bias=rng.uniform(-2.2, -1.2), scale=rng.uniform(0.4, 0.9), noise=rng.uniform(0.3, 0.7))
            count = rng.randint(10, 60)
        elif kind == "soft":
            rater = Rater(bias=rng.uniform(1.2, 2.2), scale=rng.uniform(0.3, 0.8), noise=rng.uniform(0.3, 0.7))
            count = rng.randint(10, 60)
        else:
            count = rng.randint(10, 40)
        community.created_at[member] = created
        favourite = rng.choice(fan_designers) if kind == "fan" else None
        chosen = pick(count)
        if favourite is not None:
            chosen = sorted(set(chosen) | set(designs_of[favourite]))
        for design in chosen:
            value = _score(rng, quality[design], rater)
            if favourite is not None and designer_of[design] == favourite:
                value = rng.choice([4, 5, 5])
            add(member, design, value, _when(rng, start, span))

    ranked = sorted(range(DESIGNS), key=lambda d: quality[d])
    mid = [d for d in ranked[int(DESIGNS * 0.2) : int(DESIGNS * 0.7)] if designer_of[d] not in fan_designers]
    targets = rng.sample(mid, 9)

    def ring_account(shape: str, created: datetime) -> int:
        account = next(next_id)
        community.shape_of[account] = shape
        community.created_at[account] = created
        return account

    def ring_prints(accounts: list[int]) -> None:
        if not fingerprints:
            return
        networks = [f"ring-net-{rng.random()}" for _ in range(rng.randint(1, 3))]
        devices = [f"ring-dev-{rng.random()}" for _ in range(rng.randint(1, 2))]
        for account in accounts:
            network = rng.choice(networks) if rng.random() < 0.8 else rng.choice(CARRIERS)
            community.fingerprints[account].add((network, rng.choice(devices)))

    # 1. burst
    target = targets[0]
    burst_at = _when(rng, START, WINDOW - timedelta(days=1))
    span = rng.choice([timedelta(hours=1), timedelta(days=1)])
    accounts = [
        ring_account("burst", burst_at - timedelta(hours=rng.uniform(1, 24))) for _ in range(rng.randint(10, 40))
    ]
    by_designer = rng.random() < 0.5 and len(designs_of[designer_of[target]]) > 1
    for account in accounts:
        design = rng.choice(designs_of[designer_of[target]]) if by_designer else target
        add(account, design, 5, _when(rng, burst_at, span))
        if rng.random() < 0.2:
            (other,) = pick(1, exclude={design})
            add(account, other, _score(rng, quality[other], honest_rater()), _when(rng, burst_at, span))
    ring_prints(accounts)

    # 2. camouflage: the target's scores within two days; and (reported apart) a ring spread over the whole window.
    for target, shape in ((targets[1], "camouflage"), (targets[8], "camouflage spread")):
        accounts = [
            ring_account(shape, START - timedelta(days=rng.uniform(60, 400))) for _ in range(rng.randint(10, 30))
        ]
        at = _when(rng, START, WINDOW - timedelta(days=2))
        for account in accounts:
            rater = honest_rater()
            for design in pick(rng.randint(20, 60), exclude={target}):
                add(account, design, _score(rng, quality[design], rater), _when(rng, START, WINDOW))
            add(
                account,
                target,
                5,
                _when(rng, at, timedelta(days=2)) if shape == "camouflage" else _when(rng, START, WINDOW),
            )
        ring_prints(accounts)

    # 3. drip
    target = targets[2]
    accounts = []
    for _ in range(rng.randint(10, 30)):
        created = _when(rng, START, WINDOW - timedelta(days=1))
        account = ring_account("drip", created)
        accounts.append(account)
        add(account, target, 5, created + timedelta(minutes=rng.uniform(5, 600)))
        if rng.random() < 0.2:
            (other,) = pick(1, exclude={target})
            add(account, other, _score(rng, quality[other], honest_rater()), created + timedelta(minutes=30))
    ring_prints(accounts)

    # 4. swap: designers of the remaining targets and their puppets.
    group_designers = [designer_of[d] for d in targets[3 : 3 + rng.randint(3, 5)]]
    group_designs = sorted({d for g in group_designers for d in designs_of[g]})
    rivals = [d for d in ranked[-40:] if designer_of[d] not in group_designers]
    accounts = []
    for designer in group_designers:
        community.honest.discard(designer)
        community.shape_of[designer] = "swap"
        accounts.append(designer)
        accounts.extend(
            ring_account("swap", START - timedelta(days=rng.uniform(5, 200))) for _ in range(rng.randint(1, 3))
        )
    sunk = rng.sample(rivals, rng.randint(4, 8))
    for account in accounts:
        rater = honest_rater()
        for design in group_designs:
            if designer_of[design] != account:
                add(account, design, 5, _when(rng, START, WINDOW))
        for design in sunk:
            add(account, design, rng.choice([0, 0, 1]), _when(rng, START, WINDOW))
        for design in pick(rng.randint(0, 15), exclude=set(group_designs) | set(sunk)):
            add(account, design, _score(rng, quality[design], rater), _when(rng, START, WINDOW))
    ring_prints(accounts)

    # One score per voter and design: the last one counts, as in the app.
    latest: dict[tuple[int, int], Vote] = {}
    for vote in community.votes:
        latest[(vote.voter_id, vote.design_id)] = vote
    community.votes = list(latest.values())
    return community


@dataclass
class Outcome:
    recall: dict[str, float]
    honest_flagged: float
    honest_count: int


def measure(community: Community) -> Outcome:
    rings = find_rings(community.votes, created_at=community.created_at, fingerprints=community.fingerprints)
    flagged = {voter for ring in rings for voter in ring.voter_ids}
    recall = {}
    for shape in SHAPES:
        members = [account for account, s in community.shape_of.items() if s == shape]
        recall[shape] = sum(account in flagged for account in members) / len(members)
    voters = {vote.voter_id for vote in community.votes}
    honest = community.honest & voters
    return Outcome(recall, len(flagged & honest) / len(honest), len(honest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--fingerprints", choices=["absent", "present", "both"], default="both")
    args = parser.parse_args()
    console = Console()
    modes = ["absent", "present"] if args.fingerprints == "both" else [args.fingerprints]
    for mode in modes:
        table = Table(title=f"Vote rings, fingerprints {mode}: recall per shape, honest members flagged")
        for column in ["seed", *SHAPES, "honest flagged"]:
            table.add_column(column, justify="right")
        outcomes = []
        for seed in track(range(1, args.seeds + 1), description=f"fingerprints {mode}", console=console):
            outcome = measure(simulate(seed, fingerprints=mode == "present"))
            outcomes.append(outcome)
            table.add_row(
                str(seed),
                *(f"{outcome.recall[shape]:.0%}" for shape in SHAPES),
                f"{outcome.honest_flagged:.2%}",
            )
        table.add_row(
            "all",
            *(f"{sum(o.recall[shape] for o in outcomes) / len(outcomes):.0%}" for shape in SHAPES),
            f"{sum(o.honest_flagged for o in outcomes) / len(outcomes):.2%}",
            style="bold",
        )
        table.add_row(
            "worst",
            *(f"{min(o.recall[shape] for o in outcomes):.0%}" for shape in SHAPES),
            f"{max(o.honest_flagged for o in outcomes):.2%}",
        )
        console.print(table)


if __name__ == "__main__":
    main()
