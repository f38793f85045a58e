"""Prometheus metrics: request latency by route template, job durations, scrape-time collectors.

Every label value comes from a closed set (a route template, a known method, a status class, a
job kind the code names), so a client cannot grow the series by inventing paths. With several
server processes (`intentsync serve --workers N`) each process writes its counts to files in
PROMETHEUS_MULTIPROC_DIR and a scrape of any one process sums them all.
"""

import logging
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: a killed server's directory is left
    fcntl = None  # type: ignore[assignment]

from fastapi.routing import iter_route_contexts
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.routing import Mount, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("intentsync.metrics")

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"  # every path no route serves shares this one label
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
ROUTE_KEY = "intentsync.route"

REQUEST_SECONDS = Histogram(
    "intentsync_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status class",
    ("route", "method", "status"),
)
JOB_SECONDS = Histogram(
    "intentsync_job_duration_seconds",
    "Time a background job took, by kind and outcome",
    ("kind", "outcome"),
    buckets=JOB_BUCKETS,
)

# What a scrape-time collector returns: metric families computed when /metrics is read.
Collect = Callable[[], Iterable[Metric]]


def observe_job(kind: str, seconds: float, outcome: str) -> None:
    """Record one background job: kind and outcome must come from a fixed set the code names."""
    JOB_SECONDS.labels(kind, outcome).observe(max(seconds, 0.0))


def queue_depth(depths: Mapping[str, int]) -> GaugeMetricFamily:
    """The family a job queue's collector returns: jobs waiting, per queue name."""
    family = GaugeMetricFamily(
        "intentsync_queue_depth", "Jobs waiting in a queue, not yet started", labels=("queue",)
    )
    for name, depth in sorted(depths.items()):
        family.add_metric((name,), depth)
    return family


class ScrapeCollectors(Collector):
    """Named collectors run at each scrape (database gauges, a queue's depth); one app's set."""

    def __init__(self) -> None:
        self._collectors: dict[str, Collect] = {}

    def add(self, name: str, collect: Collect) -> None:
        if name in self._collectors:
            raise ValueError(f"a metrics collector named {name!r} is already registered")
        self._collectors[name] = collect

    @property
    def names(self) -> list[str]:
        return list(self._collectors)

    def collect(self) -> Iterable[Metric]:
        """Each collector's families; one that fails is reported as down, not as a failed scrape."""
        up = GaugeMetricFamily(
            "intentsync_scrape_collector_up",
            "1 when the collector's numbers could be read at this scrape, 0 when it failed",
            labels=("collector",),
        )
        for name, collect in self._collectors.items():
            try:
                families = list(collect())
            except Exception as exc:
                log.warning("metrics collector %s failed: %s", name, exc)
                up.add_metric((name,), 0)
                continue
            up.add_metric((name,), 1)
            yield from families
        yield up


def multiprocess() -> bool:
    """Counts live in shared files when the client library was loaded in multiprocess mode."""
    return values.ValueClass is not values.MutexValue


def exposition(extra: Collector) -> tuple[bytes, str]:
    """The text a scrape reads: this process (or all of serve's processes) plus extra."""
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(extra)
    if multiprocess():
        MultiProcessCollector(scraped, path=os.environ[MULTIPROCESS_DIR])  # type: ignore[no-untyped-call]
        return generate_latest(scraped), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY) + generate_latest(scraped), CONTENT_TYPE_LATEST


def status_class(status: int) -> str:
    return f"{status // 100}xx"


class RouteTemplates:
    """Full route templates (prefix included) of an app, read once from its routes.

    Routing records the route object it chose; a router included under two prefixes shares
    one object, so the path picks between its (at most two) templates. A request answered
    before routing (a missing API key, a body too large) is matched against every route.
    """

    def __init__(self, app: Any) -> None:
        self.by_route: dict[int, list[tuple[re.Pattern[str], str]]] = {}
        self.every: list[tuple[re.Pattern[str], str, frozenset[str] | None]] = []
        for context in iter_route_contexts(app.router.routes):
            path = context.path or ""
            if isinstance(context.original_route, Mount):  # static files under a prefix
                path = path.rstrip("/") + "/{path:path}"
            regex, template, _ = compile_path(path)
            methods = frozenset(context.methods) if context.methods else None
            self.every.append((regex, template, methods))
            self.by_route.setdefault(id(context.original_route), []).append((regex, template))

    def template(self, path: str, method: str, route: Any) -> str:
        path = path.rstrip("/") or "/"
        candidates = self.by_route.get(id(route), []) if route is not None else []
        if len(candidates) == 1:
            return candidates[0][1]
        for regex, template in candidates:
            if regex.match(path):
                return template
        other_method = None
        for regex, template, methods in self.every:
            if regex.match(path):
                if methods is None or method in methods:
                    return template
                other_method = other_method or template  # answered 405
        return other_method or UNMATCHED


