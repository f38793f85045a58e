"""SQL for scoring: configs, leases, runs, the inputs a run reads and the results it writes."""

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, cast

import orjson
from sqlalchemy import (
    Column,
    ColumnElement,
    Row,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from intentsync.db.dialect import (
    insert_ignore,
    insert_unnest,
    replace_clause,
    update_unnest,
    upsert_replace,
)
from intentsync.db.live import LIVE_ACCOUNT, live_account
from intentsync.db.models import (
    Account,
    AccountScore,
    SalesActivity,
    ScoreHistory,
    ScoringConfig,
    ScoringLease,
    ScoringRun,
    ScoringRunChunk,
    ScoringState,
    SignalDaily,
    SignalEvent,
    StageTransition,
    Team,
)
from intentsync.scoring.compute import DailySignal

_ACCOUNTS = cast(Table, Account.__table__)
_RUNS = cast(Table, ScoringRun.__table__)
_TRANSITIONS = cast(Table, StageTransition.__table__)
AnyRow = Row[*tuple[Any, ...]]

ACCOUNT_COLUMNS = (
    Account.id,
    Account.account_score,
    Account.website_score,
    Account.g2_score,
    Account.bombora_score,
    Account.advertising_score,
    Account.journey_stage,
    Account.intent_signals,
    Account.stage_entered_ms,
    Account.score_change_7d,
    Account.score_change_30d,
)


def latest_config(session: Session, *, team_id: int) -> ScoringConfig | None:
    return session.scalar(
        select(ScoringConfig)
        .where(ScoringConfig.team_id == team_id)
        .order_by(ScoringConfig.version.desc())
        .limit(1)
    )


def config_versions(session: Session, *, team_id: int, limit: int) -> list[tuple[int, int]]:
    """(version, created_ms) of a team's stored configs, newest first."""
    rows = session.execute(
        select(ScoringConfig.version, ScoringConfig.created_ms)
        .where(ScoringConfig.team_id == team_id)
        .order_by(ScoringConfig.version.desc())
        .limit(limit)
    )
    return [(int(version), int(created)) for version, created in rows]


def config_at(session: Session, *, team_id: int, version: int) -> ScoringConfig | None:
    return session.scalar(
        select(ScoringConfig).where(
            ScoringConfig.team_id == team_id, ScoringConfig.version == version
        )
    )


def add_config(
    session: Session, *, team_id: int, version: int, doc: dict[str, Any], at_ms: int
) -> None:
    session.add(ScoringConfig(team_id=team_id, version=version, config=doc, created_ms=at_ms))
    session.flush()


def get_state(session: Session, *, team_id: int) -> ScoringState | None:
    return session.get(ScoringState, team_id)


def save_state(
    session: Session, *, team_id: int, config_version: int, as_of_day: int, inputs_ms: int
) -> None:
    upsert_replace(
        session,
        ScoringState,
        [
            {
                "team_id": team_id,
                "config_version": config_version,
                "as_of_day": as_of_day,
                "inputs_ms": inputs_ms,
            }
        ],
        ["team_id"],
        update=["config_version", "as_of_day", "inputs_ms"],
    )


def take_lease(session: Session, *, team_id: int, holder: str, now: int, ttl_ms: int) -> bool:
    """Hold the team's lease if it is free, expired or already ours."""
    insert_ignore(
        session,
        ScoringLease,
        [{"team_id": team_id, "holder": holder, "expires_ms": now + ttl_ms}],
        ["team_id"],
    )
    result = session.execute(
        update(ScoringLease)
        .where(
            ScoringLease.team_id == team_id,
            (ScoringLease.holder == holder) | (ScoringLease.expires_ms < now),
        )
        .values(holder=holder, expires_ms=now + ttl_ms)
    )
    return cast(int, getattr(result, "rowcount", 0)) == 1


def lease_holder(session: Session, *, team_id: int) -> ScoringLease | None:
    return session.get(ScoringLease, team_id)


def hand_over_lease(session: Session, *, team_id: int, holder: str, to: str) -> None:
    session.execute(
        update(ScoringLease)
        .where(ScoringLease.team_id == team_id, ScoringLease.holder == holder)
        .values(holder=to)
    )


def fail_running_runs(
    session: Session, *, team_id: int, spread: bool, message: str, at_ms: int
) -> int:
    """A team's runs still marked running that can no longer finish: in-process or spread ones.

    In-process runs die with their process; spread runs die when a new run takes their lease.
    """
    plan = _RUNS.c.plan.is_not(None) if spread else _RUNS.c.plan.is_(None)
    result = session.execute(
        update(_RUNS)
        .where(_RUNS.c.team_id == team_id, _RUNS.c.status == "running", plan)
        .values(status="failed", finished_ms=at_ms, errors=[message])
    )
    return cast(int, getattr(result, "rowcount", 0))


def drop_lease(session: Session, *, team_id: int, holder: str) -> None:
    session.execute(
        delete(ScoringLease).where(ScoringLease.team_id == team_id, ScoringLease.holder == holder)
    )


def start_run(session: Session, values: dict[str, Any]) -> int:
    result = session.execute(insert(_RUNS).returning(_RUNS.c.id), [values])
    return int(result.scalar_one())


def finish_run(session: Session, *, run_id: int, values: dict[str, Any]) -> None:
    session.execute(update(_RUNS).where(_RUNS.c.id == run_id).values(**values))


def drop_old_runs(session: Session, *, team_id: int, before_ms: int, keep: int) -> int:
    """Delete the team's finished runs started before before_ms, all but the run keep."""
    result = session.execute(
        delete(_RUNS).where(
            _RUNS.c.team_id == team_id,
            _RUNS.c.started_ms < before_ms,
            _RUNS.c.status != "running",
            _RUNS.c.id != keep,
        )
    )
    return cast(int, getattr(result, "rowcount", 0))


def recent_runs(session: Session, *, team_id: int, limit: int) -> Sequence[ScoringRun]:
    return session.scalars(
        select(ScoringRun)
        .where(ScoringRun.team_id == team_id)
        .order_by(ScoringRun.id.desc())
        .limit(limit)
    ).all()


def accounts_by_ids(session: Session, *, team_id: int, ids: Collection[int]) -> Sequence[AnyRow]:
    return session.execute(
        select(*ACCOUNT_COLUMNS)
        .where(Account.team_id == team_id, Account.id.in_(list(ids)), LIVE_ACCOUNT)
        .order_by(Account.id)
    ).all()


def accounts_with_new_inputs(session: Session, *, team_id: int, since_ms: int) -> list[int]:
    rows = session.execute(
        select(Account.id)
        .where(Account.team_id == team_id, Account.inputs_ms > since_ms, LIVE_ACCOUNT)
        .order_by(Account.id)
    )
    return [row[0] for row in rows]


DAILY_SIGNAL_COLUMNS = tuple(getattr(SignalDaily, field) for field in DailySignal._fields)
# The score columns history keeps, by name: both reads select them in this order, and scoring
# and the history endpoint label them from this same tuple, so no two can be swapped.
HISTORY_SCORES = (
    "account_score",
    "website_score",
    "g2_score",
    "bombora_score",
    "advertising_score",
)
HISTORY_COLUMNS = tuple(getattr(ScoreHistory, name) for name in HISTORY_SCORES)


def _in_chunk(
    model: Any, *, team_id: int, lo: int, hi: int, ids: Collection[int]
) -> list[ColumnElement[bool]]:
    """A chunk's rows of a per-account table: accounts lo..hi of the team, only ids when given."""
    conditions = [model.team_id == team_id, model.account_id >= lo, model.account_id <= hi]
    if ids:
        conditions.append(model.account_id.in_(list(ids)))
    return conditions


def daily_rows(
    session: Session, *, team_id: int, lo: int, hi: int, ids: Collection[int], min_day: int
) -> Sequence[AnyRow]:
    """Roll-up rows recent enough to count, for accounts lo..hi (only ids when given).

    Each row is the account id, then DailySignal's fields in its order: the columns are named
    by those fields, so the tuple scoring builds by position cannot swap two of them.
    """
    query = select(SignalDaily.account_id, *DAILY_SIGNAL_COLUMNS).where(
        *_in_chunk(SignalDaily, team_id=team_id, lo=lo, hi=hi, ids=ids),
        SignalDaily.day >= min_day,
    )
    return _driver_rows(session, query)


def _driver_rows(session: Session, query: Any) -> Sequence[AnyRow]:
    """Plain driver tuples: a run reads millions of rows whose columns are all native types."""
    result = session.connection().execute(query)
    try:
        return cast(Sequence[AnyRow], result.cursor.fetchall())
    finally:
        result.close()


def sales_rows(
    session: Session, *, team_id: int, lo: int, hi: int, ids: Collection[int], min_ms: int
) -> Sequence[AnyRow]:
    query = select(
        SalesActivity.account_id,
        SalesActivity.activity_type,
        SalesActivity.direction,
        SalesActivity.outcome,
        SalesActivity.duration_minutes,
        SalesActivity.occurred_ms,
    ).where(
        *_in_chunk(SalesActivity, team_id=team_id, lo=lo, hi=hi, ids=ids),
        SalesActivity.occurred_ms >= min_ms,
    )
    return _driver_rows(session, query)


def score_rows(session: Session, *, lo: int, hi: int, ids: Collection[int]) -> Sequence[AnyRow]:
    """(account_id, stage_reason, pending_stage, pending_since_day) of earlier runs."""
    query = select(
        AccountScore.account_id,
        AccountScore.stage_reason,
        AccountScore.pending_stage,
        AccountScore.pending_since_day,
    ).where(AccountScore.account_id >= lo, AccountScore.account_id <= hi)
    if ids:
        query = query.where(AccountScore.account_id.in_(list(ids)))
    return session.execute(query).all()


SCORE_UPDATE_COLUMNS = (
    "account_score",
    "website_score",
    "g2_score",
    "bombora_score",
    "advertising_score",
    "journey_stage",
    "stage_entered_ms",
    "intent_signals",
    "changed_ms",
    "score_change_7d",
    "score_change_30d",
)


TREND_COLUMNS = ("score_change_7d", "score_change_30d")


# A statement compiled once per database: (SQL, bind names in driver order, converters).
_Prepared = tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...], bool]
_prepared: dict[tuple[str, str], _Prepared] = {}


