"""The Northwind Design Lab's challenges in the demo, built through the challenge services.

One open for submissions now (Mia has a design in it), one in its scoring phase with about 30 designs (members
have scored some, Mia none, and a vote ring gives one designer's designs 5s: seed/vote_ring.py), and one from
the past, scored and with its winners announced. Each step is taken at a moment inside its window, computed from
the seeding moment ``now``, so the services check the windows as they would for real people.
"""

import io
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from rich.progress import Progress, TaskID
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges import designs as challenge_designs
from app.challenges import scores as challenge_scores
from app.challenges import service as challenges_service
from app.challenges import winners as challenge_winners
from app.challenges.models import Challenge, Design
from app.communities.models import Community, MemberRole, Membership
from seed.designs import Artwork, artworks
from seed.vote_ring import seed_vote_ring

OPEN_CHALLENGE = "rain-ready-tees"
SCORING_CHALLENGE = "harbour-hoodies"
CLOSED_CHALLENGE = "trailhead-totes"
OPEN_DESIGNS = 20  # Mia's included
SCORING_DESIGNS = 30  # the vote ring's target's two included
CLOSED_DESIGNS = 40
WINNERS = 3

ADJECTIVES = [
    "Stormy",
    "Quiet",
    "Bright",
    "Northern",
    "Misty",
    "Wild",
    "Sunday",
    "Salt",
    "Copper",
    "Midnight",
    "Puddle",
    "Harbour",
    "Fern",
    "Drizzle",
    "Lantern",
    "Pebble",
]
NOUNS = {
    "sun": ["Sun", "Daybreak", "Glow"],
    "mountains": ["Ridge", "Peaks", "Summit"],
    "star": ["Star", "Compass", "Spark"],
    "polygon": ["Gem", "Crystal", "Facet"],
    "leaf": ["Leaf", "Canopy", "Sprout"],
    "blocks": ["Blocks", "City", "Patchwork"],
    "bolt": ["Bolt", "Thunder", "Flash"],
}
PATTERN_TAGS = {
    "stripes": "stripes",
    "dots": "polka-dots",
    "checks": "checks",
    "waves": "waves",
    "rings": "rings",
    "gradient": "gradient",
    "triangles": "geometric",
}

RAIN_READY = """Our spring shell jackets come with a matching tee. Design its front print: something that makes a
grey Tuesday commute feel like an adventure.

- Square artwork, at least 1000 px.
- Up to 5 colours; bold shapes print best.
- Words are fine, but keep them short."""
TRAILHEAD = """A tote for the weekend: farmers' market, library, trailhead. Design the print for our canvas tote.

- Square artwork, at least 1000 px.
- One side only; it will be screen-printed."""
HARBOUR = """A heavyweight hoodie for cold harbour mornings. Design its back print: big, calm, readable from
across the quay.

- Square artwork, at least 1000 px.
- Up to 4 colours; it will be screen-printed on navy or charcoal."""
RULES = """Only submit work that is yours. Up to three designs per member. Be kind to each other in comments."""


def _lab_members(session: Session, design_lab: Community) -> list[User]:
    """The design lab's plain members, in a stable order."""
    return list(
        session.exec(
            select(User)
            .join(Membership, col(Membership.user_id) == User.id)
            .where(Membership.community_id == design_lab.id, Membership.role == MemberRole.member)
            .order_by(col(User.id))
        ).all()
    )


def _designers(rng: random.Random, pool: list[User], count: int) -> list[User]:
    """Who submits ``count`` designs: mostly one each, some two or three (the per-member limit)."""
    chosen: list[User] = []
    for user in rng.sample(pool, len(pool)):
        chosen.extend([user] * rng.choice([1, 1, 1, 2, 3]))
        if len(chosen) >= count:
            break
    return chosen[:count]


def _title(rng: random.Random, artwork: Artwork, taken: set[str]) -> str:
    while True:
        title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS[artwork.motif])}"
        if artwork.word and rng.random() < 0.5:
            title = f"{artwork.word.title()} {rng.choice(NOUNS[artwork.motif])}"
        if title not in taken:
            taken.add(title)
            return title


