"""Webhook services: endpoints, emit_event, signatures, delivery with retries and backoff, the log, SSRF refusal."""

import json
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from sqlmodel import Session, col, select

from app import after_commit
from app.brands.models import Brand
from app.comments import service as comments_service
from app.config import Settings, get_settings
from app.errors import Invalid, NotFound
from app.webhooks import service
from app.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.factories import add_member, make_brand, make_challenge, make_community, make_design, make_user
from tests.webhooks.factories import closed_port_url, make_endpoint, running_receiver

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock_from_t0(time_machine: Any) -> None:
    """Every clock starts at T0 (and ticks), so deliveries are scheduled on the clock the sweeps are run on."""
    time_machine.move_to(T0, tick=True)


def _in(session: Session) -> Callable[[], AbstractContextManager[Session]]:
    """Run the worker's transactions inside the test's session (rolled back after the test)."""

    @contextmanager
    def scope() -> Iterator[Session]:
        yield session

    return scope


def _deliveries(session: Session, endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    return list(
        session.exec(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id).order_by(col(WebhookDelivery.id))
        ).all()
    )


def _attempts(session: Session, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(
        session.exec(
            select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id).order_by(col(WebhookAttempt.id))
        ).all()
    )


def _settings(**overrides: object) -> Settings:
    return get_settings().model_copy(update={"webhook_allow_private_network": True, **overrides})


# --- Signatures ---------------------------------------------------------------------------------------------------


def test_signature_verifies_and_refuses_tampering_replays_and_the_wrong_secret() -> None:
    body = b'{"event":"comment_created"}'
    header = service.signature_header(secret="whsec_a", timestamp=1_800_000_000, body=body)
    assert header.startswith("t=1800000000,v1=") and len(header.split("v1=")[1]) == 64
    assert service.verify_signature(secret="whsec_a", header=header, body=body, now=1_800_000_010)
    assert not service.verify_signature(secret="whsec_b", header=header, body=body, now=1_800_000_010)
    assert not service.verify_signature(secret="whsec_a", header=header, body=body + b" ", now=1_800_000_010)
    assert not service.verify_signature(secret="whsec_a", header=header, body=body, now=1_800_000_000 + 301)
    assert not service.verify_signature(secret="whsec_a", header="v1=abc", body=body, now=1_800_000_000)
    assert not service.verify_signature(secret="whsec_a", header="garbage", body=body)


# --- Endpoints ----------------------------------------------------------------------------------------------------


def test_create_endpoint_keeps_known_events_in_order_with_a_fresh_secret(session: Session) -> None:
    brand = make_brand(session)
    first = make_endpoint(session, brand, events=["comment_created", "idea_created", "comment_created"])
    second = make_endpoint(session, brand)
    assert first.events == ["idea_created", "comment_created"]
    assert first.secret.startswith("whsec_") and first.secret != second.secret
    assert [endpoint.id for endpoint in service.list_endpoints(session, brand=brand)] == [first.id, second.id]


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("ftp://hooks.example.com/x", ["comment_created"], "url"),
        ("hooks.example.com/x", ["comment_created"], "url"),
        ("https://user:pw@hooks.example.com/x", ["comment_created"], "url"),
        ("https://hooks.example.com/x", [], "events"),
        ("https://hooks.example.com/x", ["ping"], "events"),
        ("https://hooks.example.com/x", ["everything"], "events"),
    ],
)
def test_create_endpoint_refuses_bad_input(session: Session, url: str, events: list[str], field: str) -> None:
    brand = make_brand(session)
    with pytest.raises(Invalid) as raised:
        service.create_endpoint(session, brand=brand, created_by_id=None, url=url, events=events)
    assert field in raised.value.fields
    assert service.list_endpoints(session, brand=brand) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://localhost/hook",
        "http://db.internal/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_addresses_are_refused_unless_allowed(
    session: Session, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    assert service.check_endpoint_url(url, allow_private=True) == url
    with pytest.raises(Invalid):
        service.check_endpoint_url(url, allow_private=False)
    monkeypatch.setattr(get_settings(), "webhook_allow_private_network", False)
    with pytest.raises(Invalid):
        make_endpoint(session, make_brand(session), url=url)


