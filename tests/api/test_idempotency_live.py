"""Idempotency-Key under real concurrency: simultaneous repeats, and servers sharing a database."""

import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from intentsync.app import create_app
from intentsync.config import Settings
from intentsync.db.engine import Database
from intentsync.db.models import Account
from tests.factories import CRM, Workspace, account
from tests.live import free_port, live_server

REPLAYED = "Idempotent-Replayed"
CLIENTS = 8


def accounts_of(ws: Workspace) -> int:
    with ws.db.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).select_from(Account).where(Account.team_id == ws.team_id)
        )


@contextmanager
def servers(
    settings: Settings, database_url: str, count: int, *, pool_size: int = CLIENTS
) -> Iterator[list[str]]:
    """count servers, each an app with its own engine and pool, over one database."""
    with ExitStack() as stack:
        bases = []
        for _ in range(count):
            db = Database(database_url, pool_size=pool_size)
            stack.callback(db.dispose)
            bases.append(stack.enter_context(live_server(create_app(settings, db))))
        yield bases


def push_at_once(
    bases: list[str], ws: Workspace, key: str, *, first: int = 0
) -> list[httpx.Response]:
    """CLIENTS identical keyed pushes released together, spread over the given servers."""
    start = threading.Barrier(CLIENTS)
    answers: list[httpx.Response] = []
    body = {"accounts": [account(n) for n in range(first, first + 20)]}

    def push(n: int) -> None:
        with httpx.Client(base_url=bases[n % len(bases)], timeout=60, trust_env=False) as client:
            start.wait()
            answers.append(
                client.post(
                    f"{CRM}/accounts",
                    json=body,
                    headers={"X-Api-Key": ws.key, "Idempotency-Key": key},
                )
            )

    threads = [threading.Thread(target=push, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == CLIENTS
    return answers


def check_one_run(answers: list[httpx.Response]) -> None:
    """One original 200; every other answer replays it or says it is still running."""
    originals = [a for a in answers if a.status_code == 200 and REPLAYED not in a.headers]
    replays = [a for a in answers if a.status_code == 200 and REPLAYED in a.headers]
    running = [a for a in answers if a.status_code == 409]
    assert len(originals) == 1, [(a.status_code, a.text[:200]) for a in answers]
    assert len(originals) + len(replays) + len(running) == CLIENTS
    assert originals[0].json()["data"]["summary"]["created"] == 20
    assert all(a.content == originals[0].content for a in replays)
    for answer in running:
        assert answer.headers["Retry-After"] == "1"
        assert "still running" in answer.json()["customMessage"]


@pytest.mark.parametrize("count", [1, 2])
def test_simultaneous_repeats_create_once(settings, database_url, ws, count):
    with servers(settings, database_url, count) as bases:
        key = secrets.token_hex(8)
        check_one_run(push_at_once(bases, ws, key))
        assert accounts_of(ws) == 20
        # Once it is done, a retry on any server gets the stored answer.
        for base in bases:
            again = httpx.post(
                f"{base}{CRM}/accounts",
                json={"accounts": [account(n) for n in range(20)]},
                headers={"X-Api-Key": ws.key, "Idempotency-Key": key},
                trust_env=False,
            )
            assert again.status_code == 200
            assert again.headers[REPLAYED] == "true"
    assert accounts_of(ws) == 20


def test_keyed_requests_never_hold_two_connections(settings, database_url, ws):
    """A pool of 3 connections serves 8 simultaneous keyed pushes without waiting on itself."""
    with servers(settings, database_url, 1, pool_size=1) as bases:
        start = threading.Barrier(CLIENTS)
        statuses: list[int] = []

        def push(n: int) -> None:
            start.wait()
            response = httpx.post(
                f"{bases[0]}{CRM}/accounts",
                json={"accounts": [account(f"pool-{n}")]},
                headers={"X-Api-Key": ws.key, "Idempotency-Key": secrets.token_hex(8)},
                timeout=60,
                trust_env=False,
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=push, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert statuses == [200] * CLIENTS
    assert accounts_of(ws) == CLIENTS


def test_servers_over_one_database_share_keys(settings, database_url, ws):
    with servers(settings, database_url, 2) as (first, second):
        key = secrets.token_hex(8)
        headers = {"X-Api-Key": ws.key, "Idempotency-Key": key}
        body = {"accounts": [account(1)]}
        created = httpx.post(f"{first}{CRM}/accounts", json=body, headers=headers, trust_env=False)
        assert created.status_code == 200
        replayed = httpx.post(
            f"{second}{CRM}/accounts", json=body, headers=headers, trust_env=False
        )
        assert replayed.headers[REPLAYED] == "true"
        assert replayed.content == created.content
        other = httpx.post(
            f"{second}{CRM}/accounts",
            json={"accounts": [account(2)]},
            headers=headers,
            trust_env=False,
        )
        assert other.status_code == 409
    assert accounts_of(ws) == 1


@contextmanager
def serve_two_processes(database_url: str, key: str, log_path: Path) -> Iterator[str]:
    """`intentsync serve --workers 2` on a free port, until the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "INTENTSYNC_DATABASE_URL": database_url,
        "INTENTSYNC_SCORING_INTERVAL": "0",
        "INTENTSYNC_LOG_LEVEL": "warning",
    }
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "intentsync", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, log_path.read_text()
                try:
                    ready = httpx.get(
                        f"{base}{CRM}/journey-stages", headers={"X-Api-Key": key}, trust_env=False
                    )
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def test_two_server_processes_run_a_keyed_push_once(database_url, ws, tmp_path):
    with serve_two_processes(database_url, ws.key, tmp_path / "serve.log") as base:
        for round_ in range(3):
            check_one_run(push_at_once([base], ws, secrets.token_hex(8), first=round_ * 20))
            assert accounts_of(ws) == 20 * (round_ + 1)
