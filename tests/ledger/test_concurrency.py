"""The same posting from several threads at once, on a real engine with separate sessions: it posts once."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.db import build_engine, session_scope, writer_engine
from app.ledger import service as ledger_service
from app.ledger.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind
from tests import databases
from tests.factories import make_brand, make_user

THREADS = 6


@pytest.fixture
def real_engine(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with databases.migrated_database(tmp_path_factory, label="ledger", sqlite_dir=tmp_path) as url:
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def test_racing_replays_of_one_key_post_once_and_create_each_account_once(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        brand_id = make_brand(session).id
        user_id = make_user(session).id
    assert brand_id is not None
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    created: list[bool] = []

    def post() -> None:
        try:
            with Session(writer_engine(real_engine), expire_on_commit=False) as session:
                barrier.wait()
                expense = ledger_service.get_account(
                    session, brand_id=brand_id, user_id=None, kind=AccountKind.brand_expense, currency="EUR"
                )
                earnings = ledger_service.get_account(
                    session, brand_id=brand_id, user_id=user_id, kind=AccountKind.earnings, currency="EUR"
                )
                posting = ledger_service.post_transaction(
                    session,
                    idempotency_key="sale:race",
                    brand_id=brand_id,
                    kind=TransactionKind.sale,
                    description="race",
                    lines=[(expense, -999), (earnings, 999)],
                )
                session.commit()
                created.append(posting.created)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(created) == [False] * (THREADS - 1) + [True]
    with Session(real_engine) as session:
        assert len(session.exec(select(LedgerTransaction)).all()) == 1
        assert len(session.exec(select(LedgerEntry)).all()) == 2
        assert len(session.exec(select(LedgerAccount)).all()) == 2
        assert ledger_service.accounts_out_of_balance(session) == []
