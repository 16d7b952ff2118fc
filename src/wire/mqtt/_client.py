"""The MQTT client session machine, MQTT 3.1.1 and 5.0 (Sans-IO).

One :class:`ClientConnection` is one client *session*; it lives across
network connections. A driver opens a stream, calls :meth:`~ClientConnection.connect`
with the current time, and then loops::

    conn.receive_data(chunk)          # or conn.receive_eof()
    conn.tick(now)                    # after feeding what arrived
    for data in conn.data_to_send():  # b"" means: close the stream now
        ...
    for event in conn.events():
        ...
    sleep until conn.next_deadline()

When the stream dies, the driver calls :meth:`~ClientConnection.connection_lost`
(or the machine saw the end itself), opens a new stream and calls ``connect()``
again. What survives (section 4.1): our QoS 1 and 2 messages not yet completely
acknowledged, the messages waiting for send quota, the packet identifiers they
hold and the QoS 2 packet identifiers received and awaiting PUBREL. When the
broker answers CONNACK with Session Present 1 the machine resends the PUBREL
and then the PUBLISH (DUP=1) packets, each in their original order
([MQTT-4.4.0-1], [MQTT-4.6.0-1], [MQTT-4.6.0-3]); with Session Present 0, or
at once on ``connect(clean_start=True)`` ([MQTT-3.1.2-4]), it reports the
messages in flight as :class:`MessagesLost`. Messages that never left the
local queue are kept and sent on the new session: the broker has never seen
them, so sending them cannot duplicate anything.

Errors come on two axes (``wire.errors``): a caller's mistake raises
:class:`~wire.errors.LocalProtocolError` at once and changes nothing; a broker
that breaks the rules never makes ``receive_data`` raise: the machine queues
DISCONNECT with the reason code (5.0 only; 3.1.1 just closes), then ``b""``, and
reports :class:`Disconnected` carrying the :class:`~wire.mqtt.MQTTRemoteError`.

Time enters only through ``connect(now)`` and ``tick(now)``. A packet queued by
another call counts as sent at the time last given, which can only make a
PINGREQ early, never late.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Final

from wire.errors import LocalProtocolError
from wire.mqtt._client_events import (
    LOSS_CLEAN_START,
    LOSS_NOT_ALLOWED,
    LOSS_SESSION_NOT_PRESENT,
    AuthRequested,
    ClientEvent,
    Connected,
    ConnectionRefused,
    Disconnected,
    MessageReceived,
    MessagesLost,
    PongReceived,
    PublishAcknowledged,
    Reauthenticated,
    RequestsAbandoned,
    Subscribed,
    Unsubscribed,
)
from wire.mqtt._client_state import TRANSITIONS, ClientInput, ClientState, input_for_packet
from wire.mqtt._codec import DEFAULT_MAX_PACKET_SIZE, MAX_PACKET_SIZE_LIMIT, encode
from wire.mqtt._errors import MQTTProtocolError, MQTTRemoteError
from wire.mqtt._packets import (
    Auth,
    Connack,
    Connect,
    Disconnect,
    Packet,
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
from wire.mqtt._properties import NO_PROPERTIES, Properties, PropertyId, PropertyValue
from wire.mqtt._reader import PacketReader
from wire.mqtt._reason_codes import PacketType, ReasonCode, reason_codes_for
from wire.mqtt._topics import is_valid_topic_filter, is_valid_topic_name

__all__ = ["ClientConfig", "ClientConnection"]

_log = logging.getLogger(__name__)

_R = ReasonCode
_P = PropertyId
_S = ClientState
_In = ClientInput

_PINGREQ: Final = b"\xc0\x00"
_NO_LIMIT: Final = 0xFFFF
_DISCONNECT_CODES: Final = reason_codes_for(PacketType.DISCONNECT, 5)
_SHARE_PREFIX: Final = "$share/"


def _ack(first: int, packet_id: int, reason_code: int = 0) -> bytes:
    """PUBACK/PUBREC/PUBREL/PUBCOMP without properties (section 3.4.2.1)."""
    head = bytes((first, 3 if reason_code else 2)) + packet_id.to_bytes(2, "big")
    return head + bytes((reason_code,)) if reason_code else head


def _int(properties: Properties, pid: PropertyId, default: int) -> int:
    value = properties.get(pid)
    return default if value is None else int(value)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Limits of a client session; each has a safe default.

    Attributes:
        max_packet_size: Largest packet accepted from the broker, fixed header
            included; a larger one is a protocol error (0x95). Told to a 5.0
            broker as Maximum Packet Size unless ``connect()`` sets that property.
        receive_maximum: QoS 1/2 messages the broker may have unacknowledged
            toward us, i.e. the most incoming QoS 2 messages awaiting PUBREL.
            Told to a 5.0 broker as Receive Maximum when below 65535 (unless
            ``connect()`` sets it); exceeding it is a protocol error (0x93).
        topic_alias_maximum: Topic aliases the broker may use toward us (each
            holds a topic name in memory). Told to a 5.0 broker when non-zero.
        max_inflight: Our QoS 1/2 messages in flight at once; the broker's
            Receive Maximum lowers it further.
        max_queued_messages: Our QoS 1/2 messages waiting for send quota beyond
            that; ``publish()`` raises past it.
        use_topic_aliases: Assign topic aliases to outgoing PUBLISH packets, up
            to the broker's Topic Alias Maximum (5.0). Off by default.
        connect_timeout: Seconds to wait for CONNACK after ``connect()``; the
            keep-alive, when shorter, is the limit instead.
        ping_timeout: Seconds to wait for any packet after a PINGREQ before the
            broker counts as dead; ``None`` means half the keep-alive.
    """

    max_packet_size: int = DEFAULT_MAX_PACKET_SIZE
    receive_maximum: int = _NO_LIMIT
    topic_alias_maximum: int = 0
    max_inflight: int = _NO_LIMIT
    max_queued_messages: int = 1000
    use_topic_aliases: bool = False
    connect_timeout: float = 30.0
    ping_timeout: float | None = None

    def __post_init__(self) -> None:
        if not 2 <= self.max_packet_size <= MAX_PACKET_SIZE_LIMIT:
            raise LocalProtocolError(f"max_packet_size must be in 2..{MAX_PACKET_SIZE_LIMIT}")
        if not 1 <= self.receive_maximum <= _NO_LIMIT:
            raise LocalProtocolError("receive_maximum must be in 1..65535")
        if not 0 <= self.topic_alias_maximum <= _NO_LIMIT:
            raise LocalProtocolError("topic_alias_maximum must be in 0..65535")
        if not 1 <= self.max_inflight <= _NO_LIMIT:
            raise LocalProtocolError("max_inflight must be in 1..65535")
        if not 0 <= self.max_queued_messages <= _NO_LIMIT:
            raise LocalProtocolError("max_queued_messages must be in 0..65535")
        if not self.connect_timeout > 0:
            raise LocalProtocolError("connect_timeout must be positive")
        if self.ping_timeout is not None and not self.ping_timeout > 0:
            raise LocalProtocolError("ping_timeout must be positive")


