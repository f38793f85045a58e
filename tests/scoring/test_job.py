"""The scoring job end to end: rtp_ fields, stages, delta sync, incremental runs, leases."""

import gc
import os
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import timedelta
from types import MappingProxyType

import pytest
from sqlalchemy import select

from intentsync.db.engine import is_sqlite
from intentsync.db.models import Account, AccountScore, ScoreHistory, ScoringRun, StageTransition
from intentsync.kit.clock import now_ms
from intentsync.scoring import job, repository
from intentsync.scoring.chunks import ChunkTask, compute
from intentsync.scoring.config import default_config, parse_config
from intentsync.scoring.job import new_holder, run_team
from intentsync.scoring.service import change_setting
from tests import clock
from tests.factories import account

pytestmark = pytest.mark.usefixtures("same_day")

TODAY = clock.DAY


def on(days_ago: int, hour: int = 12) -> str:
    day = clock.TODAY - timedelta(days=days_ago)
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def worked_example_signals(domain: str) -> list[dict]:
    """SCORING.md's worked example, dated relative to today."""
    signals = []
    for n in range(3):
        signals.append(web(domain, "pricing", 2, f"p{n}", "v1" if n else "v2"))
    signals.append(web(domain, "demo", 10, "d1", "v1"))
    signals += [web(domain, "content", 20, f"c{n}", "v1") for n in range(5)]
    g2 = {"source": "g2", "domain": domain}
    signals += [
        {**g2, "type": "compare", "occurredAt": on(3), "quantity": 2},
        {**g2, "type": "pricing", "occurredAt": on(3)},
        {**g2, "type": "category", "occurredAt": on(10), "quantity": 4},
    ]
    week_a, week_b = monday_age(2), monday_age(9)
    for topic, score, age in [
        ("a", 85, week_a),
        ("b", 72, week_a),
        ("c", 64, week_a),
        ("d", 58, week_a),
        ("a", 90, week_b),
        ("e", 70, week_b),
    ]:
        signals.append(
            {
                "source": "bombora",
                "domain": domain,
                "type": "surge",
                "occurredAt": on(age),
                "attributes": {"topic": topic, "compositeScore": score},
            }
        )
    li = {"source": "linkedin", "domain": domain}
    signals += [
        {**li, "type": "impression", "occurredAt": on(5), "quantity": 300},
        {**li, "type": "click", "occurredAt": on(12), "quantity": 2},
        {**li, "type": "engagement", "occurredAt": on(12), "quantity": 3},
    ]
    return signals


def monday_age(age: int) -> int:
    """The example needs weeks whose Monday is exactly `age` days old: bombora keys on weeks."""
    return age


def web(domain: str, type_: str, age: int, pv: str, visitor: str) -> dict:
    return {
        "source": "website",
        "domain": domain,
        "type": type_,
        "occurredAt": on(age),
        "attributes": {"pageViewId": pv, "visitorId": visitor},
    }


def send(ws, signals):
    response = ws.post("/signals", {"signals": signals})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["summary"]["failed"] == 0, response.text


def test_a_run_scores_accounts_and_moves_only_changed_ones_into_the_delta(ws):
    ws.push(account(1, domain="acme.com"), account(2, domain="quiet.com"))
    send(
        ws,
        [
            {
                "source": "g2",
                "domain": "acme.com",
                "type": "pricing",
                "occurredAt": on(1),
                "quantity": 3,
            }
        ],
    )
    sync = ws.get("/accounts").json()["data"]["syncTimestamp"]
    report = run_team(ws.db, team_id=ws.team_id)
    assert report.status == "succeeded", report.errors
    assert report.kind == "full"
    # The quiet account is scored too (to zero), but only acme changed.
    assert (report.accounts_total, report.accounts_scored) == (2, 2)
    assert report.accounts_changed == 1
    delta = ws.get("/accounts", params={"lastSync": sync}).json()["data"]
    assert [a["externalId"] for a in delta["data"]] == ["crm-1"]
    acme = delta["data"][0]
    assert acme["rtp_g2_intent_score"] > 0
    assert acme["rtp_account_score"] > 0
    assert acme["rtp_journey_stage"] == "Consideration"
    assert acme["rtp_intent_signals"] == [
        {"source": "g2", "type": "pricing", "occurredOn": on(1)[:10], "quantity": 3}
    ]
    # Nothing new: a second run changes nothing and moves nothing.
    sync = delta["syncTimestamp"]
    again = run_team(ws.db, team_id=ws.team_id)
    assert again.status == "succeeded"
    assert again.kind == "incremental"
    assert again.accounts_changed == 0
    assert ws.get("/accounts", params={"lastSync": sync}).json()["data"]["data"] == []


