"""Webhooks: brands register endpoints; events become signed deliveries, sent after commit and retried with backoff.

Delivery happens outside any database transaction: a worker *claims* due deliveries in a short transaction (row locks
with SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite, and a lease pushed into ``next_attempt_at``), sends them
with httpx, then *records* each attempt in another short transaction. Two workers never send the same attempt, and a
worker that dies mid-send leaves the delivery to be retried when its lease runs out.

Signatures are Stripe-style: ``X-Chorus-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` keyed
with the endpoint's secret (README.md, "Webhooks", shows how to verify one).
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from sqlmodel import Session, col, func, select

from app import after_commit, rate_limits
from app.brands.models import Brand
from app.columns import id_of, utcnow
from app.config import Settings, get_settings
from app.errors import Invalid, NotFound
from app.i18n import _
from app.webhooks import catalogue
from app.webhooks.models import (
    SUBSCRIBABLE_EVENTS,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger("chorus.webhooks")
SIGNATURE_TOLERANCE_SECONDS = 300
_MAX_ENDPOINTS_PER_BRAND = 20
# A claimed delivery is not claimed again for this long after the request's timeout, unless it is recorded first.
_LEASE_SLACK_SECONDS = 60


# --- URLs and the private network --------------------------------------------------------------------------------


def _is_private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_endpoint_url(url: str, *, allow_private: bool) -> str:
    """An http(s) URL with a host; an address literal in the private network is refused unless allowed."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Invalid(_("Please correct the marked fields."), fields={"url": _("Give an http:// or https:// URL.")})
    if len(url) > 500:
        raise Invalid(_("Please correct the marked fields."), fields={"url": _("Keep the URL under 500 characters.")})
    if parts.username or parts.password:
        raise Invalid(_("Please correct the marked fields."), fields={"url": _("Leave credentials out of the URL.")})
    if not allow_private:
        host = parts.hostname
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise Invalid(_("Please correct the marked fields."), fields={"url": _("Give an address on the internet.")})
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and _is_private(literal):
            raise Invalid(_("Please correct the marked fields."), fields={"url": _("Give an address on the internet.")})
    return url


