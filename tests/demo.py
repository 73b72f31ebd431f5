"""The full demo (seed/demo.py) for the tests that read it: seeded once per test run on SQLite, copied per test.

Seeding the demo costs about 25-30 s of CPU. The accessibility sweep, the demo seed's own test and the demo
campaigns' and reviews' tests each used to seed it (or a large part of it) again. On SQLite the first worker to ask
seeds a template (in a subprocess, as ``chorus seed --demo`` runs, sharing the test run's clock shift) and every
test gets a copy of its file and media, so nothing one test writes reaches another. On PostgreSQL each asker gets a
schema of its own, migrated and seeded (the SQLite shortcut does not apply there).
"""

import contextlib
import fcntl
import os
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session

from app.db import ROOT_DIR, build_engine, migrate
from tests import clock, databases

# About 25 s on an idle machine: a guard against a hang, not a budget (a PostgreSQL seed on a machine loaded 8 times
# over took more than 15 minutes).
SEED_SECONDS = 3600

# Exits 3 when the seed finds a demo there already: the template is a first seeding, whose result the demo seed's
# test checks (tests/test_seed.py).
SEED_SCRIPT = """
import io, sys
from tests.clock import shift_from_environment
shift_from_environment()
from rich.console import Console
from seed.demo import seed_demo
sys.exit(0 if seed_demo(console=Console(file=io.StringIO())) else 3)
"""


@dataclass(frozen=True)
class DemoDatabase:
    url: str
    media_dir: Path  # the demo's images (the settings' media directory when it was seeded)


def seed_environment(*, url: str, data_dir: Path, media_dir: Path) -> dict[str, str]:
    """The seed's settings: this database and media directory, nothing of the test process's or a developer's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHORUS_")}
    env.update(
        {
            "CHORUS_DATABASE_URL": url,
            "CHORUS_DATA_DIR": str(data_dir),
            "CHORUS_MEDIA_DIR": str(media_dir),
            "CHORUS_SECRET_KEY": "demo-" + secrets.token_urlsafe(32),
            "CHORUS_ENVIRONMENT": "development",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT_DIR),
            clock.SHIFT_VARIABLE: str(clock.shift_days()),
        }
    )
    return env


def seed_demo_into(url: str, *, data_dir: Path, media_dir: Path) -> None:
    """`chorus seed --demo` against ``url`` in a subprocess; fails unless it created the demo."""
    result = subprocess.run(  # noqa: S603 (a fixed command line)
        [sys.executable, "-c", SEED_SCRIPT],
        cwd=data_dir,
        env=seed_environment(url=url, data_dir=data_dir, media_dir=media_dir),
        capture_output=True,
        timeout=SEED_SECONDS,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(
            f"The demo seed failed (exit {result.returncode}; 3: it found a demo there already):\n"
            + result.stderr.decode(errors="replace")[-4000:]
        )


def seeded_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding ``demo.db`` and ``media/``, seeded by whichever xdist worker asks first; the others wait
    for it."""
    shared = databases.run_directory(tmp_path_factory)
    template = shared / "demo"
    with (shared / "demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / "seeded").exists():
            shutil.rmtree(template, ignore_errors=True)
            template.mkdir()
            shutil.copyfile(databases.migrated_sqlite_template(tmp_path_factory), template / "demo.db")
            url = f"sqlite:///{(template / 'demo.db').as_posix()}"
            seed_demo_into(url, data_dir=template, media_dir=template / "media")
            (template / "seeded").touch()
    return template


def is_read_by(item: pytest.Item) -> bool:
    """Whether a test's module reads the run's demo (it imports this module or one of its functions)."""
    module = getattr(item, "module", None)
    if module is None:
        return False
    this = sys.modules[__name__]
    return any(value is this or getattr(value, "__module__", None) == __name__ for value in vars(module).values())


@contextlib.contextmanager
def seeding_early(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Seed the run's template (SQLite) in a thread from the start of the run, while the tests go on: the first test
    that needs it then waits for what is left of the seed (if anything) instead of all of it, and no worker sits idle
    behind the lock. A seed that fails here is tried again, and reported, by the first test that asks for it."""
    if os.environ.get("CHORUS_TEST_DATABASE_URL"):
        yield  # PostgreSQL: each asker seeds a schema of its own
        return
    # The migrated template first, here: migrating in-process (Alembic, its logging set-up) stays off the thread.
    databases.migrated_sqlite_template(tmp_path_factory)

    def seed() -> None:
        with contextlib.suppress(Exception):  # tried again in the foreground, where a failure is reported
            seeded_sqlite_template(tmp_path_factory)

    thread = threading.Thread(target=seed, name="demo-seed", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


@contextlib.contextmanager
def demo_database(tmp_path_factory: pytest.TempPathFactory, *, label: str, directory: Path) -> Iterator[DemoDatabase]:
    """A database of the caller's own holding the demo, with its media in ``directory / "media"``."""
    media_dir = directory / "media"
    with databases.temporary_database(label=label, sqlite_dir=directory) as url:
        if url.startswith("sqlite:///"):
            template = seeded_sqlite_template(tmp_path_factory)
            copy = url.removeprefix("sqlite:///")
            for suffix in ("", "-wal"):  # the seed closed its last connection, so there is no WAL file left
                if (template / f"demo.db{suffix}").exists():
                    shutil.copyfile(template / f"demo.db{suffix}", f"{copy}{suffix}")
            shutil.copytree(template / "media", media_dir)
        else:
            migrate(url)
            seed_demo_into(url, data_dir=directory, media_dir=media_dir)
        yield DemoDatabase(url=url, media_dir=media_dir)


@contextlib.contextmanager
def demo_session(tmp_path_factory: pytest.TempPathFactory, directory: Path) -> Iterator[Session]:
    """A session on a demo database of the caller's own (see ``demo_database``)."""
    with demo_database(tmp_path_factory, label="demo", directory=directory) as demo:
        engine = build_engine(demo.url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                yield session
        finally:
            engine.dispose()