def test_incremental_run_rescores_only_accounts_with_new_inputs(ws):
    ws.push(*[account(n) for n in range(1, 6)])
    run_team(ws.db, team_id=ws.team_id)
    send(ws, [{"source": "g2", "domain": "company3.com", "type": "compare", "occurredAt": on(0)}])
    report = run_team(ws.db, team_id=ws.team_id)
    assert report.kind == "incremental"
    assert (report.accounts_total, report.accounts_scored) == (5, 1)
    assert report.accounts_changed == 1
    assert ws.get("/accounts/crm-3").json()["data"]["rtp_g2_intent_score"] > 0


def test_config_change_rescores_everything_on_the_next_run(ws):
    ws.push(account(1, domain="acme.com"))
    send(ws, [{"source": "g2", "domain": "acme.com", "type": "pricing", "occurredAt": on(1)}])
    run_team(ws.db, team_id=ws.team_id)
    before = ws.get("/accounts/crm-1").json()["data"]["rtp_account_score"]
    with ws.db.transaction() as session:
        version = change_setting(session, team_id=ws.team_id, path="enabled.website", raw="false")
    assert version == 2
    report = run_team(ws.db, team_id=ws.team_id)
    assert report.kind == "full"
    assert report.config_version == 2
    after = ws.get("/accounts/crm-1").json()["data"]["rtp_account_score"]
    assert after > before  # website left the denominator


def test_deals_drive_the_stage_at_once_and_transitions_are_recorded(ws):
    ws.push(account(1, domain="acme.com"))
    response = ws.post(
        "/deal-stages",
        {
            "pipelines": [
                {
                    "pipelineId": "p",
                    "pipelineLabel": "Sales",
                    "stages": [
                        {"stageId": "s1", "stageLabel": "Discovery"},
                        {"stageId": "s9", "stageLabel": "Closed Won"},
                    ],
                }
            ]
        },
    )
    assert response.status_code in (200, 201), response.text
    deal = {
        "externalDealId": "d1",
        "name": "Deal",
        "pipelineId": "p",
        "stageId": "s1",
        "associatedAccounts": [{"externalId": "crm-1"}],
    }
    assert ws.post("/deals", {"deals": [deal]}).status_code == 200
    run_team(ws.db, team_id=ws.team_id)
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_journey_stage"] == "Opportunity"
    assert ws.post("/deals", {"deals": [{**deal, "stageId": "s9"}]}).status_code == 200
    report = run_team(ws.db, team_id=ws.team_id)
    assert report.kind == "incremental"
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_journey_stage"] == "Customer"
    with ws.db.transaction() as session:
        moves = session.execute(
            select(StageTransition.from_stage, StageTransition.to_stage, StageTransition.reason)
            .where(StageTransition.team_id == ws.team_id)
            .order_by(StageTransition.id)
        ).all()
    assert [tuple(m) for m in moves] == [
        ("Unaware", "Opportunity", "has an open deal"),
        ("Opportunity", "Customer", "has a won deal"),
    ]


def test_a_run_records_its_outcome(ws):
    ws.push(account(1))
    report = run_team(ws.db, team_id=ws.team_id)
    with ws.db.transaction() as session:
        run = session.scalars(select(ScoringRun).where(ScoringRun.team_id == ws.team_id)).one()
    assert run.id == report.run_id
    assert run.status == "succeeded"
    assert run.finished_ms >= run.started_ms
    assert run.as_of_day == TODAY
    assert run.errors == []


def test_a_held_lease_skips_the_run(ws):
    with ws.db.transaction() as session:
        assert repository.take_lease(
            session, team_id=ws.team_id, holder="other", now=10**13, ttl_ms=60_000
        )
    report = run_team(ws.db, team_id=ws.team_id)
    assert report.status == "skipped"
    assert "other" in report.errors[0]
    with ws.db.transaction() as session:
        # An expired lease is taken over.
        assert repository.take_lease(
            session, team_id=ws.team_id, holder="me", now=10**13 + 60_001, ttl_ms=1
        )


