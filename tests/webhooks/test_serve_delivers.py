"""The server delivers webhooks from its lifespan unless told not to; the public URL is checked."""

import time

import pytest
from pydantic import ValidationError

from intentsync.app import create_app
from intentsync.config import Settings
from intentsync.webhooks import service
from intentsync.webhooks.events import SCORING_RUN_COMPLETED, Event
from tests.live import live_server
from tests.webhooks.conftest import add_subscription, deliveries_of

RUN = SCORING_RUN_COMPLETED


@pytest.mark.parametrize("on", [True, False])
def test_serve_delivers_unless_turned_off(ws, receiver, workers, database, database_url, on):
    sub = add_subscription(ws.db, ws.team_id, receiver.url + "/hook", [RUN])
    settings = Settings(database_url=database_url, scoring_interval=0, serve_webhooks=on)
    with live_server(create_app(settings, database)):
        with ws.db.transaction() as session:
            service.emit(session, team_id=ws.team_id, events=[Event(RUN, {})])
        deadline = time.monotonic() + (10 if on else 1.5)
        while not receiver.received() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(receiver.received("/hook")) == (1 if on else 0)
    assert [d.status for d in deliveries_of(ws.db, sub.id)] == ["delivered" if on else "pending"]


def test_the_public_url_must_be_an_http_url():
    assert Settings(public_url="https://abm.example.com/").public_url == "https://abm.example.com"
    with pytest.raises(ValidationError, match="console's address"):
        Settings(public_url="abm.example.com")
