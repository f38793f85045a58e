"""The delivery worker: claims due deliveries under a lease, POSTs them, records what came back.

Threads, not asyncio: the database layer is synchronous SQLAlchemy and each send is a blocking
httpx call that waits on the network with the GIL released, so a small pool of threads keeps
one plain code path and a hard bound on requests in flight. A lane is a list of deliveries to
one subscription, sent one after another by one thread; a subscription gets at most
`per_subscription` lanes and only while no other worker holds one of its deliveries, so that
many requests at most reach one endpoint at a time. The main thread claims and records in
short write transactions; nothing is held open while a request waits.

A worker that dies leaves its leases to expire (timeout + 30 s); the deliveries are then due
again and another worker sends them: delivery is at least once.
"""

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson

from intentsync import __version__
from intentsync.db.engine import Database
from intentsync.kit.clock import now_ms
from intentsync.kit.metrics import observe_job
from intentsync.webhooks import slack
from intentsync.webhooks.delivery import (
    EXCERPT_BYTES,
    LEASE_MARGIN_MS,
    Attempt,
    Claimed,
    claim,
    due_subscriptions,
    record,
)
from intentsync.webhooks.signing import signature_headers

log = logging.getLogger("intentsync.webhooks")
# httpx logs every request at INFO; each try is in webhook_attempts instead.
logging.getLogger("httpx").setLevel(logging.WARNING)

USER_AGENT = f"intentsync/{__version__}"
RECORD_BATCH = 200


