"""Page views recorded in one ingest: categorised by the team's patterns, repeats stored once."""

from sqlalchemy import select

from intentsync.db.models import SignalEvent
from intentsync.tracking.service import (
    Visit,
    locate,
    record_many,
    set_page_patterns,
    tracker_for_team,
)


def test_located_views_become_website_signals_in_one_call(ws):
    views = [
        Visit(
            url="https://x.example/pricing", visitor_id="v1", page_view_id="p1", domain="a.example"
        ),
        Visit(
            url="https://x.example/docs/start",
            visitor_id="v2",
            page_view_id="p2",
            domain="a.example",
        ),
        Visit(
            url="https://x.example/offers", visitor_id="v3", page_view_id="p3", domain="b.example"
        ),
    ]
    with ws.db.transaction() as session:
        set_page_patterns(session, team_id=ws.team_id, patterns=[["pricing", "^/offers$"]])
        tracker = tracker_for_team(session, team_id=ws.team_id)
        located = [(v, locate(session, tracker=tracker, visit=v, client_ip=None)) for v in views]
        first = record_many(session, tracker=tracker, views=located)
        again = record_many(session, tracker=tracker, views=located[:1])
    assert [o.status for o in first] == ["created"] * 3
    assert [o.status for o in again] == ["skipped"]
    with ws.db.transaction(write=False) as session:
        stored = session.execute(
            select(SignalEvent.type, SignalEvent.attributes["pageViewId"].as_string())
            .where(SignalEvent.team_id == ws.team_id)
            .order_by(SignalEvent.id)
        ).all()
    # The team's own patterns replace the defaults: /pricing is no longer a pricing page.
    assert [tuple(row) for row in stored] == [
        ("content", "p1"),
        ("content", "p2"),
        ("pricing", "p3"),
    ]
