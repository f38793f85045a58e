"""The scoring job: re-score a team's accounts, move stages, refresh dynamic segments.

A run computes chunks of accounts outside the team write lock — in worker processes when
there is more than one chunk and more than one core, else on PostgreSQL one chunk ahead in a
thread — and writes each finished chunk in a short transaction with one change stamp, so API
writers wait milliseconds, not the whole run.
"""

import logging
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from typing import Any

from sqlalchemy.orm import Session

from intentsync.db.engine import Database, is_sqlite
from intentsync.kit.clock import now_ms
from intentsync.kit.metrics import observe_job
from intentsync.scoring import repository
from intentsync.scoring.chunks import ChunkResult, ChunkTask, compute, compute_in_worker
from intentsync.scoring.config import ScoringConfig, parse_config
from intentsync.scoring.service import current_document
from intentsync.scoring.stages import entered_ms
from intentsync.segments.dynamic import refreshed_accounts
from intentsync.signals import service as signals
from intentsync.signals.types import day_of
from intentsync.teams.service import change_stamp, sync_watermark, team_ids
from intentsync.webhooks import service as webhooks
from intentsync.webhooks.events import (
    ACCOUNT_SCORE_CHANGED,
    ACCOUNT_STAGE_CHANGED,
    SCORING_RUN_COMPLETED,
    Event,
)

log = logging.getLogger("intentsync.scoring")

CHUNK = 2000
RETENTION_DAYS = 400  # score history kept by default; INTENTSYNC_HISTORY_RETENTION_DAYS
RETENTION_BATCH = 2000  # accounts whose old history one short transaction trims
LEASE_TTL_MS = 10 * 60 * 1000
RUN_LOG_MS = 30 * 86_400_000  # how long the record of a finished run is kept
MAX_PROCESSES = 8
ACCOUNT_MOVES = frozenset({ACCOUNT_SCORE_CHANGED, ACCOUNT_STAGE_CHANGED})


@dataclass
class RunReport:
    team_id: int
    status: str  # succeeded, failed or skipped
    kind: str = ""
    run_id: int | None = None
    as_of_day: int = 0
    config_version: int = 0
    accounts_total: int = 0  # the team's accounts when the run planned, scored or not
    accounts_scored: int = 0
    accounts_changed: int = 0
    seconds: float = 0.0
    processes: int = 1
    errors: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    kind: str
    as_of: int
    config: ScoringConfig
    config_doc: dict[str, Any]
    watermark: int
    account_ids: list[int]
    team_accounts: int


def new_holder() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


SPREAD_HOLDER = "spread-run"  # a spread run's lease belongs to no process: its jobs renew it
ABANDONED = "the process running this run stopped before it finished; a later run redid it"
EXPIRED = "this run's chunks stopped renewing its lease before they finished; a later run redid it"


def holder_gone(holder: str) -> bool:
    """A holder on this host whose process has exited, so its lease need not run out first."""
    host, _, rest = holder.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname()[:30] or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _take_lease(session: Session, *, team_id: int, holder: str) -> bool:
    """The team's lease, taken over at once from a dead process of this host (a crash)."""
    held = repository.lease_holder(session, team_id=team_id)
    previous = held.holder if held is not None else ""  # read now: the update below changes it
    if repository.take_lease(
        session, team_id=team_id, holder=holder, now=now_ms(), ttl_ms=LEASE_TTL_MS
    ):
        if previous.startswith(f"{SPREAD_HOLDER}:"):
            # Its lease expired: that run's chunks can no longer write, so it will not finish.
            repository.fail_running_runs(
                session, team_id=team_id, spread=True, message=EXPIRED, at_ms=now_ms()
            )
        return True
    if held is None or not holder_gone(previous):
        return False
    log.warning("scoring team %s: taking over the lease of %s, which has exited", team_id, previous)
    repository.drop_lease(session, team_id=team_id, holder=previous)
    repository.fail_running_runs(
        session, team_id=team_id, spread=False, message=ABANDONED, at_ms=now_ms()
    )
    return repository.take_lease(
        session, team_id=team_id, holder=holder, now=now_ms(), ttl_ms=LEASE_TTL_MS
    )


