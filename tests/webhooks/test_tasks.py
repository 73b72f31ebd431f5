"""Webhooks through the task queue: delivery after commit (huey in immediate mode), and two workers at once."""

import threading
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.brands.models import Brand
from app.db import session_scope
from app.webhooks import service
from app.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.webhooks.factories import make_endpoint, running_receiver


def _brand(session: Session, slug: str) -> Brand:
    brand = Brand(name=slug, slug=slug)
    session.add(brand)
    session.flush()
    return brand


def test_an_event_is_delivered_by_the_queue_once_its_transaction_commits(worker_engine: Engine) -> None:
    with running_receiver() as receiver:
        with session_scope() as session:
            brand = _brand(session, "tasks-delivered")
            endpoint = make_endpoint(session, brand, url=receiver.url)
            service.emit_event(session, brand_id=brand.id or 0, event="comment_created", payload={"n": 1})
            assert receiver.requests == []  # nothing leaves before the commit
        # Leaving the scope committed, then enqueued deliver_webhooks, which huey ran at once (immediate mode).
        (request,) = receiver.requests
    with Session(worker_engine) as session:
        (delivery,) = session.exec(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)).all()
        assert delivery.status == DeliveryStatus.delivered
        assert request.headers["X-Chorus-Delivery"] == delivery.key


def test_a_rolled_back_event_is_never_sent(worker_engine: Engine) -> None:
    with running_receiver() as receiver:
        try:
            with session_scope() as session:
                brand = _brand(session, "tasks-rolled-back")
                make_endpoint(session, brand, url=receiver.url)
                service.emit_event(session, brand_id=brand.id or 0, event="comment_created", payload={})
                raise RuntimeError("the caller fails after emitting")
        except RuntimeError:
            pass
        assert receiver.requests == []


def test_two_workers_never_claim_the_same_delivery(worker_engine: Engine) -> None:
    """Real threads, each claiming in its own transaction: every delivery is claimed exactly once."""
    with session_scope() as session:
        brand = _brand(session, "tasks-two-workers")
        endpoint = make_endpoint(session, brand)
        endpoint_id = endpoint.id
        for number in range(30):
            service.emit_event(session, brand_id=brand.id or 0, event="comment_created", payload={"n": number})
        # Not sent by the after-commit task: nothing is due until the workers' clock below.
        for delivery in session.exec(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)):
            delivery.next_attempt_at = delivery.created_at.replace(year=2100)
            session.add(delivery)
    claimed: list[list[int]] = [[], []]
    start = threading.Barrier(2)
    clock = datetime(2100, 12, 31, tzinfo=UTC)

    def work(slot: int) -> None:
        start.wait()
        while True:
            with session_scope() as session:
                jobs = service.claim_due_deliveries(session, now=clock, limit=4)
            if not jobs:
                return
            claimed[slot].extend(job.delivery_id for job in jobs)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with Session(worker_engine) as session:
        all_ids = set(
            session.exec(select(WebhookDelivery.id).where(col(WebhookDelivery.endpoint_id) == endpoint_id)).all()
        )
    together = claimed[0] + claimed[1]
    assert len(together) == len(set(together)) == 30
    assert set(together) == all_ids
