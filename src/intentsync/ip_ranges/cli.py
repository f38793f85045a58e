"""`intentsync ip-ranges`: import the CIDR blocks that name the company behind a visitor."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from intentsync.commands import err, run_work
from intentsync.db.engine import Database
from intentsync.kit.errors import AppError

if TYPE_CHECKING:
    from intentsync.ip_ranges.service import ImportCounts

ip_ranges_app = typer.Typer(
    no_args_is_help=True, help="IP ranges that name the company behind a website visitor"
)

BATCH = 500  # ranges per transaction: a long import never holds the write lock for long
PROGRESS_MIN_BYTES = 200_000  # smaller files finish before a bar would tell anyone anything


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@ip_ranges_app.command("import")
def import_file(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="CSV with a header: cidr (or network), domain, kind",
            show_default=False,
        ),
    ],
    team: Annotated[int, typer.Option("--team", help="Team id")],
) -> None:
    """Import a CSV of IP ranges (re-importing adds nothing) and print how many were written."""
    from intentsync.ip_ranges.parsing import ParsedRange, read_ranges
    from intentsync.ip_ranges.service import ImportCounts, import_ranges, open_import
    from intentsync.teams.service import require_team

    def work(db: Database) -> tuple[ImportCounts, int]:
        with db.transaction(write=False) as session:
            require_team(session, team_id=team)
        counts, bad, pending = ImportCounts(), 0, list[ParsedRange]()

        def flush() -> None:
            nonlocal counts
            with db.transaction() as session:
                counts += import_ranges(session, team_id=team, ranges=pending)
            pending.clear()

        columns = (TextColumn("bytes"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        try:
            with open_import(file) as table:
                quiet = table.size < PROGRESS_MIN_BYTES
                with Progress(*columns, console=err, transient=True, disable=quiet) as progress:
                    task = progress.add_task("import", total=table.size)
                    for line, item in read_ranges(table):
                        progress.update(task, completed=table.position())
                        if isinstance(item, str):
                            bad += 1
                            progress.console.print(
                                f"line {line}: {item}",
                                markup=False,
                                highlight=False,
                                soft_wrap=True,
                            )
                            continue
                        pending.append(item)
                        if len(pending) >= BATCH:
                            flush()
                    if pending:
                        flush()
        except AppError:
            if counts.added or counts.updated:  # the batches written so far stay: say so
                err.print(
                    f"{_summary(counts, bad)} before the error; fix the file and import it "
                    "again (ranges already written are not written twice)",
                    highlight=False,
                    soft_wrap=True,
                )
            raise
        return counts, bad

    counts, bad = run_work(work)
    err.print(_summary(counts, bad), highlight=False, soft_wrap=True)
    typer.echo(counts.added + counts.updated)


def _summary(counts: "ImportCounts", bad: int) -> str:
    written = counts.added + counts.updated
    return (
        f"{_plural(written, 'range')} imported ({counts.added} new, {counts.updated} updated); "
        f"{counts.unchanged} already present; {_plural(bad, 'bad line')} skipped"
    )
