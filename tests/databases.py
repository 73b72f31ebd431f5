"""Throw-away databases for tests and browser tests: a SQLite file, or a PostgreSQL schema of its own."""

import fcntl
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Executable, Row, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db import get_own_transactions, get_session, get_streaming_session, migrate
from app.reads import get_reads


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


@contextmanager
def migrated_database(tmp_path_factory: pytest.TempPathFactory, *, label: str, sqlite_dir: Path) -> Iterator[str]:
    """A ``temporary_database`` migrated to the newest revision.

    On SQLite it is a copy of a file migrated once per test run (``migrated_sqlite_template``): migrating costs more
    than a second of CPU, and well over a hundred tests (the concurrency tests, the real-session tests) each need a
    database of their own. On PostgreSQL each schema is migrated. tests/test_migrations.py migrates for real.
    """
    with temporary_database(label=label, sqlite_dir=sqlite_dir) as url:
        if url.startswith("sqlite:///"):
            template = migrated_sqlite_template(tmp_path_factory)
            copy = url.removeprefix("sqlite:///")
            for suffix in ("", "-wal"):  # migrate() closes its connections, so there is no WAL file left
                if Path(f"{template}{suffix}").exists():
                    shutil.copyfile(f"{template}{suffix}", f"{copy}{suffix}")
        else:
            migrate(url)
        yield url


def run_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of this test run that its xdist workers share (each worker's base directory sits in it); without
    xdist, the run's own base directory (its parent holds earlier runs, with files of older code)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest revision by this run's code, made by whichever worker asks first."""
    directory = run_directory(tmp_path_factory)
    template = directory / "migrated.db"
    with (directory / "migrated.db.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / "migrated.db.done").exists():
            template.unlink(missing_ok=True)
            migrate(f"sqlite:///{template.as_posix()}")
            (directory / "migrated.db.done").touch()
    return template


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
    """Serve every request of ``app`` from the test's session: the usual one, the streamed exports' one, and the
    reads in the event loop (``app.reads``)."""
    app.dependency_overrides[get_session] = request_session(session)
    app.dependency_overrides[get_streaming_session] = request_session(session)
    app.dependency_overrides[get_own_transactions] = lambda: TestTransactions(session)
    app.dependency_overrides[get_reads] = lambda: SessionReads(session)


class SessionReads:
    """A stand-in for app.reads' reads: through the test's session, a write in a savepoint of it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def first(self, statement: Executable, parameters: Mapping[str, Any]) -> Row[Any] | None:
        return self.session.execute(statement, parameters).first()

    async def write(self, statement: Executable, parameters: Mapping[str, Any]) -> None:
        with self.session.begin_nested():
            self.session.execute(statement, parameters)


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
