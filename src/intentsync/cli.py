"""Command line: bootstrap teams, users, keys and segments; migrate; serve.

Each command prints its result as the last line on stdout so scripts can capture it;
progress and errors go to stderr.
"""

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from intentsync.commands import (
    err,
    fail,
    open_database,
    read_text,
    require_free_address,
    run,
    run_work,
)
from intentsync.config import Settings, get_settings
from intentsync.db.engine import Database
from intentsync.demo.cli import demo
from intentsync.ip_ranges.cli import ip_ranges_app
from intentsync.kit.errors import BadRequest
from intentsync.scoring.cli import score_app
from intentsync.signals.cli import signals_app
from intentsync.tracking.cli import tracking_app
from intentsync.webhooks.cli import webhook_app

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
app.add_typer(signals_app, name="signals")
app.add_typer(tracking_app, name="tracking")
app.add_typer(ip_ranges_app, name="ip-ranges")
app.add_typer(score_app, name="score")
app.add_typer(webhook_app, name="webhook")
app.command("demo")(demo)


@team_app.command("create")
def team_create(name: Annotated[str, typer.Argument(help="Team name")]) -> None:
    """Create a team and print its id."""
    from intentsync.teams.service import create_team

    def work(db: Database) -> int:
        with db.transaction() as session:
            return create_team(session, name=name).id

    typer.echo(run_work(work))


@team_app.command("list")
def team_list() -> None:
    """Show every team with its id and users' emails; the last line counts them."""
    from intentsync.teams.service import teams_with_users

    def work(db: Database) -> list[tuple[int, str, list[str]]]:
        with db.transaction(write=False) as session:
            return teams_with_users(session)

    teams = run_work(work)
    table = Table("id", "name", "users")
    for team_id, name, emails in teams:
        table.add_row(str(team_id), name, ", ".join(emails), end_section=False)
    Console().print(table)
    typer.echo(f"{len(teams)} team(s)")


@user_app.command("create")
def user_create(
    team: Annotated[int, typer.Option("--team", help="Team id")],
    email: Annotated[str, typer.Option("--email", help="User email")],
    role: Annotated[
        str | None,
        typer.Option(
            "--role",
            help="admin or member (default: admin for the team's first user, member after)",
        ),
    ] = None,
) -> None:
    """Create a user in a team and print the user id (no password: API keys only)."""
    from intentsync.teams.service import create_user

    def work(db: Database) -> tuple[int, str]:
        with db.transaction() as session:
            user = create_user(session, team_id=team, email=email, role=role)
            return user.id, user.role

    user_id, given = run_work(work)
    err.print(
        f"{email.strip().lower()} is a team {given}; it signs in to the console once "
        f"a password is set: intentsync user set-password --email {email.strip().lower()}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    typer.echo(user_id)


def _read_password(from_stdin: bool) -> str:
    import sys

    if from_stdin:
        data = sys.stdin.buffer.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            fail("the password on stdin is not UTF-8 text")
        return text.rstrip("\r\n")
    if not sys.stdin.isatty():
        fail("no terminal to ask for a password on; pipe it in with --password-stdin")
    first: str = typer.prompt("New password", hide_input=True)
    second: str = typer.prompt("Repeat it", hide_input=True)
    if first != second:
        fail("the two passwords differ; nothing was changed")
    return first


@user_app.command("set-password")
def user_set_password(
    email: Annotated[str, typer.Option("--email", help="User email")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from stdin (for scripts)"),
    ] = False,
) -> None:
    """Set the password a user signs in to the console with (asked twice on a terminal)."""
    from intentsync.auth.service import set_password
    from intentsync.teams.service import require_user

    def check(db: Database) -> None:
        with db.transaction(write=False) as session:
            require_user(session, email=email)

    run_work(check)  # an unknown email fails before the prompt
    password = _read_password(password_stdin)

    def work(db: Database) -> None:
        with db.transaction() as session:
            set_password(session, email=email, password=password)

    run_work(work)
    err.print("Password set; the user's other console sessions were signed out.")
    typer.echo(email.strip().lower())


@user_app.command("set-role")
def user_set_role(
    email: Annotated[str, typer.Option("--email", help="User email")],
    role: Annotated[str, typer.Option("--role", help="admin or member")],
) -> None:
    """Make a user a team admin (keys, users, settings, imports) or a member (read, segments)."""
    from intentsync.teams.service import change_role, require_user

    def work(db: Database) -> str:
        with db.transaction() as session:
            user = require_user(session, email=email)
            return change_role(
                session, team_id=user.team_id, user_id=user.id, role=role, by_user_id=None
            ).role

    typer.echo(run_work(work))


@key_app.command("generate")
def key_generate(email: Annotated[str, typer.Option("--email", help="User email")]) -> None:
    """Issue a new API key for a user (the old one stops working) and print it once."""
    from intentsync.auth.service import generate_key

    def work(db: Database) -> str:
        with db.transaction() as session:
            return generate_key(session, email=email)

    key = run_work(work)
    err.print("Store this key now: it is shown only once and the previous key no longer works.")
    typer.echo(key)


TeamOption = Annotated[int, typer.Option("--team", help="Team id")]
SegmentOption = Annotated[str, typer.Option("--segment", help="segmentId")]
RulesOption = Annotated[
    str | None,
    typer.Option(
        "--rules",
        metavar="<file>",
        help="JSON file with the dynamic segment's rules ('-' reads stdin)",
    ),
]


def _read_rules(path: str) -> Any:
    """The rules document in a file; unreadable files and bad JSON are refused with where."""
    text = read_text(path, "rules file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"rules file '{path}' is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}"
        ) from None
    if doc is None:
        raise BadRequest(f"rules file '{path}' holds null; expected a rule object")
    return doc


