"""The broker's durable store: SQLite (stdlib ``sqlite3``) in WAL mode.

It applies the core's change records (``wire.mqtt._broker_store``) in one
transaction per batch and reads them back as a snapshot on start. With
``synchronous=NORMAL`` a committed WAL transaction survives the process being
killed (kill -9); only a power loss can take the last transactions back.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence

from wire.mqtt._broker_store import (
    BrokerSnapshot,
    IncomingReleased,
    IncomingStored,
    MessageDone,
    MessageInFlight,
    MessageQueued,
    RetainedSet,
    SessionDeleted,
    SessionSaved,
    StoreChange,
    StoredMessage,
    StoredSession,
    StoredSubscription,
    SubscriptionDeleted,
    SubscriptionSaved,
)

__all__ = ["SqliteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    client_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    expiry_interval REAL,
    expires_at REAL
);
CREATE TABLE IF NOT EXISTS subscriptions (
    client_id TEXT NOT NULL,
    topic_filter TEXT NOT NULL,
    qos INTEGER NOT NULL,
    no_local INTEGER NOT NULL,
    retain_as_published INTEGER NOT NULL,
    retain_handling INTEGER NOT NULL,
    subscription_id INTEGER,
    PRIMARY KEY (client_id, topic_filter)
);
CREATE TABLE IF NOT EXISTS retained (
    topic TEXT PRIMARY KEY,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL,
    properties BLOB NOT NULL,
    expires_at REAL,
    origin TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    client_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    message_qos INTEGER NOT NULL,
    message_retain INTEGER NOT NULL,
    properties BLOB NOT NULL,
    expires_at REAL,
    origin TEXT NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    subscription_ids TEXT NOT NULL,
    packet_id INTEGER,
    released INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, number)
);
CREATE TABLE IF NOT EXISTS incoming (
    client_id TEXT NOT NULL,
    packet_id INTEGER NOT NULL,
    PRIMARY KEY (client_id, packet_id)
);
"""


class SqliteStore:
    """Broker state in one SQLite file under ``data_dir``.

    Methods are blocking; the driver calls :meth:`apply` from a worker thread.
    """

    def __init__(self, data_dir: str) -> None:
        os.makedirs(data_dir, exist_ok=True)
        self.path = os.path.join(data_dir, "mqtt-broker.sqlite3")
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def apply(self, changes: Sequence[StoreChange]) -> None:
        """Make ``changes`` durable, all or nothing."""
        if not changes:
            return
        db = self._db
        db.execute("BEGIN")
        try:
            for change in changes:
                self._apply_one(db, change)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @staticmethod
    def _apply_one(db: sqlite3.Connection, change: StoreChange) -> None:
        if isinstance(change, MessageQueued):
            m = change.message
            db.execute(
                "INSERT OR REPLACE INTO deliveries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL,0)",
                (
                    change.client_id,
                    change.number,
                    m.topic,
                    m.payload,
                    m.qos,
                    m.retain,
                    m.properties,
                    m.expires_at,
                    m.origin,
                    change.qos,
                    change.retain,
                    json.dumps(change.subscription_ids),
                ),
            )
        elif isinstance(change, MessageInFlight):
            db.execute(
                "UPDATE deliveries SET packet_id=?, released=? WHERE client_id=? AND number=?",
                (change.packet_id, change.released, change.client_id, change.number),
            )
        elif isinstance(change, MessageDone):
            db.execute(
                "DELETE FROM deliveries WHERE client_id=? AND number=?",
                (change.client_id, change.number),
            )
        elif isinstance(change, IncomingStored):
            db.execute(
                "INSERT OR IGNORE INTO incoming VALUES (?,?)", (change.client_id, change.packet_id)
            )
        elif isinstance(change, IncomingReleased):
            db.execute(
                "DELETE FROM incoming WHERE client_id=? AND packet_id=?",
                (change.client_id, change.packet_id),
            )
        elif isinstance(change, SessionSaved):
            db.execute(
                "INSERT OR REPLACE INTO sessions VALUES (?,?,?,?)",
                (change.client_id, change.version, change.expiry_interval, change.expires_at),
            )
        elif isinstance(change, SessionDeleted):
            for table in ("sessions", "subscriptions", "deliveries", "incoming"):
                db.execute(f"DELETE FROM {table} WHERE client_id=?", (change.client_id,))
        elif isinstance(change, SubscriptionSaved):
            db.execute(
                "INSERT OR REPLACE INTO subscriptions VALUES (?,?,?,?,?,?,?)",
                (
                    change.client_id,
                    change.topic_filter,
                    change.qos,
                    change.no_local,
                    change.retain_as_published,
                    change.retain_handling,
                    change.subscription_id,
                ),
            )
        elif isinstance(change, SubscriptionDeleted):
            db.execute(
                "DELETE FROM subscriptions WHERE client_id=? AND topic_filter=?",
                (change.client_id, change.topic_filter),
            )
        elif isinstance(change, RetainedSet):
            m = change.message
            db.execute(
                "INSERT OR REPLACE INTO retained VALUES (?,?,?,?,?,?)",
                (m.topic, m.payload, m.qos, m.properties, m.expires_at, m.origin),
            )
        else:
            db.execute("DELETE FROM retained WHERE topic=?", (change.topic,))

    def load(self) -> BrokerSnapshot:
        """Everything stored, as the core restores it."""
        db = self._db
        snapshot = BrokerSnapshot()
        sessions: dict[str, StoredSession] = {}
        for client_id, version, expiry_interval, expires_at in db.execute(
            "SELECT client_id, version, expiry_interval, expires_at FROM sessions"
        ):
            session = StoredSession(client_id, version, expiry_interval, expires_at)
            sessions[client_id] = session
            snapshot.sessions.append(session)
        for row in db.execute("SELECT * FROM subscriptions ORDER BY rowid"):
            owner = sessions.get(row[0])
            if owner is not None:
                owner.subscriptions.append(
                    StoredSubscription(row[1], row[2], bool(row[3]), bool(row[4]), row[5], row[6])
                )
        for row in db.execute("SELECT * FROM deliveries ORDER BY client_id, number"):
            owner = sessions.get(row[0])
            if owner is None:
                continue
            message = StoredMessage(row[2], row[3], row[4], bool(row[5]), row[6], row[7], row[8])
            ids = tuple(json.loads(row[11]))
            owner.deliveries.append(
                (row[1], message, row[9], bool(row[10]), ids, row[12], bool(row[13]))
            )
        for client_id, packet_id in db.execute(
            "SELECT client_id, packet_id FROM incoming ORDER BY client_id, packet_id"
        ):
            owner = sessions.get(client_id)
            if owner is not None:
                owner.incoming_qos2.append(packet_id)
        for topic, payload, qos, properties, expires_at, origin in db.execute(
            "SELECT topic, payload, qos, properties, expires_at, origin FROM retained"
        ):
            snapshot.retained.append(
                StoredMessage(topic, payload, qos, True, properties, expires_at, origin)
            )
        return snapshot
