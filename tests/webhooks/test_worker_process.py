"""Real processes: a killed server loses no committed event, and 10,000 events all arrive."""

import os
import signal
import subprocess
import sys
import time

import orjson
import pytest
from sqlalchemy import func, select

from intentsync.db.models import WebhookDelivery
from intentsync.webhooks import service
from intentsync.webhooks.events import SCORING_RUN_COMPLETED, Event
from tests.live import free_port
from tests.webhooks.conftest import add_subscription
from tests.webhooks.receiver import Answer

RUN = SCORING_RUN_COMPLETED


def emit_runs(db, team_id, numbers):
    with db.transaction() as session:
        service.emit(session, team_id=team_id, events=[Event(RUN, {"n": n}) for n in numbers])


def received_numbers(receiver, path):
    return [orjson.loads(r.body)["data"]["n"] for r in receiver.received(path)]


def delivered(db, subscription_pk):
    with db.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).where(
                WebhookDelivery.subscription_pk == subscription_pk,
                WebhookDelivery.status == "delivered",
            )
        )


def start(database_url, tmp_path, name, *args):
    env = {
        **os.environ,
        "INTENTSYNC_DATABASE_URL": database_url,
        "INTENTSYNC_SCORING_INTERVAL": "0",
        "INTENTSYNC_LOG_LEVEL": "warning",
        "INTENTSYNC_WEBHOOK_TIMEOUT": "1",
        "INTENTSYNC_WEBHOOK_LEASE_MARGIN": "2",
    }
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "intentsync", *args], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_until(check, seconds, what):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_server_killed_mid_delivery_loses_no_committed_event(
    ws, receiver, workers, database_url, tmp_path
):
    sub = add_subscription(ws.db, ws.team_id, receiver.url + "/hook", [RUN])
    receiver.answer("/hook", always=Answer(200, delay=0.01))
    committed = list(range(400))
    for start_at in range(0, 400, 100):
        emit_runs(ws.db, ws.team_id, committed[start_at : start_at + 100])

    def failing_change():  # a change that fails takes its events with it
        with ws.db.transaction() as session:
            service.emit(
                session, team_id=ws.team_id, events=[Event(RUN, {"n": -n}) for n in range(1, 51)]
            )
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    server = start(
        database_url, tmp_path, "serve", "serve", "--port", str(free_port()), "--workers", "1"
    )
    try:
        wait_until(
            lambda: len(receiver.received("/hook")) >= 60 or server.poll() is not None,
            60,
            "the server delivered nothing",
        )
        assert server.poll() is None, (tmp_path / "serve.log").read_text()
        server.send_signal(signal.SIGKILL)
        server.wait(10)
    finally:
        if server.poll() is None:
            server.kill()
    before = len(received_numbers(receiver, "/hook"))
    assert before < len(committed)  # killed mid-delivery
    emit_runs(ws.db, ws.team_id, range(400, 450))  # committed while nothing delivered
    committed += range(400, 450)
    worker = start(database_url, tmp_path, "worker", "worker", "--webhooks-only")
    try:
        wait_until(
            lambda: set(received_numbers(receiver, "/hook")) >= set(committed),
            60,
            "not every committed event arrived after the restart",
        )
        wait_until(
            lambda: delivered(ws.db, sub.id) == len(committed),
            30,
            "not every delivery was recorded",
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    numbers = received_numbers(receiver, "/hook")
    assert not [n for n in numbers if n < 0]  # nothing of the rolled-back change
    assert set(numbers) == set(committed)
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()


def test_ten_thousand_events_arrive_without_loss(ws, receiver, workers):
    sub = add_subscription(ws.db, ws.team_id, receiver.url + "/many", [RUN])
    total = 10_000
    for start_at in range(0, total, 2000):
        emit_runs(ws.db, ws.team_id, range(start_at, start_at + 2000))
    worker = workers(poll_seconds=0.05)
    started = time.monotonic()
    worker.start()
    wait_until(lambda: len(receiver.received("/many")) >= total, 90, "events went missing")
    elapsed = time.monotonic() - started
    assert sorted(received_numbers(receiver, "/many")) == list(range(total))
    wait_until(lambda: worker.delivered >= total, 30, "deliveries were not recorded")
    with ws.db.transaction(write=False) as session:
        statuses = dict(
            session.execute(
                select(WebhookDelivery.status, func.count())
                .where(WebhookDelivery.subscription_pk == sub.id)
                .group_by(WebhookDelivery.status)
            ).all()
        )
    assert statuses == {"delivered": total}
    assert elapsed < 60, f"10,000 deliveries took {elapsed:.1f}s"
