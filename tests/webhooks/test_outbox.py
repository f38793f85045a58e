"""The outbox: events are written with the change, only when a subscription is owed them."""

import subprocess
import sys

from sqlalchemy import select

from intentsync.db.models import Account, WebhookDelivery, WebhookEvent, WebhookSubscription
from intentsync.kit.clock import now_ms
from intentsync.webhooks import service
from intentsync.webhooks.events import ACCOUNT_SCORE_CHANGED, SCORING_RUN_COMPLETED, Event
from tests.factories import account


def subscribe(session, team_id, events, **extra):
    at = now_ms()
    row = WebhookSubscription(
        team_id=team_id,
        webhook_id=f"{at:024x}"[-24:],
        kind="webhook",
        url="http://127.0.0.1:9/hook",
        events=events,
        segment_ids=extra.pop("segment_ids", []),
        min_score_change=extra.pop("min_score_change", 5),
        active=True,
        secret="whsec_" + "A" * 32,
        created_ms=at,
        changed_ms=at,
    )
    session.add(row)
    session.flush()
    return row


def pk_of(session, team_id, external_id):
    return session.scalar(
        select(Account.id).where(Account.team_id == team_id, Account.external_id == external_id)
    )


def test_no_subscription_writes_nothing(ws):
    with ws.db.transaction() as session:
        assert service.emit(session, team_id=ws.team_id, events=[Event("x", {})]) == 0
        assert (
            session.scalar(select(WebhookEvent.id).where(WebhookEvent.team_id == ws.team_id))
            is None
        )


def test_an_owed_event_carries_the_account_as_the_api_shows_it(ws):
    ws.push(account(1))
    shown = ws.get("/accounts/crm-1").json()["data"]
    with ws.db.transaction() as session:
        sub = subscribe(session, ws.team_id, [ACCOUNT_SCORE_CHANGED], min_score_change=5)
        pk = pk_of(session, ws.team_id, account(1)["externalId"])
        events = [
            Event(
                ACCOUNT_SCORE_CHANGED,
                {"previous": {"rtp_account_score": 0}},
                score_change=4,
                account_pk=pk,
            ),
            Event(
                ACCOUNT_SCORE_CHANGED,
                {"previous": {"rtp_account_score": 0}},
                score_change=-9,
                account_pk=pk,
            ),
            Event(SCORING_RUN_COMPLETED, {}),
        ]
        assert service.emit(session, team_id=ws.team_id, events=events) == 1
        event = session.scalars(
            select(WebhookEvent).where(WebhookEvent.team_id == ws.team_id)
        ).one()
        delivery = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event_pk == event.id)
        ).one()
    assert delivery.subscription_pk == sub.id
    assert delivery.status == "pending"
    body = event.payload
    assert body["id"] == event.event_id
    assert body["id"].startswith("msg_")
    assert body["type"] == ACCOUNT_SCORE_CHANGED
    assert body["teamId"] == ws.team_id
    assert body["data"]["previous"] == {"rtp_account_score": 0}
    assert body["data"]["account"]["externalId"] == account(1)["externalId"]
    assert body["data"]["account"] == shown


def test_a_rolled_back_change_leaves_no_event(ws):
    with ws.db.transaction() as session:
        subscribe(session, ws.team_id, [SCORING_RUN_COMPLETED])
    try:
        with ws.db.transaction() as session:
            service.emit(session, team_id=ws.team_id, events=[Event(SCORING_RUN_COMPLETED, {})])
            raise RuntimeError("the change fails after its event was written")
    except RuntimeError:
        pass
    with ws.db.transaction(write=False) as session:
        assert (
            session.scalar(select(WebhookEvent.id).where(WebhookEvent.team_id == ws.team_id))
            is None
        )


def test_a_process_that_never_imported_accounts_still_renders_them(ws, database_url):
    """A segments-only command emits membership events; the account renderer loads itself."""
    ws.push(account(1))
    static = ws.segment(name="Picked")
    with ws.db.transaction() as session:
        subscribe(session, ws.team_id, ["segment.membership_changed"])
    script = f"""
import sys
from intentsync.db.engine import Database
from intentsync.segments.service import change_members
assert "intentsync.accounts.service" not in sys.modules
db = Database({database_url!r})
with db.transaction() as session:
    change_members(
        session, team_id={ws.team_id}, segment_id={static!r}, accounts=["crm-1"], remove=False
    )
db.dispose()
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    with ws.db.transaction(write=False) as session:
        payload = session.scalars(
            select(WebhookEvent.payload).where(WebhookEvent.team_id == ws.team_id)
        ).one()
    assert payload["data"]["change"] == "added"
    assert payload["data"]["account"] == ws.get("/accounts/crm-1").json()["data"]
