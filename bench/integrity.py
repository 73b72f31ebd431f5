"""Vote integrity on a simulated community: how many sockpuppet-ring accounts the cluster detection finds, and how
many honest members it flags by mistake.

    .venv/bin/python -m bench.integrity                 # 5 communities (seeds 1-5), the pure detector
    .venv/bin/python -m bench.integrity --database      # also through the database (integrity.challenge_integrity)

Each community: 2,000 members and 200 designs by 80 designers, scored in one challenge. Honest members score with
their own taste around each design's quality: most score a few designs, heavy users score 100-200, and fans give
most of their (few) scores to one favourite designer (two in five of them nothing but 5s there). They sit on home
networks or on a few mobile-carrier networks shared by hundreds, with common browsers. Rings of 5-30 sockpuppets
each boost one designer: accounts made within days of each other (some spread over weeks), mostly on the ring
owner's one to three networks (some through carriers), scoring that designer's designs 5 in bursts (some spread
over two days), with a few camouflage scores on other designs. The figures in bench/README.md come from this script.
"""

import argparse
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.progress import track
from rich.table import Table

from app.moderation.rings import Vote, find_rings

MEMBERS = 2000
DESIGNS = 200
DESIGNERS = 80
START = datetime(2026, 6, 1, tzinfo=UTC)
CARRIERS = [f"carrier-{i}" for i in range(5)]
BROWSERS = [f"browser-{i}" for i in range(30)]


@dataclass
class Community:
    votes: list[Vote]
    created_at: dict[int, datetime]
    fingerprints: dict[int, set[tuple[str, str]]]
    ring_accounts: set[int]
    honest_accounts: set[int]
    rings: list[list[int]]


def simulate(seed: int) -> Community:
    rng = random.Random(seed)
    ring_sizes: list[int] = []
    while sum(ring_sizes) < 180:
        ring_sizes.append(rng.randint(5, 30))
    ring_total = sum(ring_sizes)
    honest_count = MEMBERS - ring_total
    honest = list(range(1, honest_count + 1))
    designers = honest[:DESIGNERS]
    created_at = {member: START - timedelta(days=rng.uniform(0, 400)) for member in honest}
    fingerprints: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for member in honest:
        browser = rng.choice(BROWSERS)
        if rng.random() < 0.3:
            fingerprints[member].add((rng.choice(CARRIERS), browser))
        household = f"home-{member // rng.choice((1, 1, 1, 2, 3))}"
        fingerprints[member].add((household, browser))

    # Designs: 80 designers with 1-5 designs each (200 in all), each with a quality.
    design_designer: dict[int, int] = {}
    design_id = 10_000
    counts = [2] * DESIGNERS
    for _ in range(DESIGNS - sum(counts)):
        counts[rng.randrange(DESIGNERS)] += 1
    for designer, count in zip(designers, counts, strict=True):
        for _ in range(count):
            design_id += 1
            design_designer[design_id] = designer
    designs = list(design_designer)
    quality = {design: rng.uniform(1.0, 4.5) for design in designs}
    popularity = [1 / (rank + 1) ** 0.6 for rank in range(len(designs))]
    by_designer: dict[int, list[int]] = defaultdict(list)
    for design, designer in design_designer.items():
        by_designer[designer].append(design)

    votes: list[Vote] = []
    scoring_open = START + timedelta(days=10)

    def honest_value(design: int, bias: float = 0.0) -> int:
        return max(0, min(5, round(quality[design] + bias + rng.gauss(0, 1.1))))

    for member in honest:
        roll = rng.random()
        if roll < 0.05:
            count = rng.randint(100, 199)
        elif roll < 0.25:
            count = rng.randint(15, 60)
        else:
            count = rng.randint(3, 15)
        chosen = set(rng.choices(designs, weights=popularity, k=count))
        favourite, superfan = None, False
        if rng.random() < 0.05:  # a fan: most of their scores on a favourite designer, generously
            favourite = rng.choice(designers)
            chosen = set(rng.sample(designs, k=rng.randint(0, 3))) | set(by_designer[favourite])
            superfan = rng.random() < 0.4  # gives the favourite nothing but 5s, like a ring would
        moment = scoring_open + timedelta(days=rng.uniform(0, 6))
        for design in chosen:
            if design_designer[design] == member:
                continue
            value = honest_value(design, 1.5 if design_designer[design] == favourite else 0.0)
            if superfan and design_designer[design] == favourite:
                value = 5
            votes.append(Vote(member, design, design_designer[design], value, moment))
            moment += timedelta(minutes=rng.expovariate(1 / 20))

    rings: list[list[int]] = []
    next_id = honest_count + 1
    targets = rng.sample(designers, k=len(ring_sizes))
    for size, target in zip(ring_sizes, targets, strict=True):
        ring = list(range(next_id, next_id + size))
        next_id += size
        rings.append(ring)
        born = START - timedelta(days=rng.uniform(5, 60))
        spread_days = rng.choice((1, 2, 3, 10, 21))  # some rings make their accounts over weeks
        networks = [f"ring-{target}-{i}" for i in range(rng.randint(1, 3))]
        browsers = rng.sample(BROWSERS, k=rng.randint(1, 2))
        burst_start = scoring_open + timedelta(days=rng.uniform(0, 5))
        burst_hours = rng.choice((1, 2, 6, 48))  # some rings trickle their scores over two days
        for account in ring:
            created_at[account] = born + timedelta(days=rng.uniform(0, spread_days))
            network = rng.choice(CARRIERS) if rng.random() < 0.25 else rng.choice(networks)
            fingerprints[account].add((network, rng.choice(browsers)))
            moment = burst_start + timedelta(hours=rng.uniform(0, burst_hours))
            for design in by_designer[target]:
                votes.append(Vote(account, design, target, 5, moment))
                moment += timedelta(seconds=rng.uniform(5, 90))
            for design in rng.sample(designs, k=rng.randint(0, 2)):  # camouflage
                if design_designer[design] != target:
                    votes.append(Vote(account, design, design_designer[design], rng.randint(1, 4), moment))
    return Community(
        votes=votes,
        created_at=created_at,
        fingerprints=fingerprints,
        ring_accounts={account for ring in rings for account in ring},
        honest_accounts=set(honest),
        rings=rings,
    )


