"""SQLite writers queue in turn, across threads and processes, and always leave the queue."""

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from intentsync.db.engine import Database
from intentsync.db.migrate import upgrade
from intentsync.db.writers import LOCK_SUFFIX, WriterQueue, lock_path, waiting_until
from intentsync.teams.service import create_team


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'writers.db'}"
    upgrade(url)
    return url


def team_names(db: Database) -> list[str]:
    with db.transaction(write=False) as session:
        return list(session.execute(text("SELECT name FROM teams ORDER BY id")).scalars())


def test_lock_path_sits_beside_the_database_file():
    assert lock_path("/data/intentsync.db") == "/data/intentsync.db" + LOCK_SUFFIX
    assert lock_path(None) is None
    assert lock_path(":memory:") is None
    assert lock_path("") is None


def test_a_writer_waits_for_the_writer_ahead_and_then_runs(sqlite_url):
    first, second = Database(sqlite_url), Database(sqlite_url)
    started = threading.Event()
    finished = threading.Event()

    def later_writer() -> None:
        started.set()
        with second.transaction() as session:
            create_team(session, name="second")
        finished.set()

    try:
        with first.transaction() as session:
            create_team(session, name="first")
            thread = threading.Thread(target=later_writer)
            thread.start()
            assert started.wait(5)
            assert not finished.wait(0.3), "the second writer ran while the first held the lock"
        thread.join(10)
        assert finished.is_set()
        assert team_names(first) == ["first", "second"]
    finally:
        first.dispose()
        second.dispose()


def test_a_writer_in_another_process_waits_its_turn(sqlite_url, tmp_path):
    """The file lock queues processes: the child writes only after the parent commits."""
    db = Database(sqlite_url)
    ready = tmp_path / "child-ready"
    child_code = textwrap.dedent(
        f"""
        from pathlib import Path
        from intentsync.db.engine import Database
        from intentsync.teams.service import create_team
        db = Database({sqlite_url!r})
        Path({str(ready)!r}).touch()
        with db.transaction() as session:
            create_team(session, name="child")
        """
    )
    try:
        with db.transaction() as session:
            create_team(session, name="parent")
            child = subprocess.Popen([sys.executable, "-c", child_code])
            for _ in range(300):
                if ready.exists() or child.poll() is not None:
                    break
                threading.Event().wait(0.05)
            assert ready.exists(), "the child process did not start"
            with pytest.raises(subprocess.TimeoutExpired):
                child.wait(timeout=0.5)  # still queued behind the parent
        assert child.wait(timeout=30) == 0
        assert team_names(db) == ["parent", "child"]
    finally:
        db.dispose()


def test_a_writer_that_waits_too_long_gets_the_database_is_locked_error(sqlite_url, tmp_path):
    holder = WriterQueue(str(tmp_path / "writers.db"), timeout=5)
    waiter = WriterQueue(str(tmp_path / "writers.db"), timeout=0.2)
    holder.acquire()
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            waiter.acquire()
    finally:
        holder.release()
    waiter.acquire()  # free again once the holder left
    waiter.release()
    holder.close()
    waiter.close()


def assert_next_writer_gets_in(db: Database) -> None:
    """A writer of the same process gets in at once; a queue left taken would time it out."""
    assert db.writers is not None
    db.writers.timeout = 1
    with db.transaction() as session:
        create_team(session, name="next writer")
    assert "next writer" in team_names(db)


def assert_queue_is_free(db: Database) -> None:
    """Both locks are free now: this process's (with the ending connection still held) and the
    file lock, asked from another process, as another server worker would."""
    assert db.writers is not None
    db.writers.timeout = 0.5
    db.writers.acquire()
    db.writers.release()
    assert lock_file_is_free(make_url(db.url).database)


@pytest.mark.parametrize("ending", ["commit", "rollback", "close without commit"])
def test_every_way_a_session_ends_leaves_the_queue(sqlite_url, ending):
    db = Database(sqlite_url)
    try:
        session = db.session(write=True)
        create_team(session, name=f"ends by {ending}")
        if ending == "commit":
            session.commit()
        elif ending == "rollback":
            session.rollback()
        session.close()  # without commit: the pool rolls the connection back
        assert_next_writer_gets_in(db)
    finally:
        db.dispose()


def insert_team(conn: Connection, name: str) -> None:
    conn.execute(text("INSERT INTO teams (name, created_ms) VALUES (:n, 1)"), {"n": name})


