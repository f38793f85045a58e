"""Command line for scoring: run it now, inspect runs, change the per-team config."""

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from intentsync.commands import err, open_database, run_work
from intentsync.config import get_settings
from intentsync.db.engine import Database
from intentsync.kit.clock import format_ms

score_app = typer.Typer(no_args_is_help=True, help="Scoring: run now, history, configuration")
config_app = typer.Typer(no_args_is_help=True, help="Per-team scoring configuration")
score_app.add_typer(config_app, name="config")

TeamOption = Annotated[int, typer.Option("--team", help="Team id")]


@score_app.command("run")
def score_run(
    team: Annotated[
        int | None, typer.Option("--team", help="Team id (default: every team)")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", metavar="", help="Re-score every account")
    ] = False,
    processes: Annotated[
        int | None,
        typer.Option("--processes", min=1, max=64, help="Worker processes (default: setting)"),
    ] = None,
) -> None:
    """Score now; prints one line per team, the last one a total."""
    from intentsync.scoring.job import RunReport, run_all, run_team
    from intentsync.teams.service import require_team

    workers = processes or get_settings().scoring_processes or None
    keep = get_settings().history_retention_days

    def work(db: Database) -> list[RunReport]:
        if team is None:
            return run_all(db, full=full, processes=workers, retention_days=keep)
        with db.transaction(write=False) as session:
            require_team(session, team_id=team)
        return [run_team(db, team_id=team, full=full, processes=workers, retention_days=keep)]

    reports = run_work(work)
    for r in reports:
        line = (
            f"team {r.team_id}: {r.status} {r.kind} run, {r.accounts_total} accounts, "
            f"{r.accounts_scored} scored, {r.accounts_changed} changed in {r.seconds:.1f}s"
        )
        err.print(line)
        for problem in r.errors:
            err.print(f"  [yellow]{escape(problem)}[/yellow]", soft_wrap=True)
    total = sum(r.accounts_total for r in reports)
    scored = sum(r.accounts_scored for r in reports)
    changed = sum(r.accounts_changed for r in reports)
    typer.echo(f"scored {scored} of {total} accounts, {changed} changed")
    if any(r.status != "succeeded" for r in reports):
        raise typer.Exit(1)


@score_app.command("runs")
def score_runs(
    team: TeamOption,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1000, help="How many runs to show")
    ] = 20,
) -> None:
    """Recent scoring runs of a team, newest first."""
    from intentsync.scoring import repository
    from intentsync.scoring.stages import iso_day
    from intentsync.teams.service import require_team

    db = open_database()
    try:
        with db.transaction(write=False) as session:
            require_team(session, team_id=team)
            runs = repository.recent_runs(session, team_id=team, limit=limit)
            table = Table(
                "run",
                "kind",
                "status",
                "as of",
                "config",
                "started",
                "seconds",
                "scored",
                "changed",
                "errors",
            )
            for r in runs:
                seconds = (r.finished_ms - r.started_ms) / 1000 if r.finished_ms else None
                table.add_row(
                    str(r.id),
                    r.kind,
                    r.status,
                    iso_day(r.as_of_day),
                    str(r.config_version),
                    format_ms(r.started_ms),
                    f"{seconds:.1f}" if seconds is not None else "-",
                    str(r.accounts_scored),
                    str(r.accounts_changed),
                    "; ".join(r.errors)[:80],
                )
    finally:
        db.dispose()
    Console(width=160).print(table)
    typer.echo(f"{len(runs)} runs")


def _config_work(
    team: int, action: str, path: str = "", value: str = ""
) -> tuple[int, dict[str, Any]]:
    from intentsync.scoring.service import change_setting, current_document, reset_settings
    from intentsync.teams.service import require_team

    def work(db: Database) -> tuple[int, dict[str, Any]]:
        with db.transaction(write=action != "show") as session:
            require_team(session, team_id=team)
            if action == "set":
                change_setting(session, team_id=team, path=path, raw=value)
            elif action == "reset":
                reset_settings(session, team_id=team)
            return current_document(session, team_id=team)

    return run_work(work)


@config_app.command("show")
def config_show(team: TeamOption) -> None:
    """Print the configuration in force (JSON) and its version."""
    version, doc = _config_work(team, "show")
    err.print(f"config version {version}")
    typer.echo(json.dumps(doc, indent=2))


# A negative number is a value here, not an option: `weights.website -5` reaches validation.
@config_app.command("set", context_settings={"ignore_unknown_options": True})
def config_set(
    team: TeamOption,
    path: Annotated[str, typer.Argument(help="Dotted setting, e.g. weights.website")],
    value: Annotated[str, typer.Argument(help="JSON value, e.g. 40, -5, false, 12.5")],
) -> None:
    """Change one setting; prints the new version (the next run re-scores everything)."""
    version, _ = _config_work(team, "set", path, value)
    typer.echo(version)


@config_app.command("reset")
def config_reset(team: TeamOption) -> None:
    """Go back to the built-in defaults as a new version; prints it."""
    version, _ = _config_work(team, "reset")
    typer.echo(version)
