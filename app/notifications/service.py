"""Queue e-mail in the outbox and deliver it by SMTP when a server is configured; in-app notifications, and the
preferences and signed unsubscribe links that decide which of them also go out by e-mail."""

import logging
import smtplib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, func, select, update

from app import after_commit
from app.accounts.models import User
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.config import Settings, get_settings
from app.errors import AppError, Invalid, NotFound
from app.i18n import N_, _, use_locale
from app.notifications import emails
from app.notifications.models import (
    Delivery,
    DigestItem,
    EmailUnsubscribe,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxEmail,
)

logger = logging.getLogger("chorus.mail")
MAX_ATTEMPTS = 5
CLAIM_LEASE = timedelta(minutes=10)


def queue_email(
    session: Session,
    *,
    to_address: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    headers: dict[str, str] | None = None,
) -> OutboxEmail:
    """Put an e-mail in the outbox; it leaves only if the surrounding transaction commits (then the task queue
    sends it)."""
    email = OutboxEmail(
        to_address=to_address, subject=subject, body_text=body_text, body_html=body_html, headers=headers or {}
    )
    session.add(email)
    session.flush()
    after_commit.mark(session, "deliver_outbox")
    return email


def list_outbox(session: Session, *, to_address: str | None = None, limit: int = 50) -> Sequence[OutboxEmail]:
    """The newest e-mails first, optionally for one address."""
    query = select(OutboxEmail).order_by(col(OutboxEmail.id).desc()).limit(limit)
    if to_address:
        query = query.where(OutboxEmail.to_address == to_address.strip().lower())
    return session.exec(query).all()


def get_outbox_email(session: Session, *, email_id: int) -> OutboxEmail | None:
    return session.get(OutboxEmail, email_id)


def _build_message(email: OutboxEmail, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = email.to_address
    message["Subject"] = email.subject
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.body_text)
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html")
    return message


def _due() -> ColumnElement[bool]:
    return and_(col(OutboxEmail.sent_at).is_(None), col(OutboxEmail.attempts) < MAX_ATTEMPTS)


def _claim(session: Session, *, settings: Settings, now: datetime, limit: int) -> list[tuple[int, EmailMessage]]:
    """Take up to ``limit`` unsent e-mails, oldest first, for one delivery run: each attempt is counted and the
    e-mail leased (``claimed_until``) so that no other deliverer takes it meanwhile."""
    claimed = session.exec(
        select(OutboxEmail)
        .where(
            _due(),
            or_(col(OutboxEmail.claimed_until).is_(None), col(OutboxEmail.claimed_until) < now),
        )
        .order_by(col(OutboxEmail.id))
        .limit(limit)
        # PostgreSQL skips rows another deliverer holds; SQLite serialises writers with BEGIN IMMEDIATE.
        .with_for_update(skip_locked=True)
    ).all()
    for email in claimed:
        email.attempts += 1
        email.claimed_until = now + CLAIM_LEASE
        session.add(email)
    session.flush()
    return [(id_of(email), _build_message(email, settings)) for email in claimed]


def _record(session: Session, *, email_id: int, now: datetime, error: str | None) -> None:
    session.execute(
        update(OutboxEmail)
        .where(col(OutboxEmail.id) == email_id)
        .values(
            claimed_until=None,
            sent_at=None if error is not None else now,
            last_error=(error or "")[:500],
        )
    )


def deliver_pending(
    *,
    settings: Settings,
    sessions: Callable[[], AbstractContextManager[Session]] | None = None,
    limit: int = 100,
    now: Callable[[], datetime] = utcnow,
) -> int:
    """Send unsent e-mails by SMTP; failures are recorded and retried up to MAX_ATTEMPTS. Returns how many left.

    No transaction is open while talking to the SMTP server: the e-mails are claimed in one short transaction and
    each result recorded in another (on SQLite a transaction that writes holds the database's only write lock, and
    an SMTP conversation takes seconds). A deliverer that dies mid-run leaves its claimed e-mails to be retried when
    their lease runs out. An unreachable server raises before anything is claimed (the task queue retries).
    """
    from app.db import session_scope

    if not settings.smtp_host:
        return 0
    open_session = sessions or session_scope
    with open_session() as session:
        anything_due = session.exec(select(OutboxEmail.id).where(_due()).limit(1)).first() is not None
    if not anything_due:
        return 0
    sent = 0
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        with open_session() as session:
            claimed = _claim(session, settings=settings, now=now(), limit=limit)
        for email_id, message in claimed:
            error: str | None = None
            try:
                smtp.send_message(message)
            except smtplib.SMTPException as failure:
                error = str(failure) or type(failure).__name__
            else:
                sent += 1
            with open_session() as session:
                _record(session, email_id=email_id, now=now(), error=error)
    return sent


