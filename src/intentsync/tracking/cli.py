"""`intentsync tracking`: the website snippet's write key and page-category patterns."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from intentsync.commands import err, fail, read_text, run_work
from intentsync.db.engine import Database
from intentsync.kit.errors import BadRequest

tracking_app = typer.Typer(no_args_is_help=True, help="Website tracking snippet")


@tracking_app.command("key")
def key(
    team: Annotated[int, typer.Option("--team", help="Team id")],
    rotate: Annotated[
        bool,
        typer.Option(
            "--rotate", metavar="", help="Issue a new key; pages with the old one stop counting"
        ),
    ] = False,
) -> None:
    """Print the team's public write key (created on first use) and its HTML snippet."""
    from intentsync.config import get_settings
    from intentsync.teams.service import require_team
    from intentsync.tracking.service import ensure_write_key, rotate_write_key
    from intentsync.tracking.snippet import html_snippet

    def work(db: Database) -> str:
        with db.transaction() as session:
            require_team(session, team_id=team)
            if rotate:
                return rotate_write_key(session, team_id=team)
            return ensure_write_key(session, team_id=team)

    write_key = run_work(work)
    settings = get_settings()
    base = f"http://{settings.host}:{settings.port}"
    err.print(
        "Add this tag to every page (use the address where browsers reach this server):",
        highlight=False,
        soft_wrap=True,
    )
    err.print(escape(html_snippet(base, write_key)), highlight=False, soft_wrap=True)
    if rotate:
        err.print("The previous write key no longer works.")
    typer.echo(write_key)


def _read_json(file: Path) -> Any:
    text = read_text(file, "patterns file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"patterns file '{file}' is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}"
        ) from None


@tracking_app.command("patterns")
def patterns(
    team: Annotated[int, typer.Option("--team", help="Team id")],
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            # Brackets escaped: help text is Rich markup.
            help=r'JSON list of \[category, regex] pairs, e.g. \[\["pricing", "^/pricing"]]',
        ),
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", metavar="", help="Go back to the built-in patterns")
    ] = False,
) -> None:
    """Set (--file), reset (--reset) or show the URL patterns that name page categories."""
    from intentsync.teams.service import require_team
    from intentsync.tracking.patterns import UNMATCHED
    from intentsync.tracking.service import page_patterns, set_page_patterns

    if file is not None and reset:
        raise fail("give --file or --reset, not both")

    def work(db: Database) -> tuple[tuple[tuple[str, str], ...], bool]:
        wanted = _read_json(file) if file is not None else None
        with db.transaction() as session:
            require_team(session, team_id=team)
            if file is not None:
                return set_page_patterns(session, team_id=team, patterns=wanted), True
            if reset:
                return set_page_patterns(session, team_id=team, patterns=None), False
            return page_patterns(session, team_id=team)

    current, custom = run_work(work)
    source = "the team's own patterns" if custom else "the built-in default patterns"
    err.print(
        f"Using {source} ({len(current)}), matched in order against the URL path, "
        f"case-insensitively; pages no pattern matches count as {UNMATCHED}.",
        highlight=False,
        soft_wrap=True,
    )
    typer.echo(json.dumps([[c, p] for c, p in current]))
