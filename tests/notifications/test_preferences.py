"""Preferences decide how a notification reaches someone: e-mail now, a digest, or only the bell."""

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app import after_commit
from app.db import session_scope
from app.errors import Invalid
from app.notifications import service
from app.notifications.models import Delivery, Notification, NotificationKind, NotificationPreference
from tests.factories import csrf_token, log_in, make_community, make_user
from tests.notifications.factories import digest_items_for, outbox_for

KIND = NotificationKind.comment_reply


def _notify(session: Session, user, kind: NotificationKind = KIND, **extra):  # type: ignore[no-untyped-def]
    return service.notify(session, user=user, kind=kind, text="Ana replied to you", link="/designs/1#c-2", **extra)


def test_every_kind_has_a_default_and_a_label() -> None:
    """Kinds appended by other domains without a line in DEFAULT_DELIVERY go to the daily digest."""
    assert set(service.DEFAULT_DELIVERY) <= set(NotificationKind)
    assert service.default_delivery(KIND) == Delivery.immediately
    assert service.default_delivery(NotificationKind.design_comment) == Delivery.daily
    for kind in NotificationKind:
        assert service.default_delivery(kind) in Delivery
        assert service.kind_label(kind)
    assert service.kind_label("idea_status_changed") == "Idea status changed"


@pytest.mark.parametrize("kind", [k for k in NotificationKind if Delivery.immediately in service.choices_for(k)])
def test_every_notification_email_carries_the_unsubscribe_headers(session: Session, kind: NotificationKind) -> None:
    user = make_user(session)
    service.set_preferences(session, user=user, choices={kind.value: "immediately"})
    _notify(session, user, kind=kind)
    (email,) = outbox_for(session, user)
    token = email.headers["List-Unsubscribe"].removeprefix("<http://testserver/unsubscribe/").removesuffix(">")
    assert service.read_unsubscribe_token(session, token=token).kind == kind
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_immediately_queues_an_email_now_with_unsubscribe_headers(session: Session) -> None:
    user = make_user(session)
    session.info.pop(after_commit.MARKS, None)
    notification = _notify(session, user)
    assert notification is not None
    (email,) = outbox_for(session, user)
    assert "Ana replied to you" in email.subject and "Ana replied to you" in email.body_text
    assert "http://testserver/designs/1#c-2" in email.body_text
    unsubscribe = email.headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://testserver/unsubscribe/") and unsubscribe.endswith(">")
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in email.body_text
    assert digest_items_for(session, user) == []
    assert "deliver_outbox" in session.info[after_commit.MARKS]


def test_an_email_subject_can_be_given(session: Session) -> None:
    user = make_user(session)
    _notify(session, user, email_subject="Your design won")
    assert outbox_for(session, user)[0].subject == "Your design won"


@pytest.mark.parametrize("cadence", [Delivery.daily, Delivery.weekly])
def test_a_digest_choice_holds_the_notification(session: Session, cadence: Delivery) -> None:
    user = make_user(session)
    community = make_community(session)
    service.set_preferences(session, user=user, choices={KIND.value: cadence.value})
    notification = _notify(session, user, community=community)
    assert outbox_for(session, user) == []
    (item,) = digest_items_for(session, user)
    assert (item.notification_id, item.cadence, item.community_id, item.sent_at) == (
        notification.id if notification else None,
        cadence,
        community.id,
        None,
    )


def test_never_shows_it_only_in_the_app(session: Session) -> None:
    user = make_user(session)
    service.set_preferences(session, user=user, choices={KIND.value: "never"})
    assert _notify(session, user) is not None
    assert outbox_for(session, user) == [] and digest_items_for(session, user) == []
    assert service.unread_count(session, user=user) == 1


@pytest.mark.parametrize("who", ["unconfirmed", "unsubscribed", "deactivated"])
def test_no_email_to_unconfirmed_unsubscribed_or_deactivated_people(session: Session, who: str) -> None:
    user = make_user(session, email_confirmed_at=None) if who == "unconfirmed" else make_user(session)
    if who == "unsubscribed":
        service.set_email_unsubscribed(session, user=user, unsubscribed=True)
    if who == "deactivated":
        user.is_active = False
    _notify(session, user)
    _notify(session, user, kind=NotificationKind.design_comment)  # a digest kind: not held either
    assert outbox_for(session, user) == [] and digest_items_for(session, user) == []
    assert service.unread_count(session, user=user) == 2


