"""The one rate limiter: in memory by default, in Redis when CHORUS_REDIS_URL is set (shared by all workers)."""

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

# Requests beyond this many at once wait (up to the timeout) for a Redis connection instead of failing with
# redis-py's "Too many connections", which would answer 500 under a burst.
REDIS_CONNECTIONS = 50
REDIS_CONNECTION_WAIT_SECONDS = 5


@lru_cache
def _limiter(storage_uri: str) -> tuple[Storage, MovingWindowRateLimiter]:
    if storage_uri.startswith(("redis://", "rediss://")):
        pool = redis.BlockingConnectionPool.from_url(
            storage_uri, max_connections=REDIS_CONNECTIONS, timeout=REDIS_CONNECTION_WAIT_SECONDS
        )
        storage = cast(Storage, storage_from_string(storage_uri, connection_pool=pool))  # type: ignore[arg-type]
    else:
        storage = cast(Storage, storage_from_string(storage_uri))
    return storage, MovingWindowRateLimiter(storage)


def _storage_uri() -> str:
    return get_settings().redis_url or "memory://"


# limits' MemoryStorage lets one more through than the rate under concurrency: its expiry timer drops a key's lock
# while a hit waits on it, so the next hit takes a new lock and two threads count at once (121 of a 120/minute
# window). One lock around every in-memory count makes it exact; Redis counts in one Lua script, atomic already.
_memory_count_lock = threading.Lock()


def _count(item: RateLimitItem, *identifiers: str) -> bool:
    storage, limiter = _limiter(_storage_uri())
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
    _, limiter = _limiter(_storage_uri())
    identifiers = ("chorus", scope, key.lower())
    if not _count(item, *identifiers):
        reset_at = limiter.get_window_stats(item, *identifiers).reset_time
        raise TooManyRequests(message, retry_after=max(1, math.ceil(reset_at - time.time())))


def first_within(rate: str, scope: str, key: str) -> bool:
    """Count one event against ``rate`` for ``scope`` and ``key``; False past it. For counting an event at most so
    often (a visit per visitor) where going past the rate is not an error to show."""
    if not get_settings().rate_limits_enabled:
        return True
    return _count(parse(rate), "chorus", scope, key.lower())


def reset() -> None:
    """Forget every count (tests, and an operator's escape hatch)."""
    storage, _ = _limiter(_storage_uri())
    storage.reset()
