"""`intentsync demo`: a sample workspace to explore, and what to try next.

stdout carries four lines scripts and docs rely on (Base URL, Docs, Team id, API key, the key
last); the description and next steps go to stderr. Other teams in the database are left
alone: the demo workspace is found by its user, and --reset deletes only that team.
"""

import shlex
from collections import Counter
from typing import TYPE_CHECKING, Annotated

import typer

from intentsync.commands import err, fail, run_work
from intentsync.config import get_settings
from intentsync.db.engine import Database
from intentsync.kit.clock import day_of, now_ms

if TYPE_CHECKING:
    from intentsync.demo.job import Demo

TOP = 5


def _root() -> str:
    settings = get_settings()
    return f"http://{settings.host}:{settings.port}"


def _urls() -> tuple[str, str]:
    root = _root()
    return f"{root}/api/v1/crm", f"{root}/docs"


def _links(team_id: int) -> None:
    base, docs = _urls()
    typer.echo(f"Console:  {_root()}/")
    typer.echo(f"Base URL: {base}")
    typer.echo(f"Docs:     {docs}")
    typer.echo(f"Team id:  {team_id}")


def _say(text: str) -> None:
    err.print(text, markup=False, highlight=False, soft_wrap=True)


def _describe(demo: "Demo") -> None:
    built, ranked = demo.built, demo.ranked
    deals = ", ".join(f"{built.deals[c]} {c}" for c in ("open", "won", "lost"))
    signals = ", ".join(f"{n} {source}" for source, n in built.signals.items())
    stages = Counter(r.stage for r in ranked)
    err.print(f"[bold green]Demo workspace created[/bold green] (team {built.team_id}).")
    _say(
        f"  {built.accounts} CRM accounts and {built.discovered} found on the website; "
        f"deals: {deals}; {built.activities} sales activities"
    )
    _say(f"  90 days of intent signals: {signals}; {built.segments} segments")
    _say(f"  scored weekly as of the past {demo.past_runs} weeks, then today")
    _say("  journey stages: " + ", ".join(f"{n} {s}" for s, n in stages.most_common()))
    _say("  top accounts:")
    for r in ranked[:TOP]:
        _say(f"    {r.score:>3}  {r.stage:<13} {r.name} ({r.external_id})")


def _next_steps(demo: "Demo") -> None:
    base, _ = _urls()
    team, key = demo.built.team_id, demo.built.key
    top = next(r for r in demo.ranked if r.external_id is not None)
    url = f"{base}/accounts/{top.external_id}/score"
    _say("Try next:")
    _say(f"  curl -s -H {shlex.quote('X-Api-Key: ' + key)} {url}")
    _say(f"  intentsync score runs --team {team}")
    _say(f"  intentsync segment list --team {team}")
    err.print("Keep the password and the key: they are shown only once.")


def demo(
    reset: Annotated[
        bool,
        typer.Option("--reset", help="Delete the demo workspace and build it again (new key)"),
    ] = False,
) -> None:
    """Build a demo workspace with sample accounts, deals, signals and scores; print its key."""
    # Imported here so other commands do not load every feature at start-up.
    from intentsync.demo.job import build, existing_team
    from intentsync.demo.plan import DEMO_EMAIL

    def work(db: Database) -> "Demo | int":
        team = existing_team(db)
        if team is not None and not reset:
            return team
        return build(db, today=day_of(now_ms()), replace=team)

    outcome = run_work(work)
    if isinstance(outcome, int):
        _say(
            f"The demo workspace (team {outcome}) already exists; its key and password were "
            f"shown when it was created. Issue a new key with: intentsync key generate --email "
            f"{DEMO_EMAIL}; set a new password with: intentsync user set-password --email "
            f"{DEMO_EMAIL} (or rebuild it with: intentsync demo --reset)"
        )
        _links(outcome)
        return
    _describe(outcome)
    _next_steps(outcome)
    _links(outcome.built.team_id)
    typer.echo(f"Email:    {DEMO_EMAIL}")
    typer.echo(f"Password: {outcome.built.password}")
    typer.echo(f"API key:  {outcome.built.key}")
    if outcome.scoring.status != "succeeded":
        problem = "; ".join(outcome.scoring.errors) or outcome.scoring.status
        raise fail(
            f"the demo data is in place but its scoring run failed ({problem}); "
            f"retry with: intentsync score run --team {outcome.built.team_id}"
        )
