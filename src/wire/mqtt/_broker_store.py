"""What a durable broker writes down: change records and the snapshot to restore.

With ``BrokerConfig(journal=True)`` the core records every change to state
that must survive a restart as one of the records below, in order. The driver
takes them with :meth:`Broker.take_journal`, makes them durable (SQLite in
``servers.mqtt_store``), then calls :meth:`Broker.journal_committed`. Until
then the core holds back every packet it would send on a connection whose
packets caused changes, so a PUBACK, PUBREC, PUBREL, PUBCOMP or SUBACK never
reaches a client before the state it acknowledges is durable.

On start, the driver reads the store into a :class:`BrokerSnapshot` and gives
it to :meth:`Broker.restore`.

Times in records are the broker's ``now``; a durable broker is driven with
wall-clock seconds so they stay meaningful across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wire.mqtt._codec import _properties as _encode_properties
from wire.mqtt._codec import _read_properties
from wire.mqtt._properties import Properties
from wire.mqtt._reason_codes import PacketType

__all__ = [
    "BrokerSnapshot",
    "MemoryStore",
    "decode_message_properties",
    "encode_message_properties",
    "IncomingReleased",
    "IncomingStored",
    "MessageDone",
    "MessageInFlight",
    "MessageQueued",
    "RetainedCleared",
    "RetainedSet",
    "SessionDeleted",
    "SessionSaved",
    "StoreChange",
    "StoredMessage",
    "StoredSession",
    "StoredSubscription",
    "SubscriptionDeleted",
    "SubscriptionSaved",
]


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """An application message as stored: the fields needed to deliver it again."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    #: MQTT 5.0 properties to forward, encoded as a property list (length first).
    properties: bytes
    expires_at: float | None
    origin: str


@dataclass(frozen=True, slots=True)
class SessionSaved:
    client_id: str
    version: int
    expiry_interval: float | None
    #: When the session expires while it has no connection; None while connected.
    expires_at: float | None


@dataclass(frozen=True, slots=True)
class SessionDeleted:
    client_id: str


@dataclass(frozen=True, slots=True)
class SubscriptionSaved:
    client_id: str
    topic_filter: str
    qos: int
    no_local: bool
    retain_as_published: bool
    retain_handling: int
    subscription_id: int | None


@dataclass(frozen=True, slots=True)
class SubscriptionDeleted:
    client_id: str
    topic_filter: str


@dataclass(frozen=True, slots=True)
class RetainedSet:
    message: StoredMessage


@dataclass(frozen=True, slots=True)
class RetainedCleared:
    topic: str


@dataclass(frozen=True, slots=True)
class MessageQueued:
    """A QoS 1/2 delivery for a persistent session, identified per session by ``number``."""

    client_id: str
    number: int
    message: StoredMessage
    qos: int
    retain: bool
    subscription_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MessageInFlight:
    """Delivery ``number`` was sent with ``packet_id``; ``released`` once PUBREC came."""

    client_id: str
    number: int
    packet_id: int
    released: bool


@dataclass(frozen=True, slots=True)
class MessageDone:
    client_id: str
    number: int


@dataclass(frozen=True, slots=True)
class IncomingStored:
    """A QoS 2 packet identifier the client used, acknowledged with PUBREC."""

    client_id: str
    packet_id: int


@dataclass(frozen=True, slots=True)
class IncomingReleased:
    client_id: str
    packet_id: int


StoreChange = (
    SessionSaved
    | SessionDeleted
    | SubscriptionSaved
    | SubscriptionDeleted
    | RetainedSet
    | RetainedCleared
    | MessageQueued
    | MessageInFlight
    | MessageDone
    | IncomingStored
    | IncomingReleased
)


@dataclass(frozen=True, slots=True)
class StoredSubscription:
    topic_filter: str
    qos: int
    no_local: bool
    retain_as_published: bool
    retain_handling: int
    subscription_id: int | None


