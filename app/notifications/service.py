"""Queue e-mail in the outbox and deliver it by SMTP when a server is configured; in-app notifications."""

import logging
import smtplib
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage

from sqlmodel import Session, col, func, select, update

from app.accounts.models import User
from app.columns import id_of, utcnow
from app.config import Settings
from app.errors import NotFound
from app.notifications.models import Notification, NotificationKind, OutboxEmail

logger = logging.getLogger("chorus.mail")
MAX_ATTEMPTS = 5
# Set on a session that queued e-mail, so the request can hand delivery to a background task after its commit.
OUTBOX_PENDING = "chorus.outbox_pending"


def queue_email(session: Session, *, to_address: str, subject: str, body_text: str) -> OutboxEmail:
    """Put an e-mail in the outbox; it leaves only if the surrounding transaction commits."""
    email = OutboxEmail(to_address=to_address, subject=subject, body_text=body_text)
    session.add(email)
    session.flush()
    session.info[OUTBOX_PENDING] = True
    return email


def list_outbox(session: Session, *, to_address: str | None = None, limit: int = 50) -> Sequence[OutboxEmail]:
    """The newest e-mails first, optionally for one address."""
    query = select(OutboxEmail).order_by(col(OutboxEmail.id).desc()).limit(limit)
    if to_address:
        query = query.where(OutboxEmail.to_address == to_address.strip().lower())
    return session.exec(query).all()


def get_outbox_email(session: Session, *, email_id: int) -> OutboxEmail | None:
    return session.get(OutboxEmail, email_id)


def deliver_pending(session: Session, *, settings: Settings, limit: int = 100) -> int:
    """Send unsent e-mails by SMTP; failures are recorded and retried up to MAX_ATTEMPTS. Returns how many left."""
    if not settings.smtp_host:
        return 0
    pending = session.exec(
        select(OutboxEmail)
        .where(col(OutboxEmail.sent_at).is_(None), OutboxEmail.attempts < MAX_ATTEMPTS)
        .order_by(col(OutboxEmail.id))
        .limit(limit)
        # Two deliverers (workers, the CLI) never take the same e-mail: PostgreSQL skips rows another one holds;
        # SQLite serialises writers with BEGIN IMMEDIATE (session_scope).
        .with_for_update(skip_locked=True)
    ).all()
    sent = 0
    if not pending:
        return 0
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        for email in pending:
            message = EmailMessage()
            message["From"] = settings.mail_from
            message["To"] = email.to_address
            message["Subject"] = email.subject
            message.set_content(email.body_text)
            email.attempts += 1
            try:
                smtp.send_message(message)
            except smtplib.SMTPException as error:
                email.last_error = str(error)[:500]
            else:
                email.sent_at = utcnow()
                sent += 1
            session.flush()
    return sent


def deliver_outbox_now() -> None:
    """Background task after a request that queued e-mail: send it in a transaction of its own."""
    from app.config import get_settings
    from app.db import session_scope

    settings = get_settings()
    if not settings.smtp_host:
        return
    try:
        with session_scope() as session:
            deliver_pending(session, settings=settings)
    except OSError:
        # The SMTP server is unreachable; the e-mails stay queued for `chorus deliver-mail`.
        logger.warning("Could not reach the SMTP server; e-mails stay in the outbox", exc_info=True)


# --- In-app notifications ---------------------------------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 30
_TEXT_MAX = 300


def notify(
    session: Session, *, user: User, kind: NotificationKind, text: str, link: str, actor: User | None = None
) -> Notification | None:
    """Tell someone about something in the app; nobody is told about what they did themselves."""
    if actor is not None and actor.id == user.id:
        return None
    if len(text) > _TEXT_MAX:
        text = text[: _TEXT_MAX - 1] + "…"
    notification = Notification(
        user_id=id_of(user), kind=kind, text=text, link=link, actor_id=actor.id if actor is not None else None
    )
    session.add(notification)
    session.flush()
    return notification


def unread_count(session: Session, *, user: User) -> int:
    """How many unread notifications someone has: one COUNT on the (user_id, read_at) index."""
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
    ).one()


def list_notifications(session: Session, *, user: User, page: int = 1) -> Sequence[Notification]:
    """Someone's notifications, newest first, a page at a time."""
    page = max(page, 1)
    return session.exec(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(col(Notification.id).desc())
        .offset((page - 1) * NOTIFICATIONS_PER_PAGE)
        .limit(NOTIFICATIONS_PER_PAGE)
    ).all()


def mark_all_read(session: Session, *, user: User, now: datetime | None = None) -> int:
    """Mark every unread notification of someone's read; returns how many were unread."""
    result = session.exec(
        update(Notification)
        .where(col(Notification.user_id) == user.id, col(Notification.read_at).is_(None))
        .values(read_at=now or utcnow())
    )
    session.flush()
    return int(result.rowcount or 0)


def mark_read(session: Session, *, user: User, notification_id: int, now: datetime | None = None) -> Notification:
    """Mark one of someone's notifications read (another person's answers as missing)."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("There is no such notification.")
    if notification.read_at is None:
        notification.read_at = now or utcnow()
        session.add(notification)
        session.flush()
    return notification
