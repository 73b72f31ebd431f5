"""64 requests at once through the JSON API, on a database whose transactions really commit (SQLite, or PostgreSQL
with CHORUS_TEST_DATABASE_URL): the loser of a race gets a clear 409, and a retried Idempotency-Key the same 201.

One client shared by the threads, so every request goes through one event loop as on a server (its database turns
and SQLite's single writer included)."""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.accounts import tokens as accounts_tokens
from app.accounts.models import User
from app.columns import utcnow
from app.db import session_scope
from app.ledger import service as ledger_service
from app.main import create_app
from app.rewards import payouts as rewards_payouts
from app.rewards import points as rewards_points
from app.rewards.models import LineStatus, PayoutLine, PointsAction, Redemption, RewardItem
from tests.committed_database import committed_engine, worker_engine
from tests.factories import add_staff, make_brand, make_user
from tests.rewards.factories import ADDRESS, make_live_product, make_member_of, sell

__all__ = ["committed_engine", "worker_engine"]

REQUESTS = 64


@pytest.fixture
def api(worker_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(check_migrations=False), base_url="http://testserver") as client:
        yield client


def _all_at_once(send: Callable[[int], Response]) -> list[Response]:
    start = threading.Barrier(REQUESTS)

    def one(number: int) -> Response:
        start.wait()
        return send(number)

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        return list(pool.map(one, range(REQUESTS)))


def _tokens(session: Session, user_id: int | None) -> list[dict[str, str]]:
    """One API token per request, as from as many devices: requests on one new token would queue on its
    last-used update (a row lock held to the end of each request) and never race."""
    user = session.get(User, user_id)
    assert user is not None
    plains = [accounts_tokens.create_api_token(session, user=user, name=f"race {n}")[1] for n in range(REQUESTS)]
    return [{"Authorization": f"Bearer {plain}"} for plain in plains]


def test_marking_one_payout_line_paid_64_times_at_once_pays_it_once(api: TestClient, worker_engine: Engine) -> None:
    with session_scope(worker_engine) as session:
        brand = make_brand(session)
        manager = make_user(session)
        add_staff(session, brand, manager, "manager")
        product = make_live_product(session, brand, make_user(session))
        sell(session, brand, product, order_id="race-1", quantity=20, now=utcnow() - timedelta(days=45))
        batch = rewards_payouts.open_batch(session, brand=brand, created_by=manager)
        line = session.exec(select(PayoutLine).where(PayoutLine.batch_id == batch.id)).one()
        headers = _tokens(session, manager.id)
        url = f"/api/v1/brands/{brand.slug}/payout-batches/{batch.id}/paid"
        line_id = line.id

    answers = _all_at_once(
        lambda number: api.post(url, json={"line_id": line_id, "reference": "bank-1"}, headers=headers[number])
    )

    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {200: 1, 409: REQUESTS - 1}, statuses
    refused = next(answer for answer in answers if answer.status_code == 409)
    assert refused.json()["detail"] == "This payout line is not pending: it was settled already."
    with Session(worker_engine) as session:
        paid = session.get(PayoutLine, line_id)
        assert paid is not None and paid.status == LineStatus.paid
        assert ledger_service.accounts_out_of_balance(session) == []


def test_one_idempotency_key_sent_64_times_at_once_redeems_once(api: TestClient, worker_engine: Engine) -> None:
    with session_scope(worker_engine) as session:
        brand = make_brand(session)
        member = make_member_of(session, brand)
        rewards_points.set_points_rule(session, brand=brand, action="survey_answered", points="100", daily_cap="5")
        rewards_points.award_points(
            session,
            user_id=member.id or 0,
            brand_id=brand.id or 0,
            action=PointsAction.survey_answered,
            source_key="race:1",
        )
        item = rewards_points.add_reward_item(
            session, brand=brand, name="Tote", description="", kind="merchandise", points_cost="100", stock="10"
        )
        headers = [{**token, "Idempotency-Key": "one-click"} for token in _tokens(session, member.id)]
        item_id, member_id, brand_id = item.id, member.id, brand.id

    body = {"item_id": item_id, "shipping_address": ADDRESS}
    answers = _all_at_once(lambda number: api.post("/api/v1/me/redemptions", json=body, headers=headers[number]))

    statuses = Counter(answer.status_code for answer in answers)
    samples = {status: next(a.text for a in answers if a.status_code == status) for status in statuses}
    assert statuses == {201: REQUESTS}, samples
    assert len({answer.json()["code"] for answer in answers}) == 1
    with Session(worker_engine) as session:
        assert len(session.exec(select(Redemption).where(Redemption.user_id == member_id)).all()) == 1
        stock = session.get(RewardItem, item_id)
        assert stock is not None and stock.stock == 9
        person = session.get(User, member_id)
        assert person is not None
        assert rewards_points.points_balance(session, user=person, brand_id=brand_id or 0) == 0
        assert ledger_service.accounts_out_of_balance(session) == []
