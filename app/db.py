"""Engine, sessions and the one transaction per request.

Each request waits for a turn at the database in the event loop (``database_turn``) before its session opens. On
SQLite, requests that may write (POST, PUT, PATCH, DELETE) also wait for the one writer's turn, then open their
transaction with ``BEGIN IMMEDIATE``, so two read-then-write transactions queue instead of failing with "database is
locked" halfway; reads use a plain deferred ``BEGIN`` and run alongside.
PostgreSQL uses a pooled psycopg 3 engine, and services that read then write take row locks.
"""

import asyncio
import fcntl
import threading
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar
from weakref import WeakKeyDictionary

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from sqlalchemy import Engine, MetaData, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel, create_engine

from app import after_commit
from app.config import get_settings
from app.errors import ServiceUnavailable
from app.i18n import _

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

ROOT_DIR = Path(__file__).resolve().parent.parent
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SQLITE_BUSY_SECONDS = 30
TURN_WAIT_SECONDS = 30  # a request waiting longer for its database turn gets a 503
_HOLDS_WRITE_LOCK = "chorus_holds_write_lock"
_TURN_HELD = "chorus.database_turn_held"  # in the ASGI scope
_OWN_TRANSACTIONS = "chorus_writes_in_own_transactions"


class FairLock:
    """A lock handed to its waiters in the order they asked for it.

    ``threading.Lock`` is not: a thread that releases it and asks again at once (a batched import between two
    batches) usually gets it back before a thread that was already waiting wakes up, so that waiter could wait for
    the whole import instead of one batch.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._queue: deque[object] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        ticket = object()
        with self._changed:
            self._queue.append(ticket)
            if not self._changed.wait_for(lambda: not self._held and self._queue[0] is ticket, timeout):
                self._queue.remove(ticket)
                self._changed.notify_all()  # the next in line may be free to go now
                return False
            self._queue.popleft()
            self._held = True
            return True

    def release(self) -> None:
        with self._changed:
            self._held = False
            self._changed.notify_all()

    @property
    def waiting(self) -> int:
        """How many threads are queued for the lock (tests check that a writer is in line)."""
        with self._changed:
            return len(self._queue)


_writer_locks: "WeakKeyDictionary[Engine, FairLock]" = WeakKeyDictionary()  # i18n: ignore


def sqlite_writer_lock(engine: Engine) -> FairLock:
    """The process's queue of writers to a SQLite engine built by ``build_engine`` (see ``_configure_sqlite``)."""
    return _writer_locks[engine]


def build_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings each database needs."""
    parsed = make_url(url)
    # Every request's turn (database_turn) holds at most one connection, so requests never wait for one in a
    # thread; the overflow is for streamed exports and background tasks.
    pool = {"pool_size": get_settings().database_slots, "max_overflow": 10}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself, so it can choose IMMEDIATE for writers.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # i18n: ignore
        cursor.execute("PRAGMA foreign_keys=ON")  # i18n: ignore
        cursor.execute("PRAGMA busy_timeout=30000")  # i18n: ignore
        cursor.execute("PRAGMA synchronous=NORMAL")  # i18n: ignore
        cursor.close()

    # Writers queue on this lock in the process before BEGIN IMMEDIATE, instead of in SQLite's busy handler, which
    # polls with sleeps of up to 100 ms: with dozens of concurrent writers, some waited seconds while the lock
    # was free most of the time (bench/README.md, "Scoring"). Other processes still meet the busy timeout. In
    # arrival order, so a write waiting behind one batch of a long import goes before the next batch.
    writers = _writer_locks[engine] = FairLock()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE":
            if not writers.acquire(timeout=SQLITE_BUSY_SECONDS):
                raise TimeoutError(f"no write lock on the database within {SQLITE_BUSY_SECONDS} s")  # i18n: ignore
            connection.info[_HOLDS_WRITE_LOCK] = True
        try:
            connection.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            _release(connection)
            raise

    def _release(connection: Any) -> None:
        if connection.info.pop(_HOLDS_WRITE_LOCK, False):
            writers.release()

    # Fired just before COMMIT or ROLLBACK: a writer that gets the lock in between meets SQLite's busy handler
    # for about a millisecond at most.
    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@lru_cache
def _engine_for(url: str) -> Engine:
    return build_engine(url)


def get_engine() -> Engine:
    return _engine_for(get_settings().resolved_database_url)


def writer_engine(engine: Engine) -> Engine:
    """The same engine and pool, whose transactions take SQLite's write lock up front."""
    if is_sqlite(engine):
        return engine.execution_options(sqlite_begin="IMMEDIATE")
    return engine


