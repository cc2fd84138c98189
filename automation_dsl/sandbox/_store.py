"""SQLite persistence for the sandbox: runs, events, messages, profiles, templates, keys.

One connection in WAL mode, used under the sandbox's lock; each request is one
transaction, so a restarted sandbox (the same ``db`` path) has every run it accepted.

Examples:
    >>> store = Store(":memory:")
    >>> store.put_template("onboarding", {"steps": [{"action": "send", "template": "A"}]})
    >>> store.templates()
    {'onboarding': {'steps': [{'action': 'send', 'template': 'A'}]}}
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from .._js import MessageStatus
from ._simulator import Event, Message, RunState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT UNIQUE NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    template_id TEXT,
    automation TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_run ON events (run_id);
CREATE TABLE IF NOT EXISTS messages (
    message_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    path TEXT NOT NULL,
    key TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    expires_at REAL NOT NULL,
    fingerprint TEXT,
    PRIMARY KEY (path, key)
);
CREATE TABLE IF NOT EXISTS templates (template_id TEXT PRIMARY KEY, automation TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (recipient TEXT PRIMARY KEY, profile TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _plain(value: Any) -> Any:
    """JSON-ready run state: statuses by name, datetimes in ISO 8601."""
    if isinstance(value, MessageStatus):
        return {"$status": value.value}
    if isinstance(value, datetime):
        return {"$time": value.isoformat()}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _revive(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$status"}:
            return MessageStatus(value["$status"])
        if set(value) == {"$time"}:
            return datetime.fromisoformat(value["$time"])
        return {key: _revive(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_revive(item) for item in value]
    return value


class Store:
    """The sandbox's SQLite database (``":memory:"`` or a file path)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(idempotency)")}
        if "fingerprint" not in columns:  # a database written by automation-dsl 0.1
            self.db.execute("ALTER TABLE idempotency ADD COLUMN fingerprint TEXT")

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of writes (a request)."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- runs -----------------------------------------------------------------------------

    def save_run(self, run: RunState, events: list[Event], messages: list[Message]) -> None:
        """Insert or update a run, and append its new events and messages."""
        state = {
            "context": run.context,
            "cancelation_token": run.cancelation_token,
            "position": run.position,
            "resume_at": _iso(run.resume_at),
            "refs": run.refs,
            "step_status": {str(k): v for k, v in run.step_status.items()},
        }
        self.db.execute(
            "INSERT INTO runs (run_id, created_at, status, template_id, automation, state) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
            "status = excluded.status, state = excluded.state",
            (
                run.run_id,
                run.created_at.isoformat(),
                run.status,
                run.template_id,
                json.dumps(run.automation.to_dict()),
                json.dumps(_plain(state)),
            ),
        )
        self.db.executemany(
            "INSERT INTO events (run_id, body) VALUES (?, ?)",
            [(event.run_id, json.dumps(_plain(event.to_dict()))) for event in events],
        )
        self.db.executemany(
            "INSERT INTO messages (message_id, run_id, body) VALUES (?, ?, ?) "
            "ON CONFLICT (message_id) DO UPDATE SET body = excluded.body",
            [(m.message_id, m.run_id, json.dumps(m.to_dict())) for m in messages],
        )

    def load_runs(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Each stored run, oldest first: its row and its state."""
        rows = self.db.execute(
            "SELECT run_id, created_at, status, template_id, automation, state FROM runs "
            "ORDER BY seq"
        )
        for run_id, created_at, status, template_id, automation, state in rows.fetchall():
            row = {
                "run_id": run_id,
                "created_at": datetime.fromisoformat(created_at),
                "status": status,
                "template_id": template_id,
                "automation": json.loads(automation),
            }
            revived = _revive(json.loads(state))
            revived["resume_at"] = _moment(revived["resume_at"])
            revived["step_status"] = {int(k): v for k, v in revived["step_status"].items()}
            yield row, revived

    def load_events(self) -> list[dict[str, Any]]:
        """Every stored event, in order."""
        rows = self.db.execute("SELECT body FROM events ORDER BY seq").fetchall()
        return [json.loads(body) for (body,) in rows]

    def load_messages(self) -> list[dict[str, Any]]:
        """Every stored message."""
        rows = self.db.execute("SELECT body FROM messages ORDER BY rowid").fetchall()
        return [json.loads(body) for (body,) in rows]

    # -- idempotency ----------------------------------------------------------------------

    def remembered(self, path: str, key: str, now: float) -> tuple[int, str, str | None] | None:
        """The stored answer for a key on a path (status, body, request fingerprint),
        unless it expired."""
        row = self.db.execute(
            "SELECT status, body, fingerprint FROM idempotency "
            "WHERE path = ? AND key = ? AND expires_at > ?",
            (path, key, now),
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]), row[2])

    def remember(
        self, path: str, key: str, status: int, body: str, fingerprint: str, expires_at: float
    ) -> None:
        """Store the first answer for a key on a path (an expired one is replaced)."""
        self.db.execute(
            "INSERT OR REPLACE INTO idempotency (path, key, status, body, fingerprint, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (path, key, status, body, fingerprint, expires_at),
        )

    # -- templates, profiles, clock -------------------------------------------------------

    def put_template(self, template_id: str, automation: dict[str, Any]) -> None:
        """Register (or replace) an automation template."""
        self.db.execute(
            "INSERT OR REPLACE INTO templates (template_id, automation) VALUES (?, ?)",
            (template_id, json.dumps(automation)),
        )

    def templates(self) -> dict[str, dict[str, Any]]:
        """Every registered template's automation object, by id."""
        rows = self.db.execute("SELECT template_id, automation FROM templates").fetchall()
        return {template_id: json.loads(body) for template_id, body in rows}

    def put_profile(self, recipient: str, profile: dict[str, Any]) -> None:
        """Store a recipient's profile."""
        self.db.execute(
            "INSERT OR REPLACE INTO profiles (recipient, profile) VALUES (?, ?)",
            (recipient, json.dumps(profile)),
        )

    def profiles(self) -> dict[str, dict[str, Any]]:
        """Every stored profile, by recipient."""
        rows = self.db.execute("SELECT recipient, profile FROM profiles").fetchall()
        return {recipient: json.loads(body) for recipient, body in rows}

    def get_meta(self, key: str) -> str | None:
        """A stored setting (the virtual clock's time)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
