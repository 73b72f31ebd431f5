"""Digests: the schedule, grouping by community and kind in one readable e-mail, and nothing sent twice."""

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.communities.models import Community
from app.config import get_settings
from app.db import session_scope
from app.notifications import digests
from app.notifications import service as notifications_service
from app.notifications.models import Delivery, DigestItem, NotificationKind, OutboxEmail
from tests.factories import make_community, make_user
from tests.notifications.factories import digest_items_for, outbox_for

# Monday 23 November 2026; the defaults send digests at 07:00 UTC, the weekly one on Mondays.
MONDAY_7 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
TUESDAY_7 = MONDAY_7 + timedelta(days=1)


def _in(session: Session) -> Callable[[], AbstractContextManager[Session]]:
    @contextmanager
    def scope() -> Iterator[Session]:
        yield session

    return scope


def _person(session: Session, cadence: Delivery, **overrides: object) -> User:
    user = make_user(session, **overrides)
    notifications_service.set_preferences(
        session,
        user=user,
        choices={
            kind.value: cadence.value for kind in NotificationKind if cadence in notifications_service.choices_for(kind)
        },
    )
    return user


def _tell(
    session: Session,
    user: User,
    kind: NotificationKind,
    text: str,
    community: Community | None = None,
    at: datetime = MONDAY_7 - timedelta(hours=3),
) -> None:
    notification = notifications_service.notify(
        session, user=user, kind=kind, text=text, link=f"/designs/{len(text)}", community=community
    )
    assert notification is not None
    for item in digest_items_for(session, user):
        if item.notification_id == notification.id:
            item.created_at = at
            session.add(item)
    session.flush()


def test_the_schedule_daily_at_the_hour_weekly_on_its_day() -> None:
    settings = get_settings().model_copy(update={"digest_hour": 7, "digest_weekday": 0})
    assert digests.due_cadences(MONDAY_7, settings=settings) == [Delivery.daily, Delivery.weekly]
    assert digests.due_cadences(TUESDAY_7, settings=settings) == [Delivery.daily]
    assert digests.due_cadences(TUESDAY_7.replace(hour=8), settings=settings) == []
    assert digests.due_cadences(MONDAY_7.replace(hour=6, minute=59), settings=settings) == []


def test_one_digest_groups_by_community_and_kind_with_counts_and_links(session: Session) -> None:
    reader = _person(session, Delivery.daily)
    lab = make_community(session, name="Design Lab")
    testers = make_community(session, name="Home Testers")
    for n in range(7):
        _tell(session, reader, NotificationKind.design_comment, f"Comment number {n} on your tee", lab)
    _tell(session, reader, NotificationKind.comment_reply, "Ana replied to you", lab)
    _tell(session, reader, NotificationKind.design_won, "Your mug won", testers)
    _tell(session, reader, NotificationKind.comment_reply, "Someone replied elsewhere")

    sent = digests.run_digests(cadence=Delivery.daily, now=MONDAY_7, sessions=_in(session))

    assert sent == 1
    (email,) = outbox_for(session, reader)
    assert email.subject == "Your daily Chorus digest: 10 updates"
    text = email.body_text
    # Communities by name, then what belongs to none; kinds by count within each.
    assert text.index("Design Lab (8)") < text.index("Home Testers (1)") < text.index("Across Chorus (1)")
    assert text.index("Comments on your designs (7)") < text.index("Replies to your comments (1)")
    # The newest five of a kind, then a count of the rest with a link.
    assert "Comment number 6 on your tee" in text and "Comment number 2 on your tee" in text
    assert "Comment number 1 on your tee" not in text
    assert "... and 2 more: http://testserver/notifications" in text
    assert "http://testserver/designs/" in text
    # The HTML alternative says the same, escaped, with headings per community.
    assert "<h2" in email.body_html and "Design Lab" in email.body_html and "and 2 more" in email.body_html
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.headers["List-Unsubscribe"].startswith("<http://testserver/unsubscribe/")
    assert all(item.sent_at == MONDAY_7 for item in digest_items_for(session, reader))


def test_a_digest_rolls_up_as_the_notifications_page_does(session: Session) -> None:
    reader = _person(session, Delivery.daily)
    for minor in (100, 150):
        notifications_service.notify(
            session,
            user=reader,
            kind=NotificationKind.royalty_earned,
            text="You earned a royalty: 1 x Mug sold",
            link="/me/earnings",
            rollup=notifications_service.Rollup(
                subject="earnings",
                text="You earned {amount} royalties from {count} sales {day}",
                amount_minor=minor,
                currency="EUR",
            ),
        )
    for item in digest_items_for(session, reader):
        item.created_at = MONDAY_7 - timedelta(hours=3)
        session.add(item)
    session.flush()

    digests.run_digests(cadence=Delivery.daily, now=MONDAY_7, sessions=_in(session))

    (email,) = outbox_for(session, reader)
    assert "(2)" in email.body_text and "You earned €2.50 royalties from 2 sales" in email.body_text
    assert "1 x Mug sold" not in email.body_text and "more:" not in email.body_text
    assert "You earned €2.50 royalties from 2 sales" in email.body_html


