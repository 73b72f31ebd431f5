"""The production topology without Docker: two web processes and a worker as subprocesses, on a fresh PostgreSQL
schema, Redis (a namespace of its own) and an S3 server (moto), checked the way an operator would try it.

It runs in the PostgreSQL pass of `make test` (CHORUS_TEST_DATABASE_URL, as on CI) when Redis answers at
127.0.0.1:6379, and is skipped with its reason elsewhere. One test function walks the whole story in order (the
processes are expensive to start, and some steps depend on the ones before), each step with its own message.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.db import ROOT_DIR
from app.webhooks import service as webhooks_service
from app.webhooks.models import WebhookDelivery
from tests import clock, databases
from tests.factories import PASSWORD, add_member, add_staff, make_brand, make_community, make_user
from tests.media import corpus

REDIS_URL = "redis://127.0.0.1:6379/0"
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
START_SECONDS = 180.0  # generous: a busy CI machine starts Python slowly; a healthy start takes seconds
BUCKET = "chorus-topology"


def _skip_reason() -> str | None:
    url = os.environ.get("CHORUS_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return "needs PostgreSQL: runs in the PostgreSQL pass (CHORUS_TEST_DATABASE_URL=postgresql+psycopg://...)"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return "needs a Redis server at 127.0.0.1:6379 (CI machines have one)"
    if not (Path(sys.executable).parent / "moto_server").exists():
        return "needs moto_server (the dev extra's moto[server])"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Process:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    url: str = ""

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def signal_stop(self) -> None:
        """Ask the process to stop (SIGTERM) without waiting for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.signal_stop()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class Topology:
    database_url: str
    work_dir: Path
    environment: dict[str, str]
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, *arguments: str, **overrides: str) -> Process:
        log_path = self.work_dir / f"{name}.log"
        data_dir = self.work_dir / name  # each process a data directory of its own: nothing shared by disk
        data_dir.mkdir(exist_ok=True)
        environment = {**self.environment, "CHORUS_DATA_DIR": str(data_dir), **overrides}
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 (a fixed command line)
                [sys.executable, "-m", "tests.clock", "app.cli", *arguments],
                cwd=data_dir,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started = Process(name, process, log_path)
        self.processes.append(started)
        return started

    def start_web(self, name: str, **overrides: str) -> Process:
        """Start a web process; it is ready once ``wait_for_web`` returns (start several, then wait: they start
        in parallel)."""
        port = _free_port()
        web = self.start(name, "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port), **overrides)
        web.url = f"http://127.0.0.1:{port}"
        return web

    def run(self, *arguments: str) -> subprocess.Popen[bytes]:
        process = self.start(f"run-{secrets.token_hex(3)}", *arguments)
        return process.process


def _wait_for_web(*webs: Process) -> None:
    for web in webs:
        _wait_until(lambda web=web: _answers(f"{web.url}/healthz"), web, what=f"/healthz of {web.name}")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_until(
    condition: Callable[[], bool], process: Process | None = None, *, what: str, seconds: float = START_SECONDS
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.process.poll() is not None:
            break
        time.sleep(0.1)
    log = process.log_tail() if process is not None else ""
    raise AssertionError(f"no {what} within {seconds:.0f} s\n{log}")


class WebhookReceiver:
    """An HTTP server in this process that records the webhook deliveries it receives."""

    def __init__(self) -> None:
        received: list[dict[str, str]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                received.append({"event": self.headers.get("x-chorus-event", ""), "body": body.decode()})
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[Topology]:
    namespace = f"chorus-topology-{secrets.token_hex(4)}"
    s3_port = _free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CHORUS_")}
    with databases.temporary_database(label="topology", sqlite_dir=tmp_path) as database_url:
        environment.update(
            {
                "CHORUS_ENVIRONMENT": "production",
                "CHORUS_DATABASE_URL": database_url,
                "CHORUS_SECRET_KEY": "topology-" + secrets.token_urlsafe(32),
                "CHORUS_REDIS_URL": REDIS_URL,
                "CHORUS_REDIS_NAMESPACE": namespace,
                "CHORUS_WORKER_IN_PROCESS": "false",
                "CHORUS_STORAGE_BACKEND": "s3",
                "CHORUS_S3_BUCKET": BUCKET,
                "CHORUS_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
                "AWS_ACCESS_KEY_ID": "topology",
                "AWS_SECRET_ACCESS_KEY": "topology",
                "AWS_DEFAULT_REGION": "us-east-1",
                "CHORUS_FORWARDED_ALLOW_IPS": "127.0.0.1",
                "CHORUS_LOGIN_RATE_PER_IP": "3/minute",
                "CHORUS_LOGIN_RATE_PER_ACCOUNT": "5/minute",
                "CHORUS_WEBHOOK_ALLOW_PRIVATE_NETWORK": "true",
                "CHORUS_WORKER_HEARTBEAT_FILE": str(tmp_path / "worker-heartbeat"),
                "PYTHONPATH": str(ROOT_DIR),
                "PYTHONUNBUFFERED": "1",
                clock.SHIFT_VARIABLE: str(clock.shift_days()),
            }
        )
        topology = Topology(database_url, tmp_path, environment)
        s3_log = (tmp_path / "s3.log").open("wb")
        s3 = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
            stdout=s3_log,
            stderr=subprocess.STDOUT,
        )
        topology.processes.append(Process("s3", s3, tmp_path / "s3.log"))
        try:
            yield topology
        finally:
            for process in topology.processes:  # all asked at once, so they shut down side by side
                process.signal_stop()
            for process in reversed(topology.processes):
                process.stop()
            s3_log.close()
            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(match=f"*{namespace}*"):
                client.delete(key)


def _log_in(web: Process, login: str, *, forwarded_for: str = "198.51.100.1") -> httpx.Response:
    return httpx.post(
        f"{web.url}/api/v1/auth/session",
        json={"login": login, "password": PASSWORD},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=30,
    )


def _wrong_password(web: Process, login: str, *, forwarded_for: str) -> int:
    response = httpx.post(
        f"{web.url}/api/v1/auth/session",
        json={"login": login, "password": "not-the-password-1"},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=30,
    )
    return response.status_code


def _csrf(client: httpx.Client) -> dict[str, str]:
    if "csrftoken" not in client.cookies:
        client.get("/settings")  # a page with a form sets the CSRF cookie (the log-in page redirects members)
    return {"x-csrftoken": client.cookies["csrftoken"]}


def test_two_web_processes_and_a_worker_share_everything_and_survive_their_parts_failing(
    topology: Topology,
) -> None:
    import boto3

    # Two `chorus migrate` at once on the fresh database: the lock makes one wait, and both succeed.
    started = time.monotonic()
    migrations = [topology.run("migrate"), topology.run("migrate")]
    for migration in migrations:
        assert migration.wait(timeout=120) == 0, "\n".join(p.log_tail() for p in topology.processes)
    print(f"{time.monotonic() - started:.1f} s: migrated")

    bucket = boto3.client(
        "s3",
        endpoint_url=topology.environment["CHORUS_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="topology",
        aws_secret_access_key="topology",
    )
    _wait_until(lambda: _bucket_created(bucket), topology.processes[0], what="S3 server")

    receiver = WebhookReceiver()
    engine = create_engine(topology.database_url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            brand = make_brand(session)
            manager = make_user(session)
            add_staff(session, brand, manager)
            community = make_community(session, brand)
            member = make_user(session)
            limited = make_user(session)
            add_member(session, community, member)
            webhooks_service.create_endpoint(
                session, brand=brand, created_by_id=manager.id, url=receiver.url, events=["idea_created"]
            )
            session.commit()
            community_slug, member_handle, limited_handle = community.slug, member.handle, limited.handle

        first, second = topology.start_web("web-1"), topology.start_web("web-2")
        cut_off = topology.start_web("web-dead-redis", CHORUS_REDIS_URL=DEAD_REDIS_URL)  # used at the end
        _wait_for_web(first, second, cut_off)
        print(f"{time.monotonic() - started:.1f} s: web processes answer")

        # A log-in on one process is a session on the other (sessions in the database, one shared secret).
        logged_in = _log_in(first, member_handle)
        assert logged_in.status_code == 200, logged_in.text
        member_on_second = httpx.Client(base_url=second.url, cookies=logged_in.cookies, timeout=30)
        assert member_on_second.get("/api/v1/me").json()["handle"] == member_handle

        # Failed log-ins split across both processes hit one limit (counted in Redis): five per account from
        # five client addresses (each believed from X-Forwarded-For, as behind the proxy), then a sixth is refused.
        statuses = [
            _wrong_password((first, second)[attempt % 2], limited_handle, forwarded_for=f"203.0.113.{attempt}")
            for attempt in range(5)
        ]
        assert statuses == [401] * 5
        assert _log_in(first, limited_handle, forwarded_for="203.0.113.99").status_code == 429
        # ... and per client address: three from one address, the fourth refused, another address unaffected.
        assert [_wrong_password((first, second)[n % 2], f"nobody{n}", forwarded_for="192.0.2.7") for n in range(4)] == [
            401,
            401,
            401,
            429,
        ]
        assert _wrong_password(second, "nobody9", forwarded_for="192.0.2.8") == 401

        # A task enqueued by a web process is run by the worker only: nothing is delivered before one runs (however
        # long the upload below takes, and two seconds at least), then the worker delivers it.
        member_on_first = httpx.Client(base_url=first.url, cookies=logged_in.cookies, timeout=30)
        idea = member_on_first.post(
            f"/api/v1/communities/{community_slug}/ideas",
            json={"title": "Refill stations in stores", "description": "Bring the bottle back and fill it."},
            headers=_csrf(member_on_first),
        )
        assert idea.status_code == 201, idea.text
        queued_at = time.monotonic()

        # An upload on one process is served by the other, from the bucket.
        idea_id = idea.json()["id"]
        photo = member_on_first.put(
            f"/api/v1/ideas/{idea_id}/photo",
            files={"photo": ("photo.png", corpus.png(), "image/png")},
            headers=_csrf(member_on_first),
        )
        assert photo.status_code == 200, photo.text
        stored = {item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
        rendition_urls = [url for url in _urls(photo.json()) if url.startswith("/media/")]
        assert rendition_urls, photo.json()
        for url in rendition_urls:
            assert url.removeprefix("/media/") in stored
            served = httpx.get(f"{second.url}{url}", timeout=30)
            assert served.status_code == 200 and served.content, url
            assert httpx.head(f"{second.url}{url}", timeout=30).status_code == 200
        assert httpx.get(f"{second.url}/readyz", timeout=30).json()["status"] == "ready"
        print(f"{time.monotonic() - started:.1f} s: upload served")

        time.sleep(max(0.0, 2.0 - (time.monotonic() - queued_at)))
        assert receiver.received == [], "a web process ran the task itself"
        worker = topology.start("worker", "worker")
        _wait_until(lambda: len(receiver.received) == 1, worker, what="webhook delivered by the worker")
        print(f"{time.monotonic() - started:.1f} s: the worker delivered")
        assert receiver.received[0]["event"] == "idea_created"
        _wait_until(
            lambda: Path(topology.environment["CHORUS_WORKER_HEARTBEAT_FILE"]).exists(), worker, what="worker heartbeat"
        )
        check = topology.run("worker", "--check")  # beside the steps below; its answer is read at the end

        # Stopping one web process under load costs the other's clients nothing.
        answers = _load_while_stopping(member_on_second_url=second.url, cookies=logged_in.cookies, stopped=first)
        assert answers and set(answers) == {200}, f"{len(answers)} answers: {sorted(set(answers))}"
        # Gracefully: uvicorn finishes what it serves, then ends by the signal it was sent.
        assert first.process.returncode in (0, -signal.SIGTERM), first.log_tail()
        assert "Application shutdown complete" in first.log_tail()

        # Redis down (a web process pointed at a dead port): no 500s, rate limits in memory, readiness fails, and a
        # write whose task cannot be queued is answered and its delivery kept for the worker's next run.
        assert _log_in(cut_off, member_handle).status_code == 200
        assert _wrong_password(cut_off, member_handle, forwarded_for="198.51.100.50") == 401
        ready = httpx.get(f"{cut_off.url}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["checks"]["redis"]["ok"] is False
        member_cut_off = httpx.Client(base_url=cut_off.url, cookies=_log_in(cut_off, member_handle).cookies)
        kept = member_cut_off.post(
            f"/api/v1/communities/{community_slug}/ideas",
            json={"title": "Paper tape on parcels", "description": "No plastic tape, please."},
            headers=_csrf(member_cut_off),
            timeout=30,
        )
        assert kept.status_code == 201, kept.text
        with Session(engine) as session:
            pending = session.execute(select(WebhookDelivery.status)).scalars().all()
        assert len(pending) == 2, pending
        # The next task the queue carries (another idea, through the process that reaches Redis) delivers both.
        another = member_on_second.post(
            f"/api/v1/communities/{community_slug}/ideas",
            json={"title": "Bulk sizes", "description": "A two litre bottle."},
            headers=_csrf(member_on_second),
        )
        assert another.status_code == 201, another.text
        _wait_until(lambda: len(receiver.received) == 3, worker, what="the kept delivery sent")
        assert check.wait(timeout=60) == 0, "worker --check: the worker's heartbeat was not fresh"
    finally:
        receiver.close()
        engine.dispose()


def _bucket_created(bucket: object) -> bool:
    """Create the bucket; False while the S3 server does not listen yet."""
    from botocore.exceptions import EndpointConnectionError

    try:
        bucket.create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
    except EndpointConnectionError:
        return False
    return True


def _urls(value: object) -> Iterator[str]:
    """Every string in a JSON value that looks like a path (where the API puts rendition URLs)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from _urls(item)
    elif isinstance(value, str) and value.startswith("/"):
        yield value


def _load_while_stopping(*, member_on_second_url: str, cookies: httpx.Cookies, stopped: Process) -> list[int]:
    """Four clients reading the second process before, while and after the first is stopped (SIGTERM): each sends
    requests for half a second before the signal, and three more once the first process has exited."""
    exited = threading.Event()

    def client_loop() -> list[int]:
        statuses = []
        after = 0
        with httpx.Client(base_url=member_on_second_url, cookies=cookies, timeout=30) as client:
            while after < 3:
                after += exited.is_set()
                try:
                    statuses.append(client.get("/api/v1/me").status_code)
                except httpx.HTTPError as error:
                    statuses.append(-1)
                    print(error)
        return statuses

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(client_loop) for _ in range(4)]
        time.sleep(0.5)
        stopped.stop()
        exited.set()
        return [status for future in futures for status in future.result()]