def _submit(
    session: Session,
    *,
    rng: random.Random,
    challenge: Challenge,
    designer: User,
    artwork: Artwork,
    taken: set[str],
    now: datetime,
) -> Design:
    tags = [artwork.motif, PATTERN_TAGS[artwork.pattern]]
    if artwork.word:
        tags.append("lettering")
    return challenge_designs.submit_design(
        session,
        challenge=challenge,
        designer=designer,
        upload=io.BytesIO(artwork.png),
        title=_title(rng, artwork, taken),
        description=rng.choice(
            [
                "",
                "Drawn on a rainy afternoon.",
                f"A bold {artwork.motif} on {PATTERN_TAGS[artwork.pattern].replace('-', ' ')}.",
                "Works best on a dark fabric, I think.",
                "My first submission: feedback welcome!",
            ]
        ),
        tags=", ".join(tags),
        filename=f"{artwork.motif}-{artwork.pattern}.png",
        content_type="image/png",
        now=now,
    )


def seed_challenges(
    session: Session, *, design_lab: Community, manager: User, member: User, progress: Progress, now: datetime
) -> None:
    """An open challenge (Mia has a design in it), one being scored (Mia has scored none of it) and a past one,
    scored, with its winners announced."""
    rng = random.Random(4242)
    today = now
    pool = [user for user in _lab_members(session, design_lab) if user.id != member.id]
    artwork = artworks(rng, OPEN_DESIGNS + CLOSED_DESIGNS + SCORING_DESIGNS)
    designs_task = progress.add_task("Designs", total=OPEN_DESIGNS + CLOSED_DESIGNS + SCORING_DESIGNS)
    taken: set[str] = set()

    # The past challenge: submissions 70 to 40 days ago, scoring until 20 days ago, winners announced since.
    closed = challenges_service.create_challenge(
        session,
        community=design_lab,
        created_by=manager,
        slug=CLOSED_CHALLENGE,
        fields=challenges_service.ChallengeFields(
            title="Trailhead totes",
            submissions_open_at=today - timedelta(days=70),
            submissions_close_at=today - timedelta(days=40),
            scoring_close_at=today - timedelta(days=20),
            brief=TRAILHEAD,
            rules=RULES,
            product_type="Canvas tote",
            prize="€300 and 8% royalties",
            royalty_terms="8% of the net price of every tote sold, paid quarterly.",
        ),
    )
    challenges_service.publish_challenge(session, challenge=closed)
    closed_designs = []
    for index, designer in enumerate(_designers(rng, pool, CLOSED_DESIGNS)):
        moment = today - timedelta(days=69) + timedelta(hours=17 * index + rng.randint(0, 12))
        closed_designs.append(
            _submit(
                session, rng=rng, challenge=closed, designer=designer, artwork=next(artwork), taken=taken, now=moment
            )
        )
        progress.advance(designs_task)

    # Scores: each design has a quality of its own (a few clearly better), each voter sees it with some noise.
    qualities = [min(4.7, max(0.8, rng.gauss(2.9, 0.75))) for _ in closed_designs]
    for star in rng.sample(range(len(closed_designs)), 3):
        qualities[star] = rng.uniform(4.2, 4.7)
    plan = []
    for design, quality in zip(closed_designs, qualities, strict=True):
        voters = [user for user in [*pool, member] if user.id != design.designer_id]
        plan.append((design, quality, rng.sample(voters, rng.randint(30, 80))))
    scores_task = progress.add_task("Scores", total=sum(len(voters) for _, _, voters in plan))
    scoring_start = today - timedelta(days=40)
    for design, quality, voters in plan:
        for voter in voters:
            value = min(5, max(0, round(rng.gauss(quality, 0.9))))
            challenge_scores.cast_score(
                session,
                voter=voter,
                design=design,
                value=value,
                would_buy=rng.random() < max(0.0, (value - 2.5) / 3.2),
                now=scoring_start + timedelta(minutes=rng.randint(1, 19 * 24 * 60)),
            )
            progress.advance(scores_task)

    # The manager picks the top of the shortlist (the calibrated ranking) two days after scoring closed, and announces
    # them the next day.
    picked_at = today - timedelta(days=18)
    for entry in challenge_winners.shortlist(session, challenge=closed, now=picked_at)[:WINNERS]:
        challenge_winners.pick_winner(session, challenge=closed, design=entry.design, now=picked_at)
    challenge_winners.announce_winners(session, challenge=closed, now=picked_at + timedelta(days=1))

    # The open challenge: submissions opened 6 days ago and close in 12; scoring runs for two weeks after that.
    opened = challenges_service.create_challenge(
        session,
        community=design_lab,
        created_by=manager,
        slug=OPEN_CHALLENGE,
        fields=challenges_service.ChallengeFields(
            title="Rain-ready tees",
            submissions_open_at=today - timedelta(days=6),
            submissions_close_at=today + timedelta(days=12),
            scoring_close_at=today + timedelta(days=26),
            brief=RAIN_READY,
            rules=RULES,
            product_type="T-shirt",
            prize="€250 and 8% royalties",
            royalty_terms="8% of the net price of every tee sold, paid quarterly.",
        ),
    )
    challenges_service.publish_challenge(session, challenge=opened)
    open_designers = [member, *_designers(rng, pool, OPEN_DESIGNS - 1)]
    for index, designer in enumerate(open_designers):
        moment = today - timedelta(days=6) + timedelta(hours=6 * index + rng.randint(0, 5))
        _submit(session, rng=rng, challenge=opened, designer=designer, artwork=next(artwork), taken=taken, now=moment)
        progress.advance(designs_task)

    _seed_scoring(
        session,
        rng=rng,
        design_lab=design_lab,
        manager=manager,
        pool=pool,
        artwork=artwork,
        taken=taken,
        progress=progress,
        designs_task=designs_task,
        now=now,
    )


