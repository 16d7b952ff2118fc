"""The client session machine against a small model broker, driven by hypothesis.

The model broker is strict about what the client owes it (valid bytes, Receive
Maximum, fresh packet ids, DUP on resend) and keeps its own session across
network connections, so the rules can interleave publishes at every QoS in
both directions with partial deliveries, lost connections, reconnects with or
without a session, a stalled broker and the passing of time.

Checked throughout: every QoS 1/2 publish of ours ends exactly once (acknowledged
or reported lost), no QoS 2 message is delivered twice either way, packet ids
never collide, PINGREQ goes out no later than Keep Alive after the last packet,
and a broker that stops answering is given up at the ping timeout. At the end
the network is healed and everything in flight must settle.

One gap belongs to MQTT itself, not to the client: when the broker drops a
session (expiry) on a CONNECT with Clean Start 0 and its CONNACK "session not
present" is lost, the broker goes on with a new session, and the next CONNACK's
"session present" is about that one. No client can tell, so its old flows meet
a broker that forgot them: a QoS 2 message may then arrive twice or be taken
for a resend. The model tracks this "unseen discard" and relaxes only the
exactly-once checks until the client next hears "session not present". (The
same gap around a lost *clean start* is the client's to close, and it does: a
clean start holds until a CONNACK accepts it, and these checks stay strict.)
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass, field

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from wire import mqtt
from wire.errors import LocalProtocolError
from wire.mqtt._client import ClientConfig, ClientConnection
from wire.mqtt._client_events import (
    LOSS_CLEAN_START,
    LOSS_SESSION_NOT_PRESENT,
    Connected,
    Disconnected,
    MessageReceived,
    MessagesLost,
    PongReceived,
    PublishAcknowledged,
    RequestsAbandoned,
    Subscribed,
    Unsubscribed,
)
from wire.mqtt._client_state import ClientState

P = mqtt.Properties.build
LIVE = (ClientState.CONNECTED, ClientState.REAUTHENTICATING, ClientState.REAUTH_CHALLENGED)
KEEP_ALIVE = 10
PING_TIMEOUT = KEEP_ALIVE / 2
CLIENT_RECEIVE_MAXIMUM = 3
BROKER_RECEIVE_MAXIMUM = 2
IN_TOPIC = "in/topic"


@dataclass
class BrokerSession:
    """What the model broker keeps for the client across network connections."""

    incoming_qos2: set[int] = field(default_factory=set)  # PUBREC sent, awaiting PUBREL
    out_unacked: dict[int, tuple[bytes, int]] = field(default_factory=dict)
    out_released: dict[int, bytes] = field(default_factory=dict)
    out_queue: deque[tuple[bytes, int]] = field(default_factory=deque)
    next_id: int = 1


@dataclass
class BrokerConnection:
    reader: mqtt.PacketReader
    connected: bool = False
    credit: int = BROKER_RECEIVE_MAXIMUM  # the client's send quota toward us, mirrored
    client_receive_maximum: int = 0xFFFF
    client_alias_maximum: int = 0
    alias_sent: bool = False
    aliases_in: dict[int, str] = field(default_factory=dict)


class ModelBroker:
    def __init__(self, version: int, delivered: set[bytes]) -> None:
        self.version = version
        self.session: BrokerSession | None = None
        self.conn: BrokerConnection | None = None
        self.out = bytearray()
        self.closed = False  # the broker ended the stream
        self.keep_session = True
        self.received_qos2: set[bytes] = set()
        self.received: list[bytes] = []
        # What the client delivered, to check every message the broker completes.
        self.delivered = delivered
        self.strict = True  # False after an unseen session discard (module docstring)
        self.unseen_discard = False

    # -- network ---------------------------------------------------------

    def open(self, keep_session: bool) -> None:
        self.conn = BrokerConnection(mqtt.PacketReader(version=self.version))
        self.out = bytearray()
        self.closed = False
        self.keep_session = keep_session

    def close(self) -> None:
        self.conn = None
        self.out = bytearray()

    def send(self, packet: mqtt.Packet) -> None:
        self.out += mqtt.encode(packet, version=self.version)

    def receive(self, data: bytes) -> None:
        conn = self.conn
        assert conn is not None
        for packet in conn.reader.feed(data):  # the client never sends bad bytes
            if self.conn is not conn:
                return  # DISCONNECT ended the connection
            self.handle(conn, packet)

    # -- packets from the client ------------------------------------------

    def handle(self, conn: BrokerConnection, packet: mqtt.Packet) -> None:
        if not conn.connected:
            assert isinstance(packet, mqtt.Connect), packet  # [MQTT-3.1.0-1]
            self.on_connect(conn, packet)
            return
        session = self.session
        assert session is not None
        if isinstance(packet, mqtt.Publish):
            self.on_publish(conn, session, packet)
        elif isinstance(packet, mqtt.Pubrel):
            code = 0
            if packet.packet_id in session.incoming_qos2:
                session.incoming_qos2.remove(packet.packet_id)
            elif self.version == 5:
                code = mqtt.ReasonCode.PACKET_IDENTIFIER_NOT_FOUND
            conn.credit = min(conn.credit + 1, BROKER_RECEIVE_MAXIMUM)
            self.send(mqtt.Pubcomp(packet.packet_id, code))
        elif isinstance(packet, mqtt.Puback):
            payload, qos = session.out_unacked.pop(packet.packet_id)
            assert qos == 1
            assert payload in self.delivered or not self.strict
            self.flush(conn, session)
        elif isinstance(packet, mqtt.Pubrec):
            payload, qos = session.out_unacked.pop(packet.packet_id)
            assert qos == 2
            assert payload in self.delivered or not self.strict
            session.out_released[packet.packet_id] = payload
            self.send(mqtt.Pubrel(packet.packet_id))
        elif isinstance(packet, mqtt.Pubcomp):
            del session.out_released[packet.packet_id]
            self.flush(conn, session)
        elif isinstance(packet, mqtt.Subscribe):
            self.send(mqtt.Suback(packet.packet_id, (1,) * len(packet.subscriptions)))
        elif isinstance(packet, mqtt.Unsubscribe):
            codes = (0,) * len(packet.topic_filters) if self.version == 5 else ()
            self.send(mqtt.Unsuback(packet.packet_id, codes))
        elif isinstance(packet, mqtt.Pingreq):
            self.send(mqtt.Pingresp())
        else:
            assert isinstance(packet, mqtt.Disconnect), packet
            self.close()

    def on_connect(self, conn: BrokerConnection, connect: mqtt.Connect) -> None:
        assert connect.keep_alive == KEEP_ALIVE
        conn.connected = True
        props = connect.properties
        if self.version == 5:
            receive_maximum = props.get(mqtt.PropertyId.RECEIVE_MAXIMUM)
            assert receive_maximum == CLIENT_RECEIVE_MAXIMUM
            alias_maximum = props.get(mqtt.PropertyId.TOPIC_ALIAS_MAXIMUM, 0)
            assert isinstance(alias_maximum, int)
            conn.client_alias_maximum = alias_maximum
        # A 3.1.1 broker is configured with the client's limit, as in real deployments.
        conn.client_receive_maximum = CLIENT_RECEIVE_MAXIMUM
        present = self.session is not None and self.keep_session and not connect.clean_start
        if not present:
            if self.session is not None and not connect.clean_start:
                self.unseen_discard = True  # until the client reads this CONNACK
            self.session = BrokerSession()
        session = self.session
        assert session is not None
        connack_props = (
            P(receive_maximum=BROKER_RECEIVE_MAXIMUM, topic_alias_maximum=2)
            if self.version == 5
            else mqtt.Properties()
        )
        self.send(mqtt.Connack(present, properties=connack_props))
        if present:
            # [MQTT-4.4.0-1]: resend PUBREL and unacknowledged PUBLISH with DUP.
            for packet_id in session.out_released:
                self.send(mqtt.Pubrel(packet_id))
            for packet_id, (payload, qos) in session.out_unacked.items():
                self.send_publish(conn, payload, qos, packet_id, dup=True)
        self.flush(conn, session)

    def on_publish(
        self, conn: BrokerConnection, session: BrokerSession, publish: mqtt.Publish
    ) -> None:
        topic = publish.topic_name
        alias = publish.properties.get(mqtt.PropertyId.TOPIC_ALIAS)
        if alias is not None:
            assert isinstance(alias, int) and 1 <= alias <= 2
            if topic:
                conn.aliases_in[alias] = topic
            else:
                topic = conn.aliases_in[alias]
        assert topic == "out/topic"
        if publish.qos:
            # Section 4.9: the client must not exceed our Receive Maximum.
            assert conn.credit > 0, "the client exceeded the broker's Receive Maximum"
            conn.credit -= 1
        packet_id = publish.packet_id
        if publish.qos == 0:
            self.received.append(publish.payload)
        elif publish.qos == 1:
            self.received.append(publish.payload)
            conn.credit = min(conn.credit + 1, BROKER_RECEIVE_MAXIMUM)
            self.send(mqtt.Puback(packet_id))  # type: ignore[arg-type]
        else:
            if packet_id in session.incoming_qos2:
                # Only a resend may reuse an id awaiting PUBREL: anything else collides.
                assert publish.dup, f"packet id {packet_id} reused while in flight"
                event("broker: QoS 2 resend deduplicated")
            else:
                assert publish.payload not in self.received_qos2 or not self.strict, (
                    "QoS 2 received twice"
                )
                self.received_qos2.add(publish.payload)
                session.incoming_qos2.add(packet_id)  # type: ignore[arg-type]
            self.send(mqtt.Pubrec(packet_id))  # type: ignore[arg-type]

    # -- messages toward the client ----------------------------------------

    def publish(self, payload: bytes, qos: int) -> None:
        session = self.session
        conn = self.conn
        if session is None:
            return  # no subscriber
        if qos:
            session.out_queue.append((payload, qos))
        if conn is not None and conn.connected:
            if not qos:
                self.send_publish(conn, payload, 0, None, dup=False)
            self.flush(conn, session)

    def flush(self, conn: BrokerConnection, session: BrokerSession) -> None:
        # Never more in flight than the client's Receive Maximum (section 4.9).
        queue = session.out_queue
        while queue and (
            len(session.out_unacked) + len(session.out_released) < conn.client_receive_maximum
        ):
            payload, qos = queue.popleft()
            packet_id = session.next_id
            while packet_id in session.out_unacked or packet_id in session.out_released:
                packet_id = packet_id % 0xFFFF + 1
            session.next_id = packet_id % 0xFFFF + 1
            session.out_unacked[packet_id] = (payload, qos)
            self.send_publish(conn, payload, qos, packet_id, dup=False)

    def send_publish(
        self, conn: BrokerConnection, payload: bytes, qos: int, packet_id: int | None, dup: bool
    ) -> None:
        topic = IN_TOPIC
        props = mqtt.Properties()
        if conn.client_alias_maximum:
            props = P(topic_alias=1)
            if conn.alias_sent:
                topic = ""
            conn.alias_sent = True
        self.send(mqtt.Publish(topic, payload, qos, False, dup, packet_id, props))


def label(happened: object) -> None:
    """Name what happened in hypothesis' statistics (``--hypothesis-show-statistics``)."""
    name = type(happened).__name__
    if isinstance(happened, Connected):
        name += " (session present)" if happened.session_present else " (new session)"
    elif isinstance(happened, Disconnected):
        name += " (timeout)" if happened.error is not None else " (by broker)"
    elif isinstance(happened, MessageReceived):
        name += f" QoS {happened.publish.qos}" + (" DUP" if happened.publish.dup else "")
    event(name)


