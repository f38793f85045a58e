"""Each change that reports an event writes it to the outbox in its own transaction."""

import shutil
from pathlib import Path

from sqlalchemy import select

from intentsync.accounts.service import accounts_for_domains
from intentsync.db.models import WebhookDelivery, WebhookEvent
from intentsync.kit.clock import now_ms
from intentsync.scoring.job import run_team
from intentsync.signals.importers import job
from intentsync.signals.importers.service import begin_import
from intentsync.webhooks.events import (
    ACCOUNT_CREATED,
    ACCOUNT_SCORE_CHANGED,
    ACCOUNT_STAGE_CHANGED,
    EVENT_TYPES,
    IMPORT_COMPLETED,
    SCORING_RUN_COMPLETED,
)
from tests.factories import account
from tests.scoring.test_job import on, send
from tests.test_cli import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def subscribe(ws, events, **extra):
    body = {"url": "https://example.com/hook", "events": list(events), **extra}
    response = ws.post("/webhooks", body)
    assert response.status_code == 201, response.text
    return response.json()["data"]["webhookId"]


def outbox(ws, type_=None):
    with ws.db.transaction(write=False) as session:
        query = select(WebhookEvent).where(WebhookEvent.team_id == ws.team_id)
        if type_ is not None:
            query = query.where(WebhookEvent.type == type_)
        return [e.payload for e in session.scalars(query.order_by(WebhookEvent.id))]


def deliveries(ws):
    with ws.db.transaction(write=False) as session:
        return session.scalars(
            select(WebhookDelivery.status).where(WebhookDelivery.team_id == ws.team_id)
        ).all()


def g2(domain, quantity=3, days_ago=1):
    return {
        "source": "g2",
        "domain": domain,
        "type": "pricing",
        "occurredAt": on(days_ago),
        "quantity": quantity,
    }


def test_a_team_without_subscriptions_gets_no_outbox_rows(ws):
    ws.push(account(1, domain="acme.com"))
    ws.v1.post("/accounts", {"accounts": [{"domain": "other.com", "name": "Other"}]})
    send(ws, [g2("acme.com"), g2("found.com")])
    assert run_team(ws.db, team_id=ws.team_id).status == "succeeded"
    assert outbox(ws) == []
    assert deliveries(ws) == []


def test_accounts_created_on_either_surface_or_by_signals_are_announced(ws):
    subscribe(ws, [ACCOUNT_CREATED])
    ws.push(account(1))
    ws.push(account(1, name="Renamed"))  # an update creates nothing
    pushed = ws.v1.post("/accounts", {"accounts": [{"domain": "keyless.com", "name": "Keyless"}]})
    assert pushed.status_code == 200, pushed.text
    send(ws, [g2("discovered.com"), g2("discovered.com", days_ago=2)])
    events = outbox(ws)
    assert [e["type"] for e in events] == [ACCOUNT_CREATED] * 3
    assert [e["data"]["account"]["domain"] for e in events] == [
        "company1.com",
        "keyless.com",
        "discovered.com",
    ]
    first = events[0]
    assert set(first) == {"id", "type", "occurredAt", "teamId", "data"}
    assert first["teamId"] == ws.team_id
    assert list(first["data"]) == ["account"]  # created: the account as it was then
    assert first["data"]["account"]["externalId"] == "crm-1"
    assert first["data"]["account"]["name"] == "Company 1"
    assert (
        first["data"]["account"]["rtp_aid"] == ws.get("/accounts/crm-1").json()["data"]["rtp_aid"]
    )
    assert deliveries(ws) == ["pending"] * 3


def test_a_rolled_back_creation_leaves_no_event(ws):
    subscribe(ws, [ACCOUNT_CREATED])
    try:
        with ws.db.transaction() as session:
            accounts_for_domains(
                session, team_id=ws.team_id, wanted={"gone.com": "Gone"}, stamp=now_ms()
            )
            assert len(outbox_in(session, ws)) == 1
            raise RuntimeError("the change fails after its event was written")
    except RuntimeError:
        pass
    assert outbox(ws) == []
    failed = ws.post("/accounts", {"accounts": [account(2)], "segmentId": "f" * 24})
    assert failed.status_code >= 400
    assert outbox(ws) == []


def outbox_in(session, ws):
    return session.scalars(select(WebhookEvent.id).where(WebhookEvent.team_id == ws.team_id)).all()


def test_a_segment_filter_passes_only_its_accounts(ws):
    tier = ws.segment(name="Tier 1")
    subscribe(ws, [ACCOUNT_CREATED, SCORING_RUN_COMPLETED], segmentIds=[tier])
    ws.push(account(1))
    ws.push(account(2), segmentId=tier)
    assert [e["data"]["account"]["externalId"] for e in outbox(ws)] == ["crm-2"]
    run_team(ws.db, team_id=ws.team_id)  # team-wide events pass a segment filter
    assert [e["type"] for e in outbox(ws)] == [ACCOUNT_CREATED, SCORING_RUN_COMPLETED]


