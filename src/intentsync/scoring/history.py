"""An account's past: its scores per day, its stage moves and its signals, newest last or first."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from intentsync.kit.clock import format_ms, now_ms
from intentsync.kit.pagination import decode_cursor, encode_cursor, invalid_cursor
from intentsync.scoring import repository
from intentsync.scoring.explain import require_account
from intentsync.scoring.stages import iso_day
from intentsync.signals.types import day_of

# The wire name of each stored score, keyed by column so the order of a select cannot matter.
WIRE_NAMES = {
    "account_score": "rtp_account_score",
    "website_score": "rtp_website_intent_score",
    "g2_score": "rtp_g2_intent_score",
    "bombora_score": "rtp_bombora_intent_score",
    "advertising_score": "rtp_advertising_activity_score",
}
POINT_FIELDS = tuple(WIRE_NAMES[name] for name in repository.HISTORY_SCORES)


def _identity(account: repository.AnyRow) -> dict[str, Any]:
    return {"rtp_aid": account.rtp_aid, "externalId": account.external_id}


def score_history(
    session: Session,
    *,
    team_id: int,
    days: int,
    external_id: str | None = None,
    rtp_aid: str | None = None,
) -> dict[str, Any]:
    """One point per day for the last `days` days up to today, each carried forward.

    Days before the account's first stored score are left out: nothing was known then.
    """
    account = require_account(session, team_id=team_id, external_id=external_id, rtp_aid=rtp_aid)
    today = day_of(now_ms())
    first = today - days + 1
    rows = repository.history_for_account(session, account_id=account.id, to_day=today)
    points: list[dict[str, Any]] = []
    current: tuple[int, ...] | None = None
    index = 0
    for day in range(first, today + 1):
        while index < len(rows) and rows[index][0] <= day:
            current = tuple(rows[index][1:])
            index += 1
        if current is not None:
            points.append({"asOf": iso_day(day), **dict(zip(POINT_FIELDS, current, strict=True))})
    return {
        **_identity(account),
        "from": iso_day(first),
        "to": iso_day(today),
        "points": points,
    }


def stage_history(
    session: Session, *, team_id: int, external_id: str | None = None, rtp_aid: str | None = None
) -> dict[str, Any]:
    """Every journey move the scoring runs made, newest first, with the rule that fired."""
    account = require_account(session, team_id=team_id, external_id=external_id, rtp_aid=rtp_aid)
    moves = repository.transitions_for_account(session, account_id=account.id)
    return {
        **_identity(account),
        "stage": account.journey_stage,
        "transitions": [
            {"from": m.from_stage, "to": m.to_stage, "at": format_ms(m.at_ms), "reason": m.reason}
            for m in moves
        ],
    }


@dataclass(frozen=True)
class StageMove:
    """One journey move of a team's account, as the overview lists them."""

    rtp_aid: str
    account: str
    from_stage: str
    to_stage: str
    at_ms: int
    reason: str


def recent_stage_moves(session: Session, *, team_id: int, limit: int = 20) -> list[StageMove]:
    """The team's newest journey moves across all accounts, with the rule that fired."""
    rows = repository.recent_transitions(session, team_id=team_id, limit=limit)
    return [StageMove(r.rtp_aid, r.name, r.from_stage, r.to_stage, r.at_ms, r.reason) for r in rows]


@dataclass(frozen=True)
class RunSummary:
    """The last scoring run: when, how long, what it changed and what went wrong."""

    kind: str
    status: str
    started_ms: int
    seconds: float | None
    accounts_scored: int
    accounts_changed: int
    errors: list[str]


def last_run(session: Session, *, team_id: int) -> RunSummary | None:
    runs = repository.recent_runs(session, team_id=team_id, limit=1)
    if not runs:
        return None
    run = runs[0]
    seconds = (run.finished_ms - run.started_ms) / 1000 if run.finished_ms is not None else None
    return RunSummary(
        run.kind,
        run.status,
        run.started_ms,
        seconds,
        run.accounts_scored,
        run.accounts_changed,
        list(run.errors or []),
    )


def _after(cursor: str | None) -> tuple[int, int] | None:
    """The opaque cursor holds the previous page's last (occurred_ms, id)."""
    if not cursor:
        return None
    decoded = decode_cursor(cursor.strip())
    if decoded is None:
        raise invalid_cursor()
    row_id, occurred_ms = decoded
    return occurred_ms, row_id


def signal_timeline(
    session: Session,
    *,
    team_id: int,
    limit: int,
    cursor: str | None,
    source: str | None,
    external_id: str | None = None,
    rtp_aid: str | None = None,
) -> dict[str, Any]:
    """The account's signals newest first, a keyset page at a time, optionally of one source."""
    before = _after(cursor)
    account = require_account(session, team_id=team_id, external_id=external_id, rtp_aid=rtp_aid)
    rows = repository.signals_for_account(
        session, account_id=account.id, source=source, before=before, limit=limit + 1
    )
    page, more = rows[:limit], len(rows) > limit
    last = page[-1] if page else None
    return {
        "data": [
            {
                "source": s.source,
                "type": s.type,
                "occurredAt": format_ms(s.occurred_ms),
                "quantity": int(s.quantity) if float(s.quantity).is_integer() else s.quantity,
                "attributes": s.attributes or {},
            }
            for s in page
        ],
        "nextCursor": encode_cursor(last.id, last.occurred_ms) if more and last else None,
        "hasNextPage": more,
    }