def test_a_lease_left_by_a_dead_process_of_this_host_is_taken_over_at_once(ws):
    ws.push(account(1))
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = f"{new_holder().split(':')[0]}:{gone.stdout.strip()}:cafe0001"
    alive = f"{new_holder().split(':')[0]}:{os.getppid()}:cafe0002"
    with ws.db.transaction() as session:
        assert repository.take_lease(
            session, team_id=ws.team_id, holder=alive, now=now_ms(), ttl_ms=600_000
        )
    assert run_team(ws.db, team_id=ws.team_id).status == "skipped"  # its holder still runs
    with ws.db.transaction() as session:
        repository.drop_lease(session, team_id=ws.team_id, holder=alive)
        assert repository.take_lease(
            session, team_id=ws.team_id, holder=dead, now=now_ms(), ttl_ms=600_000
        )
        stuck = repository.start_run(
            session,
            {
                "team_id": ws.team_id,
                "kind": "full",
                "status": "running",
                "as_of_day": TODAY,
                "config_version": 0,
                "started_ms": now_ms(),
                "accounts_scored": 0,
                "accounts_changed": 0,
                "errors": [],
            },
        )
    report = run_team(ws.db, team_id=ws.team_id)
    assert report.status == "succeeded"
    with ws.db.transaction() as session:
        left = session.get(ScoringRun, stuck)
        assert left is not None
        assert left.status == "failed"
        assert "stopped before it finished" in left.errors[0]
        assert repository.lease_holder(session, team_id=ws.team_id) is None


def test_a_stage_category_change_moves_deals_and_their_accounts(ws):
    ws.push(account(1, domain="acme.com"))
    pipelines = {
        "pipelines": [
            {
                "pipelineId": "p",
                "pipelineLabel": "Sales",
                "stages": [{"stageId": "s5", "stageLabel": "Signed"}],
            }
        ]
    }
    assert ws.post("/deal-stages", pipelines).status_code in (200, 201)
    deal = {
        "externalDealId": "d1",
        "name": "Deal",
        "pipelineId": "p",
        "stageId": "s5",
        "associatedAccounts": [{"externalId": "crm-1"}],
    }
    assert ws.post("/deals", {"deals": [deal]}).status_code == 200
    run_team(ws.db, team_id=ws.team_id)
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_journey_stage"] == "Opportunity"
    sync = ws.get("/deals").json()["data"]["syncTimestamp"]
    patched = ws.patch("/deal-stages/p/stages/s5", {"category": "won"})
    assert patched.status_code == 200, patched.text
    deals = ws.get("/deals", params={"lastSync": sync}).json()["data"]["data"]
    assert [(d["externalDealId"], d["stageCategory"]) for d in deals] == [("d1", "won")]
    report = run_team(ws.db, team_id=ws.team_id)
    assert (report.kind, report.accounts_scored) == ("incremental", 1)
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_journey_stage"] == "Customer"


def activity(n, kind, days_ago, **extra):
    return {
        "externalActivityId": f"a{n}",
        "activityType": kind,
        "occurredAt": on(days_ago),
        "domain": "acme.com",
        "ownerEmail": "rep@example.com",
        "contacts": [{"email": f"buyer{n}@acme.com"}],
        **extra,
    }


def test_sales_activities_count_as_the_sales_source(ws):
    ws.push(account(1, domain="acme.com"))
    body = {
        "activities": [
            activity(1, "email", 1, direction="outbound"),
            activity(2, "call", 2, direction="outbound", durationMinutes=12, outcome="Connected"),
            activity(3, "email", 3, direction="inbound"),
        ]
    }
    assert ws.post("/sales-activities", body).status_code == 200
    run_team(ws.db, team_id=ws.team_id)
    data = ws.get("/accounts/crm-1/score").json()["data"]
    sales = next(s for s in data["sources"] if s["source"] == "sales")
    assert set(sales["buckets"]) == {"outbound_email", "connected_call", "inbound"}
    assert sales["score"] > 0
    assert data["stage"]["name"] == "Consideration"  # an inbound touch in the last 14 days
    assert "inbound" in data["stage"]["reason"]


def test_activity_stages_move_down_only_after_holding_seven_days(ws):
    ws.push(account(1, domain="acme.com"))
    signal = {"source": "g2", "domain": "acme.com", "type": "pricing", "occurredAt": on(0)}
    assert ws.post("/signals", {"signals": [signal]}).status_code == 200
    run_team(ws.db, team_id=ws.team_id, as_of=TODAY)
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_journey_stage"] == "Consideration"

    def stage_on(day):
        report = run_team(ws.db, team_id=ws.team_id, as_of=day)
        assert report.status == "succeeded", report.errors
        return ws.get("/accounts/crm-1").json()["data"]["rtp_journey_stage"]

    # From day 14 the pricing view no longer qualifies for Consideration; Aware must hold 7 days.
    assert stage_on(TODAY + 14) == "Consideration"
    assert stage_on(TODAY + 20) == "Consideration"
    assert stage_on(TODAY + 21) == "Aware"
    with ws.db.transaction() as session:
        reason = session.scalars(
            select(StageTransition.reason)
            .where(StageTransition.team_id == ws.team_id)
            .order_by(StageTransition.id.desc())
        ).first()
    assert reason.endswith("Aware held for 7 days")


