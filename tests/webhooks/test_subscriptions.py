"""Webhook subscriptions over HTTP on both surfaces: create, read, change, rotate, remove."""

import base64
import re

import pytest
from sqlalchemy import select

from intentsync.db.models import WebhookSubscription
from intentsync.webhooks.events import EVENT_TYPES, SCORING_RUN_COMPLETED
from tests.factories import CRM, V1

HOOK = "https://example.com/hooks/intentsync"
SURFACES = [CRM, V1]


def create(ws, base=CRM, **body):
    payload = {"url": HOOK, "events": [SCORING_RUN_COMPLETED], **body}
    return ws.surface(base).post("/webhooks", payload)


def created(ws, base=CRM, **body):
    response = create(ws, base, **body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def delete(ws, path, base=CRM):
    return ws.client.delete(base + path)


def refused(response, prop):
    assert response.status_code == 400, response.text
    body = response.json()
    assert [entry["property"] for entry in body["data"]] == [prop], body
    return next(iter(body["data"][0]["constraints"].values()))


@pytest.mark.parametrize("base", SURFACES)
def test_create_shows_the_secret_once(ws, base):
    data = created(ws, base, description="Sales alerts", minScoreChange=10)
    assert re.fullmatch(r"[0-9a-f]{24}", data["webhookId"])
    assert data["secret"].startswith("whsec_")
    assert len(base64.b64decode(data["secret"][len("whsec_") :])) == 32
    assert data["kind"] == "webhook"
    assert data["url"] == HOOK
    assert data["events"] == [SCORING_RUN_COMPLETED]
    assert data["segmentIds"] == []
    assert data["minScoreChange"] == 10
    assert data["description"] == "Sales alerts"
    assert data["active"] is True
    assert data["createdAt"].endswith("Z")
    shown = ws.surface(base).get(f"/webhooks/{data['webhookId']}").json()["data"]
    assert "secret" not in shown
    assert shown == {k: v for k, v in data.items() if k != "secret"}
    listed = ws.surface(base).get("/webhooks").json()["data"]
    assert [w["webhookId"] for w in listed["data"]] == [data["webhookId"]]
    assert all("secret" not in w for w in listed["data"])


def test_both_surfaces_share_the_subscriptions_and_page_them(ws):
    ids = [created(ws)["webhookId"], created(ws, V1)["webhookId"], created(ws)["webhookId"]]
    first = ws.v1.get("/webhooks", params={"limit": 2}).json()["data"]
    assert first["hasNextPage"] is True
    rest = ws.get("/webhooks", params={"limit": 2, "cursor": first["nextCursor"]}).json()["data"]
    assert rest["hasNextPage"] is False
    assert [w["webhookId"] for w in first["data"] + rest["data"]] == ids


def test_a_slack_subscription_shows_no_secret_and_hides_its_url_after_creation(ws):
    url = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXabcd"
    data = created(ws, kind="slack", url=url)
    assert data["secret"] is None
    assert data["url"] == url
    shown = ws.get(f"/webhooks/{data['webhookId']}").json()["data"]
    assert shown["url"] == "https://hooks.slack.com/…abcd"
    rotated = ws.post(f"/webhooks/{data['webhookId']}/rotate-secret", None)
    assert rotated.status_code == 400
    assert "Slack URL is the secret" in rotated.json()["customMessage"]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "url should not be empty"),
        ("example.com/hook", "absolute http:// or https:// URL"),
        ("ftp://example.com/hook", "absolute http:// or https:// URL"),
        ("https:///hook", "with a host"),
        ("https://user:pw@example.com/hook", "must not carry a user name or password"),
        ("https://example.com/a b", "must not contain spaces"),
        ("https://example.com:99999/", "valid http or https URL"),
        ("https://example.com/" + "a" * 2048, "shorter than or equal to 2048"),
    ],
)
def test_bad_urls_are_refused_with_the_reason(ws, url, says):
    assert says in refused(create(ws, url=url), "url")


def test_events_must_be_known_and_named(ws):
    text = refused(create(ws, events=[]), "events")
    assert all(t in text for t in EVENT_TYPES)
    text = refused(create(ws, events=["account.created", "account.exploded"]), "events")
    assert "'account.exploded'" in text
    assert all(t in text for t in EVENT_TYPES)
    assert refused(create(ws, events="account.created"), "events")


def test_other_fields_are_checked(ws):
    assert "not be greater than 100" in refused(create(ws, minScoreChange=101), "minScoreChange")
    assert "not be less than 0" in refused(create(ws, minScoreChange=-1), "minScoreChange")
    assert "webhook, slack" in refused(create(ws, kind="teams"), "kind")
    assert "should not exist" in refused(create(ws, secret="mine"), "secret")
    assert "'0123456789abcdef01234567'" in refused(
        create(ws, segmentIds=["0123456789abcdef01234567"]), "segmentIds"
    )
    assert "should not be null" in refused(create(ws, segmentIds=None), "segmentIds")
    assert ws.get("/webhooks").json()["data"]["data"] == []


