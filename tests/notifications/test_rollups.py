"""Notifications read well: many of one kind about one thing on one day roll up into one line, for the page, the
bell and the API alike; other days, kinds, things and currencies stay apart; a line is unread while any of it is."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import User
from app.columns import utcnow
from app.errors import NotFound
from app.notifications import rollups
from app.notifications import service as notifications_service
from app.notifications.models import Notification, NotificationKind
from tests.factories import csrf_token, log_in, make_user

HTMX = {"HX-Request": "true"}


def _midday() -> datetime:
    """Noon today (UTC): a day's notifications cannot straddle midnight whatever the hour the suite runs."""
    return utcnow().replace(hour=12, minute=0, second=0, microsecond=0)


def _royalty(session: Session, user: User, minor: int, currency: str = "EUR") -> Notification:
    told = notifications_service.notify(
        session,
        user=user,
        kind=NotificationKind.royalty_earned,
        text=f"You earned {minor} royalty: 1 x Mug sold",
        link="/me/earnings",
        rollup=notifications_service.Rollup(
            subject="earnings",
            text="You earned {amount} royalties from {count} sales {day}",
            amount_minor=minor,
            currency=currency,
        ),
    )
    assert told is not None
    return told


def _design_comment(session: Session, user: User, design: str) -> Notification:
    told = notifications_service.notify(
        session,
        user=user,
        kind=NotificationKind.design_comment,
        text=f"Ann commented on your design {design}",
        link=f"/designs/{design}",
        rollup=notifications_service.Rollup(
            subject=f"design:{design}", text=f"{{count}} new comments on your design {design}"
        ),
    )
    assert told is not None
    return told


def test_royalties_of_one_day_read_as_one_line_with_their_sum(session: Session, time_machine: Any) -> None:
    time_machine.move_to(_midday(), tick=False)
    designer = make_user(session)
    for minor in (50, 64, 100, 100, 50, 50):
        _royalty(session, designer, minor)
    _royalty(session, designer, 300, "USD")
    notifications_service.notify(
        session, user=designer, kind=NotificationKind.design_won, text="Your design Waves won", link="/designs/1"
    )
    lines = rollups.list_groups(session, user=designer)
    assert [(line.text, line.count, line.unread_count) for line in lines] == [
        ("Your design Waves won", 1, 1),
        ("You earned 300 royalty: 1 x Mug sold", 1, 1),  # another currency: a line of its own
        ("You earned €4.14 royalties from 6 sales today", 6, 6),
    ]
    assert rollups.unread_group_count(session, user=designer) == 3
    assert notifications_service.unread_count(session, user=designer) == 8  # the notifications themselves


def test_other_days_things_and_kinds_stay_apart(session: Session, time_machine: Any) -> None:
    noon = _midday()
    designer = make_user(session)
    time_machine.move_to(noon - timedelta(days=1), tick=False)
    _design_comment(session, designer, "Waves")
    _design_comment(session, designer, "Waves")
    time_machine.move_to(noon, tick=False)
    for _ in range(3):
        _design_comment(session, designer, "Waves")
    _design_comment(session, designer, "Dunes")
    notifications_service.notify(
        session, user=designer, kind=NotificationKind.comment_reply, text="Bo replied to your comment", link="/"
    )
    time_machine.move_to(noon + timedelta(hours=1), tick=False)
    lines = rollups.list_groups(session, user=designer)
    assert [(line.text, line.created_at.date()) for line in lines] == [
        ("Bo replied to your comment", noon.date()),
        ("Ann commented on your design Dunes", noon.date()),
        ("3 new comments on your design Waves", noon.date()),
        ("2 new comments on your design Waves", (noon - timedelta(days=1)).date()),
    ]
    royalties_yesterday = make_user(session)
    time_machine.move_to(noon - timedelta(days=1), tick=False)
    _royalty(session, royalties_yesterday, 100)
    _royalty(session, royalties_yesterday, 200)
    time_machine.move_to(noon, tick=False)
    (line,) = rollups.list_groups(session, user=royalties_yesterday)
    assert line.text == "You earned €3.00 royalties from 2 sales yesterday"