def default_processes() -> int:
    """One worker per core, within reason; the parent writes while they compute."""
    return max(1, min(os.cpu_count() or 1, MAX_PROCESSES))


def _plan(db: Database, *, team_id: int, full: bool, as_of: int | None) -> _Plan:
    with db.transaction(write=False) as session:
        version, doc = current_document(session, team_id=team_id)
        config = parse_config(doc, version=version)
        watermark = sync_watermark(session, team_id=team_id)
        state = repository.get_state(session, team_id=team_id)
        day = as_of if as_of is not None else day_of(now_ms())
        if (
            full
            or state is None
            or state.config_version != config.version
            or state.as_of_day != day
        ):
            ids = repository.all_account_ids(session, team_id=team_id)
            return _Plan("full", day, config, doc, watermark, ids, len(ids))
        ids = repository.accounts_with_new_inputs(
            session, team_id=team_id, since_ms=state.inputs_ms
        )
        total = repository.count_accounts(session, team_id=team_id)
        return _Plan("incremental", day, config, doc, watermark, ids, total)


def fold_signals(db: Database, *, team_id: int) -> None:
    """Roll up the signals stored since the last round and flag their accounts, in short
    transactions.

    Before the plan: each fold commits its accounts' flags before the plan reads its
    watermark, so the plan scores them, and a chunk reads their signals in the roll-up.
    A signal stored after the last fold stays past the mark for the next round.
    """
    while True:
        with db.transaction() as session:
            folded = signals.fold_new_signals(session, team_id=team_id)
        if folded < signals.FOLD_BATCH:
            return


def _tasks(
    db: Database, *, team_id: int, plan: _Plan, chunk_size: int, history: bool
) -> list[ChunkTask]:
    ids = plan.account_ids
    return [
        ChunkTask(
            url=db.url,
            team_id=team_id,
            as_of=plan.as_of,
            config_version=plan.config.version,
            config_doc=plan.config_doc,
            ids=ids[start : start + chunk_size],
            only=plan.kind == "incremental",
            history=history,
        )
        for start in range(0, len(ids), chunk_size)
    ]


def _results(
    db: Database, plan: _Plan, tasks: list[ChunkTask], processes: int
) -> Iterator[tuple[ChunkTask, ChunkResult | BaseException]]:
    """Each task's result in order; at most two chunks per worker wait to be written.

    On one process with PostgreSQL the next chunk is computed in a thread while the caller
    writes this one, so Python's maths overlaps the server's write work. SQLite writes run in
    this process and contend for the interpreter: the overlap made its runs 10-15 % slower.
    """
    if len(tasks) <= 1 or (processes <= 1 and is_sqlite(db.url)):
        for task in tasks:
            try:
                yield task, compute(task, db, plan.config)
            except Exception as exc:
                yield task, exc
        return
    pool: Executor
    if processes <= 1:
        pool, ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scoring"), 1
        work: Callable[[ChunkTask], ChunkResult] = partial(compute, db=db, config=plan.config)
    else:
        # Spawned workers never inherit this process's threads, locks or connections.
        pool = ProcessPoolExecutor(max_workers=processes, mp_context=get_context("spawn"))
        ahead, work = 2 * processes, compute_in_worker
    with pool:
        pending: deque[tuple[ChunkTask, Future[ChunkResult]]] = deque()
        queue = iter(tasks)
        for task in queue:
            pending.append((task, pool.submit(work, task)))
            if len(pending) >= ahead:
                break
        while pending:
            task, future = pending.popleft()
            following = next(queue, None)  # submitted before the caller writes this one
            if following is not None:
                pending.append((following, pool.submit(work, following)))
            outcome: ChunkResult | BaseException
            try:
                outcome = future.result()
            except Exception as exc:
                outcome = exc
            yield task, outcome


# The previous values an account.score_changed event reports, by wire name (PREVIOUS order).
PREVIOUS_WIRE = (
    "rtp_account_score",
    "rtp_website_intent_score",
    "rtp_g2_intent_score",
    "rtp_bombora_intent_score",
    "rtp_advertising_activity_score",
)
NOT_WRITTEN = frozenset({"changed_stage", "visible", "previous"})


