"""Background work: the database says what is due, the job queue runs it on any host.

Every process that does background work (`serve`, unless told not to, and every
`intentsync worker`) runs a dispatcher that looks at the database once a second and submits
jobs for what it finds due: an incremental scoring round for a team with new inputs (after
the debounce, so a burst of signals makes one round), a round for every team once per
interval, and a delivery job for each webhook subscription with something due. The records
are the truth and the jobs are nudges: a job lost with its process is submitted again by the
next look, a job submitted twice joins the waiting one, and one team's rounds take turns.
"""

import logging
import threading
import time
from collections.abc import Iterable

import httpx
from prometheus_client import Metric

from intentsync.config import Settings
from intentsync.db.engine import Database, is_sqlite
from intentsync.kit.clock import now_ms
from intentsync.kit.health import Check, NotReady
from intentsync.kit.metrics import Collect, queue_depth
from intentsync.queue.base import Job, JobObserver, Queue
from intentsync.queue.local import LocalQueue
from intentsync.queue.postgres import PostgresQueue
from intentsync.scoring import service as scoring
from intentsync.scoring.job import NOTHING_NEW, finish_spread_run, run_team, score_chunk
from intentsync.signals.importers import job as imports
from intentsync.signals.importers import service as import_service
from intentsync.webhooks.delivery import due_subscriptions
from intentsync.webhooks.job import DeliveryWorker, endpoint_client

log = logging.getLogger("intentsync.scheduler")

SCORE_ROUND = "scoring.round"
SCORE_CHUNK = "scoring.chunk"
FINISH_RUN = "scoring.finish"
DELIVER = "webhooks.deliver"
POLL_SECONDS = 1.0
DUE_SUBSCRIPTIONS = 500  # subscriptions looked at per dispatch
DELIVERY_LANES = 4  # requests one delivery job keeps in flight to its subscription
SILENT_IMPORTS = 100  # uploads handed to the queue again per dispatch
# A spread run this old with chunks no job stands for gets those chunks submitted again.
STRANDED_AFTER_MS = 60_000


def make_queue(settings: Settings, observer: JobObserver | None = None) -> Queue:
    """In-process on SQLite; procrastinate on the deployment's PostgreSQL otherwise."""
    if is_sqlite(settings.database_url):
        return LocalQueue(observer)
    return PostgresQueue(
        settings.database_url,
        observer=observer,
        heartbeat_seconds=settings.worker_heartbeat,
        stalled_seconds=settings.worker_stalled_after,
    )


def queue_check(queue: Queue) -> Check:
    """Readiness: the queue takes jobs (on PostgreSQL its table answers)."""

    def check() -> str:
        problem = queue.problem()
        if problem is not None:
            raise NotReady(problem.message, detail=problem.detail)
        return f"the {queue.kind} job queue takes jobs"

    return check


def queue_gauges(queue: Queue) -> Collect:
    """Jobs waiting: the shared table on PostgreSQL, this process's own queue on SQLite."""

    def collect() -> Iterable[Metric]:
        return [queue_depth({queue.kind: queue.depth()})]

    return collect


def score_round_key(team_id: int) -> str:
    return f"scoring-round:{team_id}"


def chunk_key(run_id: int, seq: int) -> str:
    return f"scoring-chunk:{run_id}:{seq}"


