"""The demo's ideas board: about 80 ideas from the Brightleaf Home Testers, with categories, votes spread over the
last months (so "trending" and "most votes" differ), statuses along the flow, official responses, and one duplicate
merged into its original. Built through the ideas services with the moments of each step (``now``) in the past;
deterministic, and a board that has ideas already is left as it is."""

import random
from datetime import datetime, timedelta

from rich.progress import Progress
from sqlmodel import Session, col, select

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.columns import utcnow
from app.communities import service as communities_service
from app.communities.models import Community, Membership
from app.ideas import managing as ideas_managing
from app.ideas import posting as ideas_posting
from app.ideas import votes as ideas_votes
from app.ideas.models import Idea, IdeaCategory, IdeaStatus

COMMUNITY = "brightleaf-testers"
MANAGER_EMAIL = "manager@brightleaf.demo"
MEMBER_EMAIL = "member@chorus.demo"
PRODUCTS = (
    "dish soap",
    "hand soap",
    "laundry liquid",
    "floor cleaner",
    "glass spray",
    "bathroom spray",
    "dishwasher tabs",
    "fabric softener",
    "multi-surface spray",
    "toilet cleaner",
)
# (title pattern, category, description)
REQUESTS = (
    ("Refill pouches for the {}", "Packaging", "One pouch refills the bottle three times: far less plastic."),
    ("An unscented {}", "Scents", "Some of us react to fragrance. A **fragrance-free** version would help."),
    ("A bigger bottle of {}", "Sizes and prices", "We go through it fast; a 2 litre bottle would be cheaper per use."),
    ("A lavender scent for the {}", "Scents", "The citrus is lovely, but lavender is calmer in the evening."),
    ("Glass bottles for the {}", "Packaging", "A glass bottle to keep, refilled from pouches or at a shop."),
    ("A concentrated {}", "Formulas", "Ship less water: a concentrate we dilute at home."),
    ("A travel size {}", "Sizes and prices", "A 100 ml size for trips and for trying it first."),
    ("Compostable packaging for the {}", "Packaging", "Cardboard or compostable film instead of plastic."),
)
RESPONSES = {
    IdeaStatus.under_review: "Thanks! We are looking at costs and suppliers for this one.",
    IdeaStatus.planned: "This is on our plan for next season. We will share samples with testers first.",
    IdeaStatus.in_progress: "Our lab is working on it now; samples go to connectors next month.",
    IdeaStatus.done: "It is in shops now. Thank you to everyone who voted and tested the samples!",
    IdeaStatus.declined: "We tried, but it would not clean as well. We keep the idea in mind for later.",
}
# How many ideas end in each status (the rest stay open), and the path each one takes to get there.
STATUS_COUNTS = {
    IdeaStatus.under_review: 10,
    IdeaStatus.planned: 8,
    IdeaStatus.in_progress: 6,
    IdeaStatus.done: 7,
    IdeaStatus.declined: 4,
}
PATHS = {
    IdeaStatus.under_review: (IdeaStatus.under_review,),
    IdeaStatus.planned: (IdeaStatus.under_review, IdeaStatus.planned),
    IdeaStatus.in_progress: (IdeaStatus.planned, IdeaStatus.in_progress),
    IdeaStatus.done: (IdeaStatus.planned, IdeaStatus.in_progress, IdeaStatus.done),
    IdeaStatus.declined: (IdeaStatus.under_review, IdeaStatus.declined),
}
DUPLICATE_OF = "Refill pouches for the dish soap"
DUPLICATE_TITLE = "Dish soap refill bags please"


def _testers(session: Session, community: Community) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(Membership, col(Membership.user_id) == User.id)
            .where(Membership.community_id == community.id)
            .order_by(col(User.id))
        )
    )


