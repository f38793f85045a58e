"""A Slack subscription gets a readable message with a console link, not the raw event."""

import orjson
from sqlalchemy import select

from intentsync.db.models import Account
from intentsync.webhooks import service, slack
from intentsync.webhooks.events import (
    ACCOUNT_SCORE_CHANGED,
    ACCOUNT_STAGE_CHANGED,
    IMPORT_COMPLETED,
    SEGMENT_MEMBERSHIP_CHANGED,
    Event,
)
from tests.factories import account
from tests.webhooks.conftest import Clock, add_subscription, deliveries_of
from tests.webhooks.receiver import Answer

PUBLIC = "https://abm.example.com"


def test_slack_gets_what_changed_with_score_stage_and_a_link(ws, receiver, workers):
    ws.push(account(1, domain="acme.com", name="Acme Corp"))
    shown = ws.get("/accounts/crm-1").json()["data"]
    types = [ACCOUNT_SCORE_CHANGED, ACCOUNT_STAGE_CHANGED, IMPORT_COMPLETED]
    sub = add_subscription(ws.db, ws.team_id, receiver.url + "/slack", types, kind="slack")
    receiver.answer("/slack", Answer(500), always=Answer(200))  # Slack is retried the same way
    with ws.db.transaction() as session:
        pk = session.scalar(select(Account.id).where(Account.team_id == ws.team_id))
        previous_score = shown["rtp_account_score"] + 30
        service.emit(
            session,
            team_id=ws.team_id,
            events=[
                Event(
                    ACCOUNT_SCORE_CHANGED,
                    {"previous": {"rtp_account_score": previous_score}},
                    score_change=-30,
                    account_pk=pk,
                ),
                Event(
                    ACCOUNT_STAGE_CHANGED,
                    {"previous": {"rtp_journey_stage": "Engaged"}},
                    account_pk=pk,
                ),
                Event(IMPORT_COMPLETED, {"source": "g2", "rows": 120}),
            ],
        )
    clock = Clock()
    worker = workers(public_url=PUBLIC, clock=clock)
    assert worker.run_once() == 3
    clock.now += 6000  # the failed one is due again after 5 s
    assert worker.run_once() == 1
    assert {d.status for d in deliveries_of(ws.db, sub.id)} == {"delivered"}
    got = receiver.received("/slack")
    assert len(got) == 4  # one was answered 500 and sent again
    assert all("webhook-signature" not in r.headers for r in got)
    assert all(r.headers["content-type"] == "application/json" for r in got)
    messages = {}
    for r in got:
        body = orjson.loads(r.body)
        messages[body["text"]] = body
    link = f"{PUBLIC}/accounts/{shown['rtp_aid']}"
    score = f"Acme Corp (acme.com): Score {previous_score} → {shown['rtp_account_score']}"
    stage = f"Acme Corp (acme.com): Stage Engaged → {shown['rtp_journey_stage']}"
    assert set(messages) == {score, stage, "Import completed"}
    section = messages[score]["blocks"][0]["text"]["text"]
    assert f"<{link}|Acme Corp (acme.com)>" in section
    assert f"Score *{shown['rtp_account_score']}*" in section
    assert f"Stage *{shown['rtp_journey_stage']}*" in section
    assert "source: g2" in messages["Import completed"]["blocks"][0]["text"]["text"]
    assert ACCOUNT_STAGE_CHANGED in messages[stage]["blocks"][1]["elements"][0]["text"]


def test_segment_changes_read_as_added_or_removed():
    payload = {
        "type": SEGMENT_MEMBERSHIP_CHANGED,
        "data": {
            "account": {"name": "Acme", "domain": "acme.com", "rtp_aid": "a" * 24},
            "added": [{"id": "s1", "name": "Hot"}],
            "removed": [{"id": "s2", "name": "Cold"}],
        },
    }
    message = slack.message(payload, PUBLIC)
    assert message["text"] == "Acme (acme.com): Added to segment Hot; Removed from segment Cold"


def test_a_membership_event_names_its_segment_and_the_change():
    account_ = {"name": "Acme", "domain": "acme.com", "rtp_aid": "b" * 24}
    segment = {"segmentId": "c" * 24, "name": "Hot accounts", "type": "dynamic"}
    for change, text in (("added", "Added to"), ("removed", "Removed from")):
        payload = {
            "type": SEGMENT_MEMBERSHIP_CHANGED,
            "data": {"account": account_, "segment": segment, "change": change},
        }
        message = slack.message(payload, PUBLIC)
        assert message["text"] == f"Acme (acme.com): {text} segment Hot accounts"
        assert "change:" not in message["blocks"][0]["text"]["text"]
