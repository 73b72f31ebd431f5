"""Readiness: whether this process can serve now, checked part by part (database, Redis, media storage).

``/healthz`` says the process answers (liveness: restart it if not); ``/readyz`` says whether the parts it depends
on answer too (readiness: a load balancer sends it no traffic while they do not). Each check is bounded in time, so
a dead host makes the answer a prompt 503 naming what failed, not a hung probe.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from pydantic import BaseModel
from sqlalchemy import text

from app.config import Settings
from app.db import get_engine
from app.media.storage import get_storage

logger = logging.getLogger("chorus.health")


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    milliseconds: float


class ReadinessCheck(BaseModel):
    ok: bool
    detail: str
    milliseconds: float


class Readiness(BaseModel):
    status: str
    checks: dict[str, ReadinessCheck]


def _check_database(_settings: Settings) -> str:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))
    return "answers"


def _check_redis(settings: Settings) -> str:
    if not settings.redis_url:
        return "not configured (rate limits in memory, tasks in a local file)"  # i18n: ignore (for operators)
    timeout = settings.redis_timeout_seconds
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
    return "answers"


def _check_storage(settings: Settings) -> str:
    get_storage().check()
    return settings.storage_backend


CHECKS: dict[str, Callable[[Settings], str]] = {
    "database": _check_database,
    "redis": _check_redis,
    "storage": _check_storage,
}


def check_readiness(settings: Settings) -> list[CheckResult]:
    """Run every check; a check that raises is a failure. The answer names the part and the kind of error; the
    error's message (host names, user names) goes to the log only, as /readyz is as public as the site."""
    results = []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail, ok = check(settings), True
        except Exception as error:
            logger.warning("Readiness check %s failed", name, exc_info=True)
            detail, ok = f"failed: {type(error).__name__} (details in the log)", False  # i18n: ignore (for operators)
        results.append(CheckResult(name, ok, detail, round((time.perf_counter() - started) * 1000, 1)))
    return results
