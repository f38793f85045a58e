"""One chunk of a scoring run: read its inputs, compute scores and stages, write nothing.

Chunks are independent, so a run can compute them in worker processes while the parent
writes finished chunks; everything crossing the process boundary is plain data.
"""

import gc
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.orm import Session

from intentsync.db.engine import Database
from intentsync.deals.service import DealFacts, account_deal_facts
from intentsync.scoring import repository
from intentsync.scoring.compute import AccountScore, DailySignal, score_account
from intentsync.scoring.config import ScoringConfig, parse_config
from intentsync.scoring.sales import sales_signals
from intentsync.scoring.stages import candidate_stage, iso_day, next_stage
from intentsync.signals.types import DAY_MS

_NO_DEALS = DealFacts()
TRENDS = frozenset({"score_change_7d", "score_change_30d"})
# An update's "previous" holds these columns' values before it, in this order.
PREVIOUS = (
    "account_score",
    "website_score",
    "g2_score",
    "bombora_score",
    "advertising_score",
    "journey_stage",
)


@dataclass
class ChunkResult:
    """A chunk's outcome; JSON values (intent_signals, breakdown) arrive encoded by orjson."""

    scored: int = 0
    updates: list[dict[str, Any]] = field(default_factory=list)
    explanations: list[dict[str, Any]] = field(default_factory=list)
    transitions: list[tuple[int, str, str, str]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ChunkTask:
    """A chunk as a worker receives it: ids in order; `only` means exactly these ids."""

    url: str
    team_id: int
    as_of: int
    config_version: int
    config_doc: dict[str, Any]
    ids: list[int]
    only: bool
    history: bool = True  # keep score history and trends; off only to measure what they cost


def intent_signals(score: AccountScore) -> list[dict[str, Any]]:
    """rtp_intent_signals: the top contributing recent signals, as the wire shows them."""
    shown: list[dict[str, Any]] = []
    for c in score.top:
        item: dict[str, Any] = {
            "source": c.source,
            "type": c.type,
            "occurredOn": iso_day(c.day),
            "quantity": int(c.quantity) if float(c.quantity).is_integer() else c.quantity,
        }
        if c.source == "bombora" and c.detail:
            item["topic"] = c.detail
        shown.append(item)
    return shown


def breakdown(
    score: AccountScore, config: ScoringConfig, shown: list[dict[str, Any]]
) -> dict[str, Any]:
    """The explanation document kept per account, so every point can be traced."""
    return {
        "overall": score.overall,
        "sources": {
            source: {
                "score": s.score,
                "raw": round(s.raw, 4),
                "enabled": s.enabled,
                "weight": config.weights.get(source, 0) if s.enabled else 0,
                "buckets": {k: round(v, 4) for k, v in s.buckets.items()},
            }
            for source, s in score.sources.items()
        },
        "top": [
            {**item, "points": round(c.points, 4)} for item, c in zip(shown, score.top, strict=True)
        ],
    }


class _Past:
    """An account's stored score history up to the run's day, oldest first."""

    def __init__(self, rows: list[tuple[int, tuple[int, ...]]]) -> None:
        self.rows = rows

    def overall_on(self, day: int) -> int | None:
        """The overall score carried forward to day; None before the first stored value."""
        found = None
        for row_day, scores in self.rows:
            if row_day > day:
                break
            found = scores[0]
        return found

    def latest(self) -> tuple[int, ...] | None:
        return self.rows[-1][1] if self.rows else None


def trend(overall: int, past: _Past, *, as_of: int, days: int) -> int:
    """Overall score today minus `days` ago; 0 when that day's score is not known."""
    then = past.overall_on(as_of - days)
    return 0 if then is None else overall - then


def _history(
    session: Session, *, team_id: int, lo: int, hi: int, ids: list[int], as_of: int
) -> dict[int, _Past]:
    pasts: dict[int, list[tuple[int, tuple[int, ...]]]] = defaultdict(list)
    for row in repository.history_rows(
        session, team_id=team_id, lo=lo, hi=hi, ids=ids, max_day=as_of
    ):
        pasts[row[0]].append((row[1], tuple(row[2:])))
    return {account_id: _Past(rows) for account_id, rows in pasts.items()}


_NO_PAST = _Past([])


def score_chunk(
    session: Session,
    *,
    team_id: int,
    as_of: int,
    config: ScoringConfig,
    accounts: Sequence[repository.AnyRow],
    only: bool,
    history: bool = True,
) -> ChunkResult:
    """Compute one chunk of accounts against a read snapshot; nothing is written here."""
    lo, hi = accounts[0].id, accounts[-1].id
    ids = [a.id for a in accounts] if only else []
    horizon = max(
        [p.window_days for p in config.point_sources.values()] + [config.bombora.window_days]
    )
    min_day = as_of - horizon
    signals: dict[int, list[DailySignal]] = defaultdict(list)
    make = tuple.__new__  # rows are the account id, then DAILY_SIGNAL_COLUMNS (DailySignal's)
    for row in repository.daily_rows(
        session, team_id=team_id, lo=lo, hi=hi, ids=ids, min_day=min_day
    ):
        signals[row[0]].append(make(DailySignal, row[1:]))
    activities: dict[int, list[Any]] = defaultdict(list)
    for row in repository.sales_rows(
        session, team_id=team_id, lo=lo, hi=hi, ids=ids, min_ms=min_day * DAY_MS
    ):
        activities[row[0]].append(tuple(row[1:]))
    for account_id, rows in activities.items():
        signals[account_id].extend(sales_signals(rows, long_call_minutes=config.long_call.minutes))
    earlier = {r[0]: r for r in repository.score_rows(session, lo=lo, hi=hi, ids=ids)}
    # Deals keep no history of their stages, so even a run as of a past day counts today's.
    deals = account_deal_facts(session, team_id=team_id, account_ids=[a.id for a in accounts])
    pasts = (
        _history(session, team_id=team_id, lo=lo, hi=hi, ids=ids, as_of=as_of) if history else {}
    )
    result = ChunkResult()
    downgrade_days = config.stages.downgrade_days
    # An account without evidence is scored too: its explanation then says why it is 0. Its
    # score depends on nothing else, so it is worked out once for every such account.
    unseen = score_account((), as_of=as_of, config=config)
    unseen_shown = intent_signals(unseen)
    unseen_breakdown = orjson.dumps(breakdown(unseen, config, unseen_shown))
    for account in accounts:
        evidence = signals.get(account.id)
        facts = deals.get(account.id, _NO_DEALS)
        before = earlier.get(account.id)
        result.scored += 1
        if evidence is None:
            evidence, score, shown, explained = [], unseen, unseen_shown, unseen_breakdown
        else:
            score = score_account(evidence, as_of=as_of, config=config)
            shown = intent_signals(score)
            explained = orjson.dumps(breakdown(score, config, shown))
        stage, reason = candidate_stage(
            evidence,
            as_of=as_of,
            score=score,
            open_deals=facts.open_count,
            won_deals=facts.won_count,
            config=config,
        )
        decision = next_stage(
            current=account.journey_stage,
            candidate=stage,
            reason=reason,
            pending_stage=before.pending_stage if before else None,
            pending_since_day=before.pending_since_day if before else None,
            as_of=as_of,
            downgrade_days=downgrade_days,
        )
        if decision.changed:
            stage_reason = decision.reason
            result.transitions.append(
                (account.id, account.journey_stage, decision.stage, decision.reason)
            )
        else:
            stage_reason = before.stage_reason if before is not None else decision.reason
        values = {
            "account_score": score.overall,
            "website_score": score.sources["website"].score,
            "g2_score": score.sources["g2"].score,
            "bombora_score": score.sources["bombora"].score,
            "advertising_score": score.sources["linkedin"].score,
            "journey_stage": decision.stage,
            "intent_signals": shown,
            "score_change_7d": account.score_change_7d,
            "score_change_30d": account.score_change_30d,
        }
        if history:
            past = pasts.get(account.id, _NO_PAST)
            values["score_change_7d"] = trend(score.overall, past, as_of=as_of, days=7)
            values["score_change_30d"] = trend(score.overall, past, as_of=as_of, days=30)
            scores = tuple(values[name] for name in repository.HISTORY_SCORES)
            if past.latest() != scores:
                result.history.append(
                    {
                        "account_id": account.id,
                        "day": as_of,
                        "team_id": team_id,
                        **dict(zip(repository.HISTORY_SCORES, scores, strict=True)),
                    }
                )
        current = {
            "account_score": account.account_score,
            "website_score": account.website_score,
            "g2_score": account.g2_score,
            "bombora_score": account.bombora_score,
            "advertising_score": account.advertising_score,
            "journey_stage": account.journey_stage,
            "intent_signals": account.intent_signals or [],
            "score_change_7d": account.score_change_7d,
            "score_change_30d": account.score_change_30d,
        }
        if values != current:
            result.updates.append(
                {
                    "pk": account.id,
                    "changed_stage": decision.changed,
                    "stage_entered_ms": account.stage_entered_ms,
                    # Trends are not on the wire: a change of them alone moves no delta.
                    "visible": any(values[k] != current[k] for k in values if k not in TRENDS),
                    # What the account showed before, for the events that report the change.
                    "previous": tuple(current[k] for k in PREVIOUS),
                    **values,
                    # Encoded here, in the worker: one bytes object crosses to the writer.
                    "intent_signals": orjson.dumps(shown),
                }
            )
        result.explanations.append(
            {
                "account_id": account.id,
                "team_id": team_id,
                "as_of_day": as_of,
                "config_version": config.version,
                "breakdown": explained,
                "stage_reason": stage_reason,
                "pending_stage": decision.pending_stage,
                "pending_since_day": decision.pending_since_day,
            }
        )
    return result


@contextmanager
def cycles_collected_after() -> Iterator[None]:
    """The collector's rescans of a chunk's millions of acyclic tuples cost a third of a run."""
    # Reference counting frees the chunk's objects; a cycle among them waits for the next pass.
    if not gc.isenabled():  # an outer caller paused it already and will resume it
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def compute(task: ChunkTask, db: Database, config: ScoringConfig) -> ChunkResult:
    """Read a chunk's accounts in one snapshot and score them."""
    with cycles_collected_after(), db.transaction(write=False) as session:
        if task.only:
            accounts = repository.accounts_by_ids(session, team_id=task.team_id, ids=task.ids)
        else:
            accounts = repository.accounts_between(
                session, team_id=task.team_id, lo=task.ids[0], hi=task.ids[-1]
            )
        if not accounts:
            return ChunkResult()
        return score_chunk(
            session,
            team_id=task.team_id,
            as_of=task.as_of,
            config=config,
            accounts=accounts,
            only=task.only,
            history=task.history,
        )


_worker_databases: dict[str, Database] = {}
_worker_configs: dict[tuple[int, int], ScoringConfig] = {}


def compute_in_worker(task: ChunkTask) -> ChunkResult:
    """Entry point in a worker process: one engine and one parsed config per process."""
    db = _worker_databases.get(task.url)
    if db is None:
        db = _worker_databases[task.url] = Database(task.url, pool_size=1)
    key = (task.team_id, task.config_version)
    config = _worker_configs.get(key)
    if config is None:
        config = _worker_configs[key] = parse_config(task.config_doc, version=task.config_version)
    return compute(task, db, config)
