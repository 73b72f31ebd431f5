"""Test set-up: one migrated database per test run (per xdist worker), each test in a transaction rolled back.

SQLite by default; PostgreSQL when CHORUS_TEST_DATABASE_URL is set, in a schema of its own that is dropped after.
"""

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests import clock

# Before anything reads the time (module-level constants included).
clock.shift_from_environment()

_DATA_DIR = Path(tempfile.mkdtemp(prefix="chorus-test-"))
os.environ.update(
    {
        "CHORUS_ENVIRONMENT": "test",
        "CHORUS_SECRET_KEY": "test-secret-" + secrets.token_hex(8),
        "CHORUS_DATA_DIR": str(_DATA_DIR),
        "CHORUS_BASE_URL": "http://testserver",
    }
)
os.environ.pop("CHORUS_REDIS_URL", None)

import pytest  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app import rate_limits  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import build_engine  # noqa: E402
from app.main import create_app  # noqa: E402
from app.wiring import connect_domains  # noqa: E402
from tests import databases, demo, passwords, scheduling  # noqa: E402

# The domains fill the shared registries, as every entry point does: many tests call services without an app.
connect_domains()
# Before the factories hash their password (tests/passwords.py says why).
passwords.use_cheap_hashing()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Spread the browser tests over the run (tests/scheduling.py says why)."""
    items[:] = scheduling.spread_browser_tests(items, needs_demo=demo.is_read_by)


@pytest.fixture(scope="session", autouse=True)
def _demo_seeded_early(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """When any test of the run reads the demo, its seed starts with the run (tests/demo.py, ``seeding_early``)."""
    if any(demo.is_read_by(item) for item in request.session.items):
        with demo.seeding_early(tmp_path_factory):
            yield
    else:
        yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database for this run (or this xdist worker)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with databases.migrated_database(tmp_path_factory, label=worker, sqlite_dir=_DATA_DIR) as url:
        os.environ["CHORUS_DATABASE_URL"] = url
        get_settings.cache_clear()
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = build_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test; commits only release savepoints."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    rate_limits.reset()
    yield


_APPS: dict[str, FastAPI] = {}


def shared_app() -> FastAPI:
    """The app for the current settings, built once per worker process.

    Building one costs about half a second (FastAPI analyses every route's signature and builds its models), which
    was most of the suite's time when every test built its own. Nothing of a test stays on the app but its
    dependency overrides, which the ``app`` fixture clears; an app reads the settings when it is built, so a test
    that changes them gets an app of its own (cached too, under those settings). The media directory is left out
    of the key: it is read per call (``app.media.storage.get_storage``), never when the app is built, and the media
    tests set a directory of their own for every test (which built an app per test).
    """
    key = get_settings().model_dump_json(exclude={"media_dir"})
    if key not in _APPS:
        _APPS[key] = create_app(check_migrations=False)
    return _APPS[key]


@pytest.fixture
def app(session: Session) -> Iterator[FastAPI]:
    app = shared_app()
    app.dependency_overrides.clear()
    databases.use_test_session(app, session)
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
