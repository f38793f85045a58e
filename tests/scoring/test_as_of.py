"""A run as of a past day sees only what had happened by then and dates the stage to that day."""

import pytest
from sqlalchemy import select

from intentsync.db.models import StageTransition
from intentsync.kit.clock import DAY_MS
from intentsync.scoring.job import run_team
from intentsync.scoring.stages import iso_day
from tests.factories import account
from tests.scoring.test_job import TODAY, activity, on, send, web

pytestmark = pytest.mark.usefixtures("same_day")

PAST = TODAY - 10


def _transitions(ws) -> list[tuple[str, str, int]]:
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(StageTransition.from_stage, StageTransition.to_stage, StageTransition.at_ms)
            .where(StageTransition.team_id == ws.team_id)
            .order_by(StageTransition.id)
        ).all()
    return [tuple(r) for r in rows]


def _later_evidence(ws) -> None:
    """Strong signals of every kind, all dated after PAST."""
    send(
        ws,
        [
            web("acme.com", "pricing", 3, "p1", "v1"),
            web("acme.com", "demo", 2, "d1", "v2"),
            {"source": "g2", "domain": "acme.com", "type": "pricing", "occurredAt": on(2)},
            {
                "source": "linkedin",
                "domain": "acme.com",
                "type": "lead_form",
                "occurredAt": on(4),
            },
        ],
    )
    body = {"activities": [activity(1, "email", 1, direction="inbound")]}
    assert ws.post("/sales-activities", body).status_code == 200


def test_a_past_run_ignores_later_evidence_and_enters_the_stage_on_its_day(ws):
    ws.push(account(1, domain="acme.com"))
    send(ws, [web("acme.com", "content", 15, "c1", "v1")])
    _later_evidence(ws)
    sync = ws.get("/accounts").json()["data"]["syncTimestamp"]

    report = run_team(ws.db, team_id=ws.team_id, full=True, as_of=PAST)
    assert report.status == "succeeded", report.errors
    assert report.as_of_day == PAST
    explained = ws.get("/accounts/crm-1/score").json()["data"]
    assert explained["asOf"] == iso_day(PAST)
    scored = {s["source"]: s["score"] for s in explained["sources"]}
    assert scored["website"] > 0
    assert (scored["g2"], scored["bombora"], scored["linkedin"], scored["sales"]) == (0, 0, 0, 0)
    assert [s["occurredOn"] for s in explained["topSignals"]] == [iso_day(TODAY - 15)]
    stage = explained["stage"]
    assert stage["name"] == "Aware"
    assert stage["reason"] == f"website content page view on {iso_day(TODAY - 15)}"
    assert stage["enteredAt"].startswith(f"{iso_day(PAST)}T00:00:00")
    assert stage["daysInStage"] == 10
    assert _transitions(ws) == [("Unaware", "Aware", PAST * DAY_MS)]
    # The write itself is today's change: delta sync still hands the account out.
    delta = ws.get("/accounts", params={"lastSync": sync}).json()["data"]["data"]
    assert [a["externalId"] for a in delta] == ["crm-1"]
    assert delta[0]["rtp_journey_stage"] == "Aware"

    today = run_team(ws.db, team_id=ws.team_id, full=True)
    assert today.status == "succeeded", today.errors
    explained = ws.get("/accounts/crm-1/score").json()["data"]
    scored = {s["source"]: s["score"] for s in explained["sources"]}
    assert all(scored[s] > 0 for s in ("website", "g2", "linkedin", "sales")), scored
    assert explained["stage"]["name"] == "Consideration"
    assert explained["stage"]["daysInStage"] == 0
    moves = _transitions(ws)
    assert moves[0] == ("Unaware", "Aware", PAST * DAY_MS)
    assert [m[:2] for m in moves[1:]] == [("Aware", "Consideration")]
    assert moves[1][2] >= TODAY * DAY_MS


def test_a_past_run_keeps_the_day_a_stage_was_entered_until_the_stage_moves(ws):
    ws.push(account(1, domain="acme.com"))
    send(ws, [web("acme.com", "content", 20, "c1", "v1")])
    assert run_team(ws.db, team_id=ws.team_id, full=True, as_of=TODAY - 20).status == "succeeded"
    assert run_team(ws.db, team_id=ws.team_id, full=True, as_of=PAST).status == "succeeded"
    stage = ws.get("/accounts/crm-1/score").json()["data"]["stage"]
    assert (stage["name"], stage["daysInStage"]) == ("Aware", 20)
    assert run_team(ws.db, team_id=ws.team_id, full=True).status == "succeeded"
    stage = ws.get("/accounts/crm-1/score").json()["data"]["stage"]
    assert (stage["name"], stage["daysInStage"], stage["pendingDowngrade"]) == ("Aware", 20, None)
    assert _transitions(ws) == [("Unaware", "Aware", (TODAY - 20) * DAY_MS)]