def test_set_preferences_checks_everything_before_saving_anything(session: Session) -> None:
    user = make_user(session)
    with pytest.raises(Invalid) as raised:
        service.set_preferences(
            session, user=user, choices={KIND.value: "weekly", "design_won": "hourly", "gossip": "daily"}
        )
    assert set(raised.value.fields) == {"design_won", "gossip"}
    assert service.delivery_for(session, user=user, kind=KIND) == Delivery.immediately
    saved = service.set_preferences(session, user=user, choices={KIND.value: "weekly"}, email_unsubscribed=True)
    assert {p.kind: p.delivery for p in saved}[KIND] == Delivery.weekly
    assert service.is_email_unsubscribed(session, user=user)
    service.set_preferences(session, user=user, choices={KIND.value: "daily"}, email_unsubscribed=False)
    assert service.delivery_for(session, user=user, kind=KIND) == Delivery.daily
    assert not service.is_email_unsubscribed(session, user=user)
    rows = session.exec(select(NotificationPreference).where(NotificationPreference.user_id == user.id)).all()
    assert len(rows) == 1  # an upsert, not a second row


def test_two_saves_at_once_leave_one_row(worker_engine: Engine) -> None:
    """Real threads on a committed database: the upsert never trips over the unique (user, kind) key."""
    with session_scope() as session:
        user_id = make_user(session).id
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def save(choice: str) -> None:
        start.wait()
        try:
            with session_scope() as session:
                user = session.get(service.User, user_id)
                service.set_preferences(session, user=user, choices={KIND.value: choice})  # type: ignore[arg-type]
                service.set_email_unsubscribed(session, user=user, unsubscribed=True)  # type: ignore[arg-type]
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=save, args=(choice,)) for choice in ("daily", "weekly")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    with Session(worker_engine) as session:
        rows = session.exec(select(NotificationPreference).where(NotificationPreference.user_id == user_id)).all()
        assert len(rows) == 1 and rows[0].delivery in {Delivery.daily, Delivery.weekly}


# --- The settings page and the API ------------------------------------------------------------------------------


def test_the_settings_page_saves_every_kind_in_one_form(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = csrf_token(client)
    log_in(client, session, user)
    page = client.get("/settings/notifications")
    assert page.status_code == 200
    offered = service.list_preferences(session, user=user)
    assert page.text.count('type="radio"') == sum(len(pref.choices) for pref in offered)
    assert "<legend>Replies to your comments</legend>" in page.text
    assert NotificationKind.brand_results not in {pref.kind for pref in offered}  # for brand staff only
    form = {f"kind-{pref.kind.value}": "weekly" for pref in offered} | {"email_unsubscribed": "1"}
    saved = client.post("/settings/notifications", data=form, headers={"x-csrftoken": token}, follow_redirects=False)
    assert (saved.status_code, saved.headers["location"]) == (303, "/settings/notifications")
    assert {p.delivery for p in service.list_preferences(session, user=user)} == {Delivery.weekly}
    assert service.is_email_unsubscribed(session, user=user)
    again = client.get("/settings/notifications").text
    assert 'value="weekly" checked' in again and 'name="email_unsubscribed" value="1" checked' in again


def test_a_bad_settings_form_keeps_the_choices_and_saves_nothing(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = csrf_token(client)
    log_in(client, session, user)
    form = {"kind-comment_reply": "never", "kind-design_won": "hourly"}
    response = client.post("/settings/notifications", data=form, headers={"x-csrftoken": token})
    assert response.status_code == 422
    assert "Choose immediately, daily, weekly or never." in response.text
    assert 'name="kind-comment_reply" value="never" checked' in response.text
    assert service.delivery_for(session, user=user, kind=KIND) == Delivery.immediately


def test_the_settings_page_says_why_an_unconfirmed_address_gets_nothing(client: TestClient, session: Session) -> None:
    log_in(client, session, make_user(session, email_confirmed_at=None))
    assert "not confirmed yet" in client.get("/settings/notifications").text


def test_the_api_reads_and_changes_preferences(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = csrf_token(client)
    log_in(client, session, user)
    read = client.get("/api/v1/me/notification-preferences").json()
    assert read["email_unsubscribed"] is False and read["email_confirmed"] is True
    assert {k["kind"]: k["delivery"] for k in read["kinds"]}["design_comment"] == "daily"
    changed = client.put(
        "/api/v1/me/notification-preferences",
        json={"preferences": {"design_comment": "never"}, "email_unsubscribed": True},
        headers={"x-csrftoken": token},
    )
    assert changed.status_code == 200
    assert {k["kind"]: k["delivery"] for k in changed.json()["kinds"]}["design_comment"] == "never"
    assert changed.json()["email_unsubscribed"] is True
    bad = client.put(
        "/api/v1/me/notification-preferences",
        json={"preferences": {"design_comment": "sometimes"}},
        headers={"x-csrftoken": token},
    )
    assert bad.status_code == 422 and bad.json()["detail"]


def test_in_app_notifications_are_kept_whatever_the_choice(session: Session) -> None:
    user = make_user(session)
    for choice in ("immediately", "daily", "weekly", "never"):
        service.set_preferences(session, user=user, choices={KIND.value: choice})
        _notify(session, user)
    assert len(session.exec(select(Notification).where(Notification.user_id == user.id)).all()) == 4
