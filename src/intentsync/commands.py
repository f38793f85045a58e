"""What every CLI command shares: the stderr console, a database, and how errors end it.

Results go to stdout (last line); everything for people goes to stderr, so scripts can
capture the result.
"""

from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from intentsync.config import get_settings
from intentsync.db.engine import Database
from intentsync.kit.errors import AppError

T = TypeVar("T")

err = Console(stderr=True)


def open_database() -> Database:
    return Database(get_settings().database_url, pool_size=1)


def fail(message: str) -> typer.Exit:
    """Print the reason verbatim (no markup, no wrapping) and give the exit to raise."""
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    return typer.Exit(1)


def run_work(work: Callable[[Database], T]) -> T:
    """Run one unit of work against its own database; business errors exit 1 with the reason."""
    db = open_database()
    try:
        return work(db)
    except AppError as exc:
        raise fail(exc.custom_message) from None
    finally:
        db.dispose()