@dataclass(slots=True)
class StoredSession:
    """A persistent session as read back from the store."""

    client_id: str
    version: int
    expiry_interval: float | None
    expires_at: float | None
    subscriptions: list[StoredSubscription] = field(default_factory=list)
    #: (number, message, qos, retain, subscription ids, packet id or None, released)
    deliveries: list[tuple[int, StoredMessage, int, bool, tuple[int, ...], int | None, bool]] = (
        field(default_factory=list)
    )
    incoming_qos2: list[int] = field(default_factory=list)


@dataclass(slots=True)
class BrokerSnapshot:
    """Everything a durable broker restores on start."""

    sessions: list[StoredSession] = field(default_factory=list)
    retained: list[StoredMessage] = field(default_factory=list)


def encode_message_properties(properties: Properties) -> bytes:
    """A PUBLISH property list as stored (Property Length first)."""
    return _encode_properties(properties, PacketType.PUBLISH, 5)


def decode_message_properties(data: bytes) -> Properties:
    """The inverse of :func:`encode_message_properties`."""
    properties, _ = _read_properties(data, 0, PacketType.PUBLISH)
    return properties


class MemoryStore:
    """The store interface kept in memory: applies changes, gives snapshots.

    It is what a durable backend must behave like; the SQLite store is tested
    against it.
    """

    def __init__(self) -> None:
        self.sessions: dict[str, SessionSaved] = {}
        self.subscriptions: dict[str, dict[str, SubscriptionSaved]] = {}
        self.retained: dict[str, StoredMessage] = {}
        #: client id -> number -> (the queued record, packet id, released)
        self.deliveries: dict[str, dict[int, tuple[MessageQueued, int | None, bool]]] = {}
        self.incoming: dict[str, set[int]] = {}

    def apply(self, changes: list[StoreChange]) -> None:
        for change in changes:
            if isinstance(change, SessionSaved):
                self.sessions[change.client_id] = change
            elif isinstance(change, SessionDeleted):
                client_id = change.client_id
                self.sessions.pop(client_id, None)
                self.subscriptions.pop(client_id, None)
                self.deliveries.pop(client_id, None)
                self.incoming.pop(client_id, None)
            elif isinstance(change, SubscriptionSaved):
                self.subscriptions.setdefault(change.client_id, {})[change.topic_filter] = change
            elif isinstance(change, SubscriptionDeleted):
                self.subscriptions.get(change.client_id, {}).pop(change.topic_filter, None)
            elif isinstance(change, RetainedSet):
                self.retained[change.message.topic] = change.message
            elif isinstance(change, RetainedCleared):
                self.retained.pop(change.topic, None)
            elif isinstance(change, MessageQueued):
                self.deliveries.setdefault(change.client_id, {})[change.number] = (
                    change,
                    None,
                    False,
                )
            elif isinstance(change, MessageInFlight):
                deliveries = self.deliveries.get(change.client_id, {})
                entry = deliveries.get(change.number)
                if entry is not None:
                    deliveries[change.number] = (entry[0], change.packet_id, change.released)
            elif isinstance(change, MessageDone):
                self.deliveries.get(change.client_id, {}).pop(change.number, None)
            elif isinstance(change, IncomingStored):
                self.incoming.setdefault(change.client_id, set()).add(change.packet_id)
            else:
                self.incoming.get(change.client_id, set()).discard(change.packet_id)

    def load(self) -> BrokerSnapshot:
        snapshot = BrokerSnapshot(retained=list(self.retained.values()))
        for client_id, saved in self.sessions.items():
            session = StoredSession(
                client_id, saved.version, saved.expiry_interval, saved.expires_at
            )
            for sub in self.subscriptions.get(client_id, {}).values():
                session.subscriptions.append(
                    StoredSubscription(
                        sub.topic_filter,
                        sub.qos,
                        sub.no_local,
                        sub.retain_as_published,
                        sub.retain_handling,
                        sub.subscription_id,
                    )
                )
            deliveries = self.deliveries.get(client_id, {})
            for number in sorted(deliveries):
                queued, packet_id, released = deliveries[number]
                session.deliveries.append(
                    (
                        number,
                        queued.message,
                        queued.qos,
                        queued.retain,
                        queued.subscription_ids,
                        packet_id,
                        released,
                    )
                )
            session.incoming_qos2 = sorted(self.incoming.get(client_id, set()))
            snapshot.sessions.append(session)
        return snapshot
