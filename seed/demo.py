"""The demo: two brands, their communities, staff, a moderator and 200 members, built through the services.

The Northwind Design Lab also gets two design challenges: one open for submissions now, and one from the past,
scored and with its winners announced, about 60 designs drawn by seed/designs.py. The past one goes through the
same services as the open one, with the moments of each step (``now``) set inside its past windows.

Everything is created in one transaction, so a demo is either all there or not at all; running the seed again
when it is there changes nothing. The demo logins (listed in README.md) exist only here.
"""

import io
import random
from datetime import datetime, timedelta

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import Session, col, select

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.brands import service as brands_service
from app.brands.models import Brand, StaffRole
from app.challenges import service as challenges_service
from app.challenges.models import Challenge, Design
from app.columns import utcnow
from app.communities import service as communities_service
from app.communities.models import Community, CommunityKind, MemberRole, Membership
from app.db import session_scope
from seed.campaigns import seed_campaigns
from seed.designs import Artwork, artworks
from seed.ideas import seed_ideas
from seed.moderation import seed_moderation
from seed.rewards import seed_rewards
from seed.surveys import seed_surveys

DEMO_PASSWORD = "chorus-demo-2026"  # noqa: S105 (the documented demo password)
MEMBER_COUNT = 200

# role in the demo -> (handle, e-mail, name)
DEMO_LOGINS = {
    "admin": ("ada_admin", "admin@chorus.demo", "Ada Admin"),
    "manager": ("maya_manager", "manager@northwind.demo", "Maya Manager"),
    "brightleaf": ("ben_brightleaf", "manager@brightleaf.demo", "Ben Brightleaf"),
    "analyst": ("ana_analyst", "analyst@brightleaf.demo", "Ana Analyst"),
    "moderator": ("moe_moderator", "moderator@chorus.demo", "Moe Moderator"),
    "member": ("mia_member", "member@chorus.demo", "Mia Member"),
}

FIRST_NAMES = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Sofia",
    "Elijah",
    "Isabella",
    "Lucas",
    "Mia",
    "Mateo",
    "Aisha",
    "Kenji",
    "Priya",
    "Tomasz",
    "Ingrid",
    "Diego",
    "Fatima",
    "Yusuf",
    "Chloe",
    "Hugo",
    "Leila",
    "Arjun",
    "Zoe",
    "Mohammed",
    "Hannah",
    "Luca",
    "Nora",
    "Felix",
    "Grace",
    "Omar",
    "Elena",
    "Jonas",
    "Ines",
    "Kwame",
    "Sara",
    "Rafael",
    "Mei",
    "Anders",
    "Camille",
    "Tariq",
    "Julia",
    "Daniel",
    "Freya",
    "Marco",
    "Ava",
    "Sipho",
]
LAST_NAMES = [
    "Smith",
    "Garcia",
    "Müller",
    "Rossi",
    "Nguyen",
    "Kowalski",
    "Okafor",
    "Tanaka",
    "Silva",
    "Johansson",
    "Dubois",
    "Khan",
    "Novak",
    "Fernández",
    "Cohen",
    "Andersen",
    "Papadopoulos",
    "Murphy",
    "Schmidt",
    "Ivanova",
    "Haddad",
    "Kim",
    "Patel",
    "Moreau",
    "Costa",
    "Lindqvist",
    "Mensah",
    "O'Brien",
    "Yilmaz",
    "Bianchi",
    "Walker",
    "Lopez",
]

NORTHWIND_LAB = """Northwind makes outdoor apparel for people who walk to work in the rain.

**How it works**
- Every month we open a themed *design challenge*.
- Members upload artwork and score each other's designs from 0 to 5.
- The winners are printed on tees, hoodies and totes, and their designers earn a royalty on every sale.

Be kind in comments, credit your references, and only submit work that is yours."""

BRIGHTLEAF_TESTERS = """Brightleaf makes household cleaners with plant-based formulas.

As a tester you get products **before they launch**, pass samples on to friends, and tell us straight:
keep it, change the scent, change the price, or scrap it. Connectors with a wide network can apply for kits
of ten samples to share."""


def _member_people(rng: random.Random) -> list[tuple[str, str, str]]:
    """(handle, display name, e-mail) for the generated members, unique and stable from run to run."""
    people: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    while len(people) < MEMBER_COUNT:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = accounts_service.slugify_handle(f"{first}_{last}")
        handle, suffix = base, 1
        while handle in seen:
            suffix += 1
            handle = f"{base}{suffix}"
        seen.add(handle)
        people.append((handle, f"{first} {last}", f"{handle}@members.chorus.demo"))
    return people


OPEN_CHALLENGE = "rain-ready-tees"
CLOSED_CHALLENGE = "trailhead-totes"
OPEN_DESIGNS = 20  # Mia's included
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
RULES = """Only submit work that is yours. Up to three designs per member. Be kind to each other in comments."""


def _demo_exists(session: Session) -> bool:
    return session.exec(select(Brand).where(Brand.slug == "northwind")).first() is not None


def _existing_people(session: Session) -> tuple[Community, User, User] | None:
    """The design lab, its manager and Mia, when an earlier seed made them."""
    if not _demo_exists(session):
        return None
    design_lab = communities_service.get_community_by_slug(session, slug="northwind-design-lab")
    manager = accounts_service.find_user_by_email(session, email=DEMO_LOGINS["manager"][1])
    member = accounts_service.find_user_by_email(session, email=DEMO_LOGINS["member"][1])
    assert manager is not None and member is not None
    return design_lab, manager, member


