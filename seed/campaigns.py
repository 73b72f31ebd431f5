"""Demo sampling campaigns in Brightleaf Home Testers, built through the campaign services.

One taking applications now (Mia has not applied), one shipping its kits (applications decided, most kits on
their way), one sharing now with 40 connectors (Mia among them), and a finished one with its roundtable and
outcome. Each step is taken at a moment inside its window (``now``), so the services check the windows as they
would for real people.
Deterministic (a fixed random seed) and idempotent: nothing is added when the campaigns are there.
"""

import dataclasses
import random
from datetime import datetime, timedelta

from rich.progress import Progress
from sqlmodel import Session, col, select

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.campaigns import answering as campaign_answering
from app.campaigns import applications as campaign_applications
from app.campaigns import connectors as campaign_connectors
from app.campaigns import decisions as campaign_decisions
from app.campaigns import households as campaign_households
from app.campaigns import kits as campaign_kits
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns import links as share_links
from app.campaigns import roundtables as campaign_roundtables
from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignPhase,
    CampaignResponse,
    ShareLink,
)
from app.columns import utcnow
from app.communities import service as communities_service
from app.communities.models import Community, Membership
from app.insights import campaign_outcome
from app.insights import campaign_results as campaign_insights
from app.surveys.models import Question

TESTERS = "brightleaf-testers"
MANAGER_EMAIL = "manager@brightleaf.demo"
MEMBER_EMAIL = "member@chorus.demo"
APPLYING_CAMPAIGN = "oven-paste"
SHIPPING_CAMPAIGN = "glass-tablets"
RUNNING_CAMPAIGN = "laundry-sheets"
FINISHED_CAMPAIGN = "dish-soap-refill"
APPLYING_KITS = 20
SHIPPING_KITS = 16
RUNNING_KITS = 40
FINISHED_KITS = 12

STREETS = ["Elm Road", "Mill Lane", "Station Street", "Park Avenue", "Church Road", "Victoria Street", "High Street"]
CITIES = [("Leeds", "LS"), ("Bristol", "BS"), ("Manchester", "M"), ("Glasgow", "G"), ("Cardiff", "CF")]
LAUNDRY_BRIEF = """Our laundry sheets replace liquid detergent: no plastic jug, one sheet a load.

Try them for two weeks, then pass the sample sachets to friends and family and ask them to answer
four short questions through your personal link."""
DISH_SOAP_BRIEF = """Refill pouches for our dish soap. Use yours, pass the samples on, and tell us about the smell, the
pour and whether you would switch."""
OVEN_PASTE_BRIEF = """A thick paste for ovens and hobs that works without fumes or gloves. Use it on your oven, pass
the samples to friends, and tell us whether it shifted the burnt-on bits."""
GLASS_TABLETS_BRIEF = """Drop one tablet in our glass bottle, add tap water, and you have a streak-free window spray.
Try them, pass the spare tablets on, and tell us how they compare with your usual spray."""
OUTCOME = """**You told us** the refill pouch was hard to pour without spilling, and 71% of you would switch if it were.

**We are doing**: a new pouch with a screw spout, in shops from March, and the lemon scent stays."""


def _exists(session: Session, community: Community) -> bool:
    return session.exec(campaign_lifecycle.select_campaign(community, RUNNING_CAMPAIGN)).first() is not None


def _testers(session: Session, community: Community) -> list[User]:
    """The community's members, in a stable order (moderators do not apply)."""
    return list(
        session.exec(
            select(User)
            .join(Membership, col(Membership.user_id) == User.id)
            .where(Membership.community_id == community.id, Membership.role != "moderator")
            .order_by(col(User.id))
        ).all()
    )


