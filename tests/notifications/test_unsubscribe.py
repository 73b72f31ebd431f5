"""Unsubscribe links: no login, a confirm page, RFC 8058 one-click, bad and expired links, and their effect."""

import re
import time
from unittest import mock

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlmodel import Session

from app.notifications import service
from app.notifications.models import Delivery, NotificationKind
from tests.factories import make_user
from tests.notifications.factories import digest_items_for, outbox_for

KIND = NotificationKind.comment_reply


def _link_from_email(session: Session, user) -> str:  # type: ignore[no-untyped-def]
    service.notify(session, user=user, kind=KIND, text="Ana replied to you", link="/designs/1")
    email = outbox_for(session, user)[-1]
    match = re.fullmatch(r"<http://testserver(/unsubscribe/[^>]+)>", email.headers["List-Unsubscribe"])
    assert match is not None
    return match.group(1)


def test_the_link_shows_a_confirm_page_and_changes_nothing_on_get(client: TestClient, session: Session) -> None:
    user = make_user(session)
    path = _link_from_email(session, user)
    page = client.get(path)
    assert page.status_code == 200
    assert "Stop e-mail about “Replies to your comments”?" in page.text
    assert f'action="{path}"' in page.text and "<button" in page.text
    assert service.delivery_for(session, user=user, kind=KIND) == Delivery.immediately


def test_one_click_post_without_login_cookie_or_csrf_token(client: TestClient, session: Session) -> None:
    """What a mail client sends (RFC 8058): a bare POST with the one-click body, no cookies at all."""
    user = make_user(session)
    path = _link_from_email(session, user)
    client.cookies.clear()
    response = client.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert "you will get no more e-mail about “Replies to your comments”" in response.text
    assert service.delivery_for(session, user=user, kind=KIND) == Delivery.never
    # Clicking twice is harmless.
    assert client.post(path, content=b"List-Unsubscribe=One-Click").status_code == 200


def test_after_unsubscribing_that_kind_sends_no_more_email(client: TestClient, session: Session) -> None:
    user = make_user(session)
    path = _link_from_email(session, user)
    assert client.post(path).status_code == 200
    before = len(outbox_for(session, user))
    service.notify(session, user=user, kind=KIND, text="Another reply", link="/designs/1")
    assert len(outbox_for(session, user)) == before
    assert digest_items_for(session, user) == []
    # Other kinds still arrive: the link was for this kind only.
    service.notify(session, user=user, kind=NotificationKind.design_won, text="You won", link="/designs/1")
    assert len(outbox_for(session, user)) == before + 1


def test_a_digest_link_stops_all_notification_email(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = service.unsubscribe_token(user, None)
    page = client.get(f"/unsubscribe/{token}")
    assert "Stop all notification e-mail?" in page.text
    assert client.post(f"/unsubscribe/{token}").status_code == 200
    assert service.is_email_unsubscribed(session, user=user)
    for kind in NotificationKind:
        service.notify(session, user=user, kind=kind, text="News", link="/")
    assert outbox_for(session, user) == [] and digest_items_for(session, user) == []
    assert service.unread_count(session, user=user) == len(NotificationKind)  # the bell still tells


@pytest.mark.parametrize(
    "token",
    ["not-a-real-token", "eyJ1IjoxLCJrIjoiYWxsIn0.forged.signature"],
)
def test_a_bad_link_is_a_clear_400_and_changes_nothing(client: TestClient, session: Session, token: str) -> None:
    for response in (client.get(f"/unsubscribe/{token}"), client.post(f"/unsubscribe/{token}")):
        assert response.status_code == 400
        assert "not valid" in response.text
    api = client.post(f"/api/v1/unsubscribe/{token}")
    assert api.status_code == 400 and "not valid" in api.json()["detail"]


def test_a_link_signed_with_another_secret_or_for_another_purpose_is_refused(session: Session) -> None:
    user = make_user(session)
    from itsdangerous import URLSafeTimedSerializer

    from app.config import get_settings

    reset_like = URLSafeTimedSerializer(get_settings().resolved_secret_key, salt="chorus.reset").dumps(
        {"u": user.id, "k": "all"}
    )
    foreign = URLSafeTimedSerializer("another-secret", salt="chorus.unsubscribe").dumps({"u": user.id, "k": "all"})
    for token in (reset_like, foreign):
        with pytest.raises(service.Invalid):
            service.unsubscribe(session, token=token)
    assert not service.is_email_unsubscribed(session, user=user)


def test_an_expired_link_is_410_with_a_way_forward(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = service.unsubscribe_token(user, KIND)
    a_year_and_more_later = int(time.time()) + 400 * 86400
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=a_year_and_more_later):
        page = client.get(f"/unsubscribe/{token}")
        posted = client.post(f"/unsubscribe/{token}")
    assert page.status_code == posted.status_code == 410
    assert "expired" in posted.text and "/settings/notifications" in posted.text
    assert service.delivery_for(session, user=user, kind=KIND) == Delivery.immediately


def test_the_api_face_unsubscribes_too(client: TestClient, session: Session) -> None:
    user = make_user(session)
    response = client.post(f"/api/v1/unsubscribe/{service.unsubscribe_token(user, KIND)}")
    assert response.status_code == 200
    assert response.json() == {"unsubscribed_from": "e-mail about “Replies to your comments”", "kind": "comment_reply"}
    assert service.delivery_for(session, user=user, kind=KIND) == Delivery.never


def test_a_link_for_a_deleted_account_is_400(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = service.unsubscribe_token(user, None)
    session.delete(user)
    session.flush()
    assert client.post(f"/unsubscribe/{token}").status_code == 400


def test_the_development_outbox_shows_the_headers(client: TestClient, session: Session) -> None:
    user = make_user(session)
    _link_from_email(session, user)
    email = outbox_for(session, user)[-1]
    page = client.get(f"/dev/outbox/{email.id}")
    assert page.status_code == 200
    assert "List-Unsubscribe-Post" in page.text and "List-Unsubscribe=One-Click" in page.text