def _seed_scoring(
    session: Session,
    *,
    rng: random.Random,
    design_lab: Community,
    manager: User,
    pool: list[User],
    artwork: Iterator[Artwork],
    taken: set[str],
    progress: Progress,
    designs_task: TaskID,
    now: datetime,
) -> None:
    """The challenge in its scoring phase: submissions closed four days ago, scoring open for ten more days.

    Members have scored some designs each (never Mia, so the demo login can try scoring); each scored at least
    eight designs, so no honest voter's scores are concentrated on one designer. One designer, who submitted two
    designs, is boosted by a vote ring (seed/vote_ring.py) for the moderators' integrity page.
    """
    scoring = challenges_service.create_challenge(
        session,
        community=design_lab,
        created_by=manager,
        slug=SCORING_CHALLENGE,
        fields=challenges_service.ChallengeFields(
            title="Harbour hoodies",
            submissions_open_at=now - timedelta(days=32),
            submissions_close_at=now - timedelta(days=4),
            scoring_close_at=now + timedelta(days=10),
            brief=HARBOUR,
            rules=RULES,
            product_type="Hoodie",
            prize="€300 and 8% royalties",
            royalty_terms="8% of the net price of every hoodie sold, paid quarterly.",
        ),
    )
    challenges_service.publish_challenge(session, challenge=scoring)
    others = _designers(rng, pool, SCORING_DESIGNS - 2)
    boosted = next(user for user in pool if user not in others)
    designers = [*others[: len(others) // 2], boosted, *others[len(others) // 2 :], boosted]
    designs = []
    for index, designer in enumerate(designers):
        moment = now - timedelta(days=31) + timedelta(hours=20 * index + rng.randint(0, 10))
        designs.append(
            _submit(
                session, rng=rng, challenge=scoring, designer=designer, artwork=next(artwork), taken=taken, now=moment
            )
        )
        progress.advance(designs_task)

    # Sixty members have scored 8 to 16 designs each in the four days since scoring opened.
    quality = {id(design): min(4.6, max(1.0, rng.gauss(3.0, 0.7))) for design in designs}
    scores_task = progress.add_task("Scores (open)", total=None)
    scoring_start = now - timedelta(days=4)
    for voter in rng.sample(pool, 60):
        for design in rng.sample([d for d in designs if d.designer_id != voter.id], rng.randint(8, 16)):
            value = min(5, max(0, round(rng.gauss(quality[id(design)], 0.9))))
            challenge_scores.cast_score(
                session,
                voter=voter,
                design=design,
                value=value,
                would_buy=rng.random() < max(0.0, (value - 2.5) / 3.2),
                now=scoring_start + timedelta(minutes=rng.randint(1, 4 * 24 * 60 - 120)),
            )
            progress.advance(scores_task)
    seed_vote_ring(
        session,
        community=design_lab,
        designs=[design for design in designs if design.designer_id == boosted.id],
        now=now,
    )
