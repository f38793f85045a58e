"""`intentsync ip-ranges`: import the CIDR blocks that name the company behind a visitor."""

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from intentsync.commands import err, fail, run_work
from intentsync.db.engine import Database

ip_ranges_app = typer.Typer(
    no_args_is_help=True, help="IP ranges that name the company behind a website visitor"
)

BATCH = 500  # ranges per transaction: a long import never holds the write lock for long
PROGRESS_MIN_LINES = 5000  # smaller files finish before a bar would tell anyone anything


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@ip_ranges_app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(help="CSV with a header row: cidr (or network), domain, kind")
    ],
    team: Annotated[int, typer.Option("--team", help="Team id")],
) -> None:
    """Import a CSV of IP ranges (re-importing adds nothing) and print how many were written."""
    from intentsync.ip_ranges.parsing import HeaderError, ParsedRange, parse_csv
    from intentsync.ip_ranges.service import ImportCounts, import_ranges
    from intentsync.teams.service import require_team

    try:
        lines = file.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {file}: {exc}") from None

    def work(db: Database) -> tuple[ImportCounts, int]:
        with db.transaction(write=False) as session:
            require_team(session, team_id=team)
        counts, bad, pending = ImportCounts(), 0, list[ParsedRange]()

        def flush() -> None:
            nonlocal counts
            with db.transaction() as session:
                counts += import_ranges(session, team_id=team, ranges=pending)
            pending.clear()

        columns = (TextColumn("lines"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        quiet = len(lines) < PROGRESS_MIN_LINES
        with Progress(*columns, console=err, transient=True, disable=quiet) as progress:
            task = progress.add_task("import", total=len(lines))
            for line, item in parse_csv(lines):
                progress.update(task, completed=line)
                if isinstance(item, str):
                    bad += 1
                    progress.console.print(
                        f"line {line}: {item}", markup=False, highlight=False, soft_wrap=True
                    )
                    continue
                pending.append(item)
                if len(pending) >= BATCH:
                    flush()
            if pending:
                flush()
        return counts, bad

    try:
        counts, bad = run_work(work)
    except HeaderError as exc:
        raise fail(f"{file}: {exc}") from None
    written = counts.added + counts.updated
    err.print(
        f"{_plural(written, 'range')} imported ({counts.added} new, {counts.updated} updated); "
        f"{counts.unchanged} already present; {_plural(bad, 'bad line')} skipped",
        highlight=False,
        soft_wrap=True,
    )
    typer.echo(written)