# --- In-app notifications ---------------------------------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 30
_TEXT_MAX = 300


@dataclass(frozen=True)
class Rollup:
    """How a notification reads together with others of its kind about the same thing on the same (UTC) day."""

    subject: str  # what it is about, e.g. "design:12"; one line per kind, subject, currency and day
    text: str  # the line for several, with {count} and optionally {amount} and {day}: "{count} replies to ..."
    amount_minor: int | None = None  # added up into {amount}
    currency: str | None = None


def in_language_of(user: User, community: Community | None = None) -> AbstractContextManager[None]:
    """Speak the recipient's language inside the block (their own setting, else the community's default language
    when the notice belongs to one) and show times in their time zone: compose a notification's text, and its
    e-mail, inside it, since what is stored and sent is read by them, not by whoever's request caused it."""
    return use_locale(user.locale or (community.default_locale if community is not None else None), user.time_zone)


def _clipped(text: str) -> str:
    return text if len(text) <= _TEXT_MAX else text[: _TEXT_MAX - 1] + "…"


def notify(
    session: Session,
    *,
    user: User,
    kind: NotificationKind,
    text: str,
    link: str,
    actor: User | None = None,
    community: Community | None = None,
    email_subject: str | None = None,
    rollup: Rollup | None = None,
) -> Notification | None:
    """Tell someone about something in the app, and by e-mail as they chose for this kind: now, in their daily or
    weekly digest (grouped by ``community``), or not at all. Nobody is told about what they did themselves.
    ``rollup`` lets many of one kind about one thing on one day read as one line (app.notifications.rollups).
    Compose ``text`` (and ``email_subject``, ``rollup``) in the recipient's language: inside ``in_language_of``."""
    if actor is not None and actor.id == user.id:
        return None
    text = _clipped(text)
    now = utcnow()
    notification = Notification(
        user_id=id_of(user),
        kind=kind,
        text=text,
        link=link,
        actor_id=actor.id if actor is not None else None,
        created_at=now,
    )
    if rollup is not None:
        currency = rollup.currency or ""
        notification.rollup_key = f"{kind.value}:{rollup.subject}:{currency}:{now:%Y-%m-%d}"[:200]
        notification.rollup_text = _clipped(rollup.text)
        notification.amount_minor = rollup.amount_minor
        notification.currency = rollup.currency
    session.add(notification)
    session.flush()
    delivery = delivery_for(session, user=user, kind=kind)
    if delivery == Delivery.never or not may_email(session, user=user):
        return notification
    if delivery == Delivery.immediately:
        with in_language_of(user, community):
            rendered = emails.notification_email(
                user=user,
                kind_label=kind_label(kind),
                text=text,
                link=link,
                unsubscribe_url=unsubscribe_url(user, kind),
            )
        queue_email(
            session,
            to_address=user.email,
            subject=email_subject or rendered.subject,
            body_text=rendered.body_text,
            headers=unsubscribe_headers(user, kind),
        )
    else:
        session.add(
            DigestItem(
                user_id=id_of(user),
                notification_id=id_of(notification),
                cadence=delivery,
                community_id=community.id if community is not None else None,
                created_at=notification.created_at,
            )
        )
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
        raise NotFound(_("There is no such notification."))
    if notification.read_at is None:
        notification.read_at = now or utcnow()
        session.add(notification)
        session.flush()
    return notification


# --- Preferences: how each kind reaches someone beyond the bell -------------------------------------------------

