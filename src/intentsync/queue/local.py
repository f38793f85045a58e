"""The embedded queue: jobs run on threads of this process, for SQLite and a single box.

Nothing here is durable, and nothing needs to be: every job is a nudge to do work whose
record is in the database (dirty accounts, due deliveries, queued imports), and the
dispatcher submits it again while that record says the work is still to do.
"""

import heapq
import itertools
import threading
import time
from collections.abc import Collection
from typing import Any

from intentsync.queue.base import Handler, Job, JobObserver, Problem, Registry, log


class LocalQueue:
    kind = "local"

    def __init__(self, observer: JobObserver | None = None) -> None:
        self.registry = Registry(observer)
        self._heap: list[tuple[float, int, Job]] = []
        self._keys: set[str] = set()  # keys of jobs waiting to start
        self._locks: set[str] = set()  # locks of jobs running now
        self._running: list[str] = []  # keys of jobs running now
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._stopping = False

    def register(self, name: str, handler: Handler) -> None:
        self.registry.add(name, handler)

    def submit(self, job: Job) -> bool:
        self.registry.require(job.name)
        with self._cond:
            if job.key is not None:
                if job.key in self._keys:
                    return False
                self._keys.add(job.key)
            due = time.monotonic() + max(0.0, job.delay)
            heapq.heappush(self._heap, (due, next(self._seq), job))
            self._cond.notify()
        return True

    def active(self, keys: Collection[str]) -> set[str]:
        with self._cond:
            return {key for key in keys if key in self._keys or key in self._running}

    def start(self, *, concurrency: int) -> None:
        with self._cond:
            self._stopping = False
        for index in range(max(1, concurrency)):
            thread = threading.Thread(target=self._loop, name=f"job-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def depth(self) -> int:
        with self._cond:
            return len(self._heap)

    def problem(self) -> Problem | None:
        return None

    def run_pending(self) -> int:
        """Run every job due now on the calling thread, for tests and one-shot commands."""
        ran = 0
        while (job := self._take(block=False)) is not None:
            self._run(job)
            ran += 1
        return ran

    def _take(self, *, block: bool) -> Job | None:
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                ready = [entry for entry in self._heap if entry[0] <= now]
                runnable = next(
                    (e for e in sorted(ready) if e[2].lock is None or e[2].lock not in self._locks),
                    None,
                )
                if runnable is not None:
                    self._heap.remove(runnable)
                    heapq.heapify(self._heap)
                    job = runnable[2]
                    if job.key is not None:
                        self._keys.discard(job.key)
                        self._running.append(job.key)
                    if job.lock is not None:
                        self._locks.add(job.lock)
                    return job
                if not block:
                    return None
                # Ready jobs waiting on a lock wake us when it is released (notify_all).
                future = [e[0] for e in self._heap if e[0] > now]
                wait = min(future, default=now + 1.0) - now
                self._cond.wait(min(1.0, max(0.01, wait)))
            return None

    def _run(self, job: Job) -> None:
        try:
            self.registry.timed(job.name)(**job.args)
        except Exception:
            log.exception("job %s %s failed", job.name, _describe(job.args))
        finally:
            with self._cond:
                if job.key is not None:
                    self._running.remove(job.key)
                if job.lock is not None:
                    self._locks.discard(job.lock)
                    self._cond.notify_all()

    def _loop(self) -> None:
        while (job := self._take(block=True)) is not None:
            self._run(job)


def _describe(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(args.items()))
