"""The one rate limiter: in memory by default, in Redis when CHORUS_REDIS_URL is set (shared by all workers).

When Redis does not answer, counting falls back to this process's memory, with a logged warning, rather than failing
the request: a log-in must not answer 500 because the limiter's store is down. Limits then hold per process only
(each replica counts its own attempts) until Redis answers again; ``/readyz`` reports Redis as failed meanwhile, so
the load balancer and the operator know.
"""

import logging
import math
import threading
import time
from functools import lru_cache
from typing import cast

import redis
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.config import get_settings
from app.errors import TooManyRequests

logger = logging.getLogger("chorus.rate_limits")
MEMORY = "memory://"
# At most one warning per this many seconds while Redis is down, not one per request.
WARNING_INTERVAL_SECONDS = 60.0
_last_warning = 0.0
# Requests beyond this many at once wait (up to the timeout) for a Redis connection instead of failing with
# redis-py's "Too many connections", which would answer 500 under a burst.
REDIS_CONNECTIONS = 50
REDIS_CONNECTION_WAIT_SECONDS = 5


@lru_cache
def _limiter(storage_uri: str) -> tuple[Storage, MovingWindowRateLimiter]:
    if storage_uri.startswith(("redis://", "rediss://")):
        settings = get_settings()
        pool = redis.BlockingConnectionPool.from_url(
            storage_uri,
            max_connections=REDIS_CONNECTIONS,
            timeout=REDIS_CONNECTION_WAIT_SECONDS,
            socket_connect_timeout=settings.redis_timeout_seconds,
            socket_timeout=settings.redis_timeout_seconds,
        )
        storage = cast(
            Storage,
            storage_from_string(
                storage_uri,
                connection_pool=pool,  # type: ignore[arg-type]
                key_prefix=f"{settings.redis_namespace}-limits",
            ),
        )
    else:
        storage = cast(Storage, storage_from_string(storage_uri))
    return storage, MovingWindowRateLimiter(storage)


def _storage_uri() -> str:
    return get_settings().redis_url or MEMORY


def _hit(item: RateLimitItem, identifiers: tuple[str, ...]) -> tuple[bool, MovingWindowRateLimiter]:
    """Count one hit in the configured store, or in memory when that store is down; also return the limiter
    that counted it (to read its window)."""
    storage, limiter = _limiter(_storage_uri())
    try:
        return _count(storage, limiter, item, identifiers), limiter
    except storage.base_exceptions:
        _warn_fallback()
        memory_storage, memory = _limiter(MEMORY)
        return _count(memory_storage, memory, item, identifiers), memory


def _warn_fallback() -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARNING_INTERVAL_SECONDS or _last_warning == 0.0:
        _last_warning = now
        logger.warning(
            "Redis does not answer (CHORUS_REDIS_URL): rate limits are counted in this process's memory until it does",
            exc_info=True,
        )


# limits' MemoryStorage lets one more through than the rate under concurrency: its expiry timer drops a key's lock
# while a hit waits on it, so the next hit takes a new lock and two threads count at once (121 of a 120/minute
# window). One lock around every in-memory count makes it exact; Redis counts in one Lua script, atomic already.
_memory_count_lock = threading.Lock()


def _count(
    storage: Storage, limiter: MovingWindowRateLimiter, item: RateLimitItem, identifiers: tuple[str, ...]
) -> bool:
    if isinstance(storage, MemoryStorage):
        with _memory_count_lock:
            return limiter.hit(item, *identifiers)
    return limiter.hit(item, *identifiers)


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