def seed_campaigns(session: Session, *, progress: Progress, now: datetime | None = None) -> bool:
    """Add the demo campaigns unless they are there; returns whether anything was created."""
    community = communities_service.get_community_by_slug(session, slug=TESTERS)
    if _exists(session, community):
        return False
    manager = accounts_service.find_user_by_email(session, email=MANAGER_EMAIL)
    mia = accounts_service.find_user_by_email(session, email=MEMBER_EMAIL)
    assert manager is not None and mia is not None
    rng = random.Random(77)
    today = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    people = _testers(session, community)
    others = [person for person in people if person.id != mia.id]
    rng.shuffle(others)
    _run(
        session,
        rng=rng,
        community=community,
        manager=manager,
        applicants=[mia, *others[:55]],
        slug=RUNNING_CAMPAIGN,
        title="Laundry sheets: two weeks without the jug",
        product="Brightleaf Laundry Sheets",
        brief=LAUNDRY_BRIEF,
        kits=RUNNING_KITS,
        start=today - timedelta(days=30),
        through=CampaignPhase.sharing,
        progress=progress,
    )
    _run(
        session,
        rng=rng,
        community=community,
        manager=manager,
        applicants=others[20:42],
        slug=FINISHED_CAMPAIGN,
        title="Dish soap refill pouch",
        product="Brightleaf Dish Soap Refill",
        brief=DISH_SOAP_BRIEF,
        kits=FINISHED_KITS,
        start=today - timedelta(days=100),
        through=CampaignPhase.closed,
        progress=progress,
    )
    _run(
        session,
        rng=rng,
        community=community,
        manager=manager,
        applicants=others[10:42],
        slug=SHIPPING_CAMPAIGN,
        title="Glass spray tablets: just add water",
        product="Brightleaf Glass Tablets",
        brief=GLASS_TABLETS_BRIEF,
        kits=SHIPPING_KITS,
        start=today - timedelta(days=15),
        through=CampaignPhase.shipping,
        progress=progress,
    )
    _run(
        session,
        rng=rng,
        community=community,
        manager=manager,
        applicants=others[30:58],
        slug=APPLYING_CAMPAIGN,
        title="Oven paste: the no-fumes clean",
        product="Brightleaf Oven Paste",
        brief=OVEN_PASTE_BRIEF,
        kits=APPLYING_KITS,
        start=today - timedelta(days=4),
        through=CampaignPhase.applying,
        progress=progress,
    )
    return True


def _address(rng: random.Random, number: int) -> campaign_households.Address:
    city, prefix = CITIES[number % len(CITIES)]
    return campaign_households.Address(
        recipient_name="",
        address_line1=f"{number + 1} {STREETS[number % len(STREETS)]}",
        address_line2=rng.choice(["", "", f"Flat {rng.randint(1, 12)}"]),
        city=city,
        postcode=f"{prefix}{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}",
        country="GB",
    )


