"""Build (or rebuild) the demo workspace and score it, each step in its own transaction."""

from dataclasses import dataclass

from intentsync.db.engine import Database
from intentsync.demo.plan import generate
from intentsync.demo.service import (
    Built,
    Ranked,
    build_workspace,
    delete_workspace,
    find_demo_team,
    ranked_accounts,
)
from intentsync.scoring.job import RunReport, run_team


@dataclass
class Demo:
    built: Built
    scoring: RunReport
    ranked: list[Ranked]


def existing_team(db: Database) -> int | None:
    with db.transaction(write=False) as session:
        return find_demo_team(session)


def build(db: Database, *, today: int, replace: int | None = None) -> Demo:
    """A new demo workspace dated `today`; `replace` names an old one deleted in the same step.

    The data lands in one transaction, so a failed rebuild leaves the old workspace as it was;
    the scoring run follows in-process (a few hundred accounts need no worker processes).
    """
    plan = generate(today=today)
    with db.transaction() as session:
        if replace is not None:
            delete_workspace(session, team_id=replace)
        built = build_workspace(session, plan=plan)
    report = run_team(db, team_id=built.team_id, full=True, as_of=today, processes=1)
    with db.transaction(write=False) as session:
        ranked = ranked_accounts(session, team_id=built.team_id)
    return Demo(built=built, scoring=report, ranked=ranked)
