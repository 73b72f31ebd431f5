"""A database of its own whose transactions really commit, for code that opens its own sessions (task queue
workers, concurrent threads): the usual rolled-back test session cannot be seen from another connection."""

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

import app.db
from app.db import build_engine
from tests import databases


@pytest.fixture(scope="module")
def committed_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with databases.migrated_database(
        tmp_path_factory, label=f"{worker}_committed", sqlite_dir=tmp_path_factory.mktemp("db")
    ) as url:
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def worker_engine(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The committed database as the app's engine, so ``session_scope()`` (and every task) uses it."""
    monkeypatch.setattr(app.db, "get_engine", lambda: committed_engine)
    return committed_engine
