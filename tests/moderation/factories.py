"""Factories for moderation tests: a community with a moderator, a member and some content."""

from dataclasses import dataclass

from sqlmodel import Session

from app.accounts.models import User
from app.challenges.models import Challenge, Design
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
