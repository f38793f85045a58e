"""The PostgreSQL queue: procrastinate's job table in the database intentsync migrated."""

import threading
import time

import pytest

from intentsync.queue.base import Job, UnknownJob
from intentsync.queue.postgres import PostgresQueue


@pytest.fixture
def pg_url(database_url, request):
    if database_url.startswith("sqlite"):
        pytest.skip("on SQLite jobs run in-process (tests/queue/test_local.py)")
    return request.getfixturevalue("lone_ws").db.url


def _until(check, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_jobs_wait_in_the_table_until_a_worker_runs_them_and_keys_fold_repeats(pg_url):
    queue = PostgresQueue(pg_url, heartbeat_seconds=0.5, stalled_seconds=3)
    ran: list[int] = []
    queue.register("work", lambda n: ran.append(n))
    assert queue.submit(Job("work", {"n": 1}, key="k"))
    assert not queue.submit(Job("work", {"n": 2}, key="k"))
    assert queue.submit(Job("work", {"n": 3}, delay=1))
    assert queue.depth() == 2
    assert queue.problem() is None
    started = time.monotonic()
    queue.start(concurrency=2)
    try:
        _until(lambda: sorted(ran) == [1, 3])
    finally:
        queue.stop()
    assert time.monotonic() - started >= 1  # the delayed one waited
    assert queue.depth() == 0


def test_jobs_sharing_a_lock_take_turns_across_two_queues(pg_url):
    inside = 0
    most = 0
    done: list[int] = []
    guard = threading.Lock()

    def work(n: int) -> None:
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        time.sleep(0.3)
        with guard:
            inside -= 1
            done.append(n)

    queues = [PostgresQueue(pg_url, heartbeat_seconds=0.5, stalled_seconds=3) for _ in range(2)]
    for queue in queues:
        queue.register("work", work)
    for n in range(4):
        queues[n % 2].submit(Job("work", {"n": n}, lock="team:1"))
    for queue in queues:
        queue.start(concurrency=2)
    try:
        _until(lambda: len(done) == 4)
    finally:
        for queue in queues:
            queue.stop()
    assert most == 1


def test_an_unreachable_queue_says_so_and_an_unknown_job_is_refused(pg_url):
    queue = PostgresQueue("postgresql://nobody@127.0.0.1:1/none")
    problem = queue.problem()
    assert problem is not None
    assert problem.message.startswith("the job queue in PostgreSQL does not answer")
    assert "127.0.0.1" not in problem.message  # where it is stays in the log
    assert "127.0.0.1" in problem.detail
    with pytest.raises(UnknownJob):
        PostgresQueue(pg_url).submit(Job("nope"))


def test_active_names_the_keys_whose_job_waits_or_runs_on_any_host(pg_url):
    queue, other = (PostgresQueue(pg_url, heartbeat_seconds=0.5, stalled_seconds=3) for _ in "ab")
    release, started = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(10)

    for q in (queue, other):
        q.register("slow", slow)
        q.register("later", lambda: None)
    queue.submit(Job("slow", {}, key="running", lock="running"))
    queue.submit(Job("later", {}, key="waiting", lock="waiting", delay=60))
    assert other.active(["running", "waiting", "unknown"]) == {"running", "waiting"}
    queue.start(concurrency=1)
    try:
        assert started.wait(20)
        assert other.active(["running", "waiting", "unknown"]) == {"running", "waiting"}
        release.set()
        _until(lambda: not other.active(["running"]))
        assert other.active(["running", "waiting"]) == {"waiting"}
        assert other.active([]) == set()
    finally:
        queue.stop()
        other.stop()
