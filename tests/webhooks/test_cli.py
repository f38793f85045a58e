"""Webhook commands: the same rules and messages as the API, results on the last line."""

import re

from sqlalchemy import select

from intentsync.db.models import WebhookDelivery, WebhookEvent
from intentsync.webhooks import service
from intentsync.webhooks.events import SCORING_RUN_COMPLETED, Event
from tests.test_cli import last_line, run_cli

HOOK = "https://example.com/hooks/intentsync"


def webhook(database_url, ws, command, *args, check=True):
    return run_cli(database_url, "webhook", command, "--team", str(ws.team_id), *args, check=check)


def said(result):
    return " ".join(result.stderr.split())


def refused(result, *texts):
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert said(result).startswith("error:")
    for text in texts:
        assert text in said(result), said(result)


def test_add_list_switch_rotate_and_remove(database_url, ws):
    segment = ws.segment(name="Tier 1")
    added = webhook(
        database_url,
        ws,
        "add",
        "--url",
        HOOK,
        "--events",
        "account.created, scoring.run_completed",
        "--min-score-change",
        "8",
        "--segments",
        segment,
        "--description",
        "CRM sync",
    )
    hook, secret = added.stdout.strip().splitlines()
    assert re.fullmatch(r"[0-9a-f]{24}", hook)
    assert secret.startswith("whsec_")
    shown = ws.get(f"/webhooks/{hook}").json()["data"]
    assert shown["events"] == ["account.created", "scoring.run_completed"]
    assert shown["segmentIds"] == [segment]
    assert shown["minScoreChange"] == 8
    assert shown["description"] == "CRM sync"

    listed = webhook(database_url, ws, "list")
    assert last_line(listed) == "1 webhook(s)"
    assert hook in listed.stdout

    assert last_line(webhook(database_url, ws, "disable", "--webhook", hook)) == hook
    assert ws.get(f"/webhooks/{hook}").json()["data"]["active"] is False
    assert f"{hook} │ no" in webhook(database_url, ws, "list").stdout
    assert last_line(webhook(database_url, ws, "enable", "--webhook", hook)) == hook
    assert ws.get(f"/webhooks/{hook}").json()["data"]["active"] is True

    rotated = last_line(webhook(database_url, ws, "rotate-secret", "--webhook", hook))
    assert rotated.startswith("whsec_")
    assert rotated != secret

    assert last_line(webhook(database_url, ws, "remove", "--webhook", hook)) == "0"
    assert ws.get(f"/webhooks/{hook}").status_code == 404
    refused(webhook(database_url, ws, "remove", "--webhook", hook, check=False), hook)


def test_a_slack_webhook_prints_only_its_id(database_url, ws):
    added = webhook(
        database_url,
        ws,
        "add",
        "--url",
        "https://hooks.slack.com/services/T1/B1/abc",
        "--events",
        "account.stage_changed",
        "--kind",
        "slack",
    )
    (hook,) = added.stdout.strip().splitlines()
    assert ws.get(f"/webhooks/{hook}").json()["data"]["kind"] == "slack"
    refused(
        webhook(database_url, ws, "rotate-secret", "--webhook", hook, check=False),
        "the Slack URL is the secret",
    )


def test_refusals_are_one_line_with_the_apis_message(database_url, ws):
    def add(*args):
        return webhook(database_url, ws, "add", *args, check=False)

    refused(add("--url", "ftp://x.example", "--events", "account.created"), "absolute http://")
    refused(add("--url", "https://u:p@x.example", "--events", "account.created"), "password")
    refused(add("--url", HOOK, "--events", " , "), "events should name at least one of")
    refused(add("--url", HOOK, "--events", "account.made"), "'account.made'", "account.created")
    refused(add("--url", HOOK, "--events", "account.created", "--kind", "teams"), "webhook, slack")
    refused(
        add("--url", HOOK, "--events", "account.created", "--min-score-change", "101"),
        "not be greater than 100",
    )
    refused(
        add("--url", HOOK, "--events", "account.created", "--segments", "nope"),
        "no segment of this team: 'nope'",
    )
    assert ws.get("/webhooks").json()["data"]["data"] == []


def test_deliveries_and_redelivery(database_url, ws):
    hook = webhook(database_url, ws, "add", "--url", HOOK, "--events", SCORING_RUN_COMPLETED)
    hook = hook.stdout.splitlines()[0]
    with ws.db.transaction() as session:
        service.emit(session, team_id=ws.team_id, events=[Event(SCORING_RUN_COMPLETED, {})])
        event = session.scalars(
            select(WebhookEvent.event_id).where(WebhookEvent.team_id == ws.team_id)
        ).one()
    shown = webhook(database_url, ws, "deliveries", "--webhook", hook, "--limit", "5")
    assert last_line(shown) == "1 delivery"
    assert event in shown.stdout
    assert "pending" in shown.stdout
    refused(
        webhook(database_url, ws, "redeliver", "--webhook", hook, "--event", event, check=False),
        "already waiting",
    )
    with ws.db.transaction() as session:
        session.execute(
            WebhookDelivery.__table__.update()
            .where(WebhookDelivery.team_id == ws.team_id)
            .values(status="failed", last_error="HTTP 500", attempts=8)
        )
    assert "HTTP 500" in webhook(database_url, ws, "deliveries", "--webhook", hook).stdout
    again = webhook(database_url, ws, "redeliver", "--webhook", hook, "--event", event)
    assert last_line(again) == event
    assert ws.get(f"/webhooks/{hook}/deliveries").json()["data"]["data"][0]["status"] == "pending"
    refused(
        webhook(database_url, ws, "redeliver", "--webhook", hook, "--event", "msg_x", check=False),
        "no delivery of event 'msg_x'",
    )
