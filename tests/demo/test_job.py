"""The demo scores the same on any build day: dates are relative to the day it is built."""

from intentsync.db.engine import Database
from intentsync.demo.job import build, existing_team
from intentsync.kit.clock import day_of, now_ms


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
