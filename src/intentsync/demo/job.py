"""Build (or rebuild) the demo workspace and score it, each step in its own transaction."""

import time
from dataclasses import dataclass

from intentsync.db.engine import Database
from intentsync.demo.crm import deals_on
from intentsync.demo.plan import DemoPlan, generate
from intentsync.demo.profiles import Wire, iso_date
from intentsync.demo.service import (
    Built,
    Ranked,
    build_workspace,
    delete_workspace,
    find_demo_team,
    push_deals,
    ranked_accounts,
)
from intentsync.scoring.job import RunReport, run_team


@dataclass
class Demo:
    built: Built
    scoring: RunReport  # today's run, or the first that failed
    ranked: list[Ranked]
    past_runs: int = 0  # the weekly runs as of earlier days that succeeded before today's
    past_seconds: float = 0.0  # what those runs took, deals replayed between them included


def existing_team(db: Database) -> int | None:
    with db.transaction(write=False) as session:
        return find_demo_team(session)


def _score_history(db: Database, *, team_id: int, plan: DemoPlan) -> tuple[RunReport, int]:
    """Score weekly as of past days, then today, replaying each deal's opening and closing.

    Stages then carry the days they were entered and the transitions between them, as a
    workspace that had been running for a quarter would; the last report is today's.
    """
    held: dict[str, Wire] = {
        d["externalDealId"]: d for d in deals_on(plan.deals, iso_date(0, -plan.history[0]))
    }
    report: RunReport | None = None
    for past, day in enumerate([*plan.history, plan.today]):
        changed = [
            d for d in deals_on(plan.deals, iso_date(0, -day)) if held.get(d["externalDealId"]) != d
        ]
        if changed:
            with db.transaction() as session:
                push_deals(session, team_id=team_id, deals=changed)
            held |= {d["externalDealId"]: d for d in changed}
        report = run_team(db, team_id=team_id, full=True, as_of=day, processes=1)
        if report.status != "succeeded":
            return report, past
    assert report is not None
    return report, len(plan.history)


def build(db: Database, *, today: int, replace: int | None = None) -> Demo:
    """A new demo workspace dated `today`; `replace` names an old one deleted in the same step.

    The data lands in one transaction, so a failed rebuild leaves the old workspace as it was;
    the scoring runs follow in-process (a few hundred accounts need no worker processes).
    """
    plan = generate(today=today)
    with db.transaction() as session:
        if replace is not None:
            delete_workspace(session, team_id=replace)
        built = build_workspace(session, plan=plan)
    started = time.perf_counter()
    report, past = _score_history(db, team_id=built.team_id, plan=plan)
    past_seconds = time.perf_counter() - started - report.seconds
    with db.transaction(write=False) as session:
        ranked = ranked_accounts(session, team_id=built.team_id)
    return Demo(built, report, ranked, past_runs=past, past_seconds=past_seconds)
