"""The real request session (app.db.get_session), not the rolled-back one the other tests use: commit and rollback,
error pages for logged-in people, e-mail handed to SMTP after the commit, SQLite's write lock, racing sign-ups,
and many requests at once on few threads."""

import asyncio
import gc
import smtplib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session, col, func, select

from app import db
from app.accounts.models import User
from app.accounts.tokens import create_api_token
from app.brands.models import StaffRole
from app.columns import utcnow
from app.config import get_settings
from app.db import build_engine, session_scope, writer_engine
from app.main import create_app
from app.notifications.models import OutboxEmail
from bench.load import LoopbackClient
from tests import databases
from tests.factories import add_staff, csrf_token, log_in, make_brand, make_user
from tests.rewards.factories import make_live_product
from tests.servers import run_in_new_loop, served


@dataclass
class RealApp:
    client: TestClient
    engine: Engine


@pytest.fixture
def real_app(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RealApp]:
    with databases.migrated_database(tmp_path_factory, label="realsession", sqlite_dir=tmp_path) as url:
        monkeypatch.setenv("CHORUS_DATABASE_URL", url)
        get_settings.cache_clear()
        db._engine_for.cache_clear()
        engine = build_engine(url)
        try:
            with TestClient(create_app(), base_url="http://testserver") as client:
                yield RealApp(client=client, engine=engine)
        finally:
            db.get_engine().dispose()
            engine.dispose()
            monkeypatch.delenv("CHORUS_DATABASE_URL")
            get_settings.cache_clear()
            db._engine_for.cache_clear()


def test_starting_the_server_hides_its_start_up_objects_from_the_garbage_collector(real_app: RealApp) -> None:
    """The real_app client ran the app's start-up (lifespan): what it loaded is frozen, so full collections do not
    walk it and stall requests (app.main.freeze_startup_objects)."""
    assert gc.get_freeze_count() > 10_000


