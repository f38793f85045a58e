"""GET /metrics: latency by route template, job durations, lag and backlog, and its token."""

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from intentsync.app import create_app
from intentsync.config import Settings
from intentsync.db.engine import Database
from intentsync.db.models import Account, SignalEvent, WebhookDelivery
from intentsync.kit.metrics import ScrapeCollectors, observe_job
from intentsync.monitoring.endpoints import scrape_collectors
from intentsync.queue.base import Job
from intentsync.scoring.job import run_team
from intentsync.webhooks import service as webhooks
from intentsync.webhooks.events import SCORING_RUN_COMPLETED, Event
from intentsync.webhooks.job import DeliveryWorker
from tests.factories import CRM, V1, Workspace, account, create_workspace
from tests.monitoring.conftest import samples, value
from tests.webhooks.conftest import add_subscription
from tests.webhooks.receiver import receiving

LATENCY = "intentsync_http_request_duration_seconds_count"
JOBS = "intentsync_job_duration_seconds_count"
# Every label a series of ours may carry: none of them can hold a team, an account or a path.
LABELS = {"route", "method", "status", "kind", "outcome", "queue", "collector", "le"}


def scrape(client: TestClient, **headers: str) -> str:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["cache-control"] == "no-store"
    return answer.text


def test_requests_are_counted_by_route_template_never_by_raw_path(
    app: FastAPI, ws: Workspace
) -> None:
    ws.push(account("metrics-77", domain="metrics-77.example.com"))
    rtp_aid = ws.get("/accounts/crm-metrics-77").json()["data"]["rtp_aid"]
    client = TestClient(app)
    before = scrape(client)
    crm_one = f"{CRM}/accounts/{{external_id}}"
    v1_one = f"{V1}/accounts/{{rtp_aid}}"
    for _ in range(3):
        assert ws.get("/accounts/crm-metrics-77").status_code == 200
    assert ws.v1.get(f"/accounts/{rtp_aid}").status_code == 200
    assert client.get(f"{CRM}/accounts/crm-metrics-77").status_code == 401  # no key: no route
    assert client.get("/no/such/page-1234").status_code == 404
    assert client.get("/no/such/page-5678").status_code == 404
    after = scrape(client)

    def grew(**labels: str) -> float:
        return value(after, LATENCY, **labels) - value(before, LATENCY, **labels)

    assert grew(route=crm_one, method="GET", status="2xx") == 3
    assert grew(route=v1_one, method="GET", status="2xx") == 1
    assert grew(route=crm_one, method="GET", status="4xx") == 1
    assert grew(route="unmatched", method="GET", status="4xx") == 2
    for raw in ("crm-metrics-77", rtp_aid, "page-1234", "metrics-77.example.com"):
        assert raw not in after
    for family in text_string_to_metric_families(after):
        if family.name.startswith("intentsync_"):
            for sample in family.samples:
                assert set(sample.labels) <= LABELS, sample


def test_job_durations_are_observed_by_scoring_runs_and_webhook_deliveries(
    app: FastAPI, database: Database, ws: Workspace
) -> None:
    client = TestClient(app)
    before = scrape(client)
    run_team(database, team_id=ws.team_id, processes=1)
    with receiving() as receiver:
        add_subscription(database, ws.team_id, f"{receiver.url}/hook", [SCORING_RUN_COMPLETED])
        with database.transaction() as session:
            webhooks.emit(session, team_id=ws.team_id, events=[Event(SCORING_RUN_COMPLETED, {})])
        worker = DeliveryWorker(database, timeout=5.0)
        try:
            while worker.run_once():
                pass
        finally:
            worker.stop()
    observe_job("import", 0.2, "succeeded")  # what any other module calls
    after = scrape(client)

    def grew(**labels: str) -> float:
        return value(after, JOBS, **labels) - value(before, JOBS, **labels)

    assert grew(kind="scoring_run", outcome="succeeded") == 1
    assert grew(kind="webhook_delivery", outcome="delivered") >= 1
    assert grew(kind="import", outcome="succeeded") == 1


@pytest.fixture
def lag_app(fresh_url) -> Iterator[tuple[Database, TestClient]]:
    """An app of its own database: the lag and backlog it reports count every team in it."""
    url = fresh_url()
    database = Database(url, pool_size=2)
    app = create_app(Settings(database_url=url, scoring_interval=0, serve_webhooks=False), database)
    try:
        yield database, TestClient(app)
    finally:
        database.dispose()


