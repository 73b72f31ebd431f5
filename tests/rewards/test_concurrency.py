"""Two payout runs, and several redemptions by one member, at once: on a real engine, each thread its own session
(as separate requests are). One batch is opened, and points are never spent twice."""

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.accounts.models import User
from app.brands.models import Brand
from app.columns import utcnow
from app.db import build_engine, session_scope, writer_engine
from app.errors import Conflict
from app.ledger import service as ledger_service
from app.rewards import payouts as rewards_payouts
from app.rewards import points as rewards_points
from app.rewards.models import PayoutBatch, PayoutLine, PointsAction, Redemption, RewardItem
from tests import databases
from tests.factories import make_brand, make_user
from tests.rewards.factories import ADDRESS, make_live_product, make_member_of, sell

THREADS = 4


@pytest.fixture
def real_engine(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with databases.migrated_database(tmp_path_factory, label="rewards", sqlite_dir=tmp_path) as url:
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _race(engine: Engine, work: Callable[[Session, int], None]) -> tuple[int, list[BaseException]]:
    """Run ``work`` in THREADS threads at once; returns how many committed and the unexpected errors."""
    barrier = threading.Barrier(THREADS)
    committed: list[int] = []
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            with Session(writer_engine(engine), expire_on_commit=False) as session:
                barrier.wait()
                try:
                    work(session, number)
                except Conflict:
                    session.rollback()
                    return
                session.commit()
                committed.append(number)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(committed), errors


def test_two_payout_runs_at_once_open_one_batch_and_lock_each_balance_once(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        brand = make_brand(session)
        manager = make_user(session)
        designers = [make_user(session) for _ in range(3)]
        for number, designer in enumerate(designers):
            product = make_live_product(session, brand, designer)
            sell(session, brand, product, order_id=f"o{number}", quantity=20, now=utcnow() - timedelta(days=45))
        brand_id, manager_id = brand.id, manager.id

    def run(session: Session, _number: int) -> None:
        found_brand, found_manager = session.get(Brand, brand_id), session.get(User, manager_id)
        assert found_brand is not None and found_manager is not None
        rewards_payouts.open_batch(session, brand=found_brand, created_by=found_manager)

    committed, errors = _race(real_engine, run)
    assert errors == []
    assert committed == 1
    with Session(real_engine) as session:
        assert len(session.exec(select(PayoutBatch)).all()) == 1
        lines = session.exec(select(PayoutLine)).all()
        assert sorted(line.amount_minor for line in lines) == [5000, 5000, 5000]
        assert ledger_service.accounts_out_of_balance(session) == []


def test_racing_redemptions_never_spend_the_same_points_twice(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        brand = make_brand(session)
        member = make_member_of(session, brand)
        rewards_points.set_points_rule(session, brand=brand, action="survey_answered", points="100", daily_cap="5")
        for number in range(2):  # 200 points: enough for two redemptions of 100, not for four
            rewards_points.award_points(
                session,
                user_id=member.id or 0,
                brand_id=brand.id or 0,
                action=PointsAction.survey_answered,
                source_key=f"survey:{number}",
            )
        item = rewards_points.add_reward_item(
            session, brand=brand, name="Tote", description="", kind="merchandise", points_cost="100", stock="10"
        )
        member_id, item_id, brand_id = member.id, item.id, brand.id

    def run(session: Session, number: int) -> None:
        person = session.get(User, member_id)
        assert person is not None
        rewards_points.redeem(
            session, user=person, item_id=item_id or 0, request_key=f"race-{number}", shipping_address=ADDRESS
        )

    committed, errors = _race(real_engine, run)
    assert errors == []
    assert committed == 2
    with Session(real_engine) as session:
        person = session.get(User, member_id)
        assert person is not None
        assert rewards_points.points_balance(session, user=person, brand_id=brand_id or 0) == 0
        assert len(session.exec(select(Redemption)).all()) == 2
        stock = session.get(RewardItem, item_id)
        assert stock is not None and stock.stock == 8
        assert len({redemption.code for redemption in session.exec(select(Redemption))}) == 2
        assert ledger_service.accounts_out_of_balance(session) == []
