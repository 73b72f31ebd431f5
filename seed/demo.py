"""The demo: two brands, their communities, staff, a moderator and 200 members, built through the services.

Everything is created in one transaction, so a demo is either all there or not at all; running the seed again
when it is there changes nothing. The demo logins (listed in README.md) exist only here.
"""

import random

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import Session, select

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.brands import service as brands_service
from app.brands.models import Brand, StaffRole
from app.communities import service as communities_service
from app.communities.models import CommunityKind, MemberRole
from app.db import session_scope

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


def _demo_exists(session: Session) -> bool:
    return session.exec(select(Brand).where(Brand.slug == "northwind")).first() is not None


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


def seed_demo(*, console: Console | None = None) -> bool:
    """Create the demo unless it is there; returns whether anything was created."""
    console = console or Console()
    rng = random.Random(2026)
    with session_scope() as session:
        if _demo_exists(session):
            return False
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
        with Progress(
            TextColumn("Demo members"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("members", total=len(people))
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
    return True