# What a kind does until someone chooses: things about one's own work arrive at once, chatter in the daily digest.
# A kind appended to NotificationKind without a line here gets DEFAULT_FOR_NEW_KINDS.
DEFAULT_DELIVERY: dict[NotificationKind, Delivery] = {
    NotificationKind.comment_reply: Delivery.immediately,
    NotificationKind.design_comment: Delivery.daily,
    NotificationKind.design_won: Delivery.immediately,
    NotificationKind.design_flagged: Delivery.immediately,
    NotificationKind.idea_comment: Delivery.daily,
    NotificationKind.idea_status: Delivery.immediately,
    NotificationKind.idea_response: Delivery.immediately,
    NotificationKind.idea_merged: Delivery.daily,
    NotificationKind.community_invite: Delivery.immediately,
    NotificationKind.idea_done: Delivery.immediately,
    NotificationKind.mention: Delivery.immediately,
    NotificationKind.campaign_decision: Delivery.immediately,
    NotificationKind.kit_shipped: Delivery.immediately,
    NotificationKind.network_response: Delivery.daily,
    NotificationKind.roundtable_invite: Delivery.immediately,
    NotificationKind.campaign_outcome: Delivery.immediately,
    NotificationKind.moderation_decision: Delivery.immediately,
    NotificationKind.sanction: Delivery.immediately,
    NotificationKind.report_outcome: Delivery.daily,
    NotificationKind.appeal_filed: Delivery.immediately,
    NotificationKind.appeal_decided: Delivery.immediately,
    NotificationKind.brand_results: Delivery.weekly,
    NotificationKind.preorder_opened: Delivery.immediately,
    NotificationKind.preorder_funded: Delivery.immediately,
    NotificationKind.preorder_not_funded: Delivery.immediately,
    NotificationKind.question_answer: Delivery.immediately,
    NotificationKind.answer_accepted: Delivery.immediately,
    NotificationKind.followed_designer: Delivery.daily,
}
DEFAULT_FOR_NEW_KINDS = Delivery.daily
# Kinds that reach people one way only: the choices offered for them (every Delivery for the others).
KIND_CHOICES: dict[NotificationKind, tuple[Delivery, ...]] = {
    NotificationKind.brand_results: (Delivery.weekly, Delivery.never),
}
KIND_LABELS: dict[NotificationKind, str] = {
    NotificationKind.comment_reply: N_("Replies to your comments"),
    NotificationKind.design_comment: N_("Comments on your designs"),
    NotificationKind.design_won: N_("Your designs winning"),
    NotificationKind.design_flagged: N_("Designs flagged for moderators"),
    NotificationKind.idea_comment: N_("Comments on ideas you follow"),
    NotificationKind.idea_status: N_("Status changes of ideas you follow"),
    NotificationKind.idea_response: N_("Official responses to ideas you follow"),
    NotificationKind.idea_merged: N_("Ideas you follow merged into another"),
    NotificationKind.idea_done: N_("Ideas you voted for or follow done"),
    NotificationKind.mention: N_("Mentions of you"),
    NotificationKind.community_invite: N_("Invitations to invite-only communities"),
    NotificationKind.campaign_decision: N_("Decisions on your campaign applications"),
    NotificationKind.kit_shipped: N_("Your sample kits shipping"),
    NotificationKind.network_response: N_("Answers through your share links"),
    NotificationKind.roundtable_invite: N_("Invitations to results roundtables"),
    NotificationKind.campaign_outcome: N_("What brands did with campaign feedback"),
    NotificationKind.moderation_decision: N_("Moderators' decisions on your posts"),
    NotificationKind.sanction: N_("Warnings and suspensions"),
    NotificationKind.report_outcome: N_("Outcomes of your reports"),
    NotificationKind.appeal_filed: N_("Appeals to decide (moderators)"),
    NotificationKind.appeal_decided: N_("Decisions on your appeals"),
    NotificationKind.royalty_earned: N_("Royalties you earned"),
    NotificationKind.commission_earned: N_("Commissions you earned"),
    NotificationKind.payout_paid: N_("Your payouts paid"),
    NotificationKind.payout_failed: N_("Your payouts that failed"),
    NotificationKind.redemption_code: N_("Your reward codes"),
    NotificationKind.brand_results: N_("Weekly results of the brands you work for"),
    NotificationKind.preorder_opened: N_("Pre-orders opening for designs you would buy"),
    NotificationKind.preorder_funded: N_("Pre-orders you pledged to (or designed) funded"),
    NotificationKind.preorder_not_funded: N_("Pre-orders you pledged to (or designed) not funded"),
    NotificationKind.question_answer: N_("New answers to questions you follow"),
    NotificationKind.answer_accepted: N_("Answers accepted on questions you follow, and yours accepted"),
    NotificationKind.followed_designer: N_("New designs, wins and pre-orders of designers you follow"),
}
# Kinds that concern some people only (the weekly results: brand staff): the domain that sends them says who, and
# the settings offer them to those people alone. Filled in by that domain (``register_audience``), since this
# module imports none of the domains that notify.
_AUDIENCES: dict[NotificationKind, Callable[[Session, User], bool]] = {}


