"""What every queue offers: named handlers, submitted jobs, and a count of work waiting."""

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("intentsync.queue")

Handler = Callable[..., None]
# Called after every job with its name, its seconds and "succeeded" or "failed".
JobObserver = Callable[[str, float, str], None]


@dataclass(frozen=True)
class Job:
    """One unit of background work; its handler must be safe to run again after a crash."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    # At most one job per key waits to start: a later submission with the key joins it.
    key: str | None = None
    # Jobs sharing a lock run one at a time, across every worker of the deployment.
    lock: str | None = None
    # Seconds to wait before the job may start.
    delay: float = 0.0


@dataclass(frozen=True)
class Problem:
    """What is wrong, safe for anyone to read, and the driver's words, for the log only."""

    message: str
    detail: str


class UnknownJob(LookupError):
    """A job was submitted under a name no handler was registered for."""


class Queue(Protocol):
    """The part of a queue the rest of intentsync sees."""

    kind: str  # "local" (in this process) or "postgresql" (procrastinate, shared by hosts)

    def register(self, name: str, handler: Handler) -> None: ...

    def submit(self, job: Job) -> bool:
        """Enqueue; False when an equal-keyed job was already waiting and this one joined it."""
        ...

    def start(self, *, concurrency: int) -> None:
        """Start running jobs in this process (the API and `intentsync worker` both may)."""
        ...

    def stop(self) -> None: ...

    def depth(self) -> int:
        """Jobs waiting to start, due or not."""
        ...

    def active(self, keys: Collection[str]) -> set[str]:
        """Those of keys whose job waits or runs; give such jobs their key as their lock too.

        procrastinate finds a running job by its lock, so the shared queue needs both.
        """
        ...

    def problem(self) -> "Problem | None":
        """Why the queue cannot take jobs now, or None when it can."""
        ...


class Registry:
    """Handlers by name; a submission under an unknown name fails at once, not in a worker."""

    def __init__(self, observer: JobObserver | None = None) -> None:
        self.handlers: dict[str, Handler] = {}
        self.observer = observer

    def add(self, name: str, handler: Handler) -> None:
        if name in self.handlers and self.handlers[name] is not handler:
            raise ValueError(f"job {name!r} is registered twice")
        self.handlers[name] = handler

    def require(self, name: str) -> Handler:
        try:
            return self.handlers[name]
        except KeyError:
            raise UnknownJob(f"no job is registered under {name!r}") from None

    def timed(self, name: str) -> Handler:
        """The handler, reporting its duration and outcome to the observer."""
        handler = self.require(name)

        def run(**kwargs: Any) -> None:
            log.debug("job %s started (%s)", name, ", ".join(f"{k}={v}" for k, v in kwargs.items()))
            started = time.perf_counter()
            outcome = "failed"
            try:
                handler(**kwargs)
                outcome = "succeeded"
            finally:
                if self.observer is not None:
                    try:
                        self.observer(name, time.perf_counter() - started, outcome)
                    except Exception:
                        log.exception("recording job %s failed", name)

        return run