def test_scoring_lag_and_webhook_backlog_come_from_the_database(lag_app) -> None:
    database, client = lag_app
    quiet = scrape(client)
    assert value(quiet, "intentsync_scoring_lag_seconds") == 0
    assert value(quiet, "intentsync_webhook_pending_deliveries") == 0
    assert value(quiet, "intentsync_webhook_oldest_due_seconds") == 0
    assert value(quiet, "intentsync_scrape_collector_up", collector="database") == 1

    ws = create_workspace(client.app, database)
    ws.push(account("lagging", domain="lagging.example.com"))
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    signal = {"source": "g2", "domain": "lagging.example.com", "occurredAt": today}
    assert ws.post("/signals", {"signals": [{**signal, "type": "pricing"}]}).status_code == 200
    add_subscription(database, ws.team_id, "http://127.0.0.1:9/hook", [SCORING_RUN_COMPLETED])
    with database.transaction() as session:
        events = [Event(SCORING_RUN_COMPLETED, {"n": n}) for n in range(3)]
        webhooks.emit(session, team_id=ws.team_id, events=events)
    with database.transaction() as session:  # as if all this happened two minutes ago
        session.execute(sa.update(Account).values(inputs_ms=Account.inputs_ms - 120_000))
        session.execute(
            sa.update(WebhookDelivery).values(
                next_attempt_ms=WebhookDelivery.next_attempt_ms - 120_000
            )
        )
    behind = scrape(client)
    assert 120 <= value(behind, "intentsync_scoring_lag_seconds") < 180
    assert value(behind, "intentsync_webhook_pending_deliveries") == 3
    assert 120 <= value(behind, "intentsync_webhook_oldest_due_seconds") < 180

    assert run_team(database, team_id=ws.team_id, processes=1).status == "succeeded"
    scored = scrape(client)
    assert value(scored, "intentsync_scoring_lag_seconds") == 0
    assert value(scored, "intentsync_webhook_pending_deliveries") == 4  # + run completed
    ws.close()


def test_a_signal_no_round_has_folded_yet_counts_in_the_scoring_lag(lag_app) -> None:
    """Ingest flags no account: the lag comes from the oldest signal past the fold mark."""
    database, client = lag_app
    ws = create_workspace(client.app, database)
    ws.push(account("waiting", domain="waiting.example.com"))
    assert run_team(database, team_id=ws.team_id, processes=1).status == "succeeded"
    assert value(scrape(client), "intentsync_scoring_lag_seconds") == 0
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    signal = {"source": "g2", "domain": "waiting.example.com", "occurredAt": today}
    assert ws.post("/signals", {"signals": [{**signal, "type": "pricing"}]}).status_code == 200
    with database.transaction() as session:  # stored two minutes ago, not folded since
        session.execute(sa.update(SignalEvent).values(created_ms=SignalEvent.created_ms - 120_000))
    assert 120 <= value(scrape(client), "intentsync_scoring_lag_seconds") < 180
    assert run_team(database, team_id=ws.team_id, processes=1).status == "succeeded"
    assert value(scrape(client), "intentsync_scoring_lag_seconds") == 0
    ws.close()


def test_collectors_other_parts_add_are_scraped_and_a_failing_one_is_reported(
    settings: Settings, database: Database
) -> None:
    app = create_app(settings, database)

    def extra() -> list:
        family = GaugeMetricFamily("intentsync_test_extra", "A gauge another part adds")
        family.add_metric([], 4)
        return [family]

    def broken() -> list:
        raise RuntimeError("search server down")

    scrape_collectors(app).add("extra", extra)
    scrape_collectors(app).add("broken", broken)
    text = scrape(TestClient(app))
    assert value(text, "intentsync_test_extra") == 4
    assert value(text, "intentsync_scrape_collector_up", collector="extra") == 1
    assert value(text, "intentsync_scrape_collector_up", collector="broken") == 0
    assert value(text, "intentsync_scrape_collector_up", collector="database") == 1
    assert value(text, "intentsync_scrape_collector_up", collector="queue") == 1
    assert "search server down" not in text
    assert isinstance(scrape_collectors(app), ScrapeCollectors)


def test_the_queue_depth_counts_jobs_waiting_to_start(
    settings: Settings, database: Database
) -> None:
    app = create_app(settings, database)  # its background work is not started: jobs wait
    queue = app.state.background.queue
    client = TestClient(app)
    before = value(scrape(client), "intentsync_queue_depth", queue=queue.kind)
    team = f"depth-{secrets.token_hex(4)}"
    queue.submit(Job("webhooks.deliver", {"subscription_id": -1}, key=team, delay=3600))
    after = value(scrape(client), "intentsync_queue_depth", queue=queue.kind)
    assert after == before + 1


def test_the_metrics_token_is_required_when_set(settings: Settings, database: Database) -> None:
    app = create_app(settings.model_copy(update={"metrics_token": "s3cret-token"}), database)
    client = TestClient(app)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-token"}):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["customMessage"] == (
            "GET /metrics needs the header Authorization: Bearer <INTENTSYNC_METRICS_TOKEN>"
        )
        assert "intentsync_" not in answer.text
    assert "intentsync_http_request" in scrape(client, Authorization="Bearer s3cret-token")
    assert client.get("/healthz").status_code == 200  # the probes never need it
    assert client.get("/readyz").status_code == 200


def test_several_samples_of_one_route_keep_one_series(app: FastAPI) -> None:
    client = TestClient(app)
    for path in ("/healthz", "/healthz/", "/healthz//"):
        assert client.get(path).status_code == 200
    routes = {labels["route"] for labels, _ in samples(scrape(client), LATENCY)}
    assert "/healthz" in routes
    assert not {r for r in routes if r.startswith("/healthz") and r != "/healthz"}
