"""The team's daily signal volume is kept with every roll-up write and equals the roll-up."""

from alembic import command
from sqlalchemy import func, select

from intentsync.db.migrate import alembic_config
from intentsync.db.models import SignalDaily, SignalVolume
from tests.signals.test_ingest import send, sig


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
    volume = _volume(ws)
    assert [(source, quantity) for _, source, quantity in volume] == [
        ("g2", 4.0),
        ("website", 1.0),  # the page view, not the derived visitor row
        ("g2", 3.0),
    ]
    assert volume == _roll_up_sums(ws)


def test_the_migration_fills_the_volume_from_the_roll_up(ws, database_url):
    send(ws, sig("g2", "acme.com", "pricing", quantity=5), sig("g2", "beta.com", "pricing"))
    before = _volume(ws)
    config = alembic_config(database_url)
    command.downgrade(config, "0005")
    try:
        command.upgrade(config, "0006")
    finally:
        command.upgrade(config, "head")
    assert _volume(ws) == before == _roll_up_sums(ws)
