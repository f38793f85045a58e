"""The embedded queue: keys fold repeats, locks take turns, delays wait, unknown names fail."""

import threading
import time

import pytest

from intentsync.queue.base import Job, UnknownJob
from intentsync.queue.local import LocalQueue


def test_a_key_folds_repeated_submissions_into_the_waiting_job():
    queue = LocalQueue()
    ran: list[int] = []
    queue.register("work", lambda n: ran.append(n))
    assert queue.submit(Job("work", {"n": 1}, key="k"))
    assert not queue.submit(Job("work", {"n": 2}, key="k"))
    assert queue.submit(Job("work", {"n": 3}, key="other"))
    assert queue.depth() == 2
    assert queue.run_pending() == 2
    assert ran == [1, 3]
    assert queue.submit(Job("work", {"n": 4}, key="k"))  # the key is free once its job started


def test_jobs_sharing_a_lock_run_one_at_a_time_and_others_pass_them():
    queue = LocalQueue()
    inside = 0
    most = 0
    order: list[str] = []
    guard = threading.Lock()

    def work(name: str) -> None:
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        time.sleep(0.2)
        with guard:
            inside -= 1
            order.append(name)

    queue.register("work", work)
    for n in range(3):
        queue.submit(Job("work", {"name": f"locked-{n}"}, lock="team:1"))
    queue.submit(Job("work", {"name": "free"}))
    queue.start(concurrency=3)
    deadline = time.monotonic() + 10
    while len(order) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    queue.stop()
    assert most == 2  # one locked job and the free one, never two locked ones
    assert order.index("free") < order.index("locked-2")
    assert sorted(order) == ["free", "locked-0", "locked-1", "locked-2"]


def test_a_delayed_job_waits_and_a_failing_job_does_not_stop_the_queue():
    queue = LocalQueue()
    seen: list[tuple[str, float]] = []
    observed: list[tuple[str, str]] = []
    queue.registry.observer = lambda name, _seconds, outcome: observed.append((name, outcome))

    def boom() -> None:
        raise RuntimeError("boom")

    queue.register("boom", boom)
    queue.register("later", lambda: seen.append(("later", time.monotonic())))
    start = time.monotonic()
    queue.submit(Job("boom"))
    queue.submit(Job("later", delay=0.5))
    queue.start(concurrency=1)
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.02)
    queue.stop()
    assert seen
    assert seen[0][1] - start >= 0.5
    assert observed == [("boom", "failed"), ("later", "succeeded")]


def test_an_unknown_job_is_refused_when_submitted_not_later():
    with pytest.raises(UnknownJob, match="no job is registered under 'nope'"):
        LocalQueue().submit(Job("nope"))


def test_active_names_the_keys_whose_job_waits_or_runs():
    queue = LocalQueue()
    release, started = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(10)

    queue.register("slow", slow)
    queue.register("later", lambda: None)
    queue.submit(Job("slow", {}, key="running"))
    queue.submit(Job("later", {}, key="waiting", delay=60))
    assert queue.active(["running", "waiting", "unknown"]) == {"running", "waiting"}
    queue.start(concurrency=1)
    try:
        assert started.wait(10)
        assert queue.active(["running", "waiting", "unknown"]) == {"running", "waiting"}
        release.set()
        deadline = time.monotonic() + 10
        while queue.active(["running"]):
            assert time.monotonic() < deadline, "the finished job still counts as running"
            time.sleep(0.02)
    finally:
        queue.stop()
    assert queue.active(["running", "waiting"]) == {"waiting"}