def public_address(host: str, port: int) -> str:
    """The address to connect to for ``host``: refused (httpcore.ConnectError) when any address it resolves to is
    private, loopback or link-local."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error  # i18n: ignore (delivery log)
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or any(_is_private(ipaddress.ip_address(address)) for address in addresses):
        raise httpcore.ConnectError(f"refused: {host} resolves to a private address")  # i18n: ignore (delivery log)
    return addresses[0]


class PublicNetworkBackend(httpcore.SyncBackend):
    """Opens connections only to public addresses, and to the very address it checked.

    Resolving once to check and letting the HTTP client resolve again to connect would let a name whose DNS answer
    changes in between (DNS rebinding) reach the private network; here the check happens on every connection, also
    after DNS changed since the endpoint was registered. TLS still verifies the certificate for the host name.
    """

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return super().connect_tcp(
            public_address(host, port),
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )


class _PublicOnlyTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        # httpx takes no network backend; its pool is replaced by the same pool with ours (TLS context as httpx's).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=PublicNetworkBackend()
        )


def delivery_client(settings: Settings) -> httpx.Client:
    """The HTTP client deliveries are sent with: no redirects, no proxies from the environment, and, unless the
    private network is allowed (development), connections to public addresses only."""
    allow_private = settings.resolved_webhook_allow_private_network
    return httpx.Client(
        timeout=httpx.Timeout(settings.webhook_timeout_seconds, connect=min(3.0, settings.webhook_timeout_seconds)),
        follow_redirects=False,
        trust_env=False,
        transport=None if allow_private else _PublicOnlyTransport(),
    )


# --- Endpoints -----------------------------------------------------------------------------------------------------


def _clean_events(events: Sequence[str]) -> list[str]:
    allowed = {event.value for event in SUBSCRIBABLE_EVENTS}
    chosen = [event for event in dict.fromkeys(events) if event]
    if not chosen:
        raise Invalid(_("Please correct the marked fields."), fields={"events": _("Choose one or more events.")})
    unknown = sorted(set(chosen) - allowed)
    if unknown:
        raise Invalid(
            _("Please correct the marked fields."),
            fields={
                "events": _("There is no event %(events)s (see the list of events).", events=", ".join(unknown)[:200])
            },
        )
    return [event.value for event in SUBSCRIBABLE_EVENTS if event.value in chosen]


def create_endpoint(
    session: Session, *, brand: Brand, created_by_id: int | None, url: str, events: Sequence[str], description: str = ""
) -> WebhookEndpoint:
    """Register an endpoint for some of the brand's events, with a new signing secret."""
    problems: dict[str, str] = {}
    try:
        url = check_endpoint_url(url, allow_private=get_settings().resolved_webhook_allow_private_network)
    except Invalid as error:
        problems.update(error.fields)
    try:
        chosen = _clean_events(events)
    except Invalid as error:
        problems.update(error.fields)
    description = description.strip()
    if len(description) > 200:
        problems["description"] = _("Keep it under 200 characters.")
    if problems:
        raise Invalid(_("Please correct the marked fields."), fields=problems)
    if len(list_endpoints(session, brand=brand)) >= _MAX_ENDPOINTS_PER_BRAND:
        raise Invalid(_("A brand may have at most %(limit)s webhook endpoints.", limit=_MAX_ENDPOINTS_PER_BRAND))
    endpoint = WebhookEndpoint(
        brand_id=id_of(brand),
        url=url,
        description=description,
        events=chosen,
        secret="whsec_" + secrets.token_hex(24),
        created_by_id=created_by_id,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def list_endpoints(session: Session, *, brand: Brand) -> Sequence[WebhookEndpoint]:
    """The brand's endpoints, oldest first."""
    return session.exec(
        select(WebhookEndpoint).where(WebhookEndpoint.brand_id == brand.id).order_by(col(WebhookEndpoint.id))
    ).all()


def failing_endpoint_ids(session: Session, *, brand_id: int) -> set[int]:
    """The brand's active endpoints whose latest tried delivery did not get through (failed for good, or waiting
    for a retry after a failed attempt): shown as failing on the endpoints page and counted on the brand home."""
    latest = (
        select(col(WebhookDelivery.endpoint_id), func.max(WebhookDelivery.id).label("delivery_id"))
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
        .where(
            col(WebhookEndpoint.brand_id) == brand_id,
            col(WebhookEndpoint.is_active).is_(True),
            col(WebhookDelivery.attempts) > 0,
        )
        .group_by(col(WebhookDelivery.endpoint_id))
        .subquery()
    )
    return set(
        session.exec(
            select(latest.c.endpoint_id)
            .join(WebhookDelivery, col(WebhookDelivery.id) == latest.c.delivery_id)
            .where(col(WebhookDelivery.status) != DeliveryStatus.delivered)
        ).all()
    )


def get_endpoint(session: Session, *, brand: Brand, endpoint_id: int) -> WebhookEndpoint:
    """One of the brand's endpoints (another brand's answers as missing)."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.brand_id != brand.id:
        raise NotFound(_("There is no such webhook endpoint."))
    return endpoint


def set_endpoint_active(session: Session, *, endpoint: WebhookEndpoint, is_active: bool) -> WebhookEndpoint:
    """Pause or resume an endpoint: a paused one gets no new deliveries (pending ones are still tried)."""
    endpoint.is_active = is_active
    session.add(endpoint)
    session.flush()
    return endpoint


def set_endpoint_events(session: Session, *, endpoint: WebhookEndpoint, events: Sequence[str]) -> WebhookEndpoint:
    """Choose the events the endpoint receives from now on (deliveries already queued are still sent)."""
    endpoint.events = _clean_events(events)
    session.add(endpoint)
    session.flush()
    return endpoint


def delete_endpoint(session: Session, *, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its deliveries and their log."""
    session.delete(endpoint)
    session.flush()


# --- Events and deliveries -----------------------------------------------------------------------------------------


def _queue_delivery(
    session: Session,
    *,
    endpoint: WebhookEndpoint,
    event: WebhookEvent,
    payload: dict[str, Any],
    now: datetime,
    is_test: bool = False,
) -> WebhookDelivery:
    """The envelope: ``version`` is the version of the event's ``data`` (the catalogue's), ``test`` marks a test."""
    key = secrets.token_hex(16)
    body = json.dumps(
        {
            "id": key,
            "event": event.value,
            "version": catalogue.event_type(event).version,
            "test": is_test,
            "created_at": now.isoformat(),
            "brand_id": endpoint.brand_id,
            "data": payload,
        },
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )
    delivery = WebhookDelivery(
        key=key,
        endpoint_id=id_of(endpoint),
        event=event,
        body=body,
        is_test=is_test,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    after_commit.mark(session, "deliver_webhooks")
    return delivery


def emit_event(session: Session, *, brand_id: int, event: str, payload: dict[str, Any]) -> None:
    """Record one delivery of the event per active endpoint of the brand that subscribed to it.

    In the caller's transaction: if it rolls back, nothing is sent. The task queue sends them after the commit.
    Callers emit once per business change, where the change is claimed (a unique row, a conditional UPDATE, a row
    lock), so a request repeated by a client or two requests at once never emit the same event twice.
    """
    webhook_event = WebhookEvent(event)
    if webhook_event not in SUBSCRIBABLE_EVENTS:
        raise ValueError(f"{event} is not an event endpoints subscribe to")
    endpoints = session.exec(
        select(WebhookEndpoint).where(WebhookEndpoint.brand_id == brand_id, col(WebhookEndpoint.is_active).is_(True))
    ).all()
    now = utcnow()
    for endpoint in endpoints:
        if webhook_event.value in endpoint.events:
            _queue_delivery(session, endpoint=endpoint, event=webhook_event, payload=payload, now=now)


def send_test_event(
    session: Session, *, endpoint: WebhookEndpoint, sender_id: int, event: str | None = None
) -> WebhookDelivery:
    """Queue a test delivery to the endpoint (even a paused one, and of any event, subscribed or not): the event's
    documented example, or a ``ping`` when no event is named; signed and logged like any other, marked as a test."""
    testable = {item.value: item for item in (*SUBSCRIBABLE_EVENTS, WebhookEvent.ping)}
    chosen = testable.get(event or WebhookEvent.ping.value)
    if chosen is None:
        problem = _("There is no event %(event)s.", event=(event or "")[:150])
        raise Invalid(problem, fields={"event": problem})
    rate_limits.hit(
        get_settings().webhook_test_rate_per_account,
        "webhook-test",
        str(sender_id),
        message=_("You are sending test events very fast; wait a moment before the next one."),
    )
    return _queue_delivery(
        session,
        endpoint=endpoint,
        event=chosen,
        payload=catalogue.event_type(chosen).example,
        now=utcnow(),
        is_test=True,
    )


@dataclass(frozen=True)
class DeliveryLogEntry:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


def list_deliveries(session: Session, *, endpoint: WebhookEndpoint, limit: int = 50) -> list[DeliveryLogEntry]:
    """The endpoint's newest deliveries, each with its attempts in order (two queries)."""
    deliveries = session.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(limit)
    ).all()
    attempts: dict[int, list[WebhookAttempt]] = {id_of(delivery): [] for delivery in deliveries}
    if attempts:
        for attempt in session.exec(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(list(attempts)))
            .order_by(col(WebhookAttempt.id))
        ):
            attempts[attempt.delivery_id].append(attempt)
    return [DeliveryLogEntry(delivery=delivery, attempts=attempts[id_of(delivery)]) for delivery in deliveries]


