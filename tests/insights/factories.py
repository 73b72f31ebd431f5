"""Scores, members and activity for results tests, made through the services where they keep counters."""

from datetime import datetime, timedelta

from sqlmodel import Session

from app.accounts.models import User
from app.challenges import service as challenges_service
from app.challenges.models import Challenge, Design, Score
from app.communities import service as communities_service
from app.communities.models import Community, Membership
from tests.factories import add_member, make_user


def scoring_moment(challenge: Challenge) -> datetime:
    """A moment inside the challenge's scoring window (even when it is closed by now)."""
    return challenge.scoring_close_at - timedelta(hours=1)


def score(
    session: Session,
    community: Community,
    design: Design,
    value: int,
    *,
    would_buy: bool = False,
    voter: User | None = None,
    now: datetime | None = None,
) -> Score:
    """A new member scores the design through the service (its counters move as in production)."""
    challenge = session.get(Challenge, design.challenge_id)
    assert challenge is not None
    voter = voter or make_user(session)
    return challenges_service.cast_score(
        session,
        voter=voter,
        design=design,
        value=value,
        would_buy=would_buy,
        now=now or scoring_moment(challenge),
        challenge=challenge,
        community=community,
        membership=_membership(session, community, voter),
    )


def _membership(session: Session, community: Community, voter: User) -> Membership:
    found = communities_service.get_membership(session, community=community, user=voter)
    return found if found is not None else add_member(session, community, voter)


def join(session: Session, community: Community, *, joined_at: datetime, user: User | None = None) -> Membership:
    """A member who joined at the given moment."""
    membership = add_member(session, community, user or make_user(session))
    membership.joined_at = joined_at
    session.add(membership)
    session.flush()
    return membership
