"""Per-key rate limits kept in this server process's memory, in the `limits` notation."""

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

OFF = "off"


def parse_limits(spec: str) -> tuple[RateLimitItem, ...]:
    """Checked at start-up so a typo in the setting stops the server instead of every request."""
    if spec.strip().lower() == OFF:
        return ()
    try:
        return tuple(parse_many(spec))
    except ValueError:
        raise ValueError(
            f"'{spec}' is not a rate limit; write it like '120/minute' or "
            f"'10/second;300/hour', or '{OFF}'"
        ) from None


class RateLimiter:
    """A moving window per key: never more than the limit in any window, so waits are exact.

    It keeps one timestamp per counted request (at most the limit per key) until it expires.
    """

    def __init__(self, spec: str, *, namespace: str) -> None:
        self.items = parse_limits(spec)
        self.namespace = namespace
        self._limiter = MovingWindowRateLimiter(MemoryStorage()) if self.items else None

    def retry_after(self, key: str) -> int | None:
        """Counts one request for key; None when it may pass, else whole seconds to wait."""
        limiter = self._limiter
        if limiter is None:
            return None
        for item in self.items:  # test every limit first so a refused request counts nowhere
            if not limiter.test(item, self.namespace, key):
                reset = limiter.get_window_stats(item, self.namespace, key).reset_time
                return max(1, math.ceil(reset - time.time()))
        for item in self.items:
            limiter.hit(item, self.namespace, key)
        return None
