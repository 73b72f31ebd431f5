"""The demo: two brands, their communities, staff, a moderator and 200 members, built through the services.

The members arrived over the last nine months (their accounts and joins are dated back, so the insights cohorts
have rows). The Northwind Design Lab gets three design challenges (seed/challenges.py): one open for submissions,
one being scored, one with its winners announced; Northwind has an invite-only Insiders community with an
invitation waiting for Mia (seed/insiders.py); Brightleaf Home has its ideas board, Q&A (seed/questions.py),
surveys (one published to its testers), campaigns in every phase and reviews of the sampled products
(seed/reviews.py). Every step goes through the services, at a
moment inside its window.

Everything is created in one transaction, so a demo is either all there or not at all; running the seed again
when it is there changes nothing. The demo logins (listed in README.md) exist only here.
"""

import random
from datetime import datetime, timedelta

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import Session, select

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.brands import service as brands_service
from app.brands.models import Brand, StaffRole
from app.challenges import service as challenges_service
from app.columns import utcnow
from app.communities import service as communities_service
from app.communities.models import Community, CommunityKind, MemberRole, Membership
from app.db import session_scope
from app.wiring import connect_domains
from seed.campaigns import seed_campaigns
from seed.challenges import CLOSED_CHALLENGE, seed_challenges
from seed.follows import seed_follows
from seed.ideas import seed_ideas
from seed.insiders import seed_insiders
from seed.moderation import seed_moderation
from seed.preorders import seed_preorders
from seed.questions import seed_questions
from seed.reviews import seed_reviews
from seed.rewards import seed_rewards
from seed.surveys import seed_published_survey, seed_surveys

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
    connect_domains()  # an entry point of its own too: the browser tests' sweep runs it in a script
    console = console or Console()
    now = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    rng = random.Random(2026)
    with session_scope() as session:
        found = _existing_people(session)
        if found is not None and _challenges_exist(session, found[0]):
            return False
        with _progress(console) as progress:
            design_lab, manager, member = found or _seed_people(session, rng, progress, now=now)
            seed_challenges(session, design_lab=design_lab, manager=manager, member=member, progress=progress, now=now)
            seed_ideas(session, progress=progress, now=now)
            seed_questions(session, now=now)
            seed_surveys(session, progress=progress)
            seed_published_survey(session, member=member, now=now)
            seed_campaigns(session, progress=progress, now=now)
            seed_reviews(session, now=now)
            seed_moderation(session, now=now)
            seed_rewards(session, community=design_lab, manager=manager, member=member, now=now)
            seed_preorders(session, community=design_lab, manager=manager, now=now)
            seed_follows(session, community=design_lab, member=member)
            # Last, so Mia's invitation tops her notifications.
            seed_insiders(session, design_lab=design_lab, manager=manager, member=member, now=now)
    return True


def _arrived(session: Session, *, user: User, memberships: list[Membership], at: datetime) -> None:
    """Date an account and its joins back to when this member arrived (the services stamp them with the moment of
    seeding), so the community insights' monthly cohorts have rows; a second community is joined a week later."""
    user.created_at = at - timedelta(hours=1)
    session.add(user)
    for number, membership in enumerate(memberships):
        membership.joined_at = at + timedelta(days=7 * number)
        session.add(membership)


def _seed_people(
    session: Session, rng: random.Random, progress: Progress, *, now: datetime
) -> tuple[Community, User, User]:
    """The brands, their communities, staff and members; returns the design lab, its manager and Mia.

    The members arrived between nine months and 75 days ago (before the oldest challenge opened for submissions).
    """
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
    moderated = []
    for community in (design_lab, testers):
        moderated.append(communities_service.join_community(session, community=community, user=moderator))
        communities_service.change_member_role(
            session, community=community, handle=moderator.handle, role=MemberRole.moderator
        )
    _arrived(session, user=moderator, memberships=moderated, at=now - timedelta(days=280))
    mias = [communities_service.join_community(session, community=c, user=member) for c in (design_lab, testers)]
    _arrived(session, user=member, memberships=mias, at=now - timedelta(days=270))

    # Arrival moments draw on a random source of their own, so who joins what stays as it was.
    arrivals = random.Random(9)
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
        joined = []
        if joins_design:
            joined.append(communities_service.join_community(session, community=design_lab, user=user))
        if joins_testers:
            joined.append(communities_service.join_community(session, community=testers, user=user))
            if rng.random() < 0.15:
                communities_service.change_member_role(
                    session, community=testers, handle=handle, role=MemberRole.connector
                )
        _arrived(session, user=user, memberships=joined, at=now - timedelta(days=arrivals.uniform(75, 275)))
        progress.advance(task)
    return design_lab, northwind_manager, member
