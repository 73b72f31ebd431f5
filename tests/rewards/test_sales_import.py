"""A sales file imported in batches, on a real engine (each batch its own transaction, as in production): checked
whole before anything is written, committed batch by batch, idempotent when sent again or resumed, and a writer
that arrives during a batch goes before the next batch."""

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, func, select

from app import after_commit
from app.columns import id_of
from app.db import OwnTransactions, build_engine, is_sqlite, session_scope, sqlite_writer_lock
from app.ledger import service as ledger_service
from app.ledger.models import AccountKind, LedgerTransaction, TransactionKind
from app.notifications import service as notifications_service
from app.notifications.models import Delivery, NotificationKind, OutboxEmail
from app.rewards import sales as rewards_sales
from app.rewards import sales_import
from app.rewards.models import Sale
from tests import databases
from tests.factories import make_brand, make_user
from tests.rewards.factories import make_live_product

HEADER = "order_id,product_id,quantity,unit_price,currency\n"
ROYALTY_MINOR = 250  # 10 % of one 25.00 sale


@pytest.fixture(scope="module")
def real_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with databases.migrated_database(
        tmp_path_factory, label="imports", sqlite_dir=Path(tmp_path_factory.mktemp("imports"))
    ) as url:
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


class CountingTransactions:
    """The production transactions, noting after each batch's commit how many of the brand's sales another
    connection sees."""

    def __init__(self, engine: Engine, brand_id: int) -> None:
        self.own = OwnTransactions(engine)
        self.engine, self.brand_id = engine, brand_id
        self.committed_sales: list[int] = []

    def reading(self) -> AbstractContextManager[Session]:
        return self.own.reading()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        with self.own.writing() as session:
            yield session
        self.committed_sales.append(_sale_count(self.engine, self.brand_id))


def _sale_count(engine: Engine, brand_id: int) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Sale).where(Sale.brand_id == brand_id)).one()


def _seller(engine: Engine) -> tuple[int, int, int, int]:
    """A brand with a live product (10 % royalty) whose designer wants every royalty e-mailed at once."""
    with session_scope(engine) as session:
        brand = make_brand(session)
        designer = make_user(session)
        product = make_live_product(session, brand, designer)
        notifications_service.set_preferences(
            session, user=designer, choices={NotificationKind.royalty_earned.value: Delivery.immediately.value}
        )
        return id_of(brand), id_of(product), id_of(designer), id_of(make_user(session))


def _file(product_id: int, count: int, *, bad_line: int | None = None) -> bytes:
    lines = [
        f"S-{number:05d},{product_id},{'x' if number == bad_line else 1},25.00,EUR" for number in range(1, count + 1)
    ]
    return (HEADER + "\n".join(lines) + "\n").encode()


def _earned(engine: Engine, *, brand_id: int, designer_id: int) -> int:
    with Session(engine) as session:
        account = ledger_service.get_account(
            session, brand_id=brand_id, user_id=designer_id, kind=AccountKind.earnings, currency="EUR"
        )
        balance = ledger_service.balance(session, account=account)
        session.rollback()
        return balance


def test_a_bad_row_at_line_4000_refuses_the_file_and_writes_nothing(real_engine: Engine) -> None:
    brand_id, product_id, _, actor_id = _seller(real_engine)
    transactions = CountingTransactions(real_engine, brand_id)
    with pytest.raises(rewards_sales.SalesRejected) as refused:
        sales_import.import_sales_csv(
            transactions, brand_id=brand_id, actor_id=actor_id, content=_file(product_id, 4500, bad_line=3999)
        )
    assert list(refused.value.fields) == ["row 4000"]  # the header is row 1
    assert "quantity" in refused.value.fields["row 4000"]
    assert transactions.committed_sales == []
    with Session(real_engine) as session:
        assert _sale_count(real_engine, brand_id) == 0
        assert session.exec(select(LedgerTransaction).where(LedgerTransaction.brand_id == brand_id)).all() == []


def test_lines_are_committed_batch_by_batch_and_a_file_sent_again_records_nothing_twice(
    real_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    brand_id, product_id, designer_id, actor_id = _seller(real_engine)
    enqueued_after: list[int] = []
    monkeypatch.setitem(after_commit._WORK, "deliver_outbox", lambda: enqueued_after.append(_outbox_count(real_engine)))
    transactions = CountingTransactions(real_engine, brand_id)
    content = _file(product_id, 120)

    first = sales_import.import_sales_csv(
        transactions, brand_id=brand_id, actor_id=actor_id, content=content, batch_rows=50
    )
    assert (first.rows, first.recorded, first.recorded_before, first.batches) == (120, 120, 0, 3)
    assert transactions.committed_sales == [50, 100, 120]
    # Each batch's e-mails are enqueued once that batch has committed them.
    assert len(enqueued_after) == 3 and enqueued_after == sorted(enqueued_after) and enqueued_after[0] > 0
    # How long one batch holds the writer is measured by bench/sales_import.py, not here: on this shared machine a
    # batch's wall time is mostly waiting for a core (a 50-line batch took 0.1 s to 10 s depending on the load).
    # The test asserts the structure instead: lines per transaction above, the hand-off to a waiting writer below.
    assert _earned(real_engine, brand_id=brand_id, designer_id=designer_id) == 120 * ROYALTY_MINOR

    again = sales_import.import_sales_csv(
        transactions, brand_id=brand_id, actor_id=actor_id, content=content, batch_rows=50
    )
    assert (again.recorded, again.recorded_before, again.batches) == (0, 120, 0)
    assert _sale_count(real_engine, brand_id) == 120
    assert _earned(real_engine, brand_id=brand_id, designer_id=designer_id) == 120 * ROYALTY_MINOR


def _outbox_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(OutboxEmail)).one()


