"""The task queue: which huey the settings build, tasks after commit, the in-process consumer, and Redis."""

import secrets
import socket
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey
from sqlalchemy import Engine
from sqlmodel import Session, select

from app import after_commit, tasks
from app.config import get_settings
from app.db import session_scope
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind, OutboxEmail
from tests.committed_database import committed_engine, worker_engine
from tests.factories import make_user

__all__ = ["committed_engine", "worker_engine"]  # fixtures used here


def test_tests_run_tasks_immediately_in_the_caller() -> None:
    assert get_settings().resolved_tasks_immediate is True
    assert tasks.huey.immediate is True


def test_the_default_queue_is_a_sqlite_file_in_the_data_folder(tmp_path: Path) -> None:
    settings = get_settings().model_copy(update={"data_dir": tmp_path, "tasks_immediate": False, "redis_url": None})
    queue = tasks.build_huey(settings)
    assert isinstance(queue, SqliteHuey) and queue.immediate is False
    assert Path(queue.storage.filename) == tmp_path / "tasks.db"


def test_production_settings_do_not_run_tasks_in_the_caller() -> None:
    settings = get_settings().model_copy(update={"environment": "production", "tasks_immediate": None})
    assert settings.resolved_tasks_immediate is False


def test_after_commit_enqueues_once_per_task_and_a_failing_queue_loses_nothing(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setitem(after_commit._WORK, "deliver_outbox", lambda: calls.append("outbox"))

    def broken() -> None:
        raise ConnectionError("queue is down")

    monkeypatch.setitem(after_commit._WORK, "deliver_webhooks", broken)
    after_commit.mark(session, "deliver_outbox")
    after_commit.mark(session, "deliver_outbox")
    after_commit.mark(session, "deliver_webhooks")
    after_commit.run(session)  # the broken one is logged; the periodic sweeps pick its rows up
    assert calls == ["outbox"]
    assert after_commit.MARKS not in session.info
    after_commit.mark(session, "deliver_outbox")
    after_commit.discard(session)
    after_commit.run(session)
    assert calls == ["outbox"]


def test_the_in_process_consumer_runs_tasks_beside_the_web_server(tmp_path: Path) -> None:
    """What `chorus serve` starts: worker threads in this process, no signal handlers taken from uvicorn."""
    queue = SqliteHuey("consumer-test", filename=str(tmp_path / "q.db"), utc=True)

    @queue.task()
    def double(number: int) -> int:
        return number * 2

    consumer = tasks.start_consumer(threads=1, queue=queue)
    try:
        assert double(21).get(blocking=True, timeout=10) == 42
    finally:
        consumer.stop(graceful=True)


def _redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_is_up(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_configured_the_queue_lives_in_redis() -> None:
    settings = get_settings().model_copy(update={"redis_url": "redis://127.0.0.1:6379/0", "tasks_immediate": False})
    queue = tasks.build_huey(settings, name=f"chorus-test-{secrets.token_hex(4)}")
    assert isinstance(queue, RedisHuey)

    @queue.task()
    def add(a: int, b: int) -> int:
        return a + b

    try:
        result = add(2, 3)
        assert len(queue) == 1  # waiting in Redis for a worker
        queued = queue.dequeue()
        assert queued is not None
        queue.execute(queued)
        assert result.get() == 5
    finally:
        queue.flush()


def test_periodic_tasks_run_on_their_schedule() -> None:
    at = datetime(2026, 11, 23, 7, 0)
    assert tasks.send_digests.task_class().validate_datetime(at)
    assert not tasks.send_digests.task_class().validate_datetime(at.replace(minute=1))
    assert tasks.retry_webhooks.task_class().validate_datetime(at.replace(minute=1))
    assert tasks.retry_outbox.task_class().validate_datetime(at.replace(minute=5))
    assert not tasks.retry_outbox.task_class().validate_datetime(at.replace(minute=6))


def test_the_digest_task_runs_the_digests_due_now(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.notifications import digests
    from app.notifications.models import Delivery

    seen: list[datetime] = []

    def fake_run(*, now: datetime) -> dict[Delivery, int]:
        seen.append(now)
        return {Delivery.daily: 3}

    monkeypatch.setattr(digests, "run_due_digests", fake_run)
    assert tasks.send_digests.call_local() == {"daily": 3}
    assert len(seen) == 1 and seen[0].tzinfo is not None


def test_email_queued_in_a_transaction_is_sent_by_the_queue_after_commit(
    worker_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Immediate mode end to end: notify -> commit -> deliver_outbox (huey) -> SMTP."""
    sent: list[EmailMessage] = []

    class RecordingSMTP:
        def __init__(self, *_args: object, **_kwargs: object) -> None: ...

        def __enter__(self) -> "RecordingSMTP":
            return self

        def __exit__(self, *_exc: object) -> None: ...

        def starttls(self) -> None: ...

        def send_message(self, message: EmailMessage) -> None:
            sent.append(message)

    monkeypatch.setattr(notifications_service.smtplib, "SMTP", RecordingSMTP)
    monkeypatch.setattr(get_settings(), "smtp_host", "mail.example.com")
    with session_scope() as session:
        user = make_user(session)
        notifications_service.notify(
            session, user=user, kind=NotificationKind.comment_reply, text="Ana replied", link="/designs/1"
        )
        assert sent == []  # nothing leaves inside the transaction
    (message,) = sent
    assert message["To"] == user.email and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with Session(worker_engine) as session:
        (email,) = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == user.email)).all()
        assert email.sent_at is not None