class ClientConnection:
    """An MQTT client session, Sans-IO.

    Args:
        version: 4 (MQTT 3.1.1) or 5 (MQTT 5.0).
        config: Limits; the defaults of :class:`ClientConfig` when omitted.
    """

    __slots__ = (
        "_alias_max_in",
        "_alias_max_out",
        "_aliases_in",
        "_aliases_out",
        "_auth_method",
        "_clean_pending",
        "_clean_start",
        "_client_id",
        "_config",
        "_connect_deadline",
        "_events",
        "_ids_in_use",
        "_incoming_qos2",
        "_keep_alive",
        "_last_sent",
        "_max_out",
        "_max_qos",
        "_next_id",
        "_now",
        "_out",
        "_ping_sent_at",
        "_queue",
        "_quota_max",
        "_reader",
        "_receive_credit",
        "_receive_maximum",
        "_released",
        "_retain_ok",
        "_send_quota",
        "_session_expiry",
        "_shared_ok",
        "_state",
        "_sub_id_ok",
        "_subscribes",
        "_unacked",
        "_unsubscribes",
        "_version",
        "_wildcard_ok",
    )

    def __init__(self, *, version: int = 5, config: ClientConfig | None = None) -> None:
        if version not in (4, 5):
            raise LocalProtocolError(f"version must be 4 or 5, got {version!r}")
        if config is None:
            config = ClientConfig()
        elif type(config) is not ClientConfig:
            raise LocalProtocolError("config must be a ClientConfig")
        self._version = version
        self._config = config
        self._state = _S.DISCONNECTED
        self._events: list[ClientEvent] = []
        self._out: list[bytes] = []
        self._now = 0.0
        # The session: survives network connections.
        self._client_id = ""
        self._clean_pending = False  # a clean start no CONNACK has accepted yet
        self._ids_in_use: set[int] = set()
        self._next_id = 1
        self._unacked: dict[int, Publish] = {}  # PUBLISH sent, awaiting PUBACK/PUBREC
        self._released: dict[int, Publish] = {}  # PUBREL sent, awaiting PUBCOMP (PUBREC order)
        self._queue: deque[Publish] = deque()  # waiting for send quota
        self._incoming_qos2: set[int] = set()  # PUBREC sent, awaiting PUBREL
        self._subscribes: dict[int, Subscribe] = {}
        self._unsubscribes: dict[int, Unsubscribe] = {}
        self._reset_connection(config.max_packet_size)

    def _reset_connection(self, max_packet_size: int) -> None:
        config = self._config
        self._reader = PacketReader(version=self._version, max_packet_size=max_packet_size)
        self._last_sent = self._now
        self._connect_deadline = self._now
        self._ping_sent_at: float | None = None
        self._keep_alive = 0
        self._clean_start = True
        self._auth_method: str | None = None
        self._session_expiry = 0
        self._receive_maximum = config.receive_maximum
        self._receive_credit = config.receive_maximum
        self._alias_max_in = 0
        self._aliases_in: dict[int, str] = {}
        # What the broker allows us; CONNACK sets them (section 3.2.2.3).
        self._quota_max = self._send_quota = config.max_inflight
        self._max_out = MAX_PACKET_SIZE_LIMIT
        self._alias_max_out = 0
        self._aliases_out: dict[str, int] = {}
        self._max_qos = 2
        self._retain_ok = self._wildcard_ok = self._sub_id_ok = self._shared_ok = True

    # ------------------------------------------------------------------
    # What the caller may look at
    # ------------------------------------------------------------------

    @property
    def state(self) -> ClientState:
        """Where the current network connection stands."""
        return self._state

    @property
    def version(self) -> int:
        """4 (MQTT 3.1.1) or 5 (MQTT 5.0)."""
        return self._version

    @property
    def client_id(self) -> str:
        """The client identifier from ``connect()``, or the one the broker assigned."""
        return self._client_id

    @property
    def keep_alive(self) -> int:
        """The keep-alive in force, in seconds (the broker's Server Keep Alive wins)."""
        return self._keep_alive

    @property
    def inflight_messages(self) -> int:
        """Our QoS 1/2 messages sent and not completely acknowledged."""
        return len(self._unacked) + len(self._released)

    @property
    def queued_messages(self) -> int:
        """Our QoS 1/2 messages waiting for send quota (or for the next CONNACK)."""
        return len(self._queue)

    # ------------------------------------------------------------------
    # The Sans-IO contract
    # ------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes received from the broker.

        Never raises for anything the broker sends. Bytes received without a
        network connection (after the machine closed it) are ignored.
        """
        if self._state is _S.DISCONNECTED or not data:
            return
        try:
            packets, error = self._reader.feed_until_error(data)
            for packet in packets:
                self._on_packet(packet)
                if self._closed():
                    return
            if error is not None:
                self._fail(error)
        except MQTTRemoteError as exc:
            self._fail(exc)
        except Exception:
            # House style rule 9: a bug of ours becomes 0x83 for the broker and a
            # log line here, never an exception the driver did not expect.
            _log.error("unexpected internal error in the MQTT client machine", exc_info=True)
            self._fail(
                MQTTRemoteError("internal error", reason_code=_R.IMPLEMENTATION_SPECIFIC_ERROR)
            )

    def receive_eof(self) -> None:
        """The broker closed its side of the stream."""
        target = TRANSITIONS[self._state, _In.EOF]
        if self._state is not _S.DISCONNECTED:
            self._close(Disconnected())
        self._state = target

    def events(self) -> list[ClientEvent]:
        """Take the events reported since the last call."""
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[bytes]:
        """Take the bytes to write; ``b""`` means close the stream now."""
        out, self._out = self._out, []
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`tick` must be called next, or ``None`` if time does not matter."""
        state = self._state
        if state is _S.DISCONNECTED:
            return None
        if state is _S.CONNECTING or state is _S.AUTHENTICATING:
            return self._connect_deadline
        deadline = None
        if self._keep_alive:
            deadline = self._last_sent + self._keep_alive
        if self._ping_sent_at is not None:
            answer_by = self._ping_sent_at + self._ping_timeout()
            deadline = answer_by if deadline is None else min(deadline, answer_by)
        return deadline

    def tick(self, now: float) -> None:
        """Let time pass: send PINGREQ when due, give up on a silent broker.

        Call it after feeding the bytes that arrived up to ``now``.
        """
        self._now = now
        state = self._state
        if state is _S.DISCONNECTED:
            return
        if state is _S.CONNECTING or state is _S.AUTHENTICATING:
            if now >= self._connect_deadline:
                self._timeout("no CONNACK in time")
            return
        if self._ping_sent_at is not None and now >= self._ping_sent_at + self._ping_timeout():
            self._timeout("no answer to PINGREQ in time")
        elif self._keep_alive and now >= self._last_sent + self._keep_alive:
            # [MQTT-3.1.2-20]: no packet sent for Keep Alive seconds: send PINGREQ.
            self._state = TRANSITIONS[state, _In.KEEP_ALIVE]
            self._write(_PINGREQ)
            if self._ping_sent_at is None:
                self._ping_sent_at = now

    # ------------------------------------------------------------------
    # The caller's requests
    # ------------------------------------------------------------------

    def connect(
        self,
        now: float,
        *,
        client_id: str = "",
        clean_start: bool = True,
        keep_alive: int = 60,
        username: str | None = None,
        password: bytes | None = None,
        will: Will | None = None,
        properties: Properties = NO_PROPERTIES,
    ) -> None:
        """Start a network connection: queue CONNECT (section 3.1).

        Call it once the stream is open; bytes still queued for the previous
        stream are dropped. ``clean_start`` discards the session at once
        ([MQTT-3.1.2-4]) and stays in force until a CONNACK accepts it: after a
        lost CONNECT or CONNACK, a Clean Start 0 could only resume the session
        we abandoned (or an empty one), so the next CONNECT starts clean again.

        In 5.0 the limits of :class:`ClientConfig` are added to the CONNECT
        properties unless ``properties`` sets them; an Authentication Method in
        ``properties`` starts enhanced authentication.

        Raises:
            LocalProtocolError: a network connection is open, or the CONNECT is
                invalid (3.1.1: an empty client id needs ``clean_start``,
                [MQTT-3.1.3-7]; no properties).
        """
        target = self._check(_In.CONNECT)
        given: object = now
        if not isinstance(given, int | float) or isinstance(given, bool):
            raise LocalProtocolError(f"now must be a number, got {type(given).__name__}")
        # The session a Clean Start 0 would resume is the one we abandoned, or an
        # empty one if the broker saw our clean start: start clean until confirmed.
        clean_start = clean_start or self._clean_pending
        version = self._version
        packet = Connect(
            client_id, clean_start, keep_alive, username, password, will, properties, version
        )
        config = self._config
        receive_maximum = config.receive_maximum
        max_packet_size = config.max_packet_size
        alias_max = 0
        auth_method: str | None = None
        session_expiry = 0
        if version == 4:
            if not client_id and not clean_start:
                raise LocalProtocolError("an empty client_id needs clean_start in MQTT 3.1.1")
        else:
            extra: list[tuple[PropertyId, PropertyValue]] = []
            wanted = (
                (_P.RECEIVE_MAXIMUM, receive_maximum, _NO_LIMIT),
                (_P.MAXIMUM_PACKET_SIZE, max_packet_size, MAX_PACKET_SIZE_LIMIT),
                (_P.TOPIC_ALIAS_MAXIMUM, config.topic_alias_maximum, 0),
            )
            for pid, value, protocol_default in wanted:
                if properties.get(pid) is None and value != protocol_default:
                    extra.append((pid, value))
            if extra:
                properties = Properties((*properties.items, *extra))
                packet = replace(packet, properties=properties)
            receive_maximum = _int(properties, _P.RECEIVE_MAXIMUM, _NO_LIMIT)
            max_packet_size = _int(properties, _P.MAXIMUM_PACKET_SIZE, MAX_PACKET_SIZE_LIMIT)
            alias_max = _int(properties, _P.TOPIC_ALIAS_MAXIMUM, 0)
            session_expiry = _int(properties, _P.SESSION_EXPIRY_INTERVAL, 0)
            method = properties.get(_P.AUTHENTICATION_METHOD)
            auth_method = None if method is None else str(method)
        data = encode(packet, version=version)
        # Everything is valid: commit.
        self._now = now
        self._reset_connection(min(max(max_packet_size, 2), MAX_PACKET_SIZE_LIMIT))
        self._client_id = client_id
        self._clean_start = clean_start
        self._keep_alive = keep_alive
        self._auth_method = auth_method
        self._session_expiry = session_expiry
        self._receive_maximum = self._receive_credit = receive_maximum
        self._alias_max_in = alias_max
        # [MQTT-3.1.2-20] runs from CONNECT on, and before CONNACK we may not always
        # send PINGREQ ([MQTT-3.1.2-30]): a broker silent for Keep Alive is given up.
        wait = config.connect_timeout
        if keep_alive and keep_alive < wait:
            wait = keep_alive
        self._connect_deadline = now + wait
        self._out = []
        self._write(data)
        self._state = target
        if clean_start:
            # [MQTT-3.1.2-4]: discard the session now, not at CONNACK: if that CONNACK
            # is lost, a later "session present" is about the new session, not ours.
            self._clean_pending = True
            self._discard_session(LOSS_CLEAN_START)

    def publish(
        self,
        topic: str,
        payload: bytes = b"",
        *,
        qos: int = 0,
        retain: bool = False,
        properties: Properties = NO_PROPERTIES,
    ) -> int | None:
        """Publish an application message (section 3.3).

        A QoS 1/2 message is sent at once while the broker's Receive Maximum
        allows, and otherwise waits in a local queue of at most
        ``max_queued_messages``; its flow ends with :class:`PublishAcknowledged`
        or :class:`MessagesLost`. Topic aliases are the machine's business.

        Returns:
            The packet identifier of a QoS 1/2 message, ``None`` for QoS 0.

        Raises:
            LocalProtocolError: not connected, an invalid topic or message, a QoS
                above the broker's Maximum QoS, retain when the broker has no
                Retain Available, a packet above its Maximum Packet Size, a
                Topic Alias or Subscription Identifier property, a full queue,
                or no free packet identifier.
        """
        self._check(_In.PUBLISH)
        packet_id = self._peek_id() if qos in (1, 2) else None
        packet = Publish(topic, payload, qos, retain, False, packet_id, properties)
        if not is_valid_topic_name(topic):
            raise LocalProtocolError(f"invalid topic name {topic[:64]!r}")
        if qos > self._max_qos:
            raise LocalProtocolError(f"the broker's Maximum QoS is {self._max_qos}")
        if retain and not self._retain_ok:
            raise LocalProtocolError("the broker does not support retained messages")
        for pid, _ in properties.items:
            if pid is _P.TOPIC_ALIAS:
                raise LocalProtocolError("topic aliases are assigned by the machine")
            if pid is _P.SUBSCRIPTION_IDENTIFIER:
                # [MQTT-3.3.4-6]: a client's PUBLISH carries no Subscription Identifier.
                raise LocalProtocolError("a client PUBLISH carries no Subscription Identifier")
        data = encode(packet, version=self._version)
        self._check_size(data)
        if packet_id is None:
            self._write_publish(packet, data)
            return None
        if (self._queue or not self._send_quota) and len(
            self._queue
        ) >= self._config.max_queued_messages:
            raise LocalProtocolError(
                f"{len(self._queue)} messages already wait for the broker's Receive Maximum"
            )
        self._take_id(packet_id)
        self._queue.append(packet)
        self._flush()
        return packet_id

    def subscribe(
        self,
        subscriptions: Subscription | Iterable[Subscription],
        properties: Properties = NO_PROPERTIES,
    ) -> int:
        """Send SUBSCRIBE (section 3.8); :class:`Subscribed` answers it.

        Returns:
            The packet identifier.

        Raises:
            LocalProtocolError: not connected, an invalid topic filter or
                subscription (the codec refuses No Local on a shared one and a
                second Subscription Identifier), or a feature the broker said it
                lacks (wildcards, shared subscriptions, subscription identifiers).
        """
        self._check(_In.SUBSCRIBE)
        if isinstance(subscriptions, Subscription):
            subscriptions = (subscriptions,)
        packet = Subscribe(self._peek_id(), tuple(subscriptions), properties)
        for sub in packet.subscriptions:
            topic_filter = sub.topic_filter
            if not is_valid_topic_filter(topic_filter):
                raise LocalProtocolError(f"invalid topic filter {topic_filter[:64]!r}")
            if self._version == 5:
                if topic_filter.startswith(_SHARE_PREFIX) and not self._shared_ok:
                    raise LocalProtocolError("the broker has no shared subscriptions")
                if not self._wildcard_ok and ("+" in topic_filter or "#" in topic_filter):
                    raise LocalProtocolError("the broker has no wildcard subscriptions")
        if not self._sub_id_ok and properties.get(_P.SUBSCRIPTION_IDENTIFIER) is not None:
            raise LocalProtocolError("the broker has no subscription identifiers")
        data = encode(packet, version=self._version)
        self._check_size(data)
        self._take_id(packet.packet_id)
        self._subscribes[packet.packet_id] = packet
        self._write(data)
        return packet.packet_id

    def unsubscribe(
        self, topic_filters: str | Iterable[str], properties: Properties = NO_PROPERTIES
    ) -> int:
        """Send UNSUBSCRIBE (section 3.10); :class:`Unsubscribed` answers it.

        Returns:
            The packet identifier.

        Raises:
            LocalProtocolError: not connected or an invalid topic filter.
        """
        self._check(_In.UNSUBSCRIBE)
        if isinstance(topic_filters, str):
            topic_filters = (topic_filters,)
        packet = Unsubscribe(self._peek_id(), tuple(topic_filters), properties)
        for topic_filter in packet.topic_filters:
            if not is_valid_topic_filter(topic_filter):
                raise LocalProtocolError(f"invalid topic filter {topic_filter[:64]!r}")
        data = encode(packet, version=self._version)
        self._check_size(data)
        self._take_id(packet.packet_id)
        self._unsubscribes[packet.packet_id] = packet
        self._write(data)
        return packet.packet_id

    def auth(self, reason_code: int, properties: Properties = NO_PROPERTIES) -> None:
        """Send AUTH (MQTT 5.0 section 4.12).

        ``reason_code`` 0x18 answers :class:`AuthRequested`; 0x19 starts a
        re-authentication once connected. The Authentication Method of the
        CONNECT is added to ``properties`` when missing.

        Raises:
            LocalProtocolError: MQTT 3.1.1, no Authentication Method in the
                CONNECT ([MQTT-4.12.0-7]), another method ([MQTT-4.12.1-1]),
                another reason code, or the exchange is not at that step.
        """
        if self._version == 4:
            raise LocalProtocolError("AUTH does not exist in MQTT 3.1.1")
        packet = Auth(reason_code, properties)
        if reason_code == _R.CONTINUE_AUTHENTICATION:
            target = self._check(_In.AUTH_CONTINUE)
        elif reason_code == _R.RE_AUTHENTICATE:
            target = self._check(_In.AUTH_REAUTHENTICATE)
        else:
            raise LocalProtocolError("a client sends AUTH with 0x18 or 0x19")
        method = self._auth_method
        if method is None:
            raise LocalProtocolError("the CONNECT had no Authentication Method")
        given = properties.get(_P.AUTHENTICATION_METHOD)
        if given is None:
            packet = Auth(
                reason_code, Properties(((_P.AUTHENTICATION_METHOD, method), *properties.items))
            )
        elif given != method:
            raise LocalProtocolError(f"the Authentication Method in use is {method!r}")
        data = encode(packet, version=5)
        self._check_size(data)
        self._write(data)
        self._state = target

    def disconnect(
        self, reason_code: int = _R.NORMAL_DISCONNECTION, properties: Properties = NO_PROPERTIES
    ) -> None:
        """Queue DISCONNECT and ``b""`` (section 3.14); the session is kept.

        Requests awaiting SUBACK/UNSUBACK are reported as
        :class:`RequestsAbandoned`; no :class:`Disconnected` is reported.

        Raises:
            LocalProtocolError: no network connection, an invalid reason code or
                property, or a non-zero Session Expiry Interval after a CONNECT
                with none ([MQTT-3.14.2-2]).
        """
        target = self._check(_In.DISCONNECT)
        packet = Disconnect(reason_code, properties)
        if not self._session_expiry and _int(properties, _P.SESSION_EXPIRY_INTERVAL, 0):
            raise LocalProtocolError("the CONNECT set no Session Expiry Interval")
        data = encode(packet, version=self._version)
        self._check_size(data)
        self._write(data)
        self._close(None)
        self._state = target

    def connection_lost(self) -> None:
        """The stream broke (or the driver closed it): forget its unsent bytes.

        The session is kept for the next :meth:`connect`. Requests awaiting
        SUBACK/UNSUBACK are reported as :class:`RequestsAbandoned`.
        """
        target = self._check(_In.CONNECTION_LOST)
        if self._state is not _S.DISCONNECTED:
            self._close(None, close_stream=False)
        self._out = []
        self._state = target

    # ------------------------------------------------------------------
    # Internals: bookkeeping
    # ------------------------------------------------------------------

    def _closed(self) -> bool:
        return self._state is _S.DISCONNECTED

    def _check(self, inp: ClientInput) -> ClientState:
        target = TRANSITIONS.get((self._state, inp))
        if target is None:
            raise LocalProtocolError(f"{inp.value} is not allowed when {self._state.value}")
        return target

    def _peek_id(self) -> int:
        """A free packet identifier ([MQTT-2.2.1-3]), not yet taken."""
        in_use = self._ids_in_use
        if len(in_use) >= _NO_LIMIT:
            raise LocalProtocolError("all 65535 packet identifiers are in use")
        packet_id = self._next_id
        while packet_id in in_use:
            packet_id = packet_id % _NO_LIMIT + 1
        return packet_id

    def _take_id(self, packet_id: int) -> None:
        self._ids_in_use.add(packet_id)
        self._next_id = packet_id % _NO_LIMIT + 1

    def _check_size(self, data: bytes) -> None:
        if len(data) > self._max_out:
            # [MQTT-3.2.2-15]: never send more than the broker's Maximum Packet Size.
            raise LocalProtocolError(
                f"packet of {len(data)} bytes exceeds the broker's maximum of {self._max_out}"
            )

    def _ping_timeout(self) -> float:
        timeout = self._config.ping_timeout
        return self._keep_alive / 2 if timeout is None else timeout

    def _write(self, data: bytes) -> None:
        self._out.append(data)
        self._last_sent = self._now

    def _write_publish(self, publish: Publish, data: bytes) -> None:
        """Send ``publish`` (``data`` is its plain encoding), with a topic alias if allowed."""
        if self._alias_max_out:
            topic = publish.topic_name
            alias = self._aliases_out.get(topic)
            new = alias is None
            if alias is None and len(self._aliases_out) < self._alias_max_out:
                alias = len(self._aliases_out) + 1
            if alias is not None:
                aliased = replace(
                    publish,
                    topic_name=topic if new else "",
                    properties=Properties((*publish.properties.items, (_P.TOPIC_ALIAS, alias))),
                )
                candidate = encode(aliased, version=5)
                if len(candidate) <= self._max_out:
                    # The mapping exists once a PUBLISH carrying it is sent (3.3.2.3.4).
                    self._aliases_out[topic] = alias
                    data = candidate
        self._write(data)

    def _flush(self) -> None:
        """Send queued messages while the send quota allows (section 4.9)."""
        queue = self._queue
        while queue and self._send_quota:
            publish = queue.popleft()
            self._send_quota -= 1
            self._unacked[publish.packet_id] = publish  # type: ignore[index]
            self._write_publish(publish, encode(publish, version=self._version))

    def _complete(self, packet_id: int, reason_code: int, properties: Properties) -> None:
        """One of our QoS 1/2 flows ended: free its id and quota, tell the caller."""
        self._ids_in_use.discard(packet_id)
        # Section 4.9: the quota grows back, never above its initial value.
        self._send_quota = min(self._send_quota + 1, self._quota_max)
        self._events.append(PublishAcknowledged(packet_id, reason_code, properties))
        self._flush()

    def _discard_session(self, reason: str) -> None:
        """Forget the flows in progress; queued messages the broker never saw stay."""
        queue = self._queue
        lost = [*self._released.values(), *self._unacked.values(), *(p for p in queue if p.dup)]
        self._released.clear()
        self._unacked.clear()
        self._incoming_qos2.clear()
        self._queue = deque(p for p in queue if not p.dup)
        self._lose(lost, reason)

    def _lose(self, lost: list[Publish], reason: str) -> None:
        if lost:
            for publish in lost:
                self._ids_in_use.discard(publish.packet_id)
            self._events.append(MessagesLost(tuple(lost), reason))

    def _not_allowed(self, publish: Publish) -> bool:
        """Whether this connection's limits forbid sending ``publish`` now."""
        if len(encode(publish, version=self._version)) > self._max_out:
            return True
        # A message already sent continues its flow; a new one obeys the new limits.
        return not publish.dup and (
            publish.qos > self._max_qos or (publish.retain and not self._retain_ok)
        )

    def _close(
        self, event: Disconnected | ConnectionRefused | None, close_stream: bool = True
    ) -> None:
        """End the network connection; the session stays."""
        abandoned: list[Subscribe | Unsubscribe] = [
            *self._subscribes.values(),
            *self._unsubscribes.values(),
        ]
        if abandoned:
            self._ids_in_use.difference_update(request.packet_id for request in abandoned)
            self._subscribes.clear()
            self._unsubscribes.clear()
            self._events.append(RequestsAbandoned(tuple(abandoned)))
        if event is not None:
            self._events.append(event)
        if close_stream:
            self._out.append(b"")
        self._ping_sent_at = None
        self._state = _S.DISCONNECTED

    def _fail(self, error: MQTTRemoteError) -> None:
        """The broker broke the rules: tell it (5.0), close, report (rule 8)."""
        sent: int | None = None
        if self._version == 5:
            code = error.reason_code
            sent = code if code in _DISCONNECT_CODES else _R.PROTOCOL_ERROR
            self._out.append(bytes((0xE0, 1, sent)))
        self._close(Disconnected(sent, NO_PROPERTIES, error))

    def _timeout(self, message: str) -> None:
        self._state = TRANSITIONS[self._state, _In.TIMEOUT]
        error = MQTTRemoteError(message, reason_code=_R.KEEP_ALIVE_TIMEOUT)
        self._close(Disconnected(None, NO_PROPERTIES, error))

    # ------------------------------------------------------------------
    # Internals: packets from the broker
    # ------------------------------------------------------------------

    def _on_packet(self, packet: Packet) -> None:
        # Any packet shows the broker is alive (the keep-alive answer).
        self._ping_sent_at = None
        inp = input_for_packet(packet.packet_type, getattr(packet, "reason_code", 0))
        target = TRANSITIONS.get((self._state, inp))
        if target is None:
            raise MQTTProtocolError(f"{inp.value} is not allowed when {self._state.value}")
        _HANDLERS[inp](self, packet)
        self._state = target

    def _on_connack(self, connack: Connack) -> None:
        if connack.reason_code:
            self._close(ConnectionRefused(connack.reason_code, connack.properties))
            return
        if connack.session_present and self._clean_start:
            # [MQTT-3.2.2-2]: Clean Start 1 means Session Present 0.
            raise MQTTProtocolError("Session Present after a Clean Start")
        props = connack.properties
        if self._version == 5:
            method = props.get(_P.AUTHENTICATION_METHOD)
            if method != self._auth_method:
                # [MQTT-4.12.0-5], [MQTT-4.12.0-6]
                raise MQTTProtocolError("CONNACK Authentication Method differs from CONNECT's")
            receive_maximum = _int(props, _P.RECEIVE_MAXIMUM, _NO_LIMIT)
            self._quota_max = self._send_quota = min(receive_maximum, self._config.max_inflight)
            self._max_out = _int(props, _P.MAXIMUM_PACKET_SIZE, MAX_PACKET_SIZE_LIMIT)
            if self._config.use_topic_aliases:
                self._alias_max_out = _int(props, _P.TOPIC_ALIAS_MAXIMUM, 0)
            self._max_qos = _int(props, _P.MAXIMUM_QOS, 2)
            self._retain_ok = bool(_int(props, _P.RETAIN_AVAILABLE, 1))
            self._wildcard_ok = bool(_int(props, _P.WILDCARD_SUBSCRIPTION_AVAILABLE, 1))
            self._sub_id_ok = bool(_int(props, _P.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 1))
            self._shared_ok = bool(_int(props, _P.SHARED_SUBSCRIPTION_AVAILABLE, 1))
            assigned = props.get(_P.ASSIGNED_CLIENT_IDENTIFIER)
            if assigned is not None:
                self._client_id = str(assigned)
            self._keep_alive = _int(props, _P.SERVER_KEEP_ALIVE, self._keep_alive)
        self._events.append(Connected(connack.session_present, connack))
        self._clean_pending = False
        queue = self._queue
        if connack.session_present:
            # [MQTT-4.4.0-1]: resend PUBREL (in PUBREC order) and unacknowledged
            # PUBLISH with DUP=1 (in sending order) before anything new.
            for packet_id in self._released:
                self._write(_ack(0x62, packet_id))
            queue.extendleft(replace(p, dup=True) for p in reversed(self._unacked.values()))
            self._unacked.clear()
        else:
            # [MQTT-3.2.2-5]: no session on the broker: discard ours.
            self._discard_session(LOSS_SESSION_NOT_PRESENT)
            queue = self._queue
        refused = [p for p in queue if self._not_allowed(p)]
        if refused:
            gone = {p.packet_id for p in refused}
            self._queue = deque(p for p in queue if p.packet_id not in gone)
            self._lose(refused, LOSS_NOT_ALLOWED)
        self._flush()

    def _on_publish(self, publish: Publish) -> None:
        qos = publish.qos
        packet_id = publish.packet_id
        if self._version == 5:
            alias = _int(publish.properties, _P.TOPIC_ALIAS, 0)
            if alias:
                if alias > self._alias_max_in:
                    raise MQTTRemoteError(
                        f"Topic Alias {alias} exceeds our maximum of {self._alias_max_in}",
                        reason_code=_R.TOPIC_ALIAS_INVALID,
                    )
                if publish.topic_name:
                    self._aliases_in[alias] = publish.topic_name
                else:
                    topic = self._aliases_in.get(alias)
                    if topic is None:
                        raise MQTTRemoteError(
                            f"Topic Alias {alias} has no topic yet",
                            reason_code=_R.TOPIC_ALIAS_INVALID,
                        )
                    publish = replace(publish, topic_name=topic)
            if qos and not self._receive_credit:
                # Section 4.9: the broker's send quota toward us is spent.
                raise MQTTRemoteError(
                    f"more than {self._receive_maximum} unacknowledged QoS 1/2 PUBLISH",
                    reason_code=_R.RECEIVE_MAXIMUM_EXCEEDED,
                )
        elif (
            qos == 2
            and packet_id not in self._incoming_qos2
            and len(self._incoming_qos2) >= self._receive_maximum
        ):
            raise MQTTRemoteError(
                f"more than {self._receive_maximum} QoS 2 messages await PUBREL",
                reason_code=_R.RECEIVE_MAXIMUM_EXCEEDED,
            )
        if qos == 0:
            self._events.append(MessageReceived(publish))
        elif qos == 1:
            self._events.append(MessageReceived(publish))
            self._write(_ack(0x40, packet_id))  # type: ignore[arg-type]
        else:
            self._receive_credit -= 1
            # [MQTT-4.3.3-10] method B: deliver on PUBLISH, then ignore the same
            # packet id until PUBREL, only acknowledging it again.
            if packet_id not in self._incoming_qos2:
                self._incoming_qos2.add(packet_id)  # type: ignore[arg-type]
                self._events.append(MessageReceived(publish))
            self._write(_ack(0x50, packet_id))  # type: ignore[arg-type]

    def _on_pubrel(self, pubrel: Pubrel) -> None:
        packet_id = pubrel.packet_id
        code = 0
        if packet_id in self._incoming_qos2:
            self._incoming_qos2.discard(packet_id)
        elif self._version == 5:
            # Already completed (a resent PUBREL after a reconnect), or never seen.
            code = _R.PACKET_IDENTIFIER_NOT_FOUND
        self._receive_credit = min(self._receive_credit + 1, self._receive_maximum)
        self._write(_ack(0x70, packet_id, code))

    def _on_puback(self, puback: Puback) -> None:
        packet_id = puback.packet_id
        publish = self._unacked.get(packet_id)
        if publish is None or publish.qos != 1:
            raise MQTTProtocolError(f"PUBACK for packet id {packet_id}, not a QoS 1 in flight")
        del self._unacked[packet_id]
        self._complete(packet_id, puback.reason_code, puback.properties)

    def _on_pubrec(self, pubrec: Pubrec) -> None:
        packet_id = pubrec.packet_id
        publish = self._unacked.get(packet_id)
        if publish is not None and publish.qos == 2:
            del self._unacked[packet_id]
            if pubrec.reason_code >= 0x80:
                # Section 4.3.3: a failure PUBREC ends the flow.
                self._complete(packet_id, pubrec.reason_code, pubrec.properties)
                return
            self._released[packet_id] = publish
        elif packet_id not in self._released:
            raise MQTTProtocolError(f"PUBREC for packet id {packet_id}, not a QoS 2 in flight")
        # A repeated PUBREC gets the same PUBREL again.
        self._write(_ack(0x62, packet_id))

    def _on_pubcomp(self, pubcomp: Pubcomp) -> None:
        packet_id = pubcomp.packet_id
        if self._released.pop(packet_id, None) is None:
            raise MQTTProtocolError(f"PUBCOMP for packet id {packet_id}, not a released QoS 2")
        self._complete(packet_id, pubcomp.reason_code, pubcomp.properties)

    def _on_suback(self, suback: Suback) -> None:
        packet_id = suback.packet_id
        request = self._subscribes.get(packet_id)
        if request is None:
            raise MQTTProtocolError(f"SUBACK for packet id {packet_id}, no SUBSCRIBE pending")
        if len(suback.reason_codes) != len(request.subscriptions):
            # [MQTT-3.9.3-1]: one reason code per topic filter.
            raise MQTTProtocolError("SUBACK reason codes do not match the topic filters")
        del self._subscribes[packet_id]
        self._ids_in_use.discard(packet_id)
        self._events.append(Subscribed(packet_id, suback.reason_codes, suback.properties))

    def _on_unsuback(self, unsuback: Unsuback) -> None:
        packet_id = unsuback.packet_id
        request = self._unsubscribes.get(packet_id)
        if request is None:
            raise MQTTProtocolError(f"UNSUBACK for packet id {packet_id}, no UNSUBSCRIBE pending")
        if self._version == 5 and len(unsuback.reason_codes) != len(request.topic_filters):
            # [MQTT-3.11.3-1]: one reason code per topic filter.
            raise MQTTProtocolError("UNSUBACK reason codes do not match the topic filters")
        del self._unsubscribes[packet_id]
        self._ids_in_use.discard(packet_id)
        self._events.append(Unsubscribed(packet_id, unsuback.reason_codes, unsuback.properties))

    def _on_pingresp(self, pingresp: object) -> None:
        self._events.append(PongReceived())

    def _on_disconnect(self, disconnect: Disconnect) -> None:
        if self._version == 4:
            # 3.1.1 section 3.14: DISCONNECT goes from the client to the server only.
            raise MQTTProtocolError("a 3.1.1 server does not send DISCONNECT")
        self._close(Disconnected(disconnect.reason_code, disconnect.properties))

    def _on_auth(self, auth: Auth) -> None:
        if self._auth_method is None:
            raise MQTTProtocolError("AUTH without an Authentication Method")  # [MQTT-4.12.0-6]
        if auth.properties.get(_P.AUTHENTICATION_METHOD) != self._auth_method:
            raise MQTTProtocolError("AUTH with another Authentication Method")  # [MQTT-4.12.0-5]
        if auth.reason_code == _R.CONTINUE_AUTHENTICATION:
            self._events.append(AuthRequested(auth.properties))
        else:
            self._events.append(Reauthenticated(auth.properties))


_HANDLERS: Final[dict[ClientInput, Callable[[ClientConnection, Any], None]]] = {
    _In.RECV_CONNACK: ClientConnection._on_connack,
    _In.RECV_CONNACK_REFUSED: ClientConnection._on_connack,
    _In.RECV_PUBLISH: ClientConnection._on_publish,
    _In.RECV_PUBACK: ClientConnection._on_puback,
    _In.RECV_PUBREC: ClientConnection._on_pubrec,
    _In.RECV_PUBREL: ClientConnection._on_pubrel,
    _In.RECV_PUBCOMP: ClientConnection._on_pubcomp,
    _In.RECV_SUBACK: ClientConnection._on_suback,
    _In.RECV_UNSUBACK: ClientConnection._on_unsuback,
    _In.RECV_PINGRESP: ClientConnection._on_pingresp,
    _In.RECV_DISCONNECT: ClientConnection._on_disconnect,
    _In.RECV_AUTH_CONTINUE: ClientConnection._on_auth,
    _In.RECV_AUTH_SUCCESS: ClientConnection._on_auth,
}
