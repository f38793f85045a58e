"""`intentsync serve` runs several processes that share one database without losing a write."""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from intentsync.config import MAX_AUTO_WORKERS, Settings
from tests.factories import CRM
from tests.live import free_port

BATCHES, PER_BATCH = 24, 50


def test_the_default_is_one_process_per_core_up_to_a_cap():
    assert Settings(workers=0).server_processes() == min(os.cpu_count() or 1, MAX_AUTO_WORKERS)
    assert Settings(workers=3).server_processes() == 3


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree")
def test_two_server_processes_take_concurrent_pushes_and_store_every_account(
    database_url, ws, tmp_path
):
    port = free_port()
    env = {
        **os.environ,
        "INTENTSYNC_DATABASE_URL": database_url,
        "INTENTSYNC_SCORING_INTERVAL": "0",
        "INTENTSYNC_LOG_LEVEL": "warning",
    }
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "intentsync", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}{CRM}"
    try:
        with httpx.Client(headers={"X-Api-Key": ws.key}, timeout=60, trust_env=False) as client:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                try:
                    ready = client.get(f"{base}/journey-stages")
                    if ready.status_code == 200:
                        assert "server" not in ready.headers  # serve hides its software
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
            assert len(children(server.pid)) >= 2

            def push(batch: int) -> list[str]:
                accounts = [
                    {
                        "externalId": f"serve-{batch}-{i}",
                        "domain": f"serve-{batch}-{i}.example.com",
                        "name": f"Serve {batch} {i}",
                    }
                    for i in range(PER_BATCH)
                ]
                response = client.post(f"{base}/accounts", json={"accounts": accounts})
                assert response.status_code == 200, response.text
                return [r["status"] for r in response.json()["data"]["results"]]

            with ThreadPoolExecutor(max_workers=6) as pool:
                statuses = [s for batch in pool.map(push, range(BATCHES)) for s in batch]
            assert statuses == ["created"] * (BATCHES * PER_BATCH)

            seen: set[str] = set()
            cursor = None
            while True:
                params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
                page = client.get(f"{base}/accounts", params=params).json()["data"]
                seen.update(a["externalId"] for a in page["data"])
                cursor = page["nextCursor"]
                if not page["hasNextPage"]:
                    break
            assert seen == {f"serve-{b}-{i}" for b in range(BATCHES) for i in range(PER_BATCH)}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def test_the_app_factory_refuses_to_start_on_an_unmigrated_database(tmp_path):
    """Run as uvicorn runs it (not through `intentsync serve`): one log line, no traceback."""
    database = tmp_path / "empty.db"
    database.touch()
    env = {**os.environ, "INTENTSYNC_DATABASE_URL": f"sqlite:///{database}"}
    factory = ["--factory", "intentsync.app:create_app", "--port", str(free_port())]
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", *factory],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert (
        f"intentsync cannot start: database sqlite:///{database} is not set up "
        "(no migrations applied); run: intentsync db upgrade"
    ) in log
    assert "Traceback" not in log
    assert "Application startup complete" not in log