def _events(
    wanted: frozenset[str], chunk: ChunkResult, visible: list[dict[str, Any]]
) -> list[Event]:
    """The score and stage moves of a chunk as events, only of the types some subscription wants."""
    events = []
    if ACCOUNT_SCORE_CHANGED in wanted:
        for u in visible:
            before = u["previous"]
            if u["account_score"] != before[0]:
                events.append(
                    Event(
                        ACCOUNT_SCORE_CHANGED,
                        {"previous": dict(zip(PREVIOUS_WIRE, before[:5], strict=True))},
                        score_change=u["account_score"] - before[0],
                        account_pk=u["pk"],
                    )
                )
    if ACCOUNT_STAGE_CHANGED in wanted:
        events.extend(
            Event(
                ACCOUNT_STAGE_CHANGED,
                {"previous": {"rtp_journey_stage": before}, "reason": reason},
                account_pk=account_id,
            )
            for account_id, before, _after, reason in chunk.transitions
        )
    return events


def _write_chunk(session: Session, *, team_id: int, as_of: int, chunk: ChunkResult) -> list[int]:
    """Write one chunk under the team lock; only accounts whose fields changed get a stamp.

    Score and stage moves are reported as events in the same transaction, when wanted.
    """
    stamp = change_stamp(session, team_id=team_id)
    entered = entered_ms(as_of=as_of, stamp=stamp)
    visible = [u for u in chunk.updates if u["visible"]]
    repository.write_account_scores(
        session,
        [
            {
                **{k: v for k, v in u.items() if k not in NOT_WRITTEN},
                "stage_entered_ms": entered if u["changed_stage"] else u["stage_entered_ms"],
                "changed_ms": stamp,
            }
            for u in visible
        ],
    )
    repository.write_trends(session, [u for u in chunk.updates if not u["visible"]])
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
                "at_ms": entered,
            }
            for account_id, before, after, reason in chunk.transitions
        ],
    )
    repository.write_history(session, chunk.history)
    if visible:
        wanted = webhooks.wanted_types(session, team_id=team_id)
        if wanted & ACCOUNT_MOVES:
            webhooks.emit(
                session, team_id=team_id, events=_events(wanted, chunk, visible), at_ms=stamp
            )
    return [u["pk"] for u in visible]


def _trim_history(db: Database, *, team_id: int, before_day: int) -> None:
    """Drop superseded history older than the retention, a batch of accounts at a time."""
    with db.transaction(write=False) as session:
        if not repository.has_old_history(session, team_id=team_id, before_day=before_day):
            return  # the usual case: nothing to drop, so no write transaction at all
        ids = repository.all_account_ids(session, team_id=team_id)
    for start in range(0, len(ids), RETENTION_BATCH):
        batch = ids[start : start + RETENTION_BATCH]
        with db.transaction() as session:
            repository.drop_old_history(
                session, team_id=team_id, lo=batch[0], hi=batch[-1], before_day=before_day
            )


def _drop_old_runs(db: Database, *, team_id: int, keep: int) -> None:
    """Freshness rounds run every few seconds while inputs arrive: a month of records is kept."""
    try:
        with db.transaction() as session:
            repository.drop_old_runs(
                session, team_id=team_id, before_ms=now_ms() - RUN_LOG_MS, keep=keep
            )
    except Exception:  # the record and the lease are already saved; the next run tries again
        log.exception("dropping old run records failed for team %s", team_id)


def _refresh_segments(session: Session, *, team_id: int, plan: _Plan) -> set[int]:
    """Dynamic segments follow the run: all accounts on a full run, else those re-scored."""
    stamp = change_stamp(session, team_id=team_id)
    only = plan.account_ids if plan.kind == "incremental" else None
    return refreshed_accounts(session, team_id=team_id, stamp=stamp, account_ids=only)


def _run_event(report: RunReport) -> Event:
    return Event(
        SCORING_RUN_COMPLETED,
        {
            "runId": report.run_id,
            "kind": report.kind,
            "status": report.status,
            "accountsScored": report.accounts_scored,
            "accountsChanged": report.accounts_changed,
            "seconds": round(report.seconds, 3),
            "errors": len(report.errors),
        },
    )