@dataclass
class _Turns:
    slots: asyncio.Semaphore
    writer: asyncio.Lock


# One set per event loop (tests run several): asyncio's locks are bound to the loop they first wait in.
_turns: WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns] = WeakKeyDictionary()


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def writes_in_own_transactions(endpoint: Endpoint) -> Endpoint:
    """Mark a route that writes only in short transactions of its own (``OwnTransactionsDep``, e.g. a sales import
    committed in batches): its request session only reads, so on SQLite it takes no writer's turn, which it
    would otherwise hold, stalling every other write, for as long as the route runs."""
    setattr(endpoint, _OWN_TRANSACTIONS, True)
    return endpoint


def _request_writes(request: Request) -> bool:
    return request.method not in SAFE_METHODS and not getattr(request.scope.get("endpoint"), _OWN_TRANSACTIONS, False)


@asynccontextmanager
async def held_database_turn(request: Request) -> AsyncIterator[None]:
    """Wait, in the event loop and first come first served, for one of the ``database_slots`` turns at the
    database, and on SQLite, for a request that may write, for the single writer's turn; hold them until the block
    ends (after the request's session has committed or rolled back).

    Why in the event loop: a request's blocking code runs in worker threads, and it holds its connection (and on
    SQLite the write lock, on PostgreSQL its row locks) until it commits. When requests waited for a connection or
    for the write lock inside a thread, enough of them (48 scorers on the benchmark server) took every thread while
    the holders needed one more thread to finish, and nothing moved until a 30 s timeout: 500s for everyone.
    Waiting here takes no thread, and with fewer turns than threads a holder always finds one. The process lock in
    ``_configure_sqlite`` still guards writers outside requests (tasks, the CLI).
    """
    async with held_turn(writes=_request_writes(request)):
        request.scope[_TURN_HELD] = True
        try:
            yield
        finally:
            request.scope[_TURN_HELD] = False


@asynccontextmanager
async def held_turn(*, writes: bool) -> AsyncIterator[None]:
    """``held_database_turn`` for work that is not the request's own transaction (a write after the response)."""
    loop = asyncio.get_running_loop()
    turns = _turns.get(loop)
    if turns is None:
        turns = _turns[loop] = _Turns(asyncio.Semaphore(get_settings().database_slots), asyncio.Lock())
    async with AsyncExitStack() as held:
        try:
            async with asyncio.timeout(TURN_WAIT_SECONDS):
                if writes and is_sqlite(get_engine()):
                    await held.enter_async_context(turns.writer)
                await held.enter_async_context(turns.slots)
        except TimeoutError:
            busy = _("The site is too busy to answer right now. Please try again in a moment.")
            raise ServiceUnavailable(busy) from None
        yield


async def database_turn(request: Request) -> AsyncIterator[None]:
    """The request's database turn (``held_database_turn``), as the dependency of ``get_session``; a request run in
    one step (``app.web.routing.OneStepRoute``) took it in the event loop before its step began."""
    if request.scope.get(_TURN_HELD):
        yield
        return
    async with held_database_turn(request):
        yield


def get_session(
    request: Request, _turn: Annotated[None, Depends(database_turn, scope="function")]
) -> Iterator[Session]:
    """One session per request: commit when the route returns, roll back on any exception.

    Tasks the request asked for (e-mail, webhooks: ``app.after_commit.mark``) are enqueued once the commit has made
    their rows visible to the worker.
    """
    yield from _request_transaction(request)


def get_streaming_session(request: Request) -> Iterator[Session]:
    """A session for an answer streamed after the route returns (CSV exports), closed once the last chunk is sent.
    Reads only. It takes no database turn, which would be held while a client downloads (its route's own
    session has one): its connection comes from the pool's overflow."""
    if request.method not in SAFE_METHODS:
        raise RuntimeError("streamed answers read; a request that writes uses get_session")
    yield from _request_transaction(request)


