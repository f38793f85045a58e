"""Engines and sessions: SQLite gets WAL and explicit BEGIN, PostgreSQL snapshot reads."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

from intentsync.db.writers import QueuedConnection, WriterQueue

WRITE_OPTION = "intentsync_write"
BUSY_TIMEOUT_SECONDS = 60
UNICODE_LOWER = "unicode_lower"


def unicode_lower(value: object) -> object:
    """Python's lower() for SQL on SQLite, whose own lower() leaves non-ASCII letters alone."""
    return value.lower() if isinstance(value, str) else value


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def normalise_url(url: str) -> str:
    """Plain postgres URLs use psycopg 3, the driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _configure_sqlite(engine: Engine, writers: WriterQueue | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so reads share one snapshot.
        dbapi_connection.isolation_level = None
        dbapi_connection.queue = writers
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()
        # SQLite's lower() and LIKE fold ASCII letters only; queries that must match
        # "Über" for "über" as PostgreSQL does call this instead.
        dbapi_connection.create_function(UNICODE_LOWER, 1, unicode_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if not conn.get_execution_options().get(WRITE_OPTION, False):
            conn.exec_driver_sql("BEGIN")
            return
        # Writers queue, then lock up front: a deferred upgrade would fail instead of waiting.
        dbapi_connection: QueuedConnection = conn.connection.dbapi_connection  # type: ignore[assignment]
        dbapi_connection.begin_write(lambda: conn.exec_driver_sql("BEGIN IMMEDIATE"))


def dump_json(value: Any) -> str:
    """How JSON columns are stored (and read back with orjson.loads)."""
    return orjson.dumps(value).decode()


def dump_json_all(values: list[Any]) -> list[str]:
    """dump_json over a whole column, with no Python frame per value."""
    return list(map(bytes.decode, map(orjson.dumps, values)))


def make_engine(url: str, *, pool_size: int = 10, writers: WriterQueue | None = None) -> Engine:
    """An engine for url; SQLite writers wait in the given queue, if any, before they begin."""
    url = normalise_url(url)
    if is_sqlite(url):
        engine = create_engine(
            url,
            json_serializer=dump_json,
            json_deserializer=orjson.loads,
            connect_args={
                "check_same_thread": False,
                "timeout": BUSY_TIMEOUT_SECONDS,
                "factory": QueuedConnection,
            },
            pool_size=pool_size,
            max_overflow=pool_size * 2,
        )
        _configure_sqlite(engine, writers)
        return engine
    engine = create_engine(
        url,
        json_serializer=dump_json,  # as on SQLite: one encoder, which keeps orjson fragments
        json_deserializer=orjson.loads,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,
    )
    _configure_postgresql(engine)
    return engine


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # psycopg prepares repeated statements, and PostgreSQL may then keep one generic plan
        # chosen while a table was small: without fresh statistics a write's per-key lookups
        # went on scanning a team's whole table as it grew. Writes plan each execution for its
        # values; reads keep the plan cache, whose generic page plans hold up without statistics.
        if conn.get_execution_options().get(WRITE_OPTION, False):
            conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


class Database:
    """Two session factories over one pool: writers serialise, readers see one snapshot."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = normalise_url(url)
        self.writers = (
            WriterQueue(make_url(self.url).database, timeout=BUSY_TIMEOUT_SECONDS)
            if is_sqlite(self.url)
            else None
        )
        self.engine = make_engine(self.url, pool_size=pool_size, writers=self.writers)
        if is_sqlite(self.url):
            write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
            read_engine = self.engine
        else:
            write_engine = self.engine.execution_options(
                isolation_level="READ COMMITTED", **{WRITE_OPTION: True}
            )
            read_engine = self.engine.execution_options(isolation_level="REPEATABLE READ")
        self._write = sessionmaker(bind=write_engine, expire_on_commit=False)
        self._read = sessionmaker(bind=read_engine, expire_on_commit=False)

    def session(self, *, write: bool) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """Jobs and the CLI own their transaction here, as requests do in the router."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.writers is not None:
            self.writers.close()
