"""A queue in front of SQLite's write lock for every thread and process of one database file.

SQLite lets one writer in at a time and makes the others sleep and retry (after 1, 2, 5, 10 ...
ms) instead of waking them when the lock frees, so under steady write load the lock sits idle
while writers sleep. Here a writer first takes an in-process lock, then an advisory lock on a file
beside the database; the next writer starts within a fraction of a millisecond. SQLite's own lock
still decides who writes: a writer that does not queue here (another tool) is only slower.
"""

import asyncio
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: threads still queue, processes use SQLite's
    fcntl = None  # type: ignore[assignment]

from sqlalchemy.exc import OperationalError

LOCK_SUFFIX = "-lock"
# How long a writer waits for the file lock between tries: short, so a freed lock is taken at once.
POLL_SECONDS = 0.0002


def lock_path(database: str | None) -> str | None:
    """The lock file of a database file; None for in-memory databases, which have no file."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return database + LOCK_SUFFIX


def _open_lock_file(path: str | None) -> int:
    if path is None or fcntl is None:
        return -1
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return -1  # read-only directory: SQLite's own locking still serialises writers


# When a writer's wait must end at the latest: set by a caller that has waited already (a
# server's write turn), so the two waits share one busy timeout instead of adding up.
_deadline: ContextVar[float | None] = ContextVar("intentsync_writer_deadline", default=None)


@contextmanager
def waiting_until(deadline: float) -> Iterator[None]:
    """Writers begun in this context give up at `deadline` (time.monotonic()) at the latest."""
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


class WriterQueue:
    """Writers of one database wait here, in turn, before BEGIN IMMEDIATE."""

    def __init__(self, database: str | None, *, timeout: float) -> None:
        self.timeout = timeout
        self._threads = threading.Lock()
        self._fd = _open_lock_file(lock_path(database))
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """An event loop's one write at a time, from its received body to its commit.

        SQLite lets one writer in at a time. A second write of the same server process gains
        nothing by parsing meanwhile: it shares the process's one interpreter lock with the
        writer, which then holds the database for longer (measured: the database lock was held
        96 % of the time under a steady push, each turn taking about twice as long as alone).
        The turn's wait and the database wait inside it share one busy timeout.
        """
        loop = asyncio.get_running_loop()
        lock = self._turns.get(loop)
        if lock is None:
            lock = self._turns[loop] = asyncio.Lock()
        deadline = time.monotonic() + self.timeout
        try:
            async with asyncio.timeout(self.timeout):
                await lock.acquire()
        except TimeoutError:
            raise locked_error() from None  # as the database's own wait would end: a 503
        try:
            with waiting_until(deadline):
                yield
        finally:
            lock.release()

    def acquire(self) -> None:
        """Wait for this process's turn, then for the file lock; give up like SQLite would."""
        deadline = time.monotonic() + self.timeout
        outer = _deadline.get()
        if outer is not None:
            deadline = min(deadline, outer)
        if not self._threads.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            raise locked_error()
        try:
            self._lock_file(deadline)
        except BaseException:
            self._threads.release()
            raise

    def _lock_file(self, deadline: float) -> None:
        if self._fd < 0:
            return
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise locked_error() from None
                time.sleep(POLL_SECONDS)

    def release(self) -> None:
        try:
            if self._fd >= 0:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def locked_error() -> OperationalError:
    """The error SQLite itself gives after its busy timeout, so callers handle both alike."""
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


class QueuedConnection(sqlite3.Connection):
    """A pysqlite connection that leaves the writer queue whenever its transaction ends.

    It joins the queue only in begin_write, and leaves it if BEGIN fails, and in commit,
    rollback and close whatever their outcome; every other ending comes through those: the
    pool rolls back a connection returned mid-transaction (a session closed without commit)
    and closes an invalidated one, and the system drops the file lock of a process that exits.
    A COMMIT that fails leaves SQLite's transaction open until the rollback that follows; the
    next writer then waits in SQLite's busy handler instead of here.
    """

    queue: WriterQueue | None = None
    in_queue = False

    def begin_write(self, begin: Callable[[], object]) -> None:
        """Queue, then run begin() (which issues BEGIN IMMEDIATE); leave the queue if it fails."""
        if self.queue is None:
            begin()
            return
        self.queue.acquire()
        self.in_queue = True
        try:
            begin()
        except BaseException:
            self._leave_queue()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave_queue()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_queue()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave_queue()

    def _leave_queue(self) -> None:
        if self.in_queue and self.queue is not None:
            self.in_queue = False
            self.queue.release()
