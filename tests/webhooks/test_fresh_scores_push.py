"""A new signal reaches the CRM as a score change within seconds, pushed by the server itself."""

import time
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import func, select

from intentsync.app import create_app
from intentsync.config import Settings
from intentsync.db.models import ScoringRun
from tests.factories import account
from tests.live import live_server
from tests.webhooks.conftest import add_subscription


def _finished_runs(ws) -> int:
    with ws.db.transaction(write=False) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(ScoringRun)
                .where(ScoringRun.team_id == ws.team_id, ScoringRun.finished_ms.is_not(None))
            )
            or 0
        )


def test_a_signal_is_scored_and_pushed_as_a_webhook_within_seconds(lone_ws, receiver):
    ws = lone_ws
    ws.push(account(1, domain="acme.com"), account(2, domain="quiet.com"))
    add_subscription(
        ws.db, ws.team_id, receiver.url + "/hook", ["account.score_changed"], min_score_change=1
    )
    settings = Settings(
        database_url=ws.db.url,
        scoring_interval=3600,
        scoring_first_delay=0,
        scoring_debounce=1,
        serve_webhooks=True,
    )
    with live_server(create_app(settings, ws.db)):
        deadline = time.monotonic() + 60
        while not _finished_runs(ws):
            assert time.monotonic() < deadline, "the first round never ran"
            time.sleep(0.1)
        at = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        signal = {"source": "linkedin", "domain": "acme.com", "type": "lead_form", "occurredAt": at}
        sent = time.monotonic()
        assert ws.post("/signals", {"signals": [signal]}).status_code == 200
        while not receiver.received("/hook"):
            assert time.monotonic() - sent < 20, "no webhook arrived"
            time.sleep(0.05)
        waited = time.monotonic() - sent
    pushed = [orjson.loads(r.body) for r in receiver.received("/hook")]
    assert [p["data"]["account"]["externalId"] for p in pushed] == ["crm-1"]
    assert pushed[0]["type"] == "account.score_changed"
    assert pushed[0]["data"]["account"]["rtp_advertising_activity_score"] > 0
    assert waited < 15  # the debounce (1 s), a round and a delivery: not the next hourly round
