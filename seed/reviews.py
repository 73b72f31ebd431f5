"""Demo reviews of the sampling campaigns' products, published through the reviews service by connectors whose kit
was delivered (so each carries its "Received a free sample from Brightleaf" badge).

The finished dish soap campaign gets most of them, two with a photo; the running laundry sheets campaign gets a few,
none by Mia, so the demo's member has a review of her own left to write.
Deterministic (a fixed random seed) and idempotent: nothing is added when the finished campaign has reviews.
"""

import io
import random
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlmodel import Session, col, func, select

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns.models import ApplicationStatus, Campaign, CampaignApplication
from app.columns import utcnow
from app.communities import service as communities_service
from app.communities.models import Community
from app.reviews import service as reviews_service
from app.reviews.models import Review
from seed.campaigns import FINISHED_CAMPAIGN, MEMBER_EMAIL, RUNNING_CAMPAIGN, TESTERS

FINISHED_REVIEWS = 8
FINISHED_PHOTOS = 2  # the only demo images that are not designs
RUNNING_REVIEWS = 4
# (rating, text) per campaign: what sampling reviewers write, from glowing to grumpy.
DISH_SOAP_TEXTS = [
    (5, "Cuts through grease as well as my usual brand, and the pouch takes up no room under the sink."),
    (4, "Lovely lemon smell, not too strong. The spout could be wider: I spilled a little refilling the bottle."),
    (5, "Passed the samples to my sister and two neighbours; all three want to know where to buy it."),
    (3, "Does the job. I needed a bit more per wash than the old one, so I am not sure it saves money."),
    (4, "Gentle on my hands, which matters with eczema. Foams less than I expected but cleans fine."),
    (2, "The pouch split along the seam on the second refill. The soap itself was good."),
    (5, "Finally a refill that does not feel like a compromise. **Would buy again.**"),
    (4, "Works in cold water too, which surprised me. Pouring takes two hands."),
    (3, "Fine for everyday dishes, struggled with a roasting tin."),
    (5, "Half the plastic of a bottle and it lasted a month for a family of four."),
]
LAUNDRY_TEXTS = [
    (5, "One sheet, one load, no drips down the side of a jug. Towels came out soft."),
    (4, "Dissolved fully even on a 30 degree wash. I would like an unscented version."),
    (3, "Clean clothes, but grass stains on my son's football kit needed a second go."),
    (5, "The box fits in a drawer. My neighbour has already asked for more samples."),
]
REVIEW_TEXTS = {FINISHED_CAMPAIGN: DISH_SOAP_TEXTS, RUNNING_CAMPAIGN: LAUNDRY_TEXTS}


def _photo(rng: random.Random, label: str) -> reviews_service.Photo:
    """A simple product photo: a refill pouch on a kitchen counter, drawn (the demo reaches no other host)."""
    image = Image.new("RGB", (640, 480), (226, 232, 222))
    draw = ImageDraw.Draw(image)
    counter = rng.randint(280, 380)
    draw.rectangle((0, counter, 640, 480), fill=(181, 160, 132))
    # Plates and cups around the pouch, placed at random: each photo is a picture of its own.
    for _ in range(rng.randint(2, 4)):
        x, size = rng.randint(0, 560), rng.randint(40, 110)
        shade = rng.randint(200, 250)
        draw.ellipse((x, counter - size // 2, x + size, counter + size // 3), fill=(shade, shade, shade - 20))
    hue = rng.choice([(250, 214, 60), (120, 190, 110), (110, 170, 230)])
    left, height = rng.randint(60, 420), rng.randint(200, 260)
    draw.rounded_rectangle(
        (left, counter - height, left + 160, counter), radius=28, fill=hue, outline=(60, 60, 60), width=4
    )
    draw.rectangle((left + 55, counter - height - 30, left + 105, counter - height), fill=(70, 70, 70))
    draw.text((left + 18, counter - height // 2), label, fill=(30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    return reviews_service.Photo(buffer, "pouch.jpg", "image/jpeg")


def _delivered_connectors(session: Session, campaign: Campaign, *, skip: set[int]) -> list[User]:
    """The campaign's accepted connectors in a stable order, those who may review first."""
    people = session.exec(
        select(User)
        .join(CampaignApplication, col(CampaignApplication.user_id) == User.id)
        .where(
            CampaignApplication.campaign_id == campaign.id,
            CampaignApplication.status == ApplicationStatus.accepted,
        )
        .order_by(col(CampaignApplication.id))
    ).all()
    return [
        person
        for person in people
        if person.id not in skip and reviews_service.reviewer_standing(session, campaign=campaign, user=person)
    ]


def _publish(
    session: Session,
    *,
    rng: random.Random,
    campaign: Campaign,
    community: Community,
    count: int,
    photos: int,
    skip: set[int],
    start: datetime,
) -> None:
    texts = REVIEW_TEXTS[campaign.slug][:]
    rng.shuffle(texts)
    for number, author in enumerate(_delivered_connectors(session, campaign, skip=skip)[:count]):
        rating, body = texts[number % len(texts)]
        reviews_service.publish_review(
            session,
            campaign=campaign,
            community=community,
            author=author,
            rating=rating,
            body=body,
            photo=_photo(rng, campaign.product_name.removeprefix("Brightleaf ")) if number < photos else None,
            now=start + timedelta(hours=7 * number),
        )


def seed_reviews(session: Session, *, now: datetime | None = None) -> bool:
    """Add the demo reviews unless the finished campaign has some; returns whether anything was created."""
    community = communities_service.get_community_by_slug(session, slug=TESTERS)
    finished = session.exec(campaign_lifecycle.select_campaign(community, FINISHED_CAMPAIGN)).one()
    running = session.exec(campaign_lifecycle.select_campaign(community, RUNNING_CAMPAIGN)).one()
    if session.exec(select(func.count()).select_from(Review).where(Review.campaign_id == finished.id)).one():
        return False
    mia = accounts_service.find_user_by_email(session, email=MEMBER_EMAIL)
    assert mia is not None
    today = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    rng = random.Random(31)
    _publish(
        session,
        rng=rng,
        campaign=finished,
        community=community,
        count=FINISHED_REVIEWS,
        photos=FINISHED_PHOTOS,
        skip=set(),
        start=today - timedelta(days=40),
    )
    _publish(
        session,
        rng=rng,
        campaign=running,
        community=community,
        count=RUNNING_REVIEWS,
        photos=0,
        skip={mia.id or 0},
        start=today - timedelta(days=3),
    )
    return True