def _prepare(
    dialect: Dialect, key: str, statement: Any, columns: Mapping[str, Column[Any]]
) -> _Prepared:
    """Compile a statement with one bind per named column, and each column type's converter."""
    found = _prepared.get((dialect.name, key))
    if found is None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        names = tuple(compiled.positiontup or ()) if dialect.positional else tuple(columns)
        if set(names) != set(columns):
            raise RuntimeError(f"{key}: binds {sorted(names)} are not {sorted(columns)}")
        converters = tuple(
            columns[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        )
        found = (compiled.string, names, converters, dialect.positional)
        _prepared[(dialect.name, key)] = found
    return found


def _executemany(
    session: Session,
    key: str,
    statement: Any,
    columns: Mapping[str, Column[Any]],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """One driver executemany with the values converted a column at a time.

    Core's executemany assembles each row's parameters one by one, which cost as much as the
    database's own work for the tens of thousands of rows a run writes per chunk.
    """
    if not rows:
        return
    connection = session.connection()
    sql, names, converters, positional = _prepare(connection.dialect, key, statement, columns)
    values: list[list[Any]] = []
    for name, convert in zip(names, converters, strict=True):
        column = [row[name] for row in rows]
        values.append(column if convert is None else list(map(convert, column)))
    params: list[Any] = (
        list(zip(*values, strict=True))
        if positional
        else [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
    )
    connection.exec_driver_sql(sql, params)


def encoded(value: Any) -> Any:
    """JSON a scoring worker encoded already is written as is, not decoded and encoded again."""
    return orjson.Fragment(value) if isinstance(value, bytes) else value


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _only(rows: Sequence[Mapping[str, Any]], *names: str) -> list[dict[str, Any]]:
    """Exactly the named fields of each row: the columns both databases' statements write."""
    return [{n: row[n] for n in names} for row in rows]


def _once_each(rows: Sequence[Mapping[str, Any]], *keys: str) -> None:
    """One upsert statement cannot touch a row twice, where row-by-row the last would win."""
    if len({tuple(row[k] for k in keys) for row in rows}) != len(rows):
        raise ValueError(f"a scoring write named one ({', '.join(keys)}) twice")


def write_account_scores(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Per-row rtp_ fields for changed accounts in one statement; rows carry 'pk'."""
    if not rows:
        return
    params = _only(rows, "pk", *SCORE_UPDATE_COLUMNS)
    for row in params:
        row["intent_signals"] = encoded(row["intent_signals"])
    if _postgresql(session):
        update_unnest(session, _ACCOUNTS, params, key="id", given_as="pk")
        return
    stmt = (
        update(_ACCOUNTS)
        .where(_ACCOUNTS.c.id == bindparam("pk"))
        .values({c: bindparam(c) for c in SCORE_UPDATE_COLUMNS})
    )
    columns = {"pk": _ACCOUNTS.c.id, **{c: _ACCOUNTS.c[c] for c in SCORE_UPDATE_COLUMNS}}
    _executemany(session, "account_scores", stmt, columns, params)


def write_trends(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Only the trend columns: no field a client reads changed, so the delta stamp stays."""
    if not rows:
        return
    if _postgresql(session):
        update_unnest(
            session, _ACCOUNTS, _only(rows, "pk", *TREND_COLUMNS), key="id", given_as="pk"
        )
        return
    stmt = (
        update(_ACCOUNTS)
        .where(_ACCOUNTS.c.id == bindparam("pk"))
        .values({c: bindparam(c) for c in TREND_COLUMNS})
    )
    columns = {"pk": _ACCOUNTS.c.id, **{c: _ACCOUNTS.c[c] for c in TREND_COLUMNS}}
    _executemany(session, "trends", stmt, columns, rows)


EXPLANATION_UPDATES = (
    "as_of_day",
    "config_version",
    "breakdown",
    "stage_reason",
    "pending_stage",
    "pending_since_day",
    "scored_ms",
)


def _upsert(table: Table, keys: Sequence[str], updates: Sequence[str], dialect: str) -> Any:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET each of updates to the new row's value."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in updates}
    )


def write_explanations(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """One row per scored account: inserted the first time, replaced on later runs."""
    if not rows:
        return
    table = cast(Table, AccountScore.__table__)
    names = ("account_id", "team_id", *EXPLANATION_UPDATES)
    params = _only(rows, *names)
    for row in params:
        row["breakdown"] = encoded(row["breakdown"])
    _once_each(params, "account_id")
    if _postgresql(session):
        upsert = replace_clause(("account_id",), EXPLANATION_UPDATES)
        insert_unnest(session, table, params, upsert)
        return
    stmt = _upsert(table, ["account_id"], EXPLANATION_UPDATES, session.get_bind().dialect.name)
    _executemany(session, "explanations", stmt, {n: table.c[n] for n in names}, params)


def add_transitions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(_TRANSITIONS.insert(), list(rows))


def history_rows(
    session: Session, *, team_id: int, lo: int, hi: int, ids: Collection[int], max_day: int
) -> Sequence[AnyRow]:
    """(account_id, day, *HISTORY_SCORES) up to max_day, by account then day."""
    query = select(ScoreHistory.account_id, ScoreHistory.day, *HISTORY_COLUMNS).where(
        *_in_chunk(ScoreHistory, team_id=team_id, lo=lo, hi=hi, ids=ids),
        ScoreHistory.day <= max_day,
    )
    return _driver_rows(session, query.order_by(ScoreHistory.account_id, ScoreHistory.day))


def write_history(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """One row per changed account for the run's day; a second run that day replaces it."""
    if not rows:
        return
    table = cast(Table, ScoreHistory.__table__)
    names = ("account_id", "day", "team_id", *HISTORY_SCORES)
    _once_each(rows, "account_id", "day")
    if _postgresql(session):
        upsert = replace_clause(("account_id", "day"), HISTORY_SCORES)
        insert_unnest(session, table, _only(rows, *names), upsert)
        return
    stmt = _upsert(table, ["account_id", "day"], HISTORY_SCORES, session.get_bind().dialect.name)
    _executemany(session, "history", stmt, {n: table.c[n] for n in names}, rows)


def _superseded(before_day: int) -> Any:
    """A history row before the cutoff that a later row at or before the cutoff replaces."""
    later = cast(Table, ScoreHistory.__table__).alias("later")
    newer = (
        select(later.c.day)
        .where(
            later.c.account_id == ScoreHistory.account_id,
            later.c.day > ScoreHistory.day,
            later.c.day <= before_day,
        )
        .exists()
    )
    return (ScoreHistory.day < before_day) & newer


def has_old_history(session: Session, *, team_id: int, before_day: int) -> bool:
    query = select(ScoreHistory.account_id).where(
        ScoreHistory.team_id == team_id, _superseded(before_day)
    )
    return session.execute(query.limit(1)).first() is not None


def drop_old_history(session: Session, *, team_id: int, lo: int, hi: int, before_day: int) -> int:
    """Delete rows before before_day that a later row at or before it supersedes.

    The newest row at or before the cutoff stays: it is the value carried into the kept days.
    """
    result = session.execute(
        delete(ScoreHistory).where(
            ScoreHistory.team_id == team_id,
            ScoreHistory.account_id >= lo,
            ScoreHistory.account_id <= hi,
            _superseded(before_day),
        )
    )
    return cast(int, getattr(result, "rowcount", 0))


def explanation(session: Session, *, account_id: int) -> AccountScore | None:
    return session.get(AccountScore, account_id)


def account_for_explanation(
    session: Session, *, team_id: int, external_id: str | None = None, rtp_aid: str | None = None
) -> AnyRow | None:
    key = Account.external_id == external_id if rtp_aid is None else Account.rtp_aid == rtp_aid
    return session.execute(
        select(
            Account.id,
            Account.rtp_aid,
            Account.external_id,
            Account.domain,
            Account.name,
            Account.account_score,
            Account.journey_stage,
            Account.stage_entered_ms,
            Account.created_ms,
            Account.score_change_7d,
            Account.score_change_30d,
        ).where(Account.team_id == team_id, key, LIVE_ACCOUNT)
    ).first()


def count_accounts(session: Session, *, team_id: int) -> int:
    query = (
        select(func.count()).select_from(Account).where(Account.team_id == team_id, LIVE_ACCOUNT)
    )
    return session.scalar(query) or 0


def all_account_ids(session: Session, *, team_id: int) -> list[int]:
    rows = session.execute(
        select(Account.id).where(Account.team_id == team_id, LIVE_ACCOUNT).order_by(Account.id)
    )
    return [row[0] for row in rows]


def accounts_between(session: Session, *, team_id: int, lo: int, hi: int) -> Sequence[AnyRow]:
    return session.execute(
        select(*ACCOUNT_COLUMNS)
        .where(Account.team_id == team_id, Account.id >= lo, Account.id <= hi, LIVE_ACCOUNT)
        .order_by(Account.id)
    ).all()


def history_for_account(session: Session, *, account_id: int, to_day: int) -> Sequence[AnyRow]:
    """(day, *HISTORY_SCORES) up to to_day, oldest first (few rows: one per change)."""
    return session.execute(
        select(ScoreHistory.day, *HISTORY_COLUMNS)
        .where(ScoreHistory.account_id == account_id, ScoreHistory.day <= to_day)
        .order_by(ScoreHistory.day)
    ).all()


def transitions_for_account(session: Session, *, account_id: int) -> Sequence[StageTransition]:
    return session.scalars(
        select(StageTransition)
        .where(StageTransition.account_id == account_id)
        .order_by(StageTransition.at_ms.desc(), StageTransition.id.desc())
    ).all()


def signals_for_account(
    session: Session,
    *,
    account_id: int,
    source: str | None,
    before: tuple[int, int] | None,
    limit: int,
) -> Sequence[SignalEvent]:
    """Newest first by (occurred_ms, id); `before` is the last row of the previous page."""
    query = select(SignalEvent).where(SignalEvent.account_id == account_id)
    if source is not None:
        query = query.where(SignalEvent.source == source)
    if before is not None:
        occurred_ms, row_id = before
        query = query.where(
            (SignalEvent.occurred_ms < occurred_ms)
            | ((SignalEvent.occurred_ms == occurred_ms) & (SignalEvent.id < row_id))
        )
    query = query.order_by(SignalEvent.occurred_ms.desc(), SignalEvent.id.desc()).limit(limit)
    return session.scalars(query).all()


def recent_transitions(session: Session, *, team_id: int, limit: int) -> Sequence[AnyRow]:
    """The team's newest stage moves with their account; newest recorded first (by key)."""
    return session.execute(
        select(
            StageTransition.from_stage,
            StageTransition.to_stage,
            StageTransition.at_ms,
            StageTransition.reason,
            Account.rtp_aid,
            Account.name,
        )
        .join(Account, live_account(StageTransition.account_id))
        .where(StageTransition.team_id == team_id)
        .order_by(StageTransition.id.desc())
        .limit(limit)
    ).all()


def teams_with_new_inputs(session: Session) -> list[int]:
    """Teams with an account whose inputs changed after their last complete run (or none yet)."""
    state = ScoringState.__table__
    newer = (
        select(Account.id)
        .where(
            Account.team_id == Team.id,
            Account.inputs_ms > func.coalesce(state.c.inputs_ms, -1),
            LIVE_ACCOUNT,
        )
        .limit(1)
        .exists()
    )
    rows = session.execute(
        select(Team.id).outerjoin(state, state.c.team_id == Team.id).where(newer).order_by(Team.id)
    )
    return [int(row[0]) for row in rows]


def teams_not_run_since(session: Session, *, since_ms: int) -> list[int]:
    """Teams with no scoring run started at or after since_ms (an index probe per team)."""
    recent = (
        select(ScoringRun.id)
        .where(ScoringRun.team_id == Team.id, ScoringRun.started_ms >= since_ms)
        .limit(1)
        .exists()
    )
    rows = session.execute(select(Team.id).where(~recent).order_by(Team.id))
    return [int(row[0]) for row in rows]


def has_inputs_after(session: Session, *, team_id: int, since_ms: int) -> bool:
    found = session.scalar(
        select(Account.id)
        .where(Account.team_id == team_id, Account.inputs_ms > since_ms, LIVE_ACCOUNT)
        .limit(1)
    )
    return found is not None


# Runs spread over queue workers -----------------------------------------------------------


def save_spread_plan(
    session: Session, *, run_id: int, plan: dict[str, Any], chunks: Sequence[list[int]]
) -> None:
    session.execute(update(_RUNS).where(_RUNS.c.id == run_id).values(plan=plan))
    session.execute(
        insert(ScoringRunChunk),
        [{"run_id": run_id, "seq": seq, "account_ids": ids} for seq, ids in enumerate(chunks)],
    )


def get_run(session: Session, *, run_id: int) -> ScoringRun | None:
    return session.get(ScoringRun, run_id)


def spread_chunk(
    session: Session, *, run_id: int, seq: int
) -> tuple[ScoringRun, ScoringRunChunk] | None:
    run = session.get(ScoringRun, run_id)
    chunk = session.get(ScoringRunChunk, (run_id, seq))
    return None if run is None or chunk is None else (run, chunk)


def run_chunks(session: Session, *, run_id: int) -> Sequence[ScoringRunChunk]:
    return session.scalars(
        select(ScoringRunChunk)
        .where(ScoringRunChunk.run_id == run_id)
        .order_by(ScoringRunChunk.seq)
    ).all()


def mark_chunk_done(
    session: Session, *, run_id: int, seq: int, at_ms: int, error: str | None = None
) -> bool:
    """Mark the chunk done unless someone already did: the row lock makes one writer win."""
    result = session.execute(
        update(ScoringRunChunk)
        .where(
            ScoringRunChunk.run_id == run_id,
            ScoringRunChunk.seq == seq,
            ScoringRunChunk.done_ms.is_(None),
        )
        .values(done_ms=at_ms, error=error)
    )
    return bool(cast(Any, result).rowcount)


def record_chunk(
    session: Session, *, run_id: int, seq: int, scored: int, changed_ids: list[int]
) -> None:
    session.execute(
        update(ScoringRunChunk)
        .where(ScoringRunChunk.run_id == run_id, ScoringRunChunk.seq == seq)
        .values(scored=scored, changed_ids=changed_ids)
    )


def chunks_left(session: Session, *, run_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ScoringRunChunk)
            .where(ScoringRunChunk.run_id == run_id, ScoringRunChunk.done_ms.is_(None))
        )
        or 0
    )


def spread_runs_to_finish(session: Session) -> list[int]:
    """Spread runs still running whose every chunk is done: their finish job is due."""
    open_chunks = (
        select(ScoringRunChunk.run_id)
        .where(ScoringRunChunk.run_id == ScoringRun.id, ScoringRunChunk.done_ms.is_(None))
        .exists()
    )
    rows = session.execute(
        select(ScoringRun.id).where(
            ScoringRun.status == "running", ScoringRun.plan.is_not(None), ~open_chunks
        )
    )
    return [int(row[0]) for row in rows]


def open_spread_chunks(
    session: Session, *, started_before_ms: int, now_ms: int
) -> dict[int, list[int]]:
    """Undone chunks of spread runs older than started_before_ms that still hold their lease.

    A run whose lease expired or went to a later run is abandoned: its chunks are not revived.
    """
    open_chunk = (
        select(ScoringRunChunk.run_id)
        .where(ScoringRunChunk.run_id == ScoringRun.id, ScoringRunChunk.done_ms.is_(None))
        .exists()
    )
    runs = session.execute(
        select(ScoringRun.id, ScoringRun.plan, ScoringLease.holder)
        .join(ScoringLease, ScoringLease.team_id == ScoringRun.team_id)
        .where(
            ScoringRun.status == "running",
            ScoringRun.plan.is_not(None),
            ScoringRun.started_ms < started_before_ms,
            ScoringLease.expires_ms > now_ms,
            open_chunk,
        )
    ).all()
    held = [run_id for run_id, plan, holder in runs if plan and plan.get("holder") == holder]
    if not held:
        return {}
    rows = session.execute(
        select(ScoringRunChunk.run_id, ScoringRunChunk.seq)
        .where(ScoringRunChunk.run_id.in_(held), ScoringRunChunk.done_ms.is_(None))
        .order_by(ScoringRunChunk.run_id, ScoringRunChunk.seq)
    )
    found: dict[int, list[int]] = {}
    for run_id, seq in rows:
        found.setdefault(int(run_id), []).append(int(seq))
    return found


def oldest_unscored_input_ms(session: Session) -> int | None:
    """Across teams, the stamp of the oldest input the last complete run did not read.

    One index seek per team (team_id, inputs_ms), so a scrape stays cheap at any size.
    """
    read_up_to = func.coalesce(ScoringState.inputs_ms, 0)
    oldest = (
        select(func.min(Account.inputs_ms))
        .where(Account.team_id == Team.id, Account.inputs_ms > read_up_to, LIVE_ACCOUNT)
        .scalar_subquery()
    )
    per_team = (
        select(oldest.label("oldest"))
        .select_from(Team)
        .outerjoin(ScoringState, ScoringState.team_id == Team.id)
        .subquery()
    )
    value = session.execute(select(func.min(per_team.c.oldest))).scalar()
    return None if value is None else int(value)