def _challenges_exist(session: Session, community: Community) -> bool:
    return session.exec(challenges_service.select_challenge(community, CLOSED_CHALLENGE)).first() is not None


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def seed_demo(*, console: Console | None = None, now: datetime | None = None) -> bool:
    """Create the demo unless it is there; returns whether anything was created.

    Every window and moment is computed from ``now`` (the moment of seeding), so a demo seeded on any day shows the
    same phases. A demo seeded before the challenges existed gets them added (in one transaction too).
    """
    console = console or Console()
    now = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    rng = random.Random(2026)
    with session_scope() as session:
        found = _existing_people(session)
        if found is not None and _challenges_exist(session, found[0]):
            return False
        with _progress(console) as progress:
            design_lab, manager, member = found or _seed_people(session, rng, progress)
            _seed_challenges(session, design_lab=design_lab, manager=manager, member=member, progress=progress, now=now)
            seed_ideas(session, progress=progress, now=now)
            seed_surveys(session, progress=progress)
            seed_campaigns(session, progress=progress, now=now)
            seed_moderation(session)
            seed_rewards(session, community=design_lab, manager=manager, member=member, now=now)
    return True


def _seed_people(session: Session, rng: random.Random, progress: Progress) -> tuple[Community, User, User]:
    """The brands, their communities, staff and members; returns the design lab, its manager and Mia."""
    shared_hash = accounts_service.password_hasher.hash(DEMO_PASSWORD)

    def person(key: str, *, is_site_admin: bool = False) -> User:
        handle, email, name = DEMO_LOGINS[key]
        return accounts_service.create_user(
            session,
            email=email,
            handle=handle,
            password=DEMO_PASSWORD,
            display_name=name,
            is_site_admin=is_site_admin,
            password_hash=shared_hash,
        )

    person("admin", is_site_admin=True)
    northwind_manager, brightleaf_manager = person("manager"), person("brightleaf")
    analyst, moderator, member = person("analyst"), person("moderator"), person("member")

    northwind, _ = brands_service.create_brand(
        session,
        name="Northwind Apparel",
        slug="northwind",
        description="Outdoor apparel, designed with our community.",
        first_manager_email=northwind_manager.email,
    )
    brightleaf, _ = brands_service.create_brand(
        session,
        name="Brightleaf Home",
        slug="brightleaf",
        description="Plant-based household products.",
        first_manager_email=brightleaf_manager.email,
    )
    brands_service.add_staff(session, brand=brightleaf, email=analyst.email, role=StaffRole.analyst)

    design_lab = communities_service.create_community(
        session,
        brand=northwind,
        name="Northwind Design Lab",
        slug="northwind-design-lab",
        kind=CommunityKind.design,
        tagline="Design the next Northwind tee and earn royalties.",
        description=NORTHWIND_LAB,
    )
    testers = communities_service.create_community(
        session,
        brand=brightleaf,
        name="Brightleaf Home Testers",
        slug="brightleaf-testers",
        kind=CommunityKind.feedback,
        tagline="Try our products first and tell us what to change.",
        description=BRIGHTLEAF_TESTERS,
    )
    for community in (design_lab, testers):
        communities_service.join_community(session, community=community, user=moderator)
        communities_service.change_member_role(
            session, community=community, handle=moderator.handle, role=MemberRole.moderator
        )
    communities_service.join_community(session, community=design_lab, user=member)
    communities_service.join_community(session, community=testers, user=member)

    people = _member_people(rng)
    task = progress.add_task("Demo members", total=len(people))
    for handle, name, email in people:
        user = accounts_service.create_user(
            session,
            email=email,
            handle=handle,
            password=DEMO_PASSWORD,
            display_name=name,
            password_hash=shared_hash,
        )
        joins_design = rng.random() < 0.7
        joins_testers = rng.random() < 0.6 or not joins_design
        if joins_design:
            communities_service.join_community(session, community=design_lab, user=user)
        if joins_testers:
            communities_service.join_community(session, community=testers, user=user)
            if rng.random() < 0.15:
                communities_service.change_member_role(
                    session, community=testers, handle=handle, role=MemberRole.connector
                )
        progress.advance(task)
    return design_lab, northwind_manager, member


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
    return challenges_service.submit_design(
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


def _seed_challenges(
    session: Session, *, design_lab: Community, manager: User, member: User, progress: Progress, now: datetime
) -> None:
    """An open challenge (Mia has a design in it) and a past one, scored, with its winners announced."""
    rng = random.Random(4242)
    today = now
    pool = [user for user in _lab_members(session, design_lab) if user.id != member.id]
    artwork = artworks(rng, OPEN_DESIGNS + CLOSED_DESIGNS)
    designs_task = progress.add_task("Designs", total=OPEN_DESIGNS + CLOSED_DESIGNS)
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
            challenges_service.cast_score(
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
    for entry in challenges_service.shortlist(session, challenge=closed, now=picked_at)[:WINNERS]:
        challenges_service.pick_winner(session, challenge=closed, design=entry.design, now=picked_at)
    challenges_service.announce_winners(session, challenge=closed, now=picked_at + timedelta(days=1))

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
