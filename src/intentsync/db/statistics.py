"""Planner statistics on PostgreSQL servers that run with autovacuum off.

The account lookups are only fast when PostgreSQL knows how many rows a team has; without
statistics it scans a team's whole table per batch. Autovacuum normally keeps them fresh.
Where it is off, this keeper does its analyze part: a background thread that runs ANALYZE on
a table once it has changed by 10 % (plus 500 rows) since its last analyze.
"""

import logging
import threading

from sqlalchemy import Engine, text

log = logging.getLogger("intentsync.statistics")

WATCHED = (
    "accounts",
    "segment_members",
    "deals",
    "deal_accounts",
    "sales_activities",
    "contacts",
    "activity_contacts",
)
_STALE = text(
    "SELECT relname FROM pg_stat_user_tables "
    "WHERE relname = ANY(:tables) AND n_mod_since_analyze > 500 + 0.1 * n_live_tup"
)


def autovacuum_is_on(engine: Engine) -> bool:
    with engine.connect() as conn:
        return str(conn.execute(text("SHOW autovacuum")).scalar()).lower() == "on"


def analyze_stale_tables(engine: Engine) -> list[str]:
    """ANALYZE every watched table that changed enough since its last analyze."""
    with engine.connect() as conn:
        stale = [row[0] for row in conn.execute(_STALE, {"tables": list(WATCHED)})]
        for table in stale:
            conn.execute(text(f'ANALYZE "{table}"'))
        conn.commit()
    return stale


class StatisticsKeeper:
    """Runs analyze_stale_tables every few seconds until stopped."""

    def __init__(self, engine: Engine, *, interval_seconds: float = 2.0) -> None:
        self.engine = engine
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start only where it is needed: PostgreSQL with autovacuum off."""
        if self.engine.dialect.name != "postgresql" or autovacuum_is_on(self.engine):
            return False
        self._thread = threading.Thread(target=self._loop, name="statistics-keeper", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                analyzed = analyze_stale_tables(self.engine)
            except Exception:  # keep serving; the next round tries again
                log.exception("refreshing planner statistics failed")
                continue
            if analyzed:
                log.info("refreshed planner statistics for %s", ", ".join(analyzed))