def _request_transaction(request: Request) -> Iterator[Session]:
    engine = get_engine()
    if _request_writes(request):
        engine = writer_engine(engine)
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            # The error page is rendered after this session closes and shows who is logged in
            # (request.state.user): detach what was loaded first, or the rollback would expire it and reading
            # it there would fail with DetachedInstanceError, turning every 403/404 for a logged-in person
            # into a 500.
            session.expunge_all()
            session.rollback()
            after_commit.discard(session)
            raise
        after_commit.run(session)


# scope="function": the commit happens when the route returns, before the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A transaction for seed, CLI and task code: commit at the end (then enqueue the tasks it asked for), roll back
    on error."""
    with Session(writer_engine(engine or get_engine()), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            after_commit.discard(session)
            raise
        after_commit.run(session)


class ShortTransactions(Protocol):
    """Transactions a use case opens one after the other, each short, instead of the request's one (a long import
    writes in batches, so other writers get their turn in between)."""

    def reading(self) -> AbstractContextManager[Session]:
        """A transaction that only reads: it takes no writer's turn."""
        ...

    def writing(self) -> AbstractContextManager[Session]:
        """A transaction that writes, committed at its end, its tasks enqueued after the commit (``session_scope``)."""
        ...


@dataclass(frozen=True)
class OwnTransactions:
    """Short transactions on the application's database (or the given engine's)."""

    engine: Engine | None = None

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine or get_engine(), expire_on_commit=False) as session:
            yield session

    def writing(self) -> AbstractContextManager[Session]:
        return session_scope(self.engine)


def get_own_transactions() -> ShortTransactions:
    return OwnTransactions()


# For the routes marked with ``writes_in_own_transactions``; tests serve them from their own session.
OwnTransactionsDep = Annotated[ShortTransactions, Depends(get_own_transactions)]


def alembic_config(url: str | None = None) -> AlembicConfig:
    config = AlembicConfig(str(ROOT_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT_DIR / "migrations"))
    config.set_main_option("sqlalchemy.url", (url or get_settings().resolved_database_url).replace("%", "%%"))
    return config


# pg_advisory_lock's key for migrations: this constant (the bytes of "chorus"), then one number per schema.
MIGRATION_LOCK_CLASS = int.from_bytes(b"chorus", "big") & 0x7FFFFFFF


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Upgrade the database to the given revision (the newest by default), holding the migration lock.

    Replicas that start together each run this: the first migrates, the others wait on the lock, then find nothing
    left to do. Without it two upgrades of a fresh PostgreSQL database both create ``alembic_version`` and one fails
    with a unique violation.
    """
    from alembic import command

    resolved = url or get_settings().resolved_database_url
    with migration_lock(resolved):
        command.upgrade(alembic_config(resolved), revision)


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Hold the database's migration lock: a PostgreSQL advisory lock (on a connection of its own, released when
    it closes, even if this process dies), or on SQLite an exclusive ``flock`` on a file beside the database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:":
            yield
            return
        lock_path = Path(database + ".migrate-lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        return
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            # Advisory locks are per database; the key also names the schema (search_path in the URL's options),
            # so databases of one server that live in separate schemas (the tests') do not wait on each other.
            keys = {"kind": MIGRATION_LOCK_CLASS, "schema": _schema_number(parsed)}
            connection.execute(text("SELECT pg_advisory_lock(:kind, :schema)"), keys)
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:kind, :schema)"), keys)
                connection.commit()
    finally:
        engine.dispose()


def _schema_number(url: URL) -> int:
    options = url.query.get("options", "")
    text_options = options if isinstance(options, str) else " ".join(options)
    return zlib.crc32(text_options.encode()) & 0x7FFFFFFF


def pending_migrations(engine: Engine) -> list[str]:
    """Revisions the database lacks, oldest first; empty when it is up to date.

    Every revision of the script directory minus those the database has (its heads and their ancestors), so
    it also holds for branches and merges. A database stamped with a revision this code does not know
    (migrated by a newer version) raises alembic's ``ResolutionError``.
    """
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(hide_password=False)))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    applied = {rev.revision for rev in script.iterate_revisions(current, "base")} if current else set()
    # walk_revisions goes from the heads down to base; reversed, that is the order `upgrade` applies them in.
    return [rev.revision for rev in reversed(list(script.walk_revisions())) if rev.revision not in applied]
