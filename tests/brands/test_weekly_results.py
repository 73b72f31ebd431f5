"""The weekly results e-mail to brand staff: when it is due, sent once per person, brand and week, never to someone
who opted out or left the staff, with the home's figures and links."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.brands import weekly_results
from app.brands.models import Brand, BrandStaff, StaffRole
from app.communities.models import CommunityKind
from app.config import get_settings
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind, OutboxEmail
from tests.campaigns.factories import make_application, make_campaign
from tests.factories import add_staff, csrf_token, log_in, make_brand, make_community, make_user
from tests.notifications.factories import outbox_for


def _due_moment() -> datetime:
    """The latest weekly moment (digest weekday and hour) before now, plus a minute."""
    settings = get_settings()
    now = datetime.now(UTC)
    days = (now.weekday() - settings.digest_weekday) % 7
    moment = (now - timedelta(days=days)).replace(hour=settings.digest_hour, minute=1, second=0, microsecond=0)
    return moment if moment <= now else moment - timedelta(days=7)


@pytest.fixture
def brand(session: Session) -> Brand:
    brand = make_brand(session, name="Delta", slug="delta")
    testers = make_community(session, brand, slug="delta-testers", kind=CommunityKind.feedback)
    moment = _due_moment()
    windows = {  # taking applications at the weekly moment, whatever day the test runs
        "apply_opens_at": moment - timedelta(days=10),
        "apply_closes_at": moment + timedelta(days=10),
        "ship_closes_at": moment + timedelta(days=20),
        "share_closes_at": moment + timedelta(days=30),
        "feedback_closes_at": moment + timedelta(days=40),
    }
    campaign = make_campaign(session, testers, slug="soap", title="Soap", **windows)
    for _ in range(3):
        make_application(session, campaign, make_user(session))
    return brand


def _run(session: Session, moment: datetime) -> int:
    @contextmanager
    def same_session() -> Iterator[Session]:
        yield session

    return weekly_results.run_weekly_results(now=moment, sessions=same_session)


def test_due_only_from_the_weekly_moment_for_a_day() -> None:
    moment = _due_moment() - timedelta(minutes=1)
    assert weekly_results.due_week(moment) == moment.date()
    assert weekly_results.due_week(moment + timedelta(hours=23)) == moment.date()
    assert weekly_results.due_week(moment + timedelta(days=1, minutes=1)) is None
    assert weekly_results.due_week(moment - timedelta(minutes=1)) is None


def test_each_staff_member_gets_it_once_with_figures_and_links(session: Session, brand: Brand) -> None:
    manager = make_user(session, display_name="Mo")
    analyst = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    add_staff(session, brand, analyst, StaffRole.analyst)
    moment = _due_moment()
    assert _run(session, moment) == 2
    assert _run(session, moment + timedelta(hours=1)) == 0  # the re-run sends nothing twice
    (email,) = outbox_for(session, manager)
    assert email.subject == "Delta this week: 3 things waiting for the staff"
    assert "- 3 applications to review: Soap" in email.body_text
    assert "http://testserver/c/delta-testers/campaigns/soap/applications?status=applied" in email.body_text
    assert "- Members: 0 (no change vs 30 days ago)" in email.body_text
    assert "- Owed to members: " in email.body_text
    assert "The brand home: http://testserver/brands/delta" in email.body_text
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (analysts,) = outbox_for(session, analyst)
    assert "- 3 applications to review: Soap" in analysts.body_text
    assert "/applications?status=applied" not in analysts.body_text  # a page the analyst may not open
    next_week = moment + timedelta(days=7)
    assert _run(session, next_week) == 2


def test_not_to_those_who_opted_out_left_the_staff_or_may_not_be_emailed(session: Session, brand: Brand) -> None:
    opted_out = make_user(session)
    unsubscribed = make_user(session)
    unconfirmed = make_user(session, email_confirmed_at=None)
    gone = make_user(session)
    for person in (opted_out, unsubscribed, unconfirmed, gone):
        add_staff(session, brand, person, StaffRole.manager)
    notifications_service.set_preferences(session, user=opted_out, choices={"brand_results": "never"})
    notifications_service.set_email_unsubscribed(session, user=unsubscribed, unsubscribed=True)
    session.delete(session.exec(select(BrandStaff).where(BrandStaff.user_id == gone.id)).one())
    session.flush()
    assert _run(session, _due_moment()) == 0
    assert session.exec(select(OutboxEmail)).all() == []


def test_the_unsubscribe_link_turns_the_weekly_results_off(session: Session, brand: Brand) -> None:
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    token = notifications_service.unsubscribe_token(manager, NotificationKind.brand_results)
    notifications_service.unsubscribe(session, token=token)
    assert _run(session, _due_moment()) == 0


def test_not_sent_outside_its_moment(session: Session, brand: Brand) -> None:
    add_staff(session, brand, make_user(session), StaffRole.manager)
    assert _run(session, _due_moment() + timedelta(days=2)) == 0


def test_staff_choose_weekly_or_never_in_their_settings(client: TestClient, session: Session, brand: Brand) -> None:
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    token = csrf_token(client)
    log_in(client, session, manager)
    page = client.get("/settings/notifications").text
    assert "<legend>Weekly results of the brands you work for</legend>" in page
    assert 'name="kind-brand_results" value="weekly" checked' in page
    assert 'name="kind-brand_results" value="daily"' not in page
    refused = client.post(
        "/settings/notifications", data={"kind-brand_results": "daily"}, headers={"x-csrftoken": token}
    )
    assert refused.status_code == 422 and "Choose weekly or never." in refused.text
    saved = client.post(
        "/settings/notifications",
        data={"kind-brand_results": "never"},
        headers={"x-csrftoken": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert _run(session, _due_moment()) == 0