Spread = Callable[[int, int], None]  # (run_id, chunks): submit the chunk jobs of a spread run


def run_team(
    db: Database,
    *,
    team_id: int,
    full: bool = False,
    as_of: int | None = None,
    holder: str | None = None,
    processes: int | None = None,
    chunk_size: int = CHUNK,
    on_progress: Callable[[int], None] | None = None,
    history: bool = True,
    retention_days: int = RETENTION_DAYS,
    if_new_inputs: bool = False,
    spread: Spread | None = None,
) -> RunReport:
    """One scoring run for one team, or a skipped report when another process holds the lease.

    if_new_inputs skips a round with nothing new to read without recording a run, so that
    freshness rounds cost one query when no input arrived. With spread, a run of more than
    one chunk is handed to queue workers: its plan and chunks are stored, spread() submits
    them, and the report says "spread"; score_chunk and finish_spread_run do the rest.
    """
    holder = holder or new_holder()
    started = time.perf_counter()
    if if_new_inputs and not _has_new_inputs(db, team_id=team_id, as_of=as_of):
        return RunReport(team_id, "skipped", kind="none", errors=[NOTHING_NEW])
    with db.transaction() as session:
        if not _take_lease(session, team_id=team_id, holder=holder):
            lease = repository.lease_holder(session, team_id=team_id)
            who = lease.holder if lease else "another process"
            return RunReport(team_id, "skipped", errors=[f"a run is in progress ({who})"])
    report = RunReport(team_id, "running")
    changed: set[int] = set()  # distinct accounts whose fields or segments changed
    plan: _Plan | None = None
    try:
        fold_signals(db, team_id=team_id)  # first: the fold flags the accounts the plan reads
        plan = _plan(db, team_id=team_id, full=full, as_of=as_of)
        report.kind, report.as_of_day = plan.kind, plan.as_of
        report.accounts_total = plan.team_accounts
        report.config_version = plan.config.version
        tasks = _tasks(db, team_id=team_id, plan=plan, chunk_size=chunk_size, history=history)
        with db.transaction() as session:
            report.run_id = repository.start_run(session, _run_row(team_id, plan))
            if spread is not None and len(tasks) > 1:
                spread_holder = f"{SPREAD_HOLDER}:{report.run_id}:{uuid.uuid4().hex[:8]}"
                repository.hand_over_lease(
                    session, team_id=team_id, holder=holder, to=spread_holder
                )
                holder = spread_holder
                repository.save_spread_plan(
                    session,
                    run_id=report.run_id,
                    plan=_stored_plan(plan, holder=holder, history=history, chunks=len(tasks)),
                    chunks=[task.ids for task in tasks],
                )
        if spread is not None and len(tasks) > 1:
            spread(report.run_id, len(tasks))
            report.status = "spread"
            report.seconds = time.perf_counter() - started
            log.info(
                "scoring team %s: %s run of %s accounts spread over %s chunk jobs (run %s)",
                team_id,
                plan.kind,
                len(plan.account_ids),
                len(tasks),
                report.run_id,
            )
            return report
        wanted = default_processes() if processes is None else max(1, processes)
        report.processes = min(wanted, len(tasks)) if len(tasks) > 1 else 1
        for task, outcome in _results(db, plan, tasks, report.processes):
            try:
                if isinstance(outcome, BaseException):
                    raise outcome
                with db.transaction() as session:
                    written = _write_chunk(
                        session, team_id=team_id, as_of=plan.as_of, chunk=outcome
                    )
                    repository.take_lease(
                        session, team_id=team_id, holder=holder, now=now_ms(), ttl_ms=LEASE_TTL_MS
                    )
                report.accounts_scored += outcome.scored
                changed.update(written)
                report.accounts_changed = len(changed)
            except Exception as exc:  # one bad chunk must not hide the others' results
                log.error("scoring chunk failed for team %s: %r", team_id, exc)
                report.errors.append(_chunk_error(task.ids, exc))
            if on_progress is not None:
                on_progress(len(task.ids))
    except Exception as exc:
        log.exception("scoring run failed for team %s", team_id)
        report.status = "failed"
        report.errors.append(f"{type(exc).__name__}: {exc}")
    _conclude(
        db,
        report,
        plan=plan,
        changed=changed,
        holder=holder,
        history=history,
        retention_days=retention_days,
        started=started,
    )
    return report