def seed_ideas(session: Session, *, progress: Progress, now: datetime | None = None) -> bool:
    """Fill the testers' ideas board unless it has ideas; returns whether anything was created."""
    community = communities_service.get_community_by_slug(session, slug=COMMUNITY)
    if session.exec(select(Idea.id).where(Idea.community_id == community.id)).first() is not None:
        return False
    manager = accounts_service.find_user_by_email(session, email=MANAGER_EMAIL)
    mia = accounts_service.find_user_by_email(session, email=MEMBER_EMAIL)
    assert manager is not None and mia is not None
    rng = random.Random(8080)
    today = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    people = _testers(session, community)
    categories: dict[str, IdeaCategory] = {}
    for _, name, _ in REQUESTS:
        if name not in categories:
            categories[name] = ideas_posting.create_category(session, community=community, name=name)

    pairs = [
        (pattern, category, description, product) for pattern, category, description in REQUESTS for product in PRODUCTS
    ]
    rng.shuffle(pairs)
    task = progress.add_task("Ideas", total=len(pairs) + 1)
    authors = [person for person in people if person.id != manager.id]
    ideas: list[Idea] = []
    for number, (pattern, category, description, product) in enumerate(pairs):
        author = mia if number == 0 else authors[(number * 7) % len(authors)]
        posted = today - timedelta(days=rng.uniform(3, 150))
        idea = ideas_posting.post_idea(
            session,
            community=community,
            author=author,
            title=pattern.format(product),
            description=description,
            category_id=categories[category].id,
            now=posted,
        )
        _votes(session, rng, idea, voters=people, posted=posted, today=today)
        ideas.append(idea)
        progress.advance(task)

    _statuses(session, rng, ideas, manager=manager, today=today)
    _merged_duplicate(session, community, ideas, people=people, manager=manager, today=today)
    progress.advance(task)
    return True


def _votes(
    session: Session, rng: random.Random, idea: Idea, *, voters: list[User], posted: datetime, today: datetime
) -> None:
    """A few to about 40 votes, some ideas much loved; each vote at a moment between posting and today."""
    count = min(len(voters) - 1, int(rng.paretovariate(1.6) * 3))
    for voter in rng.sample([person for person in voters if person.id != idea.author_id], count):
        moment = posted + (today - posted) * rng.random() ** 0.7
        ideas_votes.vote(session, idea=idea, voter=voter, now=moment)


def _statuses(session: Session, rng: random.Random, ideas: list[Idea], *, manager: User, today: datetime) -> None:
    """The best-voted ideas move furthest; each step a few days after the last, each end with a response."""
    ranked = sorted(ideas, key=lambda idea: (-idea.vote_count, idea.id))
    chosen = ranked[: sum(STATUS_COUNTS.values()) + 5]
    rng.shuffle(chosen)
    for status, count in STATUS_COUNTS.items():
        for idea in chosen[:count]:
            moment = idea.created_at + timedelta(days=1)
            for step in PATHS[status]:
                moment = min(moment + timedelta(days=rng.uniform(1, 6)), today)
                ideas_managing.change_status(session, idea=idea, actor=manager, status=step, now=moment)
            ideas_managing.respond(session, idea=idea, actor=manager, body=RESPONSES[status], now=moment)
        chosen = chosen[count:]


def _merged_duplicate(
    session: Session, community: Community, ideas: list[Idea], *, people: list[User], manager: User, today: datetime
) -> None:
    """A second idea asking for the same as an earlier one, with some voters of both; merged into the original."""
    original = next(idea for idea in ideas if idea.title == DUPLICATE_OF)
    author = next(person for person in reversed(people) if person.id not in {original.author_id, manager.id})
    posted = today - timedelta(days=2)
    duplicate = ideas_posting.post_idea(
        session,
        community=community,
        author=author,
        title=DUPLICATE_TITLE,
        description="Bags of dish soap to refill the bottle, like the coffee refills.",
        now=posted,
    )
    for voter in people[:12]:
        if voter.id != author.id and voter.id != manager.id:
            ideas_votes.vote(session, idea=duplicate, voter=voter, now=posted + timedelta(hours=6))
    ideas_managing.merge(session, duplicate=duplicate, original=original, actor=manager, now=today - timedelta(days=1))
