"""The scheduler inside serve scores every team on its own, and stops cleanly."""

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from intentsync.scheduler import ScoringScheduler
from tests.factories import account
from tests.live import free_port


def test_the_scheduler_scores_without_being_asked(ws):
    ws.push(account(1, domain="acme.com"))
    at = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    signal = {"source": "linkedin", "domain": "acme.com", "type": "lead_form", "occurredAt": at}
    assert ws.post("/signals", {"signals": [signal]}).status_code == 200
    scheduler = ScoringScheduler(ws.db, interval_seconds=3600, first_delay=0)
    scheduler.start()
    deadline = time.monotonic() + 60
    while scheduler.runs == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    scheduler.stop()
    assert scheduler.runs == 1
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_advertising_activity_score"] > 0


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


def _start(database_url: str, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "intentsync", *args],
        env={**os.environ, "INTENTSYNC_DATABASE_URL": database_url, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_worker_logs_one_info_line_per_team_and_round(ws, database_url):
    ws.push(account(1, domain="acme.com"), account(2, domain="quiet.com"))
    line = _wait_for_line(
        _start(database_url, "worker", "--interval", "3600"), f"scoring team {ws.team_id}:"
    )
    assert line.startswith("INFO:")
    counts = r"succeeded (full|incremental) run, \d+ accounts, \d+ scored, \d+ changed in"
    assert re.search(counts, line)


def test_serve_logs_the_scheduled_rounds_at_info(ws, database_url):
    ws.push(account(1, domain="acme.com"))
    process = _start(
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