@segment_app.command("create")
def segment_create(
    team: TeamOption,
    name: Annotated[str, typer.Option("--name", help="Segment name")],
    type_: Annotated[str, typer.Option("--type", help="static or dynamic")] = "static",
    status: Annotated[str, typer.Option("--status", help="active, draft or archived")] = "active",
    rules: RulesOption = None,
) -> None:
    """Create a segment (a dynamic one with --rules) and print its segmentId."""
    from intentsync.segments.service import create_segment
    from intentsync.teams.service import require_team

    def work(db: Database) -> str:
        if type_ == "dynamic" and rules is None:
            raise BadRequest("a dynamic segment needs --rules FILE.json")
        if type_ == "static" and rules is not None:
            raise BadRequest("--rules applies only to dynamic segments")
        doc = _read_rules(rules) if rules is not None else None
        with db.transaction() as session:
            require_team(session, team_id=team)
            return create_segment(
                session, team_id=team, name=name, type_=type_, status=status, rules=doc
            ).segment_id

    typer.echo(run_work(work))


@segment_app.command("update")
def segment_update(
    team: TeamOption,
    segment: SegmentOption,
    name: Annotated[str | None, typer.Option("--name", help="New name")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="active, draft or archived")
    ] = None,
    rules: RulesOption = None,
) -> None:
    """Rename a segment, change its status or replace its rules; print its segmentId."""
    from intentsync.segments.service import update_segment
    from intentsync.teams.service import require_team

    def work(db: Database) -> str:
        doc = _read_rules(rules) if rules is not None else None
        with db.transaction() as session:
            require_team(session, team_id=team)
            return update_segment(
                session, team_id=team, segment_id=segment, name=name, status=status, rules=doc
            ).segment_id

    typer.echo(run_work(work))


AccountsArgument = Annotated[
    list[str], typer.Argument(help="Accounts by externalId or domain", show_default=False)
]


def _change_members(team: int, segment: str, accounts: list[str], *, remove: bool) -> None:
    from intentsync.segments.service import change_members
    from intentsync.teams.service import require_team

    def work(db: Database) -> int:
        with db.transaction() as session:
            require_team(session, team_id=team)
            return change_members(
                session, team_id=team, segment_id=segment, accounts=accounts, remove=remove
            )

    typer.echo(run_work(work))


@segment_app.command("add")
def segment_add(team: TeamOption, segment: SegmentOption, accounts: AccountsArgument) -> None:
    """Add accounts to a static segment; print how many joined."""
    _change_members(team, segment, accounts, remove=False)


@segment_app.command("remove")
def segment_remove(team: TeamOption, segment: SegmentOption, accounts: AccountsArgument) -> None:
    """Remove accounts from a static segment; print how many left."""
    _change_members(team, segment, accounts, remove=True)