def test_a_line_is_unread_while_any_of_it_is_and_reading_it_reads_it_all(session: Session, time_machine: Any) -> None:
    time_machine.move_to(_midday(), tick=False)
    designer, other = make_user(session), make_user(session)
    first, _, third = (_design_comment(session, designer, "Waves") for _ in range(3))
    notifications_service.mark_read(session, user=designer, notification_id=first.id or 0)
    (line,) = rollups.list_groups(session, user=designer)
    assert (line.is_unread, line.unread_count, line.newest_id) == (True, 2, third.id)
    assert rollups.unread_group_count(session, user=designer) == 1
    with pytest.raises(NotFound):  # another person's line is missing to them
        rollups.mark_group_read(session, user=other, notification_id=third.id or 0)
    rollups.mark_group_read(session, user=designer, notification_id=first.id or 0)
    (line,) = rollups.list_groups(session, user=designer)
    assert (line.is_unread, line.count) == (False, 3)
    assert rollups.unread_group_count(session, user=designer) == 0
    _design_comment(session, designer, "Waves")  # a fourth that day: the line is unread again, for the new one
    (line,) = rollups.list_groups(session, user=designer)
    assert (line.text, line.count, line.unread_count) == ("4 new comments on your design Waves", 4, 1)


def test_the_page_the_bell_and_the_api_show_the_lines(client: TestClient, session: Session, time_machine: Any) -> None:
    time_machine.move_to(_midday(), tick=True)
    designer = make_user(session)
    for minor in (100, 150):
        _royalty(session, designer, minor)
    notifications_service.notify(
        session, user=designer, kind=NotificationKind.design_won, text="Your design Waves won", link="/designs/1"
    )
    log_in(client, session, designer)
    bell = client.get("/notifications/bell", headers=HTMX)
    assert ">2</span>" in bell.text
    page = client.get("/notifications")
    assert "You earned €2.50 royalties from 2 sales today" in page.text
    assert page.text.count('class="notification notification-unread"') == 2

    listed = client.get("/api/v1/me/notifications").json()
    assert listed["unread_count"] == 3 and len(listed["items"]) == 3  # the items as before
    assert listed["unread_groups"] == 2
    royalties = listed["groups"][1]
    assert (royalties["text"], royalties["count"], royalties["unread_count"]) == (
        "You earned €2.50 royalties from 2 sales today",
        2,
        2,
    )
    assert royalties["group"] and all(
        item["group"] == royalties["group"] for item in listed["items"] if item["kind"] == "royalty_earned"
    )
    marked = client.post(
        "/api/v1/me/notifications/read",
        json={"notification_id": royalties["newest_id"], "whole_group": True},
        headers={"x-csrftoken": csrf_token(client)},
    )
    assert marked.json() == {"unread_count": 1}

    followed = client.post(
        "/notifications/read",
        data={"csrftoken": csrf_token(client), "notification_id": str(listed["groups"][0]["newest_id"])},
        follow_redirects=False,
    )
    assert followed.headers["location"] == "/designs/1"
    assert "</span>" not in client.get("/notifications/bell").text


def test_a_rollup_without_a_count_says_where_things_stand_now(session: Session, time_machine: Any) -> None:
    time_machine.move_to(_midday(), tick=False)
    connector = make_user(session)
    for total in (1, 5, 10):
        text = f"{total} people have answered about Fizz through your links."
        notifications_service.notify(
            session,
            user=connector,
            kind=NotificationKind.network_response,
            text=text,
            link="/c/x/campaigns/fizz/mine",
            rollup=notifications_service.Rollup(subject="campaign:1", text=text),
        )
    (line,) = rollups.list_groups(session, user=connector)
    assert (line.text, line.count) == ("10 people have answered about Fizz through your links.", 3)