def test_a_request_that_waits_too_long_for_its_turn_gets_a_clear_503(
    real_app: RealApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No turn comes free (all taken): after TURN_WAIT_SECONDS the API answers 503 with a detail and a page says
    the same in HTML, instead of waiting forever or failing with a 500."""
    monkeypatch.setattr(db, "TURN_WAIT_SECONDS", 0.1)

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        loop = asyncio.get_running_loop()
        db._turns[loop] = db._Turns(asyncio.Semaphore(0), asyncio.Lock())
        transport = httpx.ASGITransport(app=real_app.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/api/v1/communities"), await client.get("/login")

    api, page = run_in_new_loop(scenario())
    assert api.status_code == 503
    assert api.json()["detail"].startswith("The site is too busy to answer right now.")
    assert page.status_code == 503
    assert "The site is too busy to answer right now." in page.text


def test_error_pages_for_a_logged_in_member_render_with_their_header(real_app: RealApp) -> None:
    with session_scope(real_app.engine) as session:
        member = make_user(session, handle="header_check")
        make_brand(session, slug="someone-elses")
        log_in(real_app.client, session, member)

    hidden = real_app.client.get("/brands/someone-elses")
    assert hidden.status_code == 404
    assert "There is no such brand." in hidden.text
    assert "/u/header_check" in hidden.text  # the nav still knows who is logged in

    unknown = real_app.client.get("/no/such/page")
    assert unknown.status_code == 404
    assert "/u/header_check" in unknown.text


def test_a_failed_write_leaves_nothing_behind(real_app: RealApp) -> None:
    token = csrf_token(real_app.client)
    weak = real_app.client.post(
        "/signup",
        data={"csrftoken": token, "email": "half@example.com", "handle": "half", "password": "short"},
    )
    assert weak.status_code == 422
    with Session(real_app.engine) as session:
        assert session.exec(select(User).where(User.handle == "half")).first() is None
        assert session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "half@example.com")).first() is None


class _FakeSMTP:
    sent: list[str] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = host

    def __enter__(self) -> "_FakeSMTP":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def starttls(self) -> None:
        return None

    def login(self, username: str, password: str) -> None:
        return None

    def send_message(self, message: object) -> None:
        _FakeSMTP.sent.append(str(message["To"]))  # type: ignore[index]


def test_queued_mail_is_sent_after_the_commit_when_smtp_is_configured(
    real_app: RealApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "smtp_host", "smtp.invalid")
    monkeypatch.setattr(smtplib, "SMTP", _FakeSMTP)
    _FakeSMTP.sent = []
    response = real_app.client.post(
        "/api/v1/users", json={"email": "mailed@example.com", "handle": "mailed", "password": "copper-lantern-91"}
    )
    assert response.status_code == 201
    assert _FakeSMTP.sent == ["mailed@example.com"]
    with Session(real_app.engine) as session:
        email = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "mailed@example.com")).one()
        assert email.sent_at is not None and email.attempts == 1


def test_without_smtp_mail_stays_in_the_outbox(real_app: RealApp) -> None:
    response = real_app.client.post(
        "/api/v1/users", json={"email": "kept@example.com", "handle": "kept", "password": "copper-lantern-91"}
    )
    assert response.status_code == 201
    with Session(real_app.engine) as session:
        email = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "kept@example.com")).one()
        assert email.sent_at is None


def test_sqlite_writers_take_the_write_lock_up_front(real_app: RealApp) -> None:
    if real_app.engine.dialect.name != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is SQLite's; PostgreSQL services take row locks instead")
    database = real_app.engine.url.database
    assert database
    with Session(writer_engine(real_app.engine)) as writer:
        writer.exec(select(func.count()).select_from(User)).one()  # a read, yet the lock is already held
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
    with Session(real_app.engine) as reader:  # plain sessions begin deferred and do not block writers
        reader.exec(select(func.count()).select_from(User)).one()
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()


def test_racing_sign_ups_for_one_handle_create_one_account(real_app: RealApp) -> None:
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def sign_up(number: int) -> None:
        with TestClient(real_app.client.app, base_url="http://testserver") as client:
            barrier.wait()
            response = client.post(
                "/api/v1/users",
                json={"email": f"racer{number}@example.com", "handle": "racer", "password": "copper-lantern-91"},
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=sign_up, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses).count(201) == 1, statuses
    assert all(status in (201, 409, 422) for status in statuses), statuses
    with Session(real_app.engine) as session:
        assert session.exec(select(func.count()).select_from(User).where(User.handle == "racer")).one() == 1


def test_writers_waiting_for_the_database_take_no_thread(real_app: RealApp) -> None:
    """Writers wait for their turn in the event loop (app.db.database_turn), not in worker threads: when they
    waited in threads, 48 scorers on the 40-thread benchmark server took every thread while the write lock's holder
    needed one more, and the site stopped until a 30 s timeout. Here, while another process holds SQLite's write
    lock, 12 writers on a 3-thread server leave a thread for a read, and all finish once the lock is released."""
    if real_app.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single writer; PostgreSQL writers wait on row locks, with more threads than turns")
    with session_scope(real_app.engine) as session:
        members = [make_user(session, handle=f"waiting{number}") for number in range(12)]
        tokens = [create_api_token(session, user=member, name="load")[1] for member in members]
        # The reader's token was used a moment ago: its read writes no "last used", and takes a worker thread.
        reader_token, reader = create_api_token(session, user=make_user(session, handle="reader"), name="read")
        reader_token.last_used_at = utcnow()
    database = real_app.engine.url.database
    assert database
    other_process = sqlite3.connect(database, isolation_level=None, check_same_thread=False)

    async def scenario(base_url: str) -> tuple[int, list[int]]:
        async with LoopbackClient(base_url, concurrency=13) as client:

            async def rename(number: int) -> int:
                headers = {"Authorization": f"Bearer {tokens[number]}"}
                body = {"display_name": f"Waited {number}"}
                return (await client.request("PATCH", "/api/v1/me", json=body, headers=headers)).status_code

            other_process.execute("BEGIN IMMEDIATE")
            writers = [asyncio.create_task(rename(number)) for number in range(12)]
            await asyncio.sleep(0.5)  # every writer has arrived and waits
            async with asyncio.timeout(10):
                read = await client.get("/api/v1/me/tokens", headers={"Authorization": f"Bearer {reader}"})
            other_process.execute("ROLLBACK")
            async with asyncio.timeout(20):
                return read.status_code, list(await asyncio.gather(*writers))

    try:
        with served(real_app.client.app, threads=3) as base_url:
            read_status, write_statuses = run_in_new_loop(scenario(base_url))
    finally:
        other_process.close()
    assert read_status == 200
    assert write_statuses == [200] * 12
    with Session(real_app.engine) as session:
        names = session.exec(select(User.display_name).where(col(User.handle).startswith("waiting"))).all()
    assert sorted(names) == sorted(f"Waited {number}" for number in range(12))


def test_sqlite_writers_get_the_lock_in_the_order_they_asked_for_it() -> None:
    """A holder that releases the writers' lock and asks again at once (a batched import between two batches) goes
    behind those already waiting: threading.Lock would usually hand it straight back."""
    lock = db.FairLock()
    order: list[str] = []
    assert lock.acquire(timeout=1)

    def writer(name: str) -> None:
        assert lock.acquire(timeout=10)
        order.append(name)
        lock.release()

    threads = []
    for number, name in enumerate(("first", "second")):
        thread = threading.Thread(target=writer, args=(name,))
        thread.start()
        threads.append(thread)
        while lock.waiting < number + 1:
            threading.Event().wait(0.001)
    lock.release()
    assert lock.acquire(timeout=10)  # the importer's next batch
    order.append("holder again")
    lock.release()
    for thread in threads:
        thread.join(10)
    assert order == ["first", "second", "holder again"]
    assert lock.waiting == 0


def test_a_sales_import_writes_in_transactions_of_its_own_through_the_real_session(real_app: RealApp) -> None:
    """The import route takes no writer's turn and ends its own transaction before the batches (each one of
    app.db.OwnTransactions); through the real sessions, not the tests' shared one."""
    with session_scope(real_app.engine) as session:
        brand, manager = make_brand(session), make_user(session)
        add_staff(session, brand, manager, StaffRole.manager)
        product = make_live_product(session, brand)
        log_in(real_app.client, session, manager)
        slug, product_id = brand.slug, product.id
    rows = "".join(f"R-{number},{product_id},1,25.00,EUR\n" for number in range(25))
    content = ("order_id,product_id,quantity,unit_price,currency\n" + rows).encode()
    response = real_app.client.post(
        f"/api/v1/brands/{slug}/sales/imports",
        files={"file": ("sales.csv", content, "text/csv")},
        headers={"x-csrftoken": csrf_token(real_app.client)},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"rows": 25, "recorded": 25, "recorded_before": 0, "batches": 3}
    assert real_app.client.get(f"/api/v1/brands/{slug}/sales").status_code == 200


