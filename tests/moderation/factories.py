"""Factories for moderation tests: a community with a moderator, a member and some content."""

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from app.accounts.models import User
from app.challenges.models import Challenge, Design, Score
from app.columns import utcnow
from app.comments.models import Comment
from app.communities.models import Community, MemberRole
from tests.factories import add_member, make_challenge, make_comment, make_community, make_design, make_user


@dataclass
class Place:
    community: Community
    challenge: Challenge
    moderator: User
    author: User
    design: Design
    comment: Comment


def make_place(session: Session, *, phase: str = "scoring") -> Place:
    community = make_community(session)
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    author = make_user(session)
    add_member(session, community, author)
    challenge = make_challenge(session, community, phase=phase)
    design = make_design(session, challenge, author)
    comment = make_comment(session, design, author, body="Buy cheap watches here")
    return Place(community, challenge, moderator, author, design, comment)


def make_members(session: Session, community: Community, count: int) -> list[User]:
    members = [make_user(session) for _ in range(count)]
    for member in members:
        add_member(session, community, member)
    return members


def score_with_a_ring(session: Session, place: Place, *, ring_size: int = 10) -> list[User]:
    """Thirty long-standing members score eight designs around each one's quality; ``ring_size`` accounts made
    today each give ``place.design`` (a middling one) a single 5. Counters are kept as scoring keeps them."""
    designs = [place.design, *(make_design(session, place.challenge, make_user(session)) for _ in range(7))]
    quality = [1, 4, 2, 3, 5, 2, 3, 4]
    honest = make_members(session, place.community, 30)
    long_ago = utcnow() - timedelta(days=300)
    for index, voter in enumerate(honest):
        voter.created_at = long_ago
        session.add(voter)
        for number, design in enumerate(designs):
            _add_score(session, voter, design, max(0, min(5, quality[number] + (index + number) % 3 - 1)))
    ring = make_members(session, place.community, ring_size)
    for voter in ring:
        _add_score(session, voter, place.design, 5)
    session.flush()
    return ring


def _add_score(session: Session, voter: User, design: Design, value: int) -> None:
    session.add(Score(design_id=design.id or 0, voter_id=voter.id or 0, value=value))
    design.score_count, design.score_sum = design.score_count + 1, design.score_sum + value
    session.add(design)
