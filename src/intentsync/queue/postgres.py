"""The production queue: procrastinate's job table in the deployment's own PostgreSQL.

Chosen because PostgreSQL is already the one service a deployment runs: no broker to operate,
back up or secure, jobs are rows next to the data they concern, `lock` runs one job per team
at a time across every host, `queueing_lock` folds repeated nudges into one waiting job, and
worker heartbeats let a live worker take over the job of one killed mid-run.
"""

import asyncio
import datetime
import threading
from collections.abc import Collection
from typing import Any

import psycopg
from procrastinate import App, PsycopgConnector, RetryStrategy, SyncPsycopgConnector, jobs
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from sqlalchemy.engine import make_url

from intentsync.queue.base import Handler, Job, JobObserver, Problem, Registry, log

QUEUE = "intentsync"
CONNECT_SECONDS = 5  # a submission or a readiness check waits no longer for a connection
RETRY = RetryStrategy(max_attempts=5, wait=2, exponential_wait=2)


def conninfo(url: str) -> str:
    """The libpq form of a SQLAlchemy PostgreSQL URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresQueue:
    kind = "postgresql"

    def __init__(
        self,
        url: str,
        *,
        observer: JobObserver | None = None,
        heartbeat_seconds: float = 10.0,
        stalled_seconds: float = 30.0,
        name: str = "intentsync",
    ) -> None:
        self.url = conninfo(url)
        self.registry = Registry(observer)
        self.heartbeat_seconds = heartbeat_seconds
        self.stalled_seconds = stalled_seconds
        self.name = name
        self._submitter = App(
            connector=SyncPsycopgConnector(
                conninfo=self.url,
                min_size=0,
                max_size=2,
                timeout=CONNECT_SECONDS,
                kwargs={"connect_timeout": CONNECT_SECONDS},
            )
        )
        self._opened = False
        self._open_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: asyncio.Task[None] | None = None
        self._ready = threading.Event()

    # Submitting ---------------------------------------------------------------------------

    def register(self, name: str, handler: Handler) -> None:
        self.registry.add(name, handler)

    def _app(self) -> App:
        if not self._opened:
            with self._open_lock:
                if not self._opened:
                    self._submitter.open()
                    self._opened = True
        return self._submitter

    def submit(self, job: Job) -> bool:
        self.registry.require(job.name)
        options: dict[str, Any] = {"queue": QUEUE}
        if job.key is not None:
            options["queueing_lock"] = job.key
        if job.lock is not None:
            options["lock"] = job.lock
        if job.delay > 0:
            options["schedule_in"] = {"seconds": round(job.delay, 3)}
        try:
            self._app().configure_task(job.name, **options).defer(**job.args)
        except AlreadyEnqueued:
            return False
        return True

    def depth(self) -> int:
        row = self._app().connector.execute_query_one(
            "SELECT count(*) AS n FROM procrastinate_jobs WHERE status = 'todo'"
        )
        return int(row["n"])

    def active(self, keys: Collection[str]) -> set[str]:
        if not keys:
            return set()
        # Each half reads one of procrastinate's partial indexes: a running job is found by its
        # lock, so a key counts as running only for jobs whose lock is their key.
        rows = self._app().connector.execute_query_all(
            "SELECT queueing_lock AS key FROM procrastinate_jobs"
            " WHERE status = 'todo' AND queueing_lock = ANY(%(keys)s)"
            " UNION SELECT lock FROM procrastinate_jobs"
            " WHERE status = 'doing' AND lock = ANY(%(keys)s) AND queueing_lock = lock",
            keys=list(keys),
        )
        return {str(row["key"]) for row in rows}

    def problem(self) -> Problem | None:
        """A connection of its own, so the answer names the driver's error, not a pool's."""
        try:
            with psycopg.connect(self.url, connect_timeout=CONNECT_SECONDS) as connection:
                connection.execute("SELECT 1 FROM procrastinate_jobs LIMIT 1")
        except Exception as exc:
            return Problem(
                "the job queue in PostgreSQL does not answer; this process's log has the error",
                f"{type(exc).__name__}: {str(exc).strip()}",
            )
        return None

    # Working ------------------------------------------------------------------------------

    def start(self, *, concurrency: int) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._work(max(1, concurrency))),
            name="job-worker",
            daemon=True,
        )
        self._thread.start()
        self._ready.wait(30)

    def stop(self, timeout: float = 60.0) -> None:
        if self._loop is not None and self._worker is not None:
            self._loop.call_soon_threadsafe(self._worker.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._opened:
            self._submitter.close()
            self._opened = False

    def _worker_app(self, concurrency: int) -> App:
        app = App(
            connector=PsycopgConnector(conninfo=self.url, min_size=1, max_size=concurrency + 2)
        )
        for name in self.registry.handlers:
            app.task(name=name, queue=QUEUE, retry=RETRY)(self.registry.timed(name))
        return app

    async def _work(self, concurrency: int) -> None:
        app = self._worker_app(concurrency)
        try:
            async with app.open_async():
                self._loop = asyncio.get_running_loop()
                self._worker = asyncio.create_task(
                    app.run_worker_async(
                        queues=[QUEUE],
                        name=self.name,
                        concurrency=concurrency,
                        install_signal_handlers=False,
                        update_heartbeat_interval=self.heartbeat_seconds,
                        stalled_worker_timeout=self.stalled_seconds,
                        delete_jobs="successful",
                        fetch_job_polling_interval=1.0,
                    )
                )
                rescue = asyncio.create_task(self._rescue_stalled(app))
                self._ready.set()
                try:
                    await self._worker
                except asyncio.CancelledError:
                    pass
                finally:
                    rescue.cancel()
        except Exception:
            log.exception("the job worker stopped on an error")
        finally:
            self._ready.set()

    async def _rescue(self, app: App, job: jobs.Job) -> None:
        assert job.id is not None
        try:
            await app.job_manager.retry_job(job, retry_at=datetime.datetime.now(datetime.UTC))
            log.warning("job %s (%s) lost its worker; running it again", job.id, job.task_name)
        except UniqueViolation:
            # A job with the same key is already waiting, and jobs sharing a key do the same
            # work: end the lost one, which frees its lock for the waiting one.
            await app.job_manager.finish_job_by_id_async(
                job.id, status=jobs.Status.FAILED, delete_job=False
            )
            log.warning(
                "job %s (%s) lost its worker; the job waiting with its key takes over",
                job.id,
                job.task_name,
            )

    async def _rescue_stalled(self, app: App) -> None:
        """Give the jobs of a worker that stopped beating (killed, host lost) to a live one."""
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                stalled = await app.job_manager.get_stalled_jobs(
                    queue=QUEUE, seconds_since_heartbeat=self.stalled_seconds
                )
                for job in stalled:
                    await self._rescue(app, job)
            except Exception:
                log.exception("looking for stalled jobs failed; will look again")
