"""Sales activities become sales signals with exact types and days."""

import pytest

from intentsync.scoring.compute import DailySignal
from intentsync.scoring.sales import classify, sales_signals

DAY = 86_400_000


@pytest.mark.parametrize(
    ("kind", "direction", "outcome", "minutes", "expected"),
    [
        ("email", "outbound", None, None, "outbound_email"),
        ("email", None, None, None, "outbound_email"),
        ("email", "inbound", None, None, "inbound"),
        ("call", "inbound", None, 3, "inbound"),
        ("call", "outbound", "Connected", None, "connected_call"),
        ("call", "outbound", None, 4.5, "connected_call"),
        ("call", "outbound", "No answer", 1, "outbound_call"),
        ("call", "outbound", "Left voicemail", 2, "outbound_call"),
        ("call", "outbound", "not connected", None, "outbound_call"),
        ("call", None, None, None, "outbound_call"),
    ],
)
def test_classify(kind, direction, outcome, minutes, expected):
    assert classify(kind, direction, outcome, minutes) == expected


def test_sales_signals_roll_up_per_type_and_day_with_long_calls():
    rows = [
        ("call", "outbound", "Connected", 12.0, 10 * DAY + 5),
        ("call", "outbound", "Connected", 9.0, 10 * DAY + 6),
        ("call", "outbound", "Connected", 10.0, 11 * DAY),
        ("email", "outbound", None, None, 10 * DAY),
    ]
    got = sorted(sales_signals(rows, long_call_minutes=10), key=lambda s: (s.day, s.type))
    assert got == [
        DailySignal("sales", "connected_call", 10, 2.0),
        DailySignal("sales", "connected_call_long", 10, 1.0),
        DailySignal("sales", "outbound_email", 10, 1.0),
        DailySignal("sales", "connected_call", 11, 1.0),
        DailySignal("sales", "connected_call_long", 11, 1.0),
    ]
