"""Settings: one object, read from the environment (prefix CHORUS_) and an optional .env file."""

import os
import secrets
import tempfile
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHORUS_", env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    site_name: str = "Chorus"
    base_url: str = "http://127.0.0.1:8000"

    data_dir: Path = Path("var")
    database_url: str = ""
    # Requests that may use the database at once, per server process (app.db.database_turn); the others wait in
    # the event loop, first come, first served. The connection pool is this big (plus 10 for streamed exports and
    # background tasks); keep it below the 40 threads that run requests' blocking code.
    database_slots: int = Field(default=16, ge=1, le=32)
    media_dir: Path | None = None
    redis_url: str | None = None
    # Seconds to wait for Redis (connecting, then answering) before treating it as down: rate limits then fall
    # back to this process's memory and readiness fails, instead of requests hanging on a dead host.
    redis_timeout_seconds: float = Field(default=2.0, gt=0)
    # Every key Chorus keeps in Redis (the task queue, rate-limit counts) starts with this, so several sites (or test
    # runs) can share one Redis server.
    redis_namespace: str = Field(default="chorus", pattern=r"^[A-Za-z0-9_.-]{1,64}$")

    # The secret signs session cookies, CSRF tokens and e-mail links. Set CHORUS_SECRET_KEY in production;
    # otherwise one is generated once and kept in <data_dir>/secret_key (mode 0600).
    secret_key: str | None = Field(default=None, repr=False)

    # Whether site administrators must sign in with two-factor authentication to use their admin powers (unset:
    # only in production).
    require_admin_2fa: bool | None = None

    session_cookie_name: str = "chorus_session"
    session_days: int = 14
    cookie_secure: bool = False

    confirm_email_hours: int = 48
    password_reset_minutes: int = 60
    password_min_length: int = 10
    # zxcvbn's 0-4 guessability score; 2 means "somewhat guessable" is refused, 3 is accepted.
    password_min_strength: int = 3

    max_request_bytes: int = 25 * 1024 * 1024

    # Image uploads (app/media): the largest file and the most pixels (width x height) accepted; larger images are
    # refused before they are decoded.
    max_upload_bytes: int = 20 * 1024 * 1024
    max_upload_pixels: int = 40_000_000
    # Where media files are kept: "local" (under media_dir, default <data_dir>/media) or "s3" (an S3-compatible
    # bucket; needs the s3 extra, boto3, and takes its credentials from the usual AWS environment variables).
    # S3_PUBLIC_URL, if set, is where the bucket's public renditions/ prefix is reachable (a CDN, or the bucket's
    # own URL); otherwise the app serves them at /media.
    storage_backend: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_public_url: str | None = None

    # Design challenges: the per-member submission limit a new challenge starts with, and the weight C of the
    # Bayesian prior in rankings ((C * challenge mean + score sum) / (C + score count)).
    challenge_max_designs_per_member: int = 3
    ranking_prior_weight: int = 5

    # Comments on designs: how long after posting their author may still edit one.
    comment_edit_minutes: int = 15

    # Rate limits in the notation of the `limits` library.
    rate_limits_enabled: bool = True
    login_rate_per_ip: str = "20/minute"
    login_rate_per_account: str = "5/minute"
    score_rate_per_account: str = "120/minute"
    upload_rate_per_account: str = "20/hour"
    comment_rate_per_account: str = "20/minute"
    signup_rate_per_ip: str = "10/hour"
    reset_rate_per_ip: str = "10/hour"
    reset_rate_per_account: str = "3/hour"

    # Benchmarks only: a Server-Timing header (app;dur=<ms>) on every response (bench/README.md).
    server_timing: bool = False

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_starttls: bool = True
    mail_from: str = "Chorus <no-reply@chorus.local>"  # i18n: ignore
    dev_outbox: bool | None = None
    # Members answering surveys published to their community (app/surveys): one response per survey, so this only
    # slows down a script walking every survey.
    survey_rate_per_account: str = "30/hour"

    # The task queue (huey): a SQLite file in data_dir, or Redis when redis_url is set. Tasks run at once, in the
    # caller, when tasks_immediate is on (the default in tests). `chorus serve` runs the consumer in its own process
    # (threads) unless worker_in_process is off; then run `chorus worker` beside it.
    tasks_immediate: bool | None = None
    worker_in_process: bool = True
    worker_threads: int = 2
    # `chorus worker` touches this file while its threads run and its queue answers; `chorus worker --check` (and
    # `chorus healthcheck`, the image's health check) read it. Outside the shared data volume on purpose: each
    # worker container has its own.
    worker_heartbeat_file: Path = Path(tempfile.gettempdir()) / "chorus-worker-heartbeat"
    worker_heartbeat_max_age_seconds: int = Field(default=60, ge=5)

    # Serving: `chorus serve` migrates first (under a lock, so replicas starting together migrate once) unless
    # this is off or --no-migrate is given; run `chorus migrate` as a job of its own then. Behind a reverse proxy,
    # forwarded_allow_ips lists the proxies (comma-separated addresses or networks, or *) whose X-Forwarded-For
    # and X-Forwarded-Proto are believed; unset, uvicorn's FORWARDED_ALLOW_IPS or 127.0.0.1 applies.
    migrate_on_start: bool = True
    forwarded_allow_ips: str | None = None

    # Webhooks (app/webhooks): attempts per delivery, the first retry's delay (doubled per attempt, with jitter),
    # the request timeout, and whether endpoints may be private, loopback or link-local addresses (refused in
    # production unless set; allowed by default in development and tests).
    webhook_max_attempts: int = 6
    webhook_backoff_seconds: int = 30
    webhook_timeout_seconds: float = 5.0
    webhook_allow_private_network: bool | None = None
    webhook_test_rate_per_account: str = "10/minute"
    # The ideas board: how fast one account may post ideas, and vote or take votes back.
    idea_rate_per_account: str = "10/hour"
    question_rate_per_account: str = "10/hour"
    visitor_question_rate_per_ip: str = "5/hour"
    answer_rate_per_account: str = "30/hour"
    vote_rate_per_account: str = "120/minute"

    # Notification digests (UTC): the daily one at this hour, the weekly one on this weekday (0 = Monday) at the
    # same hour. Unsubscribe links in e-mail stay valid for this many days.
    digest_hour: int = Field(default=7, ge=0, le=23)
    digest_weekday: int = Field(default=0, ge=0, le=6)
    unsubscribe_link_days: int = 365

    # Sampling campaigns: applications per member, public survey answers per IP address.
    campaign_apply_rate_per_account: str = "10/hour"
    # Pledging to, changing or withdrawing from pre-orders (app.preorders), per account.
    pledge_rate_per_account: str = "30/hour"
    campaign_response_rate_per_ip: str = "30/hour"
    # Moderation: reports from this many distinct members hide content until a moderator decides (a community may
    # set its own); how fast one account may report.
    auto_hide_threshold: int = 3
    report_rate_per_account: str = "30/hour"

    # Rewards (app/rewards): rate limits on redeeming points and on sending sales (API and CSV uploads), how often a
    # visitor counts as a click on one referral link, and how long a referral link's cookie waits for a sign-up.
    redeem_rate_per_account: str = "10/minute"
    referral_click_rate_per_visitor: str = "1/hour"
    sales_import_rate_per_account: str = "60/minute"
    referral_cookie_days: int = 30
    # How old a sale's sold_at may be (older is refused as a likely mistake: a brand reports its sales as they
    # happen), and how far in the future it may be (clock skew between the brand's systems and ours).
    sale_max_age_days: int = 400
    sale_clock_skew_minutes: int = 5

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'chorus.db').as_posix()}"

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @property
    def dev_outbox_enabled(self) -> bool:
        """The development outbox page shows every queued e-mail, so it is off in production unless asked for."""
        if self.dev_outbox is not None:
            return self.dev_outbox
        return self.environment != Environment.production

    @property
    def resolved_tasks_immediate(self) -> bool:
        if self.tasks_immediate is not None:
            return self.tasks_immediate
        return self.environment == Environment.test

    @property
    def resolved_webhook_allow_private_network(self) -> bool:
        if self.webhook_allow_private_network is not None:
            return self.webhook_allow_private_network
        return self.environment != Environment.production

    @property
    def resolved_require_admin_two_factor(self) -> bool:
        if self.require_admin_2fa is not None:
            return self.require_admin_2fa
        return self.environment == Environment.production

    @property
    def resolved_secret_key(self) -> str:
        return self.secret_key or _stored_secret(self.data_dir)