# --- Signing -------------------------------------------------------------------------------------------------------


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    *, secret: str, header: str, body: bytes, now: float | None = None, tolerance: int = SIGNATURE_TOLERANCE_SECONDS
) -> bool:
    """What a receiver does: recompute the HMAC, compare in constant time, refuse old timestamps (replays)."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _equals, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else utcnow().timestamp()) - timestamp) > tolerance:
        return False
    expected = signature_header(secret=secret, timestamp=timestamp, body=body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, candidate) for candidate in fields.get("v1", []))


# --- Sending -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryJob:
    """What a worker needs to send one attempt, read while the delivery was claimed."""

    delivery_id: int
    key: str
    event: str
    url: str
    secret: str
    body: str
    attempt: int


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def claim_due_deliveries(
    session: Session, *, now: datetime, limit: int = 50, settings: Settings | None = None
) -> list[DeliveryJob]:
    """Take the pending deliveries whose time has come, pushing their next attempt out by a lease."""
    settings = settings or get_settings()
    due = session.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.status == DeliveryStatus.pending, col(WebhookDelivery.next_attempt_at) <= now)
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    lease = timedelta(seconds=settings.webhook_timeout_seconds * 2 + _LEASE_SLACK_SECONDS)
    jobs = []
    for delivery in due:
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        assert endpoint is not None  # the foreign key cascades
        delivery.next_attempt_at = now + lease
        session.add(delivery)
        jobs.append(
            DeliveryJob(
                delivery_id=id_of(delivery),
                key=delivery.key,
                event=delivery.event.value,
                url=endpoint.url,
                secret=endpoint.secret,
                body=delivery.body,
                attempt=delivery.attempts + 1,
            )
        )
    session.flush()
    return jobs


def send_attempt(job: DeliveryJob, *, client: httpx.Client, now: datetime) -> AttemptResult:
    """One signed POST of the delivery's body; never raises for what the network or the receiver does."""
    body = job.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Chorus-Webhooks/1",
        "X-Chorus-Event": job.event,
        "X-Chorus-Delivery": job.key,
        "X-Chorus-Signature": signature_header(secret=job.secret, timestamp=int(now.timestamp()), body=body),
    }
    started = time.monotonic()
    try:
        response = client.post(job.url, content=body, headers=headers)
    except httpx.HTTPError as error:
        elapsed = int((time.monotonic() - started) * 1000)
        return AttemptResult(status_code=None, error=f"{type(error).__name__}: {error}"[:500], duration_ms=elapsed)
    elapsed = int((time.monotonic() - started) * 1000)
    problem = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return AttemptResult(status_code=response.status_code, error=problem, duration_ms=elapsed)


