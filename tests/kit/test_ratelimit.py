"""The per-key limiter behind POST /track: pure, no clock tricks needed for small limits."""

import pytest

from intentsync.config import Settings
from intentsync.kit.ratelimit import RateLimiter, parse_limits


def test_a_key_over_its_limit_waits_and_other_keys_do_not():
    limiter = RateLimiter("2/minute", namespace="t")
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("a") is None
    wait = limiter.retry_after("a")
    assert wait is not None
    assert 1 <= wait <= 60
    assert limiter.retry_after("b") is None


def test_every_limit_in_a_list_applies():
    limiter = RateLimiter("1/second;100/hour", namespace="t")
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("a") == 1


def test_off_never_limits():
    limiter = RateLimiter("off", namespace="t")
    assert all(limiter.retry_after("a") is None for _ in range(500))


@pytest.mark.parametrize("spec", ["", "lots", "120/fortnight", "-1/minute"])
def test_a_bad_setting_stops_start_up_with_an_example(spec):
    with pytest.raises(ValueError, match="write it like '120/minute'"):
        parse_limits(spec)
    with pytest.raises(ValueError, match="is not a rate limit"):
        Settings(track_rate_limit=spec)
