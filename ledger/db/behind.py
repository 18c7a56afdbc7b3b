"""Writing behind: an import's SQLite bulk inserts run on a second thread while it books on.

SQLite does the work of an INSERT (B-trees, indexes, triggers, foreign keys) with Python's
interpreter lock released, so on a machine with two cores the journal of one flush can go into
the database while the next rows are validated and booked. It is the same connection and the
same transaction: nothing about atomicity changes. Order is kept by one rule: anything else
that uses the connection (every SQLAlchemy statement, the commit) first waits until the
statements handed over are done (`drain`), and a failure in one of them is raised there.
"""

from __future__ import annotations

import queue
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event

INFO_KEY = "aidledger_write_behind"

# Statements waiting at most: the booking thread waits when the writer lags this far behind,
# so a long import's memory stays bounded (each holds up to `SQLITE_ROWS_PER_STATEMENT` rows).
MAX_WAITING = 64

# How long the booking thread may hold the interpreter lock while the writer waits for it
# (Python's default is 5 ms). The writer needs it back after every statement, briefly.
SWITCH_INTERVAL = 0.0005


class WriteBehind:
    """One writer thread executing (statement, parameters) jobs on one DBAPI connection."""

    def __init__(self, driver: sqlite3.Connection) -> None:
        self._driver = driver
        self._jobs: queue.Queue[tuple[str, Any, bool] | None] = queue.Queue(MAX_WAITING)
        self._error: BaseException | None = None
        self._cancelled = False
        self._thread = threading.Thread(target=self._run, name="aidledger-write-behind",
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def execute(self, statement: str, params: Any, *, many: bool = False) -> None:
        """Hand a statement over; `many`: `params` is a list of rows for executemany."""
        self._jobs.put((statement, params, many))

    def drain(self) -> None:
        """Wait until every statement handed over is done; raise the first that failed."""
        self._jobs.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def stop(self, *, cancel: bool = False) -> None:
        """End the thread once the statements before are done; `cancel` skips those not yet
        begun (the caller rolls back). Skipped after a failure too."""
        self._cancelled = cancel
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        cursor = self._driver.cursor()
        try:
            while (job := self._jobs.get()) is not None:
                try:
                    if self._error is None and not self._cancelled:  # else rolled back anyway
                        statement, params, many = job
                        if many:
                            cursor.executemany(statement, params)
                        else:
                            cursor.execute(statement, params)
                except BaseException as exc:  # handed to the booking thread by drain()
                    self._error = exc
                finally:
                    self._jobs.task_done()
            self._jobs.task_done()
        finally:
            cursor.close()


def current(conn: Connection) -> WriteBehind | None:
    """The writer behind this connection, if an import has one running."""
    return conn.info.get(INFO_KEY)


@contextmanager
def write_behind(conn: Connection) -> Iterator[None]:
    """Run SQLite bulk inserts on `conn` behind the caller until the block ends.

    On a normal exit every statement is done (or its failure raised) before the caller
    commits; on an exception the statements not yet run are skipped, and the caller's
    transaction rolls back whatever ran. Other engines: nothing changes (PostgreSQL's COPY
    already hands the work to the server).
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    behind = WriteBehind(conn.connection.driver_connection)  # type: ignore[arg-type]
    conn.info[INFO_KEY] = behind
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    done = False
    try:
        yield
        behind.drain()
        done = True
    finally:
        sys.setswitchinterval(interval)
        del conn.info[INFO_KEY]
        behind.stop(cancel=not done)


def wait_before_statements(engine: Engine) -> None:
    """Make every SQLAlchemy statement on `engine` wait for the statements handed over first,
    so that it reads what they wrote and writes after them."""

    @event.listens_for(engine, "before_cursor_execute")
    def _drain(conn: Connection, *_args: Any) -> None:
        behind = conn.info.get(INFO_KEY)
        if behind is not None:
            behind.drain()
