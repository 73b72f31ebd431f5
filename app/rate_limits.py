"""The one rate limiter: in memory by default, in Redis when CHORUS_REDIS_URL is set (shared by all workers).

When Redis does not answer, counting falls back to this process's memory, with a logged warning, rather than failing
the request: a log-in must not answer 500 because the limiter's store is down. Limits then hold per process only
(each replica counts its own attempts) until Redis answers again; ``/readyz`` reports Redis as failed meanwhile, so
the load balancer and the operator know.
"""

import logging
import math
import time
from functools import lru_cache
from typing import cast

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.config import get_settings
from app.errors import TooManyRequests

logger = logging.getLogger("chorus.rate_limits")
MEMORY = "memory://"
# At most one warning per this many seconds while Redis is down, not one per request.
WARNING_INTERVAL_SECONDS = 60.0
_last_warning = 0.0


@lru_cache
def _limiter(storage_uri: str) -> tuple[Storage, MovingWindowRateLimiter]:
    options: dict[str, float | str] = {}
    if storage_uri != MEMORY:
        timeout = get_settings().redis_timeout_seconds
        options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
        options["key_prefix"] = f"{get_settings().redis_namespace}-limits"
    storage = cast(Storage, storage_from_string(storage_uri, **options))
    return storage, MovingWindowRateLimiter(storage)


def _storage_uri() -> str:
    return get_settings().redis_url or MEMORY


def _hit(item: RateLimitItem, identifiers: tuple[str, ...]) -> tuple[bool, MovingWindowRateLimiter]:
    """Count one hit in the configured store, or in memory when that store is down; also return the limiter
    that counted it (to read its window)."""
    storage, limiter = _limiter(_storage_uri())
    try:
        return limiter.hit(item, *identifiers), limiter
    except storage.base_exceptions:
        _warn_fallback()
        _, memory = _limiter(MEMORY)
        return memory.hit(item, *identifiers), memory


def _warn_fallback() -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARNING_INTERVAL_SECONDS or _last_warning == 0.0:
        _last_warning = now
        logger.warning(
            "Redis does not answer (CHORUS_REDIS_URL): rate limits are counted in this process's memory until it does",
            exc_info=True,
        )


def hit(rate: str, scope: str, key: str, *, message: str) -> None:
    """Count one attempt against ``rate`` (e.g. "5/minute") for ``scope`` and ``key``; raise TooManyRequests past it."""
    settings = get_settings()
    if not settings.rate_limits_enabled:
        return
    item: RateLimitItem = parse(rate)
    identifiers = ("chorus", scope, key.lower())
    allowed, limiter = _hit(item, identifiers)
    if not allowed:
        try:
            reset_at = limiter.get_window_stats(item, *identifiers).reset_time
        except Exception:  # the store went down between the hit and this read: a minute is a fair guess
            reset_at = time.time() + 60
        raise TooManyRequests(message, retry_after=max(1, math.ceil(reset_at - time.time())))


def first_within(rate: str, scope: str, key: str) -> bool:
    """Count one event against ``rate`` for ``scope`` and ``key``; False past it. For counting an event at most so
    often (a visit per visitor) where going past the rate is not an error to show."""
    if not get_settings().rate_limits_enabled:
        return True
    allowed, _ = _hit(parse(rate), ("chorus", scope, key.lower()))
    return allowed


def reset() -> None:
    """Forget every count (tests, and an operator's escape hatch)."""
    storage, _ = _limiter(_storage_uri())
    storage.reset()
    if _storage_uri() != MEMORY:
        _limiter(MEMORY)[0].reset()