def test_a_whole_number_may_be_written_as_a_float(ws):
    assert created(ws, minScoreChange=7.0)["minScoreChange"] == 7
    assert "integer number" in refused(create(ws, minScoreChange=7.5), "minScoreChange")
    assert "integer number" in refused(create(ws, minScoreChange=True), "minScoreChange")


def test_segment_filters_name_the_teams_segments(ws):
    segment = ws.segment(name="Tier 1")
    data = created(ws, segmentIds=[segment, segment])
    assert data["segmentIds"] == [segment]


@pytest.mark.parametrize("base", SURFACES)
def test_update_changes_what_was_sent_and_reenabling_forgets_failures(ws, base):
    hook = created(ws, base, description="x")["webhookId"]
    with ws.db.transaction() as session:
        row = session.scalars(
            select(WebhookSubscription).where(WebhookSubscription.webhook_id == hook)
        ).one()
        row.active = False
        row.disabled_reason = "failing for 5 days"
        row.failing_since_ms = 1_700_000_000_000
    shown = ws.surface(base).get(f"/webhooks/{hook}").json()["data"]
    assert shown["disabledReason"] == "failing for 5 days"
    assert shown["failingSince"] == "2023-11-14T22:13:20.000Z"
    response = ws.surface(base).patch(
        f"/webhooks/{hook}",
        {
            "url": "http://hooks.example.org/in",
            "events": ["account.created", "account.score_changed"],
            "minScoreChange": 0,
            "description": None,
            "active": True,
        },
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["url"] == "http://hooks.example.org/in"
    assert data["events"] == ["account.created", "account.score_changed"]
    assert data["minScoreChange"] == 0
    assert data["description"] is None
    assert data["active"] is True
    assert data["disabledReason"] is None
    assert data["failingSince"] is None
    assert ws.surface(base).get(f"/webhooks/{hook}").json()["data"] == data


def test_a_refused_update_changes_nothing(ws):
    hook = created(ws)["webhookId"]
    before = ws.get(f"/webhooks/{hook}").json()["data"]
    assert "unknown type" in refused(
        ws.patch(f"/webhooks/{hook}", {"url": "https://ok.example.com", "events": ["nope"]}),
        "events",
    )
    assert "should not be null" in refused(ws.patch(f"/webhooks/{hook}", {"url": None}), "url")
    assert refused(ws.patch(f"/webhooks/{hook}", {"kind": "slack"}), "kind")
    assert ws.get(f"/webhooks/{hook}").json()["data"] == before


def test_rotation_keeps_the_old_secret_for_a_day(ws):
    first = created(ws)
    hook = first["webhookId"]
    response = ws.v1.post(f"/webhooks/{hook}/rotate-secret", None)
    assert response.status_code == 200, response.text
    rotated = response.json()["data"]
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != first["secret"]
    with ws.db.transaction(write=False) as session:
        row = session.scalars(
            select(WebhookSubscription).where(WebhookSubscription.webhook_id == hook)
        ).one()
        assert row.secret == rotated["secret"]
        assert row.previous_secret == first["secret"]
        assert row.previous_secret_until_ms - row.changed_ms == 24 * 3600 * 1000
    assert rotated["previousSecretExpiresAt"] is not None
    assert (
        ws.get(f"/webhooks/{hook}").json()["data"]["previousSecretExpiresAt"]
        == (rotated["previousSecretExpiresAt"])
    )


@pytest.mark.parametrize("base", SURFACES)
def test_a_removed_subscription_is_gone(ws, base):
    hook = created(ws, base)["webhookId"]
    response = delete(ws, f"/webhooks/{hook}", base)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["webhookId"] == hook
    for answer in (
        ws.surface(base).get(f"/webhooks/{hook}"),
        ws.surface(base).patch(f"/webhooks/{hook}", {"active": False}),
        ws.surface(base).post(f"/webhooks/{hook}/rotate-secret", None),
        ws.surface(base).get(f"/webhooks/{hook}/deliveries"),
        delete(ws, f"/webhooks/{hook}", base),
    ):
        assert answer.status_code == 404
        assert hook in answer.json()["customMessage"]
    assert ws.surface(base).get("/webhooks").json()["data"]["data"] == []


def test_another_teams_subscription_is_not_found(ws, app, database):
    from tests.factories import create_workspace

    hook = created(ws)["webhookId"]
    other = create_workspace(app, database)
    try:
        assert other.get(f"/webhooks/{hook}").status_code == 404
        assert other.client.delete(f"{CRM}/webhooks/{hook}").status_code == 404
    finally:
        other.close()
    assert ws.get(f"/webhooks/{hook}").status_code == 200


def test_a_cursor_past_every_key_is_the_end_of_the_list(ws):
    hook = created(ws)["webhookId"]
    far = "cA0000000000AAA00000000"  # a key far beyond any id column's range
    for path in ("/webhooks", f"/webhooks/{hook}/deliveries"):
        response = ws.get(path, params={"cursor": far})
        assert response.status_code == 200, response.text
        assert response.json()["data"]["data"] == []
