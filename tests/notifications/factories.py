"""Notification test helpers: outbox and digest queries for one person."""

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.notifications.models import DigestItem, OutboxEmail


def outbox_for(session: Session, user: User) -> list[OutboxEmail]:
    return list(
        session.exec(
            select(OutboxEmail).where(OutboxEmail.to_address == user.email).order_by(col(OutboxEmail.id))
        ).all()
    )


def digest_items_for(session: Session, user: User) -> list[DigestItem]:
    return list(session.exec(select(DigestItem).where(DigestItem.user_id == user.id).order_by(col(DigestItem.id))))
