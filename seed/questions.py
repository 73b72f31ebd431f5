"""The demo's Community Q&A in the Brightleaf Home Testers: questions about the products and the sampling campaign,
one answered by testers and the brand with an accepted answer (which earned its author the brand's points for an
accepted answer), one answered but open, and one nobody has answered yet. Visitors may ask there (their questions
wait for the moderator). Built through the Q&A services with past moments; a community with questions is left as
it is."""

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.brands.models import Brand
from app.columns import utcnow
from app.communities import service as communities_service
from app.communities.models import Membership
from app.questions import accepting, answering, asking
from app.questions.models import CommunityQuestion
from app.rewards import points as rewards_points
from app.rewards.models import PointsAction

COMMUNITY = "brightleaf-testers"
MANAGER_EMAIL = "manager@brightleaf.demo"
MEMBER_EMAIL = "member@chorus.demo"
ACCEPTED_ANSWER_POINTS = "20"


def seed_questions(session: Session, *, now: datetime | None = None) -> bool:
    """Fill the testers' Q&A unless it has questions; returns whether anything was created."""
    community = communities_service.get_community_by_slug(session, slug=COMMUNITY)
    if session.exec(select(CommunityQuestion.id).where(CommunityQuestion.community_id == community.id)).first():
        return False
    brand = session.get(Brand, community.brand_id)
    manager = accounts_service.find_user_by_email(session, email=MANAGER_EMAIL)
    mia = accounts_service.find_user_by_email(session, email=MEMBER_EMAIL)
    assert brand is not None and manager is not None and mia is not None
    today = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    testers = [
        person
        for person in session.exec(
            select(User)
            .join(Membership, col(Membership.user_id) == User.id)
            .where(Membership.community_id == community.id, Membership.role == "member")
            .order_by(col(User.id))
        )
        if person.id not in {mia.id, manager.id}
    ]
    rewards_points.set_points_rule(
        session, brand=brand, action=PointsAction.answer_accepted.value, points=ACCEPTED_ANSWER_POINTS, daily_cap="5"
    )
    asking.set_settings(session, community=community, visitors_may_ask=True, now=today - timedelta(days=30))

    def ask(asker: User, title: str, body: str, days_ago: float) -> CommunityQuestion:
        return asking.ask_question(
            session,
            community=community,
            asker=asking.Asker(user=asker),
            title=title,
            body=body,
            now=today - timedelta(days=days_ago),
        )

    refill = ask(
        mia,
        "Does the dish soap refill pouch fit the old bottle?",
        "I still have the bottle from two years ago, with the pump that clicks.",
        12,
    )
    first = answering.post_answer(
        session,
        question=refill,
        author=testers[0],
        body="Yes: I refill my old one every month. Cut the corner of the pouch and pour slowly.",
        now=today - timedelta(days=11),
    )
    answering.post_answer(
        session,
        question=refill,
        author=manager,
        body="Every bottle we have made since 2020 takes the pouch. One pouch fills it about three times.",
        now=today - timedelta(days=10, hours=20),
    )
    accepting.accept(session, answer=first, actor=mia, now=today - timedelta(days=10))

    cats = ask(
        testers[1],
        "Is the lavender floor cleaner safe around cats?",
        "My cat walks on the kitchen floor right after I mop.",
        6,
    )
    answering.post_answer(
        session,
        question=cats,
        author=testers[2],
        body="I let the floor dry first and my two cats have been fine, but ask your vet to be sure.",
        now=today - timedelta(days=5),
    )
    ask(
        testers[3],
        "When does the next sampling campaign open?",
        "I missed the last one and would love to test the glass spray.",
        2,
    )
    return True
