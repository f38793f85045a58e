"""Scoring runs, signal writers and a delta-syncing client at once: the client misses nothing."""

import random
import threading
from datetime import UTC, datetime, timedelta

import httpx

from intentsync.scoring.job import run_team
from tests.accounts.test_delta_sync_concurrent import fetch_all
from tests.factories import CRM, account
from tests.live import live_server

ROUNDS = 25
TYPES = ["pricing", "compare", "category", "profile", "competitor"]


def signal_writer(base, key, worker, errors):
    rng = random.Random(worker)
    with httpx.Client(base_url=base, headers={"X-Api-Key": key}, timeout=30) as client:
        for round_ in range(ROUNDS):
            try:
                day = datetime.now(UTC) - timedelta(days=rng.randrange(20))
                signals = [
                    {
                        "source": "g2",
                        "domain": f"company{rng.randrange(40)}.com",
                        "type": rng.choice(TYPES),
                        "occurredAt": day.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "quantity": rng.randrange(1, 4),
                        "key": f"w{worker}-{round_}-{i}",
                    }
                    for i in range(5)
                ]
                response = client.post(CRM + "/signals", json={"signals": signals})
                assert response.status_code == 200, response.text
            except Exception as exc:  # surfaced by the main thread
                errors.append(exc)
                return


def scorer(db, team_id, stop, errors, runs):
    while not stop.is_set():
        report = run_team(db, team_id=team_id)
        if report.status == "failed":
            errors.append(AssertionError(report.errors))
            return
        runs.append(report)


def test_delta_sync_sees_every_score_change_made_while_writers_run(ws, app):
    ws.push(*[account(i) for i in range(40)])
    errors: list[Exception] = []
    runs: list = []
    stop = threading.Event()
    with (
        live_server(app) as base,
        httpx.Client(base_url=base, headers={"X-Api-Key": ws.key}, timeout=30) as client,
    ):
        replica = {}
        rows, stamp = fetch_all(client, {"limit": 7, "mode": "keyset"})
        replica.update({row["rtp_aid"]: row for row in rows})
        writers = [
            threading.Thread(target=signal_writer, args=(base, ws.key, n, errors)) for n in range(2)
        ]
        scoring = threading.Thread(target=scorer, args=(ws.db, ws.team_id, stop, errors, runs))
        for thread in [*writers, scoring]:
            thread.start()
        while any(t.is_alive() for t in writers):
            rows, stamp = fetch_all(client, {"limit": 7, "lastSync": stamp, "mode": "keyset"})
            replica.update({row["rtp_aid"]: row for row in rows})
        stop.set()
        scoring.join()
        final = run_team(ws.db, team_id=ws.team_id)  # everything written is scored now
        rows, stamp = fetch_all(client, {"limit": 7, "lastSync": stamp, "mode": "keyset"})
        replica.update({row["rtp_aid"]: row for row in rows})
        truth, _ = fetch_all(client, {"limit": 1000, "mode": "keyset"})

    assert errors == []
    assert final.status == "succeeded"
    assert len(runs) >= 1
    assert sum(r.accounts_changed for r in runs) > 0
    assert any(row["rtp_g2_intent_score"] > 0 for row in truth)
    assert {row["rtp_aid"]: row for row in truth} == replica