class Background:
    """The dispatcher and the job handlers of one process; start() runs both."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        queue: Queue | None = None,
        scoring_interval: float | None = None,
        first_delay: float | None = None,
        debounce: float | None = None,
        score: bool = True,
        deliver: bool = True,
        observer: JobObserver | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.queue = queue or make_queue(settings, observer)
        self.interval = settings.scoring_interval if scoring_interval is None else scoring_interval
        self.first_delay = settings.scoring_first_delay if first_delay is None else first_delay
        self.debounce = settings.scoring_debounce if debounce is None else debounce
        self.score = score and self.interval > 0
        self.deliver = deliver
        self.rounds = 0  # scoring rounds this process ran (skipped ones excluded)
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None
        self.queue.register(SCORE_ROUND, self.score_round)
        self.queue.register(SCORE_CHUNK, self.score_chunk)
        self.queue.register(FINISH_RUN, self.finish_run)
        self.queue.register(DELIVER, self.deliver_subscription)
        self.queue.register(imports.RUN_JOB, self.run_import)

    # Lifecycle ----------------------------------------------------------------------------

    def start(self, *, concurrency: int | None = None) -> None:
        log.info(
            "background work on the %s queue: %s%s",
            self.queue.kind,
            f"scoring every {self.interval:g}s and {self.debounce:g}s after new inputs"
            if self.score
            else "no scoring",
            ", delivering webhooks" if self.deliver else "",
        )
        self._started = time.monotonic()
        self.queue.start(concurrency=concurrency or self.settings.job_concurrency)
        self._thread = threading.Thread(target=self._loop, name="dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.queue.stop()
        if self._client is not None:
            self._client.close()
            self._client = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.dispatch()
            except Exception:
                log.exception("looking for due background work failed; will look again")
            self._stop.wait(POLL_SECONDS)

    # Dispatching --------------------------------------------------------------------------

    def dispatch(self) -> int:
        """Submit a job for everything due now; returns how many were newly queued."""
        submitted = 0
        now = now_ms()
        with self.db.transaction(write=False) as session:
            # Nothing is scored before the first delay, so a restart stays quick.
            settled = time.monotonic() - self._started >= self.first_delay
            fresh = scoring.teams_with_new_inputs(session) if self.score and settled else []
            finishing = scoring.spread_runs_to_finish(session) if self.score else []
            # A spread run whose chunks no job stands for would hold its team's lease.
            stranded = (
                scoring.open_spread_chunks(
                    session, started_before_ms=now - STRANDED_AFTER_MS, now_ms=now
                )
                if self.score
                else {}
            )
            periodic: list[int] = []
            if self.score and settled:
                since = now - round(self.interval * 1000)
                periodic = scoring.teams_not_run_since(session, since_ms=since)
            subscriptions = (
                due_subscriptions(session, now_ms=now, limit=DUE_SUBSCRIPTIONS)
                if self.deliver
                else []
            )
            # An upload whose runner went silent (killed, host lost, restart) is run again.
            silent = import_service.imports_to_take_over(session, limit=SILENT_IMPORTS)
        for team_id in periodic:
            submitted += self._submit_round(team_id, periodic=True, delay=0.0)
        for team_id in fresh:
            if team_id not in periodic:
                submitted += self._submit_round(team_id, periodic=False, delay=self.debounce)
        for run_id in finishing:
            submitted += self._submit_finish(run_id)
        submitted += self._resubmit_stranded(stranded)
        for subscription_id in subscriptions:
            job = Job(
                DELIVER, {"subscription_id": subscription_id}, key=f"deliver:{subscription_id}"
            )
            submitted += self.queue.submit(job)
        for team_id, import_id in silent:
            key = imports.job_key(import_id)
            args = {"team_id": team_id, "import_id": import_id}
            submitted += self.queue.submit(Job(imports.RUN_JOB, args, key=key, lock=key))
        return submitted

    def _submit_round(self, team_id: int, *, periodic: bool, delay: float) -> int:
        job = Job(
            SCORE_ROUND,
            {"team_id": team_id, "periodic": periodic},
            key=score_round_key(team_id),
            lock=f"scoring:{team_id}",
            delay=delay,
        )
        return int(self.queue.submit(job))

    def _submit_finish(self, run_id: int) -> int:
        key = f"scoring-finish:{run_id}"
        return int(self.queue.submit(Job(FINISH_RUN, {"run_id": run_id}, key=key, lock=key)))

    def _spread(self, run_id: int, chunks: int) -> None:
        """Hand a run's chunks to the queue's workers, wherever they run."""
        for seq in range(chunks):
            self._submit_chunk(run_id, seq)

    def _submit_chunk(self, run_id: int, seq: int) -> int:
        # The lock keeps a resubmitted chunk from computing beside the one it stands in for.
        key = chunk_key(run_id, seq)
        job = Job(SCORE_CHUNK, {"run_id": run_id, "seq": seq}, key=key, lock=key)
        return int(self.queue.submit(job))

    def _resubmit_stranded(self, open_chunks: dict[int, list[int]]) -> int:
        """Old spread runs' chunks that no job stands for: the planner died, or a job was lost."""
        submitted = 0
        for run_id, seqs in open_chunks.items():
            keys = {chunk_key(run_id, seq): seq for seq in seqs}
            missing = sorted(keys.keys() - self.queue.active(keys))
            if missing:
                log.warning(
                    "scoring run %s: %s chunks had no job; submitting them again",
                    run_id,
                    len(missing),
                )
            for key in missing:
                submitted += self._submit_chunk(run_id, keys[key])
        return submitted

    # Handlers -----------------------------------------------------------------------------

    def score_round(self, team_id: int, periodic: bool = False) -> None:
        # On a shared queue a run of many chunks becomes one job per chunk, so every worker
        # of the deployment computes; in-process, a pool of this machine's cores does.
        spread = None if self.queue.kind == "local" else self._spread
        report = run_team(
            self.db,
            team_id=team_id,
            processes=self.settings.scoring_processes or None,
            retention_days=self.settings.history_retention_days,
            if_new_inputs=not periodic,
            spread=spread,
            chunk_size=self.settings.scoring_chunk_size,
        )
        if report.status == "skipped":
            if report.errors != [NOTHING_NEW]:
                # Another process is scoring the team; inputs it did not read need a round.
                self._submit_round(team_id, periodic=periodic, delay=max(self.debounce, 1.0))
            return
        if report.status == "spread":
            return  # counted when its finish job concludes it
        self.rounds += 1
        if report.status == "failed":
            log.warning("scoring team %s failed: %s", team_id, report.errors)

    def score_chunk(self, run_id: int, seq: int) -> None:
        if score_chunk(self.db, run_id=run_id, seq=seq):
            self._submit_finish(run_id)

    def finish_run(self, run_id: int) -> None:
        report = finish_spread_run(
            self.db, run_id=run_id, retention_days=self.settings.history_retention_days
        )
        if report is not None:
            self.rounds += 1

    def run_import(self, team_id: int, import_id: int) -> None:
        imports.run_stored_import(self.db, team_id=team_id, import_id=import_id)

    def deliver_subscription(self, subscription_id: int) -> None:
        if self._client is None:
            self._client = _client(self.settings)
        worker = DeliveryWorker(
            self.db,
            public_url=self.settings.public_url,
            timeout=self.settings.webhook_timeout,
            lease_margin=self.settings.webhook_lease_margin,
            concurrency=DELIVERY_LANES,
            client=self._client,
        )
        try:
            worker.run_subscription(subscription_id)
        finally:
            worker.stop()


def _client(settings: Settings) -> httpx.Client:
    # Each delivery job keeps up to 4 requests in flight; none may wait for a free connection.
    limit = max(settings.webhook_concurrency, DELIVERY_LANES * settings.job_concurrency)
    return endpoint_client(timeout=settings.webhook_timeout, connections=limit)