class ConfigurationError(RuntimeError):
    """Settings a process must not start with; the message says which setting to fix."""


def check_start(settings: Settings) -> list[str]:
    """Refuse settings that break a deployment, and return warnings about the risky ones.

    In production a missing CHORUS_SECRET_KEY is refused: each replica would generate its own secret in its own
    data volume, and a session cookie signed by one would be refused by the next.
    """
    if settings.environment == Environment.production and not settings.secret_key:
        raise ConfigurationError(
            "CHORUS_SECRET_KEY is not set. In production every web process and worker must share one secret "
            "(it signs session cookies, CSRF tokens and e-mail links): set it, e.g. to the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    warnings = []
    if not settings.worker_in_process and not settings.redis_url and not settings.resolved_tasks_immediate:
        warnings.append(
            "CHORUS_WORKER_IN_PROCESS=false without CHORUS_REDIS_URL: tasks (e-mail, webhooks, digests) wait in "
            f"{settings.data_dir / 'tasks.db'} for a `chorus worker` on this machine's data directory; with "
            "replicas on several machines set CHORUS_REDIS_URL so one worker serves them all."
        )
    return warnings


def _stored_secret(data_dir: Path) -> str:
    """Read the generated secret, creating it with mode 0600 on first use."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race; use its secret
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as secret_file:
        secret_file.write(secret)
    return secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
