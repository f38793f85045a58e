"""The worker POSTs signed events to a real receiver, retries on schedule and gives up in time."""

import time
from datetime import UTC, datetime
from email.utils import format_datetime

import orjson
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from intentsync.db.models import WebhookEvent
from intentsync.kit.clock import DAY_MS
from intentsync.webhooks import delivery, service
from intentsync.webhooks.events import SCORING_RUN_COMPLETED, Event
from intentsync.webhooks.job import USER_AGENT
from tests.webhooks.conftest import (
    Clock,
    add_subscription,
    attempts_of,
    deliveries_of,
    subscription,
)
from tests.webhooks.receiver import Answer

RUN = SCORING_RUN_COMPLETED


def emit(ws, count=1, at_ms=None):
    with ws.db.transaction() as session:
        return service.emit(
            session,
            team_id=ws.team_id,
            events=[Event(RUN, {"run": i}) for i in range(count)],
            at_ms=at_ms,
        )


def test_a_delivery_is_posted_signed_and_logged(ws, receiver, workers):
    sub = add_subscription(ws.db, ws.team_id, receiver.url + "/hook", [RUN])
    assert emit(ws) == 1
    worker = workers()
    assert worker.run_once() == 1
    [got] = receiver.received("/hook")
    with ws.db.transaction(write=False) as session:
        event = session.scalars(
            select(WebhookEvent).where(WebhookEvent.team_id == ws.team_id)
        ).one()
    assert got.body == orjson.dumps(event.payload)
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == USER_AGENT
    assert got.headers["webhook-id"] == event.event_id
    assert Webhook(sub.secret).verify(got.body, got.headers)["id"] == event.event_id
    tampered = got.body.replace(b'"run":0', b'"run":1')
    assert tampered != got.body
    with pytest.raises(WebhookVerificationError):
        Webhook(sub.secret).verify(tampered, got.headers)
    [row] = deliveries_of(ws.db, sub.id)
    assert (row.status, row.attempts, row.last_status_code, row.lease_until_ms) == (
        "delivered",
        1,
        200,
        None,
    )
    assert row.finished_ms is not None
    [attempt] = attempts_of(ws.db, row.id)
    assert attempt.status_code == 200
    assert attempt.response_excerpt == "ok"
    assert attempt.error is None
    assert attempt.latency_ms >= 0
    assert worker.run_once() == 0  # nothing is sent twice


