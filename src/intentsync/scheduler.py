"""Runs the scoring job on a schedule inside `serve` or `worker`; leases keep replicas apart."""

import logging
import threading

from intentsync.config import Settings
from intentsync.db.engine import Database
from intentsync.scoring.job import RETENTION_DAYS, run_all
from intentsync.webhooks.job import DeliveryWorker

log = logging.getLogger("intentsync.scheduler")


class ScoringScheduler:
    """A daemon thread that scores every team now and then every interval."""

    def __init__(
        self,
        db: Database,
        *,
        interval_seconds: float,
        first_delay: float,
        processes: int | None = None,
        retention_days: int = RETENTION_DAYS,
    ) -> None:
        self.db = db
        self.processes = processes
        self.retention_days = retention_days
        self.interval = interval_seconds
        self.first_delay = first_delay
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scoring-scheduler", daemon=True)

    def start(self) -> None:
        log.info(
            "scoring every team every %ss, the first round in %ss",
            f"{self.interval:g}",
            f"{self.first_delay:g}",
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def tick(self) -> None:
        """One round over all teams; a failure is logged and the schedule goes on."""
        try:
            for report in run_all(
                self.db, processes=self.processes, retention_days=self.retention_days
            ):
                if report.status == "failed":
                    log.warning("scoring team %s failed: %s", report.team_id, report.errors)
        except Exception:
            log.exception("scheduled scoring round failed")
        self.runs += 1

    def _loop(self) -> None:
        if self._stop.wait(self.first_delay):
            return
        while not self._stop.is_set():
            self.tick()
            if self._stop.wait(self.interval):
                return


def webhook_worker(settings: Settings, db: Database) -> DeliveryWorker:
    """The webhook delivery worker `serve` and `worker` run, as the settings say."""
    return DeliveryWorker(
        db,
        public_url=settings.public_url,
        timeout=settings.webhook_timeout,
        lease_margin=settings.webhook_lease_margin,
        concurrency=settings.webhook_concurrency,
    )
