"""The limiter counts in memory by default and in Redis when CHORUS_REDIS_URL is set, so workers share counts."""

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from app import rate_limits
from app.config import get_settings
from app.errors import TooManyRequests

REDIS_URL = "redis://127.0.0.1:6379/15"


def _hit_three_times(scope: str) -> None:
    rate_limits.hit("2/minute", scope, "someone@example.com", message="Slow down.")
    rate_limits.hit("2/minute", scope, "SOMEONE@example.com", message="Slow down.")  # keys ignore case
    with pytest.raises(TooManyRequests) as refused:
        rate_limits.hit("2/minute", scope, "someone@example.com", message="Slow down.")
    assert refused.value.status_code == 429
    assert 1 <= refused.value.retry_after <= 60


def test_memory_limiter_refuses_past_the_rate() -> None:
    _hit_three_times("memory-" + secrets.token_hex(4))


def test_limits_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "rate_limits_enabled", False)
    for _ in range(5):
        rate_limits.hit("1/minute", "off", "someone", message="Slow down.")


def test_redis_limiter_is_shared_through_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server at 127.0.0.1:6379 (CI machines have one)")
    scope = "redis-" + secrets.token_hex(4)
    monkeypatch.setattr(get_settings(), "redis_url", REDIS_URL)
    _hit_three_times(scope)
    assert any(scope in key.decode() for key in client.scan_iter(match=f"*{scope}*"))
    for key in client.scan_iter(match=f"*{scope}*"):
        client.delete(key)


DEAD_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


def test_with_redis_down_limits_fall_back_to_memory_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(get_settings(), "redis_url", DEAD_REDIS_URL)
    monkeypatch.setattr(rate_limits, "_last_warning", 0.0)
    scope = "fallback-" + secrets.token_hex(4)
    with caplog.at_level("WARNING", logger="chorus.rate_limits"):
        _hit_three_times(scope)  # still limited, by this process's count
        assert rate_limits.first_within("1/hour", scope + "-visit", "visitor")
        assert not rate_limits.first_within("1/hour", scope + "-visit", "visitor")
    warnings = [record for record in caplog.records if "Redis does not answer" in record.getMessage()]
    assert len(warnings) == 1, "one warning per minute, not one per request"


def _concurrent_passes(scope: str, *, attempts: int = 200, rate: str = "120/minute") -> int:
    """How many of ``attempts`` hits, all released at once from as many threads, get through."""
    start = threading.Barrier(attempts)

    def attempt(_: int) -> bool:
        start.wait()
        try:
            rate_limits.hit(rate, scope, "voter@example.com", message="Slow down.")
        except TooManyRequests:
            return False
        return True

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        return sum(pool.map(attempt, range(attempts)))


def test_memory_limiter_counts_exactly_under_concurrency() -> None:
    """200 attempts at once against 120/minute: exactly 120 through, on several fresh keys (a new key is where
    limits' own per-key lock could be dropped by its expiry timer while a hit waited on it)."""
    for round_number in range(5):
        assert _concurrent_passes(f"exact-{round_number}-" + secrets.token_hex(4)) == 120


def test_redis_limiter_counts_exactly_under_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server at 127.0.0.1:6379 (CI machines have one)")
    monkeypatch.setattr(get_settings(), "redis_url", REDIS_URL)
    scope = "redis-exact-" + secrets.token_hex(4)
    try:
        assert _concurrent_passes(scope) == 120
    finally:
        for key in client.scan_iter(match=f"*{scope}*"):
            client.delete(key)
