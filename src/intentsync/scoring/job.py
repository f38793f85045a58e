"""The scoring job: re-score a team's accounts, move stages, refresh dynamic segments.

A run reads and computes outside the team write lock and writes each chunk in a short
transaction with one change stamp, so API writers wait milliseconds, not the whole run.
"""

import logging
import os
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from intentsync.db.engine import Database
from intentsync.deals.service import DealFacts, account_deal_facts
from intentsync.kit.clock import now_ms
from intentsync.scoring import repository
from intentsync.scoring.compute import AccountScore, DailySignal, score_account
from intentsync.scoring.config import ScoringConfig
from intentsync.scoring.sales import sales_signals
from intentsync.scoring.service import current_config
from intentsync.scoring.stages import candidate_stage, iso_day, next_stage
from intentsync.signals.types import DAY_MS, day_of
from intentsync.teams.service import change_stamp, sync_watermark

log = logging.getLogger("intentsync.scoring")

CHUNK = 2000
LEASE_TTL_MS = 10 * 60 * 1000
_NO_DEALS = DealFacts()


@dataclass
class RunReport:
    team_id: int
    status: str  # succeeded, failed or skipped
    kind: str = ""
    run_id: int | None = None
    as_of_day: int = 0
    config_version: int = 0
    accounts_scored: int = 0
    accounts_changed: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    kind: str
    as_of: int
    config: ScoringConfig
    watermark: int
    account_ids: list[int] | None  # None: every account of the team


@dataclass
class _ChunkResult:
    scored: int = 0
    updates: list[dict[str, Any]] = field(default_factory=list)
    explanations: list[dict[str, Any]] = field(default_factory=list)
    transitions: list[tuple[int, str, str, str]] = field(default_factory=list)


def new_holder() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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


def breakdown(score: AccountScore, config: ScoringConfig) -> dict[str, Any]:
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
            {**shown, "points": round(c.points, 4)}
            for shown, c in zip(intent_signals(score), score.top, strict=True)
        ],
    }


def _plan(db: Database, *, team_id: int, full: bool, as_of: int | None) -> _Plan:
    with db.transaction(write=False) as session:
        config = current_config(session, team_id=team_id)
        watermark = sync_watermark(session, team_id=team_id)
        state = repository.get_state(session, team_id=team_id)
        day = as_of if as_of is not None else day_of(now_ms())
        if (
            full
            or state is None
            or state.config_version != config.version
            or state.as_of_day != day
        ):
            return _Plan("full", day, config, watermark, None)
        ids = repository.accounts_with_new_inputs(
            session, team_id=team_id, since_ms=state.inputs_ms
        )
        return _Plan("incremental", day, config, watermark, ids)


