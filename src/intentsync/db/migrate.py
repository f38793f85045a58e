"""Run Alembic migrations from code, and tell whether a database is at this code's head.

An installed package migrates without alembic.ini; every entry point checks the revision first
so an unmigrated database gets one line of advice instead of `no such table` on every call.
"""

import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, column, select, table
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, ProgrammingError

from intentsync.kit.errors import ServiceUnavailable

MIGRATIONS = Path(__file__).parent / "migrations"
FIX = "intentsync db upgrade"
_PASSWORD = re.compile(r"(://[^:/@]*:)[^/]*@")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head() -> str:
    """The revision this code expects (migrations never branch)."""
    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    return ", ".join(sorted(heads))


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def redacted(url: str) -> str:
    """The URL as a person may see it: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD.sub(r"\1***@", url)


def require_location(url: str, *, must_exist: bool = True) -> None:
    """Refuse a URL that is not one, or a SQLite file (or its directory) that is not there.

    Checked before any engine exists: connecting would create an empty file at a mistyped path.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ServiceUnavailable(
            f"the database URL '{redacted(url)}' is not a URL; set INTENTSYNC_DATABASE_URL to e.g. "
            "sqlite:///./intentsync.db or postgresql://user@host/dbname"
        ) from None
    if not parsed.drivername.startswith("sqlite"):
        return
    name = parsed.database or ""
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if not path.parent.is_dir():
        raise ServiceUnavailable(
            f"cannot open database {redacted(url)}: directory '{path.parent}' does not exist"
        )
    if must_exist and not path.exists():
        if path.is_absolute():
            raise ServiceUnavailable(
                f"database {redacted(url)} does not exist; create it with: {FIX}"
            )
        # The default URL is relative: run from another folder, the database seems to vanish.
        raise ServiceUnavailable(
            f"database {redacted(url)} does not exist in this directory ({path.absolute()}); "
            "run intentsync where the database is, or set INTENTSYNC_DATABASE_URL, "
            f"or create it here with: {FIX}"
        )


def unreachable(url: str, exc: Exception) -> ServiceUnavailable:
    """One line for a server that is down, refuses us, or a driver that is not installed."""
    text = str(exc.orig if isinstance(exc, DBAPIError) else exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    return ServiceUnavailable(f"cannot reach database {redacted(url)}: {reason}")


def unusable(url: str, exc: DBAPIError) -> ServiceUnavailable:
    """One line for a database we reach but cannot read: permissions, or not a database."""
    text = str(exc.orig).strip()
    reason = text.splitlines()[0] if text else type(exc.orig).__name__
    return ServiceUnavailable(f"cannot use database {redacted(url)}: {reason}")


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions stored in the database: one query when the version table exists."""
    context = MigrationContext.configure(connection)
    versions = table(
        context.version_table, column("version_num"), schema=context.version_table_schema
    )
    try:
        return tuple(connection.execute(select(versions.c.version_num)).scalars())
    except (OperationalError, ProgrammingError):
        connection.rollback()  # PostgreSQL refuses further queries in a failed transaction
        return context.get_current_heads()  # () when there is no version table: not migrated


def schema_problem(connection: Connection, url: str) -> str | None:
    """Why this database cannot serve this code, as one line; None when it is at the head."""
    script = ScriptDirectory(str(MIGRATIONS))
    current = current_revisions(connection)
    heads = script.get_heads()
    if set(current) == set(heads):
        return None
    where = f"database {redacted(url)}"
    if not current:
        return f"{where} is not set up (no migrations applied); run: {FIX}"
    for revision in current:
        try:
            script.get_revision(revision)
        except CommandError:
            return (
                f"{where} is at revision {revision}, which this version of intentsync does not "
                "know: it was migrated by a newer intentsync; run that version (or a newer one)"
            )
    pending = sum(1 for _ in script.iterate_revisions(tuple(heads), tuple(current)))
    return f"{where} is {pending} migration(s) behind this version of intentsync; run: {FIX}"


def require_current(engine: Engine, url: str) -> None:
    """Refuse, with the command that fixes it, a database this code cannot use."""
    try:
        with engine.connect() as connection:
            problem = schema_problem(connection, url)
    except OperationalError as exc:
        raise unreachable(url, exc) from None
    except DBAPIError as exc:  # no rights on its tables, or a file that is not a database
        raise unusable(url, exc) from None
    if problem is not None:
        raise ServiceUnavailable(problem)
