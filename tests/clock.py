"""One reading of the clock per test run, so a run that crosses midnight UTC keeps its 'today'."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

TODAY = datetime.now(UTC).date()
DAY = (TODAY - date(1970, 1, 1)).days
_LAST_START = time(23, 55, tzinfo=UTC)  # a test starts early enough to end on the same day


def on_today(real: datetime) -> datetime:
    """The real instant moved back by whole days onto TODAY, and no later than 23:55 on it."""
    moved = real - timedelta(days=(real.date() - TODAY).days)
    return min(moved, datetime.combine(TODAY, _LAST_START))


@contextmanager
def kept_on_today() -> Iterator[None]:
    """Move every clock in this process onto TODAY, ticking from the real time of day."""
    with time_machine.travel(on_today(datetime.now(UTC)), tick=True):
        yield


@pytest.fixture
def same_day() -> Iterator[None]:
    """Modules date their data at collection; the app reads the clock later, on the same day."""
    with kept_on_today():
        yield
