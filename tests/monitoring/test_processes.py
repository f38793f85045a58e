"""Real processes: `serve --workers 2` sums its processes' metrics; serve and worker log JSON."""

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest

from tests.factories import account
from tests.live import free_port
from tests.monitoring.conftest import value
from tests.signals.test_ingest import sig

LATENCY = "intentsync_http_request_duration_seconds_count"
JOBS = "intentsync_job_duration_seconds_count"
FIELDS = {"time", "level", "logger", "message", "pid"}
pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").exists(), reason="reads the process tree"
)


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def env_for(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTENTSYNC_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env | {
        "INTENTSYNC_DATABASE_URL": database_url,
        "INTENTSYNC_SCORING_INTERVAL": "0",
        "INTENTSYNC_SERVE_WEBHOOKS": "false",
        **extra,
    }


def json_lines(path: Path) -> list[dict[str, object]]:
    """Every line of a log file, each of which must be one JSON object with the common fields."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert lines, f"{path.name} is empty"
    parsed = []
    for line in lines:
        record = orjson.loads(line)  # raises on any line that is not JSON
        assert isinstance(record, dict), line
        assert set(record) >= FIELDS, line
        parsed.append(record)
    return parsed


def wait_ready(client: httpx.Client, base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, log.read_text()
        try:
            if client.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not become ready"
        time.sleep(0.1)


def test_two_server_processes_count_into_one_scrape_and_log_json(database_url, tmp_path):
    port = free_port()
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    server = subprocess.Popen(
        [sys.executable, "-m", "intentsync", "serve", "--port", str(port), "--workers", "2"],
        env=env_for(database_url, INTENTSYNC_LOG_FORMAT="json", INTENTSYNC_LOG_LEVEL="info"),
        stdout=out.open("wb"),
        stderr=err.open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=30, trust_env=False) as client:
            wait_ready(client, base, server, err)
            workers = children(server.pid)
            assert len(workers) >= 2
            shared = environ(workers[0]).get("PROMETHEUS_MULTIPROC_DIR")
            assert shared, "serve did not give its processes a metrics directory"
            assert {environ(pid).get("PROMETHEUS_MULTIPROC_DIR") for pid in workers} == {shared}

            def hit(_: int) -> int:
                with httpx.Client(timeout=30, trust_env=False) as own:  # a new connection
                    return own.get(f"{base}/healthz").status_code

            def answered_by() -> set[object]:
                """The processes whose access lines show a /healthz; each line is flushed."""
                return {
                    r["pid"]
                    for r in json_lines(out)
                    if r["logger"] == "uvicorn.access" and r["path"] == "/healthz"
                }

            sent = 0
            deadline = time.monotonic() + 60
            # Until both processes have answered some: each keeps its own file of counts.
            while sent == 0 or len(answered_by()) < 2:
                assert time.monotonic() < deadline, answered_by()
                with ThreadPoolExecutor(max_workers=8) as pool:
                    assert set(pool.map(hit, range(16))) == {200}
                sent += 16
            assert answered_by() <= set(workers)
            for _ in range(6):  # whichever process answers the scrape, it reads them all
                text = client.get(f"{base}/metrics").text
                assert value(text, LATENCY, route="/healthz", method="GET", status="2xx") == sent
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert not Path(shared).exists(), "serve left its metrics directory behind"
    records = json_lines(err) + json_lines(out)
    loggers = {r["logger"] for r in records}
    assert {"uvicorn.error", "uvicorn.access"} <= loggers
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert {"client", "method", "path", "status"} <= set(access[0])
    assert {(r["method"], r["path"], r["status"]) for r in access} >= {("GET", "/healthz", 200)}
    assert all("color_message" not in r for r in records)


def test_the_worker_logs_json_lines(database_url, tmp_path):
    err = tmp_path / "worker.err"
    worker = subprocess.Popen(
        [sys.executable, "-m", "intentsync", "worker", "--interval", "3600"],
        env=env_for(database_url, INTENTSYNC_LOG_FORMAT="json", INTENTSYNC_LOG_LEVEL="info"),
        stdout=subprocess.DEVNULL,
        stderr=err.open("wb"),
    )
    try:
        deadline = time.monotonic() + 60
        while "Ctrl+C stops" not in err.read_text():  # its last start-up line
            assert worker.poll() is None, err.read_text()
            assert time.monotonic() < deadline, err.read_text()
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    records = json_lines(err)
    messages = [str(r["message"]) for r in records]
    assert any(m.startswith("Scoring every team every 3600s") for m in messages), messages
    assert {r["logger"] for r in records} >= {"intentsync.worker", "intentsync.scheduler"}


def test_a_worker_serves_probes_and_the_metrics_of_its_own_jobs(lone_ws, tmp_path):
    """A worker answers no API call, so its jobs' durations reach Prometheus from its own port."""
    lone_ws.push(account(1, domain="acme.com"))
    yesterday = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86_400))
    body = sig("g2", "acme.com", "pricing", yesterday, key="probe-1")
    sent = lone_ws.post("/signals", {"signals": [body]})
    assert sent.status_code == 200, sent.text
    port, err = free_port(), tmp_path / "worker.err"
    worker = subprocess.Popen(
        [sys.executable, "-m", "intentsync", "worker", "--interval", "3600", "--port", str(port)],
        env=env_for(
            lone_ws.db.url, INTENTSYNC_SCORING_DEBOUNCE="0", INTENTSYNC_METRICS_TOKEN="s3cret"
        ),
        stdout=subprocess.DEVNULL,
        stderr=err.open("wb"),
    )
    base, token = f"http://127.0.0.1:{port}", {"Authorization": "Bearer s3cret"}
    try:
        with httpx.Client(timeout=30, trust_env=False) as client:
            wait_ready(client, base, worker, err)
            assert client.get(f"{base}/healthz").json() == {"status": "ok"}
            checks = client.get(f"{base}/readyz").json()["checks"]
            assert [c["name"] for c in checks] == ["database", "queue"]
            assert client.get(f"{base}/metrics").status_code == 401
            deadline = time.monotonic() + 60
            while True:  # the signal makes a freshness round, which this worker runs
                text = client.get(f"{base}/metrics", headers=token).text
                rounds = value(text, JOBS, kind="scoring.round", outcome="succeeded")
                if rounds >= 1:
                    break
                assert worker.poll() is None, err.read_text()
                assert time.monotonic() < deadline, text
                time.sleep(0.5)
            assert value(text, "intentsync_scoring_lag_seconds") == 0
            queue = "local" if lone_ws.db.url.startswith("sqlite") else "postgresql"
            assert value(text, "intentsync_queue_depth", queue=queue) >= 0
            assert lone_ws.get("/accounts/crm-1").json()["data"]["rtp_account_score"] > 0
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, err.read_text()
    assert "/healthz, /readyz and /metrics on 127.0.0.1" in err.read_text()


def test_a_worker_refuses_a_host_without_a_port(database_url):
    done = subprocess.run(
        [sys.executable, "-m", "intentsync", "worker", "--host", "0.0.0.0"],
        env=env_for(database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "--host needs --port" in done.stderr