@segment_app.command("refresh")
def segment_refresh(
    team: TeamOption,
    segment: Annotated[
        str | None, typer.Option("--segment", help="One dynamic segment (default: all)")
    ] = None,
) -> None:
    """Re-evaluate dynamic segments now; print how many accounts joined or left one."""
    from intentsync.segments.service import refresh
    from intentsync.teams.service import require_team

    def work(db: Database) -> int:
        with db.transaction() as session:
            require_team(session, team_id=team)
            return refresh(session, team_id=team, segment_id=segment)

    typer.echo(run_work(work))


@segment_app.command("list")
def segment_list(team: TeamOption) -> None:
    """Show the team's segments as a table; the last line counts them."""
    from intentsync.segments.service import summaries
    from intentsync.teams.service import require_team

    def work(db: Database) -> list[tuple[str, str, str, str, int]]:
        with db.transaction(write=False) as session:
            require_team(session, team_id=team)
            return summaries(session, team_id=team)

    rows = run_work(work)
    table = Table()
    # Ids are copied into later commands, so they are never shortened to fit the terminal.
    table.add_column("segmentId", no_wrap=True, min_width=24)
    for heading in ("name", "type", "status", "members"):
        table.add_column(heading)
    for segment_id, name, type_, status, members in rows:
        table.add_row(segment_id, name, type_, status, str(members))
    Console().print(table)
    typer.echo(f"{len(rows)} segment(s)")