def test_member_text_is_escaped_in_the_html(session: Session) -> None:
    reader = _person(session, Delivery.daily)
    _tell(session, reader, NotificationKind.design_comment, "Ana commented on <script>alert(1)</script>")
    digests.run_digests(cadence=Delivery.daily, now=MONDAY_7, sessions=_in(session))
    (email,) = outbox_for(session, reader)
    assert "<script>" not in email.body_html and "&lt;script&gt;" in email.body_html


def test_daily_and_weekly_readers_get_theirs_on_their_own_schedule(session: Session) -> None:
    daily, weekly = _person(session, Delivery.daily), _person(session, Delivery.weekly)
    for user in (daily, weekly):
        _tell(session, user, NotificationKind.comment_reply, "Ana replied", at=MONDAY_7 + timedelta(hours=2))

    # Tuesday 07:00: the daily digest only.
    assert digests.run_due_digests(now=TUESDAY_7, sessions=_in(session)) == {Delivery.daily: 1}
    assert len(outbox_for(session, daily)) == 1 and outbox_for(session, weekly) == []
    # Tuesday 08:00 is no digest's hour.
    assert digests.run_due_digests(now=TUESDAY_7.replace(hour=8), sessions=_in(session)) == {}
    # The next Monday 07:00: the weekly one (the daily reader has nothing new).
    next_monday = MONDAY_7 + timedelta(days=7)
    assert digests.run_due_digests(now=next_monday, sessions=_in(session)) == {Delivery.daily: 0, Delivery.weekly: 1}
    assert len(outbox_for(session, daily)) == 1 and len(outbox_for(session, weekly)) == 1
    assert outbox_for(session, weekly)[0].subject.startswith("Your weekly Chorus digest")


def test_nothing_is_sent_twice_and_an_empty_digest_is_not_sent(session: Session) -> None:
    reader, idle = _person(session, Delivery.daily), _person(session, Delivery.daily)
    _tell(session, reader, NotificationKind.comment_reply, "Ana replied")
    assert digests.run_digests(cadence=Delivery.daily, now=MONDAY_7, sessions=_in(session)) == 1
    assert digests.run_digests(cadence=Delivery.daily, now=MONDAY_7, sessions=_in(session)) == 0
    assert digests.run_digests(cadence=Delivery.daily, now=TUESDAY_7, sessions=_in(session)) == 0
    assert len(outbox_for(session, reader)) == 1
    assert outbox_for(session, idle) == []


def test_items_after_the_run_wait_for_the_next_one(session: Session) -> None:
    reader = _person(session, Delivery.daily)
    _tell(session, reader, NotificationKind.comment_reply, "Too late for today", at=MONDAY_7 + timedelta(minutes=1))
    assert digests.run_digests(cadence=Delivery.daily, now=MONDAY_7, sessions=_in(session)) == 0
    assert digests.run_digests(cadence=Delivery.daily, now=TUESDAY_7, sessions=_in(session)) == 1


def test_unsubscribing_before_the_digest_consumes_its_items_without_email(session: Session) -> None:
    gone, muted = _person(session, Delivery.daily), _person(session, Delivery.daily)
    _tell(session, gone, NotificationKind.comment_reply, "Ana replied")
    _tell(session, muted, NotificationKind.comment_reply, "Ana replied")
    notifications_service.set_email_unsubscribed(session, user=gone, unsubscribed=True)
    notifications_service.set_preferences(session, user=muted, choices={"comment_reply": "never"})
    assert digests.run_digests(cadence=Delivery.daily, now=MONDAY_7, sessions=_in(session)) == 0
    assert outbox_for(session, gone) == [] and outbox_for(session, muted) == []
    assert all(item.sent_at is not None for item in digest_items_for(session, gone) + digest_items_for(session, muted))


def test_two_workers_at_once_send_each_digest_once(worker_engine: Engine) -> None:
    """Real threads on a committed database, both running the same digest hour: one e-mail per person."""
    with session_scope() as session:
        readers = [_person(session, Delivery.daily) for _ in range(6)]
        for reader in readers:
            for n in range(3):
                _tell(session, reader, NotificationKind.comment_reply, f"Reply {n}")
        emails = [reader.email for reader in readers]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            digests.run_digests(cadence=Delivery.daily, now=MONDAY_7)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with Session(worker_engine) as session:
        sent = session.exec(select(OutboxEmail.to_address).where(col(OutboxEmail.to_address).in_(emails))).all()
        assert sorted(sent) == sorted(emails)
        pending = session.exec(
            select(DigestItem).where(
                col(DigestItem.sent_at).is_(None), col(DigestItem.user_id).in_([r.id for r in readers])
            )
        ).all()
        assert pending == []