class RequestMetricsMiddleware:
    """Outermost: times every HTTP request and labels it with the route that served it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.templates: RouteTemplates | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        holder: list[Any] = [None]
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app({**scope, ROUTE_KEY: holder}, receive, send_status)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            if self.templates is None:  # routes are complete once requests arrive
                self.templates = RouteTemplates(scope["app"])
            route = self.templates.template(scope["path"], method, holder[0])
            REQUEST_SECONDS.labels(route, method, status_class(status)).observe(
                time.perf_counter() - started
            )


class RouteRecorder:
    """Innermost: hands the route the router chose back to RequestMetricsMiddleware.

    Middlewares in between may copy the scope, so the router's own `route` key is read here,
    on the scope the router received, and passed out through a holder every copy shares.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        holder = scope.get(ROUTE_KEY)
        if holder is None:
            await self.app(scope, receive, send)
            return

        async def send_route(message: Message) -> None:
            if message["type"] == "http.response.start" and "route" in scope:
                holder[0] = scope["route"]
            await send(message)

        try:
            await self.app(scope, receive, send_route)
        finally:
            if "route" in scope:
                holder[0] = scope["route"]


SHARED_PREFIX = "intentsync-metrics-"
# The running server holds this file locked; the system drops the lock when it dies however.
OWNER_FILE = ".owner"
_SHARED_NAME = re.compile(r"intentsync-metrics-pid[0-9]{1,10}-[A-Za-z0-9_]+", re.ASCII)


def _hold_owner_lock(directory: str) -> int:
    """Lock the directory's owner file for as long as this process runs (-1: cannot lock)."""
    if fcntl is None:
        return -1
    fd = os.open(os.path.join(directory, OWNER_FILE), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _remove_if_unowned(path: str) -> bool:
    """Remove a metrics directory of ours whose owner file nobody holds locked."""
    assert fcntl is not None
    try:
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return False
        fd = os.open(os.path.join(path, OWNER_FILE), os.O_RDWR | os.O_NOFOLLOW)
    except OSError:
        return False  # gone already, not ours, or made by a release that kept no owner file
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False  # its server is running
    try:
        shutil.rmtree(path)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def remove_orphaned_directories(parent: str) -> list[str]:
    """Metrics directories a `serve` killed outright left behind: nobody holds their lock."""
    if fcntl is None:
        return []
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    paths = [os.path.join(parent, name) for name in names if _SHARED_NAME.fullmatch(name)]
    return [path for path in paths if _remove_if_unowned(path)]


@contextmanager
def shared_across_processes(processes: int) -> Iterator[None]:
    """For `serve --workers N`: a fresh directory the N processes count into, removed after.

    Set before the processes start (they read it when the client library loads); one process
    keeps its counts in memory. A directory the operator set is used as it is, and kept. A
    `serve` killed outright cannot remove its directory, so the next one does: a running one
    holds its directory's owner file locked.
    """
    if processes < 2 or os.environ.get(MULTIPROCESS_DIR):
        yield
        return
    for path in remove_orphaned_directories(tempfile.gettempdir()):
        log.info("removed the metrics directory of a server that is gone: %s", path)
    directory = tempfile.mkdtemp(prefix=f"{SHARED_PREFIX}pid{os.getpid()}-")
    owner = _hold_owner_lock(directory)
    os.environ[MULTIPROCESS_DIR] = directory
    try:
        yield
    finally:
        os.environ.pop(MULTIPROCESS_DIR, None)
        shutil.rmtree(directory, ignore_errors=True)
        if owner >= 0:
            os.close(owner)