def test_failures_are_retried_on_the_schedule_for_a_day_then_given_up(ws, receiver, workers):
    sub = add_subscription(ws.db, ws.team_id, receiver.url + "/down", [RUN])
    receiver.answer("/down", always=Answer(503, body=b"x" * 5000))
    clock = Clock()
    emit(ws, at_ms=clock.now)
    worker = workers(clock=clock)
    first = clock.now
    delays = []
    while True:
        assert worker.run_once() == 1
        [row] = deliveries_of(ws.db, sub.id)
        if row.status != "pending":
            break
        delays.append((row.next_attempt_ms - clock.now) // 1000)
        clock.now = row.next_attempt_ms - 1
        assert worker.run_once() == 0  # not before it is due
        clock.now += 1
    assert delays == [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800, 28800]
    assert row.status == "failed"
    assert row.attempts == 12
    assert clock.now - first >= DAY_MS
    assert "503" in row.last_error
    assert "24 hours" in row.last_error
    attempts = attempts_of(ws.db, row.id)
    assert len(attempts) == 12 == len(receiver.received("/down"))
    assert {a.status_code for a in attempts} == {503}
    assert all(len(a.response_excerpt) == 1024 for a in attempts)
    assert subscription(ws.db, sub.id).failing_since_ms == first


def test_a_redelivery_after_giving_up_gets_a_new_day_of_retries(ws, receiver, workers, monkeypatch):
    sub = add_subscription(ws.db, ws.team_id, receiver.url + "/down", [RUN])
    receiver.answer("/down", always=Answer(503))
    clock = Clock()
    emit(ws, at_ms=clock.now)
    worker = workers(clock=clock)
    while True:  # a day of retries, then given up
        assert worker.run_once() == 1
        [row] = deliveries_of(ws.db, sub.id)
        if row.status != "pending":
            break
        clock.now = row.next_attempt_ms
    assert row.status == "failed"
    tried = len(attempts_of(ws.db, row.id))
    event_id = ws.db.session(write=False).scalar(
        select(WebhookEvent.event_id).where(WebhookEvent.team_id == ws.team_id)
    )
    clock.now += 1000
    monkeypatch.setattr(service, "now_ms", clock)  # the redelivery happens on the test's clock
    with ws.db.transaction() as session:
        service.redeliver(session, team_id=ws.team_id, webhook_id=sub.webhook_id, event_id=event_id)
    assert worker.run_once() == 1
    [row] = deliveries_of(ws.db, sub.id)
    assert row.status == "pending"  # a fresh round: retried, not given up after one try
    assert row.next_attempt_ms - clock.now == 5000
    clock.now = row.next_attempt_ms
    assert worker.run_once() == 1
    [row] = deliveries_of(ws.db, sub.id)
    assert row.status == "pending"  # the window counts from this round's first try
    assert row.next_attempt_ms - clock.now == 30_000
    assert len(attempts_of(ws.db, row.id)) == tried + 2  # the earlier round stays logged


def test_jitter_spreads_each_delay_by_a_fifth(ws, receiver, workers):
    assert delivery.retry_delay_ms(1, 0.0) == 4000
    assert delivery.retry_delay_ms(1, 0.999999) == 6000
    assert delivery.retry_delay_ms(3, 0.5) == 120_000
    assert delivery.retry_delay_ms(40, 0.5) == 8 * 3600_000


def test_429_waits_as_retry_after_says_capped_at_an_hour(ws, receiver, workers):
    sub = add_subscription(ws.db, ws.team_id, receiver.url + "/busy", [RUN])
    clock = Clock()
    later = format_datetime(datetime.fromtimestamp(clock.now / 1000 + 120 + 600, UTC), usegmt=True)
    receiver.answer(
        "/busy",
        Answer(429, {"Retry-After": "120"}),
        Answer(429, {"Retry-After": later}),
        Answer(429, {"Retry-After": "86400"}),
        Answer(429),
        Answer(200),
    )
    emit(ws, at_ms=clock.now)
    worker = workers(clock=clock)
    waits = []
    for _ in range(5):
        assert worker.run_once() == 1
        [row] = deliveries_of(ws.db, sub.id)
        if row.status == "pending":
            waits.append(row.next_attempt_ms - clock.now)
            clock.now = row.next_attempt_ms
    assert abs(waits[1] - 600_000) <= 1000
    assert [waits[0], waits[2], waits[3]] == [120_000, 3600_000, 600_000]  # none: the 4th delay
    assert row.status == "delivered"
    assert subscription(ws.db, sub.id).failing_since_ms is None  # a success clears the streak


def test_another_4xx_fails_at_once_without_retry(ws, receiver, workers):
    sub = add_subscription(ws.db, ws.team_id, receiver.url + "/gone", [RUN])
    receiver.answer("/gone", always=Answer(410, body=b"no such hook"))
    clock = Clock()
    emit(ws, at_ms=clock.now)
    worker = workers(clock=clock)
    assert worker.run_once() == 1
    clock.now += 2 * DAY_MS
    assert worker.run_once() == 0
    [row] = deliveries_of(ws.db, sub.id)
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 1, 410)
    assert attempts_of(ws.db, row.id)[0].response_excerpt == "no such hook"
    assert len(receiver.received("/gone")) == 1


def test_no_answer_in_time_is_a_retried_timeout(ws, receiver, workers):
    sub = add_subscription(ws.db, ws.team_id, receiver.url + "/slow", [RUN])
    receiver.answer("/slow", Answer(200, delay=1.5))
    emit(ws)
    worker = workers(timeout=0.3)
    assert worker.run_once() == 1
    [row] = deliveries_of(ws.db, sub.id)
    assert row.status == "pending"
    assert row.attempts == 1
    assert "timed out after 0.3s" in row.last_error
    [attempt] = attempts_of(ws.db, row.id)
    assert attempt.status_code is None
    assert attempt.latency_ms >= 300


def test_a_refused_connection_is_retried(ws, workers):
    sub = add_subscription(ws.db, ws.team_id, "http://127.0.0.1:9/nothing-listens", [RUN])
    emit(ws)
    assert workers().run_once() == 1
    [row] = deliveries_of(ws.db, sub.id)
    assert row.status == "pending"
    assert "ConnectError" in row.last_error


