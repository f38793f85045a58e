"""A large run on the PostgreSQL queue is a job per chunk and survives a worker killed mid-job."""

import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from intentsync.config import Settings
from intentsync.db.models import (
    ScoringLease,
    ScoringRun,
    ScoringRunChunk,
    StageTransition,
    WebhookEvent,
)
from intentsync.scheduler import Background
from intentsync.scoring.job import RunReport, run_team, score_chunk
from tests.factories import account
from tests.live import intentsync_process

ACCOUNTS = 3000
CHUNK = 150


def _seed(ws) -> None:
    at = (datetime.now(UTC) - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for start in range(1, ACCOUNTS + 1, 100):
        batch = [account(i) for i in range(start, min(start + 100, ACCOUNTS + 1))]
        ws.push(*batch)
        signals = [
            {"source": "linkedin", "domain": a["domain"], "type": "lead_form", "occurredAt": at}
            for a in batch
        ]
        assert ws.post("/signals", {"signals": signals}).status_code == 200
    hook = {"url": "http://127.0.0.1:9/never", "events": ["account.score_changed"]}
    created = ws.post("/webhooks", {**hook, "minScoreChange": 0})
    assert created.status_code in (200, 201), created.text


def _worker(database_url: str) -> subprocess.Popen[str]:
    return intentsync_process(
        database_url,
        "worker",
        INTENTSYNC_LOG_LEVEL="debug",
        INTENTSYNC_SCORING_DEBOUNCE="0",
        INTENTSYNC_SCORING_CHUNK_SIZE=str(CHUNK),
        INTENTSYNC_SCORING_PROCESSES="1",
        INTENTSYNC_WORKER_HEARTBEAT="0.5",
        INTENTSYNC_WORKER_STALLED_AFTER="3",
        INTENTSYNC_JOB_CONCURRENCY="1",
    )


def _kill_when_it_starts_a_chunk(process: subprocess.Popen[str], killed: threading.Event) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        if "job scoring.chunk started" in line and not killed.is_set():
            process.send_signal(signal.SIGKILL)
            killed.set()
            return


def _drain(process: subprocess.Popen[str]) -> None:
    assert process.stderr is not None
    for _line in process.stderr:
        pass


@pytest.mark.slow
def test_a_worker_killed_mid_chunk_loses_nothing_and_applies_each_chunk_once(database_url, request):
    if database_url.startswith("sqlite"):
        pytest.skip("runs are spread over queue workers on PostgreSQL; SQLite scores in-process")
    ws = request.getfixturevalue("lone_ws")
    database_url = ws.db.url
    _seed(ws)
    workers = [_worker(database_url) for _ in range(3)]
    killed = threading.Event()
    watchers = [threading.Thread(target=_kill_when_it_starts_a_chunk, args=(workers[0], killed))]
    watchers += [threading.Thread(target=_drain, args=(w,), daemon=True) for w in workers[1:]]
    for watcher in watchers:
        watcher.start()
    try:
        deadline = time.monotonic() + 240
        run = None
        while time.monotonic() < deadline:
            with ws.db.transaction(write=False) as session:
                run = session.scalars(
                    select(ScoringRun)
                    .where(ScoringRun.team_id == ws.team_id, ScoringRun.plan.is_not(None))
                    .order_by(ScoringRun.id)
                ).first()
                if run is not None and run.status != "running":
                    break
            time.sleep(0.2)
        assert killed.is_set(), "no worker was seen starting a chunk"
        assert workers[0].wait(timeout=10) == -signal.SIGKILL
        assert run is not None
        assert run.status == "succeeded", (run.status, run.errors)
        with ws.db.transaction(write=False) as session:
            chunks = session.scalars(
                select(ScoringRunChunk).where(ScoringRunChunk.run_id == run.id)
            ).all()
            moved = session.execute(
                select(WebhookEvent.payload).where(
                    WebhookEvent.team_id == ws.team_id, WebhookEvent.type == "account.score_changed"
                )
            ).all()
            transitions = session.execute(
                select(StageTransition.account_id, func.count())
                .where(StageTransition.team_id == ws.team_id)
                .group_by(StageTransition.account_id, StageTransition.to_stage)
            ).all()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    assert len(chunks) == ACCOUNTS // CHUNK
    assert all(c.done_ms is not None and c.error is None for c in chunks)
    assert run.accounts_scored == ACCOUNTS  # each chunk counted once, the killed one included
    # Every account's move was announced exactly once, and no stage was entered twice.
    per_account = Counter(row[0]["data"]["account"]["externalId"] for row in moved)
    assert len(per_account) == ACCOUNTS
    assert set(per_account.values()) == {1}
    assert all(count == 1 for _account, count in transitions)
    # The spread run wrote what one process would have: scoring again in-process changes nothing.
    again = run_team(ws.db, team_id=ws.team_id, full=True, processes=1)
    assert again.status == "succeeded"
    assert again.accounts_changed == 0


def _planned_and_never_submitted(ws, *, age_ms: int) -> RunReport:
    """A spread run of 300 accounts in 3 chunks whose planner submitted no chunk job."""
    for start in (1, 101, 201):
        ws.push(*(account(i) for i in range(start, start + 100)))
    planned = run_team(ws.db, team_id=ws.team_id, spread=lambda *_: None, chunk_size=100)
    assert planned.status == "spread"
    with ws.db.transaction() as session:
        session.execute(
            update(ScoringRun)
            .where(ScoringRun.id == planned.run_id)
            .values(started_ms=ScoringRun.started_ms - age_ms)
        )
    return planned


def _dispatcher(ws) -> Background:
    """Background work on the PostgreSQL queue whose rounds wait an hour: only the rescue acts."""
    settings = Settings(
        database_url=ws.db.url, scoring_interval=0, serve_jobs=False, scoring_chunk_size=100
    )
    return Background(settings, ws.db, scoring_interval=3600, first_delay=3600)


def test_a_spread_run_whose_planner_died_before_submitting_its_chunks_still_finishes(
    database_url, request
):
    """Nothing stands for its chunks, so the dispatcher submits them once the run is old."""
    if database_url.startswith("sqlite"):
        pytest.skip("runs are spread over queue workers on PostgreSQL; SQLite scores in-process")
    ws = request.getfixturevalue("lone_ws")
    planned = _planned_and_never_submitted(ws, age_ms=120_000)  # the planner died 2 min ago
    background = _dispatcher(ws)
    assert background.queue.kind == "postgresql"
    assert background.dispatch() == 3  # one job per chunk, each keyed
    assert background.dispatch() == 0  # they stand for the chunks now: none submitted twice
    background.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            with ws.db.transaction(write=False) as session:
                run = session.get(ScoringRun, planned.run_id)
                assert run is not None
                if run.status != "running":
                    break
            assert time.monotonic() < deadline, "the stranded run never finished"
            time.sleep(0.2)
    finally:
        background.stop()
    assert (run.status, run.accounts_scored) == ("succeeded", 300)
    assert run_team(ws.db, team_id=ws.team_id).status == "succeeded"  # the lease is free again


def test_a_spread_run_that_lost_its_lease_is_not_revived_and_fails_when_the_next_run_starts(
    database_url, request
):
    if database_url.startswith("sqlite"):
        pytest.skip("runs are spread over queue workers on PostgreSQL; SQLite scores in-process")
    ws = request.getfixturevalue("lone_ws")
    planned = _planned_and_never_submitted(ws, age_ms=20 * 60_000)  # planned long ago
    with ws.db.transaction() as session:  # and nothing renewed its lease since
        session.execute(update(ScoringLease).values(expires_ms=0))
    background = _dispatcher(ws)
    try:
        assert background.dispatch() == 0, "an abandoned run's chunks were submitted again"
    finally:
        background.stop()
    later = run_team(ws.db, team_id=ws.team_id, full=True)
    assert (later.status, later.accounts_scored) == ("succeeded", 300)
    assert score_chunk(ws.db, run_id=planned.run_id, seq=0) is False
    with ws.db.transaction(write=False) as session:
        old = session.get(ScoringRun, planned.run_id)
        assert old is not None
        assert old.status == "failed"
        assert "stopped renewing its lease" in old.errors[0]
        chunks = session.scalars(
            select(ScoringRunChunk).where(ScoringRunChunk.run_id == planned.run_id)
        ).all()
    assert [c.done_ms for c in chunks] == [None, None, None]
