"""The test clock keeps a run's 'today' when the run crosses midnight UTC."""

from datetime import UTC, datetime, timedelta

import time_machine

from intentsync.kit.clock import day_of, now_ms
from tests import clock


def test_a_real_instant_on_a_later_day_moves_back_onto_today_at_the_same_time_of_day():
    real = datetime.combine(clock.TODAY + timedelta(days=2), datetime.min.time(), UTC)
    real += timedelta(hours=9, minutes=30)
    assert clock.on_today(real) == real - timedelta(days=2)


def test_a_start_too_near_midnight_is_held_back_so_the_test_ends_on_the_same_day():
    real = datetime.combine(clock.TODAY, datetime.min.time(), UTC) + timedelta(hours=23, minutes=59)
    assert clock.on_today(real).date() == clock.TODAY
    assert clock.on_today(real).hour * 60 + clock.on_today(real).minute == 23 * 60 + 55


def test_the_app_reads_today_when_the_real_clock_has_passed_midnight():
    tomorrow = datetime.combine(clock.TODAY + timedelta(days=1), datetime.min.time(), UTC)
    with time_machine.travel(tomorrow + timedelta(minutes=5), tick=False):
        assert day_of(now_ms()) == clock.DAY + 1
        with clock.kept_on_today():
            assert day_of(now_ms()) == clock.DAY
            assert datetime.now(UTC).date() == clock.TODAY
