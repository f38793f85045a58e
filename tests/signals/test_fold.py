"""Ingest stores events; the scoring round folds them into the roll-up once, in commit order."""

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from intentsync.db.models import SignalDaily, SignalEvent, Team
from intentsync.kit.clock import now_ms
from intentsync.scoring import job
from intentsync.scoring.job import run_team
from intentsync.signals import repository as signals_repository
from intentsync.signals.service import (
    NewSignal,
    fold_new_signals,
    has_unfolded_signals,
    ingest_signals,
    oldest_unfolded_ms,
    teams_with_unfolded_signals,
)
from intentsync.signals.types import day_of
from tests.factories import account, create_workspace
from tests.signals.test_ingest import send, sig


def roll_up(ws):
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(SignalDaily.source, SignalDaily.type, func.sum(SignalDaily.quantity))
            .where(SignalDaily.team_id == ws.team_id)
            .group_by(SignalDaily.source, SignalDaily.type)
            .order_by(SignalDaily.source, SignalDaily.type)
        )
        return [tuple(r) for r in rows]


def test_the_scoring_round_rolls_up_what_ingest_stored_and_only_once(ws):
    ws.push(account(1, domain="acme.com"))
    send(
        ws,
        sig("g2", "acme.com", "pricing", quantity=3, key="a"),
        sig("website", "acme.com", "pricing", key="pv-1", attributes={"visitorId": "v1"}),
    )
    assert roll_up(ws) == [], "ingest itself writes no roll-up"
    assert run_team(ws.db, team_id=ws.team_id).status == "succeeded"
    folded = [("g2", "pricing", 3.0), ("website", "pricing", 1.0), ("website", "visitor", 1.0)]
    assert roll_up(ws) == folded
    assert run_team(ws.db, team_id=ws.team_id, full=True).status == "succeeded"
    assert roll_up(ws) == folded
    send(ws, sig("g2", "acme.com", "pricing", quantity=2, key="b"))
    assert run_team(ws.db, team_id=ws.team_id).status == "succeeded"
    assert roll_up(ws)[0] == ("g2", "pricing", 5.0)


def test_a_fold_waits_for_an_ingest_in_flight_and_then_counts_it(ws):
    """The fold takes the team write lock ingest holds, so an uncommitted batch is not skipped."""
    ws.push(account(1, domain="acme.com"))
    send(ws, sig("g2", "acme.com", "pricing", key="first"))
    done: list[int] = []
    with ws.db.transaction() as writer:
        outcomes = ingest_signals(
            writer,
            team_id=ws.team_id,
            signals=[NewSignal("g2", "acme.com", 1_795_000_000_000, "pricing", key="second")],
        )
        assert [o.status for o in outcomes] == ["created"]

        def fold() -> None:
            with ws.db.transaction() as session:
                done.append(fold_new_signals(session, team_id=ws.team_id))

        folder = threading.Thread(target=fold)
        folder.start()
        folder.join(timeout=1.0)
        assert folder.is_alive(), "the fold ran while an ingest held the team's write lock"
    folder.join(timeout=30)
    assert done == [2]
    assert roll_up(ws) == [("g2", "pricing", 2.0)]


def test_a_fold_takes_a_bounded_batch_and_the_next_one_continues(ws):
    ws.push(account(1, domain="acme.com"))
    send(ws, *(sig("g2", "acme.com", "pricing", key=f"k{n}") for n in range(5)))
    with ws.db.transaction() as session:
        assert fold_new_signals(session, team_id=ws.team_id, limit=3) == 3
    assert roll_up(ws) == [("g2", "pricing", 3.0)]
    with ws.db.transaction() as session:
        assert fold_new_signals(session, team_id=ws.team_id, limit=3) == 2
    assert roll_up(ws) == [("g2", "pricing", 5.0)]


def _today() -> tuple[int, str]:
    """Today's day number and a signal time on it, fixed once so no test crosses midnight."""
    day = day_of(now_ms())
    return day, (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)).strftime(
        "%Y-%m-%dT00:00:00Z"
    )


def _g2_scores(ws) -> dict[str, int]:
    data = ws.get("/accounts").json()["data"]["data"]
    return {a["domain"]: a["rtp_g2_intent_score"] for a in data}