def register_audience(kind: NotificationKind, concerns: Callable[[Session, User], bool]) -> None:
    """Offer ``kind`` in the settings only to people for whom ``concerns(session, user)`` is true."""
    _AUDIENCES[kind] = concerns


def choices_for(kind: NotificationKind) -> tuple[Delivery, ...]:
    return KIND_CHOICES.get(kind, tuple(Delivery))


def kind_label(kind: NotificationKind | str) -> str:
    """The kind in words, for the settings page, e-mail and digest headings."""
    label = KIND_LABELS.get(NotificationKind(kind)) if kind in NotificationKind.__members__ else None
    return _(label) if label else str(kind).replace("_", " ").capitalize()


def default_delivery(kind: NotificationKind) -> Delivery:
    return DEFAULT_DELIVERY.get(kind, DEFAULT_FOR_NEW_KINDS)


def delivery_for(session: Session, *, user: User, kind: NotificationKind) -> Delivery:
    """Someone's choice for a kind, or the kind's default."""
    chosen = session.exec(
        select(NotificationPreference.delivery).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    ).first()
    return Delivery(chosen) if chosen else default_delivery(kind)


@dataclass(frozen=True)
class KindPreference:
    kind: NotificationKind
    label: str
    delivery: Delivery
    default: Delivery
    choices: tuple[Delivery, ...]


