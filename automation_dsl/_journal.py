"""The bulk journal: a SQLite file that makes an ``invoke_many`` batch resumable.

`Journal` records each row's outcome (run id or error, attempts, the body's
fingerprint) under its ``Idempotency-Key`` as it lands, with the automation's digest, so
``resume=True`` skips the done rows and a batch is never resumed with another
automation. `_journal_problem` says what a SQLite error on the file means. Every
problem with the file is a [`JournalError`][] naming it.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from os import PathLike
from pathlib import Path
from typing import Protocol

from ._errors import JournalError

_BUSY_TIMEOUT = 5.0  # seconds to wait for a journal another process holds
_IN_USE = "is in use by another invoke_many: wait for it, or use another journal"


class JournaledRow(Protocol):
    """What the journal records of a row (a `BulkItem`)."""

    @property
    def index(self) -> int: ...

    @property
    def key(self) -> str: ...

    @property
    def fingerprint(self) -> str | None: ...

    @property
    def body(self) -> bytes: ...


def _journal_problem(error: sqlite3.Error) -> str:
    """What a SQLite error on a journal means, and what to do about it."""
    text = str(error)
    lower = text.lower()
    if "readonly" in lower or "read-only" in lower:
        return (
            "is read-only (SQLite also writes a -wal file beside it, so its directory must "
            "be writable too): make both writable, or choose another path"
        )
    if "locked" in lower or "busy" in lower:
        return (
            "is locked by another process (another invoke_many on the same journal?): "
            "wait for it to finish, or use another file"
        )
    if "not a database" in lower or "malformed" in lower or "corrupt" in lower:
        return (
            f"is not a journal ({text}): choose another path, and keep this file if it "
            "records a batch you still need"
        )
    if "unable to open" in lower:
        return "cannot be opened: check that the path and its permissions allow a file there"
    return f"cannot be used ({type(error).__name__}: {text}): fix it, or choose another path"


_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
_ITEMS = (
    "CREATE TABLE IF NOT EXISTS items (key TEXT PRIMARY KEY, item INTEGER NOT NULL, "
    "run_id TEXT, error TEXT, attempts INTEGER NOT NULL, fingerprint TEXT)"
)
_BODY = "ALTER TABLE items ADD COLUMN body BLOB"
"""Added only for batches that keep bodies (local times): a plain batch's journal keeps the
older layout, so the release before local times can still resume it."""


class Journal:
    """A SQLite file that records each row's outcome (and its body's fingerprint) as it lands.

    It also records the automation's digest, so a batch is never resumed with another
    automation. Every problem with the file is a [`JournalError`][]
    naming it.

    A batch that writes holds an exclusive lock on ``<journal>.lock`` beside the file
    until `close`, so a second ``invoke_many`` on the same journal (another thread
    or another process) is refused rather than mixing its rows with this one's: without
    it, a second batch with ``resume=False`` would skip the rows the first one journaled.
    A dry run only reads, and takes no lock.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        digest: str,
        *,
        resume: bool,
        dry_run: bool = False,
        keep_bodies: bool = False,
    ) -> None:
        self.path = path
        self.keep_bodies = keep_bodies
        self.lock = threading.Lock()
        self.db: sqlite3.Connection | None = None
        self.held: int | None = None  # the file descriptor of the lock file, while held
        self.fingerprint = "fingerprint"
        target = Path(path)
        try:
            if b"\0" in os.fsencode(target):
                raise ValueError("embedded null byte")
            is_dir, parent_is_dir, exists = (
                target.is_dir(),
                target.parent.is_dir(),
                target.exists(),
            )
        except (OSError, ValueError) as error:  # too long, lone surrogates, NUL ...
            reason = getattr(error, "strerror", None) or str(error)[:80]
            raise self.error(f"is not a usable file name ({reason}): choose another path") from None
        if is_dir:
            raise self.error("is a directory: give the path of a file (it is created if missing)")
        if not parent_is_dir:
            raise self.error(
                f"its directory {str(target.parent)!r} does not exist: create it, or choose "
                "another path"
            )
        if dry_run and not exists:
            return  # a dry run never creates the file, nor writes to it
        if not dry_run:
            self._hold(target.with_name(target.name + ".lock"))
        try:
            self.db = sqlite3.connect(
                target.absolute().as_uri() + "?mode=ro" if dry_run else str(target),
                uri=dry_run,
                isolation_level=None,
                check_same_thread=False,
                timeout=_BUSY_TIMEOUT,
            )
            self._prepare(self.db, digest, resume=resume, dry_run=dry_run)
        except sqlite3.Error as error:
            self.close()
            raise self.error(_journal_problem(error)) from error
        except BaseException:
            self.close()
            raise

    def error(self, problem: str) -> JournalError:
        return JournalError(self.path, problem)

    def _hold(self, lock: Path) -> None:
        """Take the exclusive lock of the batch, without waiting: ``JournalError`` if
        another batch holds it. The lock file stays (empty) after the batch: removing it
        would let a batch that opened it just before lock a file no longer there."""
        if sys.platform == "win32":  # no fcntl: two batches on one journal are not refused
            return
        import fcntl

        try:
            held = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise self.error(
                f"its lock file {str(lock)!r} cannot be created ({error.strerror}): the "
                "journal's directory must be writable, or choose another path"
            ) from error
        try:  # a lock per open file: another thread of this process is refused too
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(held)
            raise self.error(_IN_USE) from None
        except OSError as error:
            os.close(held)
            raise self.error(
                f"its lock file {str(lock)!r} cannot be locked ({error.strerror}): choose "
                "a path on a local file system"
            ) from error
        self.held = held

    def _prepare(self, db: sqlite3.Connection, digest: str, *, resume: bool, dry_run: bool) -> None:
        if not dry_run:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_META)
            db.execute(_ITEMS)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if not tables and dry_run:  # an empty file: nothing recorded yet
            self.close()
            return
        columns = {row[1] for row in db.execute("PRAGMA table_info(items)")}
        if "meta" not in tables or not {"key", "item", "run_id", "error", "attempts"} <= columns:
            raise self.error("is a SQLite file but not an invoke_many journal: choose another path")
        if "fingerprint" not in columns:  # a journal written by version 0.1
            if dry_run:
                self.fingerprint = "NULL"
            else:
                db.execute("ALTER TABLE items ADD COLUMN fingerprint TEXT")
        if self.keep_bodies and "body" not in columns:  # no body kept yet in this file
            if dry_run:
                self.keep_bodies = False
            else:
                db.execute(_BODY)
        row = db.execute("SELECT value FROM meta WHERE key = 'automation'").fetchone()
        if row is not None and row[0] != digest:
            raise self.error("it records a different automation: use another file")
        count = db.execute("SELECT count(*) FROM items").fetchone()[0]
        if count and not resume:
            raise self.error(
                f"it already records {count} items: pass resume=True to skip the done ones, "
                "or use another file"
            )
        if not dry_run:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('automation', ?)", (digest,))

    def lookup(self, key: str) -> tuple[str | None, str | None, int] | None:
        """The run id (if it succeeded), body fingerprint and row recorded for a key."""
        if self.db is None:
            return None
        try:
            with self.lock:
                row = self.db.execute(
                    f"SELECT run_id, {self.fingerprint}, item FROM items WHERE key = ?", (key,)
                ).fetchone()
        except sqlite3.Error as error:
            raise self.error(_journal_problem(error)) from error
        return None if row is None else (row[0], row[1], row[2])

    def body(self, key: str) -> bytes | None:
        """The body kept for a key when it was first sent (bodies are kept for batches whose
        flow waits for local times, so a resume resends the same instants)."""
        if self.db is None or not self.keep_bodies:
            return None
        try:
            with self.lock:
                row = self.db.execute("SELECT body FROM items WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as error:
            raise self.error(_journal_problem(error)) from error
        return None if row is None or row[0] is None else bytes(row[0])

    def record(
        self, item: JournaledRow, run_id: str | None, error: str | None, attempts: int
    ) -> None:
        """Record an outcome, or (with neither a run id nor an error) a row about to be sent
        (each write is its own transaction)."""
        if self.db is None:  # a dry run
            return
        row: tuple[object, ...] = (item.key, item.index, run_id, error, attempts, item.fingerprint)
        columns = "key, item, run_id, error, attempts, fingerprint"
        if self.keep_bodies:
            row, columns = (*row, item.body), columns + ", body"
        marks = ", ".join("?" * len(row))
        try:
            with self.lock:
                self.db.execute(f"INSERT OR REPLACE INTO items ({columns}) VALUES ({marks})", row)
        except sqlite3.Error as failure:
            raise self.error(
                f"could not record row {item.index}: {_journal_problem(failure)}; the rows "
                "recorded so far are safe: fix it, then call again with resume=True"
            ) from failure

    def close(self) -> None:
        """Close the file and release the batch's lock."""
        if self.db is not None:
            self.db.close()
            self.db = None
        if self.held is not None:
            os.close(self.held)  # closing the file releases its lock
            self.held = None