def _run(
    session: Session,
    *,
    rng: random.Random,
    community: Community,
    manager: User,
    applicants: list[User],
    slug: str,
    title: str,
    product: str,
    brief: str,
    kits: int,
    start: datetime,
    through: CampaignPhase,
    progress: Progress,
) -> Campaign:
    """One campaign from draft through the phase it stands in now: applications, selection and kits, sharing,
    and (closed) the roundtable and outcome. ``start`` is when applications opened; each window lasts ten days,
    sharing 20. Applications come in over the days before the earlier of the window's close and ``start`` plus
    four days (when the campaign is still taking them); in shipping, two thirds of the kits have been sent."""
    campaign = campaign_lifecycle.create_campaign(
        session,
        community=community,
        created_by=manager,
        slug=slug,
        fields=campaign_lifecycle.CampaignFields(
            title=title,
            product_name=product,
            brief=brief,
            kit_contents="One full-size pack for you plus 20 sample sachets to pass on",
            kit_count=kits,
            samples_per_kit=20,
            target_network_size=25,
            eligibility="Do you do your own laundry or dishes? | yes\nDo you have children at home?",
            apply_opens_at=start,
            apply_closes_at=start + timedelta(days=10),
            ship_closes_at=start + timedelta(days=20),
            share_closes_at=start + timedelta(days=40),
            feedback_closes_at=start + timedelta(days=50),
        ),
    )
    campaign_lifecycle.publish_campaign(session, campaign=campaign)
    task = progress.add_task(f"Campaign {slug[:8]}", total=len(applicants))
    for number, person in enumerate(applicants):
        shipping = _address(rng, rng.randint(0, 10_000) * 7 + number)
        campaign_applications.apply_to_campaign(
            session,
            campaign=campaign,
            community=community,
            user=person,
            network_size=max(5, min(80, round(rng.gauss(25, 9)))),
            answers={"q1": "yes" if rng.random() < 0.9 else "no", "q2": rng.choice(["yes", "no"])},
            address=dataclasses.replace(shipping, recipient_name=person.display_name),
            motivation=rng.choice(["", "", "My whole street swaps samples.", "I run a parents' group."]),
            now=start + timedelta(hours=rng.randint(1, (3 if through == CampaignPhase.applying else 9) * 24)),
        )
        progress.advance(task)
    if through == CampaignPhase.applying:
        return campaign

    # Selection a day after applications close: the first applicant (Mia, in the running one) by hand, then the rules.
    deciding = start + timedelta(days=11)
    first = campaign_applications.get_application(session, campaign=campaign, user=applicants[0])
    assert first is not None
    campaign_decisions.decide_applications(
        session,
        campaign=campaign,
        community=community,
        application_ids=[first.id or 0],
        decision="accept",
        decided_by=manager,
        now=deciding,
    )
    campaign_decisions.auto_select(
        session,
        campaign=campaign,
        community=community,
        rules=campaign_decisions.SelectionRules(min_network_size=10),
        decided_by=manager,
        now=deciding,
    )

    # The fulfilment house ships every kit two days later; most connectors confirm within a week.
    kit_list = campaign_kits.export_kits_csv(session, campaign=campaign)
    tracking = ["kit_id,carrier,tracking_number"]
    kit_lines = kit_list.splitlines()[1:]
    if through == CampaignPhase.shipping:
        kit_lines = kit_lines[: len(kit_lines) * 2 // 3]
    for line in kit_lines:
        kit_id = line.split(",", 1)[0]
        tracking.append(f"{kit_id},Royal Mail,RM{rng.randint(10**8, 10**9 - 1)}GB")
    campaign_kits.import_tracking(
        session,
        campaign=campaign,
        community=community,
        content="\n".join(tracking).encode(),
        now=start + timedelta(days=13),
    )
    connectors = session.exec(
        select(CampaignApplication, User)
        .join(User, col(User.id) == CampaignApplication.user_id)
        .where(
            CampaignApplication.campaign_id == campaign.id,
            CampaignApplication.status == ApplicationStatus.accepted,
        )
        .order_by(col(CampaignApplication.id))
    ).all()
    if through == CampaignPhase.shipping:
        # The first kits arrived yesterday: a few connectors have said so; the rest are on their way or to ship.
        for application, connector in connectors:
            shipment = campaign_kits.get_shipment(session, application=application)
            if shipment is not None and shipment.shipped_at is not None and rng.random() < 0.3:
                campaign_applications.confirm_receipt(
                    session, campaign=campaign, user=connector, now=start + timedelta(days=14)
                )
        return campaign
    for _, connector in connectors:
        roll = rng.random()
        if roll < 0.04:
            campaign_applications.confirm_receipt(
                session,
                campaign=campaign,
                user=connector,
                problem="Two sachets had burst in the box.",
                now=start + timedelta(days=15),
            )
        elif roll < 0.9:
            campaign_applications.confirm_receipt(
                session, campaign=campaign, user=connector, now=start + timedelta(days=14 + rng.randint(0, 5))
            )

    # Sharing: how keen each connector is decides how many samples they pass on, how often their link is opened
    # and how many friends answer; some friends pass the link on again (hop 2). Each connector's network has a
    # view of the product of its own, so results vary between networks as they would.
    share_start = start + timedelta(days=20)
    answer_task = progress.add_task(f"Responses {slug[:7]}", total=None)
    questions = {q.code: q for q in campaign_answering.survey_questions(session, campaign=campaign) if q.code}
    for number, (_, connector) in enumerate(connectors):
        keenness = rng.betavariate(2.2, 1.6)
        passed = max(0, min(20, round(20 * keenness + rng.gauss(0, 2))))
        campaign_connectors.record_samples_passed_on(
            session, campaign=campaign, user=connector, count=passed, now=share_start + timedelta(days=1)
        )
        link = campaign_connectors.connector_link(session, campaign=campaign, user=connector)
        assert link is not None
        liking = rng.gauss(3.7, 0.45)
        for friend in range(round(passed * rng.uniform(0.55, 1.0))):
            share_links.record_open(session, link=link)
            moment = share_start + timedelta(hours=rng.randint(30, 8 * 24))
            token = f"demo-{slug}-{number}-{friend}"
            response = _answer(
                session, rng, campaign=campaign, questions=questions, link=link, token=token, liking=liking, now=moment
            )
            progress.advance(answer_task)
            if rng.random() < 0.5:
                passed_on = share_links.friend_link(session, campaign=campaign, response=response, now=moment)
                for second in range(rng.choice([1, 1, 2, 3, 4, 5])):
                    share_links.record_open(session, link=passed_on)
                    later = moment + timedelta(hours=rng.randint(2, 48))
                    token = f"demo-{slug}-{number}-{friend}-{second}"
                    _answer(
                        session,
                        rng,
                        campaign=campaign,
                        questions=questions,
                        link=passed_on,
                        token=token,
                        liking=liking,
                        now=later,
                    )
                    progress.advance(answer_task)

    if through == CampaignPhase.closed:
        closed_at = start + timedelta(days=51)
        campaign_roundtables.invite_to_roundtable(
            session,
            campaign=campaign,
            community=community,
            when=closed_at + timedelta(days=6),
            details="Video call, 45 minutes; the product team joins.",
            count=6,
            invited_by=manager,
            now=closed_at,
        )
        for invitation, invited in campaign_roundtables.list_invitations(session, campaign=campaign):
            if rng.random() < 0.8:
                campaign_roundtables.answer_rsvp(
                    session,
                    campaign=campaign,
                    user=invited,
                    attending=rng.random() < 0.75,
                    now=invitation.invited_at + timedelta(hours=rng.randint(2, 60)),
                )
        # With the chart of what people said should happen to the product, as participants will see it.
        campaign_outcome.post_outcome(
            session,
            scope=campaign_insights.campaign_scope(session, campaign=campaign),
            community=community,
            text=OUTCOME,
            chart=f"q{questions['outcome'].id}",
            posted_by=manager,
            now=closed_at + timedelta(days=9),
        )
    return campaign


COMMENTS = [
    "Lighter than I expected, in a good way.",
    "The scent fades too quickly.",
    "Would buy it if it were cheaper.",
    "My kids loved it.",
    "Packaging is lovely, no plastic!",
    "Did not notice much difference from my usual one.",
    "Please make an unscented version.",
]


def _answer(
    session: Session,
    rng: random.Random,
    *,
    campaign: Campaign,
    questions: dict[str, Question],
    link: ShareLink,
    token: str,
    liking: float,
    now: datetime,
) -> CampaignResponse:
    """One friend's believable answers: their rating near the network's liking, the rest following from it."""
    overall = max(1, min(5, round(rng.gauss(liking, 0.85))))
    if overall >= 4:
        outcome = rng.choices(["keep", "change_price", "change_scent"], weights=[7, 2, 1])[0]
    else:
        outcome = rng.choices(["change_scent", "change_price", "change_colour", "scrap"], weights=[4, 3, 1, 2])[0]
    intent = max(0, min(10, round(2 * overall + rng.gauss(0, 1.4))))
    recommended = rng.random() < intent / 13
    form = {
        questions["overall"].input_name: [str(overall)],
        questions["outcome"].input_name: [outcome],
        questions["recommend_intent"].input_name: [str(intent)],
        questions["recommended"].input_name: ["yes" if recommended else "no"],
    }
    if rng.random() < 0.8:
        form[questions["pay"].input_name] = [f"{max(1.0, rng.gauss(4.5 + overall / 2, 1.2)):.2f}"]
    if recommended:
        form[questions["recommended_count"].input_name] = [str(rng.choice([1, 1, 2, 2, 3, 4, 6]))]
    if rng.random() < 0.25:
        form[questions["comments"].input_name] = [rng.choice(COMMENTS)]
    with_email = rng.random() < 0.15
    return campaign_answering.answer_campaign(
        session,
        link=link,
        campaign=campaign,
        form=form,
        device_token=token,
        email=f"{token}@friends.example" if with_email else "",
        consent=with_email,
        now=now,
    )