def backoff_delay(attempt: int, *, base_seconds: int, jitter: Callable[[], float] = random.random) -> timedelta:
    """Exponential backoff with jitter: between half and all of base x 2^(attempt-1) seconds."""
    full = base_seconds * 2 ** (attempt - 1)
    return timedelta(seconds=full / 2 + full / 2 * jitter())


def record_attempt(
    session: Session, *, job: DeliveryJob, result: AttemptResult, now: datetime, settings: Settings | None = None
) -> WebhookDelivery | None:
    """Log the attempt; mark the delivery delivered, or schedule the next try, or give up after the last one."""
    settings = settings or get_settings()
    delivery = session.get(WebhookDelivery, job.delivery_id, with_for_update=True)
    if delivery is None:  # the endpoint was deleted meanwhile
        return None
    session.add(
        WebhookAttempt(
            delivery_id=job.delivery_id,
            number=job.attempt,
            attempted_at=now,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
    )
    delivery.attempts = job.attempt
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    if result.succeeded:
        delivery.status = DeliveryStatus.delivered
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif job.attempt >= settings.webhook_max_attempts:
        delivery.status = DeliveryStatus.failed
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + backoff_delay(job.attempt, base_seconds=settings.webhook_backoff_seconds)
    session.add(delivery)
    session.flush()
    return delivery


def run_due_deliveries(
    *,
    now: Callable[[], datetime] = utcnow,
    client: httpx.Client | None = None,
    sessions: Callable[[], AbstractContextManager[Session]] | None = None,
    settings: Settings | None = None,
    limit: int = 50,
) -> int:
    """Claim, send and record the due deliveries; returns how many were attempted. The task queue calls this."""
    from app.db import session_scope

    settings = settings or get_settings()
    open_session = sessions or session_scope
    with open_session() as session:
        jobs = claim_due_deliveries(session, now=now(), limit=limit, settings=settings)
    if not jobs:
        return 0
    own_client = client is None
    http = client or delivery_client(settings)
    try:
        for job in jobs:
            result = send_attempt(job, client=http, now=now())
            if not result.succeeded:
                logger.info("Webhook delivery %s attempt %s failed: %s", job.key, job.attempt, result.error)
            with open_session() as session:
                record_attempt(session, job=job, result=result, now=now(), settings=settings)
    finally:
        if own_client:
            http.close()
    return len(jobs)