@segment_app.command("show")
def segment_show(team: TeamOption, segment: SegmentOption) -> None:
    """Describe a segment on stderr and print its rules as one line of JSON (null if static)."""
    from intentsync.segments.service import get_segment
    from intentsync.teams.service import require_team

    def work(db: Database) -> tuple[str, str, str, Any]:
        with db.transaction(write=False) as session:
            require_team(session, team_id=team)
            found = get_segment(session, team_id=team, segment_id=segment)
            return found.name, found.type, found.status, found.rules

    name, type_, status, rules = run_work(work)
    err.print(
        f"{segment}: {name} ({type_}, {status})", markup=False, highlight=False, soft_wrap=True
    )
    typer.echo(json.dumps(rules))


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
    from intentsync.teams.service import require_team

    if category not in CATEGORIES:
        raise fail(f"category must be one of: {', '.join(CATEGORIES)}")

    def work(db: Database) -> str:
        with db.transaction() as session:
            require_team(session, team_id=team)
            return set_stage_category(
                session, team_id=team, pipeline_id=pipeline_id, stage_id=stage_id, category=category
            ).category

    typer.echo(run_work(work))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the tables or apply every pending migration; say what was done."""
    from alembic.util import CommandError
    from sqlalchemy.exc import OperationalError

    from intentsync.db.migrate import current_revisions, head, redacted, unreachable, upgrade

    url = get_settings().database_url
    db = open_database(migrated=False)
    try:
        with db.engine.connect() as connection:
            before = current_revisions(connection)
    except OperationalError as exc:
        raise unreachable(url, exc) from None
    finally:
        db.dispose()
    try:
        upgrade(url)
    except CommandError as exc:  # e.g. a revision from a newer intentsync
        raise fail(f"cannot upgrade database {redacted(url)}: {exc}") from None
    target = head()
    if before == (target,):
        message = f"database {redacted(url)} was already at revision {target}"
    else:
        was = ", ".join(before) if before else "empty"
        message = f"database {redacted(url)} migrated from {was} to revision {target}"
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    typer.echo("database is up to date")


@db_app.command("analyze")
def db_analyze(
    tables: Annotated[
        list[str] | None,
        typer.Option(
            "--table", metavar="<table>", help="Only this table (repeatable; default: every table)"
        ),
    ] = None,
) -> None:
    """Refresh the planner statistics (ANALYZE); for servers without autovacuum, and SQLite."""
    from intentsync.db.analyze import analyze_tables

    def work(db: Database) -> list[str]:
        with db.transaction() as session:
            return analyze_tables(session, tables=tables or ())

    analyzed = run_work(work)
    err.print(f"analyzed: {', '.join(analyzed)}", markup=False, highlight=False, soft_wrap=True)
    typer.echo(f"analyzed {len(analyzed)} table(s)")


@app.command("serve")
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Bind address (default: INTENTSYNC_HOST)")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Port (default: INTENTSYNC_PORT)"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, max=64, help="Server processes (default: one per core, up to 4)"
        ),
    ] = None,
) -> None:
    """Serve the API (refuses to start on a database that is not migrated)."""
    import uvicorn

    from intentsync.kit.logs import log_config
    from intentsync.kit.metrics import shared_across_processes

    settings = get_settings()
    open_database().dispose()  # one line and exit 1 before any process starts
    host, port = host or settings.host, port or settings.port
    require_free_address(host, port)
    processes = workers or settings.server_processes()
    with shared_across_processes(processes):
        uvicorn.run(
            "intentsync.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=processes,
            log_level=settings.log_level.lower(),
            log_config=log_config(settings.log_level, settings.log_format),
            server_header=False,  # do not advertise the server software to scanners
        )


@app.command("worker")
def worker(
    interval: Annotated[
        int | None,
        typer.Option("--interval", min=1, help="Seconds between full rounds (default: setting)"),
    ] = None,
    webhooks_only: Annotated[
        bool, typer.Option("--webhooks-only", help="Deliver webhooks only; do not score")
    ] = False,
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", min=1, max=64, help="Jobs run at once (default: setting)"),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=1,
            max=65535,
            help="Serve /healthz, /readyz and /metrics on this port (default: none)",
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", help="Bind address for --port (default: INTENTSYNC_HOST)"),
    ] = None,
) -> None:
    """Run background jobs (scoring, webhook deliveries, imports); start any number, on any host."""
    import logging
    import signal
    import threading

    from intentsync.kit.logs import configure_logging
    from intentsync.kit.metrics import observe_job
    from intentsync.scheduler import Background

    done = threading.Event()  # a SIGTERM during start-up stops the worker once it has started
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    settings = get_settings()
    if host is not None and port is None:
        raise BadRequest("--host needs --port: the worker listens only when given a port")
    host = host or settings.host
    if port is not None:
        require_free_address(host, port)
    open_database().dispose()  # one line and exit 1 before the first round
    configure_logging(settings.log_level, settings.log_format)
    db = Database(
        settings.database_url, pool_size=max(2, (concurrency or settings.job_concurrency) + 1)
    )
    seconds = interval if interval is not None else settings.scoring_interval or 3600
    background = Background(
        settings,
        db,
        scoring_interval=seconds,
        first_delay=0,
        score=not webhooks_only,
        observer=observe_job,
    )
    doing = (
        "Delivering webhooks"
        if webhooks_only
        else (
            f"Scoring every team every {seconds}s and {settings.scoring_debounce:g}s after new "
            "inputs, delivering webhooks"
        )
    )
    # Listening first: a port already taken stops the worker before it takes any job.
    probes = None if port is None else _serve_probes(settings, db, background, host, port)
    background.start(concurrency=concurrency)
    listening = "" if port is None else f"; /healthz, /readyz and /metrics on {host}:{port}"
    # Last, so that a script which waits for this line finds the worker running.
    started = f"{doing} on the {background.queue.kind} job queue{listening}; Ctrl+C stops."
    if settings.log_format == "json":  # then every line on stderr is a JSON object
        logging.getLogger("intentsync.worker").info(started)
    else:
        err.print(started)
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        background.stop()
        if probes is not None:
            server, thread = probes
            server.should_exit = True
            thread.join(10)
        db.dispose()


def _serve_probes(settings: Settings, db: Database, background: Any, host: str, port: int) -> Any:
    """The worker's probe server on a thread; started before the worker says it runs."""
    import threading
    import time

    import uvicorn

    from intentsync.monitoring.endpoints import probe_app, readiness, scrape_collectors
    from intentsync.scheduler import queue_check, queue_gauges

    app = probe_app(settings, db)
    readiness(app).add("queue", queue_check(background.queue))
    scrape_collectors(app).add("queue", queue_gauges(background.queue))
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # the worker's logging, text or JSON, already covers uvicorn's loggers
        access_log=False,  # a scrape every few seconds is not news
        lifespan="off",
        server_header=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="worker-probes", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise BadRequest(f"cannot listen on {host}:{port}; choose another port with --port")
        time.sleep(0.05)
    return server, thread


def main() -> None:
    run(app)
