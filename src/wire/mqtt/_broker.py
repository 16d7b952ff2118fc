"""The MQTT broker core: sessions, routing, retained messages and wills (Sans-IO).

The core holds no sockets and reads no clock. Its driver opens a connection id
per network connection, feeds it the bytes received with the current time, and
writes out what :meth:`Broker.output` returns for each connection that
:meth:`Broker.writable` names. Time passes through :meth:`Broker.tick`; a
CONNECT also applies what fell due for its client by ``now`` (a delayed Will, the
end of the session), so a driver that ticks late never resumes an expired session.

One call of :meth:`Broker.receive_data` handles every packet in the bytes given,
and the messages it routes are appended to each receiver's output, so a driver
that reads a whole receive buffer per wake-up and writes once per receiver per
batch gets the batching that decides throughput on loopback.

Slow consumers (section "Overflow policy" in the docs):

- QoS 1 and 2 messages beyond the client's in-flight window wait in the session
  queue, at most ``max_queued_messages`` of them; past that, new messages for
  that session are dropped, counted and reported as :class:`MessagesDropped`.
- QoS 0 messages are never queued for a session without a connection, and a
  connection whose driver has not collected ``max_pending_qos0`` of them drops
  newer ones the same visible way.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from struct import Struct
from typing import Final

from wire.errors import LocalProtocolError
from wire.mqtt._broker_events import (
    BrokerEvent,
    ClientConnected,
    ClientDisconnected,
    MessagesDropped,
)
from wire.mqtt._broker_session import (
    Delivery,
    InFlight,
    Message,
    Session,
    SubscriptionEntry,
)
from wire.mqtt._broker_state import TRANSITIONS, ConnectionState
from wire.mqtt._broker_store import (
    BrokerSnapshot,
    IncomingReleased,
    IncomingStored,
    MessageDone,
    MessageInFlight,
    MessageQueued,
    RetainedCleared,
    RetainedSet,
    SessionDeleted,
    SessionSaved,
    StoreChange,
    StoredMessage,
    SubscriptionDeleted,
    SubscriptionSaved,
    decode_message_properties,
    encode_message_properties,
)
from wire.mqtt._codec import DEFAULT_MAX_PACKET_SIZE, MAX_PACKET_SIZE_LIMIT, encode, encode_vbi
from wire.mqtt._errors import MQTTProtocolError, MQTTRemoteError, UnsupportedProtocolVersion
from wire.mqtt._packets import (
    Connack,
    Connect,
    Disconnect,
    Packet,
    Pingresp,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    Suback,
    Subscribe,
    Subscription,
    Unsuback,
    Unsubscribe,
    Will,
)
from wire.mqtt._properties import (
    NO_PROPERTIES,
    Properties,
    PropertyId,
    PropertyValue,
    trusted_properties,
)
from wire.mqtt._reader import PacketReader
from wire.mqtt._reason_codes import ConnectReturnCode, ReasonCode
from wire.mqtt._topics import (
    TopicMatcher,
    is_valid_topic_filter,
    parse_shared_subscription,
    topic_matches,
)

__all__ = ["Broker", "BrokerConfig", "BrokerStats"]

_R = ReasonCode
_I = PropertyId
_pack_u16: Final = Struct(">H").pack
#: Session Expiry Interval value meaning "never expires" (section 3.1.2.11.2).
_NEVER: Final = 0xFFFF_FFFF
_PINGRESP: Final = encode(Pingresp())
_TOPIC_ALIAS: Final = bytes((PropertyId.TOPIC_ALIAS,))
#: Encoded forms cached per message: one per (version, QoS, RETAIN) without
#: Subscription Identifiers fits, and a long-lived retained message meeting many
#: subscriptions with distinct identifiers cannot hold a copy of its payload each.
_MAX_TEMPLATES: Final = 12

DEFAULT_ASSIGNED_ID_PREFIX: Final = "auto-"

#: Called with (username, password, client_id); True accepts the credentials.
Authenticator = Callable[[str | None, bytes | None, str], bool]
#: Called with (username, client_id, topic name or filter); True allows it.
Authorizer = Callable[[str | None, str, str], bool]


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    """Limits and capabilities of a broker; every limit has a safe default.

    Attributes:
        max_packet_size: Largest packet accepted from a client (told to 5.0
            clients as Maximum Packet Size). 1 MiB bounds per-connection buffering.
        receive_maximum: QoS 1/2 PUBLISH a 5.0 client may have unacknowledged
            toward us; exceeding it is a protocol error (0x93).
        max_inflight: QoS 1/2 messages in flight toward one client (lowered to a
            5.0 client's own Receive Maximum).
        max_queued_messages: QoS 1/2 messages waiting per session beyond the
            in-flight window, connected or not.
        max_pending_qos0: QoS 0 messages waiting per connection for the driver.
        maximum_qos: Highest QoS accepted in PUBLISH and granted in SUBACK.
        topic_alias_maximum: Topic aliases a 5.0 client may use toward us.
        assign_topic_aliases: Use topic aliases toward a 5.0 client that allows
            them (its Topic Alias Maximum, section 3.3.2.3.4): aliases 1..N are
            given to topics in the order they are first sent on a network
            connection; once all N are taken, new topics go by name. A resend
            after reconnecting always carries the topic name and no alias.
        server_keep_alive: Keep-alive imposed on 5.0 clients, if set.
        max_session_expiry: Longest Session Expiry Interval granted, seconds.
        max_client_id_length: Longest client identifier accepted, in characters.
        connect_timeout: Seconds a new connection has to send CONNECT.
        sys_interval: Seconds between ``$SYS/broker/...`` updates; 0 disables them.
        assigned_id_prefix: Prefix of identifiers assigned to clients that send an
            empty one; the driver makes it unique per broker start.
        authenticate: Credentials check; ``None`` accepts everyone.
        authorize_publish / authorize_subscribe: Per-topic access checks.

    Raises:
        LocalProtocolError: a value outside what MQTT can express.
    """

    max_packet_size: int = DEFAULT_MAX_PACKET_SIZE
    receive_maximum: int = 1024
    max_inflight: int = 256
    max_queued_messages: int = 10_000
    max_pending_qos0: int = 10_000
    maximum_qos: int = 2
    retain_available: bool = True
    wildcard_subscription_available: bool = True
    subscription_identifier_available: bool = True
    shared_subscription_available: bool = True
    topic_alias_maximum: int = 64
    assign_topic_aliases: bool = True
    server_keep_alive: int | None = None
    max_session_expiry: int = _NEVER
    max_client_id_length: int = 256
    connect_timeout: float = 10.0
    sys_interval: float = 10.0
    assigned_id_prefix: str = DEFAULT_ASSIGNED_ID_PREFIX
    #: Record durable changes for :meth:`Broker.take_journal` and hold replies
    #: until :meth:`Broker.journal_committed` (see ``_broker_store``).
    journal: bool = False
    authenticate: Authenticator | None = None
    authorize_publish: Authorizer | None = None
    authorize_subscribe: Authorizer | None = None

    def __post_init__(self) -> None:
        if not 2 <= self.max_packet_size <= MAX_PACKET_SIZE_LIMIT:
            raise LocalProtocolError(f"max_packet_size must be in 2..{MAX_PACKET_SIZE_LIMIT}")
        if not 1 <= self.receive_maximum <= 0xFFFF:
            raise LocalProtocolError("receive_maximum must be in 1..65535")
        if not 1 <= self.max_inflight <= 0xFFFF:
            raise LocalProtocolError("max_inflight must be in 1..65535")
        if not 0 <= self.maximum_qos <= 2:
            raise LocalProtocolError("maximum_qos must be 0, 1 or 2")
        if not 0 <= self.topic_alias_maximum <= 0xFFFF:
            raise LocalProtocolError("topic_alias_maximum must be in 0..65535")
        if self.server_keep_alive is not None and not 0 <= self.server_keep_alive <= 0xFFFF:
            raise LocalProtocolError("server_keep_alive must be in 0..65535")
        if not 0 <= self.max_session_expiry <= _NEVER:
            raise LocalProtocolError("max_session_expiry must be in 0..4294967295")
        if self.max_queued_messages < 0 or self.max_pending_qos0 < 0:
            raise LocalProtocolError("queue limits must not be negative")


@dataclass(slots=True)
class BrokerStats:
    """Counters published under ``$SYS/broker/``."""

    started_at: float | None = None
    clients_connected: int = 0
    clients_total: int = 0
    messages_received: int = 0
    messages_sent: int = 0
    messages_dropped: int = 0
    bytes_received: int = 0


class _Connection:
    __slots__ = (
        "alias_max",
        "aliases",
        "client_id",
        "expiry_was_zero",
        "id",
        "keep_alive",
        "last_seen",
        "max_packet_size",
        "out",
        "pending_qos0",
        "reader",
        "session",
        "state",
        "topic_aliases",
        "username",
        "version",
        "will",
        "window",
    )

    def __init__(self, conn_id: int, max_packet_size: int, now: float) -> None:
        self.id = conn_id
        self.state = ConnectionState.AWAIT_CONNECT
        self.reader = PacketReader(version=5, max_packet_size=max_packet_size)
        self.version = 5
        self.session: Session | None = None
        self.client_id: str | None = None
        self.username: str | None = None
        self.keep_alive = 0
        self.last_seen = now
        self.out: list[bytes] = []
        self.pending_qos0 = 0
        self.aliases: dict[int, str] = {}
        #: Topic aliases we may use toward the client (its Topic Alias Maximum,
        #: 0 when we use none), and the ones set on this network connection.
        self.alias_max = 0
        self.topic_aliases: dict[str, int] = {}
        #: The client's Maximum Packet Size; no packet is larger than the limit anyway.
        self.max_packet_size = MAX_PACKET_SIZE_LIMIT
        self.window = 1
        self.will: Will | None = None
        #: The CONNECT asked for a Session Expiry Interval of 0 (section 3.14.2.2.2).
        self.expiry_was_zero = True


class Broker:
    """An MQTT 3.1.1 and 5.0 broker without I/O.

    Args:
        config: Limits and capabilities.
    """

    def __init__(self, config: BrokerConfig | None = None) -> None:
        self.config = config or BrokerConfig()
        self.stats = BrokerStats()
        self._connections: dict[int, _Connection] = {}
        self._sessions: dict[str, Session] = {}
        self._subscriptions: TopicMatcher[SubscriptionEntry] = TopicMatcher()
        self._shared: TopicMatcher[tuple[str, str]] = TopicMatcher()
        self._shared_members: dict[tuple[str, str], list[SubscriptionEntry]] = {}
        self._shared_next: dict[tuple[str, str], int] = {}
        self._retained: dict[str, Message] = {}
        self._writable: set[int] = set()
        self._events: list[BrokerEvent] = []
        self._timers: list[tuple[float, int, str, object]] = []
        self._timer_seq = 0
        self._next_connection = 1
        self._assigned = 0
        self._pending_wills: dict[str, tuple[float, Will, str | None]] = {}
        self._sys_due: float | None = None
        # Durable broker: what changed since the last take_journal(), and which
        # connections must wait for which batch before their output goes out.
        self._journal = self.config.journal
        self._changed = False
        self._dirty_sessions: set[str] = set()
        self._dirty_filters: dict[str, set[str]] = {}
        self._dirty_incoming: dict[str, set[int]] = {}
        self._dirty_deliveries: dict[str, set[int]] = {}
        self._dirty_retained: set[str] = set()
        self._deleted_sessions: set[str] = set()
        self._next_token = 1
        self._durable_token = 0
        self._gated: dict[int, int] = {}

    # -- durability -----------------------------------------------------------

    @property
    def journal_pending(self) -> bool:
        """Whether changes wait for :meth:`take_journal`."""
        return self._changed

    def take_journal(self) -> tuple[list[StoreChange], int]:
        """The changes since the last call, and the token to confirm them with."""
        token = self._next_token
        self._next_token += 1
        if not self._changed:
            return [], token
        self._changed = False
        changes: list[StoreChange] = [SessionDeleted(c) for c in sorted(self._deleted_sessions)]
        self._deleted_sessions = set()
        sessions = self._sessions
        for client_id in sorted(self._dirty_sessions):
            session = sessions.get(client_id)
            if session is not None and session.expiry_interval != 0:
                connection = self._connections.get(session.connection or 0)
                version = connection.version if connection is not None else 0
                changes.append(
                    SessionSaved(client_id, version, session.expiry_interval, session.expires_at)
                )
        self._dirty_sessions = set()
        for client_id, filters in self._dirty_filters.items():
            session = sessions.get(client_id)
            if session is None or session.expiry_interval == 0:
                continue
            for topic_filter in sorted(filters):
                entry = session.subscriptions.get(topic_filter)
                if entry is None:
                    changes.append(SubscriptionDeleted(client_id, topic_filter))
                else:
                    options = entry.options
                    changes.append(
                        SubscriptionSaved(
                            client_id,
                            topic_filter,
                            options.qos,
                            options.no_local,
                            options.retain_as_published,
                            options.retain_handling,
                            entry.subscription_id,
                        )
                    )
        self._dirty_filters = {}
        for client_id, packet_ids in self._dirty_incoming.items():
            session = sessions.get(client_id)
            if session is None or session.expiry_interval == 0:
                continue
            for packet_id in sorted(packet_ids):
                if packet_id in session.incoming_qos2:
                    changes.append(IncomingStored(client_id, packet_id))
                else:
                    changes.append(IncomingReleased(client_id, packet_id))
        self._dirty_incoming = {}
        for client_id, numbers in self._dirty_deliveries.items():
            session = sessions.get(client_id)
            if session is None or session.expiry_interval == 0:
                continue
            flight = {item.delivery.number: (pid, item) for pid, item in session.inflight.items()}
            for number in sorted(numbers):
                delivery = session.stored.get(number)
                if delivery is None:
                    changes.append(MessageDone(client_id, number))
                    continue
                changes.append(
                    MessageQueued(
                        client_id,
                        number,
                        _stored_message(delivery.message),
                        delivery.qos,
                        delivery.retain,
                        delivery.subscription_ids,
                    )
                )
                found = flight.get(number)
                if found is not None:
                    changes.append(MessageInFlight(client_id, number, found[0], found[1].released))
        self._dirty_deliveries = {}
        for topic in sorted(self._dirty_retained):
            message = self._retained.get(topic)
            if message is None:
                changes.append(RetainedCleared(topic))
            else:
                changes.append(RetainedSet(_stored_message(message)))
        self._dirty_retained = set()
        return changes, token

    def journal_committed(self, token: int) -> None:
        """The changes of :meth:`take_journal` up to ``token`` are durable."""
        self._durable_token = max(self._durable_token, token)
        released = [c for c, needed in self._gated.items() if needed <= self._durable_token]
        for conn_id in released:
            del self._gated[conn_id]
            if conn_id in self._connections and self._connections[conn_id].out:
                self._writable.add(conn_id)

    def restore(self, snapshot: BrokerSnapshot, now: float) -> None:
        """Load what a durable store kept; call before any connection opens."""
        for stored in snapshot.sessions:
            session = Session(stored.client_id, stored.expiry_interval)
            session.durable = True
            self._sessions[stored.client_id] = session
            if stored.expiry_interval is not None:
                session.expires_at = (
                    stored.expires_at
                    if stored.expires_at is not None
                    else now + stored.expiry_interval
                )
                self._schedule(session.expires_at, "session", stored.client_id)
            for sub in stored.subscriptions:
                option = Subscription(
                    sub.topic_filter,
                    sub.qos,
                    sub.no_local,
                    sub.retain_as_published,
                    sub.retain_handling,
                )
                self._add_subscription(session, option, sub.subscription_id)
            for number, data, qos, retain, ids, packet_id, released in stored.deliveries:
                delivery = Delivery(_restored_message(data), qos, retain, ids, number)
                session.stored[number] = delivery
                session.next_number = max(session.next_number, number + 1)
                if packet_id is None:
                    session.queue.append(delivery)
                else:
                    session.inflight[packet_id] = InFlight(delivery, released)
            session.incoming_qos2.update(stored.incoming_qos2)
        for data in snapshot.retained:
            self._retained[data.topic] = _restored_message(data)

    def _persistent(self, session: Session) -> bool:
        return self._journal and session.expiry_interval != 0

    def _session_changed(self, session: Session) -> None:
        if self._persistent(session):
            session.durable = True
            self._dirty_sessions.add(session.client_id)
            self._changed = True
        elif session.durable:
            # Now ending with its connection: what the store kept of it is void.
            session.durable = False
            self._deleted_sessions.add(session.client_id)
            self._changed = True

    def _filter_changed(self, session: Session, topic_filter: str) -> None:
        if self._persistent(session):
            self._dirty_filters.setdefault(session.client_id, set()).add(topic_filter)
            self._changed = True

    def _incoming_changed(self, session: Session, packet_id: int) -> None:
        if self._persistent(session):
            self._dirty_incoming.setdefault(session.client_id, set()).add(packet_id)
            self._changed = True

    def _delivery_added(self, session: Session, delivery: Delivery) -> None:
        if self._persistent(session) and not delivery.number:
            delivery.number = session.next_number
            session.next_number += 1
            session.stored[delivery.number] = delivery
            self._delivery_changed(session, delivery)

    def _delivery_changed(self, session: Session, delivery: Delivery) -> None:
        if delivery.number:
            self._dirty_deliveries.setdefault(session.client_id, set()).add(delivery.number)
            self._changed = True

    def _delivery_removed(self, session: Session, delivery: Delivery) -> None:
        if delivery.number and session.stored.pop(delivery.number, None) is not None:
            self._delivery_changed(session, delivery)

    # -- driver interface ---------------------------------------------------

    def open_connection(self, now: float) -> int:
        """Register a new network connection; returns its id."""
        if self.stats.started_at is None:
            self.stats.started_at = now
            if self.config.sys_interval > 0:
                self._sys_due = now
        conn_id = self._next_connection
        self._next_connection += 1
        self._connections[conn_id] = _Connection(conn_id, self.config.max_packet_size, now)
        self._schedule(now + self.config.connect_timeout, "connect", conn_id)
        return conn_id

    def receive_data(self, conn_id: int, data: bytes | bytearray | memoryview, now: float) -> None:
        """Handle bytes received on connection ``conn_id``. Never raises for bad input."""
        conn = self._connections.get(conn_id)
        if conn is None or conn.state is ConnectionState.CLOSED:
            return
        self.stats.bytes_received += len(data)
        conn.last_seen = now
        self._receive(conn, data, now)
        if self._changed:
            # What this connection's packets changed must be durable before any
            # reply (PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK) goes out.
            self._gated[conn_id] = self._next_token

    def _receive(self, conn: _Connection, data: bytes | bytearray | memoryview, now: float) -> None:
        packets, error = conn.reader.feed_raw(data)
        for packet, raw in packets:
            try:
                self._dispatch(conn, packet, raw, now)
            except MQTTRemoteError as exc:
                self._fail(conn, exc, now)
                return
            except Exception as exc:
                # House style rule 9: our own failure (a raising authorizer, a bug)
                # ends this connection with 0x83 and leaves every other one alone.
                # The connection ends without DISCONNECT 0x00: the Will goes
                # ([MQTT-3.1.2-8]).
                self._close(
                    conn,
                    now,
                    reason=_R.IMPLEMENTATION_SPECIFIC_ERROR,
                    publish_will=True,
                    exception=exc,
                )
                return
            if _is_closed(conn):
                # After DISCONNECT or a refused CONNECT nothing more is processed
                # ([MQTT-3.1.4-6], [MQTT-3.14.4-1] for the client's side).
                return
        if error is not None:
            self._fail(conn, error, now)

    def receive_eof(self, conn_id: int, now: float) -> None:
        """The client closed its side, or the connection failed."""
        conn = self._connections.get(conn_id)
        if conn is None:
            return
        if conn.state is not ConnectionState.CLOSED:
            # [MQTT-3.1.2-8]: closing without DISCONNECT publishes the Will.
            self._close(conn, now, reason=_R.UNSPECIFIED_ERROR, publish_will=True, send=False)
        self._forget(conn)

    def output(self, conn_id: int) -> list[bytes]:
        """Drain the bytes to write to ``conn_id``; a final ``b""`` means close it."""
        conn = self._connections.get(conn_id)
        if conn is None or conn_id in self._gated:
            return []
        out = conn.out
        conn.out = []
        conn.pending_qos0 = 0
        if conn.state is ConnectionState.CLOSED:
            self._forget(conn)
        return out

    def writable(self) -> set[int]:
        """Connections that got output since the last call."""
        ready = self._writable
        self._writable = set()
        return ready

    def events(self) -> list[BrokerEvent]:
        """Drain events for logs and metrics."""
        events = self._events
        self._events = []
        return events

    def next_deadline(self) -> float | None:
        """When :meth:`tick` next has work to do."""
        deadline = self._timers[0][0] if self._timers else None
        if self._sys_due is not None and (deadline is None or self._sys_due < deadline):
            return self._sys_due
        return deadline

    def tick(self, now: float) -> None:
        """Let time pass: keep-alive, Will Delay, session expiry, ``$SYS`` updates."""
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, kind, key = heapq.heappop(timers)
            if kind == "keepalive":
                self._check_keep_alive(key, now)  # type: ignore[arg-type]
            elif kind == "connect":
                self._check_connected(key, now)  # type: ignore[arg-type]
            elif kind == "will":
                self._will_due(key, now)  # type: ignore[arg-type]
            else:
                self._session_due(key, now)  # type: ignore[arg-type]
        if self._sys_due is not None and self._sys_due <= now:
            self._publish_sys(now)
            self._sys_due = now + self.config.sys_interval

    def shutdown(self, now: float) -> None:
        """Close every connection: DISCONNECT 0x8B to 5.0 clients; sessions are kept."""
        for conn in self._connections.values():
            if conn.state is not ConnectionState.CLOSED:
                self._close(conn, now, reason=_R.SERVER_SHUTTING_DOWN, publish_will=False)

    # -- timers -------------------------------------------------------------

    def _schedule(self, when: float, kind: str, key: object) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (when, self._timer_seq, kind, key))

    def _check_connected(self, conn_id: int, now: float) -> None:
        conn = self._connections.get(conn_id)
        if conn is not None and conn.state is ConnectionState.AWAIT_CONNECT:
            # A connection that never sends CONNECT costs a socket: close it.
            self._close(conn, now, reason=_R.MAXIMUM_CONNECT_TIME, publish_will=False)

    def _check_keep_alive(self, conn_id: int, now: float) -> None:
        conn = self._connections.get(conn_id)
        if conn is None or conn.state is not ConnectionState.CONNECTED:
            return
        deadline = conn.last_seen + conn.keep_alive * 1.5
        if deadline > now:
            # Activity since the check was set: look again later, one timer per period.
            self._schedule(deadline, "keepalive", conn_id)
            return
        # [MQTT-3.1.2-22] (3.1.1: [MQTT-3.1.2-24]): one and a half keep-alive periods
        # without a packet close the connection as if the network had failed, so
        # the Will is published; a 5.0 client is told 0x8D first (section 4.13).
        self._close(conn, now, reason=_R.KEEP_ALIVE_TIMEOUT, publish_will=True)

    # -- packets ------------------------------------------------------------

    def _dispatch(self, conn: _Connection, packet: Packet, raw: bytes, now: float) -> None:
        packet_type = packet.packet_type
        if (conn.state, packet_type) not in TRANSITIONS:
            if conn.state is ConnectionState.AWAIT_CONNECT:
                # [MQTT-3.1.0-1]: the first packet must be CONNECT.
                raise MQTTProtocolError(f"expected CONNECT, got {packet_type.name}")
            # [MQTT-3.1.0-2] for a second CONNECT; a server's packet or AUTH likewise.
            raise MQTTProtocolError(f"a client may not send {packet_type.name} now")
        if isinstance(packet, Publish):
            self._on_publish(conn, packet, raw, now)
        elif isinstance(packet, Puback):
            self._on_puback(conn, packet.packet_id, now)
        elif isinstance(packet, Pubrec):
            self._on_pubrec(conn, packet, now)
        elif isinstance(packet, Pubrel):
            self._on_pubrel(conn, packet.packet_id)
        elif isinstance(packet, Pubcomp):
            self._on_pubcomp(conn, packet.packet_id, now)
        elif isinstance(packet, Subscribe):
            self._on_subscribe(conn, packet, now)
        elif isinstance(packet, Unsubscribe):
            self._on_unsubscribe(conn, packet)
        elif isinstance(packet, Connect):
            self._on_connect(conn, packet, now)
        elif isinstance(packet, Disconnect):
            self._on_disconnect(conn, packet, now)
        else:  # PINGREQ, the only other packet the table lets through
            self._send(conn, _PINGRESP)  # [MQTT-3.12.4-1]

    def _send(self, conn: _Connection, data: bytes) -> None:
        conn.out.append(data)
        self._writable.add(conn.id)

    def _send_packet(self, conn: _Connection, packet: Packet) -> None:
        self._send(conn, encode(packet, version=conn.version))

    # CONNECT ----------------------------------------------------------------

    def _refuse(self, conn: _Connection, v5_code: ReasonCode, v4_code: int, now: float) -> None:
        # [MQTT-3.2.2-6]: Session Present 0; [MQTT-3.2.2-7]: then close.
        self._send_packet(conn, Connack(reason_code=v5_code if conn.version == 5 else v4_code))
        self._close(conn, now, reason=v5_code, publish_will=False)

    def _on_connect(self, conn: _Connection, connect: Connect, now: float) -> None:
        config = self.config
        version = conn.version = connect.protocol_level
        props = connect.properties
        client_id = connect.client_id
        assigned = False
        if not client_id:
            if version == 4 and not connect.clean_start:
                # 3.1.1 [MQTT-3.1.3-8]: an empty identifier needs Clean Session 1.
                self._refuse(
                    conn, _R.CLIENT_IDENTIFIER_NOT_VALID, ConnectReturnCode.IDENTIFIER_REJECTED, now
                )
                return
            # [MQTT-3.1.3-6], [MQTT-3.2.2-16]: a new identifier no session uses.
            while True:
                self._assigned += 1
                client_id = f"{config.assigned_id_prefix}{self._assigned}"
                if client_id not in self._sessions:
                    break
            assigned = True
        elif len(client_id) > config.max_client_id_length:
            self._refuse(
                conn, _R.CLIENT_IDENTIFIER_NOT_VALID, ConnectReturnCode.IDENTIFIER_REJECTED, now
            )
            return
        if props.get(_I.AUTHENTICATION_METHOD) is not None:
            # [MQTT-4.12.0-1]: no enhanced authentication method is offered.
            self._refuse(conn, _R.BAD_AUTHENTICATION_METHOD, ConnectReturnCode.NOT_AUTHORIZED, now)
            return
        if config.authenticate is not None and not config.authenticate(
            connect.username, connect.password, client_id
        ):
            self._refuse(
                conn,
                _R.BAD_USER_NAME_OR_PASSWORD,
                ConnectReturnCode.BAD_USER_NAME_OR_PASSWORD,
                now,
            )
            return
        will = connect.will
        if will is not None:
            if will.qos > config.maximum_qos:
                # [MQTT-3.2.2-12]
                self._refuse(conn, _R.QOS_NOT_SUPPORTED, ConnectReturnCode.NOT_AUTHORIZED, now)
                return
            if will.retain and not config.retain_available:
                # [MQTT-3.2.2-13]
                self._refuse(conn, _R.RETAIN_NOT_SUPPORTED, ConnectReturnCode.NOT_AUTHORIZED, now)
                return
            if config.authorize_publish is not None and not config.authorize_publish(
                connect.username, client_id, will.topic
            ):
                self._refuse(conn, _R.NOT_AUTHORIZED, ConnectReturnCode.NOT_AUTHORIZED, now)
                return

        # Session Expiry Interval (section 3.1.2.11.2); 3.1.1 Clean Session 0 never expires.
        if version == 5:
            requested = props.get(_I.SESSION_EXPIRY_INTERVAL, 0)
            assert isinstance(requested, int)
        else:
            requested = 0 if connect.clean_start else _NEVER
        granted = min(requested, config.max_session_expiry)
        expiry: float | None = None if granted == _NEVER else float(granted)

        existing = self._sessions.get(client_id)
        if existing is not None:
            if existing.connection is not None:
                # [MQTT-3.1.4-3]: DISCONNECT 0x8E to the connection taken over, then
                # close it. Its Will goes as for any close ([MQTT-3.1.2-8]): now if it
                # has no delay or the session ends with that connection.
                old = self._connections[existing.connection]
                self._close(old, now, reason=_R.SESSION_TAKEN_OVER, publish_will=True)
            else:
                # What fell due before ``now`` happened, whether or not tick() said so.
                self._will_due(client_id, now)
                self._session_due(client_id, now)
            existing = self._sessions.get(client_id)
        pending = self._pending_wills.pop(client_id, None)
        if existing is not None and connect.clean_start:
            # [MQTT-3.1.2-4]: Clean Start discards the session.
            self._end_session(existing)
            existing = None
            if pending is not None:
                # [MQTT-3.1.2-8]: the Will waits for its delay or the end of the session.
                self._publish_will(pending[1], client_id, pending[2], now)
        # Otherwise [MQTT-3.1.3-9]: the session goes on, a delayed Will is not sent.
        session_present = existing is not None  # [MQTT-3.2.2-2], [MQTT-3.2.2-3]
        session = existing if existing is not None else Session(client_id, expiry)
        session.expiry_interval = expiry
        session.expires_at = None
        session.connection = conn.id
        self._sessions[client_id] = session
        self._session_changed(session)
        conn.state = ConnectionState.CONNECTED
        conn.session = session
        conn.client_id = client_id
        conn.username = connect.username
        conn.will = will
        conn.expiry_was_zero = requested == 0

        keep_alive = connect.keep_alive
        connack_props: list[tuple[PropertyId, PropertyValue]] = []
        if version == 5:
            if config.server_keep_alive is not None:
                keep_alive = config.server_keep_alive  # [MQTT-3.2.2-21]
                connack_props.append((_I.SERVER_KEEP_ALIVE, keep_alive))
            if granted != requested:
                connack_props.append((_I.SESSION_EXPIRY_INTERVAL, granted))
            if assigned:
                connack_props.append((_I.ASSIGNED_CLIENT_IDENTIFIER, client_id))
            connack_props.append((_I.RECEIVE_MAXIMUM, config.receive_maximum))
            connack_props.append((_I.MAXIMUM_PACKET_SIZE, config.max_packet_size))
            connack_props.append((_I.TOPIC_ALIAS_MAXIMUM, config.topic_alias_maximum))
            if config.maximum_qos < 2:
                connack_props.append((_I.MAXIMUM_QOS, config.maximum_qos))  # [MQTT-3.2.2-9]
            if not config.retain_available:
                connack_props.append((_I.RETAIN_AVAILABLE, 0))
            if not config.wildcard_subscription_available:
                connack_props.append((_I.WILDCARD_SUBSCRIPTION_AVAILABLE, 0))
            if not config.subscription_identifier_available:
                connack_props.append((_I.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 0))
            if not config.shared_subscription_available:
                connack_props.append((_I.SHARED_SUBSCRIPTION_AVAILABLE, 0))
            client_receive_maximum = props.get(_I.RECEIVE_MAXIMUM, 0xFFFF)
            assert isinstance(client_receive_maximum, int)
            conn.window = min(config.max_inflight, client_receive_maximum)
            max_size = props.get(_I.MAXIMUM_PACKET_SIZE)
            if isinstance(max_size, int):
                conn.max_packet_size = min(max_size, MAX_PACKET_SIZE_LIMIT)
            if config.assign_topic_aliases:
                # Section 3.3.2.3.4: aliases 1..N toward the client; none when N is 0
                # or absent ([MQTT-3.3.2-10], [MQTT-3.3.2-11]).
                alias_max = props.get(_I.TOPIC_ALIAS_MAXIMUM, 0)
                assert isinstance(alias_max, int)
                conn.alias_max = alias_max
        else:
            conn.window = config.max_inflight
        conn.keep_alive = keep_alive
        if keep_alive:
            self._schedule(now + keep_alive * 1.5, "keepalive", conn.id)
        self._send_packet(
            conn,
            Connack(session_present, _R.SUCCESS, Properties(tuple(connack_props))),
        )
        self.stats.clients_connected += 1
        self.stats.clients_total += 1
        self._events.append(ClientConnected(conn.id, client_id, version, session_present))
        if session_present:
            self._resume(conn, session, now)

    def _resume(self, conn: _Connection, session: Session, now: float) -> None:
        """Resend what was in flight, in order, then fill the window.

        [MQTT-4.4.0-1]: unacknowledged PUBLISH (with DUP 1, [MQTT-3.3.1-1]) and
        PUBREL packets go again with their original packet identifiers. PUBREL
        is never held back ([MQTT-3.3.4-10]); a PUBLISH waits, in order, while
        the client's Receive Maximum, which may be lower than on the connection
        it was first sent on, has no room for it ([MQTT-3.3.4-9]).
        """
        inflight = session.inflight
        outstanding = held = 0
        for packet_id, item in list(inflight.items()):
            if item.released:
                self._send(conn, _ack(0x62, packet_id, 0))
                outstanding += 1
            elif outstanding >= conn.window:
                # Never decreasing here: once one waits, every later PUBLISH waits.
                item.held = True
                held += 1
            else:
                item.held = False
                outstanding += self._resend(conn, session, packet_id, item, now)
        session.held = held
        self._fill_window(conn, session, now)

    def _resend(
        self, conn: _Connection, session: Session, packet_id: int, item: InFlight, now: float
    ) -> bool:
        """Send an in-flight PUBLISH again, DUP 1; False if it had to be dropped."""
        data = self._encode_delivery(conn, session, item.delivery, packet_id, now, True)
        if data:
            self._send(conn, data)
            return True
        # Too large for this connection's Maximum Packet Size: as if delivered
        # ([MQTT-3.1.2-25]), so it leaves the window.
        del session.inflight[packet_id]
        self._delivery_removed(session, item.delivery)
        return False

    # PUBLISH from a client ------------------------------------------------------

    def _on_publish(self, conn: _Connection, publish: Publish, raw: bytes, now: float) -> None:
        config = self.config
        session = conn.session
        assert session is not None
        topic = publish.topic_name
        props = publish.properties
        qos = publish.qos
        version = conn.version
        forwarded = props
        reusable = True
        if props.items:
            if props.get(_I.SUBSCRIPTION_IDENTIFIER) is not None:
                # [MQTT-3.3.4-6]: a client never sends a Subscription Identifier.
                raise MQTTProtocolError("a client may not send a Subscription Identifier")
            alias = props.get(_I.TOPIC_ALIAS)
            if alias is not None:
                assert isinstance(alias, int)
                if alias > config.topic_alias_maximum:
                    # [MQTT-3.3.2-9]; section 3.3.2.3.4: DISCONNECT 0x94.
                    raise MQTTProtocolError(
                        f"topic alias {alias} exceeds the maximum",
                        reason_code=_R.TOPIC_ALIAS_INVALID,
                    )
                if topic:
                    conn.aliases[alias] = topic
                else:
                    known = conn.aliases.get(alias)
                    if known is None:
                        raise MQTTProtocolError(
                            f"topic alias {alias} is not set", reason_code=_R.TOPIC_ALIAS_INVALID
                        )
                    topic = known
                forwarded = trusted_properties(
                    tuple(item for item in props.items if item[0] is not _I.TOPIC_ALIAS)
                )
            reusable = alias is None and props.get(_I.MESSAGE_EXPIRY_INTERVAL) is None
        if qos > config.maximum_qos:
            # [MQTT-3.2.2-11]; section 3.2.2.3.4: DISCONNECT 0x9B.
            raise MQTTProtocolError(f"QoS {qos} is not supported", reason_code=_R.QOS_NOT_SUPPORTED)
        if publish.retain and not config.retain_available:
            # [MQTT-3.2.2-14]; section 3.2.2.3.5: DISCONNECT 0x9A.
            raise MQTTProtocolError("retain is not supported", reason_code=_R.RETAIN_NOT_SUPPORTED)
        self.stats.messages_received += 1
        if qos == 2 and publish.packet_id in session.incoming_qos2:
            # [MQTT-4.3.3-10]: a resend before PUBREL is acknowledged, not routed again.
            self._send(conn, _ack(0x50, publish.packet_id, 0))
            return
        if qos and version == 5 and len(session.incoming_qos2) >= config.receive_maximum:
            # Section 3.3.4: more unacknowledged QoS > 0 PUBLISH than Receive Maximum.
            raise MQTTProtocolError(
                "receive maximum exceeded", reason_code=_R.RECEIVE_MAXIMUM_EXCEEDED
            )
        # Section 4.7.2: $SYS topics are the server's; a client's PUBLISH there is
        # acknowledged (0x87 in 5.0) and dropped. Other "$" topics stay usable (cloud
        # brokers give clients "$aws/...", "$iothub/..." and the like).
        allowed = not (topic.startswith("$SYS/") or topic == "$SYS") and (
            config.authorize_publish is None
            or config.authorize_publish(conn.username, session.client_id, topic)
        )
        if allowed:
            expires_at = None
            expiry = forwarded.get(_I.MESSAGE_EXPIRY_INTERVAL) if forwarded.items else None
            if expiry is not None:
                assert isinstance(expiry, int)
                expires_at = now + expiry
            message = Message(
                topic,
                publish.payload,
                qos,
                publish.retain,
                forwarded,
                expires_at,
                session.client_id,
            )
            if reusable:
                # Pass the received bytes through to receivers that take them as they
                # are; [MQTT-3.3.1-3]: the DUP flag of a forwarded packet is its own.
                if raw[0] & 0x08:
                    raw = bytes((raw[0] & 0xF7,)) + raw[1:]
                message.templates[(version, qos, publish.retain, ())] = (
                    raw,
                    _packet_id_offset(raw),
                )
            if publish.retain:
                self._retain(message)
            self._route(message, now)
        reason = _R.SUCCESS if allowed or version == 4 else _R.NOT_AUTHORIZED
        if qos == 1:
            self._send(conn, _ack(0x40, publish.packet_id, reason))  # type: ignore[arg-type]
        elif qos == 2:
            if allowed:
                # [MQTT-4.3.3-9]: after a failure PUBREC the identifier is free again.
                session.incoming_qos2.add(publish.packet_id)  # type: ignore[arg-type]
                self._incoming_changed(session, publish.packet_id)  # type: ignore[arg-type]
            self._send(conn, _ack(0x50, publish.packet_id, reason))  # type: ignore[arg-type]

    def _on_pubrel(self, conn: _Connection, packet_id: int) -> None:
        session = conn.session
        assert session is not None
        # [MQTT-4.3.3-11]: PUBCOMP answers every PUBREL; 0x92 when the id is unknown.
        if packet_id in session.incoming_qos2:
            session.incoming_qos2.discard(packet_id)
            self._incoming_changed(session, packet_id)
            code = _R.SUCCESS
        else:
            code = _R.PACKET_IDENTIFIER_NOT_FOUND if conn.version == 5 else _R.SUCCESS
        self._send(conn, _ack(0x70, packet_id, code))

    # Delivery to clients ------------------------------------------------------

    def _retain(self, message: Message) -> None:
        if self._journal:
            self._dirty_retained.add(message.topic)
            self._changed = True
        if message.payload:
            # [MQTT-3.3.1-5]: replace the topic's retained message.
            self._retained[message.topic] = message
        else:
            # [MQTT-3.3.1-6], [MQTT-3.3.1-7]: an empty retained message clears the topic.
            self._retained.pop(message.topic, None)

    def _route(self, message: Message, now: float) -> None:
        topic = message.topic
        entries = self._subscriptions.match(topic)
        if len(entries) == 1:
            entry = entries[0]
            options = entry.options
            if not (options.no_local and entry.session.client_id == message.origin):
                qos = options.qos if options.qos < message.qos else message.qos
                retain = message.retain and options.retain_as_published
                ids = (entry.subscription_id,) if entry.subscription_id is not None else ()
                self._deliver(entry.session, Delivery(message, qos, retain, ids), now)
        elif entries:
            # Overlapping subscriptions of one client get one message with the highest
            # QoS and every Subscription Identifier ([MQTT-3.3.4-2], [MQTT-3.3.4-4]).
            targets: dict[Session, Delivery] = {}
            for entry in entries:
                options = entry.options
                session = entry.session
                if options.no_local and session.client_id == message.origin:
                    continue  # [MQTT-3.8.3-3]
                qos = options.qos if options.qos < message.qos else message.qos
                retain = message.retain and options.retain_as_published
                ids = (entry.subscription_id,) if entry.subscription_id is not None else ()
                target = targets.get(session)
                if target is None:
                    targets[session] = Delivery(message, qos, retain, ids)
                else:
                    target.qos = max(target.qos, qos)
                    target.retain = target.retain or retain
                    target.subscription_ids += ids
            for session, delivery in targets.items():
                self._deliver(session, delivery, now)
        if self._shared_members:
            for key in self._shared.match(topic):
                self._deliver_shared(key, message, now)

    def _deliver_shared(self, key: tuple[str, str], message: Message, now: float) -> None:
        """Give the message to one member of a shared subscription group (section 4.8.2)."""
        members = self._shared_members[key]
        start = self._shared_next.get(key, 0)
        count = len(members)
        chosen = members[start % count]
        # Prefer a member with a live connection, round robin.
        for step in range(count):
            candidate = members[(start + step) % count]
            if candidate.session.connection is not None:
                chosen = candidate
                start += step
                break
        self._shared_next[key] = (start + 1) % count
        options = chosen.options
        qos = options.qos if options.qos < message.qos else message.qos  # [MQTT-4.8.2-3]
        retain = message.retain and options.retain_as_published  # [MQTT-3.3.1-12]
        ids = (chosen.subscription_id,) if chosen.subscription_id is not None else ()
        self._deliver(chosen.session, Delivery(message, qos, retain, ids), now)

    def _deliver(self, session: Session, delivery: Delivery, now: float) -> None:
        conn_id = session.connection
        if delivery.qos == 0:
            if conn_id is None:
                return  # QoS 0 is not queued for a client that is not connected
            conn = self._connections[conn_id]
            if conn.pending_qos0 >= self.config.max_pending_qos0:
                self._drop(session, 0, "qos0-backlog")
                return
            data = self._encode_delivery(conn, session, delivery, 0, now, False)
            if data:
                conn.pending_qos0 += 1
                self._send(conn, data)
            return
        if conn_id is not None and not session.queue:
            conn = self._connections[conn_id]
            if len(session.inflight) < conn.window:  # [MQTT-3.3.4-9]
                self._send_inflight(conn, session, delivery, now)
                return
        if len(session.queue) >= self.config.max_queued_messages:
            self._drop(session, delivery.qos, "queue-full")
            return
        self._delivery_added(session, delivery)
        session.queue.append(delivery)

    def _send_inflight(
        self, conn: _Connection, session: Session, delivery: Delivery, now: float
    ) -> None:
        packet_id = session.allocate_packet_id()
        data = self._encode_delivery(conn, session, delivery, packet_id, now, False)
        if data:
            self._delivery_added(session, delivery)
            session.inflight[packet_id] = InFlight(delivery)
            self._delivery_changed(session, delivery)
            self._send(conn, data)
        else:
            self._delivery_removed(session, delivery)

    def _fill_window(self, conn: _Connection, session: Session, now: float) -> None:
        inflight = session.inflight
        if session.held:
            # Resends first, in their order; only then anything new.
            outstanding = len(inflight) - session.held
            for packet_id, item in list(inflight.items()):
                if outstanding >= conn.window:
                    return
                if not item.held:
                    continue
                item.held = False
                session.held -= 1
                outstanding += self._resend(conn, session, packet_id, item, now)
        queue = session.queue
        while queue and len(inflight) < conn.window:
            self._send_inflight(conn, session, queue.popleft(), now)

    def _drop(self, session: Session, qos: int, reason: str) -> None:
        self.stats.messages_dropped += 1
        self._events.append(MessagesDropped(session.client_id, 1, qos, reason))

    def _encode_delivery(
        self,
        conn: _Connection,
        session: Session,
        delivery: Delivery,
        packet_id: int,
        now: float,
        dup: bool,
    ) -> bytes:
        """The PUBLISH bytes of ``delivery`` for ``conn``; ``b""`` if it must be skipped."""
        message = delivery.message
        expires_at = message.expires_at
        if expires_at is not None and expires_at <= now and not dup:
            # [MQTT-3.3.2-5]: expired before onward delivery started. A resend is not
            # subject to expiry: its onward delivery has started ([MQTT-4.3.3-7]).
            self._drop(session, delivery.qos, "expired")
            return b""
        version = conn.version
        key = (version, delivery.qos, delivery.retain, delivery.subscription_ids)
        templates = message.templates
        template = templates.get(key) if expires_at is None else None
        if template is None:
            properties = NO_PROPERTIES
            if version == 5:
                items = message.properties.items
                if expires_at is not None:
                    # [MQTT-3.3.2-6]: forward the time the message has left.
                    remaining = max(math.ceil(expires_at - now), 0)
                    items = tuple(
                        (pid, remaining if pid is _I.MESSAGE_EXPIRY_INTERVAL else value)
                        for pid, value in items
                    )
                if delivery.subscription_ids:
                    items += tuple(
                        (_I.SUBSCRIPTION_IDENTIFIER, sid) for sid in delivery.subscription_ids
                    )
                properties = trusted_properties(items)
            data = encode(
                Publish(
                    message.topic,
                    message.payload,
                    delivery.qos,
                    delivery.retain,
                    False,
                    1 if delivery.qos else None,
                    properties,
                ),
                version=version,
            )
            template = (data, _packet_id_offset(data))
            if expires_at is None and len(templates) < _MAX_TEMPLATES:
                templates[key] = template
        data, offset = template
        if len(data) > conn.max_packet_size:
            # [MQTT-3.1.2-24], [MQTT-3.1.2-25]: never send more than the client
            # accepts; the message is dropped for this client as if delivered.
            self._drop(session, delivery.qos, "too-large")
            return b""
        if conn.alias_max and not dup:
            # A resend (after a reconnect: the aliases of the connection it was
            # first sent on are gone) always goes by topic name.
            aliased = _aliased(conn, message.topic, data, offset, delivery.qos, packet_id)
            if aliased:
                self.stats.messages_sent += 1
                return aliased
        if delivery.qos:
            # The packet identifier patched in; the payload is copied once, not sliced
            # first. [MQTT-3.3.1-1]: DUP 1 on a resend only.
            head = bytes((data[0] | 0x08,)) + data[1:offset] if dup else data[:offset]
            data = b"".join((head, _pack_u16(packet_id), memoryview(data)[offset + 2 :]))
        self.stats.messages_sent += 1
        return data

    def _complete(
        self, conn: _Connection, session: Session, packet_id: int, item: InFlight, now: float
    ) -> None:
        """A delivery is over: it leaves the window, which fills again."""
        del session.inflight[packet_id]
        self._delivery_removed(session, item.delivery)
        if item.held:
            # Acknowledged before we resent it: the client had it already.
            session.held -= 1
        self._fill_window(conn, session, now)

    def _on_puback(self, conn: _Connection, packet_id: int, now: float) -> None:
        """PUBACK ends a QoS 1 delivery ([MQTT-4.3.2-3]) and frees window room."""
        session = conn.session
        assert session is not None
        item = session.inflight.get(packet_id)
        if item is None or item.delivery.qos != 1:
            return  # acknowledges nothing we sent at QoS 1: ignored
        self._complete(conn, session, packet_id, item, now)

    def _on_pubcomp(self, conn: _Connection, packet_id: int, now: float) -> None:
        """PUBCOMP ends a QoS 2 delivery after PUBREL ([MQTT-4.3.3-5])."""
        session = conn.session
        assert session is not None
        item = session.inflight.get(packet_id)
        if item is None or not item.released:
            return  # no PUBREL of ours awaits it: ignored
        self._complete(conn, session, packet_id, item, now)

    def _on_pubrec(self, conn: _Connection, pubrec: Pubrec, now: float) -> None:
        session = conn.session
        assert session is not None
        packet_id = pubrec.packet_id
        item = session.inflight.get(packet_id)
        if item is None or item.delivery.qos != 2:
            # No QoS 2 delivery of ours has this identifier (section 3.6.2.1).
            code = _R.PACKET_IDENTIFIER_NOT_FOUND if conn.version == 5 else _R.SUCCESS
            self._send(conn, _ack(0x62, packet_id, code))
            return
        if pubrec.reason_code >= 0x80:
            # [MQTT-4.4.0-2]: a failure PUBREC acknowledges; no PUBREL, no resend.
            self._complete(conn, session, packet_id, item, now)
            return
        # [MQTT-4.3.3-4], [MQTT-4.3.3-6]: PUBREL from now on, never the PUBLISH again.
        item.released = True
        self._delivery_changed(session, item.delivery)
        if item.held:
            # Received on an earlier connection: it is no longer ours to resend.
            item.held = False
            session.held -= 1
        self._send(conn, _ack(0x62, packet_id, 0))

    # SUBSCRIBE / UNSUBSCRIBE ---------------------------------------------------

    def _on_subscribe(self, conn: _Connection, subscribe: Subscribe, now: float) -> None:
        config = self.config
        session = conn.session
        assert session is not None
        version = conn.version
        # The decoder lets one Subscription Identifier through (section 3.8.2.1.2).
        subscription_id = (
            subscribe.properties.get(_I.SUBSCRIPTION_IDENTIFIER)
            if subscribe.properties.items
            else None
        )
        assert subscription_id is None or isinstance(subscription_id, int)
        codes: list[int] = []
        retained: list[tuple[SubscriptionEntry, bool]] = []
        failure = _R.UNSPECIFIED_ERROR  # 3.1.1: return code 0x80
        # [MQTT-3.8.4-5]: each filter as if in its own SUBSCRIBE, one SUBACK.
        for option in subscribe.subscriptions:
            topic_filter = option.topic_filter
            if not is_valid_topic_filter(topic_filter):
                codes.append(_R.TOPIC_FILTER_INVALID if version == 5 else failure)
                continue
            # No Local on a shared subscription ([MQTT-3.8.3-4]) is refused by the decoder.
            shared = parse_shared_subscription(topic_filter)
            if shared is not None and not config.shared_subscription_available:
                codes.append(_R.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED if version == 5 else failure)
                continue
            plain_filter = shared.topic_filter if shared is not None else topic_filter
            if not config.wildcard_subscription_available and (
                "+" in plain_filter or "#" in plain_filter
            ):
                codes.append(_R.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED if version == 5 else failure)
                continue
            if subscription_id is not None and not config.subscription_identifier_available:
                codes.append(_R.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED)
                continue
            if config.authorize_subscribe is not None and not config.authorize_subscribe(
                conn.username, session.client_id, topic_filter
            ):
                codes.append(_R.NOT_AUTHORIZED if version == 5 else failure)
                continue
            # [MQTT-3.2.2-10]: accepted whatever QoS is asked; granted at most maximum_qos.
            granted = min(option.qos, config.maximum_qos)
            if granted != option.qos:
                option = replace(option, qos=granted)
            # [MQTT-3.8.4-3]: an identical filter replaces the existing subscription.
            existed = self._unsubscribe_one(session, topic_filter)
            entry = self._add_subscription(session, option, subscription_id)
            if entry.share is None:
                # Section 4.8.2: no retained messages for a shared subscription.
                retained.append((entry, existed))
            codes.append(granted)
        self._send(conn, encode(Suback(subscribe.packet_id, tuple(codes)), version=version))
        for entry, existed in retained:
            self._send_retained(session, entry, existed, now)

    def _send_retained(
        self, session: Session, entry: SubscriptionEntry, existed: bool, now: float
    ) -> None:
        """Retained messages for a new subscription (section 3.3.1.3, Retain Handling)."""
        handling = entry.options.retain_handling
        # [MQTT-3.3.1-9], [MQTT-3.3.1-10], [MQTT-3.3.1-11]
        if handling == 2 or (handling == 1 and existed) or not self._retained:
            return
        topic_filter = entry.topic_filter
        if "+" in topic_filter or "#" in topic_filter:
            messages = [m for t, m in self._retained.items() if topic_matches(topic_filter, t)]
        else:
            found = self._retained.get(topic_filter)
            messages = [found] if found is not None else []
        ids = (entry.subscription_id,) if entry.subscription_id is not None else ()
        for message in messages:
            if message.expires_at is not None and message.expires_at <= now:
                # [MQTT-3.3.2-5]: an expired retained message is gone.
                del self._retained[message.topic]
                if self._journal:
                    self._dirty_retained.add(message.topic)
                    self._changed = True
                continue
            qos = min(message.qos, entry.options.qos)
            # Section 3.3.1.3 (3.1.1: [MQTT-3.3.1-8]): sent with RETAIN 1.
            self._deliver(session, Delivery(message, qos, True, ids), now)

    def _add_subscription(
        self, session: Session, option: Subscription, subscription_id: int | None
    ) -> SubscriptionEntry:
        topic_filter = option.topic_filter
        shared = parse_shared_subscription(topic_filter)
        key = (shared.share_name, shared.topic_filter) if shared is not None else None
        entry = SubscriptionEntry(session, topic_filter, option, subscription_id, key)
        session.subscriptions[topic_filter] = entry
        self._filter_changed(session, topic_filter)
        if key is not None:
            members = self._shared_members.setdefault(key, [])
            if not members:
                self._shared.add(key[1], key)
            members.append(entry)
        else:
            self._subscriptions.add(topic_filter, entry)
        return entry

    def _unsubscribe_one(self, session: Session, topic_filter: str) -> bool:
        entry = session.subscriptions.pop(topic_filter, None)
        if entry is None:
            return False
        self._filter_changed(session, topic_filter)
        key = entry.share
        if key is not None:
            members = self._shared_members[key]
            members.remove(entry)
            if not members:
                del self._shared_members[key]
                self._shared_next.pop(key, None)
                self._shared.remove(key[1], key)
        else:
            self._subscriptions.remove(topic_filter, entry)
        return True

    def _on_unsubscribe(self, conn: _Connection, unsubscribe: Unsubscribe) -> None:
        session = conn.session
        assert session is not None
        codes = []
        for topic_filter in unsubscribe.topic_filters:
            if not is_valid_topic_filter(topic_filter):
                codes.append(_R.TOPIC_FILTER_INVALID)
            elif self._unsubscribe_one(session, topic_filter):  # [MQTT-3.10.4-1]
                codes.append(_R.SUCCESS)
            else:
                codes.append(_R.NO_SUBSCRIPTION_EXISTED)
        # [MQTT-3.10.4-4], [MQTT-3.10.4-5]: UNSUBACK even when nothing was removed.
        if conn.version == 4:
            self._send(conn, encode(Unsuback(unsubscribe.packet_id), version=4))
        else:
            self._send(conn, encode(Unsuback(unsubscribe.packet_id, tuple(codes)), version=5))

    # DISCONNECT and errors --------------------------------------------------------

    def _on_disconnect(self, conn: _Connection, disconnect: Disconnect, now: float) -> None:
        session = conn.session
        assert session is not None
        props = disconnect.properties
        expiry = props.get(_I.SESSION_EXPIRY_INTERVAL) if props.items else None
        if expiry is not None:
            assert isinstance(expiry, int)
            if expiry and conn.expiry_was_zero:
                # Section 3.14.2.2.2: a session whose CONNECT asked for 0 ends at the
                # disconnect; setting a non-zero interval now is a Protocol Error.
                raise MQTTProtocolError("Session Expiry Interval was 0 in CONNECT")
            granted = min(expiry, self.config.max_session_expiry)
            session.expiry_interval = None if granted == _NEVER else float(granted)
            self._session_changed(session)
        # [MQTT-3.14.4-3]: 0x00 discards the Will; any other reason code, 0x04
        # included, leaves the connection closed without a normal disconnection,
        # so the Will is published ([MQTT-3.1.2-8]).
        self._close(
            conn,
            now,
            reason=disconnect.reason_code,
            publish_will=disconnect.reason_code != _R.NORMAL_DISCONNECTION,
            send=False,
        )

    def _fail(self, conn: _Connection, error: MQTTRemoteError, now: float) -> None:
        """The client broke the rules: tell it in its protocol's way and close."""
        if isinstance(error, UnsupportedProtocolVersion):
            if conn.state is ConnectionState.AWAIT_CONNECT:
                # 3.1.1 section 3.2.2.3: return code 0x01, in the 3.1.1 format every
                # client understands (mosquitto does the same).
                conn.version = 4
                self._send_packet(
                    conn, Connack(reason_code=ConnectReturnCode.UNACCEPTABLE_PROTOCOL_VERSION)
                )
            else:
                # [MQTT-3.1.0-2]: whatever it holds, a second CONNECT is a Protocol
                # Error (and 0x84 is no DISCONNECT reason code).
                error = MQTTProtocolError(f"a second CONNECT: {error}")
        # A 5.0 client that had its CONNACK is told the reason (section 4.13); the
        # Will is published on a protocol error ([MQTT-3.1.2-8]).
        self._close(conn, now, reason=error.reason_code, publish_will=True, error=error)

    def _close(
        self,
        conn: _Connection,
        now: float,
        *,
        reason: int,
        publish_will: bool,
        send: bool = True,
        error: MQTTRemoteError | None = None,
        exception: Exception | None = None,
    ) -> None:
        """End a network connection; DISCONNECT first to a 5.0 client when ``send``."""
        was_connected = conn.state is ConnectionState.CONNECTED
        if send and was_connected and conn.version == 5:
            # [MQTT-3.14.0-1]: a DISCONNECT only ever follows a successful CONNACK.
            self._send_packet(conn, Disconnect(reason))
        conn.state = ConnectionState.CLOSED
        self._send(conn, b"")
        self._events.append(ClientDisconnected(conn.id, conn.client_id, reason, error, exception))
        if not was_connected:
            return
        self.stats.clients_connected -= 1
        session = conn.session
        assert session is not None and session.connection == conn.id
        session.connection = None
        will = conn.will
        conn.will = None
        expiry = session.expiry_interval
        if will is not None and publish_will:
            delay = _will_delay(will)
            if delay and (expiry is None or expiry > 0):
                # [MQTT-3.1.2-8]: the Will waits for its delay or the end of the session.
                due = now + delay if expiry is None else now + min(delay, expiry)
                self._pending_wills[session.client_id] = (due, will, conn.username)
                self._schedule(due, "will", session.client_id)
            else:
                self._publish_will(will, session.client_id, conn.username, now)
        if expiry == 0:
            self._end_session(session)
        elif expiry is not None:
            # [MQTT-3.1.2-23]: kept for the Session Expiry Interval.
            session.expires_at = now + expiry
            self._session_changed(session)
            self._schedule(session.expires_at, "session", session.client_id)

    def _forget(self, conn: _Connection) -> None:
        del self._connections[conn.id]
        self._writable.discard(conn.id)

    def _end_session(self, session: Session) -> None:
        for topic_filter in list(session.subscriptions):
            self._unsubscribe_one(session, topic_filter)
        session.queue.clear()
        session.inflight.clear()
        del self._sessions[session.client_id]
        if session.durable:
            self._deleted_sessions.add(session.client_id)
            self._changed = True

    def _will_due(self, client_id: str, now: float) -> None:
        pending = self._pending_wills.get(client_id)
        if pending is None or pending[0] > now:
            return
        del self._pending_wills[client_id]
        _, will, username = pending
        self._publish_will(will, client_id, username, now)

    def _session_due(self, client_id: str, now: float) -> None:
        session = self._sessions.get(client_id)
        if session is None or session.connection is not None:
            return
        if session.expires_at is None or session.expires_at > now:
            return
        # [MQTT-4.1.0-2]: the interval has passed; the Will goes first ([MQTT-3.1.2-8]).
        self._will_due(client_id, math.inf)
        self._end_session(session)

    def _publish_will(self, will: Will, client_id: str, username: str | None, now: float) -> None:
        if self.config.authorize_publish is not None and not self.config.authorize_publish(
            username, client_id, will.topic
        ):
            return
        props = will.properties
        forwarded = (
            trusted_properties(tuple(i for i in props.items if i[0] is not _I.WILL_DELAY_INTERVAL))
            if props.items
            else props
        )
        expiry = forwarded.get(_I.MESSAGE_EXPIRY_INTERVAL) if forwarded.items else None
        expires_at = now + expiry if isinstance(expiry, int) else None
        message = Message(
            will.topic, will.payload, will.qos, will.retain, forwarded, expires_at, client_id
        )
        self.stats.messages_received += 1
        if will.retain:
            self._retain(message)  # [MQTT-3.1.2-15]; [MQTT-3.1.2-14] otherwise
        self._route(message, now)

    # $SYS ---------------------------------------------------------------------------

    def _publish_sys(self, now: float) -> None:
        stats = self.stats
        assert stats.started_at is not None
        values = {
            "uptime": f"{int(now - stats.started_at)} seconds",
            "clients/connected": stats.clients_connected,
            "clients/total": stats.clients_total,
            "messages/received": stats.messages_received,
            "messages/sent": stats.messages_sent,
            "messages/dropped": stats.messages_dropped,
            "subscriptions/count": len(self._subscriptions)
            + sum(len(m) for m in self._shared_members.values()),
            "retained messages/count": len(self._retained),
            "sessions/count": len(self._sessions),
        }
        for name, value in values.items():
            message = Message(
                f"$SYS/broker/{name}", str(value).encode(), 0, True, NO_PROPERTIES, None, ""
            )
            self._retained[message.topic] = message
            self._route(message, now)


def _stored_message(message: Message) -> StoredMessage:
    return StoredMessage(
        message.topic,
        message.payload,
        message.qos,
        message.retain,
        encode_message_properties(message.properties),
        message.expires_at,
        message.origin,
    )


def _restored_message(data: StoredMessage) -> Message:
    return Message(
        data.topic,
        data.payload,
        data.qos,
        data.retain,
        decode_message_properties(data.properties),
        data.expires_at,
        data.origin,
    )


def _is_closed(conn: _Connection) -> bool:
    # A function, so the type checker does not narrow ``state`` across handlers.
    return conn.state is ConnectionState.CLOSED


def _will_delay(will: Will) -> int:
    delay = will.properties.get(_I.WILL_DELAY_INTERVAL, 0) if will.properties.items else 0
    assert isinstance(delay, int)
    return delay


def _ack(first: int, packet_id: int, reason: int) -> bytes:
    """PUBACK (0x40), PUBREC (0x50), PUBREL (0x62) or PUBCOMP (0x70) bytes, as
    :func:`encode` writes them without properties: a success reason code is left
    out (section 3.4.2.1), giving the 3.1.1 form; a failure is only ever 5.0."""
    if reason:
        return bytes((first, 3)) + _pack_u16(packet_id) + bytes((reason,))
    return bytes((first, 2)) + _pack_u16(packet_id)


def _aliased(
    conn: _Connection, topic: str, data: bytes, offset: int, qos: int, packet_id: int
) -> bytes:
    """Encoded PUBLISH ``data`` (a template) with a Topic Alias for ``conn``.

    Section 3.3.2.3.4: the first PUBLISH of a topic on a network connection
    carries the name and sets the alias; later ones carry an empty name and the
    alias. Aliases are 1..``conn.alias_max`` ([MQTT-3.3.2-10]..[MQTT-3.3.2-12]);
    once all are taken a new topic goes by name. Returns ``b""`` to send the
    template as it is: no alias left, or the aliased packet would exceed the
    client's Maximum Packet Size ([MQTT-3.1.2-24]).
    """
    aliases = conn.topic_aliases
    alias = aliases.get(topic)
    new = alias is None
    if alias is None:
        if len(aliases) >= conn.alias_max:
            return b""
        alias = len(aliases) + 1
    view = memoryview(data)
    # The template: fixed header, topic name, packet identifier if QoS > 0, then
    # the property length, the properties and the payload.
    start = _header_size(data)
    at = offset + 2 if qos else offset
    props_length, props_at = _vbi_at(data, at)
    name = view[start:offset] if new else b"\x00\x00"
    head = b"".join(
        (
            _pack_u16(packet_id) if qos else b"",
            encode_vbi(props_length + 3),
            _TOPIC_ALIAS,
            _pack_u16(alias),
        )
    )
    remaining = len(name) + len(head) + len(data) - props_at
    if 1 + _vbi_size(remaining) + remaining > conn.max_packet_size:
        return b""
    if new:
        aliases[topic] = alias
    return b"".join((bytes((data[0],)), encode_vbi(remaining), name, head, view[props_at:]))


def _vbi_at(data: bytes, pos: int) -> tuple[int, int]:
    """The Variable Byte Integer at ``pos`` of ``data`` we encoded, and the end."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _vbi_size(value: int) -> int:
    """Bytes in the Variable Byte Integer of ``value`` (4 for anything larger)."""
    return 1 if value < 0x80 else 2 if value < 0x4000 else 3 if value < 0x20_0000 else 4


def _header_size(data: bytes) -> int:
    index = 1
    while data[index] & 0x80:
        index += 1
    return index + 1


def _packet_id_offset(data: bytes) -> int:
    """Offset of the packet identifier in encoded PUBLISH ``data``."""
    start = _header_size(data)
    return start + 2 + ((data[start] << 8) | data[start + 1])
