"""Topic aliases from the broker to 5.0 clients (MQTT 5.0 section 3.3.2.3.4).

The broker's output is decoded twice: with :class:`wire.mqtt.PacketReader`, to
see the wire form (topic name and Topic Alias as sent), and with our own
:class:`wire.mqtt.ClientConnection`, which resolves aliases, to check that every
PUBLISH names the right topic.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wire.mqtt import (
    Broker,
    BrokerConfig,
    ClientConfig,
    ClientConnection,
    Connack,
    Connect,
    Disconnect,
    MessageReceived,
    MessagesDropped,
    Packet,
    PacketReader,
    Properties,
    PropertyId,
    Puback,
    Publish,
    Pubrec,
    Pubrel,
    Suback,
    Subscribe,
    Subscription,
    encode,
)

_I = PropertyId
QOS = [pytest.param(0, id="qos0"), pytest.param(1, id="qos1"), pytest.param(2, id="qos2")]


class Wire:
    """One network connection to the broker, decoded as sent."""

    def __init__(self, broker: Broker, version: int = 5) -> None:
        self.broker = broker
        self.version = version
        self.conn = broker.open_connection(0.0)
        self.reader = PacketReader(version=version)
        self.next_id = 0

    def packet_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def send(self, *packets: Packet) -> None:
        data = b"".join(encode(p, version=self.version) for p in packets)
        self.broker.receive_data(self.conn, data, 0.0)

    def recv(self) -> list[Packet]:
        packets: list[Packet] = []
        for chunk in self.broker.output(self.conn):
            if chunk:
                packets += self.reader.feed(chunk)
        return packets

    def publishes(self) -> list[Publish]:
        packets = self.recv()
        return only_publishes(packets)

    def close(self) -> None:
        self.broker.receive_eof(self.conn, 0.0)
        self.broker.output(self.conn)


def only_publishes(packets: list[Packet]) -> list[Publish]:
    publishes = [p for p in packets if isinstance(p, Publish)]
    assert len(publishes) == len(packets), packets
    return publishes


def connect(
    broker: Broker,
    client_id: str,
    *,
    version: int = 5,
    clean: bool = True,
    subscribe: tuple[str, ...] = (),
    **props: Any,
) -> tuple[Wire, list[Packet]]:
    """CONNECT (and SUBSCRIBE at QoS 2); returns what followed the CONNACK/SUBACK."""
    wire = Wire(broker, version)
    properties = Properties.build(**props) if props else Properties()
    wire.send(Connect(client_id, clean, 0, None, None, None, properties, version))
    packets = wire.recv()
    assert isinstance(packets[0], Connack) and packets[0].reason_code == 0, packets
    after = packets[1:]
    if subscribe:
        wire.send(Subscribe(1, tuple(Subscription(f, 2) for f in subscribe)))
        packets = wire.recv()
        assert isinstance(packets[0], Suback), packets
        after += packets[1:]
    return wire, after


def publisher(broker: Broker) -> Wire:
    wire, _ = connect(broker, "pub")
    return wire


def send(pub: Wire, topic: str, payload: bytes = b"x", qos: int = 0, **props: Any) -> None:
    properties = Properties.build(**props) if props else Properties()
    packet_id = pub.packet_id() if qos else None
    pub.send(Publish(topic, payload, qos, False, False, packet_id, properties))
    pub.recv()


def alias_of(publish: Publish) -> int | None:
    alias = publish.properties.get(_I.TOPIC_ALIAS)
    assert alias is None or isinstance(alias, int)
    return alias


def wire_form(publishes: list[Publish]) -> list[tuple[str, int | None]]:
    return [(p.topic_name, alias_of(p)) for p in publishes]


def new_broker(**options: Any) -> Broker:
    options.setdefault("sys_interval", 0)
    return Broker(BrokerConfig(**options))


# ---------------------------------------------------------------------------
# The wire form
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("qos", QOS)
def test_first_publish_sets_the_alias_later_ones_use_it(qos: int) -> None:
    broker = new_broker()
    sub, _ = connect(broker, "sub", subscribe=("a/#",), topic_alias_maximum=4)
    pub = publisher(broker)
    for payload in (b"1", b"2", b"3"):
        send(pub, "a/b", payload, qos)
    got = sub.publishes()
    # Section 3.3.2.3.4: name + alias first, then an empty name + the alias.
    assert wire_form(got) == [("a/b", 1), ("", 1), ("", 1)]
    assert [p.payload for p in got] == [b"1", b"2", b"3"]
    assert {p.qos for p in got} == {qos}
    if qos:
        assert [p.packet_id for p in got] == [1, 2, 3]
        assert not any(p.dup for p in got)


def test_aliases_never_exceed_the_clients_maximum_and_never_zero() -> None:
    # [MQTT-3.3.2-10], [MQTT-3.3.2-11]: 1..N; once all are taken, names.
    broker = new_broker()
    sub, _ = connect(broker, "sub", subscribe=("#",), topic_alias_maximum=2)
    pub = publisher(broker)
    for topic in ("t1", "t2", "t3", "t1", "t3", "t2", "t4"):
        send(pub, topic, qos=1)
    assert wire_form(sub.publishes()) == [
        ("t1", 1),
        ("t2", 2),
        ("t3", None),
        ("", 1),
        ("t3", None),
        ("", 2),
        ("t4", None),
    ]


def test_no_aliases_without_a_topic_alias_maximum() -> None:
    broker = new_broker()
    absent, _ = connect(broker, "absent", subscribe=("#",))
    zero, _ = connect(broker, "zero", subscribe=("#",), topic_alias_maximum=0)
    pub = publisher(broker)
    send(pub, "t", qos=1)
    send(pub, "t", qos=1)
    for sub in (absent, zero):
        assert wire_form(sub.publishes()) == [("t", None), ("t", None)]


def test_assign_topic_aliases_false_turns_them_off() -> None:
    broker = new_broker(assign_topic_aliases=False)
    sub, _ = connect(broker, "sub", subscribe=("#",), topic_alias_maximum=8)
    pub = publisher(broker)
    send(pub, "t")
    send(pub, "t")
    assert wire_form(sub.publishes()) == [("t", None), ("t", None)]


def test_a_311_client_is_unaffected() -> None:
    broker = new_broker()
    sub5, _ = connect(broker, "sub5", subscribe=("#",), topic_alias_maximum=8)
    sub4, _ = connect(broker, "sub4", version=4, subscribe=("#",))
    pub = publisher(broker)
    for qos in (0, 1, 2, 1):
        send(pub, "a/b", qos=qos)
    got = sub4.publishes()
    assert [p.topic_name for p in got] == ["a/b"] * 4
    assert [p.qos for p in got] == [0, 1, 2, 1]
    assert wire_form(sub5.publishes()) == [("a/b", 1), ("", 1), ("", 1), ("", 1)]


def test_aliases_are_per_connection() -> None:
    broker = new_broker()
    one, _ = connect(broker, "one", subscribe=("#",), topic_alias_maximum=2)
    two, _ = connect(broker, "two", subscribe=("#",), topic_alias_maximum=2)
    pub = publisher(broker)
    send(pub, "x")
    assert wire_form(one.publishes()) == [("x", 1)]
    one.close()
    send(pub, "y")
    send(pub, "x")
    assert wire_form(two.publishes()) == [("x", 1), ("y", 2), ("", 1)]


def test_aliases_start_afresh_on_a_new_connection_of_the_session() -> None:
    broker = new_broker()
    sub, _ = connect(
        broker, "sub", subscribe=("#",), session_expiry_interval=100, topic_alias_maximum=2
    )
    pub = publisher(broker)
    send(pub, "x")
    send(pub, "y")
    assert wire_form(sub.publishes()) == [("x", 1), ("y", 2)]
    sub.send(Disconnect())
    sub, after = connect(broker, "sub", clean=False, topic_alias_maximum=1)
    assert after == []
    send(pub, "y")
    send(pub, "x")
    send(pub, "y")
    assert wire_form(sub.publishes()) == [("y", 1), ("x", None), ("", 1)]


@pytest.mark.parametrize("qos", [1, 2])
def test_a_resend_after_reconnect_carries_the_topic_name(qos: int) -> None:
    broker = new_broker()
    sub, _ = connect(
        broker, "sub", subscribe=("#",), session_expiry_interval=100, topic_alias_maximum=3
    )
    pub = publisher(broker)
    send(pub, "a/b", b"1", qos)
    send(pub, "a/b", b"2", qos)
    first, second = sub.publishes()
    assert wire_form([first, second]) == [("a/b", 1), ("", 1)]
    # Only the first is acknowledged; the second, sent with an alias only, is
    # in flight when the network connection breaks.
    sub.send(Puback(1) if qos == 1 else Pubrec(1))
    sub.recv()
    sub.close()
    sub, resent = connect(broker, "sub", clean=False, topic_alias_maximum=3)
    if qos == 2:
        # [MQTT-4.4.0-1]: the PUBREL of the first goes again too.
        assert resent[0] == Pubrel(1)
        resent = resent[1:]
    assert [(p.topic_name, alias_of(p), p.dup, p.packet_id) for p in only_publishes(resent)] == [
        ("a/b", None, True, 2)
    ]
    # The resend set no alias: the next new PUBLISH sets it again.
    send(pub, "a/b", b"3", qos)
    send(pub, "a/b", b"4", qos)
    assert wire_form(sub.publishes()) == [("a/b", 1), ("", 1)]


def test_retained_messages_use_aliases_too() -> None:
    broker = new_broker()
    pub = publisher(broker)
    pub.send(Publish("r/1", b"kept", 1, True, False, 1))
    pub.recv()
    _, retained = connect(broker, "sub", subscribe=("r/#",), topic_alias_maximum=1)
    assert [(p.topic_name, alias_of(p), p.retain) for p in only_publishes(retained)] == [
        ("r/1", 1, True)
    ]


def test_an_alias_that_would_exceed_maximum_packet_size_is_not_used() -> None:
    # [MQTT-3.1.2-24]: the alias adds three bytes; a packet that fits only
    # without it goes by name, and sets no alias.
    broker = new_broker()
    plain = encode(Publish("a", b"x" * 20, 0, False, False, None), version=5)
    sub, _ = connect(
        broker, "sub", subscribe=("#",), topic_alias_maximum=2, maximum_packet_size=len(plain)
    )
    pub = publisher(broker)
    send(pub, "a", b"x" * 20)
    send(pub, "a", b"x" * 20)
    send(pub, "long/topic/name", b"")
    send(pub, "long/topic/name", b"")
    assert wire_form(sub.publishes()) == [("a", None), ("a", None), ("long/topic/name", 1), ("", 1)]
    assert not [e for e in broker.events() if isinstance(e, MessagesDropped)]


def test_a_too_large_message_is_still_dropped() -> None:
    broker = new_broker()
    sub, _ = connect(broker, "sub", subscribe=("#",), topic_alias_maximum=2, maximum_packet_size=20)
    pub = publisher(broker)
    send(pub, "a", b"x" * 100)
    assert sub.publishes() == []
    assert [e.reason for e in broker.events() if isinstance(e, MessagesDropped)] == ["too-large"]


def test_properties_and_long_lengths_survive_the_alias() -> None:
    # Property lengths and remaining lengths of several bytes, message expiry
    # (no cached template) and subscription identifiers.
    broker = new_broker()
    sub, _ = connect(broker, "sub", topic_alias_maximum=2)
    sub.send(Subscribe(1, (Subscription("big/#", 1),), Properties.build(subscription_identifier=7)))
    sub.recv()
    pub = publisher(broker)
    payload = bytes(range(256)) * 100
    user = [("k", "v" * 300)]
    for _ in range(2):
        send(pub, "big/one", payload, 1, user_property=user, message_expiry_interval=60)
    got = sub.publishes()
    assert wire_form(got) == [("big/one", 1), ("", 1)]
    for p in got:
        assert p.payload == payload
        assert p.properties.get(_I.SUBSCRIPTION_IDENTIFIER) == 7
        assert p.properties.get(_I.MESSAGE_EXPIRY_INTERVAL) == 60
        assert ("k", "v" * 300) in p.properties.user_properties


# ---------------------------------------------------------------------------
# Decoded by our own client, which resolves the aliases
# ---------------------------------------------------------------------------


class Subscriber:
    """A :class:`ClientConnection` wired to the broker, acknowledging as it goes."""

    def __init__(self, broker: Broker, alias_max: int) -> None:
        self.broker = broker
        self.client = ClientConnection(
            version=5, config=ClientConfig(topic_alias_maximum=alias_max)
        )
        self.received: list[tuple[str, bytes, int]] = []
        self.conn = 0

    def connect(self, clean: bool) -> None:
        self.conn = self.broker.open_connection(0.0)
        self.client.connect(
            0.0,
            client_id="csub",
            clean_start=clean,
            keep_alive=0,
            properties=Properties.build(session_expiry_interval=100),
        )
        self.pump()

    def subscribe(self) -> None:
        self.client.subscribe(Subscription("#", 2))
        self.pump()

    def pump(self) -> None:
        while True:
            out = self.client.data_to_send()
            if out:
                self.broker.receive_data(self.conn, b"".join(out), 0.0)
            data = self.broker.output(self.conn)
            if not out and not data:
                return
            for chunk in data:
                if chunk:
                    self.client.receive_data(chunk)
            self.collect()

    def deliver_and_drop(self) -> None:
        """Take what the broker sent, then lose the connection before any answer."""
        for chunk in self.broker.output(self.conn):
            if chunk:
                self.client.receive_data(chunk)
        self.collect()
        self.broker.receive_eof(self.conn, 0.0)
        self.broker.output(self.conn)
        self.client.connection_lost()
        self.collect()

    def collect(self) -> None:
        for event in self.client.events():
            if isinstance(event, MessageReceived):
                p = event.publish
                self.received.append((p.topic_name, p.payload, p.qos))


# (topic, QoS, whether the connection breaks before the client's answers arrive)
step = st.tuples(
    st.sampled_from(["a", "b/c", "d/e/f", "gg", "h"]),
    st.integers(0, 2),
    st.booleans(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alias_max=st.integers(0, 4), steps=st.lists(step, max_size=20))
def test_our_client_resolves_every_publish_to_its_topic(
    alias_max: int, steps: list[tuple[str, int, bool]]
) -> None:
    broker = new_broker()
    sub = Subscriber(broker, alias_max)
    sub.connect(clean=True)
    sub.subscribe()
    pub = publisher(broker)
    sent: list[tuple[str, bytes, int]] = []
    for number, (topic, qos, lost) in enumerate(steps):
        payload = str(number).encode()
        send(pub, topic, payload, qos)
        sent.append((topic, payload, qos))
        if lost:
            # Unacknowledged QoS 1/2 messages are resent, DUP 1, on the next connection.
            sub.deliver_and_drop()
            sub.connect(clean=False)
        sub.pump()
    # Every message arrives with its topic; a QoS 1 one may arrive twice, a QoS 2
    # one exactly once ([MQTT-4.3.3-10] on the client side).
    assert set(sub.received) == set(sent)
    exactly_once = [m for m in sub.received if m[2] == 2]
    assert exactly_once == [m for m in sent if m[2] == 2]