def test_a_name_that_resolves_to_loopback_is_refused_when_sending(session: Session) -> None:
    """DNS can point a public-looking name inside: the connection resolves and refuses it, and the log says why."""
    with pytest.raises(httpcore.ConnectError, match="private"):
        service.public_address("localhost", 9)
    with running_receiver() as receiver:
        endpoint = make_endpoint(session, make_brand(session), url=receiver.url.replace("127.0.0.1", "localhost"))
        service.send_test_event(session, endpoint=endpoint, sender_id=1)
        attempted = service.run_due_deliveries(
            now=lambda: T0 + timedelta(days=1),
            sessions=_in(session),
            settings=_settings(webhook_allow_private_network=False),
        )
    assert attempted == 1
    assert receiver.requests == []
    (delivery,) = _deliveries(session, endpoint)
    (attempt,) = _attempts(session, delivery)
    assert attempt.status_code is None and "private address" in attempt.error
    assert delivery.status == DeliveryStatus.pending


def test_connections_go_to_the_address_that_was_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name is resolved once per connection, checked, and that address is the one connected to;
    one private address among the answers refuses the whole name."""
    answers = {"public.example": ["93.184.216.34"], "mixed.example": ["93.184.216.34", "10.0.0.5"]}

    def resolve(host: str, port: int, **_: object) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in answers[host]]

    connected: list[str] = []

    def connect(self: object, host: str, port: int, **_: object) -> None:
        connected.append(host)

    monkeypatch.setattr(service.socket, "getaddrinfo", resolve)
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect)
    backend = service.PublicNetworkBackend()
    backend.connect_tcp("public.example", 443)
    assert connected == ["93.184.216.34"]
    with pytest.raises(httpcore.ConnectError, match="private"):
        backend.connect_tcp("mixed.example", 443)
    assert connected == ["93.184.216.34"]


def test_endpoints_of_another_brand_answer_as_missing(session: Session) -> None:
    mine, theirs = make_brand(session), make_brand(session)
    endpoint = make_endpoint(session, theirs)
    with pytest.raises(NotFound):
        service.get_endpoint(session, brand=mine, endpoint_id=endpoint.id or 0)
    assert service.get_endpoint(session, brand=theirs, endpoint_id=endpoint.id or 0) is endpoint


# --- emit_event ---------------------------------------------------------------------------------------------------


def test_emit_event_records_one_delivery_per_active_subscribed_endpoint_of_the_brand(session: Session) -> None:
    brand, other = make_brand(session), make_brand(session)
    subscribed = make_endpoint(session, brand, events=["comment_created", "idea_created"])
    not_subscribed = make_endpoint(session, brand, events=["idea_status_changed"])
    paused = service.set_endpoint_active(session, endpoint=make_endpoint(session, brand), is_active=False)
    elsewhere = make_endpoint(session, other)
    session.info.pop(after_commit.MARKS, None)

    service.emit_event(session, brand_id=brand.id or 0, event="comment_created", payload={"comment": {"id": 7}})

    (delivery,) = _deliveries(session, subscribed)
    assert [_deliveries(session, e) for e in (not_subscribed, paused, elsewhere)] == [[], [], []]
    body = json.loads(delivery.body)
    assert body["event"] == "comment_created" and body["data"] == {"comment": {"id": 7}}
    assert body["id"] == delivery.key and body["brand_id"] == brand.id
    assert delivery.status == DeliveryStatus.pending and delivery.attempts == 0
    assert "deliver_webhooks" in session.info[after_commit.MARKS]


def test_emit_event_goes_with_a_rolled_back_transaction(session: Session) -> None:
    brand = make_brand(session)
    endpoint = make_endpoint(session, brand)
    session.commit()
    savepoint = session.begin_nested()
    service.emit_event(session, brand_id=brand.id or 0, event="comment_created", payload={})
    savepoint.rollback()
    assert _deliveries(session, endpoint) == []


def test_emit_event_refuses_events_nobody_subscribes_to(session: Session) -> None:
    with pytest.raises(ValueError):
        service.emit_event(session, brand_id=1, event="ping", payload={})
    with pytest.raises(ValueError):
        service.emit_event(session, brand_id=1, event="idea_deleted", payload={})


def test_a_comment_on_a_design_emits_comment_created(session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    designer, member = make_user(session), make_user(session)
    add_member(session, community, designer)
    add_member(session, community, member)
    design = make_design(session, make_challenge(session, community, phase="scoring"), designer)
    endpoint = make_endpoint(session, brand)

    comment = comments_service.add_comment(session, design=design, author=member, body="Lovely colours")

    (delivery,) = _deliveries(session, endpoint)
    data = json.loads(delivery.body)["data"]
    assert data["comment"]["id"] == comment.id and data["comment"]["body"] == "Lovely colours"
    assert data["comment"]["url"].endswith(f"/designs/{design.id}#comment-{comment.id}")
    assert data["author"]["handle"] == member.handle
    assert data["community"]["slug"] == community.slug and data["design"]["id"] == design.id


# --- Delivery: signed, retried with backoff, logged ---------------------------------------------------------------


def test_a_delivery_is_signed_with_the_endpoints_secret_and_logged(session: Session) -> None:
    with running_receiver() as receiver:
        brand = make_brand(session)
        endpoint = make_endpoint(session, brand, url=receiver.url)
        service.emit_event(session, brand_id=brand.id or 0, event="comment_created", payload={"n": 1})
        assert service.run_due_deliveries(now=lambda: T0 + timedelta(days=1), sessions=_in(session)) == 1

    (request,) = receiver.requests
    (delivery,) = _deliveries(session, endpoint)
    assert request.headers["X-Chorus-Event"] == "comment_created"
    assert request.headers["X-Chorus-Delivery"] == delivery.key
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == delivery.body.encode()
    signature = request.headers["X-Chorus-Signature"]
    sent_at = (T0 + timedelta(days=1)).timestamp()
    assert service.verify_signature(secret=endpoint.secret, header=signature, body=request.body, now=sent_at)
    assert not service.verify_signature(secret="whsec_wrong", header=signature, body=request.body, now=sent_at)
    assert delivery.status == DeliveryStatus.delivered and delivery.attempts == 1
    assert delivery.last_status_code == 200 and delivery.next_attempt_at is None
    (attempt,) = _attempts(session, delivery)
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")


def test_a_failing_receiver_is_retried_with_growing_backoff_until_it_answers(session: Session) -> None:
    clock = [T0]
    settings = _settings(webhook_backoff_seconds=30, webhook_max_attempts=6)
    with running_receiver(failures=2, failure_status=503) as receiver:
        brand = make_brand(session)
        endpoint = make_endpoint(session, brand, url=receiver.url)
        service.emit_event(session, brand_id=brand.id or 0, event="comment_created", payload={})
        (delivery,) = _deliveries(session, endpoint)
        delivery.next_attempt_at = T0
        session.flush()

        def run() -> int:
            return service.run_due_deliveries(now=lambda: clock[0], sessions=_in(session), settings=settings)

        assert run() == 1  # first attempt: 503
        assert delivery.status == DeliveryStatus.pending and delivery.last_status_code == 503
        first_retry = delivery.next_attempt_at
        assert first_retry is not None and T0 + timedelta(seconds=15) <= first_retry <= T0 + timedelta(seconds=30)

        clock[0] = first_retry - timedelta(seconds=1)
        assert run() == 0  # not due yet: nothing sent
        clock[0] = first_retry
        assert run() == 1  # second attempt: 503 again, the wait doubles
        second_retry = delivery.next_attempt_at
        assert second_retry is not None
        assert first_retry + timedelta(seconds=30) <= second_retry <= first_retry + timedelta(seconds=60)

        clock[0] = second_retry
        assert run() == 1  # third attempt: 200
    assert delivery.status == DeliveryStatus.delivered and delivery.attempts == 3
    assert [a.status_code for a in _attempts(session, delivery)] == [503, 503, 200]
    assert [a.number for a in _attempts(session, delivery)] == [1, 2, 3]
    # The same delivery, the same body each time: receivers deduplicate on X-Chorus-Delivery.
    assert {r.headers["X-Chorus-Delivery"] for r in receiver.requests} == {delivery.key}
    assert {r.body for r in receiver.requests} == {delivery.body.encode()}


def test_a_receiver_that_is_down_is_given_up_after_the_last_attempt(session: Session) -> None:
    clock = [T0]
    settings = _settings(webhook_backoff_seconds=10, webhook_max_attempts=3, webhook_timeout_seconds=2.0)
    brand = make_brand(session)
    endpoint = make_endpoint(session, brand, url=closed_port_url())
    service.emit_event(session, brand_id=brand.id or 0, event="comment_created", payload={})
    (delivery,) = _deliveries(session, endpoint)
    delivery.next_attempt_at = T0
    session.flush()
    for _ in range(3):
        assert service.run_due_deliveries(now=lambda: clock[0], sessions=_in(session), settings=settings) == 1
        if delivery.next_attempt_at is not None:
            clock[0] = delivery.next_attempt_at
    assert delivery.status == DeliveryStatus.failed and delivery.next_attempt_at is None
    attempts = _attempts(session, delivery)
    assert [a.number for a in attempts] == [1, 2, 3]
    assert all(a.status_code is None and "ConnectError" in a.error for a in attempts)
    clock[0] += timedelta(days=30)
    assert service.run_due_deliveries(now=lambda: clock[0], sessions=_in(session), settings=settings) == 0


def test_backoff_doubles_per_attempt_within_its_jitter() -> None:
    assert service.backoff_delay(1, base_seconds=30, jitter=lambda: 0.0) == timedelta(seconds=15)
    assert service.backoff_delay(1, base_seconds=30, jitter=lambda: 1.0) == timedelta(seconds=30)
    assert service.backoff_delay(4, base_seconds=30, jitter=lambda: 1.0) == timedelta(seconds=240)
    delays = {service.backoff_delay(3, base_seconds=30) for _ in range(20)}
    assert all(timedelta(seconds=60) <= delay <= timedelta(seconds=120) for delay in delays)
    assert len(delays) > 1  # jitter spreads the retries of many deliveries


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_runs_out(session: Session) -> None:
    brand = make_brand(session)
    make_endpoint(session, brand)
    service.emit_event(session, brand_id=brand.id or 0, event="comment_created", payload={})
    now = datetime.now(UTC) + timedelta(seconds=1)
    (job,) = service.claim_due_deliveries(session, now=now)
    assert service.claim_due_deliveries(session, now=now) == []
    assert service.claim_due_deliveries(session, now=now + timedelta(seconds=30)) == []
    (again,) = service.claim_due_deliveries(session, now=now + timedelta(minutes=5))
    assert again.delivery_id == job.delivery_id and again.attempt == 1


def test_the_log_lists_deliveries_newest_first_with_their_attempts(session: Session) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    brand = make_brand(session)
    endpoint = make_endpoint(session, brand)
    first = service.send_test_event(session, endpoint=endpoint, sender_id=1)
    second = service.send_test_event(session, endpoint=endpoint, sender_id=1)
    with httpx.Client(transport=transport) as client:
        service.run_due_deliveries(now=lambda: T0 + timedelta(days=1), sessions=_in(session), client=client)
    log = service.list_deliveries(session, endpoint=endpoint)
    assert [entry.delivery.id for entry in log] == [second.id, first.id]
    assert [[a.status_code for a in entry.attempts] for entry in log] == [[204], [204]]


def test_recording_an_attempt_for_a_deleted_endpoint_is_harmless(session: Session) -> None:
    brand: Brand = make_brand(session)
    endpoint = make_endpoint(session, brand)
    service.send_test_event(session, endpoint=endpoint, sender_id=1)
    (job,) = service.claim_due_deliveries(session, now=datetime.now(UTC) + timedelta(seconds=1))
    service.delete_endpoint(session, endpoint=endpoint)
    result = service.AttemptResult(status_code=200, error="", duration_ms=3)
    assert service.record_attempt(session, job=job, result=result, now=T0) is None


def test_the_verification_recipe_in_the_readme_accepts_our_signatures() -> None:
    """The README shows receivers how to verify; that code must agree with what we send."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    recipe = readme.split("## Webhooks", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(recipe, namespace)  # noqa: S102 (our own README)
    body = b'{"event":"ping"}'
    header = service.signature_header(secret="whsec_x", timestamp=int(time.time()), body=body)
    assert namespace["verify"]("whsec_x", header, body) is True
    assert namespace["verify"]("whsec_y", header, body) is False
