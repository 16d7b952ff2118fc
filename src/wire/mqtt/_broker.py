"""The MQTT broker core: sessions, routing, retained messages and wills (Sans-IO).

The core holds no sockets and reads no clock. Its driver opens a connection id
per network connection, feeds it the bytes received with the current time, and
writes out what :meth:`Broker.output` returns for each connection that
:meth:`Broker.writable` names. Time passes through :meth:`Broker.tick`.

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
from dataclasses import dataclass
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
from wire.mqtt._codec import DEFAULT_MAX_PACKET_SIZE, encode
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
    Unsuback,
    Unsubscribe,
    Will,
)
from wire.mqtt._properties import NO_PROPERTIES, Properties, PropertyId, PropertyValue
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
        server_keep_alive: Keep-alive imposed on 5.0 clients, if set.
        max_session_expiry: Longest Session Expiry Interval granted, seconds.
        max_client_id_length: Longest client identifier accepted, in characters.
        connect_timeout: Seconds a new connection has to send CONNECT.
        sys_interval: Seconds between ``$SYS/broker/...`` updates; 0 disables them.
        assigned_id_prefix: Prefix of identifiers assigned to clients that send an
            empty one; the driver makes it unique per broker start.
        authenticate: Credentials check; ``None`` accepts everyone.
        authorize_publish / authorize_subscribe: Per-topic access checks.
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
    server_keep_alive: int | None = None
    max_session_expiry: int = _NEVER
    max_client_id_length: int = 256
    connect_timeout: float = 10.0
    sys_interval: float = 10.0
    assigned_id_prefix: str = DEFAULT_ASSIGNED_ID_PREFIX
    authenticate: Authenticator | None = None
    authorize_publish: Authorizer | None = None
    authorize_subscribe: Authorizer | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.receive_maximum <= 0xFFFF:
            raise LocalProtocolError("receive_maximum must be in 1..65535")
        if not 1 <= self.max_inflight <= 0xFFFF:
            raise LocalProtocolError("max_inflight must be in 1..65535")
        if not 0 <= self.maximum_qos <= 2:
            raise LocalProtocolError("maximum_qos must be 0, 1 or 2")
        if not 0 <= self.topic_alias_maximum <= 0xFFFF:
            raise LocalProtocolError("topic_alias_maximum must be in 0..65535")
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
        "alias_maximum_out",
        "aliases",
        "check_at",
        "client_id",
        "id",
        "keep_alive",
        "last_seen",
        "max_packet_size",
        "out",
        "pending_qos0",
        "reader",
        "session",
        "state",
        "unacked_in",
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
        self.check_at: float | None = None
        self.out: list[bytes] = []
        self.pending_qos0 = 0
        self.aliases: dict[int, str] = {}
        self.alias_maximum_out = 0
        self.max_packet_size = 0xFFFF_FFFF
        self.window = 1
        self.unacked_in = 0
        self.will: Will | None = None


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
        packets, error = conn.reader.feed_raw(data)
        for packet, raw in packets:
            if _is_closed(conn):
                return
            try:
                self._dispatch(conn, packet, raw, now)
            except MQTTRemoteError as exc:
                self._fail(conn, exc, now)
                return
        if error is not None and not _is_closed(conn):
            self._fail(conn, error, now)

    def receive_eof(self, conn_id: int, now: float) -> None:
        """The client closed its side, or the connection failed."""
        conn = self._connections.get(conn_id)
        if conn is None:
            return
        if conn.state is not ConnectionState.CLOSED:
            # Section 3.1.2.5: closing without DISCONNECT publishes the Will.
            self._close(conn, now, reason=_R.UNSPECIFIED_ERROR, publish_will=True, send=None)
        self._forget(conn)

    connection_lost = receive_eof

    def output(self, conn_id: int) -> list[bytes]:
        """Drain the bytes to write to ``conn_id``; a final ``b""`` means close it."""
        conn = self._connections.get(conn_id)
        if conn is None:
            return []
        out = conn.out
        conn.out = []
        conn.pending_qos0 = 0
        if out and not out[-1] and conn.state is ConnectionState.CLOSED:
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
        for conn in list(self._connections.values()):
            if conn.state is ConnectionState.CONNECTED:
                self._close(conn, now, reason=_R.SERVER_SHUTTING_DOWN, publish_will=False)
            elif conn.state is ConnectionState.AWAIT_CONNECT:
                self._close(
                    conn, now, reason=_R.SERVER_SHUTTING_DOWN, publish_will=False, send=None
                )

    # -- introspection ------------------------------------------------------

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    def session(self, client_id: str) -> Session | None:
        """The session of ``client_id``, if the broker holds one."""
        return self._sessions.get(client_id)

    def retained(self, topic: str) -> Message | None:
        """The retained message of ``topic``, if any."""
        return self._retained.get(topic)

    # -- timers -------------------------------------------------------------

    def _schedule(self, when: float, kind: str, key: object) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (when, self._timer_seq, kind, key))

    def _watch_keep_alive(self, conn: _Connection) -> None:
        if conn.keep_alive:
            # [MQTT-3.1.2-24]: close after one and a half keep-alive periods of silence.
            conn.check_at = conn.last_seen + conn.keep_alive * 1.5
            self._schedule(conn.check_at, "keepalive", conn.id)

    def _check_connected(self, conn_id: int, now: float) -> None:
        conn = self._connections.get(conn_id)
        if conn is not None and conn.state is ConnectionState.AWAIT_CONNECT:
            # A connection that never sends CONNECT costs a socket: close it.
            self._close(conn, now, reason=_R.MAXIMUM_CONNECT_TIME, publish_will=False, send=None)

    def _check_keep_alive(self, conn_id: int, now: float) -> None:
        conn = self._connections.get(conn_id)
        if conn is None or conn.state is not ConnectionState.CONNECTED or not conn.keep_alive:
            return
        deadline = conn.last_seen + conn.keep_alive * 1.5
        if deadline > now:
            # Activity since the check was set: look again later, one timer per period.
            self._schedule(deadline, "keepalive", conn_id)
            return
        self._close(conn, now, reason=_R.KEEP_ALIVE_TIMEOUT, publish_will=True)

    # -- packets ------------------------------------------------------------

    def _dispatch(self, conn: _Connection, packet: Packet, raw: bytes, now: float) -> None:
        packet_type = packet.packet_type
        state = TRANSITIONS.get((conn.state, packet_type))
        if state is None:
            if conn.state is ConnectionState.AWAIT_CONNECT:
                # [MQTT-3.1.0-1]: the first packet must be CONNECT.
                raise MQTTProtocolError(f"expected CONNECT, got {packet_type.name}")
            raise MQTTProtocolError(f"a client may not send {packet_type.name} now")
        if isinstance(packet, Publish):
            self._on_publish(conn, packet, raw, now)
        elif isinstance(packet, Puback | Pubcomp):
            self._on_puback(conn, packet.packet_id, now)
        elif isinstance(packet, Pubrec):
            self._on_pubrec(conn, packet, now)
        elif isinstance(packet, Pubrel):
            self._on_pubrel(conn, packet.packet_id)
        elif isinstance(packet, Subscribe):
            self._on_subscribe(conn, packet, now)
        elif isinstance(packet, Unsubscribe):
            self._on_unsubscribe(conn, packet)
        elif isinstance(packet, Connect):
            self._on_connect(conn, packet, now)
        elif isinstance(packet, Disconnect):
            self._on_disconnect(conn, packet, now)
        else:  # PINGREQ, the only other packet the table lets through
            self._send(conn, _PINGRESP)

    def _send(self, conn: _Connection, data: bytes) -> None:
        conn.out.append(data)
        self._writable.add(conn.id)

    def _send_packet(self, conn: _Connection, packet: Packet) -> None:
        self._send(conn, encode(packet, version=conn.version))

    # CONNECT ----------------------------------------------------------------

    def _refuse(self, conn: _Connection, v5_code: ReasonCode, v4_code: int, now: float) -> None:
        if conn.version == 5:
            self._send_packet(conn, Connack(reason_code=v5_code))
        else:
            self._send_packet(conn, Connack(reason_code=v4_code))
        self._close(conn, now, reason=v5_code, publish_will=False, send=None)

    def _on_connect(self, conn: _Connection, connect: Connect, now: float) -> None:
        config = self.config
        version = conn.version = connect.protocol_level
        conn.state = ConnectionState.CONNECTED
        props = connect.properties
        client_id = connect.client_id
        assigned = False
        if not client_id:
            if version == 4 and not connect.clean_start:
                # [MQTT-3.1.3-8]: an empty identifier needs Clean Session 1 in 3.1.1.
                self._refuse(
                    conn, _R.CLIENT_IDENTIFIER_NOT_VALID, ConnectReturnCode.IDENTIFIER_REJECTED, now
                )
                return
            self._assigned += 1
            client_id = f"{config.assigned_id_prefix}{self._assigned}"
            assigned = True
        elif len(client_id) > config.max_client_id_length:
            self._refuse(
                conn, _R.CLIENT_IDENTIFIER_NOT_VALID, ConnectReturnCode.IDENTIFIER_REJECTED, now
            )
            return
        if props.get(_I.AUTHENTICATION_METHOD) is not None:
            # No enhanced authentication method is offered (section 4.12).
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
                self._refuse(conn, _R.QOS_NOT_SUPPORTED, ConnectReturnCode.NOT_AUTHORIZED, now)
                return
            if will.retain and not config.retain_available:
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

        # Take over an existing connection of the same client ([MQTT-3.1.4-3]).
        existing = self._sessions.get(client_id)
        if existing is not None and existing.connection is not None:
            old = self._connections.get(existing.connection)
            if old is not None and old.state is ConnectionState.CONNECTED:
                will_now = old.will is not None and _will_delay(old.will) == 0
                self._close(old, now, reason=_R.SESSION_TAKEN_OVER, publish_will=will_now)
        self._pending_wills.pop(client_id, None)  # [MQTT-3.1.3-9]: reconnect cancels it
        if existing is not None and connect.clean_start:
            self._end_session(existing)
            existing = None
        session_present = existing is not None
        session = existing or Session(client_id, version, expiry)
        session.version = version
        session.expiry_interval = expiry
        session.expires_at = None
        session.connection = conn.id
        session.username = connect.username
        self._sessions[client_id] = session
        conn.session = session
        conn.client_id = client_id
        conn.username = connect.username
        conn.will = will

        keep_alive = connect.keep_alive
        connack_props: list[tuple[PropertyId, PropertyValue]] = []
        if version == 5:
            if config.server_keep_alive is not None:
                keep_alive = config.server_keep_alive
                connack_props.append((_I.SERVER_KEEP_ALIVE, keep_alive))
            if granted != requested:
                connack_props.append((_I.SESSION_EXPIRY_INTERVAL, granted))
            if assigned:
                connack_props.append((_I.ASSIGNED_CLIENT_IDENTIFIER, client_id))
            connack_props.append((_I.RECEIVE_MAXIMUM, config.receive_maximum))
            connack_props.append((_I.MAXIMUM_PACKET_SIZE, config.max_packet_size))
            connack_props.append((_I.TOPIC_ALIAS_MAXIMUM, config.topic_alias_maximum))
            if config.maximum_qos < 2:
                connack_props.append((_I.MAXIMUM_QOS, config.maximum_qos))
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
                conn.max_packet_size = max_size
        else:
            conn.window = config.max_inflight
        conn.keep_alive = keep_alive
        self._watch_keep_alive(conn)
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
        """Resend what was in flight, in order, then fill the window ([MQTT-4.4.0-1])."""
        for packet_id, item in session.inflight.items():
            if item.released:
                self._send(conn, encode(Pubrel(packet_id), version=conn.version))
            else:
                self._send(conn, self._encode_delivery(conn, item.delivery, packet_id, now, True))
        self._fill_window(conn, session, now)

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
        reusable = version == 4 or not props.items
        if props.items:
            alias = props.get(_I.TOPIC_ALIAS)
            if alias is not None:
                assert isinstance(alias, int)
                if alias > config.topic_alias_maximum:
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
            if props.get(_I.SUBSCRIPTION_IDENTIFIER) is not None:
                raise MQTTProtocolError(
                    "a client may not send a Subscription Identifier"
                )  # [MQTT-3.3.4-6]
            forwarded = (
                Properties(tuple(item for item in props.items if item[0] is not _I.TOPIC_ALIAS))
                if alias is not None
                else props
            )
            reusable = alias is None and props.get(_I.MESSAGE_EXPIRY_INTERVAL) is None
        if qos > config.maximum_qos:
            raise MQTTProtocolError(f"QoS {qos} is not supported", reason_code=_R.QOS_NOT_SUPPORTED)
        if publish.retain and not config.retain_available:
            raise MQTTProtocolError("retain is not supported", reason_code=_R.RETAIN_NOT_SUPPORTED)
        self.stats.messages_received += 1
        if qos == 2 and publish.packet_id in session.incoming_qos2:
            # A resend of a QoS 2 message we already have: acknowledge, do not route again.
            self._send(conn, encode(Pubrec(publish.packet_id), version=version))
            return
        if qos and version == 5 and len(session.incoming_qos2) >= config.receive_maximum:
            raise MQTTProtocolError(
                "receive maximum exceeded", reason_code=_R.RECEIVE_MAXIMUM_EXCEEDED
            )
        allowed = config.authorize_publish is None or config.authorize_publish(
            conn.username, session.client_id, topic
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
            if reusable and topic:
                # Pass the received bytes through for receivers that need them unchanged.
                first = raw[0] & 0xF7  # a resend's DUP flag is not forwarded
                message.templates[(version, qos, publish.retain, ())] = (
                    bytes((first,)) + raw[1:],
                    _packet_id_offset(raw),
                )
            if publish.retain:
                self._retain(message)
            self._route(message, now)
        reason = _R.SUCCESS if allowed or version == 4 else _R.NOT_AUTHORIZED
        if qos == 1:
            self._send(conn, encode(Puback(publish.packet_id, reason), version=version))  # type: ignore[arg-type]
        elif qos == 2:
            if allowed:
                session.incoming_qos2.add(publish.packet_id)  # type: ignore[arg-type]
            self._send(conn, encode(Pubrec(publish.packet_id, reason), version=version))  # type: ignore[arg-type]

    def _on_pubrel(self, conn: _Connection, packet_id: int) -> None:
        session = conn.session
        assert session is not None
        if packet_id in session.incoming_qos2:
            session.incoming_qos2.discard(packet_id)
            code = _R.SUCCESS
        else:
            code = _R.PACKET_IDENTIFIER_NOT_FOUND if conn.version == 5 else _R.SUCCESS
        self._send(conn, encode(Pubcomp(packet_id, code), version=conn.version))

    # Delivery to clients ------------------------------------------------------

    def _retain(self, message: Message) -> None:
        if message.payload:
            self._retained[message.topic] = message
        else:
            # [MQTT-3.3.1-6]/[MQTT-3.3.1-7]: an empty retained message clears the topic.
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
            # QoS and every Subscription Identifier ([MQTT-3.3.4-2], [MQTT-3.3.4-3]).
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
        members = self._shared_members.get(key)
        if not members:
            return
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
        qos = options.qos if options.qos < message.qos else message.qos
        ids = (chosen.subscription_id,) if chosen.subscription_id is not None else ()
        self._deliver(chosen.session, Delivery(message, qos, False, ids), now)

    def _deliver(self, session: Session, delivery: Delivery, now: float) -> None:
        conn_id = session.connection
        conn = self._connections.get(conn_id) if conn_id is not None else None
        if conn is not None and conn.state is not ConnectionState.CONNECTED:
            conn = None
        if delivery.qos == 0:
            if conn is None:
                return  # QoS 0 is not queued for a client that is not connected
            if conn.pending_qos0 >= self.config.max_pending_qos0:
                self._drop(session, 0, "qos0-backlog")
                return
            data = self._encode_delivery(conn, delivery, 0, now, False)
            if data:
                conn.pending_qos0 += 1
                self._send(conn, data)
            return
        if conn is not None and not session.queue and len(session.inflight) < conn.window:
            self._send_inflight(conn, session, delivery, now)
            return
        if len(session.queue) >= self.config.max_queued_messages:
            self._drop(session, delivery.qos, "queue-full")
            return
        session.queue.append(delivery)

    def _send_inflight(
        self, conn: _Connection, session: Session, delivery: Delivery, now: float
    ) -> None:
        packet_id = session.allocate_packet_id()
        data = self._encode_delivery(conn, delivery, packet_id, now, False)
        if data:
            session.inflight[packet_id] = InFlight(delivery)
            self._send(conn, data)

    def _fill_window(self, conn: _Connection, session: Session, now: float) -> None:
        queue = session.queue
        while queue and len(session.inflight) < conn.window:
            self._send_inflight(conn, session, queue.popleft(), now)

    def _drop(self, session: Session, qos: int, reason: str) -> None:
        self.stats.messages_dropped += 1
        self._events.append(MessagesDropped(session.client_id, 1, qos, reason))

    def _encode_delivery(
        self, conn: _Connection, delivery: Delivery, packet_id: int, now: float, dup: bool
    ) -> bytes:
        """The PUBLISH bytes of ``delivery`` for ``conn``; ``b""`` if it must be skipped."""
        message = delivery.message
        version = conn.version
        expires_at = message.expires_at
        if expires_at is not None and expires_at <= now:
            self._drop_for(conn, delivery.qos, "expired")
            return b""
        key = (version, delivery.qos, delivery.retain, delivery.subscription_ids)
        template = message.templates.get(key) if expires_at is None else None
        if template is None:
            properties = NO_PROPERTIES
            if version == 5:
                items = message.properties.items
                if expires_at is not None:
                    # [MQTT-3.3.2-6]: forward the time the message has left.
                    remaining = math.ceil(expires_at - now)
                    items = tuple(
                        (pid, remaining if pid is _I.MESSAGE_EXPIRY_INTERVAL else value)
                        for pid, value in items
                    )
                if delivery.subscription_ids:
                    items = items + tuple(
                        (_I.SUBSCRIPTION_IDENTIFIER, sid) for sid in delivery.subscription_ids
                    )
                properties = (
                    Properties(items)
                    if items is not message.properties.items
                    else message.properties
                )
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
            if expires_at is None:
                message.templates[key] = template
        data, offset = template
        if len(data) > conn.max_packet_size:
            # [MQTT-3.1.2-25]: never send more than the client accepts; the message is
            # dropped for this client as if delivered.
            self._drop_for(conn, delivery.qos, "too-large")
            return b""
        if delivery.qos:
            first = data[0] | 0x08 if dup else data[0]
            data = b"".join(
                (bytes((first,)), data[1:offset], _pack_u16(packet_id), data[offset + 2 :])
            )
        self.stats.messages_sent += 1
        return data

    def _drop_for(self, conn: _Connection, qos: int, reason: str) -> None:
        session = conn.session
        assert session is not None
        self._drop(session, qos, reason)

    def _on_puback(self, conn: _Connection, packet_id: int, now: float) -> None:
        """PUBACK (QoS 1) or PUBCOMP (QoS 2) ends a delivery and frees window room."""
        session = conn.session
        assert session is not None
        if session.inflight.pop(packet_id, None) is not None and session.queue:
            self._fill_window(conn, session, now)

    def _on_pubrec(self, conn: _Connection, pubrec: Pubrec, now: float) -> None:
        session = conn.session
        assert session is not None
        item = session.inflight.get(pubrec.packet_id)
        if item is None:
            code = _R.PACKET_IDENTIFIER_NOT_FOUND if conn.version == 5 else _R.SUCCESS
            self._send(conn, encode(Pubrel(pubrec.packet_id, code), version=conn.version))
            return
        if pubrec.reason_code >= 0x80:
            # Section 4.3.3: a failure PUBREC ends the flow.
            del session.inflight[pubrec.packet_id]
            self._fill_window(conn, session, now)
            return
        item.released = True
        self._send(conn, encode(Pubrel(pubrec.packet_id), version=conn.version))

    # SUBSCRIBE / UNSUBSCRIBE ---------------------------------------------------

    def _on_subscribe(self, conn: _Connection, subscribe: Subscribe, now: float) -> None:
        config = self.config
        session = conn.session
        assert session is not None
        version = conn.version
        ids = subscribe.properties.get_all(_I.SUBSCRIPTION_IDENTIFIER)
        if len(ids) > 1:
            raise MQTTProtocolError("SUBSCRIBE may carry one Subscription Identifier")
        subscription_id = ids[0] if ids else None
        assert subscription_id is None or isinstance(subscription_id, int)
        codes: list[int] = []
        retained: list[tuple[SubscriptionEntry, bool]] = []
        failure = _R.UNSPECIFIED_ERROR
        for option in subscribe.subscriptions:
            topic_filter = option.topic_filter
            shared = parse_shared_subscription(topic_filter)
            plain_filter = shared.topic_filter if shared is not None else topic_filter
            if not is_valid_topic_filter(topic_filter):
                codes.append(_R.TOPIC_FILTER_INVALID if version == 5 else failure)
                continue
            if shared is not None and option.no_local:
                raise MQTTProtocolError("No Local on a shared subscription")  # [MQTT-3.8.3-4]
            if shared is not None and not config.shared_subscription_available:
                codes.append(_R.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED if version == 5 else failure)
                continue
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
            granted = min(option.qos, config.maximum_qos)
            if granted != option.qos:
                option = type(option)(
                    option.topic_filter,
                    granted,
                    option.no_local,
                    option.retain_as_published,
                    option.retain_handling,
                )
            existed = self._unsubscribe_one(session, topic_filter)
            entry = SubscriptionEntry(
                session,
                topic_filter,
                option,
                subscription_id,
                shared.share_name if shared is not None else None,
            )
            session.subscriptions[topic_filter] = entry
            if shared is not None:
                key = (shared.share_name, plain_filter)
                members = self._shared_members.setdefault(key, [])
                if not members:
                    self._shared.add(plain_filter, key)
                members.append(entry)
            else:
                self._subscriptions.add(topic_filter, entry)
                retained.append((entry, existed))
            codes.append(granted)
        self._send(conn, encode(Suback(subscribe.packet_id, tuple(codes)), version=version))
        for entry, existed in retained:
            self._send_retained(conn, session, entry, existed, now)

    def _send_retained(
        self,
        conn: _Connection,
        session: Session,
        entry: SubscriptionEntry,
        existed: bool,
        now: float,
    ) -> None:
        """Retained messages for a new subscription (section 3.3.1.3, Retain Handling)."""
        handling = entry.options.retain_handling
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
                self._retained.pop(message.topic, None)
                continue
            qos = min(message.qos, entry.options.qos)
            # [MQTT-3.3.1-8] (3.1.1: [MQTT-3.3.1-8]): retained deliveries carry RETAIN 1.
            self._deliver(session, Delivery(message, qos, True, ids), now)

    def _unsubscribe_one(self, session: Session, topic_filter: str) -> bool:
        entry = session.subscriptions.pop(topic_filter, None)
        if entry is None:
            return False
        if entry.share_name is not None:
            shared = parse_shared_subscription(topic_filter)
            assert shared is not None
            key = (shared.share_name, shared.topic_filter)
            members = self._shared_members.get(key, [])
            if entry in members:
                members.remove(entry)
            if not members:
                self._shared_members.pop(key, None)
                self._shared_next.pop(key, None)
                self._shared.remove(shared.topic_filter, key)
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
            elif self._unsubscribe_one(session, topic_filter):
                codes.append(_R.SUCCESS)
            else:
                codes.append(_R.NO_SUBSCRIPTION_EXISTED)
        if conn.version == 4:
            self._send(conn, encode(Unsuback(unsubscribe.packet_id), version=4))
        else:
            self._send(conn, encode(Unsuback(unsubscribe.packet_id, tuple(codes)), version=5))

    # DISCONNECT and errors --------------------------------------------------------

    def _on_disconnect(self, conn: _Connection, disconnect: Disconnect, now: float) -> None:
        session = conn.session
        assert session is not None
        expiry = disconnect.properties.get(_I.SESSION_EXPIRY_INTERVAL)
        if expiry is not None:
            assert isinstance(expiry, int)
            if session.expiry_interval == 0 and expiry:
                # [MQTT-3.14.2-2]: a session that ended at disconnect cannot be extended.
                raise MQTTProtocolError("Session Expiry Interval was 0 in CONNECT")
            granted = min(expiry, self.config.max_session_expiry)
            session.expiry_interval = None if granted == _NEVER else float(granted)
        # Section 3.14.4: DISCONNECT 0x04 asks for the Will; any other discards it.
        publish_will = disconnect.reason_code == _R.DISCONNECT_WITH_WILL_MESSAGE
        self._close(conn, now, reason=disconnect.reason_code, publish_will=publish_will, send=None)

    def _fail(self, conn: _Connection, error: MQTTRemoteError, now: float) -> None:
        """The client broke the rules: tell it in its protocol's way and close."""
        if conn.state is ConnectionState.AWAIT_CONNECT:
            if isinstance(error, UnsupportedProtocolVersion):
                # 3.1.1 section 3.2.2.3: return code 0x01, in the 3.1.1 format every
                # client understands (mosquitto does the same).
                conn.version = 4
                self._send_packet(
                    conn, Connack(reason_code=ConnectReturnCode.UNACCEPTABLE_PROTOCOL_VERSION)
                )
            self._close(
                conn, now, reason=error.reason_code, publish_will=False, send=None, error=error
            )
            return
        self._close(conn, now, reason=error.reason_code, publish_will=True, error=error)

    def _close(
        self,
        conn: _Connection,
        now: float,
        *,
        reason: int,
        publish_will: bool,
        send: bool | None = True,
        error: MQTTRemoteError | None = None,
    ) -> None:
        """End a network connection; DISCONNECT first to a 5.0 client when ``send``."""
        was_connected = conn.state is ConnectionState.CONNECTED
        if send and was_connected and conn.version == 5:
            self._send_packet(conn, Disconnect(reason))
        conn.state = ConnectionState.CLOSED
        self._send(conn, b"")
        session = conn.session
        if was_connected:
            self.stats.clients_connected -= 1
        self._events.append(ClientDisconnected(conn.id, conn.client_id, reason, error))
        if session is None or session.connection != conn.id:
            return
        session.connection = None
        will = conn.will
        conn.will = None
        expiry = session.expiry_interval
        if will is not None and publish_will:
            delay = _will_delay(will) if conn.version == 5 else 0
            if delay and (expiry is None or expiry > 0):
                # Section 3.1.3.2.2: the Will waits for its delay or the end of the session.
                due = now + delay if expiry is None else now + min(delay, expiry)
                self._pending_wills[session.client_id] = (due, will, conn.username)
                self._schedule(due, "will", session.client_id)
            else:
                self._publish_will(will, session.client_id, conn.username, now)
        if expiry == 0:
            self._end_session(session)
        elif expiry is not None:
            session.expires_at = now + expiry
            self._schedule(session.expires_at, "session", session.client_id)

    def _forget(self, conn: _Connection) -> None:
        self._connections.pop(conn.id, None)
        self._writable.discard(conn.id)

    def _end_session(self, session: Session) -> None:
        for topic_filter in list(session.subscriptions):
            self._unsubscribe_one(session, topic_filter)
        session.queue.clear()
        session.inflight.clear()
        if self._sessions.get(session.client_id) is session:
            del self._sessions[session.client_id]

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
        self._will_due(client_id, math.inf)
        self._end_session(session)

    def _publish_will(self, will: Will, client_id: str, username: str | None, now: float) -> None:
        if self.config.authorize_publish is not None and not self.config.authorize_publish(
            username, client_id, will.topic
        ):
            return
        props = will.properties
        forwarded = (
            Properties(tuple(i for i in props.items if i[0] is not _I.WILL_DELAY_INTERVAL))
            if props.get(_I.WILL_DELAY_INTERVAL) is not None
            else props
        )
        expiry = forwarded.get(_I.MESSAGE_EXPIRY_INTERVAL)
        expires_at = now + expiry if isinstance(expiry, int) else None
        message = Message(
            will.topic, will.payload, will.qos, will.retain, forwarded, expires_at, client_id
        )
        self.stats.messages_received += 1
        if will.retain:
            self._retain(message)
        self._route(message, now)

    # $SYS ---------------------------------------------------------------------------

    def _publish_sys(self, now: float) -> None:
        stats = self.stats
        started = stats.started_at if stats.started_at is not None else now
        values = {
            "uptime": f"{int(now - started)} seconds",
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


def _is_closed(conn: _Connection) -> bool:
    return conn.state is ConnectionState.CLOSED


def _will_delay(will: Will) -> int:
    delay = will.properties.get(_I.WILL_DELAY_INTERVAL, 0) if will.properties.items else 0
    assert isinstance(delay, int)
    return delay


def _header_size(data: bytes) -> int:
    index = 1
    while data[index] & 0x80:
        index += 1
    return index + 1


def _packet_id_offset(data: bytes) -> int:
    """Offset of the packet identifier in encoded PUBLISH ``data``."""
    start = _header_size(data)
    return start + 2 + ((data[start] << 8) | data[start + 1])
