"""What every CLI command shares: the stderr console, a database, and how errors end it.

Results go to stdout (last line); everything for people goes to stderr, so scripts can
capture the result. Whatever goes wrong ends as one line on stderr: exit 1 for a user's or
the environment's mistake, 2 for a malformed command line, 70 for a bug (with an incident id
and the traceback written to a file, never to the terminal).
"""

import os
import secrets
import socket
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import ArgumentError, OperationalError
from typer._click.core import Command, Context
from typer._click.exceptions import MissingParameter, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup, TyperOption

from intentsync.config import get_settings
from intentsync.db.engine import Database
from intentsync.db.migrate import redacted, require_current, require_location
from intentsync.kit.errors import AppError, BadRequest, ServiceUnavailable

T = TypeVar("T")

err = Console(stderr=True)

EXIT_BUG = 70  # EX_SOFTWARE from sysexits.h: an internal error, not the user's


def open_database(*, migrated: bool = True) -> Database:
    """The configured database, refused in one line if unreachable or not at this code's head."""
    url = get_settings().database_url
    require_location(url, must_exist=migrated)
    try:
        db = Database(url, pool_size=1)
    except (ArgumentError, ImportError) as exc:  # a dialect or driver intentsync does not ship
        raise ServiceUnavailable(
            f"cannot use database {redacted(url)}: {exc}; intentsync speaks sqlite:/// and "
            "postgresql:// URLs"
        ) from None
    if not migrated:
        return db
    try:
        require_current(db.engine, url)
    except BaseException:
        db.dispose()
        raise
    return db


def require_free_address(host: str, port: int) -> None:
    """One line, before any server process starts, when the address cannot be listened on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise BadRequest(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind(address)
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise BadRequest(
                f"cannot listen on {host}:{port}: {reason}; stop the other server or choose "
                "another port with --port or INTENTSYNC_PORT"
            ) from None


def fail(message: str) -> typer.Exit:
    """Print the reason verbatim (no markup, no wrapping) and give the exit to raise."""
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
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


def read_text(path: Path | str, what: str) -> str:
    """A UTF-8 text file ('-' is stdin), or a one-line reason naming it and what it was for."""
    where = f"{what} '{path}'"
    try:
        # stdin as bytes too, so a bad byte gets the same line as in a file, whatever the locale
        data = sys.stdin.buffer.read() if str(path) == "-" else Path(path).read_bytes()
    except FileNotFoundError:
        raise BadRequest(f"cannot read {where}: no such file") from None
    except IsADirectoryError:
        raise BadRequest(f"cannot read {where}: it is a directory") from None
    except PermissionError:
        raise BadRequest(f"cannot read {where}: permission denied") from None
    except OSError as exc:
        raise BadRequest(f"cannot read {where}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"{where} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None


def incident_dir() -> Path:
    """Where tracebacks of unexpected failures go: $XDG_STATE_HOME/intentsync/incidents."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "intentsync" / "incidents"


def report_incident(exc: BaseException) -> NoReturn:
    """Write the traceback to a file and tell the user, in one line, its id and where it is."""
    incident = secrets.token_hex(4)
    details = "".join(traceback.format_exception(exc))
    text = f"incident {incident}\ncommand: intentsync {' '.join(sys.argv[1:])}\n\n{details}"
    place: str
    try:
        folder = incident_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{incident}.log"
        path.write_text(text, encoding="utf-8")
        place = f"the traceback is in {path}"
    except OSError:
        place = "the traceback could not be written to a file"
    err.print(
        f"[red]error:[/red] unexpected failure ({escape(type(exc).__name__)}), incident "
        f"{incident}; {escape(place)}; please report it with that file",
        soft_wrap=True,
        highlight=False,
    )
    sys.exit(EXIT_BUG)


def _commands(command: Command) -> Iterator[Command]:
    yield command
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            yield from _commands(sub)


def hide_flag_placeholders(root: Command) -> Command:
    """On/off flags take no value, so help shows none (Typer would print `<bool>`)."""
    for command in _commands(root):
        params = [*command.params, command.get_help_option(Context(command))]
        for param in params:
            if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
                param.metavar = ""
    return root


def _usage_line(exc: UsageError) -> str:
    where = f"; see: {exc.ctx.command_path} --help" if exc.ctx is not None else ""
    return f"{exc.format_message().rstrip('.')}{where}"


def run(app: typer.Typer) -> NoReturn:
    """Run the command line so that nothing a user can cause prints a traceback."""
    command = hide_flag_placeholders(typer.main.get_command(app))
    try:
        code = command.main(prog_name="intentsync", standalone_mode=False)
    except NoArgsIsHelpError:
        sys.exit(2)  # the help was printed
    except UsageError as exc:
        # A bad value is the user's mistake like any other (exit 1); a malformed command
        # line keeps Click's usage exit (2). Either way one line.
        bad_value = not isinstance(exc, MissingParameter) and isinstance(exc, typer.BadParameter)
        fail(_usage_line(exc))
        sys.exit(1 if bad_value else 2)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except AppError as exc:
        fail(exc.custom_message)
        sys.exit(1)
    except OperationalError as exc:  # the server went away, a disk is full, a lock timed out
        reason = (str(exc.orig).strip() or type(exc.orig).__name__).splitlines()[0]
        fail(f"database {redacted(get_settings().database_url)} failed: {reason}")
        sys.exit(1)
    except Exception as exc:
        report_incident(exc)
    sys.exit(code if isinstance(code, int) else 0)
