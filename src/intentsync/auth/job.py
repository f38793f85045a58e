"""When each API key was last used, written in the background instead of on every request.

A request only notes its key in memory (a dictionary look-up under a lock); a daemon thread
owned by the app's lifespan writes what was noted in one short transaction every few seconds.
So a busy API adds no write per request, and on SQLite no request ever waits for the one write
lock to record a use. A key is noted at most once a minute, so the time shown is the last use
to within a minute (plus the flush interval). What is still in memory when the process stops is
written by stop(); a crash loses at most one interval of last-use times, nothing else.
"""

import logging
import threading

from intentsync.auth.service import record_key_uses
from intentsync.db.engine import Database

log = logging.getLogger("intentsync.auth")

NOTE_EVERY_MS = 60_000  # a key's use is noted at most once per minute
FLUSH_SECONDS = 5.0


class KeyUseRecorder:
    """Notes key uses from request threads and writes them in batches from one thread."""

    def __init__(self, db: Database, *, interval_seconds: float = FLUSH_SECONDS) -> None:
        self.db = db
        self.interval = interval_seconds
        self._lock = threading.Lock()
        self._pending: dict[int, int] = {}
        self._noted: dict[int, int] = {}  # key id -> the last time noted, for the throttle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._starts = 0  # one app can be served by more than one server at a time (tests)

    def note(self, key_id: int, at_ms: int) -> None:
        """Remember that a key was used; cheap enough for every API request."""
        last = self._noted.get(key_id)  # a lock-free look first: most calls stop here
        if last is not None and at_ms - last < NOTE_EVERY_MS:
            return
        with self._lock:
            if at_ms - self._noted.get(key_id, -NOTE_EVERY_MS) < NOTE_EVERY_MS:
                return
            self._noted[key_id] = at_ms
            self._pending[key_id] = at_ms

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self) -> int:
        """Write every noted use in one transaction; on failure they wait for the next try."""
        with self._lock:
            uses, self._pending = self._pending, {}
        if not uses:
            return 0
        try:
            with self.db.transaction() as session:
                record_key_uses(session, uses)
        except Exception:
            with self._lock:
                for key_id, at in uses.items():
                    self._pending[key_id] = max(at, self._pending.get(key_id, at))
            raise
        return len(uses)

    def start(self) -> None:
        self._starts += 1
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="key-use-recorder", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread once its last starter stops, then write what it had not written."""
        self._starts = max(0, self._starts - 1)
        if self._starts == 0 and self._thread is not None:
            self._stop.set()
            self._thread.join(timeout)
            self._thread = None
        try:
            self.flush()
        except Exception:
            log.exception("could not record the last use of API keys at shutdown")

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:
                log.exception("could not record the last use of API keys; will retry")