class ClientMachine(RuleBasedStateMachine):
    VERSION = 5

    @initialize()
    def setup(self) -> None:
        version = self.VERSION
        config = ClientConfig(
            receive_maximum=CLIENT_RECEIVE_MAXIMUM,
            topic_alias_maximum=2,
            max_inflight=0xFFFF if version == 5 else BROKER_RECEIVE_MAXIMUM,
            max_queued_messages=1,
            use_topic_aliases=True,
        )
        self.client = ClientConnection(version=version, config=config)
        self.now = 0.0
        self.delivered: set[bytes] = set()
        self.delivered_qos2: set[bytes] = set()
        self.broker = ModelBroker(version, self.delivered)
        self.net_open = False
        self.to_broker = bytearray()
        self.to_client = bytearray()
        self.muted = False
        self.counter = 0
        self.outstanding: dict[int, bytes] = {}  # our QoS 1/2 publishes, by packet id
        self.requests: set[int] = set()  # SUBSCRIBE/UNSUBSCRIBE awaiting their ack
        self.last_out = 0.0
        self.ping_since: float | None = None
        self.tap = mqtt.PacketReader(version=version)
        self.client_side = mqtt.PacketReader(version=version)

    # -- plumbing ----------------------------------------------------------

    def live(self) -> bool:
        return self.client.state in LIVE

    def pump(self) -> None:
        """Move the client's output to the wire and check its events."""
        for data in self.client.data_to_send():
            if not data:
                self.client_closed()
                break
            assert self.net_open
            self.last_out = self.now
            for packet in self.tap.feed(data):
                if isinstance(packet, mqtt.Pingreq) and self.ping_since is None:
                    self.ping_since = self.now
            self.to_broker += data
        for happened in self.client.events():
            self.on_event(happened)

    def on_event(self, event: object) -> None:
        label(event)
        if isinstance(event, MessageReceived):
            publish = event.publish
            assert publish.topic_name == IN_TOPIC
            if publish.qos == 2:
                assert publish.payload not in self.delivered_qos2 or not self.broker.strict, (
                    "QoS 2 delivered twice"
                )
                self.delivered_qos2.add(publish.payload)
            self.delivered.add(publish.payload)
        elif isinstance(event, PublishAcknowledged):
            assert event.reason_code in (0, mqtt.ReasonCode.PACKET_IDENTIFIER_NOT_FOUND)
            assert self.outstanding.pop(event.packet_id, None) is not None, "acknowledged twice"
        elif isinstance(event, MessagesLost):
            assert event.reason in (LOSS_SESSION_NOT_PRESENT, LOSS_CLEAN_START)
            for publish in event.publishes:
                assert self.outstanding.pop(publish.packet_id, None) == publish.payload  # type: ignore[arg-type]
        elif isinstance(event, Subscribed | Unsubscribed):
            self.requests.remove(event.packet_id)
        elif isinstance(event, RequestsAbandoned):
            for request in event.requests:
                self.requests.remove(request.packet_id)
        elif isinstance(event, Disconnected):
            # The model broker never breaks the rules; it can only go silent.
            if event.error is not None:
                assert event.error.code == mqtt.ReasonCode.KEEP_ALIVE_TIMEOUT, event
        elif isinstance(event, Connected):
            self.broker.unseen_discard = False
            if not event.session_present:
                self.broker.strict = True  # both sides start afresh
        else:
            assert isinstance(event, PongReceived), event

    def client_closed(self) -> None:
        """The client wrote b"": what it wrote before reaches a live broker, then EOF."""
        if self.broker.conn is not None and not self.muted:
            self.broker.receive(bytes(self.to_broker))
        self.broker.close()
        self.drop_network()

    def drop_network(self) -> None:
        if self.broker.unseen_discard:
            self.broker.strict = False
            self.broker.unseen_discard = False
            event("session discard the client never heard of")
        self.net_open = False
        self.to_broker = bytearray()
        self.to_client = bytearray()
        self.ping_since = None

    def take_id(self, packet_id: int) -> None:
        assert packet_id not in self.outstanding, "packet id collision"
        assert packet_id not in self.requests, "packet id collision"

    # -- rules -------------------------------------------------------------

    @precondition(lambda self: self.client.state is ClientState.DISCONNECTED)
    @rule(clean_start=st.booleans(), keep_session=st.booleans())
    def connect(self, clean_start: bool, keep_session: bool) -> None:
        self.broker.open(keep_session)
        self.net_open = True
        self.muted = False
        self.tap = mqtt.PacketReader(version=self.VERSION)
        self.client_side = mqtt.PacketReader(version=self.VERSION)
        self.client.connect(self.now, client_id="c", clean_start=clean_start, keep_alive=KEEP_ALIVE)
        self.pump()

    @precondition(lambda self: self.live())
    @rule(qos=st.integers(0, 2))
    def publish(self, qos: int) -> None:
        self.counter += 1
        payload = b"c%d" % self.counter
        try:
            packet_id = self.client.publish("out/topic", payload, qos=qos)
        except LocalProtocolError as exc:
            assert "wait" in str(exc) and self.client.queued_messages >= 1
            event("publish refused: queue full")
            return
        if qos:
            assert packet_id is not None
            self.take_id(packet_id)
            self.outstanding[packet_id] = payload
        self.pump()

    @precondition(lambda self: self.live())
    @rule(unsubscribe=st.booleans())
    def subscribe(self, unsubscribe: bool) -> None:
        if unsubscribe:
            packet_id = self.client.unsubscribe("a/#")
        else:
            packet_id = self.client.subscribe(mqtt.Subscription("a/#", qos=2))
        self.take_id(packet_id)
        self.requests.add(packet_id)
        self.pump()

    @rule(qos=st.integers(0, 2))
    def broker_publishes(self, qos: int) -> None:
        self.counter += 1
        self.broker.publish(b"b%d" % self.counter, qos)
        self.collect_broker_output()

    def collect_broker_output(self) -> None:
        self.to_client += self.broker.out
        self.broker.out = bytearray()

    def deliver_to_broker(self, size: int) -> None:
        if self.muted or not self.to_broker:
            return  # a stalled broker reads nothing; the bytes wait in the network
        chunk = bytes(self.to_broker[:size])
        del self.to_broker[:size]
        self.broker.receive(chunk)
        self.collect_broker_output()

    def deliver_to_client(self, size: int) -> None:
        chunk = bytes(self.to_client[:size])
        del self.to_client[:size]
        if self.client_side.feed(chunk):
            self.ping_since = None  # any whole packet answers a ping
        self.client.receive_data(chunk)
        self.pump()

    @precondition(lambda self: self.net_open)
    @rule(to_broker=st.booleans(), size=st.integers(1, 80))
    def deliver(self, to_broker: bool, size: int) -> None:
        """Part of what is in flight one way arrives."""
        if to_broker:
            self.deliver_to_broker(size)
        elif self.to_client:
            self.deliver_to_client(size)

    @precondition(lambda self: self.net_open)
    @rule()
    def exchange(self) -> None:
        """Round trips until the network is quiet (or the stream ends)."""
        for _ in range(100):
            moved = bool(self.to_client or (self.to_broker and not self.muted))
            if not (moved and self.net_open):
                break
            self.deliver_to_broker(len(self.to_broker))
            if self.net_open and self.to_client:
                self.deliver_to_client(len(self.to_client))

    @precondition(lambda self: self.net_open)
    @rule(cause=st.sampled_from(["lost", "broker", "client"]))
    def end_connection(self, cause: str) -> None:
        if cause == "broker" and self.live() and not self.muted:
            self.broker_disconnects()
        elif cause == "client" and self.live():
            self.client.disconnect()
            self.pump()
        else:
            self.lose_connection()
        assert not self.net_open

    def lose_connection(self) -> None:
        self.client.connection_lost()
        self.broker.close()
        self.drop_network()
        self.pump()

    def broker_disconnects(self) -> None:
        self.collect_broker_output()
        if self.VERSION == 5:
            self.broker.send(mqtt.Disconnect(mqtt.ReasonCode.SERVER_SHUTTING_DOWN))
            self.collect_broker_output()
        self.broker.close()
        self.client.receive_data(bytes(self.to_client))
        self.client.receive_eof()
        self.to_client = bytearray()
        self.pump()

    @precondition(lambda self: self.net_open)
    @rule()
    def stall(self) -> None:
        """The broker stops reading on this network connection."""
        self.muted = True

    @rule(seconds=st.floats(0.5, 2 * KEEP_ALIVE))
    def advance_time(self, seconds: float) -> None:
        # Like a driver: never sleep past the machine's deadline.
        deadline = self.client.next_deadline()
        now = self.now + seconds
        self.now = now if deadline is None else min(now, deadline)
        self.client.tick(self.now)
        self.pump()

    # -- invariants ------------------------------------------------------------

    @invariant()
    def pings_are_on_time(self) -> None:
        if self.live():
            assert self.now - self.last_out <= KEEP_ALIVE

    @invariant()
    def silent_broker_is_given_up(self) -> None:
        if self.ping_since is not None and self.now >= self.ping_since + PING_TIMEOUT:
            assert not self.live()

    @invariant()
    def machine_counts_agree(self) -> None:
        client = self.client
        assert client.inflight_messages + client.queued_messages == len(self.outstanding)

    # -- the end: heal the network and let everything settle ----------------------

    def teardown(self) -> None:
        if sys.exc_info()[0] is not None or not hasattr(self, "client"):
            return  # a step failed: let its error be the one reported
        self.muted = False
        if self.net_open:
            self.lose_connection()
        self.connect(clean_start=False, keep_session=True)
        self.exchange()
        assert self.client.state is ClientState.CONNECTED
        assert not self.outstanding, "publishes neither acknowledged nor lost"
        assert not self.requests
        session = self.broker.session
        assert session is not None
        assert not (session.out_unacked or session.out_released or session.out_queue)
        assert not session.incoming_qos2


class ClientMachineV4(ClientMachine):
    VERSION = 4


_settings = settings(max_examples=100, stateful_step_count=50, deadline=None)
ClientMachine.TestCase.settings = _settings
ClientMachineV4.TestCase.settings = _settings
TestClientV5 = ClientMachine.TestCase
TestClientV4 = ClientMachineV4.TestCase
