"""Settings: one object, read from the environment (prefix CHORUS_) and an optional .env file."""

import os
import secrets
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
    media_dir: Path | None = None
    redis_url: str | None = None

    # The secret signs session cookies, CSRF tokens and e-mail links. Set CHORUS_SECRET_KEY in production;
    # otherwise one is generated once and kept in <data_dir>/secret_key (mode 0600).
    secret_key: str | None = Field(default=None, repr=False)

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
    mail_from: str = "Chorus <no-reply@chorus.local>"
    dev_outbox: bool | None = None

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
    def resolved_secret_key(self) -> str:
        return self.secret_key or _stored_secret(self.data_dir)


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
