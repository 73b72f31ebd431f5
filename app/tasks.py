"""The task queue (huey): work that must not hold up a request, with retries.

A SQLite file in the data folder by default, Redis when ``CHORUS_REDIS_URL`` is set; in tests tasks run at once in
the caller (``Settings.resolved_tasks_immediate``). Services do not enqueue directly: they mark their session
(``app.after_commit.mark``), and whoever commits the transaction (``app.db.get_session``, ``session_scope``) enqueues
the marked tasks (``AFTER_COMMIT_TASKS``) once the commit has made the rows visible to the worker. Periodic tasks
(digests, the webhook and outbox retry sweeps) run in the consumer: ``chorus worker``, or the threads ``chorus
serve`` starts next to the web server.
"""

import logging
import time
from pathlib import Path
from typing import Any

import redis
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from app.config import Settings, get_settings

logger = logging.getLogger("chorus.tasks")


def build_huey(settings: Settings, *, name: str = "chorus") -> Huey:
    """The queue the settings ask for."""
    queue: Huey
    if settings.redis_url:
        # Time-outs, so a dead Redis host fails an enqueue quickly (the sweeps send its rows later) instead of
        # holding the request; reads wait longer than the consumer's one-second blocking pop.
        timeout = settings.redis_timeout_seconds
        pool = redis.ConnectionPool.from_url(
            settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout + 2
        )
        queue = RedisHuey(name, connection_pool=pool, utc=True)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        queue = SqliteHuey(name, filename=str(settings.data_dir / "tasks.db"), utc=True)
    queue.immediate = settings.resolved_tasks_immediate
    return queue


huey = build_huey(get_settings(), name=get_settings().redis_namespace)


@huey.task(retries=3, retry_delay=30)
def deliver_outbox() -> int:
    """Send the outbox by SMTP (nothing to do without an SMTP server: e-mail then waits in /dev/outbox)."""
    from app.notifications import service as notifications_service

    settings = get_settings()
    if not settings.smtp_host:
        return 0
    return notifications_service.deliver_pending(settings=settings)


@huey.periodic_task(crontab(minute="*/5"))
def retry_outbox() -> int:
    """E-mail whose first try failed (the SMTP server was down) is tried again every five minutes."""
    return int(deliver_outbox.call_local())


@huey.task()
def deliver_webhooks() -> int:
    """Deliver the webhook deliveries that are due (the new ones just committed, and retries whose time came)."""
    from app.webhooks import service as webhooks_service

    return webhooks_service.run_due_deliveries()


@huey.periodic_task(crontab(minute="*"))
def retry_webhooks() -> int:
    """Every minute: retries whose backoff has passed."""
    return int(deliver_webhooks.call_local())


@huey.periodic_task(crontab(minute="*"))
def tell_challenge_phases() -> int:
    """Every minute: tell the brands' webhooks of the challenge phases the clock has changed (submissions open,
    scoring opens, scoring closes); the deliveries it writes are sent after its commit."""
    from app.challenges import events as challenge_events
    from app.columns import utcnow
    from app.db import session_scope

    with session_scope() as session:
        return challenge_events.emit_phase_changes(session, now=utcnow())


@huey.periodic_task(crontab(minute="0"))
def send_digests() -> dict[str, int]:
    """Every hour on the hour: the daily and weekly digests, when this is their hour (``digest_hour``, UTC)."""
    from app.columns import utcnow
    from app.notifications import digests

    sent = digests.run_due_digests(now=utcnow())
    return {cadence.value: count for cadence, count in sent.items()}


@huey.periodic_task(crontab(minute="5"))
def send_brand_results() -> int:
    """Every hour: each brand's weekly results to its staff, once the week's moment has come (once per week)."""
    from app.brands import weekly_results
    from app.columns import utcnow

    return weekly_results.run_weekly_results(now=utcnow())


@huey.periodic_task(crontab(minute="*/5"))
def close_preorders() -> dict[str, int]:
    """Every five minutes: pre-orders past their deadline are closed (funded) or not funded (everyone told,
    addresses erased); a pre-order handled once is never handled again."""
    from app.preorders import outcomes

    return outcomes.close_due_preorders()


# What a transaction may ask for once it has committed (app.after_commit); app.wiring registers them.
AFTER_COMMIT_TASKS: dict[str, Any] = {
    "deliver_outbox": deliver_outbox,
    "deliver_webhooks": deliver_webhooks,
}


class _ThreadConsumer(Consumer):  # type: ignore[misc]
    """A consumer that runs beside the web server in its process: signals belong to uvicorn, not to huey."""

    def _set_signal_handlers(self) -> None:
        return None


class HeartbeatConsumer(Consumer):  # type: ignore[misc]
    """The consumer of `chorus worker`: at each health check (every ``health_check_interval`` seconds), when its
    threads are alive and its queue answers, it touches the heartbeat file that `chorus worker --check` reads."""

    def __init__(self, queue: Huey, *, heartbeat_file: Path, **options: Any) -> None:
        super().__init__(queue, health_check_interval=5, **options)
        self.heartbeat_file = heartbeat_file

    def start(self) -> None:
        super().start()
        self.beat()

    def check_worker_health(self) -> bool:
        healthy = bool(super().check_worker_health())
        self.beat()
        return healthy

    def beat(self) -> None:
        try:
            self.huey.pending_count()
        except Exception:
            logger.warning("The task queue does not answer; no heartbeat until it does", exc_info=True)
            return
        self.heartbeat_file.parent.mkdir(parents=True, exist_ok=True)
        self.heartbeat_file.write_text(f"{time.time():.0f}\n")

    def stop(self, graceful: bool = False) -> None:
        super().stop(graceful=graceful)
        self.heartbeat_file.unlink(missing_ok=True)


def heartbeat_age(heartbeat_file: Path) -> float | None:
    """Seconds since a worker last reported healthy through ``heartbeat_file``; None when there is no heartbeat."""
    try:
        return max(0.0, time.time() - heartbeat_file.stat().st_mtime)
    except FileNotFoundError:
        return None


def start_consumer(*, threads: int, queue: Huey | None = None) -> Consumer:
    """Start the scheduler and worker threads in this process; stop them with ``consumer.stop(graceful=True)``.

    Idle workers poll at most every second (huey's default backs off to ten), so shutting down stays quick.
    """
    consumer = _ThreadConsumer(queue or huey, workers=threads, worker_type="thread", periodic=True, max_delay=1.0)
    consumer.start()
    return consumer


def start_in_process_worker() -> Consumer | None:
    """The web server's own worker threads (one command runs everything), unless settings hand the queue to
    `chorus worker` processes, or tasks run in the caller anyway (tests)."""
    settings = get_settings()
    if not settings.worker_in_process or huey.immediate:
        return None
    return start_consumer(threads=settings.worker_threads)