def endpoint_client(*, timeout: float, connections: int) -> httpx.Client:
    """The HTTP client webhooks are sent with: one timeout, a bound on open connections."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


class DeliveryWorker:
    """Delivers due webhooks until stopped; start() runs it in a daemon thread."""

    def __init__(
        self,
        db: Database,
        *,
        public_url: str = "http://127.0.0.1:8000",
        timeout: float = 10.0,
        lease_margin: float = LEASE_MARGIN_MS / 1000,
        concurrency: int = 16,
        per_subscription: int = 4,
        lane_size: int = 50,
        poll_seconds: float = 0.5,
        clock: Callable[[], int] = now_ms,
        jitter: Callable[[], float] = random.random,
        client: httpx.Client | None = None,
    ) -> None:
        self.db = db
        self.public_url = public_url
        self.timeout = timeout
        self.lease_margin_ms = round(lease_margin * 1000)
        self.concurrency = concurrency
        self.per_subscription = per_subscription
        self.lane_size = lane_size
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.jitter = jitter
        self.client = client or endpoint_client(timeout=timeout, connections=concurrency)
        self._owns_client = client is None
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook")
        self._results: queue.Queue[tuple[Claimed, Attempt | None] | None] = queue.Queue()
        self._lanes = 0  # lanes submitted and not yet finished (touched by the main thread only)
        self._wait_for_lane = False  # nothing more could be claimed until a lane finishes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0

    @property
    def lease_ms(self) -> int:
        return round(self.timeout * 1000) + self.lease_margin_ms

    # The main loop -----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="webhook-delivery", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the lanes in flight and record them; untried deliveries are given back."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._owns_client:
            self.client.close()

    def run_once(self) -> int:
        """Claim what is due now, send it all and record it; returns how many were claimed."""
        claimed = self._claim()
        while self._lanes:
            self._record(wait=1.0)
        return claimed

    def run_subscription(self, subscription_id: int) -> int:
        """Send what is due to one subscription until nothing is: one delivery job's work."""
        total = 0
        while not self._stop.is_set():
            claimed = self._claim(only=[subscription_id])
            while self._lanes:
                self._record(wait=1.0)
            if not claimed:
                break
            total += claimed
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self._claim() if self._lanes < self.concurrency else 0
                self._record(wait=0.05 if self._lanes else 0)
            except Exception:
                log.exception("webhook delivery round failed; will retry")
                claimed = 0
                self._stop.wait(self.poll_seconds)
            if not claimed and not self._lanes:
                self._stop.wait(self.poll_seconds)
        while self._lanes:  # stopping: let the lanes give back what they did not send
            try:
                self._record(wait=1.0)
            except Exception:
                log.exception("could not record webhook deliveries at shutdown")
                return

    def _claim(self, only: list[int] | None = None) -> int:
        free = self.concurrency - self._lanes
        if free <= 0 or (self._wait_for_lane and self._lanes):
            return 0
        now = self.clock()
        if only is not None:
            candidates = only
        else:
            with self.db.transaction(write=False) as session:
                candidates = due_subscriptions(session, now_ms=now, limit=free)
        if not candidates:
            return 0
        with self.db.transaction() as session:
            lanes = claim(
                session,
                candidates,
                now_ms=now,
                lease_ms=self.lease_ms,
                max_subscriptions=free,
                lanes_per_subscription=self.per_subscription,
                lane_size=self.lane_size,
            )
        for lane in lanes:
            self._lanes += 1
            self._pool.submit(self._send_lane, lane)
        self._wait_for_lane = not lanes
        return sum(len(lane) for lane in lanes)

    def _record(self, *, wait: float) -> int:
        """Write up to RECORD_BATCH results in one transaction; waits briefly for the first."""
        batch: list[tuple[Claimed, Attempt | None]] = []
        try:
            item = self._results.get(timeout=wait) if wait > 0 else self._results.get_nowait()
        except queue.Empty:
            return 0
        while True:
            if item is None:
                self._lanes -= 1
                self._wait_for_lane = False
            else:
                batch.append(item)
            if len(batch) >= RECORD_BATCH:
                break
            try:
                item = self._results.get_nowait()
            except queue.Empty:
                break
        if batch:
            with self.db.transaction() as session:
                record(session, batch, now_ms=self.clock(), jitter=self.jitter)
            self.delivered += sum(
                1 for _c, a in batch if a is not None and a.status_code and a.status_code < 300
            )
        return len(batch)

    # The lanes ----------------------------------------------------------------------------

    def _send_lane(self, lane: list[Claimed]) -> None:
        try:
            for claimed in lane:
                # Never send on a lease that could run out before the answer arrives.
                if self._stop.is_set() or self.clock() + self.lease_ms - self.lease_margin_ms > (
                    claimed.lease_until_ms
                ):
                    self._results.put((claimed, None))
                    continue
                attempt = self.send(claimed)
                code = attempt.status_code
                outcome = "delivered" if code is not None and 200 <= code < 300 else "failed"
                observe_job("webhook_delivery", attempt.latency_ms / 1000, outcome)
                self._results.put((claimed, attempt))
        finally:
            self._results.put(None)

    def body(self, claimed: Claimed) -> bytes:
        if claimed.kind == "slack":
            return orjson.dumps(slack.message(claimed.payload, self.public_url))
        return orjson.dumps(claimed.payload)

    def send(self, claimed: Claimed) -> Attempt:
        """One POST; any exception becomes an attempt with an error, never a crash."""
        at = self.clock()
        start = time.monotonic()
        body = self.body(claimed)
        headers = {"content-type": "application/json", "user-agent": USER_AGENT}
        if claimed.kind != "slack":
            headers |= signature_headers(
                secret=claimed.secret,
                msg_id=claimed.event_id,
                timestamp_ms=at,
                body=body,
                previous_secret=claimed.previous_secret,
                previous_secret_until_ms=claimed.previous_secret_until_ms,
            )
        try:
            with self.client.stream("POST", claimed.url, content=body, headers=headers) as response:
                excerpt = bytearray()
                for chunk in response.iter_bytes():
                    excerpt += chunk
                    if len(excerpt) >= EXCERPT_BYTES:
                        break
                return Attempt(
                    attempted_ms=at,
                    latency_ms=_ms_since(start),
                    status_code=response.status_code,
                    response_excerpt=bytes(excerpt[:EXCERPT_BYTES]).decode("utf-8", "replace"),
                    retry_after=response.headers.get("retry-after"),
                )
        except httpx.TimeoutException as exc:
            error = f"timed out after {self.timeout:g}s ({type(exc).__name__})"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except Exception as exc:
            log.exception("webhook delivery %s failed unexpectedly", claimed.event_id)
            error = f"{type(exc).__name__}: {exc}"
        return Attempt(attempted_ms=at, latency_ms=_ms_since(start), error=error[:1000])


def _ms_since(start: float) -> int:
    return round((time.monotonic() - start) * 1000)
