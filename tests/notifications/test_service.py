"""The outbox: queueing, the development outbox page, and delivery by SMTP (against a fake server)."""

import smtplib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app import after_commit, tasks
from app.config import Settings, get_settings
from app.notifications import service
from app.notifications.models import OutboxEmail


class FakeSMTP:
    """Stands in for smtplib.SMTP: records what it is asked to do; fails for the addresses in ``refuse``."""

    instances: list["FakeSMTP"] = []
    refuse: set[str] = set()
    unreachable = False

    def __init__(self, host: str, port: int, timeout: float = 0) -> None:
        if FakeSMTP.unreachable:
            raise ConnectionRefusedError(111, "Connection refused")
        self.host, self.port, self.timeout = host, port, timeout
        self.started_tls = False
        self.logged_in_as: tuple[str, str] | None = None
        self.sent: list[EmailMessage] = []
        self.closed = False
        FakeSMTP.instances.append(self)

    def __enter__(self) -> "FakeSMTP":
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.closed = True

    def starttls(self) -> None:
        self.started_tls = True

    def login(self, username: str, password: str) -> None:
        self.logged_in_as = (username, password)

    def send_message(self, message: EmailMessage) -> None:
        if message["To"] in FakeSMTP.refuse:
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"No such mailbox")})
        self.sent.append(message)


@pytest.fixture
def fake_smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeSMTP]]:
    FakeSMTP.instances, FakeSMTP.refuse, FakeSMTP.unreachable = [], set(), False
    monkeypatch.setattr(service.smtplib, "SMTP", FakeSMTP)
    yield FakeSMTP


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "smtp_host": "mail.example.com",
        "smtp_port": 2525,
        "mail_from": "Chorus <no-reply@chorus.test>",
    }
    values.update(overrides)
    return get_settings().model_copy(update=values)


def _queue(session: Session, to: str = "ada@example.com", subject: str = "Hello") -> OutboxEmail:
    return service.queue_email(session, to_address=to, subject=subject, body_text=f"Body for {to}")


# --- Queueing and listing -----------------------------------------------------------------------------------


def test_queue_email_writes_an_unsent_row(session: Session) -> None:
    email = _queue(session)
    stored = session.get(OutboxEmail, email.id)
    assert stored is not None
    assert (stored.to_address, stored.subject, stored.body_text) == (
        "ada@example.com",
        "Hello",
        "Body for ada@example.com",
    )
    assert stored.sent_at is None and stored.attempts == 0 and stored.last_error == ""
    assert "deliver_outbox" in session.info[after_commit.MARKS]


def test_queued_email_goes_with_a_rolled_back_transaction(session: Session) -> None:
    session.commit()  # what came before stays
    savepoint = session.begin_nested()
    _queue(session, to="gone@example.com")
    savepoint.rollback()
    assert service.list_outbox(session, to_address="gone@example.com") == []


def test_list_outbox_newest_first_and_by_recipient(session: Session) -> None:
    first = _queue(session, to="a@example.com", subject="first")
    second = _queue(session, to="b@example.com", subject="second")
    third = _queue(session, to="a@example.com", subject="third")
    newest = service.list_outbox(session)
    assert [e.id for e in newest[:3]] == [third.id, second.id, first.id]
    assert [e.subject for e in service.list_outbox(session, to_address=" A@Example.com ")] == [
        "third",
        "first",
    ]
    assert len(service.list_outbox(session, limit=2)) == 2
    assert service.get_outbox_email(session, email_id=first.id).subject == "first"  # type: ignore[arg-type, union-attr]
    assert service.get_outbox_email(session, email_id=10**9) is None


# --- The development outbox page ----------------------------------------------------------------------------


def test_dev_outbox_page_lists_and_shows_emails(client: TestClient, session: Session) -> None:
    email = service.queue_email(
        session,
        to_address="reader@example.com",
        subject="Your link",
        body_text="Go to http://testserver/reset/abc",
    )
    _queue(session, to="other@example.com", subject="Not for reader")
    page = client.get("/dev/outbox")
    assert page.status_code == 200
    assert "Your link" in page.text and "Not for reader" in page.text
    filtered = client.get("/dev/outbox?to=reader@example.com")
    assert "Your link" in filtered.text and "Not for reader" not in filtered.text
    one = client.get(f"/dev/outbox/{email.id}")
    assert one.status_code == 200
    assert '<a href="http://testserver/reset/abc"' in one.text  # links are clickable
    assert client.get("/dev/outbox/999999999").status_code == 404


