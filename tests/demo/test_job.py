"""The demo scores the same on any build day: dates are relative to the day it is built."""

from collections import Counter
from datetime import date

from sqlalchemy import select

from intentsync.db.engine import Database
from intentsync.db.models import Account, ScoringRun, StageTransition
from intentsync.demo.job import build, existing_team
from intentsync.demo.plan import generate
from intentsync.journey.stages import days_in_stage
from intentsync.kit.clock import DAY_MS, day_of, now_ms


def _board(
    db: Database, *, today: int, replace: int | None
) -> tuple[int, list[tuple[str | None, str, int, str]]]:
    demo = build(db, today=today, replace=replace)
    assert demo.scoring.status == "succeeded"
    assert demo.scoring.as_of_day == today
    assert demo.scoring.accounts_scored == len(demo.ranked)
    return demo.built.team_id, [(r.external_id, r.name, r.score, r.stage) for r in demo.ranked]


def test_builds_weeks_apart_score_alike_and_other_weekdays_differ_by_bombora_weeks_only(
    fresh_db,
):
    today = day_of(now_ms())
    team, first = _board(fresh_db, today=today, replace=None)
    assert existing_team(fresh_db) == team
    team, weeks_ago = _board(fresh_db, today=today - 35, replace=team)
    assert weeks_ago == first
    # Bombora stamps a signal with the Monday of its week, so its age moves with the weekday.
    team, days_ago = _board(fresh_db, today=today - 3, replace=team)
    by_name = {name: (score, stage) for _, name, score, stage in days_ago}
    assert len(by_name) == len(first)
    for _, name, score, stage in first:
        assert by_name[name][1] == stage
        assert abs(by_name[name][0] - score) <= 2
    assert existing_team(fresh_db) == team


def _day(iso: str) -> int:
    return (date.fromisoformat(iso) - date(1970, 1, 1)).days


def test_the_demo_has_a_scored_past_with_stages_entered_on_different_days(fresh_db):
    today = day_of(now_ms())
    demo = build(fresh_db, today=today)
    plan = generate(today=today)
    runs_on = [*plan.history, today]
    assert runs_on[0] == today - 84
    team = demo.built.team_id
    with fresh_db.transaction(write=False) as session:
        runs = session.execute(
            select(ScoringRun.as_of_day, ScoringRun.status)
            .where(ScoringRun.team_id == team)
            .order_by(ScoringRun.id)
        ).all()
        found = list(session.scalars(select(Account).where(Account.team_id == team)))
        moves = session.execute(
            select(StageTransition.account_id, StageTransition.to_stage, StageTransition.at_ms)
            .where(StageTransition.team_id == team)
            .order_by(StageTransition.id)
        ).all()
    assert runs == [(day, "succeeded") for day in runs_on]
    # Every move is dated to the run that made it: past runs at the start of their day.
    assert {day_of(m.at_ms) for m in moves} == set(runs_on)
    assert all(m.at_ms == day_of(m.at_ms) * DAY_MS for m in moves if day_of(m.at_ms) < today)
    days = Counter(
        days_in_stage(stage_entered_ms=a.stage_entered_ms, created_ms=a.created_ms, today=today)
        for a in found
    )
    assert set(days) == {today - day for day in runs_on}
    assert max(days.values()) < len(found) / 2
    # A deal moves its account on the first run on or after the deal opened (or closed won).
    accounts = {a.external_id: a for a in found}
    for deal in plan.deals:
        if deal["stageId"] == "closed-lost":
            continue
        won = deal["stageId"] == "closed-won"
        since = _day(deal["closedDate"] if won else deal["startDate"])
        moved = next(day for day in runs_on if day >= since)
        account = accounts[deal["associatedAccounts"][0]["externalId"]]
        stage = "Customer" if won else "Opportunity"
        assert account.journey_stage == stage
        assert day_of(account.stage_entered_ms) == moved
        assert [
            day_of(m.at_ms) for m in moves if m.account_id == account.id and m.to_stage == stage
        ] == [moved]
    # Scores spread out: a few surging at the top, a warming middle, most quiet.
    scores = [a.account_score for a in found]
    surging = {a.external_id for a in plan.accounts if a.profile == "surging"}
    assert all(accounts[e].account_score >= 60 for e in surging)
    assert sum(20 <= s < 60 for s in scores) >= 25
    assert sum(40 <= s < 60 for s in scores) >= 8
    assert sum(s < 20 for s in scores) > 0.75 * len(scores)
