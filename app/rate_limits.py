"""The one rate limiter: in memory by default, in Redis when CHORUS_REDIS_URL is set (shared by all workers)."""

import math
import time
from functools import lru_cache
from typing import cast

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.config import get_settings
from app.errors import TooManyRequests


@lru_cache
def _limiter(storage_uri: str) -> tuple[Storage, MovingWindowRateLimiter]:
    storage = cast(Storage, storage_from_string(storage_uri))
    return storage, MovingWindowRateLimiter(storage)


def _storage_uri() -> str:
    return get_settings().redis_url or "memory://"


def hit(rate: str, scope: str, key: str, *, message: str) -> None:
    """Count one attempt against ``rate`` (e.g. "5/minute") for ``scope`` and ``key``; raise TooManyRequests past it."""
    settings = get_settings()
    if not settings.rate_limits_enabled:
        return
    item: RateLimitItem = parse(rate)
    _, limiter = _limiter(_storage_uri())
    identifiers = ("chorus", scope, key.lower())
    if not limiter.hit(item, *identifiers):
        reset_at = limiter.get_window_stats(item, *identifiers).reset_time
        raise TooManyRequests(message, retry_after=max(1, math.ceil(reset_at - time.time())))


def first_within(rate: str, scope: str, key: str) -> bool:
    """Count one event against ``rate`` for ``scope`` and ``key``; False past it. For counting an event at most so
    often (a visit per visitor) where going past the rate is not an error to show."""
    if not get_settings().rate_limits_enabled:
        return True
    _, limiter = _limiter(_storage_uri())
    return limiter.hit(parse(rate), "chorus", scope, key.lower())


def reset() -> None:
    """Forget every count (tests, and an operator's escape hatch)."""
    storage, _ = _limiter(_storage_uri())
    storage.reset()
