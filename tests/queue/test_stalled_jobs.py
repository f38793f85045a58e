"""The PostgreSQL queue hands a dead worker's job on even when an equal-keyed job waits."""

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from intentsync.db.migrate import upgrade
from intentsync.queue.base import Job
from intentsync.queue.postgres import PostgresQueue, conninfo
from tests.conftest import _postgres_database


@pytest.fixture
def own_postgres(database_url: str) -> Iterator[str]:
    """A queue of its own: no other test's jobs, no other worker."""
    if database_url.startswith("sqlite"):
        pytest.skip("the shared queue is PostgreSQL's; SQLite runs jobs in-process")
    for url in _postgres_database():
        upgrade(url)
        yield url


def test_a_dead_workers_job_gives_way_to_the_equal_keyed_job_waiting_for_its_lock(
    own_postgres: str,
) -> None:
    ran: list[int] = []
    done = threading.Event()

    def handler(n: int) -> None:
        ran.append(n)
        done.set()

    queue = PostgresQueue(own_postgres, heartbeat_seconds=0.2, stalled_seconds=1)
    queue.register("nudge", handler)
    try:
        assert queue.submit(Job("nudge", {"n": 1}, key="thing:1", lock="thing:1"))
        # Its worker died mid-job: it stays "doing", holding the lock, with no live worker.
        with psycopg.connect(conninfo(own_postgres), autocommit=True) as connection:
            connection.execute(
                "UPDATE procrastinate_jobs SET status = 'doing', worker_id = NULL"
                " WHERE queueing_lock = 'thing:1'"
            )
        # The dispatcher, seeing the work still due, submits it again: it waits for the lock.
        assert queue.submit(Job("nudge", {"n": 2}, key="thing:1", lock="thing:1"))
        queue.start(concurrency=1)
        assert done.wait(30), "the waiting job never ran: the dead job kept its lock"
        time.sleep(1.0)  # time for a wrong second run to show
    finally:
        queue.stop()
    assert ran == [2]
    with psycopg.connect(conninfo(own_postgres), autocommit=True) as connection:
        statuses = connection.execute(
            "SELECT (args->>'n')::int, status::text FROM procrastinate_jobs ORDER BY id"
        ).fetchall()
    assert statuses == [(1, "failed")]  # the waiting one succeeded and was deleted