def _run_row(team_id: int, plan: _Plan) -> dict[str, Any]:
    return {
        "team_id": team_id,
        "kind": plan.kind,
        "status": "running",
        "as_of_day": plan.as_of,
        "config_version": plan.config.version,
        "started_ms": now_ms(),
        "accounts_scored": 0,
        "accounts_changed": 0,
        "errors": [],
    }


def _chunk_error(ids: list[int], exc: BaseException) -> str:
    return f"accounts {ids[0]}-{ids[-1]}: {type(exc).__name__}: {exc}"


def _conclude(
    db: Database,
    report: RunReport,
    *,
    plan: _Plan | None,
    changed: set[int],
    holder: str,
    history: bool,
    retention_days: int,
    started: float,
) -> None:
    """Refresh dynamic segments, trim history, save what the run covered, record and release."""
    team_id = report.team_id
    try:
        if plan is not None and report.status != "failed":
            try:
                with db.transaction() as session:
                    moved = _refresh_segments(session, team_id=team_id, plan=plan)
                changed.update(moved)
                report.accounts_changed = len(changed)
            except Exception as exc:
                log.exception("dynamic segment refresh failed for team %s", team_id)
                report.errors.append(f"dynamic segments: {type(exc).__name__}: {exc}")
            if history:
                try:
                    _trim_history(db, team_id=team_id, before_day=plan.as_of - retention_days)
                except Exception as exc:
                    log.exception("trimming score history failed for team %s", team_id)
                    report.errors.append(f"score history retention: {type(exc).__name__}: {exc}")
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
        observe_job("scoring_run", report.seconds, report.status)
        with db.transaction() as session:
            if report.run_id is not None:
                finished = now_ms()
                repository.finish_run(
                    session,
                    run_id=report.run_id,
                    values={
                        "status": report.status,
                        "finished_ms": finished,
                        "accounts_scored": report.accounts_scored,
                        "accounts_changed": report.accounts_changed,
                        "errors": report.errors[:50],
                    },
                )
                webhooks.emit(session, team_id=team_id, events=[_run_event(report)], at_ms=finished)
            repository.drop_lease(session, team_id=team_id, holder=holder)
        if report.run_id is not None:
            _drop_old_runs(db, team_id=team_id, keep=report.run_id)
    log.info(
        "scoring team %s: %s %s run, %s accounts, %s scored, %s changed in %.1fs (%s)",
        team_id,
        report.status,
        report.kind,
        report.accounts_total,
        report.accounts_scored,
        report.accounts_changed,
        report.seconds,
        "1 process" if report.processes == 1 else f"{report.processes} processes",
    )


# Runs spread over queue workers ----------------------------------------------------------


def _stored_plan(plan: _Plan, *, holder: str, history: bool, chunks: int) -> dict[str, Any]:
    return {
        "config": plan.config_doc,
        "watermark": plan.watermark,
        "accounts": plan.team_accounts,
        "holder": holder,
        "history": history,
        "chunks": chunks,
    }