def test_one_round_folds_a_new_signal_and_scores_its_account(ws):
    """The fold runs before the plan, so the account it flags is scored in that same round."""
    day, at = _today()
    ws.push(account(1, domain="acme.com"), account(2, domain="other.com"))
    assert run_team(ws.db, team_id=ws.team_id, as_of=day).status == "succeeded"
    idle = run_team(ws.db, team_id=ws.team_id, as_of=day, if_new_inputs=True)
    assert idle.status == "skipped"
    send(ws, sig("g2", "acme.com", "pricing", at=at, quantity=5, key="fresh"))
    report = run_team(ws.db, team_id=ws.team_id, as_of=day, if_new_inputs=True)
    assert (report.status, report.kind, report.accounts_scored) == ("succeeded", "incremental", 1)
    scores = _g2_scores(ws)
    assert scores["acme.com"] > 0
    assert scores["other.com"] == 0


def test_a_round_that_fails_after_its_fold_leaves_the_account_to_the_next_round(ws, monkeypatch):
    """The fold has committed its flag, and a failed run saves no watermark past it."""
    day, at = _today()
    ws.push(account(1, domain="acme.com"))
    assert run_team(ws.db, team_id=ws.team_id, as_of=day).status == "succeeded"
    send(ws, sig("g2", "acme.com", "pricing", at=at, quantity=5, key="fresh"))

    def broken(*_args, **_kwargs):
        raise RuntimeError("scoring broke")

    with monkeypatch.context() as patched:
        patched.setattr(job, "compute", broken)
        failed = run_team(ws.db, team_id=ws.team_id, as_of=day, processes=1, if_new_inputs=True)
    assert failed.status == "failed"
    assert roll_up(ws) == [("g2", "pricing", 5.0)], "the fold committed before the run failed"
    assert _g2_scores(ws)["acme.com"] == 0
    retry = run_team(ws.db, team_id=ws.team_id, as_of=day, processes=1, if_new_inputs=True)
    assert (retry.status, retry.accounts_scored) == ("succeeded", 1)
    assert _g2_scores(ws)["acme.com"] > 0


def test_each_team_is_measured_against_its_own_fold_mark(ws):
    """A team whose mark is past another team's events does not hide them."""
    waiting = create_workspace(ws.app, ws.db, name="Waiting team")
    try:
        send(waiting, sig("g2", "waiting.com", "pricing", key="w"))
        send(
            ws, sig("g2", "acme.com", "pricing", key="a"), sig("g2", "acme.com", "profile", key="b")
        )
        with ws.db.transaction() as session:
            assert fold_new_signals(session, team_id=ws.team_id) == 2
        with ws.db.transaction(write=False) as session:
            stored = session.scalar(
                select(SignalEvent.created_ms).where(SignalEvent.team_id == waiting.team_id)
            )
            assert not has_unfolded_signals(session, team_id=ws.team_id)
            assert has_unfolded_signals(session, team_id=waiting.team_id)
            unfolded = teams_with_unfolded_signals(session)
            assert waiting.team_id in unfolded
            assert ws.team_id not in unfolded
            oldest = oldest_unfolded_ms(session)
            assert oldest is not None
            assert oldest <= stored
    finally:
        waiting.close()


def test_the_unfolded_signal_lookups_seek_the_team_index(ws):
    """The dispatcher asks every second for every team: a scan of other teams' events is a bug."""
    with ws.db.transaction(write=False) as session:
        connection = session.connection()
        dialect = connection.dialect.name
        queries = (
            select(signals_repository._first_after_mark(ws.team_id, dialect)),
            select(Team.id).where(
                signals_repository._first_after_mark(Team.id, dialect).is_not(None)
            ),
        )
        for query in queries:
            sql = str(
                query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
            )
            if dialect == "postgresql":
                connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
                plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql))
                assert "ix_signal_events_team_id" in plan, plan
                assert "ROW(team_id, id) > ROW(" in plan, plan
            else:
                rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
                plan = "\n".join(str(row[-1]) for row in rows)
                assert "ix_signal_events_team_id (team_id=? AND id>?)" in plan, plan
