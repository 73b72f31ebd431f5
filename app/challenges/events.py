"""Telling the brand's webhooks about challenges: designs submitted, phases changed, winners announced.

A challenge changes phase in two ways: a manager's write (publishing, announcing winners), which tells the change in
its own transaction, and the clock (submissions open, scoring opens, scoring closes), which no request sees. For the
second, ``emit_phase_changes`` runs every minute from the task queue: it compares each live challenge's phase with
the one last told (``Challenge.emitted_phase``) under a row lock, and tells each change once.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges.models import Challenge, ChallengeStatus, Design, Phase, Product
from app.challenges.phases import phase
from app.columns import id_of
from app.communities.models import Community
from app.config import get_settings
from app.webhooks import service as webhooks_service
from app.webhooks.models import WebhookEvent


def _absolute(path: str) -> str:
    return get_settings().base_url.rstrip("/") + path


def _community(community: Community) -> dict[str, Any]:
    return {"slug": community.slug, "name": community.name}


def _challenge(challenge: Challenge, community: Community) -> dict[str, Any]:
    return {
        "id": challenge.id,
        "slug": challenge.slug,
        "title": challenge.title,
        "url": _absolute(f"/c/{community.slug}/challenges/{challenge.slug}"),
    }


def _community_of(session: Session, challenge: Challenge) -> Community:
    community = session.get(Community, challenge.community_id)
    assert community is not None  # the foreign key cascades
    return community


def emit_design_submitted(session: Session, *, challenge: Challenge, design: Design, designer: User) -> None:
    """``design_submitted``, in the submitting transaction (a design is inserted once: its id is new)."""
    community = _community_of(session, challenge)
    webhooks_service.emit_event(
        session,
        brand_id=community.brand_id,
        event=WebhookEvent.design_submitted,
        payload={
            "design": {
                "id": design.id,
                "title": design.title,
                "tags": [tag for tag in design.tags.split(",") if tag],
                "status": design.status.value,
                "created_at": design.created_at.isoformat(),
                "url": _absolute(f"/designs/{design.id}"),
            },
            "designer": {"handle": designer.handle},
            "challenge": _challenge(challenge, community),
            "community": _community(community),
        },
    )


def emit_phase_changed(session: Session, *, challenge: Challenge, now: datetime) -> bool:
    """Tell ``challenge_phase_changed`` when the challenge's phase differs from the one last told, and remember it.

    The caller holds the challenge's row (a manager's write claimed it, or the sweep locked it), so two
    transactions never tell the same change. False when there was nothing to tell.
    """
    current = phase(challenge, now)
    previous = challenge.emitted_phase
    if current == previous:
        return False
    challenge.emitted_phase = current
    session.add(challenge)
    session.flush()
    community = _community_of(session, challenge)
    webhooks_service.emit_event(
        session,
        brand_id=community.brand_id,
        event=WebhookEvent.challenge_phase_changed,
        payload={
            "challenge": _challenge(challenge, community),
            "community": _community(community),
            "previous_phase": previous.value,
            "phase": current.value,
        },
    )
    return True


def emit_phase_changes(session: Session, *, now: datetime, limit: int = 200) -> int:
    """The sweep: tell the phase changes the clock made since the last run; returns how many were told.

    Only published challenges move by the clock, and one last told as closed has nowhere left to go but winners
    announced (which the announcing write tells). Rows are locked, skipping those another sweep holds.
    """
    live = session.exec(
        select(Challenge)
        .where(Challenge.status == ChallengeStatus.published, col(Challenge.emitted_phase) != Phase.closed)
        .order_by(col(Challenge.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    return sum(emit_phase_changed(session, challenge=challenge, now=now) for challenge in live)


def emit_winners_announced(
    session: Session, *, challenge: Challenge, winners: Sequence[tuple[Design, User]], now: datetime
) -> None:
    """``winners_announced`` with each winning design and its product, then the phase change it makes."""
    community = _community_of(session, challenge)
    products = {
        product.design_id: product.id
        for product in session.exec(
            select(Product).where(col(Product.design_id).in_([id_of(design) for design, _ in winners]))
        ).all()
    }
    webhooks_service.emit_event(
        session,
        brand_id=community.brand_id,
        event=WebhookEvent.winners_announced,
        payload={
            "challenge": _challenge(challenge, community),
            "community": _community(community),
            "announced_at": now.isoformat(),
            "winners": [
                {
                    "design": {"id": design.id, "title": design.title, "url": _absolute(f"/designs/{design.id}")},
                    "designer": {"handle": designer.handle},
                    "product_id": products.get(id_of(design)),
                }
                for design, designer in winners
            ],
        },
    )
    emit_phase_changed(session, challenge=challenge, now=now)
