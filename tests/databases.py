"""Throw-away databases for tests and browser tests: a SQLite file, or a PostgreSQL schema of its own."""

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db import get_own_transactions, get_session, get_streaming_session


@contextmanager
def temporary_database(*, label: str, sqlite_dir: Path) -> Iterator[str]:
    """Yield a database URL that nothing else uses; it is dropped afterwards."""
    base_url = os.environ.get("CHORUS_TEST_DATABASE_URL")
    if not base_url:
        yield f"sqlite:///{(sqlite_dir / f'test-{label}-{secrets.token_hex(4)}.db').as_posix()}"
        return
    schema = f"chorus_test_{label}_{secrets.token_hex(4)}".lower().replace("-", "_")
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def request_session(session: Session) -> Callable[[], Iterator[Session]]:
    """A stand-in for app.db.get_session that serves the test's own session (rolled back after the test).

    What the test set up counts as committed before the request, so a failing request cannot undo it; the
    request's own commit or rollback then only releases or rolls back its savepoint.
    """

    def test_session() -> Iterator[Session]:
        session.commit()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    return test_session


def use_test_session(app: FastAPI, session: Session) -> None:
    """Serve every request of ``app`` from the test's session: the usual one and the streamed exports' one."""
    app.dependency_overrides[get_session] = request_session(session)
    app.dependency_overrides[get_streaming_session] = request_session(session)
    app.dependency_overrides[get_own_transactions] = lambda: TestTransactions(session)


class TestTransactions:
    """A stand-in for app.db.OwnTransactions: each transaction is a savepoint of the test's session."""

    __test__ = False  # not a test class for pytest

    def __init__(self, session: Session) -> None:
        self.session = session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        yield self.session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        try:
            yield self.session
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise
