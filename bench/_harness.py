"""Shared benchmark setup, so every script measures the same server, rows and databases."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import httpx
from sqlalchemy import Table, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from intentsync.accounts.service import new_account_row
from intentsync.config import Settings
from intentsync.db.dialect import insert_rows
from intentsync.db.engine import Database, is_sqlite, normalise_url
from intentsync.db.migrate import upgrade
from intentsync.db.models import Account
from intentsync.kit.domains import clean_domain
from intentsync.teams import repository as teams_repository
from intentsync.teams.service import create_team

HOST = "127.0.0.1"
CRM = "/api/v1/crm"
BATCH = 100
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
ACCOUNTS_TABLE = cast(Table, Account.__table__)


class BenchError(RuntimeError):
    """A failed check or setup step: the run stops and nothing is reported as a figure."""


class Deadline:
    """A wall-clock budget for the whole run, so a stuck server cannot hang the benchmark."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def check(self, what: str) -> None:
        if self.remaining() <= 0:
            raise BenchError(f"time budget of {self.seconds:.0f}s ran out during {what}")


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so the server is stopped and fresh databases dropped."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def bench_main(
    parse_args: Callable[[], argparse.Namespace], run: Callable[[argparse.Namespace], bool | None]
) -> int:
    """The exit code every script shares: 2 on a failed check, 1 on a missed --check-targets."""
    args = parse_args()
    exit_cleanly_on_sigterm()
    try:
        met = run(args)
    except BenchError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 2
    return 1 if getattr(args, "check_targets", False) and met is False else 0


def add_common_arguments(
    parser: argparse.ArgumentParser,
    *,
    accounts: int = 100_000,
    accounts_help: str = "accounts to load",
) -> None:
    """Options every script shares: database choice, run budget and server log level."""
    parser.add_argument(
        "--accounts", type=int, default=accounts, help=f"{accounts_help} (default {accounts})"
    )
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql"),
        default=None,
        help="kind of fresh databases to create (default sqlite, or the kind of --database-url)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help=(
            "existing database the server under test uses (migrated, never dropped; a new "
            "team is created in it); helper databases are still fresh ones of the same kind"
        ),
    )
    parser.add_argument(
        "--postgres-admin-url",
        default=None,
        help=(
            "PostgreSQL server on which fresh intentsync_bench_<hex> databases are created "
            f"and dropped (default: the server of --database-url, else {DEFAULT_ADMIN_URL})"
        ),
    )
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="budget for the whole run in seconds"
    )
    parser.add_argument(
        "--server-log-level", default="warning", help="INTENTSYNC_LOG_LEVEL for the server"
    )


def _check_loopback(url: str) -> None:
    host = make_url(url).host
    if host is not None and host not in LOOPBACK:
        raise BenchError(f"benchmarks only talk to 127.0.0.1; refusing database host {host!r}")


@dataclass(frozen=True)
class Workspace:
    """A team, user and API key provisioned through the CLI in one database."""

    url: str
    team_id: int
    email: str
    key: str


@dataclass(frozen=True)
class Server:
    """A running `intentsync serve` subprocess and how to reach it."""

    base_url: str
    key: str

    def client(self, *, timeout: float = 120.0) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"X-Api-Key": self.key},
            timeout=timeout,
            trust_env=False,
        )


class Bench:
    """Owns one run's temp dir, fresh databases, servers and deadline; cleans all of them up."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.database_url: str | None = args.database_url
        if self.database_url is not None:
            kind = "sqlite" if is_sqlite(normalise_url(self.database_url)) else "postgresql"
            if args.backend is not None and args.backend != kind:
                raise BenchError(f"--backend {args.backend} contradicts --database-url ({kind})")
        else:
            kind = args.backend or "sqlite"
        self.kind: str = kind
        admin = args.postgres_admin_url
        if admin is None and self.database_url is not None and kind == "postgresql":
            admin = (
                make_url(normalise_url(self.database_url))
                .set(database="postgres")
                .render_as_string(hide_password=False)
            )
        self.admin_url = normalise_url(admin or DEFAULT_ADMIN_URL)
        if kind == "postgresql":
            _check_loopback(self.admin_url)
            if self.database_url is not None:
                _check_loopback(normalise_url(self.database_url))
        self.deadline = Deadline(args.timeout)
        self.log_level: str = args.server_log_level
        self.workdir = Path(tempfile.mkdtemp(prefix="intentsync-bench-"))
        self._created: list[str] = []
        self._fresh_count = 0

    def __enter__(self) -> Bench:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def describe(self) -> str:
        """The database kind and how many processes `intentsync serve` runs with this env."""
        processes = Settings().server_processes()
        served = f"{processes} server process{'es' if processes > 1 else ''}"
        if self.kind == "sqlite":
            where = "temp files" if self.database_url is None else "given url"
            return f"sqlite ({where}), {served}"
        at = make_url(self.admin_url)
        return f"postgresql on {at.host}:{at.port or 5432}, {served}"

    def main_url(self) -> str:
        """The database the server under test uses: the given one, else a fresh one."""
        return self.database_url or self.fresh("main")

    def fresh(self, label: str) -> str:
        """An empty database of the run's kind, not yet migrated."""
        self._fresh_count += 1
        if self.kind == "sqlite":
            path = self.workdir / f"{self._fresh_count:02d}-{label}.db"
            return f"sqlite:///{path}"
        name = f"intentsync_bench_{secrets.token_hex(4)}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with admin.connect() as conn:
                quoted = admin.dialect.identifier_preparer.quote(name)
                conn.execute(text(f"CREATE DATABASE {quoted}"))
        finally:
            admin.dispose()
        self._created.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        """Drop the PostgreSQL databases this run created and remove the temp dir."""
        problems: list[str] = []
        if self._created:
            admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            try:
                with admin.connect() as conn:
                    for name in self._created:
                        quoted = admin.dialect.identifier_preparer.quote(name)
                        try:
                            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
                        except Exception as exc:
                            problems.append(f"could not drop {name}: {exc}")
            finally:
                admin.dispose()
            self._created.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)
        for problem in problems:
            print(f"warning: {problem}", file=sys.stderr)

    def cli(self, url: str, *args: str) -> str:
        """Run one `intentsync` CLI command against url and return its last stdout line."""
        self.deadline.check(f"intentsync {args[0]}")
        env = {**os.environ, "INTENTSYNC_DATABASE_URL": url}
        try:
            done = subprocess.run(
                [sys.executable, "-m", "intentsync", *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=max(5.0, min(300.0, self.deadline.remaining())),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"intentsync {' '.join(args[:2])} timed out") from exc
        if done.returncode != 0:
            raise BenchError(
                f"intentsync {' '.join(args[:2])} exited {done.returncode}: {done.stderr[-2000:]}"
            )
        lines = done.stdout.strip().splitlines()
        if not lines:
            raise BenchError(f"intentsync {' '.join(args[:2])} printed nothing")
        return lines[-1].strip()

    def provision(self, url: str, team_name: str) -> Workspace:
        """Migrate url and create a team, user and key through the CLI, as an operator would."""
        self.cli(url, "db", "upgrade")
        team_id = int(self.cli(url, "team", "create", team_name))
        email = f"bench-{secrets.token_hex(4)}@example.com"
        self.cli(url, "user", "create", "--team", str(team_id), "--email", email)
        key = self.cli(url, "key", "generate", "--email", email)
        return Workspace(url=url, team_id=team_id, email=email, key=key)

    @contextmanager
    def server(self, ws: Workspace) -> Iterator[Server]:
        """Serve ws.url on a free loopback port until the block ends; the process always stops."""
        port = free_port()
        log_path = self.workdir / f"server-{port}.log"
        env = {
            **os.environ,
            "INTENTSYNC_DATABASE_URL": ws.url,
            "INTENTSYNC_LOG_LEVEL": self.log_level,
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "intentsync", "serve", "--host", HOST, "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        server = Server(base_url=f"http://{HOST}:{port}", key=ws.key)
        try:
            self._wait_ready(process, server, log_path)
            yield server
        finally:
            stop_process(process)

    def _wait_ready(self, process: subprocess.Popen[bytes], server: Server, log: Path) -> None:
        give_up = time.monotonic() + min(60.0, max(1.0, self.deadline.remaining()))
        with server.client(timeout=5.0) as client:
            while True:
                if process.poll() is not None:
                    raise BenchError(f"server exited {process.returncode}:\n{tail(log)}")
                try:
                    response = client.get(f"{CRM}/accounts", params={"limit": 1})
                    if response.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > give_up:
                    raise BenchError(f"server did not become ready:\n{tail(log)}")
                time.sleep(0.1)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Ask uvicorn to shut down, then kill this one process if it does not."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return "(no server log)"


def account_payload(i: int) -> dict[str, Any]:
    """The wire form of benchmark account i; every field the brief names is set."""
    return {
        "externalId": f"bench-{i:07d}",
        "domain": f"bench-{i:07d}.example.com",
        "name": f"Bench Account {i}",
        "tags": ["bench", f"tier-{i % 5}"],
        "shortName": f"BA{i}",
    }


def payloads(count: int) -> list[dict[str, Any]]:
    return [account_payload(i) for i in range(count)]


def service_row(payload: dict[str, Any], *, team_id: int, stamp: int) -> dict[str, Any]:
    """The row accounts.service.create_accounts inserts for a new account: the same function."""
    return new_account_row(
        team_id=team_id,
        external_id=payload["externalId"],
        domain=clean_domain(payload["domain"]),
        name=payload["name"],
        short_name=payload.get("shortName"),
        linkedin_url=payload.get("linkedinUrl"),
        tags=payload.get("tags"),
        custom_fields=payload.get("customFields"),
        stamp=stamp,
    )


def push_accounts(
    server: Server, items: Sequence[dict[str, Any]], *, clients: int, deadline: Deadline
) -> float:
    """Push accounts in batches of BATCH and check each one came back created; return seconds."""
    return push_batches(
        server,
        Batches(path=f"{CRM}/accounts", list_key="accounts", id_key="externalId", size=BATCH),
        items,
        clients=clients,
        deadline=deadline,
    )


@dataclass(frozen=True)
class Batches:
    """Where a bulk-create endpoint lives and how its bodies and per-item results are keyed."""

    path: str
    list_key: str
    id_key: str
    size: int


def push_batches(
    server: Server,
    spec: Batches,
    items: Sequence[dict[str, Any]],
    *,
    clients: int,
    deadline: Deadline,
) -> float:
    """Time the server alone: bodies are encoded before and replies checked after the clock."""
    bodies = [
        json.dumps({spec.list_key: list(items[i : i + spec.size])}, separators=(",", ":")).encode()
        for i in range(0, len(items), spec.size)
    ]
    what = spec.path.rsplit("/", 1)[-1]
    replies: list[bytes | None] = [None] * len(bodies)
    failures: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()
    cursor = [0]

    def take() -> int | None:
        with lock:
            index = cursor[0]
            cursor[0] += 1
        return index if index < len(bodies) and not stop.is_set() else None

    def fail(message: str) -> None:
        with lock:
            failures.append(message)
        stop.set()

    def work(client: httpx.Client) -> None:
        while (index := take()) is not None:
            if deadline.remaining() <= 0:
                fail(f"time budget ran out while pushing {what}")
                return
            try:
                response = client.post(
                    spec.path,
                    content=bodies[index],
                    headers={"Content-Type": "application/json"},
                )
            except httpx.HTTPError as exc:
                fail(f"batch {index}: {type(exc).__name__}: {exc}")
                return
            if response.status_code != 200:
                fail(f"batch {index}: HTTP {response.status_code}: {response.text[:500]}")
                return
            replies[index] = response.content

    pool = [server.client() for _ in range(clients)]
    try:
        threads = [
            threading.Thread(target=work, args=(c,), name=f"client-{n}", daemon=True)
            for n, c in enumerate(pool)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(1.0, deadline.remaining() + 130))
        elapsed = time.perf_counter() - started
        if any(thread.is_alive() for thread in threads):
            raise BenchError("a client thread did not finish within the time budget")
    finally:
        for client in pool:
            client.close()
    if failures:
        raise BenchError(f"pushing {what} failed: " + "; ".join(failures[:5]))
    _check_created(spec, items, replies)
    return elapsed


def _check_created(
    spec: Batches, items: Sequence[dict[str, Any]], replies: Sequence[bytes | None]
) -> None:
    for index, raw in enumerate(replies):
        if raw is None:
            raise BenchError(f"batch {index} got no response")
        data = json.loads(raw)["data"]
        sent = items[index * spec.size : (index + 1) * spec.size]
        results = data["results"]
        if len(results) != len(sent) or data["summary"]["created"] != len(sent):
            raise BenchError(f"batch {index}: summary {data['summary']}, sent {len(sent)}")
        for item, result in zip(sent, results, strict=True):
            if result["status"] != "created" or result[spec.id_key] != item[spec.id_key]:
                raise BenchError(f"batch {index}: item {item[spec.id_key]} came back {result}")


def make_team(url: str, name: str) -> int:
    """Migrate a fresh database in-process and create a team (with its sync clock row)."""
    upgrade(url)
    db = Database(url, pool_size=1)
    try:
        with db.transaction() as session:
            return create_team(session, name=name).id
    finally:
        db.dispose()


def team_clock(url: str, team_id: int) -> int:
    db = Database(url, pool_size=1)
    try:
        with db.transaction(write=False) as session:
            return teams_repository.read_clock(session, team_id=team_id)
    finally:
        db.dispose()


def core_insert(
    url: str, rows_per_transaction: Sequence[Sequence[dict[str, Any]]], *, positional: bool = False
) -> float:
    """Insert pre-built rows with Core executemany, one transaction per chunk; return seconds.

    positional=True goes through db.dialect.insert_rows, the path the API itself uses.
    """
    db = Database(url, pool_size=1)
    statement = ACCOUNTS_TABLE.insert()
    try:
        started = time.perf_counter()
        for chunk in rows_per_transaction:
            with db.transaction() as session:
                if positional:
                    insert_rows(session, ACCOUNTS_TABLE, chunk)
                else:
                    session.execute(statement, list(chunk))
        return time.perf_counter() - started
    finally:
        db.dispose()


def analyze(url: str) -> None:
    """Refresh planner statistics, as autovacuum would some time after a bulk load."""
    db = Database(url, pool_size=1)
    try:
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE accounts"))
            conn.commit()
    finally:
        db.dispose()


def count_accounts(url: str, team_id: int) -> int:
    db = Database(url, pool_size=1)
    try:
        with db.transaction(write=False) as session:
            query = select(func.count()).select_from(Account).where(Account.team_id == team_id)
            return int(session.scalar(query) or 0)
    finally:
        db.dispose()


def chunked(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "inf"


def print_table(title: str, rows: Sequence[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    print()
    print(title)
    print("-" * (width + 2 + max(len(value) for _, value in rows)))
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
