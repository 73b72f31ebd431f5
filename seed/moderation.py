"""Moderation demo data in the Northwind Design Lab, built through the services: a few reports in the queue, a
hidden comment, a suspension with its appeal, a blocked word, and so the audit entries of all of it.

Called once from seed/demo.py when the demo is created; it also checks for its own data, so a second call changes
nothing.
"""

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges import service as challenges_service
from app.challenges.models import Design
from app.comments import service as comments_service
from app.communities import service as communities_service
from app.communities.models import Membership
from app.moderation import service as moderation_service
from app.moderation.models import AuditEntry, SubjectKind

COMMUNITY = "northwind-design-lab"
CHALLENGE = "rain-ready-tees"
MODERATOR = "moe_moderator"
SPAM = "Cheap replica jackets at www.replica-deals.example, use code RAIN50!"


def seed_moderation(session: Session) -> bool:
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

    moderation_service.update_settings(
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
    item = moderation_service.report_subject(
        session,
        community=community,
        reporter=reporters[0],
        kind=SubjectKind.comment,
        subject_id=held.id or 0,
        reason="spam",
    ).item
    moderation_service.decide(
        session,
        community=community,
        moderator=moderator,
        item_ids=[item.id or 0],
        decision="remove",
        reason="Advertising replicas",
    )
    moderation_service.sanction_member(
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
    moderation_service.file_appeal(
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
        moderation_service.report_subject(
            session,
            community=community,
            reporter=reporter,
            kind=SubjectKind.comment,
            subject_id=rude.id or 0,
            reason="offensive",
            note="Not kind",
        )
    moderation_service.report_subject(
        session,
        community=community,
        reporter=reporters[3],
        kind=SubjectKind.design,
        subject_id=designs[1].id or 0,
        reason="stolen_art",
        note="I have seen this print on a poster shop",
    )
    moderation_service.sanction_member(
        session,
        community=community,
        moderator=moderator,
        member=reporters[4],
        kind="warning",
        reason="Critique the design, not the designer",
    )
    return True