def test_dev_outbox_is_on_in_development_and_test_by_default() -> None:
    for environment in ("development", "test"):
        assert Settings(environment=environment, dev_outbox=None).dev_outbox_enabled  # type: ignore[arg-type]
    assert not Settings(environment="production", dev_outbox=None).dev_outbox_enabled  # type: ignore[arg-type]
    assert Settings(environment="production", dev_outbox=True).dev_outbox_enabled  # type: ignore[arg-type]


def test_dev_outbox_is_404_when_switched_off(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = _queue(session)
    monkeypatch.setattr(get_settings(), "dev_outbox", False)
    for path in ("/dev/outbox", f"/dev/outbox/{email.id}"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Body for" not in response.text
    # Pages stop pointing at it, too.
    token = client.get("/login") and client.cookies["csrftoken"]
    sent = client.post("/reset", data={"email": "ada@example.com", "csrftoken": token})
    assert "Check your inbox" in sent.text
    assert "/dev/outbox" not in sent.text
    monkeypatch.setattr(get_settings(), "dev_outbox", None)
    again = client.post("/reset", data={"email": "ada@example.com", "csrftoken": token})
    assert "/dev/outbox?to=ada%40example.com" in again.text


def test_dev_outbox_is_404_in_production(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _queue(session)
    monkeypatch.setattr(get_settings(), "environment", "production")
    assert client.get("/dev/outbox").status_code == 404


# --- Delivery -----------------------------------------------------------------------------------------------


def _in(session: Session) -> Callable[[], AbstractContextManager[Session]]:
    """Run the deliverer's transactions inside the test's session (rolled back after the test)."""

    @contextmanager
    def scope() -> Iterator[Session]:
        yield session

    return scope


def test_deliver_pending_sends_and_marks_sent(session: Session, fake_smtp: type[FakeSMTP]) -> None:
    first = _queue(session, to="a@example.com", subject="One")
    second = _queue(session, to="b@example.com", subject="Two")
    sent = service.deliver_pending(
        sessions=_in(session), settings=_settings(smtp_username="mailer", smtp_password="s3cret")
    )
    assert sent == 2
    [smtp] = fake_smtp.instances
    assert (smtp.host, smtp.port, smtp.timeout) == ("mail.example.com", 2525, 30)
    assert smtp.started_tls and smtp.logged_in_as == ("mailer", "s3cret") and smtp.closed
    assert [(m["To"], m["Subject"], m["From"]) for m in smtp.sent] == [
        ("a@example.com", "One", "Chorus <no-reply@chorus.test>"),
        ("b@example.com", "Two", "Chorus <no-reply@chorus.test>"),
    ]
    assert smtp.sent[0].get_content().strip() == "Body for a@example.com"
    for email in (first, second):
        session.refresh(email)
        assert email.sent_at is not None and email.attempts == 1 and email.last_error == ""

    # Nothing is sent twice.
    assert service.deliver_pending(sessions=_in(session), settings=_settings()) == 0
    assert len(fake_smtp.instances) == 1  # no connection when there is nothing to send


def test_deliver_pending_without_tls_or_login(session: Session, fake_smtp: type[FakeSMTP]) -> None:
    _queue(session)
    service.deliver_pending(sessions=_in(session), settings=_settings(smtp_starttls=False, smtp_username=None))
    [smtp] = fake_smtp.instances
    assert not smtp.started_tls and smtp.logged_in_as is None


def test_deliver_pending_does_nothing_without_an_smtp_host(session: Session, fake_smtp: type[FakeSMTP]) -> None:
    email = _queue(session)
    assert service.deliver_pending(sessions=_in(session), settings=_settings(smtp_host=None)) == 0
    assert fake_smtp.instances == []
    session.refresh(email)
    assert email.sent_at is None and email.attempts == 0


def test_failures_are_recorded_and_retried_up_to_the_limit(session: Session, fake_smtp: type[FakeSMTP]) -> None:
    good = _queue(session, to="good@example.com")
    bad = _queue(session, to="bad@example.com")
    fake_smtp.refuse = {"bad@example.com"}

    assert service.deliver_pending(sessions=_in(session), settings=_settings()) == 1
    session.refresh(good)
    session.refresh(bad)
    assert good.sent_at is not None
    assert bad.sent_at is None
    assert bad.attempts == 1
    assert "No such mailbox" in bad.last_error

    for attempt in range(2, service.MAX_ATTEMPTS + 1):
        assert service.deliver_pending(sessions=_in(session), settings=_settings()) == 0
        session.refresh(bad)
        assert bad.attempts == attempt
    # After MAX_ATTEMPTS it is left alone.
    connections = len(fake_smtp.instances)
    assert service.deliver_pending(sessions=_in(session), settings=_settings()) == 0
    session.refresh(bad)
    assert bad.attempts == service.MAX_ATTEMPTS
    assert len(fake_smtp.instances) == connections

    # Once the server accepts the address (and with attempts left), it goes.
    fake_smtp.refuse = set()
    retry = _queue(session, to="bad@example.com", subject="Retry")
    assert service.deliver_pending(sessions=_in(session), settings=_settings()) == 1
    session.refresh(retry)
    assert retry.sent_at is not None


def test_last_error_is_cut_to_fit_the_column(
    session: Session, fake_smtp: type[FakeSMTP], monkeypatch: pytest.MonkeyPatch
) -> None:
    email = _queue(session)

    def long_failure(self: FakeSMTP, message: EmailMessage) -> None:
        raise smtplib.SMTPDataError(554, b"x" * 2000)

    monkeypatch.setattr(FakeSMTP, "send_message", long_failure)
    service.deliver_pending(sessions=_in(session), settings=_settings())
    session.refresh(email)
    assert len(email.last_error) == 500
    assert email.attempts == 1


def test_deliver_pending_respects_the_limit_oldest_first(session: Session, fake_smtp: type[FakeSMTP]) -> None:
    emails = [_queue(session, to=f"n{n}@example.com") for n in range(3)]
    assert service.deliver_pending(sessions=_in(session), settings=_settings(), limit=2) == 2
    assert [m["To"] for m in fake_smtp.instances[0].sent] == ["n0@example.com", "n1@example.com"]
    session.refresh(emails[2])
    assert emails[2].sent_at is None


def test_no_transaction_is_open_while_sending_and_claimed_emails_are_left_alone(
    session: Session, fake_smtp: type[FakeSMTP], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim and each result are short transactions of their own; while one deliverer holds an e-mail (its
    lease), another run skips it, and after the lease ran out (the deliverer died) it is sent again."""
    first, second = _queue(session, to="a@example.com"), _queue(session, to="b@example.com")
    depth = 0
    during_send: list[int] = []

    @contextmanager
    def scope() -> Iterator[Session]:
        nonlocal depth
        depth += 1
        try:
            yield session
        finally:
            depth -= 1

    def send(self: FakeSMTP, message: EmailMessage) -> None:
        during_send.append(depth)
        self.sent.append(message)

    monkeypatch.setattr(FakeSMTP, "send_message", send)
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    first.claimed_until = now + timedelta(minutes=5)  # another deliverer is sending it
    session.add(first)
    session.flush()
    assert service.deliver_pending(sessions=scope, settings=_settings(), now=lambda: now) == 1
    assert during_send == [0]
    session.refresh(first)
    session.refresh(second)
    assert (first.sent_at, first.attempts) == (None, 0) and second.sent_at is not None
    assert second.claimed_until is None
    later = now + timedelta(minutes=6)
    assert service.deliver_pending(sessions=scope, settings=_settings(), now=lambda: later) == 1
    session.refresh(first)
    assert first.sent_at == later and first.attempts == 1 and first.claimed_until is None


def test_unreachable_server_raises_and_leaves_the_outbox_as_it_was(session: Session, fake_smtp: type[FakeSMTP]) -> None:
    email = _queue(session)
    fake_smtp.unreachable = True
    with pytest.raises(OSError):
        service.deliver_pending(sessions=_in(session), settings=_settings())
    session.refresh(email)
    assert email.sent_at is None and email.attempts == 0


def test_deliver_outbox_task_needs_an_smtp_server_and_lets_failures_reach_the_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The task after a commit does nothing without SMTP; an unreachable server raises, so huey retries it."""

    def unreachable(*_args: object, **_kwargs: object) -> int:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(service, "deliver_pending", unreachable)
    monkeypatch.setattr(get_settings(), "smtp_host", None)
    assert tasks.deliver_outbox.call_local() == 0  # no SMTP host: returns before touching anything
    monkeypatch.setattr(get_settings(), "smtp_host", "mail.example.com")
    with pytest.raises(ConnectionRefusedError):
        tasks.deliver_outbox.call_local()


def test_deliver_pending_sends_the_extra_headers_and_the_html_alternative(
    session: Session, fake_smtp: type[FakeSMTP]
) -> None:
    service.queue_email(
        session,
        to_address="digest@example.com",
        subject="Your daily digest",
        body_text="Plain words",
        body_html="<p>Rich words</p>",
        headers={
            "List-Unsubscribe": "<https://chorus.example/unsubscribe/abc>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    service.deliver_pending(sessions=_in(session), settings=_settings())
    (message,) = fake_smtp.instances[0].sent
    assert message["List-Unsubscribe"] == "<https://chorus.example/unsubscribe/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and "Plain words" in plain.get_content()
    assert html is not None and "<p>Rich words</p>" in html.get_content()
