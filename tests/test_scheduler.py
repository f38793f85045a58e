"""The scheduler inside serve scores every team on its own, and stops cleanly."""

import time
from datetime import UTC, datetime, timedelta

from intentsync.scheduler import ScoringScheduler
from tests.factories import account


def test_the_scheduler_scores_without_being_asked(ws):
    ws.push(account(1, domain="acme.com"))
    at = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    signal = {"source": "linkedin", "domain": "acme.com", "type": "lead_form", "occurredAt": at}
    assert ws.post("/signals", {"signals": [signal]}).status_code == 200
    scheduler = ScoringScheduler(ws.db, interval_seconds=3600, first_delay=0)
    scheduler.start()
    deadline = time.monotonic() + 60
    while scheduler.runs == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    scheduler.stop()
    assert scheduler.runs == 1
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_advertising_activity_score"] > 0
