"""Reads that take no worker thread: one statement, run in the event loop on SQLite.

A request that only reads a row (who is asking, for ``GET /api/v1/me``) spent most of its CPU on the machinery
around its one statement: the hand-off to a worker thread, the GIL passed back and forth with the event loop around
every SQLite call, an ORM session, ``BEGIN`` and ``COMMIT`` (bench/README.md, "The request path"). On SQLite a reader
in WAL mode never waits for a writer, so ``SqliteReads`` runs the statement on a connection of the event loop's
thread, opened read-only (``PRAGMA query_only``): one statement is one snapshot, and it takes microseconds. On
PostgreSQL a statement is a round trip over the network, which must not stall the loop: ``PooledReads`` runs it in
one worker-thread step on a pooled connection, after a database turn, as a one-step route does.

The rare write such a request needs (a token's "last used", at most once a minute) is no part of what it answers:
``write`` runs it after the response, in a short transaction of its own, after the writer's turn like any request.
Tests serve both from their own session (``tests.databases.use_test_session``).
"""

import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any, Protocol

from fastapi import Depends
from sqlalchemy import Engine, Executable, Row, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import SingletonThreadPool
from starlette.concurrency import run_in_threadpool

from app.db import get_engine, held_turn, is_sqlite, writer_engine
from app.errors import ServiceUnavailable

logger = logging.getLogger("chorus.reads")

# A reader waits for SQLite only in rare moments (a WAL file being recovered); never long, as it holds up the loop.
READ_BUSY_MILLISECONDS = 200


class Reads(Protocol):
    async def first(self, statement: Executable, parameters: Mapping[str, Any]) -> Row[Any] | None:
        """The statement's first row, or None."""
        ...

    async def write(self, statement: Executable, parameters: Mapping[str, Any]) -> None:
        """Run a write in a transaction of its own, on a best-effort basis (a busy database skips it)."""
        ...


class _WritesInOwnTransaction:
    async def write(self, statement: Executable, parameters: Mapping[str, Any]) -> None:
        try:
            async with held_turn(writes=True):
                await run_in_threadpool(_write, get_engine(), statement, parameters)
        except (OperationalError, ServiceUnavailable):
            logger.info("A best-effort write was skipped: the database was busy", exc_info=True)


def _write(engine: Engine, statement: Executable, parameters: Mapping[str, Any]) -> None:
    with writer_engine(engine).begin() as connection:
        connection.execute(statement, parameters)


class SqliteReads(_WritesInOwnTransaction):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def first(self, statement: Executable, parameters: Mapping[str, Any]) -> Row[Any] | None:
        with self.engine.connect() as connection:
            return connection.execute(statement, parameters).first()


class PooledReads(_WritesInOwnTransaction):
    async def first(self, statement: Executable, parameters: Mapping[str, Any]) -> Row[Any] | None:
        async with held_turn(writes=False):
            return await run_in_threadpool(_first, get_engine(), statement, parameters)


def _first(engine: Engine, statement: Executable, parameters: Mapping[str, Any]) -> Row[Any] | None:
    with engine.connect() as connection:
        return connection.execute(statement, parameters).first()


@lru_cache
def _sqlite_reads(application_engine: Engine) -> SqliteReads:
    """One read-only connection per thread that reads (the event loop's), kept open, to the application's file."""
    engine = create_engine(
        application_engine.url, poolclass=SingletonThreadPool, connect_args={"check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Python's sqlite3 begins no transaction for a SELECT: each read is one statement in its own snapshot.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.execute(f"PRAGMA busy_timeout={READ_BUSY_MILLISECONDS}")
        cursor.close()

    return SqliteReads(engine)


_pooled_reads = PooledReads()


async def get_reads() -> Reads:
    """The reads for the application's database (a dependency: ``async``, so FastAPI runs it in the loop)."""
    engine = get_engine()
    if is_sqlite(engine) and engine.url.database not in (None, "", ":memory:"):  # a memory database is per connection
        return _sqlite_reads(engine)
    return _pooled_reads


ReadsDep = Annotated[Reads, Depends(get_reads)]