def test_scoring_reports_score_and_stage_moves_and_the_run(ws):
    ws.push(account(1, domain="acme.com"), account(2, domain="quiet.com"))
    subscribe(ws, [ACCOUNT_SCORE_CHANGED, ACCOUNT_STAGE_CHANGED, SCORING_RUN_COMPLETED])
    send(ws, [g2("acme.com")])
    report = run_team(ws.db, team_id=ws.team_id)
    assert report.status == "succeeded", report.errors
    shown = ws.get("/accounts/crm-1").json()["data"]
    score, stage, run = outbox(ws)
    assert score["type"] == ACCOUNT_SCORE_CHANGED
    assert score["data"]["account"] == shown
    assert score["data"]["previous"] == {
        "rtp_account_score": 0,
        "rtp_website_intent_score": 0,
        "rtp_g2_intent_score": 0,
        "rtp_bombora_intent_score": 0,
        "rtp_advertising_activity_score": 0,
    }
    assert shown["rtp_account_score"] >= 5
    assert stage["type"] == ACCOUNT_STAGE_CHANGED
    assert stage["data"]["previous"] == {"rtp_journey_stage": "Unaware"}
    assert stage["data"]["account"]["rtp_journey_stage"] == shown["rtp_journey_stage"]
    assert stage["data"]["reason"]
    assert run["type"] == SCORING_RUN_COMPLETED
    assert run["data"]["runId"] == report.run_id
    assert run["data"] | {"seconds": 0} == {
        "runId": report.run_id,
        "kind": "full",
        "status": "succeeded",
        "accountsScored": 2,
        "accountsChanged": 1,
        "seconds": 0,
        "errors": 0,
    }
    assert run_team(ws.db, team_id=ws.team_id).accounts_changed == 0
    assert [e["type"] for e in outbox(ws)][3:] == [SCORING_RUN_COMPLETED]


def test_small_score_moves_are_left_out_by_min_score_change(ws):
    ws.push(account(1, domain="acme.com"))
    subscribe(ws, [ACCOUNT_SCORE_CHANGED], minScoreChange=100)
    send(ws, [g2("acme.com")])
    run_team(ws.db, team_id=ws.team_id)
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_account_score"] > 0
    assert outbox(ws) == []
    subscribe(ws, [ACCOUNT_SCORE_CHANGED], minScoreChange=0)
    send(ws, [g2("acme.com", quantity=9, days_ago=2)])
    run_team(ws.db, team_id=ws.team_id)
    (event,) = outbox(ws)
    assert event["data"]["previous"]["rtp_account_score"] > 0
    assert deliveries(ws) == ["pending"]  # one subscription was owed it


def test_an_upload_import_reports_its_outcome(ws, tmp_path):
    subscribe(ws, [IMPORT_COMPLETED])
    path = tmp_path / "upload.csv"
    shutil.copy(EXAMPLES / "g2-buyer-intent.csv", path)
    with ws.db.transaction() as session:
        import_id = begin_import(
            session,
            team_id=ws.team_id,
            source="g2",
            file_name="g2-buyer-intent.csv",
            file_bytes=path.stat().st_size,
            uploaded_by=ws.email,
        )
    job.run_import(
        ws.db, team_id=ws.team_id, import_id=import_id, source="g2", path=path, name="g2.csv"
    )
    (event,) = outbox(ws)
    data = event["data"]
    assert data["importId"] == import_id
    assert (data["source"], data["fileName"], data["status"]) == (
        "g2",
        "g2-buyer-intent.csv",
        "done",
    )
    assert data["rowsRead"] > 0
    assert data["signalsCreated"] > 0
    assert data["rowsFailed"] >= 0


def test_a_command_line_import_reports_its_outcome(database_url, ws):
    subscribe(ws, EVENT_TYPES)
    path = EXAMPLES / "g2-buyer-intent.csv"
    run_cli(
        database_url, "signals", "import", "--team", str(ws.team_id), "--source", "g2", str(path)
    )
    (event,) = outbox(ws, IMPORT_COMPLETED)
    assert event["data"]["importId"] is None
    assert event["data"]["fileName"] == "g2-buyer-intent.csv"
    assert event["data"]["status"] == "done"
    assert outbox(ws, ACCOUNT_CREATED)  # the file's companies were new accounts


def test_a_command_line_scoring_run_reports_score_moves(database_url, ws):
    ws.push(account(1, domain="acme.com"))
    subscribe(ws, [ACCOUNT_SCORE_CHANGED], minScoreChange=0)
    send(ws, [g2("acme.com")])
    run_cli(database_url, "score", "run", "--team", str(ws.team_id))
    (event,) = outbox(ws)
    assert event["data"]["account"] == ws.get("/accounts/crm-1").json()["data"]