def list_preferences(session: Session, *, user: User) -> list[KindPreference]:
    """Every kind that concerns someone, with their choice (or its default), in the order of NotificationKind."""
    chosen = dict(
        session.exec(
            select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return [
        KindPreference(
            kind=kind,
            label=kind_label(kind),
            delivery=Delivery(chosen.get(kind, default_delivery(kind))),
            default=default_delivery(kind),
            choices=choices_for(kind),
        )
        for kind in NotificationKind
        if kind not in _AUDIENCES or _AUDIENCES[kind](session, user)
    ]


def _upsert_preference(session: Session, *, user_id: int, kind: NotificationKind, delivery: Delivery) -> None:
    """One statement, so two saves at once (the page and a one-click unsubscribe) cannot collide on the unique key."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(NotificationPreference).values(
        user_id=user_id, kind=kind.value, delivery=delivery.value, updated_at=utcnow()
    )
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "kind"],
        set_={"delivery": statement.excluded.delivery, "updated_at": statement.excluded.updated_at},
    )
    session.execute(statement)
    session.flush()


def set_preferences(
    session: Session,
    *,
    user: User,
    choices: dict[str, str],
    email_unsubscribed: bool | None = None,
) -> list[KindPreference]:
    """Save someone's choices per kind (all checked before any is saved), and the switch for no e-mail at all."""
    problems: dict[str, str] = {}
    parsed: dict[NotificationKind, Delivery] = {}
    for kind_name, delivery_name in choices.items():
        if kind_name not in NotificationKind.__members__:
            problems[kind_name] = _("There is no such kind of notification.")
        elif delivery_name not in Delivery.__members__:
            problems[kind_name] = _("Choose immediately, daily, weekly or never.")
        elif Delivery(delivery_name) not in choices_for(NotificationKind(kind_name)):
            *others, last = [choice.value for choice in choices_for(NotificationKind(kind_name))]
            problems[kind_name] = _("Choose %(choices)s or %(last)s.", choices=", ".join(others), last=last)
        else:
            parsed[NotificationKind(kind_name)] = Delivery(delivery_name)
    if problems:
        raise Invalid(_("Please correct the marked fields."), fields=problems)
    for kind, delivery in parsed.items():
        _upsert_preference(session, user_id=id_of(user), kind=kind, delivery=delivery)
    if email_unsubscribed is not None:
        set_email_unsubscribed(session, user=user, unsubscribed=email_unsubscribed)
    return list_preferences(session, user=user)


def is_email_unsubscribed(session: Session, *, user: User) -> bool:
    return session.exec(select(EmailUnsubscribe.id).where(EmailUnsubscribe.user_id == user.id)).first() is not None


def set_email_unsubscribed(session: Session, *, user: User, unsubscribed: bool) -> None:
    """Turn all notification e-mail off (idempotent: a second click changes nothing) or back on."""
    if unsubscribed:
        insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(EmailUnsubscribe)
            .values(user_id=id_of(user), created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["user_id"])
        )
    else:
        session.execute(delete(EmailUnsubscribe).where(col(EmailUnsubscribe.user_id) == user.id))
    session.flush()


def may_email(session: Session, *, user: User) -> bool:
    """Notification e-mail goes only to confirmed addresses of active accounts that did not unsubscribe."""
    return user.is_active and user.is_confirmed and not is_email_unsubscribed(session, user=user)


# --- Unsubscribe links (signed, no login) ---------------------------------------------------------------------

_UNSUBSCRIBE_SALT = "chorus.unsubscribe"
ALL_KINDS = "all"


def _unsubscribe_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key, salt=_UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User, kind: NotificationKind | None) -> str:
    """A signed token naming the person and the kind (or every notification e-mail, for digests)."""
    return str(_unsubscribe_serializer().dumps({"u": id_of(user), "k": kind.value if kind else ALL_KINDS}))


def unsubscribe_url(user: User, kind: NotificationKind | None) -> str:
    return f"{get_settings().base_url.rstrip('/')}/unsubscribe/{unsubscribe_token(user, kind)}"


def unsubscribe_headers(user: User, kind: NotificationKind | None) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST ``List-Unsubscribe=One-Click`` to the URL."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(user, kind)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@dataclass(frozen=True)
class UnsubscribeRequest:
    user: User
    kind: NotificationKind | None  # None: every notification e-mail

    @property
    def what(self) -> str:
        return _("e-mail about “%(kind)s”", kind=kind_label(self.kind)) if self.kind else _("all notification e-mail")


def read_unsubscribe_token(session: Session, *, token: str) -> UnsubscribeRequest:
    """Who and what a link unsubscribes; a forged or mangled link is 400, an expired one 410."""
    max_age = get_settings().unsubscribe_link_days * 24 * 3600
    try:
        value = _unsubscribe_serializer().loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise AppError(
            _("This unsubscribe link has expired. Log in and change your notification settings instead."),
            status_code=410,
        ) from error
    except BadSignature as error:
        raise Invalid(
            _("This unsubscribe link is not valid. Check that it was copied whole."), status_code=400
        ) from error
    user = session.get(User, value.get("u")) if isinstance(value, dict) else None
    kind_name = str(value.get("k")) if isinstance(value, dict) else ""
    if user is None or (kind_name != ALL_KINDS and kind_name not in NotificationKind.__members__):
        raise Invalid(_("This unsubscribe link is not valid any more."), status_code=400)
    return UnsubscribeRequest(user=user, kind=None if kind_name == ALL_KINDS else NotificationKind(kind_name))


def unsubscribe(session: Session, *, token: str) -> UnsubscribeRequest:
    """Follow an unsubscribe link: that kind becomes "never", or all notification e-mail stops. Idempotent."""
    request = read_unsubscribe_token(session, token=token)
    if request.kind is None:
        set_email_unsubscribed(session, user=request.user, unsubscribed=True)
    else:
        _upsert_preference(session, user_id=id_of(request.user), kind=request.kind, delivery=Delivery.never)
    return request
