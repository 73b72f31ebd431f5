"""Factories for the ideas board: ideas made directly (use the services to test posting, voting and the rest)."""

import itertools

from sqlmodel import Session

from app.accounts.models import User
from app.communities.models import Community
from app.ideas.models import Idea
from tests.factories import add_member, make_community, make_user

_sequence = itertools.count(1)


def make_idea(
    session: Session, community: Community | None = None, author: User | None = None, **overrides: object
) -> Idea:
    """An open idea in a community (made directly: no membership check, no follow, no notifications)."""
    community = community or make_community(session)
    if author is None:
        author = make_user(session)
        add_member(session, community, author)
    values: dict[str, object] = {
        "community_id": community.id,
        "author_id": author.id,
        "title": f"Idea number {next(_sequence)}",
        "description": "",
    }
    values.update(overrides)
    idea = Idea(**values)  # type: ignore[arg-type]
    session.add(idea)
    session.flush()
    return idea


def make_member(session: Session, community: Community, **overrides: object) -> User:
    """A confirmed user who is a member of the community."""
    user = make_user(session, **overrides)
    add_member(session, community, user)
    return user
