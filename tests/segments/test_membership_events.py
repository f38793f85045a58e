"""segment.membership_changed: one event per account that joined or left, from every path."""

from sqlalchemy import func, select

from intentsync.db.models import WebhookEvent
from intentsync.scoring.job import run_team
from intentsync.webhooks.events import ACCOUNT_SCORE_CHANGED, SEGMENT_MEMBERSHIP_CHANGED
from tests.factories import CRM, account
from tests.segments.test_api import BIG, data, delete
from tests.test_cli import run_cli
from tests.webhooks.test_outbox import subscribe


def listen(ws, **extra):
    with ws.db.transaction() as session:
        subscribe(session, ws.team_id, [SEGMENT_MEMBERSHIP_CHANGED], **extra)


def events(ws):
    """(externalId, change, segment name) of each membership event so far, oldest first."""
    with ws.db.transaction(write=False) as session:
        payloads = session.scalars(
            select(WebhookEvent.payload)
            .where(
                WebhookEvent.team_id == ws.team_id,
                WebhookEvent.type == SEGMENT_MEMBERSHIP_CHANGED,
            )
            .order_by(WebhookEvent.id)
        ).all()
    return [
        (p["data"]["account"]["externalId"], p["data"]["change"], p["data"]["segment"]["name"])
        for p in payloads
    ]


def payloads(ws):
    with ws.db.transaction(write=False) as session:
        return session.scalars(
            select(WebhookEvent.payload)
            .where(WebhookEvent.team_id == ws.team_id)
            .order_by(WebhookEvent.id)
        ).all()


def event_rows(ws):
    with ws.db.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.team_id == ws.team_id)
        )


def test_api_adds_and_removes_emit_one_event_per_account_that_changed(ws):
    ws.push(account(1), account(2), account(3))
    listen(ws)
    segment = ws.segment(name="Invitees")
    body = {"accounts": ["crm-1", "company2.com", "crm-1", "nobody.example"]}
    data(ws.post(f"/segments/{segment}/members", body))
    assert events(ws) == [("crm-1", "added", "Invitees"), ("crm-2", "added", "Invitees")]
    first = payloads(ws)[0]
    assert first["type"] == SEGMENT_MEMBERSHIP_CHANGED
    assert first["data"]["segment"] == {
        "segmentId": segment,
        "name": "Invitees",
        "type": "static",
    }
    # The account is shown as it is after the change, segment included.
    assert first["data"]["account"] == data(ws.get("/accounts/crm-1"))
    data(ws.post(f"/segments/{segment}/members", {"accounts": ["crm-1", "crm-2"]}))
    assert len(events(ws)) == 2  # already members: nothing changed, nothing sent
    data(delete(ws, CRM, f"/segments/{segment}/members", {"accounts": ["crm-2", "crm-3"]}))
    assert events(ws)[2:] == [("crm-2", "removed", "Invitees")]


def test_cli_adds_and_removes_emit_events(database_url, ws):
    ws.push(account(1), account(2))
    listen(ws)
    segment = ws.segment(name="From the shell")
    team = str(ws.team_id)
    run_cli(database_url, "segment", "add", "--team", team, "--segment", segment, "crm-1", "crm-2")
    run_cli(database_url, "segment", "remove", "--team", team, "--segment", segment, "crm-1")
    assert events(ws) == [
        ("crm-1", "added", "From the shell"),
        ("crm-2", "added", "From the shell"),
        ("crm-1", "removed", "From the shell"),
    ]


def test_an_account_push_into_a_segment_emits_only_for_new_members(ws):
    listen(ws)
    segment = ws.segment(name="Pushed")
    ws.push(account(1), segmentId=segment)
    ws.push(account(1), account(2), segmentId=segment)
    assert events(ws) == [("crm-1", "added", "Pushed"), ("crm-2", "added", "Pushed")]


def test_dynamic_segments_emit_when_created_changed_and_refreshed_after_scoring(database_url, ws):
    ws.push(account(1, tags=["big"]), account(2), account(3))
    listen(ws)
    created = data(ws.post("/segments", {"name": "Big", "type": "dynamic", "rules": BIG}), 201)
    assert events(ws) == [("crm-1", "added", "Big")]
    assert payloads(ws)[0]["data"]["segment"]["type"] == "dynamic"
    rtp_aid = data(ws.get("/accounts/crm-2"))["rtp_aid"]
    assert ws.v1.put(f"/accounts/{rtp_aid}", {"tags": ["big"]}).status_code == 200
    # A scoring run in its own process, as `score run` and the scheduler do it.
    run_cli(database_url, "score", "run", "--team", str(ws.team_id), "--full")
    assert events(ws)[1:] == [("crm-2", "added", "Big")]
    wider = {"field": "domain", "operator": "contains", "value": "company3"}
    data(ws.patch(f"/segments/{created['segmentId']}", {"rules": wider}))
    assert events(ws)[2:] == [
        ("crm-3", "added", "Big"),
        ("crm-1", "removed", "Big"),
        ("crm-2", "removed", "Big"),
    ]
    ws.push(account(33, domain="company33.com"))  # matches, but joins only when refreshed
    team = str(ws.team_id)
    run_cli(database_url, "segment", "refresh", "--team", team, "--segment", created["segmentId"])
    assert events(ws)[5:] == [("crm-33", "added", "Big")]
    run_team(ws.db, team_id=ws.team_id, full=True)  # nothing left to change: nothing sent
    assert len(events(ws)) == 6


def test_archiving_a_segment_emits_nothing(ws):
    ws.push(account(1))
    listen(ws)
    segment = ws.segment(name="Short lived")
    data(ws.post(f"/segments/{segment}/members", {"accounts": ["crm-1"]}))
    data(ws.patch(f"/segments/{segment}", {"status": "archived"}))
    data(ws.patch(f"/segments/{segment}", {"status": "active"}))
    assert events(ws) == [("crm-1", "added", "Short lived")]


def test_refused_requests_change_nothing_and_emit_nothing(ws):
    ws.push(account(1, tags=["big"]), account(2))
    listen(ws)
    dynamic = data(ws.post("/segments", {"name": "Big", "type": "dynamic", "rules": BIG}), 201)
    static = ws.segment(name="Static")
    before = event_rows(ws)
    too_many = {"accounts": ["crm-1"] + [f"x-{n}" for n in range(100)]}
    assert ws.post(f"/segments/{static}/members", too_many).status_code == 400
    assert (
        ws.post(f"/segments/{dynamic['segmentId']}/members", {"accounts": ["crm-2"]}).status_code
        == 400
    )
    bad_rules = {"rules": {"field": "tags", "operator": "gt", "value": 1}}
    assert ws.patch(f"/segments/{dynamic['segmentId']}", bad_rules).status_code == 400
    assert event_rows(ws) == before
    assert data(ws.get(f"/segments/{static}"))["memberCount"] == 0


def test_a_segment_filter_narrows_and_other_event_types_pay_nothing(ws):
    ws.push(account(1), account(2))
    first = ws.segment(name="First")
    second = ws.segment(name="Second")
    with ws.db.transaction() as session:
        subscribe(session, ws.team_id, [ACCOUNT_SCORE_CHANGED])
    data(ws.post(f"/segments/{first}/members", {"accounts": ["crm-1"]}))
    assert event_rows(ws) == 0  # no subscription wants membership events
    listen(ws, segment_ids=[second])
    data(ws.post(f"/segments/{first}/members", {"accounts": ["crm-2"]}))
    data(ws.post(f"/segments/{second}/members", {"accounts": ["crm-2"]}))
    assert events(ws) == [("crm-2", "added", "Second")]