def test_a_request_hands_its_blocking_work_to_a_worker_thread_once(
    real_app: RealApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Session, actor, permission check, route and commit run in one worker-thread step (app.web.routing): every
    hand-off to a thread goes through anyio.to_thread.run_sync, so count those; and the commit happens in that
    step while the request still holds its database turn (here the only one). The liveness probe takes no thread,
    and neither does reading one's own account on SQLite (app.reads: in the event loop); on PostgreSQL that read is
    one step too. The token was used a moment ago, so no "last used" is written."""
    monkeypatch.setenv("CHORUS_DATABASE_SLOTS", "1")
    get_settings.cache_clear()
    db._turns.clear()
    with session_scope(real_app.engine) as session:
        member = make_user(session, handle="one_step")
        api_token, token = create_api_token(session, user=member, name="steps")
        api_token.last_used_at = utcnow()
    bearer = {"Authorization": f"Bearer {token}"}
    reads_in_loop = real_app.engine.dialect.name == "sqlite"
    hand_offs = 0
    real_run_sync = anyio.to_thread.run_sync

    async def counted(*args: object, **kwargs: object) -> object:
        nonlocal hand_offs
        hand_offs += 1
        return await real_run_sync(*args, **kwargs)  # type: ignore[arg-type]

    turn_held_at_commit: list[bool] = []

    def on_commit(_connection: object) -> None:
        turn_held_at_commit.append(all(turns.slots.locked() for turns in db._turns.values()))

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    event.listen(db.get_engine(), "commit", on_commit)
    try:
        requests = [
            ("GET", "/healthz", {}, None, 0),
            ("GET", "/api/v1/me", bearer, None, 0 if reads_in_loop else 1),
            ("PATCH", "/api/v1/me", bearer, {"display_name": "One Step"}, 1),
        ]
        for method, path, headers, body, expected in requests:
            hand_offs = 0
            response = real_app.client.request(method, path, headers=headers, json=body)
            assert response.status_code == 200, response.text
            assert hand_offs == expected, (method, path, hand_offs)
    finally:
        event.remove(db.get_engine(), "commit", on_commit)
    assert turn_held_at_commit and all(turn_held_at_commit)
    with Session(real_app.engine) as session:
        assert session.exec(select(User.display_name).where(User.handle == "one_step")).one() == "One Step"
