"""Demo surveys for Brightleaf Home, built and answered through the survey services.

A template survey about a lavender spray with 160 responses that vary believably (most like it, price is the
usual complaint, about half of those who would recommend it have done so), and a small blank-started survey with
a conditional question. In the full demo, a third survey is published to Brightleaf Home Testers: members answer
it on the community's page, and some have (Mia not yet). Deterministic (their own random seeds) and idempotent:
nothing is added when the surveys are there.
"""

import random
from datetime import datetime, timedelta

from rich.progress import Progress
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.brands.models import Brand, BrandStaff, StaffRole
from app.communities import service as communities_service
from app.communities.models import MemberRole, Membership
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import QuestionKind, Survey

SPRAY_SURVEY = "Lavender all-purpose spray: first impressions"
REFILL_SURVEY = "Refill pouches"
PUBLISHED_SURVEY = "What's under your sink?"
SPRAY_RESPONSES = 160
REFILL_RESPONSES = 40
PUBLISHED_RESPONSES = 30
TESTERS = "brightleaf-testers"


def seed_surveys(session: Session, *, progress: Progress | None = None) -> bool:
    """Create the demo surveys of Brightleaf unless they exist; returns whether anything was created."""
    brand = session.exec(select(Brand).where(Brand.slug == "brightleaf")).first()
    if brand is None or session.exec(select(Survey).where(Survey.title == SPRAY_SURVEY)).first() is not None:
        return False
    author = _manager(session, brand)
    rng = random.Random(44)
    task = progress.add_task("Surveys", total=SPRAY_RESPONSES + REFILL_RESPONSES) if progress else None

    spray = surveys_building.create_survey(
        session,
        brand=brand,
        title=SPRAY_SURVEY,
        author=author,
        description="You tried our new lavender spray. Two minutes of your time help us decide what to do next.",
        template=True,
    )
    found = {q.code: q for q in surveys_questions.list_questions(session, survey=spray)}
    outcomes = ["keep", "change_colour", "change_price", "change_scent", "scrap"]
    for _ in range(SPRAY_RESPONSES):
        liking = rng.choices([1, 2, 3, 4, 5], weights=[3, 7, 20, 40, 30])[0]
        outcome = rng.choices(outcomes, weights=[liking * 8, 6, 22, 10, max(1, 12 - 3 * liking)])[0]
        intent = max(0, min(10, round(rng.gauss(liking * 2 - 0.5, 1.6))))
        recommended = "yes" if intent >= 7 and rng.random() < 0.55 else "no"
        values = {
            found["overall"].input_name: [str(liking)],
            found["outcome"].input_name: [outcome],
            found["pay"].input_name: [rng.choice(["", "3.5", "4", "4.5", "5", "5", "6", "7.5"])],
            found["recommend_intent"].input_name: [str(intent)],
            found["recommended"].input_name: [recommended],
            found["recommended_count"].input_name: [str(rng.randint(1, 6))],
            found["comments"].input_name: [rng.choice(["", "", "", "Lovely smell.", "Too pricey for a spray."])],
        }
        surveys_responses.record_response(session, survey=spray, form=values)
        if progress is not None and task is not None:
            progress.advance(task)

    refill = surveys_building.create_survey(session, brand=brand, title=REFILL_SURVEY, author=author)
    fields = surveys_questions.QuestionFields
    uses = surveys_questions.add_question(
        session, survey=refill, fields=fields(kind=QuestionKind.yes_no, prompt="Do you refill your bottles?")
    )
    why_not = surveys_questions.add_question(
        session,
        survey=refill,
        fields=fields(
            kind=QuestionKind.multiple_choice,
            prompt="What stops you?",
            options=[{"label": "Pouches are hard to find"}, {"label": "Messy to pour"}, {"label": "I forget"}],
            show_if_question_id=uses.id,
            show_if_values=["no"],
        ),
    )
    size = surveys_questions.add_question(
        session,
        survey=refill,
        fields=fields(
            kind=QuestionKind.number,
            prompt="Which pouch size would suit you?",
            number_min=250,
            number_max=5000,
            unit="ml",
        ),
    )
    for _ in range(REFILL_RESPONSES):
        refills = rng.random() < 0.4
        values = {uses.input_name: ["yes" if refills else "no"], size.input_name: [rng.choice(["500", "1000", "2000"])]}
        if not refills:
            values[why_not.input_name] = rng.sample([option["key"] for option in why_not.options], rng.randint(1, 2))
        surveys_responses.record_response(session, survey=refill, form=values)
        if progress is not None and task is not None:
            progress.advance(task)
    return True


def _manager(session: Session, brand: Brand) -> User | None:
    return session.exec(
        select(User)
        .join(BrandStaff, col(BrandStaff.user_id) == User.id)
        .where(BrandStaff.brand_id == brand.id, BrandStaff.role == StaffRole.manager)
    ).first()


def seed_published_survey(session: Session, *, member: User, now: datetime) -> bool:
    """Publish a short survey to Brightleaf Home Testers five days before ``now``, answered since by some testers
    but not by ``member`` (Mia); returns whether anything was created."""
    community = communities_service.get_community_by_slug(session, slug=TESTERS)
    if session.exec(select(Survey).where(Survey.title == PUBLISHED_SURVEY)).first() is not None:
        return False
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    survey = surveys_building.create_survey(
        session,
        brand=brand,
        title=PUBLISHED_SURVEY,
        author=_manager(session, brand),
        description="Three quick questions about the cleaners you use now, to plan what we test next.",
    )
    fields = surveys_questions.QuestionFields
    kinds = surveys_questions.add_question(
        session,
        survey=survey,
        fields=fields(
            kind=QuestionKind.multiple_choice,
            prompt="Which of these do you have at home?",
            required=True,
            options=[
                {"label": "All-purpose spray"},
                {"label": "Oven cleaner"},
                {"label": "Glass cleaner"},
                {"label": "Limescale remover"},
                {"label": "Laundry detergent"},
            ],
        ),
    )
    plastic = surveys_questions.add_question(
        session,
        survey=survey,
        fields=fields(kind=QuestionKind.rating, prompt="How much does the plastic packaging bother you?"),
    )
    wish = surveys_questions.add_question(
        session,
        survey=survey,
        fields=fields(kind=QuestionKind.text, prompt="Which product would you like us to make plant-based next?"),
    )
    published_at = now - timedelta(days=5)
    surveys_building.publish_survey(session, survey=survey, community=community, now=published_at)
    testers = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.community_id == community.id, Membership.role != MemberRole.moderator)
        .where(User.id != member.id)
        .order_by(col(User.id))
    ).all()
    rng = random.Random(45)
    keys = [option["key"] for option in kinds.options]
    for tester in rng.sample(list(testers), PUBLISHED_RESPONSES):
        form = {
            kinds.input_name: rng.sample(keys, rng.randint(1, 4)),
            plastic.input_name: [str(rng.choices([1, 2, 3, 4, 5], weights=[2, 3, 6, 8, 6])[0])],
            wish.input_name: [rng.choice(["", "", "Dishwasher tablets", "Oven cleaner", "Toilet cleaner"])],
        }
        surveys_responses.answer_community_survey(
            session,
            survey=survey,
            community=community,
            member=tester,
            form=form,
            now=published_at + timedelta(hours=rng.randint(1, 4 * 24)),
        )
    return True
