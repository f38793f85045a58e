"""The scheduler inside serve scores every team on its own, and stops cleanly."""

import re
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from intentsync.config import Settings
from intentsync.db.models import ScoringRun
from intentsync.scheduler import Background
from tests.factories import account
from tests.live import free_port, intentsync_process


def _wait(check, seconds: float = 60) -> float:
    """Seconds until check() holds; fails after seconds."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, "timed out"
        time.sleep(0.05)
    return time.monotonic() - start


def _signal(domain: str, hours_ago: float = 2, kind: str = "lead_form") -> dict[str, str]:
    at = (datetime.now(UTC) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"source": "linkedin", "domain": domain, "type": kind, "occurredAt": at}


def _background(ws, **options) -> Background:
    """Background work for the lone team's database: hourly rounds, the first one now."""
    settings = Settings(database_url=ws.db.url, scoring_interval=0, serve_jobs=False)
    return Background(settings, ws.db, scoring_interval=3600, first_delay=0, **options)


def test_the_background_scores_every_team_without_being_asked(lone_ws):
    ws = lone_ws
    ws.push(account(1, domain="acme.com"))
    assert ws.post("/signals", {"signals": [_signal("acme.com")]}).status_code == 200
    background = _background(ws, deliver=False)
    background.start()
    try:
        _wait(lambda: background.rounds >= 1)
    finally:
        background.stop()
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_advertising_activity_score"] > 0


def test_a_new_signal_is_scored_within_seconds_not_at_the_next_round(lone_ws):
    ws = lone_ws
    ws.push(account(1, domain="acme.com"), account(2, domain="quiet.com"))
    background = _background(ws, debounce=0.5, deliver=False)
    background.start()
    try:
        _wait(lambda: background.rounds >= 1)  # the periodic round scores the team once
        before = ws.get("/accounts").json()["data"]["syncTimestamp"]
        assert ws.post("/signals", {"signals": [_signal("acme.com")]}).status_code == 200
        waited = _wait(
            lambda: ws.get("/accounts/crm-1").json()["data"]["rtp_advertising_activity_score"] > 0,
            seconds=30,
        )
        # The hourly round is an hour away: only the freshness round can have scored it.
        assert waited < 15
        delta = ws.get("/accounts", params={"lastSync": before}).json()["data"]["data"]
        assert [a["externalId"] for a in delta] == ["crm-1"]
        _wait(lambda: background.rounds >= 2)  # the freshness round concludes after its writes
        rounds = background.rounds
        time.sleep(2.5)  # no new inputs: no more rounds, and none recorded
        assert background.rounds == rounds
    finally:
        background.stop()


def test_a_burst_of_signals_makes_one_round(lone_ws):
    ws = lone_ws
    ws.push(*(account(i, domain=f"d{i}.com") for i in range(1, 6)))
    background = _background(ws, debounce=3, deliver=False)
    background.start()
    try:
        _wait(lambda: background.rounds >= 1)
        rounds = background.rounds
        for i in range(1, 6):
            assert ws.post("/signals", {"signals": [_signal(f"d{i}.com")]}).status_code == 200
        _wait(
            lambda: all(
                ws.get(f"/accounts/crm-{i}").json()["data"]["rtp_advertising_activity_score"] > 0
                for i in range(1, 6)
            ),
            seconds=30,
        )
        time.sleep(2)
        assert background.rounds == rounds + 1
    finally:
        background.stop()


def _wait_for_line(process: subprocess.Popen[str], needle: str, seconds: float = 60) -> str:
    """Lines the process writes to stderr until one holds needle; the process is stopped after."""
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    try:
        assert process.stderr is not None
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line and process.poll() is not None:
                break
            seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"no line with {needle!r} in:\n{''.join(seen)}")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_the_worker_logs_one_info_line_per_team_and_round(ws, database_url):
    ws.push(account(1, domain="acme.com"), account(2, domain="quiet.com"))
    line = _wait_for_line(
        intentsync_process(database_url, "worker", "--interval", "3600"),
        f"scoring team {ws.team_id}:",
    )
    assert line.startswith("INFO:")
    counts = r"succeeded (full|incremental) run, \d+ accounts, \d+ scored, \d+ changed in"
    assert re.search(counts, line)


def test_serve_logs_the_scheduled_rounds_at_info(ws, database_url):
    ws.push(account(1, domain="acme.com"))
    process = intentsync_process(
        database_url,
        "serve",
        "--port",
        str(free_port()),
        "--workers",
        "1",
        INTENTSYNC_SCORING_INTERVAL="3600",
        INTENTSYNC_SCORING_FIRST_DELAY="0",
    )
    line = _wait_for_line(process, f"scoring team {ws.team_id}:")
    assert line.startswith("INFO:")
    assert "intentsync.scoring" in line


def _runs(ws) -> list[tuple[str, int]]:
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(ScoringRun.status, ScoringRun.accounts_scored)
            .where(ScoringRun.team_id == ws.team_id)
            .order_by(ScoringRun.id)
        ).all()
    return [(status, scored) for status, scored in rows]


def test_a_server_killed_mid_round_scores_everything_once_restarted(lone_ws):
    ws = lone_ws
    at = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for start in range(1, 1201, 100):
        batch = [account(i) for i in range(start, start + 100)]
        ws.push(*batch)
        signals = [
            {"source": "linkedin", "domain": a["domain"], "type": "lead_form", "occurredAt": at}
            for a in batch
        ]
        assert ws.post("/signals", {"signals": signals}).status_code == 200
    env = {
        "INTENTSYNC_SCORING_INTERVAL": "3600",
        "INTENTSYNC_SCORING_FIRST_DELAY": "0",
        "INTENTSYNC_SCORING_CHUNK_SIZE": "100",
        "INTENTSYNC_SCORING_PROCESSES": "1",
        "INTENTSYNC_WORKER_HEARTBEAT": "0.5",
        "INTENTSYNC_WORKER_STALLED_AFTER": "3",
        "INTENTSYNC_LOG_LEVEL": "debug",
    }
    first = intentsync_process(
        ws.db.url, "serve", "--port", str(free_port()), "--workers", "1", **env
    )
    assert first.stderr is not None
    for line in first.stderr:
        if "job scoring." in line and "started" in line:
            first.kill()  # SIGKILL, mid-job: no shutdown, no cleanup
            break
    assert first.wait(timeout=30) == -signal.SIGKILL
    assert not any(status == "succeeded" and scored == 1200 for status, scored in _runs(ws))
    second = intentsync_process(
        ws.db.url, "serve", "--port", str(free_port()), "--workers", "1", **env
    )
    try:
        _wait(lambda: any(s == "succeeded" and n == 1200 for s, n in _runs(ws)), seconds=120)
    except AssertionError:
        second.send_signal(signal.SIGTERM)
        log = second.communicate(timeout=60)[1]
        raise AssertionError(
            f"runs {_runs(ws)}; the restarted server logged:\n{log[-6000:]}"
        ) from None
    second.send_signal(signal.SIGTERM)
    second.communicate(timeout=60)
    scores = ws.get("/accounts", params={"limit": 1000}).json()["data"]["data"]
    assert len(scores) == 1000
    assert all(a["rtp_advertising_activity_score"] > 0 for a in scores)
