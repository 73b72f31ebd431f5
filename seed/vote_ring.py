"""A vote ring in the demo's scoring challenge, for the moderators' integrity page (app/moderation/integrity.py).

Twelve accounts, all made three days ago from two home networks and two browsers, join the Design Lab the same
day and, two days ago within one hour, give both designs of one designer a 5 and score nothing else. The
detector links them by every signal it has (shared network and device, accounts created close together, scoring
in the same hour, the same designs), so the page lists them as one group.
"""

import secrets
from datetime import datetime, timedelta

from sqlmodel import Session

from app.accounts import service as accounts_service
from app.challenges import scores as challenge_scores
from app.challenges.models import Design
from app.columns import id_of
from app.communities import service as communities_service
from app.communities.models import Community
from app.moderation import fingerprints

RING_HANDLES = [
    "jo_wave22",
    "kit_tide7",
    "sam_quay81",
    "lou_mast3",
    "ren_buoy45",
    "max_pier9",
    "ash_gull60",
    "bo_sail14",
    "cy_dock38",
    "di_reef5",
    "eli_cove77",
    "fin_knot26",
]
# Two home networks and two browsers, each shared by six of the accounts: few enough that the detector counts a
# shared one as evidence (a network seen with more than ten members is taken for a carrier's).
RING_ADDRESSES = ("198.51.100.23", "203.0.113.140")
RING_BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
)


def seed_vote_ring(session: Session, *, community: Community, designs: list[Design], now: datetime) -> None:
    """Create the ring's accounts in ``community`` and have each give every one of ``designs`` a 5."""
    made_at = now - timedelta(days=3)
    voted_at = now - timedelta(days=2)
    # Nobody logs in as these accounts: their password is random and not kept.
    password = secrets.token_urlsafe(24)
    password_hash = accounts_service.password_hasher.hash(password)
    for number, handle in enumerate(RING_HANDLES):
        user = accounts_service.create_user(
            session,
            email=f"{handle}@mailbox.example",
            handle=handle,
            password=password,
            password_hash=password_hash,
        )
        user.created_at = made_at + timedelta(minutes=7 * number)
        session.add(user)
        membership = communities_service.join_community(session, community=community, user=user)
        membership.joined_at = user.created_at + timedelta(minutes=3)
        session.add(membership)
        fingerprints.record_fingerprint(
            session,
            user_id=id_of(user),
            ip_address=RING_ADDRESSES[number % 2],
            user_agent=RING_BROWSERS[number // 6],
            now=user.created_at,
        )
        for offset, design in enumerate(designs):
            challenge_scores.cast_score(
                session,
                voter=user,
                design=design,
                value=5,
                would_buy=True,
                now=voted_at + timedelta(minutes=4 * number + offset),
            )
    session.flush()
