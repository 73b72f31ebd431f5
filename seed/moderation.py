"""Moderation demo data in the Northwind Design Lab, built through the services: a few reports in the queue, a
hidden comment, a suspension with its appeal, a blocked word, and so the audit entries of all of it; and a design
submitted yesterday that copies the first design of the open challenge (turned, mirrored and cropped), which the upload
pipeline flags as a near-duplicate, and which the first design's designer reports as stolen art.

Called once from seed/demo.py when the demo is created; it also checks for its own data, so a second call changes
nothing.
"""

import io
from datetime import datetime, timedelta

from PIL import Image, ImageOps
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges import designs as challenge_designs
from app.challenges import service as challenges_service
from app.challenges.models import Design
from app.comments import service as comments_service
from app.communities import service as communities_service
from app.communities.models import Community, Membership
from app.media import service as media_service
from app.media.models import MediaImage
from app.moderation import appeals as moderation_appeals
from app.moderation import decisions as moderation_decisions
from app.moderation import reports as moderation_reports
from app.moderation import sanctions as moderation_sanctions
from app.moderation import screening as moderation_screening
from app.moderation.models import AuditEntry, SubjectKind

COMMUNITY = "northwind-design-lab"
CHALLENGE = "rain-ready-tees"
MODERATOR = "moe_moderator"
SPAM = "Cheap replica jackets at www.replica-deals.example, use code RAIN50!"
COPY_TITLE = "Puddle Jumper (my own)"
COPY_DESCRIPTION = "Drawn **entirely by me** last night, _honest_.\n\n- bold shapes\n- prints well on grey"


def seed_moderation(session: Session, *, now: datetime) -> bool:
    """Create the moderation demo unless it is there; returns whether anything was created."""
    community = communities_service.get_community_by_slug(session, slug=COMMUNITY)
    if session.exec(select(AuditEntry.id).where(AuditEntry.community_id == community.id)).first() is not None:
        return False
    moderator = session.exec(select(User).where(User.handle == MODERATOR)).one()
    challenge = challenges_service.get_challenge(session, community=community, slug=CHALLENGE)
    designs = session.exec(
        select(Design).where(Design.challenge_id == challenge.id).order_by(col(Design.id)).limit(2)
    ).all()
    members = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.community_id == community.id, Membership.role == "member")
        .where(col(User.id).not_in([design.designer_id for design in designs]))
        .order_by(col(User.id))
        .limit(6)
    ).all()
    spammer, reporters = members[0], members[1:]

    moderation_screening.update_settings(
        session,
        community=community,
        moderator=moderator,
        auto_hide_threshold=3,
        premoderation=False,
        premoderation_posts=1,
        blocked_words="replica\ncasino",
    )
    # Held for its blocked word, then hidden by the moderator; the spammer is suspended and appeals.
    held = comments_service.add_comment(session, design=designs[0], author=spammer, body=SPAM)
    item = moderation_reports.report_subject(
        session,
        community=community,
        reporter=reporters[0],
        kind=SubjectKind.comment,
        subject_id=held.id or 0,
        reason="spam",
    ).item
    moderation_decisions.decide(
        session,
        community=community,
        moderator=moderator,
        item_ids=[item.id or 0],
        decision="remove",
        reason="Advertising replicas",
    )
    moderation_sanctions.sanction_member(
        session,
        community=community,
        moderator=moderator,
        member=spammer,
        kind="suspension",
        reason="Posting adverts",
        days=7,
    )
    suspension = session.exec(
        select(AuditEntry).where(AuditEntry.community_id == community.id, AuditEntry.action == "suspension")
    ).one()
    moderation_appeals.file_appeal(
        session,
        community=community,
        appellant=spammer,
        entry_id=suspension.id or 0,
        body="My account was used by my cousin; it will not happen again.",
    )

    # Two open reports waiting in the queue: a comment (below the auto-hide threshold) and a design.
    rude = comments_service.add_comment(
        session,
        design=designs[1],
        author=reporters[4],
        body="Honestly this is the worst tee in the challenge, what were you thinking",
    )
    for reporter in reporters[1:3]:
        moderation_reports.report_subject(
            session,
            community=community,
            reporter=reporter,
            kind=SubjectKind.comment,
            subject_id=rude.id or 0,
            reason="offensive",
            note="Not kind",
        )
    moderation_reports.report_subject(
        session,
        community=community,
        reporter=reporters[3],
        kind=SubjectKind.design,
        subject_id=designs[1].id or 0,
        reason="stolen_art",
        note="I have seen this print on a poster shop",
    )
    moderation_sanctions.sanction_member(
        session,
        community=community,
        moderator=moderator,
        member=reporters[4],
        kind="warning",
        reason="Critique the design, not the designer",
    )
    _seed_near_duplicate(
        session, community=community, original=designs[0], busy={user.id or 0 for user in members}, now=now
    )
    return True


def _seed_near_duplicate(
    session: Session, *, community: Community, original: Design, busy: set[int], now: datetime
) -> None:
    """A member with no design in the open challenge yet submits the first design turned by 2 degrees, mirrored
    and cropped by 5% a side (flagged by the upload pipeline); the first design's designer reports it as stolen art."""
    challenge = challenges_service.get_challenge(session, community=community, slug=CHALLENGE)
    in_challenge = select(Design.designer_id).where(Design.challenge_id == challenge.id)
    copier = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.community_id == community.id, Membership.role == "member")
        .where(col(User.id).not_in(in_challenge), col(User.id).not_in(busy))
        .order_by(col(User.id))
        .limit(1)
    ).one()
    image = session.get(MediaImage, original.image_id)
    assert image is not None
    with Image.open(io.BytesIO(media_service.original_bytes(image))) as picture:
        width, height = picture.size
        turned = picture.convert("RGB").rotate(2, resample=Image.Resampling.BILINEAR, fillcolor="white")
        cropped = turned.crop((width // 20, height // 20, width - width // 20, height - height // 20))
    buffer = io.BytesIO()
    ImageOps.mirror(cropped).save(buffer, "PNG")
    copy = challenge_designs.submit_design(
        session,
        challenge=challenge,
        designer=copier,
        upload=io.BytesIO(buffer.getvalue()),
        title=COPY_TITLE,
        description=COPY_DESCRIPTION,
        tags="lettering",
        filename="puddle-jumper.png",
        content_type="image/png",
        now=now - timedelta(days=1),
    )
    original_designer = session.get(User, original.designer_id)
    assert original_designer is not None and copy.flagged_near_duplicate_of_id == original.id
    moderation_reports.report_subject(
        session,
        community=community,
        reporter=original_designer,
        kind=SubjectKind.design,
        subject_id=copy.id or 0,
        reason="stolen_art",
        note="This is my design, flipped and cropped.",
        now=now - timedelta(hours=20),
    )