def test_five_days_of_failures_disable_the_subscription(ws, receiver, workers, caplog):
    clock = Clock()
    recent = add_subscription(
        ws.db, ws.team_id, receiver.url + "/recent", [RUN], failing_since_ms=clock.now - DAY_MS
    )
    old = add_subscription(
        ws.db, ws.team_id, receiver.url + "/old", [RUN], failing_since_ms=clock.now - 5 * DAY_MS
    )
    receiver.answer("/recent", always=Answer(500))
    receiver.answer("/old", always=Answer(500))
    emit(ws, count=2, at_ms=clock.now)
    worker = workers(clock=clock)
    assert worker.run_once() == 4
    gone = subscription(ws.db, old.id)
    assert not gone.active
    assert "5 days" in gone.disabled_reason
    assert '{"active": true}' in gone.disabled_reason
    assert gone.webhook_id in gone.disabled_reason
    assert any("disabled" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    kept = subscription(ws.db, recent.id)
    assert kept.active
    assert kept.failing_since_ms == clock.now - DAY_MS
    clock.now += DAY_MS
    assert worker.run_once() == 2  # only the active subscription's retries
    assert len(receiver.received("/old")) == 2


def test_at_most_four_requests_reach_one_endpoint_at_once(ws, receiver, workers):
    slow = add_subscription(ws.db, ws.team_id, receiver.url + "/slow", [RUN])
    fast = add_subscription(ws.db, ws.team_id, receiver.url + "/fast", [RUN])
    receiver.answer("/slow", always=Answer(200, delay=0.15))
    emit(ws, count=24)
    worker = workers(concurrency=16)
    started = time.monotonic()
    while worker.run_once():
        pass
    assert time.monotonic() - started < 3.6 - 0.5  # 24 * 0.15 s one by one: lanes ran side by side
    assert receiver.most_in_flight["/slow"] == 4
    assert receiver.most_in_flight["/fast"] <= 4
    assert {d.status for d in deliveries_of(ws.db, slow.id) + deliveries_of(ws.db, fast.id)} == {
        "delivered"
    }


def test_a_dead_workers_lease_expires_and_the_delivery_is_sent_again(ws, receiver, workers):
    sub = add_subscription(ws.db, ws.team_id, receiver.url + "/hook", [RUN])
    clock = Clock()
    emit(ws, at_ms=clock.now)
    worker = workers(clock=clock)
    with ws.db.transaction() as session:  # a worker claims, then dies before sending
        lanes = delivery.claim(
            session,
            [sub.id],
            now_ms=clock.now,
            lease_ms=worker.lease_ms,
            max_subscriptions=1,
            lanes_per_subscription=4,
            lane_size=10,
        )
    assert [len(lane) for lane in lanes] == [1]
    assert worker.run_once() == 0
    clock.now += worker.lease_ms - 1
    assert worker.run_once() == 0
    clock.now += 2
    assert worker.run_once() == 1
    assert len(receiver.received("/hook")) == 1
    assert deliveries_of(ws.db, sub.id)[0].status == "delivered"


def test_a_worker_running_in_its_thread_delivers_what_is_emitted(ws, receiver, workers):
    add_subscription(ws.db, ws.team_id, receiver.url + "/hook", [RUN])
    worker = workers(poll_seconds=0.05)
    worker.start()
    emit(ws, count=30)
    deadline = time.monotonic() + 10
    while len(receiver.received("/hook")) < 30 and time.monotonic() < deadline:
        time.sleep(0.02)
    ids = {orjson.loads(r.body)["data"]["run"] for r in receiver.received("/hook")}
    assert ids == set(range(30))


def test_two_workers_together_keep_to_four_requests_per_endpoint(ws, receiver, workers):
    for i in range(3):
        add_subscription(ws.db, ws.team_id, receiver.url + f"/s{i}", [RUN])
        receiver.answer(f"/s{i}", always=Answer(200, delay=0.02))
    emit(ws, count=150)
    first, second = workers(poll_seconds=0.02, lane_size=5), workers(poll_seconds=0.02, lane_size=5)
    first.start()
    second.start()
    deadline = time.monotonic() + 30
    while len(receiver.received()) < 450 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.received()) >= 450
    first.stop()
    second.stop()
    assert first.delivered + second.delivered == 450  # each delivery was sent by one of them
    assert max(receiver.most_in_flight[f"/s{i}"] for i in range(3)) <= 4
    for i in range(3):
        runs = sorted(orjson.loads(r.body)["data"]["run"] for r in receiver.received(f"/s{i}"))
        assert runs == list(range(150))
