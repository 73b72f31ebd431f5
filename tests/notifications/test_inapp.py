"""In-app notifications: who is told, unread counts, marking read, the bell, the page and the API."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.challenges import winners as challenge_winners
from app.columns import utcnow
from app.errors import NotFound
from app.notifications import service as notifications_service
from app.notifications.models import Notification, NotificationKind
from tests.factories import csrf_token, log_in, make_challenge, make_design, make_user

HTMX = {"HX-Request": "true"}


def test_notify_never_tells_the_actor(session: Session) -> None:
    someone = make_user(session)
    assert (
        notifications_service.notify(
            session, user=someone, kind=NotificationKind.design_comment, text="x", link="/", actor=someone
        )
        is None
    )
    told = notifications_service.notify(
        session, user=someone, kind=NotificationKind.design_comment, text="y" * 400, link="/", actor=make_user(session)
    )
    assert told is not None and len(told.text) == 300
    assert notifications_service.unread_count(session, user=someone) == 1


def test_unread_count_mark_read_and_mark_all_read(session: Session) -> None:
    someone, other = make_user(session), make_user(session)
    first, second, third = (
        notifications_service.notify(session, user=someone, kind=NotificationKind.comment_reply, text=f"{n}", link="/")
        for n in range(3)
    )
    notifications_service.notify(session, user=other, kind=NotificationKind.comment_reply, text="theirs", link="/")
    assert first is not None and second is not None and third is not None
    assert notifications_service.unread_count(session, user=someone) == 3
    notifications_service.mark_read(session, user=someone, notification_id=first.id or 0)
    assert notifications_service.unread_count(session, user=someone) == 2
    with pytest.raises(NotFound):
        notifications_service.mark_read(session, user=other, notification_id=second.id or 0)
    assert notifications_service.mark_all_read(session, user=someone) == 2
    assert notifications_service.unread_count(session, user=someone) == 0
    assert notifications_service.unread_count(session, user=other) == 1
    listed = notifications_service.list_notifications(session, user=someone)
    assert [item.text for item in listed] == ["2", "1", "0"]


def test_announcing_winners_tells_the_designers(session: Session) -> None:
    challenge = make_challenge(session, phase="closed", title="Sea Shirts")
    winner, loser = make_user(session), make_user(session)
    design = make_design(session, challenge, winner, title="Waves")
    make_design(session, challenge, loser)
    challenge_winners.pick_winner(session, challenge=challenge, design=design)
    # Picking stays among the staff until the winners are announced.
    assert notifications_service.unread_count(session, user=winner) == 0
    challenge_winners.announce_winners(session, challenge=challenge)
    (told,) = session.exec(select(Notification).where(Notification.user_id == winner.id)).all()
    assert told.kind == NotificationKind.design_won
    assert told.text == "Your design Waves won Sea Shirts"
    assert told.link == f"/designs/{design.id}"
    assert notifications_service.unread_count(session, user=loser) == 0


def test_bell_page_and_marking_read(client: TestClient, session: Session) -> None:
    someone = make_user(session)
    older = notifications_service.notify(
        session, user=someone, kind=NotificationKind.design_comment, text="Ann commented", link="/designs/1#comment-2"
    )
    assert older is not None
    older.created_at = utcnow() - timedelta(hours=1)
    notifications_service.notify(
        session, user=someone, kind=NotificationKind.comment_reply, text="Bo replied", link="/"
    )
    log_in(client, session, someone)

    page = client.get("/")
    assert 'hx-get="/notifications/bell"' in page.text
    bell = client.get("/notifications/bell", headers=HTMX)
    assert bell.status_code == 200 and ">2</span>" in bell.text and "<html" not in bell.text

    full = client.get("/notifications")
    assert "<html" in full.text and "Ann commented" in full.text and "Bo replied" in full.text
    fragment = client.get("/notifications", headers=HTMX)
    assert "<html" not in fragment.text and "Mark all read" in fragment.text

    followed = client.post(
        "/notifications/read",
        data={"csrftoken": csrf_token(client), "notification_id": str(older.id)},
        follow_redirects=False,
    )
    assert followed.status_code == 303 and followed.headers["location"] == "/designs/1#comment-2"
    assert ">1</span>" in client.get("/notifications/bell").text

    marked = client.post("/notifications/read", data={"csrftoken": csrf_token(client)}, headers=HTMX)
    assert marked.status_code == 200 and "Mark all read" not in marked.text
    assert "</span>" not in client.get("/notifications/bell").text

    client.cookies.clear()
    assert 'hx-get="/notifications/bell"' not in client.get("/").text


def test_notifications_api(client: TestClient, session: Session) -> None:
    someone, other = make_user(session), make_user(session)
    mine = notifications_service.notify(session, user=someone, kind=NotificationKind.design_won, text="Won", link="/")
    theirs = notifications_service.notify(session, user=other, kind=NotificationKind.design_won, text="Won", link="/")
    notifications_service.notify(session, user=someone, kind=NotificationKind.comment_reply, text="Reply", link="/")
    assert mine is not None and theirs is not None
    headers = {"x-csrftoken": csrf_token(client)}
    assert client.get("/api/v1/me/notifications").status_code == 401
    log_in(client, session, someone)
    listed = client.get("/api/v1/me/notifications").json()
    assert listed["unread_count"] == 2
    assert [item["kind"] for item in listed["items"]] == ["comment_reply", "design_won"]
    one = client.post("/api/v1/me/notifications/read", json={"notification_id": mine.id}, headers=headers)
    assert one.json() == {"unread_count": 1}
    assert (
        client.post("/api/v1/me/notifications/read", json={"notification_id": theirs.id}, headers=headers).status_code
        == 404
    )
    assert client.post("/api/v1/me/notifications/read", json={}, headers=headers).json() == {"unread_count": 0}