def test_worker_processes_score_exactly_as_the_parent_does(ws):
    ws.push(*[account(n) for n in range(1, 13)])
    signals = [
        {"source": "g2", "domain": f"company{n}.com", "type": "compare", "occurredAt": on(n % 5)}
        for n in range(1, 13)
    ]
    send(ws, signals)
    parallel = run_team(ws.db, team_id=ws.team_id, full=True, processes=2, chunk_size=5)
    assert parallel.status == "succeeded", parallel.errors
    assert parallel.processes == 2
    assert (parallel.accounts_scored, parallel.accounts_changed) == (12, 12)
    scored = ws.get("/accounts", params={"limit": 100}).json()["data"]["data"]
    with ws.db.transaction() as session:
        change_setting(session, team_id=ws.team_id, path="weights.g2", raw="21")
        change_setting(session, team_id=ws.team_id, path="weights.g2", raw="20")
    alone = run_team(ws.db, team_id=ws.team_id, full=True, processes=1, chunk_size=5)
    assert alone.processes == 1
    assert (alone.accounts_scored, alone.accounts_changed) == (12, 0)
    assert ws.get("/accounts", params={"limit": 100}).json()["data"]["data"] == scored


def test_one_process_computes_the_next_chunk_while_it_writes_on_postgresql_only(ws, monkeypatch):
    ws.push(*[account(n) for n in range(1, 7)])
    send(ws, [{"source": "g2", "domain": "company1.com", "type": "compare", "occurredAt": on(1)}])
    overlaps = not is_sqlite(ws.db.url)  # SQLite writes in this process: overlap cost time
    began: list[int] = []
    second_began = threading.Event()
    seen: list[bool] = []

    def watched_compute(task, db, config):
        began.append(task.ids[0])
        if len(began) == 2:
            second_began.set()
        return compute(task, db, config)

    def watched_write(session, **kwargs):
        # Without the overlap the next chunk starts only after this write: a timeout.
        seen.append(second_began.wait(timeout=20) if overlaps else second_began.is_set())
        return write_chunk(session, **kwargs)

    write_chunk = job._write_chunk
    monkeypatch.setattr(job, "compute", watched_compute)
    monkeypatch.setattr(job, "_write_chunk", watched_write)
    report = run_team(ws.db, team_id=ws.team_id, full=True, processes=1, chunk_size=2)
    assert report.status == "succeeded", report.errors
    assert (report.processes, report.accounts_scored) == (1, 6)
    assert len(began) == 3
    assert seen == [overlaps, True, True]
    company1 = ws.get("/accounts/crm-1").json()["data"]
    assert company1["rtp_g2_intent_score"] > 0


def test_dynamic_segments_follow_scoring_runs_full_and_incremental(ws):
    from intentsync.segments.service import create_segment

    ws.push(account(1, domain="acme.com"), account(2, domain="quiet.com"))
    rules = {
        "or": [
            {"field": "g2_intent_score", "operator": "gt", "value": 0},
            {"field": "tags", "operator": "contains", "value": "vip"},
        ]
    }
    with ws.db.transaction() as session:
        segment_id = create_segment(
            session, team_id=ws.team_id, name="Hot", type_="dynamic", status="active", rules=rules
        ).segment_id
    run_team(ws.db, team_id=ws.team_id)

    def members():
        listed = ws.get("/accounts").json()["data"]["data"]
        return {
            a["externalId"]
            for a in listed
            if any(s["segmentId"] == segment_id for s in a["rtp_segments"])
        }

    assert members() == set()
    send(ws, [{"source": "g2", "domain": "acme.com", "type": "pricing", "occurredAt": on(1)}])
    first = run_team(ws.db, team_id=ws.team_id)
    assert first.kind == "incremental"
    assert first.accounts_changed == 1  # new scores and a new segment: one account, counted once
    assert members() == {"crm-1"}
    # A tag pushed through the API reaches the segment on the next incremental run.
    sync = ws.get("/accounts").json()["data"]["syncTimestamp"]
    assert (
        ws.post("/accounts", {"accounts": [account(9, domain="new.com", tags=["vip"])]}).status_code
        == 200
    )
    second = run_team(ws.db, team_id=ws.team_id)
    assert second.kind == "incremental"
    assert members() == {"crm-1", "crm-9"}
    delta = ws.get("/accounts", params={"lastSync": sync}).json()["data"]["data"]
    assert {a["externalId"] for a in delta} == {"crm-9"}


