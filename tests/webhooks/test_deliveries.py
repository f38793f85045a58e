"""The delivery log of a subscription, redelivery, and what removing a subscription does to it."""

from sqlalchemy import select

from intentsync.db.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from intentsync.webhooks import service
from intentsync.webhooks.events import IMPORT_COMPLETED, SCORING_RUN_COMPLETED, Event
from tests.factories import CRM, V1

HOOK = "https://example.com/hooks/intentsync"


def subscribe(ws, events=(SCORING_RUN_COMPLETED, IMPORT_COMPLETED)):
    response = ws.post("/webhooks", {"url": HOOK, "events": list(events)})
    assert response.status_code == 201, response.text
    return response.json()["data"]["webhookId"]


def emit(ws, *types):
    with ws.db.transaction() as session:
        service.emit(
            session, team_id=ws.team_id, events=[Event(t, {"n": i}) for i, t in enumerate(types)]
        )
        return list(
            session.scalars(
                select(WebhookEvent.event_id)
                .where(WebhookEvent.team_id == ws.team_id)
                .order_by(WebhookEvent.id)
            )
        )


def finish(ws, event_id, status, **values):
    """What the delivery worker records, done by hand."""
    with ws.db.transaction() as session:
        delivery = session.scalars(
            select(WebhookDelivery)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_pk)
            .where(WebhookEvent.event_id == event_id)
        ).one()
        delivery.status = status
        delivery.attempts = 2
        delivery.last_status_code = values.get("code")
        delivery.last_error = values.get("error")
        delivery.finished_ms = 1_700_000_000_500
        for code in (500, values.get("code")):
            session.add(
                WebhookAttempt(
                    delivery_pk=delivery.id,
                    attempted_ms=1_700_000_000_000,
                    latency_ms=42,
                    status_code=code,
                    error=None if code else "connection refused",
                    response_excerpt="oops" if code == 500 else None,
                )
            )


def test_the_log_shows_each_event_newest_first_with_its_attempts(ws):
    hook = subscribe(ws)
    first, second = emit(ws, SCORING_RUN_COMPLETED, IMPORT_COMPLETED)
    finish(ws, first, "failed", error="gave up after 2 attempts")
    response = ws.v1.get(f"/webhooks/{hook}/deliveries")
    assert response.status_code == 200, response.text
    page = response.json()["data"]
    assert [d["eventId"] for d in page["data"]] == [second, first]
    pending, failed = page["data"]
    assert pending["status"] == "pending"
    assert pending["type"] == IMPORT_COMPLETED
    assert pending["attempts"] == 0
    assert pending["nextAttemptAt"] is not None
    assert pending["attemptLog"] == []
    assert pending["payload"]["id"] == second
    assert pending["payload"]["data"] == {"n": 1}
    assert failed["status"] == "failed"
    assert failed["nextAttemptAt"] is None
    assert failed["lastError"] == "gave up after 2 attempts"
    assert failed["finishedAt"] == "2023-11-14T22:13:20.500Z"
    assert [
        (a["statusCode"], a["latencyMs"], a["responseExcerpt"]) for a in failed["attemptLog"]
    ] == [
        (500, 42, "oops"),
        (None, 42, None),
    ]
    assert failed["attemptLog"][1]["error"] == "connection refused"
    one = ws.get(f"/webhooks/{hook}/deliveries", params={"limit": 1}).json()["data"]
    rest = ws.get(
        f"/webhooks/{hook}/deliveries", params={"limit": 1, "cursor": one["nextCursor"]}
    ).json()["data"]
    assert [d["eventId"] for d in one["data"] + rest["data"]] == [second, first]
    assert rest["hasNextPage"] is False


def test_redelivery_sets_the_delivery_pending_again_and_keeps_its_attempts(ws):
    hook = subscribe(ws)
    (event,) = emit(ws, SCORING_RUN_COMPLETED)
    busy = ws.post(f"/webhooks/{hook}/deliveries/{event}/redeliver", None)
    assert busy.status_code == 409
    assert "already waiting" in busy.json()["customMessage"]
    finish(ws, event, "delivered", code=204)
    response = ws.client.post(f"{V1}/webhooks/{hook}/deliveries/{event}/redeliver")
    assert response.status_code == 200, response.text
    again = response.json()["data"]
    assert again["status"] == "pending"
    assert again["attempts"] == 0
    assert again["nextAttemptAt"] is not None
    assert again["finishedAt"] is None
    assert len(again["attemptLog"]) == 2
    unknown = ws.post(f"/webhooks/{hook}/deliveries/msg_nothing/redeliver", None)
    assert unknown.status_code == 404
    assert "msg_nothing" in unknown.json()["customMessage"]


def test_removing_a_subscription_fails_its_pending_deliveries(ws):
    hook = subscribe(ws, [SCORING_RUN_COMPLETED])
    kept = subscribe(ws, [IMPORT_COMPLETED])
    first, second, other = emit(ws, SCORING_RUN_COMPLETED, SCORING_RUN_COMPLETED, IMPORT_COMPLETED)
    finish(ws, first, "delivered", code=200)
    response = ws.client.delete(f"{CRM}/webhooks/{hook}")
    assert response.status_code == 200, response.text
    assert "1 pending" in response.json()["data"]["message"]
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(WebhookEvent.event_id, WebhookDelivery.status, WebhookDelivery.last_error)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_pk)
            .where(WebhookEvent.team_id == ws.team_id)
        ).all()
    assert {e: (status, error) for e, status, error in rows} == {
        first: ("delivered", None),
        second: ("failed", "subscription removed"),
        other: ("pending", None),
    }
    assert ws.get(f"/webhooks/{kept}/deliveries").json()["data"]["data"][0]["eventId"] == other