def _score_chunk(
    session: Session,
    *,
    team_id: int,
    plan: _Plan,
    accounts: Sequence[repository.AnyRow],
    only: bool,
) -> _ChunkResult:
    """Compute one chunk of accounts against a read snapshot; nothing is written here."""
    config, as_of = plan.config, plan.as_of
    lo, hi = accounts[0].id, accounts[-1].id
    ids = [a.id for a in accounts] if only else []
    horizon = max(
        [p.window_days for p in config.point_sources.values()] + [config.bombora.window_days]
    )
    min_day = as_of - horizon
    signals: dict[int, list[DailySignal]] = defaultdict(list)
    for account_id, source, type_, day, quantity, detail, value in repository.daily_rows(
        session, team_id=team_id, lo=lo, hi=hi, ids=ids, min_day=min_day
    ):
        signals[account_id].append(DailySignal(source, type_, day, quantity, detail, value))
    activities: dict[int, list[Any]] = defaultdict(list)
    for row in repository.sales_rows(
        session, team_id=team_id, lo=lo, hi=hi, ids=ids, min_ms=min_day * DAY_MS
    ):
        activities[row[0]].append(tuple(row[1:]))
    for account_id, rows in activities.items():
        signals[account_id].extend(sales_signals(rows, long_call_minutes=config.long_call.minutes))
    earlier = {r[0]: r for r in repository.score_rows(session, lo=lo, hi=hi, ids=ids)}
    deals = account_deal_facts(session, team_id=team_id, account_ids=[a.id for a in accounts])
    result = _ChunkResult()
    downgrade_days = config.stages.downgrade_days
    for account in accounts:
        rows = signals.get(account.id, [])
        facts = deals.get(account.id, _NO_DEALS)
        before = earlier.get(account.id)
        if (
            not rows
            and before is None
            and facts is _NO_DEALS
            and account.journey_stage == "Unaware"
        ):
            if account.account_score == 0 and not account.intent_signals:
                continue  # nothing to score and nothing to reset
        result.scored += 1
        score = score_account(rows, as_of=as_of, config=config)
        stage, reason = candidate_stage(
            rows,
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
        shown = intent_signals(score)
        values = {
            "account_score": score.overall,
            "website_score": score.sources["website"].score,
            "g2_score": score.sources["g2"].score,
            "bombora_score": score.sources["bombora"].score,
            "advertising_score": score.sources["linkedin"].score,
            "journey_stage": decision.stage,
            "intent_signals": shown,
        }
        current = {
            "account_score": account.account_score,
            "website_score": account.website_score,
            "g2_score": account.g2_score,
            "bombora_score": account.bombora_score,
            "advertising_score": account.advertising_score,
            "journey_stage": account.journey_stage,
            "intent_signals": account.intent_signals or [],
        }
        if values != current:
            result.updates.append({"pk": account.id, "changed_stage": decision.changed, **values})
        result.explanations.append(
            {
                "account_id": account.id,
                "team_id": team_id,
                "as_of_day": as_of,
                "config_version": config.version,
                "breakdown": breakdown(score, config),
                "stage_reason": stage_reason,
                "pending_stage": decision.pending_stage,
                "pending_since_day": decision.pending_since_day,
            }
        )
    return result


def _write_chunk(session: Session, *, team_id: int, chunk: _ChunkResult) -> int:
    """Write one chunk under the team lock; only accounts whose fields changed get a stamp."""
    stamp = change_stamp(session, team_id=team_id)
    entered: dict[int, int | None] = {}
    if chunk.updates:
        entered = repository.stage_entered(session, [u["pk"] for u in chunk.updates])
    repository.write_account_scores(
        session,
        [
            {
                **{k: v for k, v in u.items() if k != "changed_stage"},
                "stage_entered_ms": stamp if u["changed_stage"] else entered.get(u["pk"]),
                "changed_ms": stamp,
            }
            for u in chunk.updates
        ],
    )
    repository.write_explanations(session, [{**e, "scored_ms": stamp} for e in chunk.explanations])
    repository.add_transitions(
        session,
        [
            {
                "team_id": team_id,
                "account_id": account_id,
                "from_stage": before,
                "to_stage": after,
                "reason": reason,
                "at_ms": stamp,
            }
            for account_id, before, after, reason in chunk.transitions
        ],
    )
    return len(chunk.updates)


def _chunks(db: Database, *, team_id: int, plan: _Plan) -> Any:
    """Yield (accounts, only_these) chunks in account order."""
    if plan.account_ids is not None:
        for start in range(0, len(plan.account_ids), CHUNK):
            part = plan.account_ids[start : start + CHUNK]
            with db.transaction(write=False) as session:
                rows = repository.accounts_by_ids(session, team_id=team_id, ids=part)
            if rows:
                yield rows, True
        return
    after = 0
    while True:
        with db.transaction(write=False) as session:
            rows = repository.accounts_after(session, team_id=team_id, after_id=after, limit=CHUNK)
        if not rows:
            return
        yield rows, False
        after = rows[-1].id


def _refresh_segments(session: Session, *, team_id: int) -> int:
    from intentsync.segments.dynamic import refresh_dynamic_segments

    stamp = change_stamp(session, team_id=team_id)
    return refresh_dynamic_segments(session, team_id=team_id, stamp=stamp)


def run_team(
    db: Database,
    *,
    team_id: int,
    full: bool = False,
    as_of: int | None = None,
    holder: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> RunReport:
    """One scoring run for one team, or a skipped report when another process holds the lease."""
    holder = holder or new_holder()
    started = time.perf_counter()
    with db.transaction() as session:
        if not repository.take_lease(
            session, team_id=team_id, holder=holder, now=now_ms(), ttl_ms=LEASE_TTL_MS
        ):
            lease = repository.lease_holder(session, team_id=team_id)
            who = lease.holder if lease else "another process"
            return RunReport(team_id, "skipped", errors=[f"a run is in progress ({who})"])
    report = RunReport(team_id, "running")
    try:
        plan = _plan(db, team_id=team_id, full=full, as_of=as_of)
        report.kind, report.as_of_day = plan.kind, plan.as_of
        report.config_version = plan.config.version
        with db.transaction() as session:
            report.run_id = repository.start_run(
                session,
                {
                    "team_id": team_id,
                    "kind": plan.kind,
                    "status": "running",
                    "as_of_day": plan.as_of,
                    "config_version": plan.config.version,
                    "started_ms": now_ms(),
                    "accounts_scored": 0,
                    "accounts_changed": 0,
                    "errors": [],
                },
            )
        for accounts, only in _chunks(db, team_id=team_id, plan=plan):
            try:
                with db.transaction(write=False) as session:
                    chunk = _score_chunk(
                        session, team_id=team_id, plan=plan, accounts=accounts, only=only
                    )
                with db.transaction() as session:
                    report.accounts_changed += _write_chunk(session, team_id=team_id, chunk=chunk)
                    repository.take_lease(
                        session, team_id=team_id, holder=holder, now=now_ms(), ttl_ms=LEASE_TTL_MS
                    )
                report.accounts_scored += chunk.scored
            except Exception as exc:  # one bad chunk must not hide the others' results
                log.exception("scoring chunk failed for team %s", team_id)
                report.errors.append(
                    f"accounts {accounts[0].id}-{accounts[-1].id}: {type(exc).__name__}: {exc}"
                )
            if on_progress is not None:
                on_progress(len(accounts))
        try:
            with db.transaction() as session:
                report.accounts_changed += _refresh_segments(session, team_id=team_id)
        except Exception as exc:
            log.exception("dynamic segment refresh failed for team %s", team_id)
            report.errors.append(f"dynamic segments: {type(exc).__name__}: {exc}")
        if not report.errors:
            with db.transaction() as session:
                repository.save_state(
                    session,
                    team_id=team_id,
                    config_version=plan.config.version,
                    as_of_day=plan.as_of,
                    inputs_ms=plan.watermark,
                )
        report.status = "failed" if report.errors else "succeeded"
    except Exception as exc:
        log.exception("scoring run failed for team %s", team_id)
        report.status = "failed"
        report.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        report.seconds = time.perf_counter() - started
        with db.transaction() as session:
            if report.run_id is not None:
                repository.finish_run(
                    session,
                    run_id=report.run_id,
                    values={
                        "status": report.status,
                        "finished_ms": now_ms(),
                        "accounts_scored": report.accounts_scored,
                        "accounts_changed": report.accounts_changed,
                        "errors": report.errors[:50],
                    },
                )
            repository.drop_lease(session, team_id=team_id, holder=holder)
    log.info(
        "scoring team %s: %s %s run, %s scored, %s changed in %.1fs",
        team_id,
        report.status,
        report.kind,
        report.accounts_scored,
        report.accounts_changed,
        report.seconds,
    )
    return report


def run_all(db: Database, *, full: bool = False, as_of: int | None = None) -> list[RunReport]:
    with db.transaction(write=False) as session:
        teams = repository.team_ids(session)
    return [run_team(db, team_id=team_id, full=full, as_of=as_of) for team_id in teams]