def score_chunk(db: Database, *, run_id: int, seq: int) -> bool:
    """Score and write one chunk of a spread run once; True when it was the run's last.

    Safe to run again after a crash at any point: a chunk already marked done is left alone,
    and of two workers racing on one chunk only the first to mark it done commits its writes.
    """
    with db.transaction(write=False) as session:
        found = repository.spread_chunk(session, run_id=run_id, seq=seq)
    if found is None:
        return False
    run, chunk = found
    if run.status != "running" or chunk.done_ms is not None or run.plan is None:
        return False
    stored = run.plan
    task = ChunkTask(
        url=db.url,
        team_id=run.team_id,
        as_of=run.as_of_day,
        config_version=run.config_version,
        config_doc=stored["config"],
        ids=list(chunk.account_ids),
        only=run.kind == "incremental",
        history=bool(stored["history"]),
    )
    try:
        result = compute(task, db, parse_config(stored["config"], version=run.config_version))
        with db.transaction() as session:
            if not repository.mark_chunk_done(session, run_id=run_id, seq=seq, at_ms=now_ms()):
                session.rollback()  # another worker wrote this chunk first
                return False
            if not repository.take_lease(
                session,
                team_id=run.team_id,
                holder=str(stored["holder"]),
                now=now_ms(),
                ttl_ms=LEASE_TTL_MS,
            ):
                session.rollback()  # a later run holds the team now; this one is abandoned
                return False
            written = _write_chunk(session, team_id=run.team_id, as_of=run.as_of_day, chunk=result)
            repository.record_chunk(
                session, run_id=run_id, seq=seq, scored=result.scored, changed_ids=written
            )
            return repository.chunks_left(session, run_id=run_id) == 0
    except Exception as exc:  # the run reports it and the next round scores these again
        log.error("scoring chunk %s of run %s failed: %r", seq, run_id, exc)
        with db.transaction() as session:
            if not repository.mark_chunk_done(
                session, run_id=run_id, seq=seq, at_ms=now_ms(), error=_chunk_error(task.ids, exc)
            ):
                return False
            return repository.chunks_left(session, run_id=run_id) == 0


def finish_spread_run(
    db: Database, *, run_id: int, retention_days: int = RETENTION_DAYS
) -> RunReport | None:
    """Once every chunk is done: segments, history, state, the run record and the lease."""
    started = time.perf_counter()
    with db.transaction(write=False) as session:
        run = repository.get_run(session, run_id=run_id)
        if run is None or run.status != "running" or run.plan is None:
            return None
        chunks = repository.run_chunks(session, run_id=run_id)
    if any(c.done_ms is None for c in chunks):
        return None
    stored = run.plan
    config = parse_config(stored["config"], version=run.config_version)
    ids = [i for c in chunks for i in c.account_ids]
    plan = _Plan(
        run.kind,
        run.as_of_day,
        config,
        stored["config"],
        int(stored["watermark"]),
        ids,
        int(stored["accounts"]),
    )
    changed = {i for c in chunks for i in (c.changed_ids or [])}
    report = RunReport(
        run.team_id,
        "running",
        kind=run.kind,
        run_id=run_id,
        as_of_day=run.as_of_day,
        config_version=run.config_version,
        accounts_total=plan.team_accounts,
        accounts_scored=sum(c.scored for c in chunks),
        accounts_changed=len(changed),
        processes=len(chunks),
        errors=[c.error for c in chunks if c.error],
    )
    _conclude(
        db,
        report,
        plan=plan,
        changed=changed,
        holder=str(stored["holder"]),
        history=bool(stored["history"]),
        retention_days=retention_days,
        started=started - (now_ms() - run.started_ms) / 1000,
    )
    return report


NOTHING_NEW = "no input arrived since the last complete run"


def _has_new_inputs(db: Database, *, team_id: int, as_of: int | None) -> bool:
    """Whether a run would have work: new inputs, a new day or a new configuration."""
    with db.transaction(write=False) as session:
        state = repository.get_state(session, team_id=team_id)
        if state is None:
            return True
        version, _doc = current_document(session, team_id=team_id)
        day = as_of if as_of is not None else day_of(now_ms())
        if state.config_version != version or state.as_of_day != day:
            return True
        return repository.has_inputs_after(
            session, team_id=team_id, since_ms=state.inputs_ms
        ) or signals.has_unfolded_signals(session, team_id=team_id)


def run_all(
    db: Database,
    *,
    full: bool = False,
    as_of: int | None = None,
    processes: int | None = None,
    retention_days: int = RETENTION_DAYS,
) -> list[RunReport]:
    with db.transaction(write=False) as session:
        teams = team_ids(session)
    return [
        run_team(
            db,
            team_id=team_id,
            full=full,
            as_of=as_of,
            processes=processes,
            retention_days=retention_days,
        )
        for team_id in teams
    ]
