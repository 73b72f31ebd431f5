"""Notifications, their e-mails and digests speak each recipient's language (or their community's), in one run."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import User
from app.columns import utcnow
from app.communities.models import Community
from app.i18n import _
from app.i18n.formatting import format_datetime
from app.notifications import digests
from app.notifications import service as notifications_service
from app.notifications.models import Delivery, NotificationKind
from tests.factories import csrf_token, log_in, make_community, make_user
from tests.notifications.factories import outbox_for

MONDAY_7 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def _in(session: Session) -> Callable[[], AbstractContextManager[Session]]:
    @contextmanager
    def scope() -> Iterator[Session]:
        yield session

    return scope


def _reply(session: Session, user: User, community: Community | None = None) -> None:
    """What a domain does: compose the text in the recipient's language, then notify."""
    with notifications_service.in_language_of(user, community):
        notifications_service.notify(
            session,
            user=user,
            kind=NotificationKind.comment_reply,
            text=_("There is no such notification."),  # a sentence the catalogues know, standing in for a reply
            link="/designs/1",
            community=community,
        )


def test_a_notification_email_speaks_each_recipients_language(session: Session) -> None:
    german = make_user(session, locale="de", display_name="Greta")
    english = make_user(session, display_name="Emma")

    _reply(session, german)
    _reply(session, english)

    (to_german,) = outbox_for(session, german)
    (to_english,) = outbox_for(session, english)
    assert to_german.body_text.startswith("Hallo Greta,")
    assert "Diese Benachrichtigung gibt es nicht." in to_german.subject
    assert "„Antworten auf deine Kommentare“" in to_german.body_text
    assert "Abbestellen: http://testserver/unsubscribe/" in to_german.body_text
    assert to_english.body_text.startswith("Hello Emma,")
    assert "There is no such notification." in to_english.subject
    assert "“Replies to your comments”" in to_english.body_text


def test_without_a_language_of_ones_own_the_communitys_default_speaks(session: Session) -> None:
    community = make_community(session, default_locale="es")
    member = make_user(session, display_name="Sol")
    chooser = make_user(session, locale="en", display_name="Ed")

    _reply(session, member, community)
    _reply(session, chooser, community)

    assert outbox_for(session, member)[0].body_text.startswith("Hola, Sol:")
    assert outbox_for(session, chooser)[0].body_text.startswith("Hello Ed,")


def test_digests_go_out_in_each_recipients_language(session: Session) -> None:
    german = make_user(session, locale="de", display_name="Greta")
    english = make_user(session, display_name="Emma")
    spanish_community = make_community(session, name="Casa", default_locale="es")
    spanish = make_user(session, display_name="Sol")
    for person in (german, english, spanish):
        notifications_service.set_preferences(
            session, user=person, choices={NotificationKind.comment_reply.value: Delivery.daily.value}
        )
    for _n in range(2):
        _reply(session, german)
        _reply(session, english)
        _reply(session, spanish, spanish_community)

    # The next morning after the replies (made at the test's clock, which the suite may move ahead).
    next_morning = utcnow().replace(hour=7, minute=0, second=0, microsecond=0) + timedelta(days=1)
    assert digests.run_digests(cadence=Delivery.daily, now=next_morning, sessions=_in(session)) == 3

    (to_german,) = outbox_for(session, german)
    assert to_german.subject == "Deine tägliche Chorus-Zusammenfassung: 2 Neuigkeiten"
    assert "Hallo Greta," in to_german.body_text and "Überall auf Chorus (2)" in to_german.body_text
    assert 'lang="de"' in to_german.body_html and "2 Neuigkeiten für dich, Greta" in to_german.body_html
    (to_english,) = outbox_for(session, english)
    assert to_english.subject == "Your daily Chorus digest: 2 updates"
    assert "Across Chorus (2)" in to_english.body_text and "2 updates for you, Emma" in to_english.body_html
    (to_spanish,) = outbox_for(session, spanish)
    assert to_spanish.subject == "Tu resumen diario de Chorus: 2 novedades"
    assert "Casa (2)" in to_spanish.body_text


def test_times_composed_for_a_recipient_are_in_their_time_zone(session: Session) -> None:
    berliner = make_user(session, locale="de", time_zone="Europe/Berlin")
    moment = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    with notifications_service.in_language_of(berliner):
        assert format_datetime(moment, style="short") == "24.11.26, 00:30"
    assert format_datetime(moment, style="short") == "11/23/26, 11:30\u202fPM"


def test_the_settings_page_and_a_json_error_are_translated(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = csrf_token(client)
    log_in(client, session, user)
    page = client.get("/settings/notifications", headers={"Accept-Language": "de"})
    assert "Benachrichtigungseinstellungen" in page.text and "Antworten auf deine Kommentare" in page.text
    refused = client.put(
        "/api/v1/me/notification-preferences",
        json={"preferences": {"comment_reply": "hourly"}},
        headers={"Accept-Language": "es", "x-csrftoken": token},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Corrige los campos marcados."