@pytest.mark.parametrize("ending", ["commit", "rollback", "failed commit", "invalidate"])
def test_a_connection_still_held_has_left_the_queue_once_its_transaction_ends(sqlite_url, ending):
    """Each ending's own release: the connection stays checked out, so no pool reset helps."""
    db = Database(sqlite_url)
    write_engine = db.session(write=True).get_bind()
    try:
        with write_engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            if ending == "failed commit":
                # A deferred foreign key is checked at COMMIT, which fails and keeps the
                # transaction open (SQLite's lock too) until the rollback below.
                conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
                conn.execute(
                    text(
                        "INSERT INTO users (team_id, email, created_ms) "
                        "VALUES (987654, 'nobody@example.com', 1)"
                    )
                )
            else:
                insert_team(conn, ending)
            assert raw.in_queue
            if ending == "commit":
                conn.commit()
            elif ending == "rollback":
                conn.rollback()
            elif ending == "failed commit":
                with pytest.raises(IntegrityError, match="FOREIGN KEY"):
                    conn.commit()
            else:
                conn.invalidate()  # the pool closes the driver connection at once
            assert not raw.in_queue
            assert_queue_is_free(db)
            if ending == "failed commit":
                raw.rollback()
        assert_next_writer_gets_in(db)
        assert (ending in team_names(db)) is (ending == "commit")
    finally:
        db.dispose()


def test_a_connection_returned_to_the_pool_mid_transaction_leaves_the_queue(sqlite_url):
    """Reset on return: the pool's rollback of a connection nobody committed or rolled back."""
    db = Database(sqlite_url)
    try:
        pooled = db.engine.raw_connection()
        raw = pooled.dbapi_connection
        raw.begin_write(lambda: raw.execute("BEGIN IMMEDIATE"))
        raw.execute("INSERT INTO teams (name, created_ms) VALUES ('abandoned', 1)")
        assert raw.in_queue
        pooled.close()
        assert not raw.in_queue
        assert_queue_is_free(db)
        assert_next_writer_gets_in(db)
        assert "abandoned" not in team_names(db)
    finally:
        db.dispose()


def test_a_process_that_exits_mid_transaction_leaves_the_queue(sqlite_url, tmp_path):
    """No cleanup runs in a process that dies: the system drops its file lock (and SQLite's)."""
    db = Database(sqlite_url)
    child_code = textwrap.dedent(
        f"""
        import os
        from intentsync.db.engine import Database
        from intentsync.teams.service import create_team
        session = Database({sqlite_url!r}).session(write=True)
        create_team(session, name="never committed")
        session.flush()
        os._exit(0)
        """
    )
    try:
        assert subprocess.run([sys.executable, "-c", child_code], timeout=60).returncode == 0
        assert_queue_is_free(db)
        assert_next_writer_gets_in(db)
        assert "never committed" not in team_names(db)
    finally:
        db.dispose()


def test_a_failed_begin_leaves_the_queue(sqlite_url):
    """BEGIN IMMEDIATE fails inside an open transaction; the queue must not stay taken."""
    db = Database(sqlite_url)
    assert db.writers is not None
    try:
        with db.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            raw.execute("BEGIN")  # a transaction the pool does not know about
            with pytest.raises(Exception, match="within a transaction"):
                raw.begin_write(lambda: raw.execute("BEGIN IMMEDIATE"))
            assert not raw.in_queue
            assert_queue_is_free(db)
            raw.execute("ROLLBACK")
        assert_next_writer_gets_in(db)
    finally:
        db.dispose()


def test_readers_do_not_queue_behind_a_writer(sqlite_url):
    db = Database(sqlite_url)
    try:
        with db.transaction() as session:
            create_team(session, name="writing")
            assert team_names(db) == []  # a snapshot read, not blocked by the writer
    finally:
        db.dispose()


def test_in_memory_databases_queue_threads_without_a_lock_file(tmp_path):
    queue = WriterQueue(":memory:", timeout=1)
    queue.acquire()
    queue.release()
    queue.close()
    assert not list(tmp_path.iterdir())


def lock_file_is_free(database_file: str) -> bool:
    """Ask from another process, as another server worker would."""
    code = textwrap.dedent(
        f"""
        import fcntl, os, sys
        fd = os.open({database_file + LOCK_SUFFIX!r}, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            sys.exit(1)
        sys.exit(0)
        """
    )
    return subprocess.run([sys.executable, "-c", code], timeout=30).returncode == 0


def test_the_lock_file_is_held_exactly_while_a_write_transaction_is_open(sqlite_url, tmp_path):
    db = Database(sqlite_url)
    database_file = str(tmp_path / "writers.db")
    try:
        assert lock_file_is_free(database_file)
        with db.transaction() as session:
            create_team(session, name="holding")
            assert not lock_file_is_free(database_file)
        assert lock_file_is_free(database_file)
        with db.transaction(write=False) as session:
            team_names(db)
            assert lock_file_is_free(database_file)  # readers never take it
    finally:
        db.dispose()


def test_a_wait_begun_earlier_shortens_the_queue_wait_to_one_shared_budget(sqlite_url, tmp_path):
    """A server's write turn and the database wait after it end together, not one after another."""
    holder = WriterQueue(str(tmp_path / "writers.db"), timeout=5)
    waiter = WriterQueue(str(tmp_path / "writers.db"), timeout=5)
    holder.acquire()
    try:
        started = time.monotonic()
        with waiting_until(started + 0.2), pytest.raises(OperationalError, match="locked"):
            waiter.acquire()
        assert time.monotonic() - started < 2
    finally:
        holder.release()
    waiter.acquire()  # outside the context, the queue's own timeout applies again
    waiter.release()
    holder.close()
    waiter.close()