def explanations(ws, count: int) -> list[dict]:
    """Each account's explanation, less what names the run (config version and time)."""
    out = []
    for n in range(1, count + 1):
        data = ws.get(f"/accounts/crm-{n}/score").json()["data"]
        out.append({k: v for k, v in data.items() if k not in ("configVersion", "scoredAt")})
    return out


def test_worker_processes_store_the_same_explanations_as_json_documents(ws):
    ws.push(*[account(n) for n in range(1, 9)])
    send(ws, [web(f"company{n}.com", "pricing", n % 4, f"pv-{n}", f"v-{n}") for n in range(1, 9)])
    parallel = run_team(ws.db, team_id=ws.team_id, full=True, processes=2, chunk_size=3)
    assert parallel.status == "succeeded", parallel.errors
    assert parallel.processes == 2
    explained = explanations(ws, 8)
    assert all(e["rtp_account_score"] > 0 and e["sources"] for e in explained)
    with ws.db.transaction(write=False) as session:
        # Encoded once, in the worker: stored as JSON documents, never as a JSON string.
        stored = session.execute(
            select(Account.intent_signals, AccountScore.breakdown)
            .join(AccountScore, AccountScore.account_id == Account.id)
            .where(Account.team_id == ws.team_id)
        ).all()
    assert len(stored) == 8
    for shown, breakdown in stored:
        assert isinstance(shown, list)
        assert shown
        assert shown[0]["source"] == "website"
        assert isinstance(breakdown, dict)
        assert breakdown["overall"] > 0
    with ws.db.transaction() as session:
        change_setting(session, team_id=ws.team_id, path="weights.g2", raw="21")
        change_setting(session, team_id=ws.team_id, path="weights.g2", raw="20")
    alone = run_team(ws.db, team_id=ws.team_id, full=True, processes=1, chunk_size=3)
    assert (alone.accounts_scored, alone.accounts_changed) == (8, 0)
    assert explanations(ws, 8) == explained


def test_a_run_leaves_the_cycle_collector_as_it_found_it(ws):
    ws.push(*[account(n) for n in range(1, 4)])
    assert gc.isenabled()
    assert run_team(ws.db, team_id=ws.team_id, full=True, processes=1).status == "succeeded"
    assert gc.isenabled()
    gc.disable()
    try:
        assert run_team(ws.db, team_id=ws.team_id, full=True, processes=1).status == "succeeded"
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_cycle_collector_resumes_when_a_chunk_fails(ws):
    ws.push(account(1))
    with ws.db.transaction(write=False) as session:
        ids = repository.all_account_ids(session, team_id=ws.team_id)
    task = ChunkTask(
        url=ws.db.url,
        team_id=ws.team_id,
        as_of=TODAY,
        config_version=1,
        config_doc=default_config(),
        ids=ids,
        only=False,
    )
    config = parse_config(default_config(), version=1)
    assert compute(task, ws.db, config).scored == 1
    # A config missing the website rules while website is enabled breaks scoring mid-chunk.
    broken = replace(config, point_sources=MappingProxyType({}))
    with pytest.raises(KeyError):
        compute(task, ws.db, broken)
    assert gc.isenabled()


def test_the_bulk_score_writes_name_every_column_of_their_tables():
    """The driver-level writes bypass Core's defaults: a new column must be named there."""
    explained = {c.key for c in AccountScore.__table__.c}
    assert explained == {"account_id", "team_id", *repository.EXPLANATION_UPDATES}
    kept = {c.key for c in ScoreHistory.__table__.c}
    assert kept == {"account_id", "day", "team_id", *repository.HISTORY_SCORES}


def test_a_run_drops_the_records_of_finished_runs_older_than_a_month(ws):
    ws.push(account(1))
    day = 86_400_000
    now = now_ms()

    def old_run(status: str, age_days: int) -> int:
        with ws.db.transaction() as session:
            run = ScoringRun(
                team_id=ws.team_id,
                kind="incremental",
                status=status,
                as_of_day=0,
                config_version=1,
                started_ms=now - age_days * day,
                errors=[],
            )
            session.add(run)
            session.flush()
            return run.id

    gone = [old_run("succeeded", 31), old_run("failed", 400)]
    kept = [old_run("running", 45), old_run("succeeded", 29)]
    report = run_team(ws.db, team_id=ws.team_id)
    assert report.status == "succeeded"
    with ws.db.transaction(write=False) as session:
        left = set(session.scalars(select(ScoringRun.id).where(ScoringRun.team_id == ws.team_id)))
    assert left == {*kept, report.run_id}
    assert not left & set(gone)
