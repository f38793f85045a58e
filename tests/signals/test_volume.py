"""The team's daily signal volume is kept with every roll-up write and equals the roll-up."""

import pytest
from alembic import command
from sqlalchemy import func, select

from intentsync.db.migrate import alembic_config
from intentsync.db.models import SignalDaily, SignalFoldMark, SignalVolume
from intentsync.signals.service import daily_volume, fold_new_signals
from tests.signals.test_ingest import send, sig


def _fold(ws):
    with ws.db.transaction() as session:
        return fold_new_signals(session, team_id=ws.team_id)


def _chart(ws):
    with ws.db.transaction(write=False) as session:
        return daily_volume(session, team_id=ws.team_id, days=90)


def _volume(ws):
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(SignalVolume.day, SignalVolume.source, SignalVolume.quantity)
            .where(SignalVolume.team_id == ws.team_id)
            .order_by(SignalVolume.day, SignalVolume.source)
        )
        return [tuple(r) for r in rows]


def _roll_up_sums(ws):
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(SignalDaily.day, SignalDaily.source, func.sum(SignalDaily.quantity))
            .where(SignalDaily.team_id == ws.team_id, SignalDaily.type != "visitor")
            .group_by(SignalDaily.day, SignalDaily.source)
            .order_by(SignalDaily.day, SignalDaily.source)
        )
        return [tuple(r) for r in rows]


def test_volume_sums_signals_per_day_and_source_without_visitors(ws):
    send(
        ws,
        sig("g2", "acme.com", "pricing", "2026-11-20T10:00:00Z", quantity=3),
        sig("g2", "beta.com", "compare", "2026-11-20T11:00:00Z"),
        sig(
            "website",
            "acme.com",
            "pricing",
            "2026-11-20T10:00:00Z",
            key="pv-1",
            attributes={"visitorId": "v1"},
        ),
        sig("g2", "acme.com", "pricing", "2026-11-21T10:00:00Z"),
    )
    send(ws, sig("g2", "acme.com", "compare", "2026-11-21T12:00:00Z", quantity=2))
    assert _fold(ws) == 5
    volume = _volume(ws)
    assert [(source, quantity) for _, source, quantity in volume] == [
        ("g2", 4.0),
        ("website", 1.0),  # the page view, not the derived visitor row
        ("g2", 3.0),
    ]
    assert volume == _roll_up_sums(ws)


def test_the_migration_fills_the_volume_from_the_roll_up(lone_ws):
    ws = lone_ws
    send(ws, sig("g2", "acme.com", "pricing", quantity=5), sig("g2", "beta.com", "pricing"))
    _fold(ws)
    before = _volume(ws)
    config = alembic_config(ws.db.url)
    command.downgrade(config, "0005")
    try:
        command.upgrade(config, "0006")
    finally:
        command.upgrade(config, "head")
    assert _volume(ws) == before == _roll_up_sums(ws)


def test_the_chart_counts_signals_the_scoring_round_has_not_folded_yet(ws):
    send(ws, sig("g2", "acme.com", "pricing", "2026-11-20T10:00:00Z", quantity=3))
    assert _fold(ws) == 1
    send(
        ws,
        sig("g2", "acme.com", "pricing", "2026-11-20T12:00:00Z", quantity=2, key="second"),
        sig("linkedin", "beta.com", "click", "2026-11-21T10:00:00Z", key="click-1"),
    )
    assert _volume(ws) == [(20777, "g2", 3.0)]  # the table has only the folded signal
    before = _chart(ws)
    day = 20777 - before.first_day
    assert before.by_source["g2"][day] == 5.0
    assert before.by_source["linkedin"][day + 1] == 1.0
    assert _fold(ws) == 2
    assert _fold(ws) == 0  # folded once: a second fold finds nothing and adds nothing
    assert _chart(ws) == before
    assert _volume(ws) == _roll_up_sums(ws) == [(20777, "g2", 5.0), (20778, "linkedin", 1.0)]


def test_the_fold_mark_starts_at_what_was_rolled_up_and_a_downgrade_waits_for_the_rest(
    lone_ws,
):
    ws = lone_ws
    send(ws, sig("g2", "acme.com", "pricing", quantity=5), sig("g2", "beta.com", "pricing"))
    _fold(ws)
    rolled = _roll_up_sums(ws)
    config = alembic_config(ws.db.url)
    command.downgrade(config, "0015")
    command.upgrade(config, "head")
    assert _fold(ws) == 0, "the upgrade must start after the events already rolled up"
    assert _roll_up_sums(ws) == rolled
    send(ws, sig("g2", "gamma.com", "pricing"))
    with pytest.raises(RuntimeError, match="1 signals are not rolled up yet"):
        command.downgrade(config, "0015")
    with ws.db.transaction(write=False) as session:
        query = select(SignalFoldMark.event_id).where(SignalFoldMark.team_id == ws.team_id)
        assert session.scalar(query) is not None, "the refused downgrade kept the marks"
    assert _fold(ws) == 1
