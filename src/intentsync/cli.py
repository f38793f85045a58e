"""Command line: bootstrap teams, users, keys and segments; migrate; serve.

Each command prints its result as the last line on stdout so scripts can capture it;
progress and errors go to stderr.
"""

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from intentsync.config import get_settings
from intentsync.db.engine import Database
from intentsync.kit.errors import AppError

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, add_completion=False, help="intentsync command line")
team_app = typer.Typer(no_args_is_help=True, help="Teams (workspaces)")
user_app = typer.Typer(no_args_is_help=True, help="Users")
key_app = typer.Typer(no_args_is_help=True, help="API keys")
segment_app = typer.Typer(no_args_is_help=True, help="Segments")
db_app = typer.Typer(no_args_is_help=True, help="Database")
pipeline_app = typer.Typer(no_args_is_help=True, help="Deal pipelines")
app.add_typer(team_app, name="team")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="key")
app.add_typer(segment_app, name="segment")
app.add_typer(db_app, name="db")
app.add_typer(pipeline_app, name="pipeline")

err = Console(stderr=True)

DEMO_EMAIL = "demo@example.com"


def _database() -> Database:
    return Database(get_settings().database_url, pool_size=1)


def _run(work: Callable[[Database], T]) -> T:
    """Run one unit of work in its own transaction; business errors exit 1 with the reason."""
    db = _database()
    try:
        return work(db)
    except AppError as exc:
        err.print(f"[red]error:[/red] {exc.custom_message}")
        raise typer.Exit(1) from None
    finally:
        db.dispose()


@team_app.command("create")
def team_create(name: Annotated[str, typer.Argument(help="Team name")]) -> None:
    """Create a team and print its id."""
    from intentsync.teams.service import create_team

    def work(db: Database) -> int:
        with db.transaction() as session:
            return create_team(session, name=name).id

    typer.echo(_run(work))


@user_app.command("create")
def user_create(
    team: Annotated[int, typer.Option("--team", help="Team id")],
    email: Annotated[str, typer.Option("--email", help="User email")],
) -> None:
    """Create a user in a team and print the user id."""
    from intentsync.teams.service import create_user

    def work(db: Database) -> int:
        with db.transaction() as session:
            return create_user(session, team_id=team, email=email).id

    typer.echo(_run(work))


@key_app.command("generate")
def key_generate(email: Annotated[str, typer.Option("--email", help="User email")]) -> None:
    """Issue a new API key for a user (the old one stops working) and print it once."""
    from intentsync.auth.service import generate_key

    def work(db: Database) -> str:
        with db.transaction() as session:
            return generate_key(session, email=email)

    key = _run(work)
    err.print("Store this key now: it is shown only once and the previous key no longer works.")
    typer.echo(key)


@segment_app.command("create")
def segment_create(
    team: Annotated[int, typer.Option("--team", help="Team id")],
    name: Annotated[str, typer.Option("--name", help="Segment name")],
    type_: Annotated[str, typer.Option("--type", help="static or dynamic")] = "static",
    status: Annotated[str, typer.Option("--status", help="active, draft or archived")] = "active",
) -> None:
    """Create a segment and print its segmentId."""
    from intentsync.segments.service import create_segment

    def work(db: Database) -> str:
        with db.transaction() as session:
            return create_segment(
                session, team_id=team, name=name, type_=type_, status=status
            ).segment_id

    typer.echo(_run(work))


@pipeline_app.command("stage-category")
def stage_category(
    team: Annotated[int, typer.Option("--team", help="Team id")],
    pipeline_id: Annotated[str, typer.Argument(help="pipelineId")],
    stage_id: Annotated[str, typer.Argument(help="stageId")],
    category: Annotated[str, typer.Argument(help="open, won or lost")],
) -> None:
    """Set whether a pipeline stage counts as open, won or lost; print the category."""
    from intentsync.pipelines.schemas import CATEGORIES
    from intentsync.pipelines.service import set_stage_category

    if category not in CATEGORIES:
        err.print(f"[red]error:[/red] category must be one of: {', '.join(CATEGORIES)}")
        raise typer.Exit(1)

    def work(db: Database) -> str:
        with db.transaction() as session:
            return set_stage_category(
                session, team_id=team, pipeline_id=pipeline_id, stage_id=stage_id, category=category
            ).category

    typer.echo(_run(work))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    from intentsync.db.migrate import upgrade

    upgrade(get_settings().database_url)
    typer.echo("database is up to date")


@app.command("demo")
def demo() -> None:
    """Create a demo team, user and API key when the database has no team yet."""
    from intentsync.auth.service import generate_key
    from intentsync.teams import repository
    from intentsync.teams.service import create_team, create_user

    settings = get_settings()

    def work(db: Database) -> str | None:
        with db.transaction() as session:
            if repository.count_teams(session) > 0:
                return None
            team = create_team(session, name="Demo workspace")
            create_user(session, team_id=team.id, email=DEMO_EMAIL)
            return generate_key(session, email=DEMO_EMAIL)

    key = _run(work)
    base = f"http://{settings.host}:{settings.port}/api/v1/crm"
    if key is None:
        err.print(
            "The database already has a team; no demo key printed. "
            f"Issue a new one with: intentsync key generate --email {DEMO_EMAIL}"
        )
        typer.echo(f"Base URL: {base}")
        return
    err.print("[bold green]Demo workspace created.[/bold green] Keep the key: it is shown once.")
    typer.echo(f"Base URL: {base}")
    typer.echo(f"Docs:     http://{settings.host}:{settings.port}/docs")
    typer.echo(f"API key:  {key}")


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Bind address")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Server processes (default 1)")
    ] = None,
) -> None:
    """Serve the API."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "intentsync.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level.lower(),
    )


def main() -> None:
    app()