@dataclass
class Result:
    seed: int
    ring_accounts: int
    found: int
    honest: int
    flagged_honest: int
    clusters: int
    seconds: float

    @property
    def detection(self) -> float:
        return self.found / self.ring_accounts

    @property
    def false_positive(self) -> float:
        return self.flagged_honest / self.honest


def measure(seed: int, *, fingerprints: bool = True) -> Result:
    community = simulate(seed)
    started = time.perf_counter()
    prints = community.fingerprints if fingerprints else {}
    clusters = find_rings(community.votes, created_at=community.created_at, fingerprints=prints)
    elapsed = time.perf_counter() - started
    flagged = {voter for cluster in clusters for voter in cluster.voter_ids}
    return Result(
        seed=seed,
        ring_accounts=len(community.ring_accounts),
        found=len(flagged & community.ring_accounts),
        honest=len(community.honest_accounts),
        flagged_honest=len(flagged & community.honest_accounts),
        clusters=len(clusters),
        seconds=elapsed,
    )


def measure_through_database(seed: int) -> Result:
    """The same community written to a fresh SQLite database, detected by ``integrity.challenge_integrity``."""
    import tempfile
    from pathlib import Path

    from sqlalchemy import insert
    from sqlmodel import Session

    from app.accounts.models import User
    from app.brands.models import Brand
    from app.challenges.models import Challenge, ChallengeStatus, Design, Score
    from app.communities.models import Community as CommunityRow
    from app.communities.models import CommunityKind
    from app.db import build_engine, migrate
    from app.media.models import MediaImage
    from app.moderation.integrity import challenge_integrity
    from app.moderation.models import MemberFingerprint

    community = simulate(seed)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'integrity.db'}"
        migrate(url)
        engine = build_engine(url)
        with Session(engine) as session:
            people = sorted(community.created_at)
            session.execute(
                insert(User),
                [
                    {
                        "id": p,
                        "email": f"m{p}@x.test",
                        "handle": f"m{p}",
                        "display_name": f"M{p}",
                        "password_hash": "!",
                        "created_at": community.created_at[p],
                        "password_changed_at": START,
                    }
                    for p in people
                ],
            )
            brand = Brand(name="B", slug="b")
            session.add(brand)
            session.flush()
            row = CommunityRow(brand_id=brand.id or 0, name="C", slug="c", kind=CommunityKind.design)
            session.add(row)
            session.flush()
            challenge = Challenge(
                community_id=row.id or 0,
                title="T",
                slug="t",
                status=ChallengeStatus.published,
                submissions_open_at=START,
                submissions_close_at=START,
                scoring_close_at=START,
            )
            session.add(challenge)
            session.flush()
            designs = {(v.design_id, v.designer_id) for v in community.votes}
            session.execute(
                insert(MediaImage),
                [
                    {
                        "id": d,
                        "sha256": f"{d:064x}",
                        "original_key": f"o{d}",
                        "display_key": f"d{d}",
                        "thumbnail_key": f"t{d}",
                        "width": 1,
                        "height": 1,
                        "format": "PNG",
                        "byte_size": 1,
                    }
                    for d, _ in designs
                ],
            )
            session.execute(
                insert(Design),
                [
                    {"id": d, "challenge_id": challenge.id, "designer_id": g, "image_id": d, "title": f"D{d}"}
                    for d, g in designs
                ],
            )
            seen: set[tuple[int, int]] = set()
            rows = []
            for vote in community.votes:
                if (vote.design_id, vote.voter_id) not in seen:
                    seen.add((vote.design_id, vote.voter_id))
                    rows.append(
                        {
                            "design_id": vote.design_id,
                            "voter_id": vote.voter_id,
                            "value": vote.value,
                            "created_at": vote.at,
                            "updated_at": vote.at,
                        }
                    )
            session.execute(insert(Score), rows)
            session.execute(
                insert(MemberFingerprint),
                [
                    {"user_id": p, "network_hash": n[:32], "device_hash": b[:32], "first_seen_at": START}
                    for p, prints in community.fingerprints.items()
                    for n, b in prints
                ],
            )
            session.commit()
            started = time.perf_counter()
            clusters = challenge_integrity(session, challenge=challenge).rings
            elapsed = time.perf_counter() - started
        engine.dispose()
    flagged = {voter for cluster in clusters for voter in cluster.voter_ids}
    return Result(
        seed=seed,
        ring_accounts=len(community.ring_accounts),
        found=len(flagged & community.ring_accounts),
        honest=len(community.honest_accounts),
        flagged_honest=len(flagged & community.honest_accounts),
        clusters=len(clusters),
        seconds=elapsed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--database", action="store_true", help="also detect through a SQLite database")
    parser.add_argument(
        "--without-fingerprints", action="store_true", help="also detect with no network or device fingerprints"
    )
    arguments = parser.parse_args()
    console = Console()
    runs: list[tuple[str, Callable[[int], Result]]] = [("pure", measure)]
    if arguments.without_fingerprints:
        runs.append(("no fingerprints", lambda seed: measure(seed, fingerprints=False)))
    if arguments.database:
        runs.append(("database", measure_through_database))
    for label, run in runs:
        results = [run(seed) for seed in track(range(1, arguments.seeds + 1), description=f"{label}: communities")]
        table = Table(title=f"Vote integrity ({label}): {MEMBERS:,} members, {DESIGNS} designs per community")
        for column in (
            "seed",
            "ring accounts",
            "found",
            "detection",
            "honest",
            "flagged honest",
            "false positives",
            "clusters",
            "time",
        ):
            table.add_column(column, justify="right")
        for r in results:
            table.add_row(
                str(r.seed),
                str(r.ring_accounts),
                str(r.found),
                f"{r.detection:.1%}",
                f"{r.honest:,}",
                str(r.flagged_honest),
                f"{r.false_positive:.2%}",
                str(r.clusters),
                f"{r.seconds:.2f} s",
            )
        detection = sum(r.found for r in results) / sum(r.ring_accounts for r in results)
        false_positive = sum(r.flagged_honest for r in results) / sum(r.honest for r in results)
        table.add_row(
            "all",
            str(sum(r.ring_accounts for r in results)),
            str(sum(r.found for r in results)),
            f"{detection:.1%}",
            f"{sum(r.honest for r in results):,}",
            str(sum(r.flagged_honest for r in results)),
            f"{false_positive:.2%}",
            str(sum(r.clusters for r in results)),
            f"{statistics.mean(r.seconds for r in results):.2f} s mean",
        )
        console.print(table)


if __name__ == "__main__":
    main()
