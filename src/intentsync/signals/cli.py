"""Command line for intent signals: import the CSV exports of Bombora, G2 and LinkedIn.

As with every command, the result (signals created) is the last stdout line; bad rows,
progress and the summary go to stderr.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from intentsync.commands import fail, open_database
from intentsync.db.engine import Database
from intentsync.kit.errors import AppError

# Smaller files finish before a bar would tell anyone anything.
PROGRESS_MIN_BYTES = 1_000_000

signals_app = typer.Typer(no_args_is_help=True, help="Intent signals")
# Soft wrap keeps each `line N: reason` on one line whatever the terminal width.
err = Console(stderr=True, soft_wrap=True, highlight=False)


@dataclass
class Totals:
    rows: int = 0
    created: int = 0
    skipped: int = 0
    failed: int = 0

    def summary(self, path: Path) -> str:
        return (
            f"{path}: {self.rows} rows read, {self.created} signals created, "
            f"{self.skipped} repeats skipped, {self.failed} rows failed"
        )


def _progress(size: int) -> Progress:
    return Progress(
        TextColumn("Importing"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]} rows"),
        TimeRemainingColumn(),
        console=err,
        disable=not (err.is_terminal and size > PROGRESS_MIN_BYTES),
    )


def _import(db: Database, totals: Totals, *, team_id: int, source: str, path: Path) -> None:
    from intentsync.signals.importers import job, service
    from intentsync.teams.service import require_team

    with db.transaction(write=False) as session:
        require_team(session, team_id=team_id)
    with service.open_export(path, source=source) as table:
        with _progress(table.size) as progress:
            task = progress.add_task("import", total=table.size, rows=0)
            for result in job.import_rows(db, team_id=team_id, table=table):
                for error in result.errors:
                    progress.console.print(f"line {error.line}: {error.reason}", markup=False)
                totals.rows += result.rows
                totals.created += result.created
                totals.skipped += result.skipped
                totals.failed += result.failed_rows
                progress.update(task, completed=table.position(), rows=totals.rows)
    with db.transaction() as session:
        service.announce_import(
            session,
            team_id=team_id,
            import_id=None,
            source=source,
            file_name=path.name,
            status="done",
            rows_read=totals.rows,
            signals_created=totals.created,
            rows_failed=totals.failed,
        )


@signals_app.command("import")
def import_signals(
    team: Annotated[int, typer.Option("--team", help="Team id")],
    source: Annotated[str, typer.Option("--source", help="bombora, g2 or linkedin")],
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="CSV export: UTF-8/16, comma, semicolon or tab", show_default=False
        ),
    ],
) -> None:
    """Import a CSV export; bad rows are reported and skipped, repeats are stored once."""
    from intentsync.signals.importers.service import SOURCES

    source = source.strip().lower()  # 'Bombora' is the vendor's own spelling
    if source not in SOURCES:
        raise fail(f"--source must be one of: {', '.join(SOURCES)}")
    totals = Totals()
    db = open_database()
    try:
        _import(db, totals, team_id=team, source=source, path=file)
    except AppError as exc:
        if totals.rows:
            err.print(
                totals.summary(file) + " before the error; a re-run skips those repeats",
                markup=False,
            )
        raise fail(exc.custom_message) from None
    finally:
        db.dispose()
    err.print(totals.summary(file), markup=False)
    typer.echo(totals.created)