def test_a_failing_middle_batch_keeps_the_whole_batches_before_it_and_sending_the_file_again_finishes(
    real_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    brand_id, product_id, designer_id, actor_id = _seller(real_engine)
    enqueued_after: list[int] = []
    monkeypatch.setitem(after_commit._WORK, "deliver_outbox", lambda: enqueued_after.append(_outbox_count(real_engine)))
    record = rewards_sales.record_checked_sale

    def failing_once(session: Session, **values: Any) -> Sale | None:
        if values["line"].order_id == "S-00075":
            monkeypatch.setattr(rewards_sales, "record_checked_sale", record)
            raise RuntimeError("the disk is full")
        return record(session, **values)

    monkeypatch.setattr(rewards_sales, "record_checked_sale", failing_once)
    transactions = CountingTransactions(real_engine, brand_id)
    content = _file(product_id, 120)
    with pytest.raises(sales_import.ImportInterrupted) as interrupted:
        sales_import.import_sales_csv(
            transactions, brand_id=brand_id, actor_id=actor_id, content=content, batch_rows=50
        )
    progress = interrupted.value.progress
    assert (progress.recorded, progress.batches) == (50, 1)
    assert "S-00051" in interrupted.value.message and "Send the same file again" in interrupted.value.message
    assert interrupted.value.status_code == 503
    # The first batch whole, nothing of the second (S-00051 to S-00074 were written before the failure).
    assert _sale_count(real_engine, brand_id) == 50
    assert _earned(real_engine, brand_id=brand_id, designer_id=designer_id) == 50 * ROYALTY_MINOR
    assert len(enqueued_after) == 1  # the first batch's e-mails, not dropped by the failure after it

    resumed = sales_import.import_sales_csv(
        transactions, brand_id=brand_id, actor_id=actor_id, content=content, batch_rows=50
    )
    assert (resumed.recorded, resumed.recorded_before, resumed.batches) == (70, 50, 2)
    assert _sale_count(real_engine, brand_id) == 120
    assert _earned(real_engine, brand_id=brand_id, designer_id=designer_id) == 120 * ROYALTY_MINOR


def test_a_writer_that_arrives_during_a_batch_goes_before_the_next_batch(
    real_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer posts to the brand's expense account, which every line of the import also updates: on SQLite
    it waits for the single writer's lock, on PostgreSQL for that row's lock. Either way it must be served when
    the batch it waits behind commits, not after the whole import."""
    brand_id, product_id, designer_id, actor_id = _seller(real_engine)
    order: list[str] = []
    in_second_batch, writer_waits = threading.Event(), threading.Event()
    record = rewards_sales.record_checked_sale

    def noting(session: Session, **values: Any) -> Sale | None:
        order_id = values["line"].order_id
        sale = record(session, **values)
        order.append(order_id)  # after its posting: the batch holds the brand's expense account now
        if order_id == "S-00011":
            in_second_batch.set()
            assert writer_waits.wait(30)
        return sale

    monkeypatch.setattr(rewards_sales, "record_checked_sale", noting)
    results: list[sales_import.SalesImport] = []
    importer = threading.Thread(
        target=lambda: results.append(
            sales_import.import_sales_csv(
                OwnTransactions(real_engine),
                brand_id=brand_id,
                actor_id=actor_id,
                content=_file(product_id, 40),
                batch_rows=10,
            )
        )
    )
    importer.start()
    assert in_second_batch.wait(30)
    writer_pid: list[int] = []
    writer = threading.Thread(
        target=_post_to_expense_account, args=(real_engine, brand_id, designer_id, writer_pid, order)
    )
    writer.start()
    _wait_until_queued(real_engine, writer_pid)
    writer_waits.set()
    importer.join(60)
    writer.join(60)
    assert results and results[0].recorded == 40 and results[0].batches == 4
    second_batch = [f"S-{number:05d}" for number in range(11, 21)]
    at = order.index("writer")
    assert order[at - 10 : at] == second_batch and order[at + 1] == "S-00021"


def _post_to_expense_account(engine: Engine, brand_id: int, designer_id: int, pid: list[int], order: list[str]) -> None:
    with session_scope(engine) as session:
        if not is_sqlite(engine):
            pid.append(session.exec(select(func.pg_backend_pid())).one())
        expense = ledger_service.get_account(
            session, brand_id=brand_id, user_id=None, kind=AccountKind.brand_expense, currency="EUR"
        )
        earnings = ledger_service.get_account(
            session, brand_id=brand_id, user_id=designer_id, kind=AccountKind.earnings, currency="EUR"
        )
        ledger_service.post_transaction(
            session,
            idempotency_key=f"bonus:{brand_id}",
            brand_id=brand_id,
            kind=TransactionKind.sale,
            description="A bonus",
            lines=[(expense, -100), (earnings, 100)],
        )
        order.append("writer")


def _wait_until_queued(engine: Engine, pid: list[int]) -> None:
    """Until the writer waits for the lock the paused batch holds (SQLite: in the writers' queue; PostgreSQL: on a
    row lock)."""
    for _ in range(3000):
        if is_sqlite(engine):
            if sqlite_writer_lock(engine).waiting:
                return
        elif pid:
            with engine.connect() as connection:
                waiting = connection.execute(
                    text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid[0]}
                ).scalar()
            if waiting == "Lock":
                return
        threading.Event().wait(0.01)
    raise AssertionError("the writer never queued for the lock")
