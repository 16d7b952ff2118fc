"""The broker core against a small reference model (hypothesis ``RuleBasedStateMachine``).

A few clients connect (3.1.1 or 5.0, with a clean start or not, a session expiry
interval, a keep-alive), subscribe and unsubscribe, publish at QoS 0, 1 or 2,
acknowledge what they receive or not, disconnect cleanly or abruptly, and time
passes. The model knows which sessions live and what each subscription grants,
so it knows which messages each session owes its client and at which QoS. The
clients speak the protocol as a careful client would (QoS 2 receiver with the
packet identifier kept until PUBREL) and check, as they go:

- every PUBLISH received was routed to that session, at the QoS the model says,
  and with a packet identifier not in use ([MQTT-2.2.1-4]);
- never more than Receive Maximum unacknowledged ([MQTT-3.3.4-9]);
- no QoS 2 message reaches the application twice ([MQTT-4.3.3-10]);
- QoS >= 1 messages of one publisher reach one subscriber in the order they were
  published ([MQTT-4.6.0-5], [MQTT-4.6.0-6]);
- CONNACK's Session Present is the model's ([MQTT-3.2.2-3]), and connections
  close exactly when the model says (take-over, keep-alive).

At the end every live session is resumed and drained: each QoS >= 1 message it
owed has arrived, unless a MessagesDropped event said it was dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from wire.mqtt import (
    Broker,
    BrokerConfig,
    ClientDisconnected,
    Connack,
    Connect,
    Disconnect,
    MessagesDropped,
    Packet,
    PacketReader,
    Pingreq,
    Pingresp,
    Properties,
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
    encode,
    topic_matches,
)

CLIENTS = ("a", "b", "c")
TOPICS = ("x/1", "x/2", "y")
FILTERS = ("x/1", "x/+", "#", "y")
WINDOW = 3
QUEUE = 4
NEVER = 0xFFFF_FFFF


@dataclass
class ModelSession:
    """What the broker should hold for one client identifier."""

    expiry: float | None  # None: never expires
    subscriptions: dict[str, int] = field(default_factory=dict)
    #: Message id -> QoS of its delivery to this session, for every message routed.
    routed: dict[int, int] = field(default_factory=dict)
    #: QoS >= 1 messages not yet received and not reported dropped.
    owed: set[int] = field(default_factory=set)
    expires_at: float | None = None
    # The client's side of the session ([MQTT-4.1.0-1]).
    #: Packet identifiers of QoS 2 PUBLISH received and not completed -> PUBREC sent.
    qos2: dict[int, bool] = field(default_factory=dict)
    #: Packet identifiers of QoS 1 PUBLISH received and not acknowledged.
    qos1: set[int] = field(default_factory=set)
    delivered: set[int] = field(default_factory=set)
    last_seq: dict[str, int] = field(default_factory=dict)


@dataclass
class Connection:
    client_id: str
    version: int
    conn: int
    keep_alive: int
    last_seen: float
    reader: PacketReader
    #: Packets to acknowledge, in the order received ([MQTT-4.6.0-2], [MQTT-4.6.0-3]).
    pending: list[Packet] = field(default_factory=list)
    #: Acknowledgements of our own PUBLISH, SUBACK, UNSUBACK, PINGRESP, DISCONNECT.
    replies: list[Packet] = field(default_factory=list)
    closed: bool = False
    next_id: int = 1
    #: The broker's window toward this connection: min(its max_inflight, our
    #: Receive Maximum).
    window: int = WINDOW
    #: QoS > 0 PUBLISH received on this connection and not yet finished (PUBACK or
    #: PUBCOMP sent): what the Receive Maximum bounds ([MQTT-3.3.4-9]).
    outstanding: set[int] = field(default_factory=set)
    #: Message id of this connection's Will, if it has one.
    will: int | None = None


class BrokerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.broker = Broker(
            BrokerConfig(max_inflight=WINDOW, max_queued_messages=QUEUE, sys_interval=0)
        )
        self.now = 0.0
        self.sessions: dict[str, ModelSession] = {}
        self.connections: dict[str, Connection] = {}
        #: Message id -> (publisher, topic, QoS).
        self.messages: dict[int, tuple[str, str, int]] = {}
        self.seq = 0
        self.publishing: int | None = None

    # -- the client side -----------------------------------------------------

    def send(self, c: Connection, *packets: Packet) -> None:
        data = b"".join(encode(p, version=c.version) for p in packets)
        self.broker.receive_data(c.conn, data, self.now)
        c.last_seen = self.now

    def pump(self) -> None:
        """Take every connection's output and handle it as its client would."""
        for c in list(self.connections.values()):
            self.pump_one(c)
        self.check_events()

    def pump_one(self, c: Connection) -> None:
        chunks = self.broker.output(c.conn)
        for index, chunk in enumerate(chunks):
            assert not c.closed
            if not chunk:
                assert index == len(chunks) - 1
                c.closed = True
                continue
            for packet in c.reader.feed(chunk):
                self.handle(c, packet)

    def handle(self, c: Connection, packet: Packet) -> None:
        if isinstance(packet, Publish):
            self.received(c, self.sessions[c.client_id], packet)
            c.pending.append(packet)
        elif isinstance(packet, Pubrel):
            # [MQTT-4.3.3-4]: PUBREL only for what we acknowledged with PUBREC.
            assert self.sessions[c.client_id].qos2.get(packet.packet_id) is True, packet
            c.pending.append(packet)
        else:
            c.replies.append(packet)

    def received(self, c: Connection, s: ModelSession, publish: Publish) -> None:
        message_id = int(publish.payload)
        publisher, topic, _ = self.messages[message_id]
        assert publish.topic_name == topic
        # Routed to this session, at the QoS of that delivery ([MQTT-3.3.4-2]).
        assert message_id in s.routed, (c.client_id, message_id)
        assert publish.qos == s.routed[message_id], publish
        packet_id = publish.packet_id
        if packet_id is not None:
            c.outstanding.add(packet_id)
        duplicate = False
        if publish.qos == 2:
            assert packet_id is not None
            if packet_id in s.qos2:
                # A resend before our PUBREC; never after it ([MQTT-4.3.3-6]).
                assert publish.dup and not s.qos2[packet_id], publish
                duplicate = True
            else:
                assert packet_id not in s.qos1, publish  # [MQTT-2.2.1-4]
                s.qos2[packet_id] = False
        elif publish.qos == 1:
            assert packet_id is not None
            if packet_id in s.qos1:
                assert publish.dup
            else:
                assert packet_id not in s.qos2, publish  # [MQTT-2.2.1-4]
                s.qos1.add(packet_id)
        if duplicate:
            return
        if message_id in s.delivered:
            assert publish.qos < 2, f"QoS 2 message {message_id} delivered twice"
            return
        s.delivered.add(message_id)
        s.owed.discard(message_id)
        if publish.qos:
            seq = message_id
            assert seq > s.last_seq.get(publisher, -1), "out of order"
            s.last_seq[publisher] = seq

    def check_events(self) -> None:
        for event in self.broker.events():
            if isinstance(event, MessagesDropped):
                # Only the message being routed can be dropped here, for a full queue.
                assert self.publishing is not None, event
                assert event.reason == "queue-full" and event.count == 1, event
                session = self.sessions.get(event.client_id)  # it may have ended since
                if session is not None:
                    session.owed.discard(self.publishing)
            elif isinstance(event, ClientDisconnected):
                assert event.exception is None and event.error is None, event

    def ack(self, c: Connection, count: int) -> None:
        s = self.sessions[c.client_id]
        out: list[Packet] = []
        for packet in c.pending[:count]:
            if isinstance(packet, Publish) and packet.qos == 1:
                assert packet.packet_id is not None
                out.append(Puback(packet.packet_id))
                s.qos1.discard(packet.packet_id)
                c.outstanding.discard(packet.packet_id)
            elif isinstance(packet, Publish) and packet.qos == 2:
                assert packet.packet_id is not None
                out.append(Pubrec(packet.packet_id))
                s.qos2[packet.packet_id] = True
            elif isinstance(packet, Pubrel):
                out.append(Pubcomp(packet.packet_id))
                del s.qos2[packet.packet_id]
                c.outstanding.discard(packet.packet_id)
        del c.pending[:count]
        if out:
            self.send(c, *out)

    # -- the model's side ----------------------------------------------------

    def route(self, message_id: int, topic: str, qos: int) -> None:
        """The model's routing: every live session with a matching subscription."""
        for client_id, s in self.sessions.items():
            granted = [q for f, q in s.subscriptions.items() if topic_matches(f, topic)]
            if not granted:
                continue
            delivery = min(qos, max(granted))  # [MQTT-3.3.4-2], [MQTT-3.8.4-8]
            if delivery:
                s.routed[message_id] = delivery
                s.owed.add(message_id)
            elif client_id in self.connections:
                s.routed[message_id] = 0  # QoS 0 is not queued

    def lose_connection(self, client_id: str, *, will: bool) -> None:
        """The connection of ``client_id`` ended: the Will goes out unless it was a
        normal DISCONNECT ([MQTT-3.1.2-8]); the session stays or ends."""
        c = self.connections.pop(client_id)
        if will and c.will is not None:
            _, topic, qos = self.messages[c.will]
            self.route(c.will, topic, qos)
        s = self.sessions[client_id]
        if s.expiry == 0:
            del self.sessions[client_id]
        elif s.expiry is not None:
            s.expires_at = self.now + s.expiry

    @invariant()
    def window_respected(self) -> None:
        for c in self.connections.values():
            s = self.sessions[c.client_id]
            assert len(s.qos1) + len(s.qos2) <= WINDOW
            assert len(c.outstanding) <= c.window  # [MQTT-3.3.4-9]

    # -- rules ------------------------------------------------------------------

    @initialize(
        versions=st.lists(st.sampled_from([4, 5]), min_size=3, max_size=3),
        filters=st.lists(st.sampled_from(FILTERS), min_size=3, max_size=3),
        qos=st.lists(st.sampled_from([0, 1, 2]), min_size=3, max_size=3),
    )
    def start(self, versions: list[int], filters: list[str], qos: list[int]) -> None:
        """Everyone connected with a session that outlives the connection, subscribed."""
        for client_id, version, topic_filter, granted in zip(
            CLIENTS, versions, filters, qos, strict=True
        ):
            self.connect(client_id, version, False, 5 if version == 5 else None, 0)
            self.do_subscribe(self.connections[client_id], topic_filter, granted)

    @rule(
        client_id=st.sampled_from(CLIENTS),
        version=st.sampled_from([4, 5]),
        clean=st.booleans(),
        expiry=st.sampled_from([0, 5, None]),
        keep_alive=st.sampled_from([0, 0, 2]),
        receive_maximum=st.sampled_from([None, None, 1, 2]),
        will_qos=st.sampled_from([None, None, 0, 1, 2]),
    )
    def connect(
        self,
        client_id: str,
        version: int,
        clean: bool,
        expiry: int | None,
        keep_alive: int,
        receive_maximum: int | None = None,
        will_qos: int | None = None,
    ) -> None:
        old = self.connections.get(client_id)
        if version == 4:
            expiry = 0 if clean else None
        if old is not None:
            self.pump_one(old)
            assert not old.closed
        c = Connection(
            client_id,
            version,
            self.broker.open_connection(self.now),
            keep_alive,
            self.now,
            PacketReader(version=version),
        )
        props = Properties()
        if version == 5:
            value = NEVER if expiry is None else expiry
            if receive_maximum is None:
                props = Properties.build(session_expiry_interval=value)
            else:
                props = Properties.build(
                    session_expiry_interval=value, receive_maximum=receive_maximum
                )
                c.window = min(WINDOW, receive_maximum)
        will = None
        if will_qos is not None and not keep_alive:
            # Wills only without keep-alive: connections timing out together would
            # publish theirs in the broker's timer order, which the model leaves alone.
            self.seq += 1
            c.will = self.seq
            self.messages[self.seq] = (f"{client_id}!will", "y", will_qos)
            will = Will("y", str(self.seq).encode(), will_qos)
        if old is not None:
            self.publishing = old.will
        self.send(
            c,
            Connect(
                client_id, clean, keep_alive, will=will, properties=props, protocol_level=version
            ),
        )
        # The model: [MQTT-3.1.4-3] take-over, [MQTT-3.1.2-4] clean start.
        if old is not None:
            self.lose_connection(client_id, will=True)
            self.pump_one(old)
            assert old.closed
            assert old.replies[-1:] == ([Disconnect(0x8E)] if old.version == 5 else [])
        present = client_id in self.sessions and not clean
        if not present:
            self.sessions[client_id] = ModelSession(expiry)
        s = self.sessions[client_id]
        s.expiry = expiry
        s.expires_at = None
        self.connections[client_id] = c
        self.pump()
        self.publishing = None
        connack = c.replies.pop(0)
        assert isinstance(connack, Connack) and connack.reason_code == 0
        assert connack.session_present == present

    @precondition(lambda self: self.connections)
    @rule(data=st.data(), topic_filter=st.sampled_from(FILTERS), qos=st.sampled_from([0, 1, 2]))
    def subscribe(self, data: st.DataObject, topic_filter: str, qos: int) -> None:
        self.do_subscribe(self.pick(data), topic_filter, qos)

    def pick(self, data: st.DataObject) -> Connection:
        return self.connections[data.draw(st.sampled_from(sorted(self.connections)))]

    def do_subscribe(self, c: Connection, topic_filter: str, qos: int) -> None:
        self.send(c, Subscribe(c.next_id, (Subscription(topic_filter, qos),)))
        self.pump()
        assert c.replies.pop() == Suback(c.next_id, (qos,))
        self.sessions[c.client_id].subscriptions[topic_filter] = qos
        c.next_id += 1

    @precondition(lambda self: self.connections)
    @rule(data=st.data(), topic_filter=st.sampled_from(FILTERS))
    def unsubscribe(self, data: st.DataObject, topic_filter: str) -> None:
        c = self.pick(data)
        s = self.sessions[c.client_id]
        self.send(c, Unsubscribe(c.next_id, (topic_filter,)))
        self.pump()
        existed = s.subscriptions.pop(topic_filter, None) is not None
        codes = ((0x00 if existed else 0x11),) if c.version == 5 else ()
        assert c.replies.pop() == Unsuback(c.next_id, codes)
        c.next_id += 1

    @precondition(lambda self: self.connections)
    @rule(data=st.data(), topic=st.sampled_from(TOPICS), qos=st.sampled_from([0, 1, 2]))
    def publish(self, data: st.DataObject, topic: str, qos: int) -> None:
        self.do_publish(self.pick(data), topic, qos)

    @precondition(lambda self: self.connections)
    @rule(
        data=st.data(),
        messages=st.lists(
            st.tuples(st.sampled_from(TOPICS), st.sampled_from([0, 1, 2])), min_size=2, max_size=6
        ),
    )
    def publish_burst(self, data: st.DataObject, messages: list[tuple[str, int]]) -> None:
        c = self.pick(data)
        for topic, qos in messages:
            self.do_publish(c, topic, qos)

    def do_publish(self, c: Connection, topic: str, qos: int) -> None:
        self.seq += 1
        message_id = self.seq
        self.messages[message_id] = (c.client_id, topic, qos)
        self.route(message_id, topic, qos)
        packet_id = c.next_id if qos else None
        c.next_id += 1
        self.publishing = message_id
        self.send(c, Publish(topic, str(message_id).encode(), qos, packet_id=packet_id))
        self.pump()
        self.publishing = None
        if qos == 1:
            assert c.replies.pop() == Puback(c.next_id - 1)
        elif qos == 2:
            assert c.replies.pop() == Pubrec(c.next_id - 1)
            self.send(c, Pubrel(c.next_id - 1))
            self.pump()
            assert c.replies.pop() == Pubcomp(c.next_id - 1)

    @precondition(lambda self: any(c.pending for c in self.connections.values()))
    @rule(data=st.data(), count=st.integers(1, 4))
    def acknowledge(self, data: st.DataObject, count: int) -> None:
        waiting = sorted(k for k, c in self.connections.items() if c.pending)
        c = self.connections[data.draw(st.sampled_from(waiting))]
        self.ack(c, count)
        self.pump()

    @precondition(lambda self: self.connections)
    @rule(data=st.data(), new_expiry=st.sampled_from([None, 0, 7]))
    def disconnect(self, data: st.DataObject, new_expiry: int | None) -> None:
        c = self.pick(data)
        s = self.sessions[c.client_id]
        if c.version == 5 and new_expiry is not None and s.expiry != 0:
            # Section 3.14.2.2.2: the DISCONNECT's interval replaces the CONNECT's.
            self.send(c, Disconnect(0, Properties.build(session_expiry_interval=new_expiry)))
            s.expiry = new_expiry
        else:
            self.send(c, Disconnect())
        self.pump()
        assert c.closed
        self.lose_connection(c.client_id, will=False)

    @precondition(lambda self: self.connections)
    @rule(data=st.data())
    def drop_connection(self, data: st.DataObject) -> None:
        c = self.pick(data)
        self.publishing = c.will
        self.broker.receive_eof(c.conn, self.now)
        c.closed = True
        self.lose_connection(c.client_id, will=True)
        self.pump()
        self.publishing = None

    @precondition(lambda self: self.connections)
    @rule(data=st.data())
    def ping(self, data: st.DataObject) -> None:
        c = self.pick(data)
        self.send(c, Pingreq())
        self.pump()
        assert c.replies.pop() == Pingresp()

    @rule(seconds=st.sampled_from([1, 2, 6]))
    def advance_time(self, seconds: int) -> None:
        self.now += seconds
        self.broker.tick(self.now)
        # [MQTT-3.1.2-22]: silent for 1.5 keep-alive periods: closed (0x8D in 5.0).
        timed_out = {
            k
            for k, c in self.connections.items()
            if c.keep_alive and self.now >= c.last_seen + c.keep_alive * 1.5
        }
        for client_id in sorted(timed_out):
            c = self.connections[client_id]
            self.pump_one(c)
            assert c.closed
            assert c.replies[-1:] == ([Disconnect(0x8D)] if c.version == 5 else [])
            assert c.will is None
            self.lose_connection(client_id, will=True)
        # [MQTT-4.1.0-2]: sessions past their interval are gone.
        for client_id, s in list(self.sessions.items()):
            if s.expires_at is not None and s.expires_at <= self.now:
                assert client_id not in self.connections
                del self.sessions[client_id]
        self.pump()
        assert not any(c.closed for c in self.connections.values())

    def teardown(self) -> None:
        """Resume every live session and drain it: nothing it owed may be missing."""
        for client_id in sorted(self.sessions):
            c = self.connections.get(client_id)
            if c is None:
                s = self.sessions[client_id]
                self.connect(client_id, 5, False, None if s.expiry is None else 100, 0)
                c = self.connections[client_id]
            for _ in range(100):
                if not c.pending:
                    break
                self.ack(c, len(c.pending))
                self.pump()
            s = self.sessions[client_id]
            assert not s.owed, f"{client_id} never received {sorted(s.owed)}"
            assert not s.qos1 and not s.qos2


TestBrokerStateful = BrokerMachine.TestCase
TestBrokerStateful.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
