"""What readiness and metrics read from the database: the schema's revision, lag and backlog.

Nothing here names a team: every number is summed or taken over all teams, since /readyz and
/metrics answer without an API key.
"""

import logging
from collections.abc import Iterable
from functools import lru_cache

from alembic.script import ScriptDirectory
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.exc import DBAPIError, OperationalError

from intentsync.db.engine import Database
from intentsync.db.migrate import FIX, MIGRATIONS, current_revisions, unreachable, unusable
from intentsync.kit.health import Check, NotReady
from intentsync.kit.metrics import Collect
from intentsync.scoring.service import scoring_lag_seconds
from intentsync.webhooks.service import delivery_backlog

log = logging.getLogger("intentsync.monitoring")


@lru_cache(maxsize=1)
def _revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(this code's heads, every revision it knows), read from the migration scripts once."""
    script = ScriptDirectory(str(MIGRATIONS))
    known = frozenset(r.revision for r in script.walk_revisions())
    return frozenset(script.get_heads()), known


def schema_state(current: Iterable[str]) -> str | None:
    """Why a database at these revisions cannot serve this code, for anyone to read; or None."""
    heads, known = _revisions()
    at = frozenset(current)
    if at == heads:
        return None
    expected = ", ".join(sorted(heads))
    if not at:
        return f"the database is not set up (no migrations applied); run: {FIX}"
    shown = ", ".join(sorted(at))
    if at - known:
        return (
            f"the database is at revision {shown}, which this version of intentsync does not "
            f"know (it expects {expected}): a newer release migrated it; run that release here"
        )
    return f"the database is at revision {shown}, behind this version's {expected}; run: {FIX}"


def database_check(db: Database) -> Check:
    """Readiness of the database: it answers, and it is at this code's migration head."""

    def check() -> str:
        try:
            with db.engine.connect() as connection:
                current = current_revisions(connection)
        except OperationalError as exc:
            raise NotReady(
                "cannot reach the database; this process's log has the driver's error",
                detail=unreachable(db.url, exc).custom_message,
            ) from None
        except DBAPIError as exc:
            raise NotReady(
                "cannot read the database; this process's log has the driver's error",
                detail=unusable(db.url, exc).custom_message,
            ) from None
        problem = schema_state(current)
        if problem is not None:
            raise NotReady(problem)
        return f"reachable, at revision {', '.join(current)}"

    return check


def database_gauges(db: Database) -> Collect:
    """Scoring lag and webhook backlog, read from the database at each scrape."""

    def collect() -> Iterable[Metric]:
        with db.transaction(write=False) as session:
            lag = scoring_lag_seconds(session)
            backlog = delivery_backlog(session)
        yield GaugeMetricFamily(
            "intentsync_scoring_lag_seconds",
            "Seconds since the oldest signal, deal or activity no complete scoring run has read",
            value=lag,
        )
        yield GaugeMetricFamily(
            "intentsync_webhook_pending_deliveries",
            "Webhook deliveries not yet delivered or given up, across teams",
            value=backlog.pending,
        )
        yield GaugeMetricFamily(
            "intentsync_webhook_oldest_due_seconds",
            "Seconds the longest-waiting due webhook delivery has been due; 0 when none is",
            value=backlog.oldest_due_seconds,
        )

    return collect
