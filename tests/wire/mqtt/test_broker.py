"""The Sans-IO broker core, driven through its public interface only.

Client packets are encoded with :func:`wire.mqtt.encode`, the broker's output is
decoded with :class:`wire.mqtt.PacketReader`, and time passes through ``now``
and :meth:`Broker.tick`. Tests name the normative statement they check (5.0
numbering; the 3.1.1 one where it differs) and run at both protocol levels where
the feature exists in both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wire.errors import LocalProtocolError
from wire.mqtt import (
    Auth,
    Broker,
    BrokerConfig,
    ClientConnected,
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
    PropertyId,
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
)

V4 = pytest.param(4, id="v4")
V5 = pytest.param(5, id="v5")
VERSIONS = [V4, V5]
_I = PropertyId


# ---------------------------------------------------------------------------
# Harness
# ---------------------------------------------------------------------------


class Net:
    """A broker and a clock."""

    def __init__(self, config: BrokerConfig | None = None, **options: Any) -> None:
        if config is None:
            options.setdefault("sys_interval", 0)
            config = BrokerConfig(**options)
        self.broker = Broker(config)
        self.now = 0.0
        self.seen_events: list[object] = []

    def tick(self, now: float) -> None:
        self.now = now
        self.broker.tick(now)

    def events(self) -> list[object]:
        events: list[object] = list(self.broker.events())
        for event in events:
            # The broker never fails on its own unless a test makes it.
            assert not (isinstance(event, ClientDisconnected) and event.exception is not None)
        self.seen_events += events
        return events

    def dropped(self) -> list[MessagesDropped]:
        return [e for e in self.events() if isinstance(e, MessagesDropped)]


class Client:
    """One network connection, seen from the client's side."""

    def __init__(self, net: Net, version: int = 5) -> None:
        self.net = net
        self.broker = net.broker
        self.version = version
        self.conn = self.broker.open_connection(net.now)
        self.reader = PacketReader(version=version)
        self.closed = False

    def is_closed(self) -> bool:
        """Whether the broker closed the connection (a method: nothing narrows it)."""
        return self.closed

    def send(self, *packets: Packet) -> None:
        self.send_raw(b"".join(encode(p, version=self.version) for p in packets))

    def send_raw(self, data: bytes) -> None:
        self.broker.receive_data(self.conn, data, self.net.now)

    def recv(self) -> list[Packet]:
        """Drain the broker's output for this connection and decode it."""
        chunks = self.broker.output(self.conn)
        packets: list[Packet] = []
        for index, chunk in enumerate(chunks):
            assert not self.closed, "output after the close"
            if not chunk:
                assert index == len(chunks) - 1, "b'' must be the last chunk"
                self.closed = True
            else:
                packets += self.reader.feed(chunk)
        return packets

    def publishes(self) -> list[Publish]:
        packets = self.recv()
        assert all(isinstance(p, Publish) for p in packets), packets
        return packets  # type: ignore[return-value]

    def eof(self) -> None:
        self.broker.receive_eof(self.conn, self.net.now)
        self.closed = True

    def disconnect(self, reason: int = 0, **props: int) -> None:
        properties = Properties.build(**props) if props else Properties()
        if self.version == 4:
            self.send(Disconnect())
        else:
            self.send(Disconnect(reason, properties))
        assert self.recv() == []
        assert self.closed


def connect(
    net: Net,
    client_id: str = "c",
    *,
    version: int = 5,
    clean: bool = True,
    expiry: int | None = None,
    keep_alive: int = 0,
    will: Will | None = None,
    username: str | None = None,
    password: bytes | None = None,
    **props: object,
) -> tuple[Client, Connack, list[Packet]]:
    """Open a connection and CONNECT; returns the client, its CONNACK and what followed."""
    client = Client(net, version)
    if expiry is not None:
        props["session_expiry_interval"] = expiry
    client.send(
        Connect(
            client_id,
            clean,
            keep_alive,
            username,
            password,
            will,
            Properties.build(**props) if props else Properties(),  # type: ignore[arg-type]
            version,
        )
    )
    packets = client.recv()
    connack = packets[0]
    assert isinstance(connack, Connack), packets
    return client, connack, packets[1:]


def session(
    net: Net, client_id: str, version: int, *, clean: bool = False, **kwargs: object
) -> tuple[Client, Connack, list[Packet]]:
    """Connect with a session that outlives the connection (at both levels)."""
    if version == 5:
        kwargs.setdefault("expiry", 1000)
    return connect(net, client_id, version=version, clean=clean, **kwargs)  # type: ignore[arg-type]


def subscribe(
    client: Client, *subs: Subscription | str, packet_id: int = 1, **props: int
) -> tuple[int, ...]:
    subscriptions = tuple(Subscription(s, 2) if isinstance(s, str) else s for s in subs)
    properties = Properties.build(**props) if props else Properties()
    client.send(Subscribe(packet_id, subscriptions, properties))
    packets = client.recv()
    suback = packets[0]
    assert isinstance(suback, Suback)
    assert suback.packet_id == packet_id
    assert len(suback.reason_codes) == len(subscriptions)  # [MQTT-3.8.4-6]
    client.retained = packets[1:]  # type: ignore[attr-defined]
    return tuple(int(c) for c in suback.reason_codes)


def publish(
    client: Client,
    topic: str,
    payload: bytes = b"x",
    qos: int = 0,
    *,
    retain: bool = False,
    packet_id: int | None = None,
    **props: object,
) -> list[Packet]:
    """PUBLISH and complete the flow toward the broker; returns the acknowledgements."""
    if qos and packet_id is None:
        packet_id = client.__dict__.setdefault("next_id", 1)
        client.next_id = packet_id % 0xFFFF + 1  # type: ignore[attr-defined]
    properties = Properties.build(**props) if props else Properties()  # type: ignore[arg-type]
    client.send(Publish(topic, payload, qos, retain, False, packet_id, properties))
    acks = client.recv()
    if qos == 2 and acks and isinstance(acks[0], Pubrec) and acks[0].reason_code < 0x80:
        client.send(Pubrel(acks[0].packet_id))
        acks += client.recv()
    return acks


def ack(client: Client, packets: Iterable[Packet]) -> list[Packet]:
    """Acknowledge every PUBLISH and PUBREL in ``packets``; returns what followed."""
    out: list[Packet] = []
    for packet in packets:
        if isinstance(packet, Publish) and packet.qos == 1:
            assert packet.packet_id is not None
            client.send(Puback(packet.packet_id))
        elif isinstance(packet, Publish) and packet.qos == 2:
            assert packet.packet_id is not None
            client.send(Pubrec(packet.packet_id))
        elif isinstance(packet, Pubrel):
            client.send(Pubcomp(packet.packet_id))
        else:
            continue
        out += client.recv()
    return out


def ack_all(client: Client, packets: list[Packet]) -> list[Packet]:
    """Acknowledge until nothing new arrives; returns every PUBLISH seen."""
    seen: list[Packet] = [p for p in packets if isinstance(p, Publish)]
    while packets:
        packets = ack(client, packets)
        seen += [p for p in packets if isinstance(p, Publish)]
    return seen


def pid(packet: Packet) -> int:
    """The packet identifier of a PUBLISH that has one."""
    assert isinstance(packet, Publish) and packet.packet_id is not None
    return packet.packet_id


def payloads(packets: Iterable[Packet]) -> list[bytes]:
    return [p.payload for p in packets if isinstance(p, Publish)]


def raw_connect(level: int, name: bytes = b"MQTT", client_id: bytes = b"c") -> bytes:
    body = len(name).to_bytes(2, "big") + name + bytes((level, 0x02)) + b"\x00\x3c"
    if level == 5:
        body += b"\x00"
    body += len(client_id).to_bytes(2, "big") + client_id
    return bytes((0x10, len(body))) + body


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"max_packet_size": 1},
        {"receive_maximum": 0},
        {"max_inflight": 0x10000},
        {"maximum_qos": 3},
        {"topic_alias_maximum": -1},
        {"server_keep_alive": 0x10000},
        {"max_session_expiry": -1},
        {"max_queued_messages": -1},
        {"max_pending_qos0": -1},
    ],
)
def test_config_refuses_values_mqtt_cannot_express(options: dict[str, int]) -> None:
    with pytest.raises(LocalProtocolError):
        BrokerConfig(**options)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# CONNECT / CONNACK
# ---------------------------------------------------------------------------


def test_connack_advertises_the_defaults() -> None:
    net = Net()
    _, connack, _ = connect(net)
    assert connack.reason_code == 0 and not connack.session_present
    assert connack.properties.as_mapping() == {
        _I.RECEIVE_MAXIMUM: 1024,
        _I.MAXIMUM_PACKET_SIZE: 1 << 20,
        _I.TOPIC_ALIAS_MAXIMUM: 64,
    }
    (event,) = net.events()
    assert event == ClientConnected(1, "c", 5, False)
    assert net.broker.stats.clients_connected == 1


def test_connack_advertises_what_is_unavailable() -> None:
    """[MQTT-3.2.2-9]: Maximum QoS below 2 is told; so are the missing features."""
    net = Net(
        maximum_qos=1,
        retain_available=False,
        wildcard_subscription_available=False,
        subscription_identifier_available=False,
        shared_subscription_available=False,
        server_keep_alive=30,
        max_session_expiry=100,
        receive_maximum=10,
        max_packet_size=1000,
        topic_alias_maximum=0,
    )
    _, connack, _ = connect(net, expiry=5000, keep_alive=0)
    assert connack.properties.as_mapping() == {
        _I.SERVER_KEEP_ALIVE: 30,
        _I.SESSION_EXPIRY_INTERVAL: 100,
        _I.RECEIVE_MAXIMUM: 10,
        _I.MAXIMUM_PACKET_SIZE: 1000,
        _I.TOPIC_ALIAS_MAXIMUM: 0,
        _I.MAXIMUM_QOS: 1,
        _I.RETAIN_AVAILABLE: 0,
        _I.WILDCARD_SUBSCRIPTION_AVAILABLE: 0,
        _I.SUBSCRIPTION_IDENTIFIER_AVAILABLE: 0,
        _I.SHARED_SUBSCRIPTION_AVAILABLE: 0,
    }


def test_connack_in_3_1_1_has_no_properties() -> None:
    net = Net(maximum_qos=1, server_keep_alive=30)
    _, connack, _ = connect(net, version=4)
    assert connack == Connack(False, 0)


def test_empty_client_id_is_assigned_in_5_0() -> None:
    """[MQTT-3.1.3-6], [MQTT-3.1.3-7], [MQTT-3.2.2-16]: a new identifier, told in CONNACK."""
    net = Net(assigned_id_prefix="id-")
    # A client that picked the identifier the broker would assign next.
    connect(net, "id-1")
    _, first, _ = connect(net, "")
    _, second, _ = connect(net, "")
    assigned = [
        c.properties.get(_I.ASSIGNED_CLIENT_IDENTIFIER) for c in (first, second) if c.properties
    ]
    assert assigned == ["id-2", "id-3"]
    events = [e for e in net.events() if isinstance(e, ClientConnected)]
    assert [e.client_id for e in events] == ["id-1", "id-2", "id-3"]
    assert not [e for e in net.seen_events if isinstance(e, ClientDisconnected)]


def test_empty_client_id_with_clean_session_is_accepted_in_3_1_1() -> None:
    net = Net()
    _, connack, _ = connect(net, "", version=4, clean=True)
    assert connack == Connack(False, 0)


def test_empty_client_id_without_clean_session_is_refused_in_3_1_1() -> None:
    """3.1.1 [MQTT-3.1.3-8]: CONNACK 0x02, then close."""
    net = Net()
    client, connack, rest = connect(net, "", version=4, clean=False)
    assert connack == Connack(False, 0x02) and rest == []
    assert client.is_closed()
    assert net.broker.stats.clients_connected == 0
    (event,) = net.events()
    assert isinstance(event, ClientDisconnected) and event.reason_code == 0x85


@pytest.mark.parametrize(("version", "code"), [(4, 0x02), (5, 0x85)])
def test_too_long_client_id_is_refused(version: int, code: int) -> None:
    """[MQTT-3.1.3-8]: refused with 0x85 (3.1.1: 0x02), then closed ([MQTT-3.2.2-7])."""
    net = Net(max_client_id_length=4)
    client, connack, _ = connect(net, "abcde", version=version)
    assert connack.reason_code == code and not connack.session_present  # [MQTT-3.2.2-6]
    assert client.is_closed()
    _, ok, _ = connect(net, "abcd", version=version)
    assert ok.reason_code == 0


@pytest.mark.parametrize(("version", "code"), [(4, 0x04), (5, 0x86)])
def test_bad_credentials_are_refused(version: int, code: int) -> None:
    seen: list[tuple[str | None, bytes | None, str]] = []

    def authenticate(username: str | None, password: bytes | None, client_id: str) -> bool:
        seen.append((username, password, client_id))
        return password == b"secret"

    net = Net(authenticate=authenticate)
    client, connack, _ = connect(net, "c", version=version, username="u", password=b"wrong")
    assert connack.reason_code == code and client.is_closed()
    _, connack, _ = connect(net, "c", version=version, username="u", password=b"secret")
    assert connack.reason_code == 0
    assert seen == [("u", b"wrong", "c"), ("u", b"secret", "c")]
    assert net.broker.stats.clients_connected == 1


def test_enhanced_authentication_method_is_refused() -> None:
    """[MQTT-4.12.0-1]: no method is offered: CONNACK 0x8C and close."""
    net = Net()
    client, connack, _ = connect(net, authentication_method="SCRAM-SHA-1")
    assert connack.reason_code == 0x8C and client.is_closed()


@pytest.mark.parametrize("version", VERSIONS)
def test_first_packet_must_be_connect(version: int) -> None:
    """[MQTT-3.1.0-1]: anything else first closes the connection without a word."""
    net = Net()
    client = Client(net, version)
    client.send(Pingreq(), Connect("c", protocol_level=version))
    assert client.recv() == [] and client.is_closed()
    (event,) = net.events()
    assert isinstance(event, ClientDisconnected) and event.reason_code == 0x82
    assert event.client_id is None and event.error is not None


@pytest.mark.parametrize("version", VERSIONS)
def test_second_connect_is_a_protocol_error(version: int) -> None:
    """[MQTT-3.1.0-2]: DISCONNECT 0x82 in 5.0, a plain close in 3.1.1."""
    net = Net()
    client, _, _ = connect(net, version=version)
    client.send(Connect("c", protocol_level=version))
    expected = [Disconnect(0x82)] if version == 5 else []
    assert client.recv() == expected and client.is_closed()
    assert net.broker.stats.clients_connected == 0


@pytest.mark.parametrize("version", VERSIONS)
def test_second_connect_with_an_unknown_level_is_a_protocol_error(version: int) -> None:
    """[MQTT-3.1.0-2] again: 0x84 is no DISCONNECT reason code, so it is 0x82."""
    net = Net()
    client, _, _ = connect(net, version=version)
    client.send_raw(raw_connect(3, b"MQIsdp"))
    expected = [Disconnect(0x82)] if version == 5 else []
    assert client.recv() == expected and client.is_closed()


@pytest.mark.parametrize(("level", "name"), [(3, b"MQIsdp"), (6, b"MQTT"), (4, b"MQTX")])
def test_unsupported_protocol_gets_a_3_1_1_connack_0x01(level: int, name: bytes) -> None:
    """[MQTT-3.1.2-1], [MQTT-3.1.2-2] (3.1.1: [MQTT-3.1.2-2]): answer 0x01, then close."""
    net = Net()
    client = Client(net, 4)
    client.send_raw(raw_connect(level, name))
    assert client.recv() == [Connack(False, 0x01)] and client.is_closed()
    (event,) = net.events()
    assert isinstance(event, ClientDisconnected) and event.reason_code == 0x84


def test_connect_timeout_closes_a_silent_connection() -> None:
    net = Net(connect_timeout=5)
    silent = Client(net)
    talker = Client(net)
    assert net.broker.next_deadline() == 5
    net.tick(3)
    talker.send(Connect("t"))
    net.tick(5)
    assert silent.recv() == [] and silent.is_closed()
    assert isinstance(talker.recv()[0], Connack) and not talker.is_closed()
    (event,) = [e for e in net.events() if isinstance(e, ClientDisconnected)]
    assert event.connection == silent.conn and event.reason_code == 0xA0


@pytest.mark.parametrize(
    ("options", "will", "v5_code"),
    [
        ({"maximum_qos": 1}, Will("w", b"x", 2), 0x9B),  # [MQTT-3.2.2-12]
        ({"retain_available": False}, Will("w", b"x", 0, True), 0x9A),  # [MQTT-3.2.2-13]
        ({"authorize_publish": lambda u, c, t: t != "w"}, Will("w"), 0x87),
    ],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_a_will_the_broker_cannot_honour_refuses_the_connection(
    version: int, options: dict[str, Any], will: Will, v5_code: int
) -> None:
    net = Net(**options)
    client, connack, _ = connect(net, version=version, will=will)
    assert connack.reason_code == (v5_code if version == 5 else 0x05) and client.is_closed()


# ---------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_queued_messages_are_delivered_on_resume(version: int) -> None:
    """[MQTT-3.1.2-5], [MQTT-3.2.2-3], [MQTT-4.5.0-1]: QoS 1/2 wait for the client."""
    net = Net()
    sub, connack, _ = session(net, "sub", version)
    assert not connack.session_present
    subscribe(sub, "t/#")
    sub.disconnect()
    pub, _, _ = connect(net, "pub")
    for index, qos in enumerate((1, 2, 0, 2, 1)):
        publish(pub, f"t/{index}", bytes((index,)), qos)
    sub, connack, resumed = session(net, "sub", version)
    assert connack.session_present
    assert [(p.topic_name, p.qos, p.dup) for p in resumed] == [  # type: ignore[union-attr]
        ("t/0", 1, False),
        ("t/1", 2, False),
        ("t/3", 2, False),
        ("t/4", 1, False),
    ]
    assert payloads(ack_all(sub, resumed)) == [b"\x00", b"\x01", b"\x03", b"\x04"]


@pytest.mark.parametrize("version", VERSIONS)
def test_in_flight_messages_are_resent_in_order_on_resume(version: int) -> None:
    """[MQTT-4.4.0-1], [MQTT-3.3.1-1]: unacknowledged PUBLISH again with DUP 1 and
    the same identifier, PUBREL again for released QoS 2, in the original order."""
    net = Net()
    sub, _, _ = session(net, "sub", version)
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"a", 1)
    publish(pub, "t", b"b", 2)
    publish(pub, "t", b"c", 2)
    publish(pub, "t", b"d", 1)
    first = sub.publishes()
    assert [(p.payload, p.qos, p.dup) for p in first] == [
        (b"a", 1, False),
        (b"b", 2, False),
        (b"c", 2, False),
        (b"d", 1, False),
    ]
    ids = [pid(p) for p in first]
    assert len(set(ids)) == 4  # [MQTT-2.2.1-4]
    # "b" is received (PUBREC) and released (PUBREL); "d" is acknowledged.
    sub.send(Pubrec(ids[1]))
    assert sub.recv() == [Pubrel(ids[1])]  # [MQTT-4.3.3-4]
    sub.send(Puback(ids[3]))
    assert sub.recv() == []
    sub.eof()
    sub, connack, resumed = session(net, "sub", version)
    assert connack.session_present
    assert resumed == [
        Publish("t", b"a", 1, False, True, ids[0]),
        Pubrel(ids[1]),  # [MQTT-4.3.3-6]: never the PUBLISH again once released
        Publish("t", b"c", 2, False, True, ids[2]),
    ]
    sub.send(Puback(ids[0]), Pubcomp(ids[1]), Pubrec(ids[2]))
    assert sub.recv() == [Pubrel(ids[2])]
    sub.send(Pubcomp(ids[2]))
    sub.eof()
    _, _, resumed = session(net, "sub", version)
    assert resumed == []


@pytest.mark.parametrize("version", VERSIONS)
def test_clean_start_discards_the_session(version: int) -> None:
    """[MQTT-3.1.2-4], [MQTT-3.2.2-2]."""
    net = Net()
    sub, _, _ = session(net, "sub", version)
    subscribe(sub, "t")
    sub.disconnect()
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"queued", 1)
    sub, connack, resumed = session(net, "sub", version, clean=True)
    assert not connack.session_present and resumed == []
    publish(pub, "t", b"after", 1)
    assert sub.recv() == []  # the subscription went with the session


def test_clean_session_in_3_1_1_ends_with_the_connection() -> None:
    net = Net()
    sub, _, _ = connect(net, "sub", version=4, clean=True)
    subscribe(sub, "t")
    sub.disconnect()
    _, connack, _ = connect(net, "sub", version=4, clean=False)
    assert not connack.session_present  # [MQTT-3.2.2-3]: no session was kept


def test_session_expires_after_its_interval() -> None:
    """[MQTT-3.1.2-23], [MQTT-4.1.0-2]."""
    net = Net()
    sub, _, _ = connect(net, "sub", clean=False, expiry=10)
    subscribe(sub, "t")
    sub.disconnect()
    assert net.broker.next_deadline() == 10
    net.tick(9.5)
    # Disconnected again at 9.5: it now expires at 19.5, and the timer at 10 is stale.
    sub, connack, _ = connect(net, "sub", clean=False, expiry=10)
    assert connack.session_present
    sub.eof()
    net.tick(19)
    sub, connack, _ = connect(net, "sub", clean=False, expiry=10)
    assert connack.session_present
    sub.eof()
    net.tick(28.9)
    assert net.broker.next_deadline() == 29
    net.tick(29)
    _, connack, _ = connect(net, "sub", clean=False)
    assert not connack.session_present


def test_expired_session_is_not_resumed_even_before_tick() -> None:
    """[MQTT-4.1.0-2]: ``now`` decides, not whether the driver ticked."""
    net = Net()
    sub, _, _ = connect(net, "sub", clean=False, expiry=10)
    sub.disconnect()
    net.now = 10
    _, connack, _ = connect(net, "sub", clean=False)
    assert not connack.session_present


def test_session_expiry_granted_is_capped_by_the_broker() -> None:
    net = Net(max_session_expiry=10)
    sub, connack, _ = connect(net, "sub", clean=False, expiry=100)
    assert connack.properties.get(_I.SESSION_EXPIRY_INTERVAL) == 10
    sub.disconnect()
    net.tick(10)
    _, connack, _ = connect(net, "sub", clean=False)
    assert not connack.session_present


def test_session_that_never_expires() -> None:
    net = Net()
    sub, connack, _ = connect(net, "sub", clean=False, expiry=10)
    sub.disconnect()
    # Back before expiry, now asking for a session that never expires.
    net.tick(5)
    sub, connack, _ = connect(net, "sub", clean=False, expiry=0xFFFF_FFFF)
    assert connack.session_present and not connack.properties.get(_I.SESSION_EXPIRY_INTERVAL)
    sub.eof()
    net.tick(1_000_000)  # the old timer finds a session without an expiry time
    _, connack, _ = connect(net, "sub", clean=False)
    assert connack.session_present


def test_disconnect_can_change_the_session_expiry_interval() -> None:
    """Section 3.14.2.2.2: the interval in DISCONNECT replaces the one of CONNECT."""
    net = Net()
    sub, _, _ = connect(net, "sub", clean=False, expiry=10)
    sub.disconnect(session_expiry_interval=100)
    net.tick(50)
    sub, connack, _ = connect(net, "sub", clean=False, expiry=10)
    assert connack.session_present
    sub.disconnect(session_expiry_interval=0)
    _, connack, _ = connect(net, "sub", clean=False)
    assert not connack.session_present
    # Capped by max_session_expiry, and "never" is representable.
    net = Net(max_session_expiry=20)
    sub, _, _ = connect(net, "sub", clean=False, expiry=10)
    sub.disconnect(session_expiry_interval=0xFFFF_FFFF)
    net.tick(20)
    _, connack, _ = connect(net, "sub", clean=False)
    assert not connack.session_present
    net = Net()
    sub, _, _ = connect(net, "sub", clean=False, expiry=10)
    sub.disconnect(session_expiry_interval=0xFFFF_FFFF)
    net.tick(1e9)
    _, connack, _ = connect(net, "sub", clean=False)
    assert connack.session_present


def test_disconnect_cannot_extend_a_session_that_asked_for_0() -> None:
    """Section 3.14.2.2.2: 0 in CONNECT, non-zero in DISCONNECT is a Protocol Error."""
    net = Net()
    watcher, _, _ = connect(net, "watcher")
    subscribe(watcher, "will")
    client, _, _ = connect(net, "c", will=Will("will", b"gone"))
    client.send(Disconnect(0, Properties.build(session_expiry_interval=5)))
    assert client.recv() == [Disconnect(0x82)] and client.is_closed()
    assert payloads(watcher.recv()) == [b"gone"]  # [MQTT-3.1.2-8]: protocol error
    _, connack, _ = connect(net, "c", clean=False)
    assert not connack.session_present


def test_disconnect_may_set_an_interval_the_broker_had_capped_to_0() -> None:
    """The rule is about the value the client sent, not the one granted."""
    net = Net(max_session_expiry=0)
    client, connack, _ = connect(net, "c", clean=False, expiry=100)
    assert connack.properties.get(_I.SESSION_EXPIRY_INTERVAL) == 0
    client.disconnect(session_expiry_interval=50)
    (_, event) = net.events()
    assert isinstance(event, ClientDisconnected) and event.reason_code == 0


@pytest.mark.parametrize("version", VERSIONS)
def test_session_take_over(version: int) -> None:
    """[MQTT-3.1.4-3]: DISCONNECT 0x8E to the old connection (5.0), which is closed."""
    net = Net()
    old, _, _ = session(net, "c", version)
    subscribe(old, "t")
    new, connack, _ = session(net, "c", version)
    assert connack.session_present
    assert old.recv() == ([Disconnect(0x8E)] if version == 5 else []) and old.is_closed()
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"m", 1)
    assert payloads(new.recv()) == [b"m"]
    taken = [e for e in net.events() if isinstance(e, ClientDisconnected)]
    assert [(e.connection, e.reason_code) for e in taken] == [(old.conn, 0x8E)]
    assert net.broker.stats.clients_connected == 2


@pytest.mark.parametrize("version", VERSIONS)
def test_take_over_of_a_session_that_ends_with_its_connection(version: int) -> None:
    """[MQTT-3.2.2-3]: the old connection's session ended when it was closed."""
    net = Net()
    old, _, _ = connect(net, "c", version=version, clean=True)
    subscribe(old, "t")
    new, connack, _ = connect(net, "c", version=version, clean=False)
    assert not connack.session_present
    assert old.recv() == ([Disconnect(0x8E)] if version == 5 else [])
    pub, _, _ = connect(net, "pub")
    publish(pub, "t")
    assert new.recv() == []


# ---------------------------------------------------------------------------
# Keep-alive
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_keep_alive_timeout(version: int) -> None:
    """[MQTT-3.1.2-22] (3.1.1: [MQTT-3.1.2-24]): close after 1.5 periods of silence,
    DISCONNECT 0x8D in 5.0, and publish the Will."""
    net = Net(connect_timeout=1)
    watcher, _, _ = connect(net, "watcher")
    subscribe(watcher, "will")
    client, _, _ = connect(net, "c", version=version, keep_alive=10, will=Will("will", b"w"))
    net.tick(1)
    assert net.broker.next_deadline() == 15
    net.tick(5)
    client.send(Pingreq())
    assert client.recv() == [Pingresp()]  # [MQTT-3.12.4-1]
    net.tick(15)  # 10 s after the PINGREQ: still alive, checked again at 20
    assert client.recv() == [] and not client.is_closed()
    assert net.broker.next_deadline() == 20
    net.tick(20)
    assert client.recv() == ([Disconnect(0x8D)] if version == 5 else []) and client.is_closed()
    assert payloads(watcher.recv()) == [b"w"]
    assert net.broker.next_deadline() is None


def test_server_keep_alive_replaces_the_clients() -> None:
    """[MQTT-3.2.2-21]: the broker uses the value it told."""
    net = Net(server_keep_alive=4)
    client, connack, _ = connect(net, keep_alive=100)
    assert connack.properties.get(_I.SERVER_KEEP_ALIVE) == 4
    net.tick(6)
    assert client.recv() == [Disconnect(0x8D)]


def test_keep_alive_zero_never_times_out() -> None:
    net = Net()
    client, _, _ = connect(net, keep_alive=0)
    assert net.broker.next_deadline() == 10  # only the connect timer
    net.tick(10_000)
    assert client.recv() == [] and not client.is_closed()


def test_keep_alive_timer_of_a_closed_connection_is_harmless() -> None:
    net = Net()
    client, _, _ = connect(net, keep_alive=10)
    client.disconnect()  # the driver drained the output: the connection is gone
    other, _, _ = connect(net, "other", keep_alive=100)
    net.tick(15)
    assert other.recv() == []


# ---------------------------------------------------------------------------
# Wills
# ---------------------------------------------------------------------------


def watch(net: Net, topic: str = "will", **kwargs: object) -> Client:
    watcher, _, _ = connect(net, "watcher", **kwargs)  # type: ignore[arg-type]
    subscribe(watcher, Subscription(topic, 2, retain_as_published=True))
    return watcher


@pytest.mark.parametrize("version", VERSIONS)
def test_will_is_published_on_abrupt_close(version: int) -> None:
    """[MQTT-3.1.2-8]; [MQTT-3.1.2-14]: published as a non-retained message."""
    net = Net()
    watcher = watch(net)
    client, _, _ = connect(net, version=version, will=Will("will", b"bye", 1))
    client.eof()
    (message,) = watcher.publishes()
    assert (message.payload, message.qos, message.retain) == (b"bye", 1, False)


@pytest.mark.parametrize("version", VERSIONS)
def test_will_is_discarded_on_normal_disconnect(version: int) -> None:
    """[MQTT-3.14.4-3] (3.1.1: [MQTT-3.1.2-10])."""
    net = Net()
    watcher = watch(net)
    client, _, _ = connect(net, version=version, will=Will("will", b"bye"))
    client.disconnect()
    assert watcher.recv() == []


@pytest.mark.parametrize("reason", [0x04, 0x80])
def test_will_is_published_on_disconnect_with_another_reason(reason: int) -> None:
    """[MQTT-3.1.2-8]: only DISCONNECT 0x00 deletes the Will; 0x04 asks for it."""
    net = Net()
    watcher = watch(net)
    client, _, _ = connect(net, will=Will("will", b"bye"))
    client.disconnect(reason)
    assert payloads(watcher.recv()) == [b"bye"]


def test_will_delay_interval() -> None:
    """Section 3.1.3.2.2: the Will waits for its delay."""
    net = Net()
    watcher = watch(net)
    will = Will("will", b"late", properties=Properties.build(will_delay_interval=5))
    client, _, _ = connect(net, clean=False, expiry=100, will=will)
    client.eof()
    assert net.broker.next_deadline() == 5
    net.tick(4.9)
    assert watcher.recv() == []
    net.tick(5)
    (message,) = watcher.publishes()
    assert message.payload == b"late"
    assert _I.WILL_DELAY_INTERVAL not in message.properties.as_mapping()


def test_will_delay_is_cut_short_by_the_end_of_the_session() -> None:
    """[MQTT-3.1.2-8]: delay or end of session, whichever comes first."""
    net = Net()
    watcher = watch(net)
    will = Will("will", b"w", properties=Properties.build(will_delay_interval=50))
    client, _, _ = connect(net, clean=False, expiry=3, will=will)
    client.eof()
    net.tick(3)
    assert payloads(watcher.recv()) == [b"w"]
    # A session that ends with its connection publishes at once.
    client, _, _ = connect(net, clean=True, will=will)
    client.eof()
    assert payloads(watcher.recv()) == [b"w"]


def test_will_delay_never_expiring_session() -> None:
    net = Net()
    watcher = watch(net)
    will = Will("will", b"w", properties=Properties.build(will_delay_interval=7))
    client, _, _ = connect(net, "c", version=5, clean=False, expiry=0xFFFF_FFFF, will=will)
    client.eof()
    net.tick(7)
    assert payloads(watcher.recv()) == [b"w"]


def test_reconnect_before_the_will_delay_cancels_the_will() -> None:
    """[MQTT-3.1.3-9]."""
    net = Net()
    watcher = watch(net)
    will = Will("will", b"w", properties=Properties.build(will_delay_interval=10))
    client, _, _ = connect(net, clean=False, expiry=100, will=will)
    client.eof()
    net.tick(3)
    client, connack, _ = connect(net, clean=False, expiry=100, will=will)
    assert connack.session_present
    net.tick(4)
    client.eof()  # a second abrupt close: this Will is due at 14
    net.tick(10)  # the first timer finds a Will that is not due yet
    assert watcher.recv() == []
    net.tick(14)
    assert payloads(watcher.recv()) == [b"w"]
    client, _, _ = connect(net, clean=False, expiry=100)
    client.disconnect()
    net.tick(30)  # the second timer finds nothing pending
    assert watcher.recv() == []


def test_a_will_due_before_the_reconnect_is_published_even_before_tick() -> None:
    net = Net()
    watcher = watch(net)
    will = Will("will", b"w", properties=Properties.build(will_delay_interval=5))
    client, _, _ = connect(net, clean=False, expiry=100, will=will)
    client.eof()
    net.now = 6
    connect(net, clean=False)
    assert payloads(watcher.recv()) == [b"w"]


def test_clean_start_publishes_a_pending_will() -> None:
    """[MQTT-3.1.2-8]: the session ends, so its delayed Will is published."""
    net = Net()
    watcher = watch(net)
    will = Will("will", b"w", properties=Properties.build(will_delay_interval=10))
    client, _, _ = connect(net, clean=False, expiry=100, will=will)
    client.eof()
    connect(net, clean=True)
    assert payloads(watcher.recv()) == [b"w"]


@pytest.mark.parametrize("clean", [False, True])
def test_take_over_and_the_will(clean: bool) -> None:
    """A Will without delay goes at the take-over; a delayed one is cancelled if the
    session continues ([MQTT-3.1.3-9]) and published if it ends ([MQTT-3.1.2-8])."""
    net = Net()
    watcher = watch(net)
    connect(net, "a", clean=False, expiry=100, will=Will("will", b"now"))
    connect(net, "a", clean=clean, expiry=100)
    assert payloads(watcher.recv()) == [b"now"]
    delayed = Will("will", b"later", properties=Properties.build(will_delay_interval=10))
    connect(net, "b", clean=False, expiry=100, will=delayed)
    connect(net, "b", clean=clean, expiry=100)
    net.tick(100)
    assert payloads(watcher.recv()) == ([b"later"] if clean else [])


@pytest.mark.parametrize("version", VERSIONS)
def test_will_retain(version: int) -> None:
    """[MQTT-3.1.2-15]: published as a retained message."""
    net = Net()
    client, _, _ = connect(net, version=version, will=Will("will", b"r", 1, True))
    client.eof()
    late, _, _ = connect(net, "late")
    subscribe(late, "will")
    (message,) = late.retained  # type: ignore[attr-defined]
    assert (message.payload, message.retain) == (b"r", True)


def test_will_properties_are_forwarded_and_message_expiry_applies() -> None:
    net = Net()
    watcher = watch(net)
    props = Properties.build(
        will_delay_interval=1, message_expiry_interval=30, content_type="text/plain"
    )
    client, _, _ = connect(net, clean=False, expiry=100, will=Will("will", b"w", 1, True, props))
    client.eof()
    net.tick(1)
    (message,) = watcher.publishes()
    assert message.properties.as_mapping() == {
        _I.MESSAGE_EXPIRY_INTERVAL: 30,
        _I.CONTENT_TYPE: "text/plain",
    }
    net.tick(40)
    late, _, _ = connect(net, "late")
    subscribe(late, "will")
    assert late.retained == []  # type: ignore[attr-defined]


def test_will_is_authorized_again_when_published() -> None:
    allowed = {"will"}
    net = Net(authorize_publish=lambda user, client_id, topic: topic in allowed)
    watcher = watch(net)
    client, _, _ = connect(net, will=Will("will", b"w"))
    allowed.clear()
    client.eof()
    assert watcher.recv() == []


# ---------------------------------------------------------------------------
# Subscriptions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_wildcards_and_dollar_topics(version: int) -> None:
    """Section 4.7; [MQTT-4.7.2-1]: a leading wildcard does not match ``$`` topics."""
    net = Net()
    subs = {}
    for name, topic_filter in [
        ("plus", "a/+/c"),
        ("hash", "a/#"),
        ("all", "#"),
        ("lead", "+/b/c"),
        ("dollar", "$x/#"),
    ]:
        subs[name], _, _ = connect(net, name, version=version)
        subscribe(subs[name], topic_filter)
    pub, _, _ = connect(net, "pub")
    got: dict[str, list[str]] = {name: [] for name in subs}
    for topic in ["a/b/c", "a", "a/b/d", "$x/b/c", "b/b/c"]:
        publish(pub, topic)
        for name, client in subs.items():
            got[name] += [p.topic_name for p in client.publishes()]
    assert got == {
        "plus": ["a/b/c"],
        "hash": ["a/b/c", "a", "a/b/d"],
        "all": ["a/b/c", "a", "a/b/d", "b/b/c"],
        "lead": ["a/b/c", "b/b/c"],
        "dollar": ["$x/b/c"],
    }


def test_no_local() -> None:
    """[MQTT-3.8.3-3]."""
    net = Net()
    me, _, _ = connect(net, "me")
    other, _, _ = connect(net, "other")
    subscribe(me, Subscription("t", 1, no_local=True))
    publish(me, "t", b"alone", 1)
    assert me.recv() == []
    subscribe(other, Subscription("t", 1, no_local=True))
    publish(me, "t", b"mine", 1)
    assert me.recv() == []
    assert payloads(other.recv()) == [b"mine"]
    # With an overlapping subscription without No Local, it comes back once.
    subscribe(me, "#", packet_id=2)
    me.send(Publish("t", b"again", 1, packet_id=5))
    assert me.recv() == [Publish("t", b"again", 1, packet_id=1), Puback(5)]


@pytest.mark.parametrize("rap", [False, True])
def test_retain_as_published(rap: bool) -> None:
    """[MQTT-3.3.1-12], [MQTT-3.3.1-13]."""
    net = Net()
    sub, _, _ = connect(net, "sub")
    subscribe(sub, Subscription("t", 1, retain_as_published=rap))
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"r", 1, retain=True)
    publish(pub, "t", b"n", 1)
    assert [(p.payload, p.retain) for p in sub.publishes()] == [(b"r", rap), (b"n", False)]


def test_retain_flag_is_0_on_live_messages_in_3_1_1() -> None:
    """3.1.1 [MQTT-3.3.1-9]."""
    net = Net()
    sub, _, _ = connect(net, "sub", version=4)
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub", version=4)
    publish(pub, "t", b"r", 1, retain=True)
    assert [p.retain for p in sub.publishes()] == [False]


@pytest.mark.parametrize(("handling", "first", "again"), [(0, 1, 1), (1, 1, 0), (2, 0, 0)])
def test_retain_handling(handling: int, first: int, again: int) -> None:
    """[MQTT-3.3.1-9], [MQTT-3.3.1-10], [MQTT-3.3.1-11]; [MQTT-3.8.4-4]."""
    net = Net()
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"kept", 1, retain=True)
    sub, _, _ = connect(net, "sub")
    option = Subscription("t", 1, retain_handling=handling)
    subscribe(sub, option)
    assert len(sub.retained) == first  # type: ignore[attr-defined]
    subscribe(sub, option, packet_id=2)
    assert len(sub.retained) == again  # type: ignore[attr-defined]


@pytest.mark.parametrize("version", VERSIONS)
def test_retained_messages_are_sent_with_retain_1(version: int) -> None:
    """Section 3.3.1.3 (3.1.1: [MQTT-3.3.1-8]), at min(message QoS, granted QoS)."""
    net = Net()
    pub, _, _ = connect(net, "pub")
    publish(pub, "a/1", b"one", 2, retain=True)
    publish(pub, "a/2", b"two", 0, retain=True)
    publish(pub, "b", b"b", 1, retain=True)
    sub, _, _ = connect(net, "sub", version=version)
    subscribe(sub, Subscription("a/+", 1))
    got = sorted((p.topic_name, p.qos, p.retain) for p in sub.retained)  # type: ignore[attr-defined]
    assert got == [("a/1", 1, True), ("a/2", 0, True)]
    subscribe(sub, Subscription("zzz", 1), packet_id=2)
    assert sub.retained == []  # type: ignore[attr-defined]


def test_subscription_identifiers_are_echoed() -> None:
    """[MQTT-3.3.4-3], [MQTT-3.3.4-4]: every matching identifier, one message, max QoS."""
    net = Net()
    sub, _, _ = connect(net, "sub")
    subscribe(sub, Subscription("a/+", 0), subscription_identifier=7)
    subscribe(sub, Subscription("a/b", 2), packet_id=2, subscription_identifier=9)
    subscribe(sub, Subscription("a/#", 1), packet_id=3)
    pub, _, _ = connect(net, "pub")
    publish(pub, "a/b", b"x", 2)
    (message,) = sub.publishes()
    assert message.qos == 2  # [MQTT-3.3.4-2]
    assert sorted(message.properties.get_all(_I.SUBSCRIPTION_IDENTIFIER)) == [7, 9]
    publish(pub, "a/c", b"y", 2)
    (message,) = sub.publishes()
    assert message.qos == 1
    assert message.properties.get_all(_I.SUBSCRIPTION_IDENTIFIER) == [7]


def test_many_subscription_identifiers_on_one_retained_message() -> None:
    """Encoded forms are cached per message, but only a few of them."""
    net = Net()
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"kept", 1, retain=True)
    for index in range(1, 30):
        sub, _, _ = connect(net, f"s{index}")
        subscribe(sub, Subscription("t", 1), subscription_identifier=index)
        (message,) = sub.retained  # type: ignore[attr-defined]
        assert message.properties.get_all(_I.SUBSCRIPTION_IDENTIFIER) == [index]


def test_replacing_a_subscription() -> None:
    """[MQTT-3.8.4-3]: one subscription per filter, the latest options."""
    net = Net()
    sub, _, _ = connect(net, "sub")
    assert subscribe(sub, Subscription("t", 0)) == (0,)
    assert subscribe(sub, Subscription("t", 2), packet_id=2) == (2,)
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"x", 2)
    assert [p.qos for p in sub.publishes()] == [2]


@pytest.mark.parametrize("version", VERSIONS)
def test_qos_is_downgraded_to_the_subscriptions(version: int) -> None:
    """[MQTT-3.8.4-8]: min(published QoS, granted QoS)."""
    net = Net()
    sub, _, _ = connect(net, "sub", version=version)
    subscribe(sub, Subscription("t", 1))
    pub, _, _ = connect(net, "pub")
    for qos in (0, 1, 2):
        publish(pub, "t", bytes((qos,)), qos)
    assert [(p.payload, p.qos) for p in sub.publishes()] == [(b"\0", 0), (b"\1", 1), (b"\2", 1)]


@pytest.mark.parametrize("version", VERSIONS)
def test_maximum_qos(version: int) -> None:
    """[MQTT-3.2.2-10]: any requested QoS is accepted and granted at most the maximum;
    [MQTT-3.2.2-11]: a PUBLISH above it is a protocol error (0x9B)."""
    net = Net(maximum_qos=1)
    sub, _, _ = connect(net, "sub", version=version)
    assert subscribe(sub, "t") == (1,)
    pub, _, _ = connect(net, "pub", version=version)
    publish(pub, "t", b"one", 1)
    assert [p.qos for p in sub.publishes()] == [1]
    pub.send(Publish("t", b"two", 2, packet_id=5))
    assert pub.recv() == ([Disconnect(0x9B)] if version == 5 else []) and pub.is_closed()


@pytest.mark.parametrize("version", VERSIONS)
def test_retain_not_available(version: int) -> None:
    net = Net(retain_available=False)
    pub, _, _ = connect(net, "pub", version=version)
    pub.send(Publish("t", b"r", 0, True))
    assert pub.recv() == ([Disconnect(0x9A)] if version == 5 else []) and pub.is_closed()


@pytest.mark.parametrize("version", VERSIONS)
def test_unsubscribe(version: int) -> None:
    """[MQTT-3.10.4-1], [MQTT-3.10.4-4], [MQTT-3.10.4-5]."""
    net = Net()
    sub, _, _ = connect(net, "sub", version=version)
    subscribe(sub, "t", "$share/g/t")
    sub.send(Unsubscribe(5, ("t", "nope", "a/#/b", "$share/g/t")))
    expected = Unsuback(5, (0x00, 0x11, 0x8F, 0x00) if version == 5 else ())
    assert sub.recv() == [expected]
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"x", 1)
    assert sub.recv() == []


def test_unsubscribe_completes_what_was_sent() -> None:
    """[MQTT-3.10.4-3]: a QoS 1 message in flight is still acknowledged and resent."""
    net = Net()
    sub, _, _ = connect(net, "sub", clean=False, expiry=100)
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"x", 1)
    (message,) = sub.publishes()
    sub.send(Unsubscribe(2, ("t",)))
    assert sub.recv() == [Unsuback(2, (0,))]
    sub.eof()
    _, _, resumed = connect(net, "sub", clean=False, expiry=100)
    assert resumed == [Publish("t", b"x", 1, False, True, message.packet_id)]


# ---------------------------------------------------------------------------
# Shared subscriptions (section 4.8.2)
# ---------------------------------------------------------------------------


def test_shared_subscription_round_robin() -> None:
    """Each message to exactly one member, in turn; [MQTT-4.8.2-3]: granted QoS."""
    net = Net()
    members = []
    for index in range(3):
        member, _, _ = connect(net, f"m{index}")
        subscribe(member, Subscription("$share/g/t/#", 1))
        members.append(member)
    plain, _, _ = connect(net, "plain")
    subscribe(plain, "t/#")
    pub, _, _ = connect(net, "pub")
    for index in range(6):
        publish(pub, "t/x", bytes((index,)), 2)
    got = [payloads(ack_all(m, m.recv())) for m in members]
    assert got == [[b"\0", b"\3"], [b"\1", b"\4"], [b"\2", b"\5"]]
    assert len(plain.publishes()) == 6


def test_shared_subscription_prefers_connected_members() -> None:
    net = Net()
    away, _, _ = connect(net, "away", clean=False, expiry=100)
    subscribe(away, "$share/g/t")
    away.disconnect()
    here, _, _ = connect(net, "here")
    subscribe(here, "$share/g/t")
    pub, _, _ = connect(net, "pub")
    for index in range(4):
        publish(pub, "t", bytes((index,)), 1)
    assert payloads(here.recv()) == [b"\0", b"\1", b"\2", b"\3"]
    here.disconnect()
    # Nobody connected: a QoS 1 message waits in one member's session.
    publish(pub, "t", b"queued", 1)
    _, _, resumed = connect(net, "away", clean=False, expiry=100)
    assert payloads(resumed) == [b"queued"]


def test_shared_subscription_gets_no_retained_messages_but_honours_rap() -> None:
    """Section 4.8.2: retained messages are not sent on a shared subscription."""
    net = Net()
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"kept", 1, retain=True)
    member, _, _ = connect(net, "m")
    subscribe(member, Subscription("$share/g/t", 1, retain_as_published=True))
    assert member.retained == []  # type: ignore[attr-defined]
    publish(pub, "t", b"live", 1, retain=True)
    assert [(p.payload, p.retain) for p in member.publishes()] == [(b"live", True)]


def test_shared_subscription_with_no_local_is_a_protocol_error() -> None:
    """[MQTT-3.8.3-4]."""
    net = Net()
    client, _, _ = connect(net)
    topic = b"$share/g/t"
    body = b"\x00\x01\x00" + len(topic).to_bytes(2, "big") + topic + b"\x05"
    client.send_raw(bytes((0x82, len(body))) + body)
    assert client.recv() == [Disconnect(0x82)] and client.is_closed()


def test_shared_group_membership_changes() -> None:
    net = Net()
    a, _, _ = connect(net, "a")
    b, _, _ = connect(net, "b")
    subscribe(a, "$share/g/t", subscription_identifier=3)
    subscribe(b, "$share/g/t")
    subscribe(a, "$share/g/t", packet_id=2, subscription_identifier=4)  # replaced
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"1", 1)
    publish(pub, "t", b"2", 1)
    got_b = b.publishes()
    got_a = a.publishes()
    assert payloads(got_b) + payloads(got_a) == [b"1", b"2"]
    assert got_a[0].properties.get_all(_I.SUBSCRIPTION_IDENTIFIER) == [4]
    b.send(Unsubscribe(9, ("$share/g/t",)))
    b.recv()
    publish(pub, "t", b"3", 1)
    assert payloads(a.recv()) == [b"3"]
    a.disconnect()  # the last member leaves with its session
    publish(pub, "t", b"4", 1)
    assert a.recv() == [] and b.recv() == []


# ---------------------------------------------------------------------------
# Retained messages
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_retained_set_replace_clear(version: int) -> None:
    """[MQTT-3.3.1-5], [MQTT-3.3.1-6], [MQTT-3.3.1-7], [MQTT-3.3.1-8]."""
    net = Net()
    pub, _, _ = connect(net, "pub", version=version)

    def retained() -> list[bytes]:
        sub = Client(net, version)
        sub.send(Connect("", protocol_level=version))
        sub.recv()
        subscribe(sub, "t")
        return payloads(sub.retained)  # type: ignore[attr-defined]

    assert retained() == []
    publish(pub, "t", b"one", 1, retain=True)
    assert retained() == [b"one"]
    publish(pub, "t", b"two", 0, retain=True)
    publish(pub, "t", b"not retained", 0)
    assert retained() == [b"two"]
    publish(pub, "t", b"", 0, retain=True)
    assert retained() == []
    publish(pub, "t", b"", 0, retain=True)  # clearing nothing is fine
    assert retained() == []


def test_retained_message_expiry() -> None:
    """[MQTT-3.3.2-5], [MQTT-3.3.2-6] for retained messages."""
    net = Net()
    pub, _, _ = connect(net, "pub")
    publish(pub, "t/a", b"short", 1, retain=True, message_expiry_interval=5)
    publish(pub, "t/b", b"long", 1, retain=True, message_expiry_interval=50)
    net.tick(2)
    sub, _, _ = connect(net, "sub")
    subscribe(sub, "t/#")
    expiry = {p.payload: p.properties.get(_I.MESSAGE_EXPIRY_INTERVAL) for p in sub.retained}  # type: ignore[attr-defined]
    assert expiry == {b"short": 3, b"long": 48}
    net.tick(5)
    subscribe(sub, "t/a", packet_id=2)
    subscribe(sub, "t/#", packet_id=3)
    assert payloads(sub.retained) == [b"long"]  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# Message expiry, topic aliases
# ---------------------------------------------------------------------------


def test_message_expiry_counts_down_while_queued() -> None:
    """[MQTT-3.3.2-5], [MQTT-3.3.2-6]."""
    net = Net()
    sub, _, _ = connect(net, "sub", clean=False, expiry=100)
    subscribe(sub, "t")
    subscribe(sub, Subscription("z", 0), packet_id=2)
    sub.disconnect()
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"lives", 1, message_expiry_interval=10)
    publish(pub, "t", b"dies", 2, message_expiry_interval=3)
    publish(pub, "t", b"forever", 1)
    net.tick(4)
    sub, _, resumed = connect(net, "sub", clean=False, expiry=100)
    assert [(p.payload, p.properties.get(_I.MESSAGE_EXPIRY_INTERVAL)) for p in resumed] == [  # type: ignore[union-attr]
        (b"lives", 6),
        (b"forever", None),
    ]
    assert net.dropped() == [MessagesDropped("sub", 1, 2, "expired")]
    assert net.broker.stats.messages_dropped == 1
    # A QoS 0 message is expired when it is sent, too.
    publish(pub, "z", b"zero", 0, message_expiry_interval=0)
    assert sub.recv() == []
    assert net.dropped() == [MessagesDropped("sub", 1, 0, "expired")]


def test_message_expiry_does_not_apply_once_sent() -> None:
    """[MQTT-4.3.3-7]: a resend after expiry still goes, with nothing left."""
    net = Net()
    sub, _, _ = connect(net, "sub", clean=False, expiry=100)
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"x", 2, message_expiry_interval=5)
    (message,) = sub.publishes()
    assert message.properties.get(_I.MESSAGE_EXPIRY_INTERVAL) == 5
    sub.eof()
    net.tick(20)
    _, _, resumed = connect(net, "sub", clean=False, expiry=100)
    assert resumed == [
        Publish(
            "t",
            b"x",
            2,
            False,
            True,
            message.packet_id,
            Properties.build(message_expiry_interval=0),
        )
    ]


def test_message_properties_are_forwarded_unaltered() -> None:
    """[MQTT-3.3.2-4], [MQTT-3.3.2-15..18], [MQTT-3.3.2-20]."""
    net = Net()
    sub5, _, _ = connect(net, "sub5")
    sub4, _, _ = connect(net, "sub4", version=4)
    subscribe(sub5, "t")
    subscribe(sub4, "t")
    pub, _, _ = connect(net, "pub")
    props: dict[str, Any] = {
        "payload_format_indicator": 1,
        "response_topic": "r",
        "correlation_data": b"c",
        "user_property": [("b", "2"), ("a", "1"), ("b", "1")],
        "content_type": "t",
    }
    publish(pub, "t", b"x", 1, **props)
    (message,) = sub5.publishes()
    assert message.properties == Properties.build(**props)
    (message,) = sub4.publishes()
    assert message.properties == Properties()


def test_topic_aliases_from_the_client() -> None:
    """Section 3.3.2.3.4; [MQTT-3.3.2-12]; aliases do not outlive the connection
    ([MQTT-3.3.2-7])."""
    net = Net(topic_alias_maximum=3)
    sub, _, _ = connect(net, "sub")
    subscribe(sub, "long/topic/name")
    pub, _, _ = connect(net, "pub")
    publish(pub, "long/topic/name", b"1", 1, topic_alias=3)
    publish(pub, "", b"2", 1, topic_alias=3)
    publish(pub, "", b"3", 0, topic_alias=3, user_property=("k", "v"))
    got = sub.publishes()
    assert [(p.topic_name, p.payload) for p in got] == [("long/topic/name", b"1")] * 1 + [
        ("long/topic/name", b"2"),
        ("long/topic/name", b"3"),
    ]
    assert [p.properties.get(_I.TOPIC_ALIAS) for p in got] == [None, None, None]
    assert got[2].properties.user_properties == [("k", "v")]
    pub.disconnect()
    pub, _, _ = connect(net, "pub")
    pub.send(Publish("", b"4", 0, properties=Properties.build(topic_alias=3)))
    assert pub.recv() == [Disconnect(0x94)] and pub.is_closed()


@pytest.mark.parametrize("maximum", [0, 2])
def test_topic_alias_above_the_maximum(maximum: int) -> None:
    """[MQTT-3.2.2-17], [MQTT-3.2.2-18], [MQTT-3.3.2-9]: DISCONNECT 0x94."""
    net = Net(topic_alias_maximum=maximum)
    pub, _, _ = connect(net, "pub")
    pub.send(Publish("t", b"x", 0, properties=Properties.build(topic_alias=maximum + 1)))
    assert pub.recv() == [Disconnect(0x94)] and pub.is_closed()


# ---------------------------------------------------------------------------
# Flow control and overflow
# ---------------------------------------------------------------------------


def test_receive_maximum_toward_the_client() -> None:
    """[MQTT-3.3.4-9], [MQTT-4.9.0-2]: at most Receive Maximum in flight, the rest
    waits; [MQTT-3.3.4-10]: other packets are not held back."""
    net = Net()
    sub, _, _ = connect(net, "sub", receive_maximum=2)
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub")
    for index in range(5):
        publish(pub, "t", bytes((index,)), 1 + index % 2)
    first = sub.publishes()
    assert payloads(first) == [b"\0", b"\1"]
    sub.send(Pingreq())
    assert sub.recv() == [Pingresp()]
    sub.send(Puback(first[0].packet_id))  # type: ignore[arg-type]
    assert payloads(sub.recv()) == [b"\2"]
    # A QoS 2 delivery holds its slot until PUBCOMP.
    sub.send(Pubrec(first[1].packet_id))  # type: ignore[arg-type]
    assert sub.recv() == [Pubrel(first[1].packet_id)]  # type: ignore[arg-type]
    sub.send(Pubcomp(first[1].packet_id))  # type: ignore[arg-type]
    assert payloads(sub.recv()) == [b"\3"]


def test_resume_with_a_lower_receive_maximum() -> None:
    """[MQTT-4.4.0-1] and [MQTT-3.3.4-9] together: what was in flight is resent in
    order, but only as the new Receive Maximum allows; PUBREL is never held back
    ([MQTT-3.3.4-10]), and new messages wait behind the resends."""
    net = Net()
    sub, _, _ = connect(net, "sub", clean=False, expiry=100)
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub")
    for name, qos in [(b"a", 1), (b"b", 2), (b"c", 1), (b"d", 2), (b"e", 1)]:
        publish(pub, "t", name, qos)
    ids = [pid(p) for p in sub.publishes()]
    sub.send(Pubrec(ids[3]))  # "d" released
    assert sub.recv() == [Pubrel(ids[3])]
    sub.eof()
    publish(pub, "t", b"new", 1)
    sub, _, resumed = connect(net, "sub", clean=False, expiry=100, receive_maximum=2)
    assert resumed == [
        Publish("t", b"a", 1, False, True, ids[0]),
        Publish("t", b"b", 2, False, True, ids[1]),
        Pubrel(ids[3]),
    ]
    sub.send(Puback(ids[0]))
    assert sub.recv() == []  # d's PUBREL awaits its PUBCOMP: the window is full
    sub.send(Pubcomp(ids[3]))
    assert sub.recv() == [Publish("t", b"c", 1, False, True, ids[2])]
    sub.send(Puback(ids[2]))
    assert sub.recv() == [Publish("t", b"e", 1, False, True, ids[4])]
    sub.send(Pubrec(ids[1]))
    assert sub.recv() == [Pubrel(ids[1])]
    sub.send(Puback(ids[4]))
    assert payloads(sub.recv()) == [b"new"]


def test_acknowledging_what_is_held_back() -> None:
    """A client may acknowledge, on the new connection, what it received on the old
    one before it is resent: then it is not resent at all."""
    net = Net()
    sub, _, _ = connect(net, "sub", clean=False, expiry=100)
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub")
    for name, qos in [(b"a", 1), (b"b", 1), (b"c", 2), (b"d", 2), (b"big" * 30, 1), (b"f", 1)]:
        publish(pub, "t", name, qos)
    ids = [pid(p) for p in sub.publishes()]
    sub.eof()
    sub, _, resumed = connect(
        net, "sub", clean=False, expiry=100, receive_maximum=1, maximum_packet_size=40
    )
    assert resumed == [Publish("t", b"a", 1, False, True, ids[0])]
    sub.send(Puback(ids[1]))  # held: never resent
    sub.send(Pubrec(ids[2]))  # held QoS 2: released, so PUBREL and no PUBLISH
    assert sub.recv() == [Pubrel(ids[2])]
    sub.send(Pubrec(ids[3], 0x80))  # held QoS 2 refused: over
    sub.send(Puback(ids[0]), Pubcomp(ids[2]))
    # The next held one is too large for this connection now: skipped as delivered.
    assert sub.recv() == [Publish("t", b"f", 1, False, True, ids[5])]
    assert net.dropped() == [MessagesDropped("sub", 1, 1, "too-large")]
    sub.send(Puback(ids[5]))
    sub.eof()
    _, _, resumed = connect(net, "sub", clean=False, expiry=100)
    assert resumed == []


def test_max_inflight_applies_to_3_1_1() -> None:
    net = Net(max_inflight=1)
    sub, _, _ = connect(net, "sub", version=4)
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"1", 1)
    publish(pub, "t", b"2", 1)
    (message,) = sub.publishes()
    assert payloads(ack(sub, [message])) == [b"2"]


def test_acknowledgements_that_match_nothing() -> None:
    """[MQTT-4.3.2-3], [MQTT-4.3.3-3], [MQTT-4.3.3-5]: only the corresponding
    acknowledgement ends a flow; section 3.6.2.1: PUBREL 0x92 when nothing matches."""
    net = Net()
    sub, _, _ = connect(net, "sub", receive_maximum=2)
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"q1", 1)
    publish(pub, "t", b"q2", 2)
    publish(pub, "t", b"waiting", 1)
    one, two = sub.publishes()
    assert one.packet_id is not None and two.packet_id is not None
    sub.send(Puback(two.packet_id), Pubcomp(two.packet_id), Pubcomp(one.packet_id), Puback(999))
    assert sub.recv() == []  # nothing freed
    sub.send(Pubrec(one.packet_id), Pubrec(999))
    assert sub.recv() == [Pubrel(one.packet_id, 0x92), Pubrel(999, 0x92)]
    sub.send(Pubrec(two.packet_id))
    assert sub.recv() == [Pubrel(two.packet_id)]
    sub.send(Pubrec(two.packet_id))  # again: PUBREL again
    assert sub.recv() == [Pubrel(two.packet_id)]
    sub.send(Puback(one.packet_id))
    assert payloads(sub.recv()) == [b"waiting"]


def test_failed_pubrec_ends_the_flow() -> None:
    """[MQTT-4.4.0-2]: no PUBREL, no resend, window room freed."""
    net = Net()
    sub, _, _ = connect(net, "sub", clean=False, expiry=100, receive_maximum=1)
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"1", 2)
    publish(pub, "t", b"2", 2)
    (message,) = sub.publishes()
    sub.send(Pubrec(message.packet_id, 0x80))  # type: ignore[arg-type]
    assert payloads(sub.recv()) == [b"2"]
    sub.eof()
    _, _, resumed = connect(net, "sub", clean=False, expiry=100)
    assert payloads(resumed) == [b"2"]


def test_pubrec_in_3_1_1_for_an_unknown_identifier() -> None:
    net = Net()
    sub, _, _ = connect(net, "sub", version=4)
    sub.send(Pubrec(4))
    assert sub.recv() == [Pubrel(4)]


def test_packet_identifiers_skip_those_in_use() -> None:
    """[MQTT-2.2.1-4]: after wrapping around, an identifier in flight is skipped."""
    net = Net(max_inflight=0xFFFF)
    sub, _, _ = connect(net, "sub")
    subscribe(sub, Subscription("t", 1))
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"held", 1)
    (held,) = sub.publishes()
    assert held.packet_id == 1
    # Identifiers 2..65535, acknowledged a batch at a time. The PUBLISH bytes are
    # known, so the identifiers are read straight from them.
    broker = net.broker
    batch = encode(Publish("t", b"y", 1, packet_id=9))
    template = encode(Publish("t", b"y", 1, packet_id=0xABCD))
    sent = 0
    while sent < 0xFFFE:
        count = min(4000, 0xFFFE - sent)
        broker.receive_data(pub.conn, batch * count, net.now)
        assert len(broker.output(pub.conn)) == count
        chunks = broker.output(sub.conn)
        expected = range(sent + 2, sent + 2 + count)
        assert chunks == [template.replace(b"\xab\xcd", i.to_bytes(2, "big")) for i in expected]
        acks = b"".join(b"\x40\x02" + i.to_bytes(2, "big") for i in expected)
        broker.receive_data(sub.conn, acks, net.now)
        sent += count
    publish(pub, "t", b"after wrap", 1)
    (message,) = sub.publishes()
    assert message.packet_id == 2


def test_max_queued_messages_overflow() -> None:
    net = Net(max_queued_messages=2)
    sub, _, _ = connect(net, "sub", clean=False, expiry=100)
    subscribe(sub, "t")
    sub.disconnect()
    pub, _, _ = connect(net, "pub")
    for index in range(4):
        publish(pub, "t", bytes((index,)), 1 + index % 2)
    assert net.dropped() == [
        MessagesDropped("sub", 1, 1, "queue-full"),
        MessagesDropped("sub", 1, 2, "queue-full"),
    ]
    assert net.broker.stats.messages_dropped == 2
    _, _, resumed = connect(net, "sub", clean=False, expiry=100)
    assert payloads(resumed) == [b"\0", b"\1"]


def test_max_pending_qos0_overflow() -> None:
    net = Net(max_pending_qos0=2)
    sub, _, _ = connect(net, "sub")
    subscribe(sub, Subscription("t", 0))
    pub, _, _ = connect(net, "pub")
    for index in range(3):
        publish(pub, "t", bytes((index,)))
    assert net.dropped() == [MessagesDropped("sub", 1, 0, "qos0-backlog")]
    assert payloads(sub.recv()) == [b"\0", b"\1"]
    publish(pub, "t", b"after drain")  # collecting the output resets the count
    assert payloads(sub.recv()) == [b"after drain"]
    assert net.broker.stats.messages_dropped == 1


def test_qos0_is_not_queued_for_a_disconnected_client() -> None:
    net = Net()
    sub, _, _ = connect(net, "sub", clean=False, expiry=100)
    subscribe(sub, "t")
    sub.disconnect()
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"lost", 0)
    _, _, resumed = connect(net, "sub", clean=False, expiry=100)
    assert resumed == [] and net.dropped() == []


def test_client_maximum_packet_size_is_respected() -> None:
    """[MQTT-3.1.2-24], [MQTT-3.1.2-25]: skipped as if delivered, reported."""
    net = Net()
    sub, _, _ = connect(net, "sub", maximum_packet_size=30, receive_maximum=1)
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"small", 1)
    publish(pub, "t", b"x" * 200, 1)
    publish(pub, "t", b"y" * 200, 0)
    publish(pub, "t", b"tiny", 1)
    (first,) = sub.publishes()
    assert first.payload == b"small"
    assert payloads(ack(sub, [first])) == [b"tiny"]
    assert net.dropped() == [
        MessagesDropped("sub", 1, 0, "too-large"),
        MessagesDropped("sub", 1, 1, "too-large"),
    ]


def test_resend_too_large_for_the_new_connection_is_dropped() -> None:
    net = Net()
    sub, _, _ = connect(net, "sub", clean=False, expiry=100)
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"x" * 100, 1)
    publish(pub, "t", b"ok", 1)
    assert len(sub.publishes()) == 2
    sub.eof()
    sub, _, resumed = connect(net, "sub", clean=False, expiry=100, maximum_packet_size=50)
    assert payloads(resumed) == [b"ok"]
    assert net.dropped() == [MessagesDropped("sub", 1, 1, "too-large")]
    sub.send(Puback(pid(resumed[0])))
    sub.eof()
    _, _, resumed = connect(net, "sub", clean=False, expiry=100)
    assert resumed == []


# ---------------------------------------------------------------------------
# QoS flows from the client
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_qos2_resend_is_not_routed_twice(version: int) -> None:
    """[MQTT-4.3.3-10], [MQTT-4.3.3-11], [MQTT-4.3.3-12]."""
    net = Net()
    sub, _, _ = connect(net, "sub")
    subscribe(sub, Subscription("t", 0))
    pub, _, _ = connect(net, "pub", version=version)
    pub.send(Publish("t", b"once", 2, packet_id=7))
    pub.send(Publish("t", b"once", 2, dup=True, packet_id=7))
    assert pub.recv() == [Pubrec(7), Pubrec(7)]
    assert payloads(sub.recv()) == [b"once"]
    pub.send(Pubrel(7))
    assert pub.recv() == [Pubcomp(7)]
    pub.send(Publish("t", b"new", 2, packet_id=7))
    assert pub.recv() == [Pubrec(7)]
    assert payloads(sub.recv()) == [b"new"]


@pytest.mark.parametrize("version", VERSIONS)
def test_qos1_resend_is_a_new_message(version: int) -> None:
    """[MQTT-4.3.2-5]; [MQTT-3.3.1-3]: the DUP flag is not forwarded."""
    net = Net()
    sub, _, _ = connect(net, "sub", version=version)
    subscribe(sub, Subscription("t", 1))
    pub, _, _ = connect(net, "pub", version=version)
    pub.send(Publish("t", b"m", 1, packet_id=3), Publish("t", b"m", 1, dup=True, packet_id=3))
    assert pub.recv() == [Puback(3), Puback(3)]
    assert [(p.payload, p.dup) for p in sub.publishes()] == [(b"m", False), (b"m", False)]


@pytest.mark.parametrize(("version", "code"), [(4, 0), (5, 0x92)])
def test_pubrel_for_an_unknown_identifier(version: int, code: int) -> None:
    net = Net()
    pub, _, _ = connect(net, "pub", version=version)
    pub.send(Pubrel(12))
    assert pub.recv() == [Pubcomp(12, code)]


def test_receive_maximum_exceeded() -> None:
    """Section 3.3.4: more unacknowledged QoS 2 than Receive Maximum: 0x93."""
    net = Net(receive_maximum=2)
    pub, _, _ = connect(net, "pub")
    pub.send(Publish("t", b"", 2, packet_id=1), Publish("t", b"", 2, packet_id=2))
    assert pub.recv() == [Pubrec(1), Pubrec(2)]
    pub.send(Publish("t", b"", 1, packet_id=3))
    assert pub.recv() == [Disconnect(0x93)] and pub.is_closed()


def test_incoming_qos2_state_survives_a_reconnect() -> None:
    net = Net()
    sub, _, _ = connect(net, "sub")
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub", clean=False, expiry=100)
    pub.send(Publish("t", b"x", 2, packet_id=5))
    pub.eof()
    pub, _, _ = connect(net, "pub", clean=False, expiry=100)
    pub.send(Publish("t", b"x", 2, dup=True, packet_id=5), Pubrel(5))
    assert pub.recv() == [Pubrec(5), Pubcomp(5)]
    assert payloads(sub.recv()) == [b"x"]


# ---------------------------------------------------------------------------
# Authorization and unavailable features
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_authorize_publish(version: int) -> None:
    """Denied: PUBACK/PUBREC 0x87 in 5.0; acknowledged but dropped in 3.1.1."""
    seen: list[tuple[str | None, str, str]] = []

    def authorize(username: str | None, client_id: str, topic: str) -> bool:
        seen.append((username, client_id, topic))
        return not topic.startswith("secret")

    net = Net(authorize_publish=authorize)
    sub, _, _ = connect(net, "sub")
    subscribe(sub, "#")
    pub, _, _ = connect(net, "pub", version=version, username="u")
    denied = 0x87 if version == 5 else 0
    assert publish(pub, "secret/a", b"", 1) == [Puback(1, denied)]
    pub.send(Publish("secret/b", b"", 2, packet_id=2))
    assert pub.recv() == [Pubrec(2, denied)]
    pub.send(Pubrel(2))
    assert pub.recv() == [Pubcomp(2, 0x92 if version == 5 else 0)]
    publish(pub, "secret/c", b"", 0)
    publish(pub, "open", b"ok", 1)
    assert payloads(sub.recv()) == [b"ok"]
    assert seen == [
        ("u", "pub", "secret/a"),
        ("u", "pub", "secret/b"),
        ("u", "pub", "secret/c"),
        ("u", "pub", "open"),
    ]


@pytest.mark.parametrize(("version", "code"), [(4, 0x80), (5, 0x87)])
def test_authorize_subscribe(version: int, code: int) -> None:
    net = Net(authorize_subscribe=lambda user, client_id, f: f != "secret")
    sub, _, _ = connect(net, "sub", version=version)
    assert subscribe(sub, Subscription("secret", 1), Subscription("open", 1)) == (code, 1)


@pytest.mark.parametrize(
    ("options", "topic_filter", "v5_code"),
    [
        ({"wildcard_subscription_available": False}, "a/+", 0xA2),
        ({"wildcard_subscription_available": False}, "$share/g/#", 0xA2),
        ({"shared_subscription_available": False}, "$share/g/a", 0x9E),
        ({}, "a/#/b", 0x8F),
        ({}, "$share/g+/a", 0x8F),
    ],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_unavailable_features_in_suback(
    version: int, options: dict[str, Any], topic_filter: str, v5_code: int
) -> None:
    net = Net(**options)
    sub, _, _ = connect(net, "sub", version=version)
    codes = subscribe(sub, Subscription(topic_filter, 1), Subscription("ok", 1))
    assert codes == (v5_code if version == 5 else 0x80, 1)


def test_subscription_identifiers_unavailable() -> None:
    net = Net(subscription_identifier_available=False)
    sub, _, _ = connect(net, "sub")
    assert subscribe(sub, "t", subscription_identifier=1) == (0xA1,)
    assert subscribe(sub, "t", packet_id=2) == (2,)


# ---------------------------------------------------------------------------
# $SYS, shutdown
# ---------------------------------------------------------------------------


def test_sys_topics_are_retained_and_updated_on_tick() -> None:
    net = Net(BrokerConfig(sys_interval=10))
    assert net.broker.next_deadline() is None
    sub, _, _ = connect(net, "sub")
    everything, _, _ = connect(net, "all")
    subscribe(everything, "#")
    assert net.broker.next_deadline() == 0
    net.tick(0)
    assert everything.recv() == []  # [MQTT-4.7.2-1]
    subscribe(sub, "$SYS/broker/#")
    topics = {p.topic_name: p.payload for p in sub.retained}  # type: ignore[attr-defined]
    assert topics["$SYS/broker/clients/connected"] == b"2"
    assert topics["$SYS/broker/uptime"] == b"0 seconds"
    assert all(p.retain for p in sub.retained)  # type: ignore[attr-defined]
    assert net.broker.next_deadline() == 10
    net.tick(10)
    updates = {p.topic_name: p.payload for p in sub.publishes()}
    assert updates["$SYS/broker/uptime"] == b"10 seconds"
    assert updates["$SYS/broker/subscriptions/count"] == b"2"


@pytest.mark.parametrize("version", VERSIONS)
def test_shutdown(version: int) -> None:
    """DISCONNECT 0x8B to 5.0 clients, no Will, sessions kept."""
    net = Net()
    watcher = watch(net)
    client, _, _ = session(net, "c", version, will=Will("will", b"w"))
    pending = Client(net, version)
    net.broker.shutdown(net.now)
    net.broker.shutdown(net.now)  # closed already, output not collected yet
    assert client.recv() == ([Disconnect(0x8B)] if version == 5 else []) and client.is_closed()
    assert watcher.recv() == [Disconnect(0x8B)]
    assert pending.recv() == [] and pending.is_closed()
    net.broker.shutdown(net.now)  # nothing left to close
    assert net.broker.stats.clients_connected == 0
    _, connack, _ = session(net, "c", version)
    assert connack.session_present
    watcher = watch(net)
    assert watcher.recv() == []


# ---------------------------------------------------------------------------
# Protocol errors after CONNECT
# ---------------------------------------------------------------------------


PROTOCOL_ERRORS: list[object] = [
    pytest.param(lambda v: b"\x30\x03\x00\x01", 0x81, id="malformed"),
    pytest.param(lambda v: b"\x00\x00", 0x81, id="reserved-type"),
    pytest.param(lambda v: encode(Suback(1, (0,)), version=v), 0x82, id="suback-from-client"),
    pytest.param(lambda v: encode(Connack(), version=v), 0x82, id="connack-from-client"),
    pytest.param(lambda v: encode(Pingresp(), version=v), 0x82, id="pingresp-from-client"),
    pytest.param(lambda v: b"\x30\x06\x00\x03a/+\x00", 0x90, id="wildcard-topic"),
    pytest.param(lambda v: b"\x30\xff\xff\xff\x7f", 0x95, id="too-large"),
]


@pytest.mark.parametrize(("data", "code"), PROTOCOL_ERRORS)
@pytest.mark.parametrize("version", VERSIONS)
def test_protocol_errors_after_connect(
    version: int, data: Callable[[int], bytes], code: int
) -> None:
    """Section 4.13: DISCONNECT with the reason in 5.0, a plain close in 3.1.1; the
    Will is published ([MQTT-3.1.2-8])."""
    net = Net()
    watcher = watch(net)
    client, _, _ = connect(net, "c", version=version, will=Will("will", b"w"))
    client.send_raw(encode(Pingreq()) + data(version) + encode(Pingreq()))
    expected: list[Packet] = [Pingresp()]
    if version == 5:
        expected.append(Disconnect(code))
    assert client.recv() == expected and client.is_closed()
    assert payloads(watcher.recv()) == [b"w"]
    (event,) = [e for e in net.events() if isinstance(e, ClientDisconnected)]
    assert event.client_id == "c" and event.reason_code == code and event.error is not None


def test_subscription_identifier_in_publish_is_a_protocol_error() -> None:
    """[MQTT-3.3.4-6]."""
    net = Net()
    client, _, _ = connect(net)
    client.send(Publish("t", b"", properties=Properties.build(subscription_identifier=1)))
    assert client.recv() == [Disconnect(0x82)] and client.is_closed()


def test_auth_is_a_protocol_error_without_an_authentication_method() -> None:
    """[MQTT-4.12.0-7]."""
    net = Net()
    client, _, _ = connect(net)
    client.send(Auth(0x18, Properties.build(authentication_method="x")))
    assert client.recv() == [Disconnect(0x82)] and client.is_closed()


def test_nothing_after_disconnect_is_processed() -> None:
    net = Net()
    sub, _, _ = connect(net, "sub")
    subscribe(sub, "t")
    pub, _, _ = connect(net, "pub")
    pub.send_raw(encode(Disconnect()) + encode(Publish("t", b"late")))
    assert pub.recv() == [] and pub.is_closed()
    pub.send(Publish("t", b"later"))
    assert sub.recv() == []


def test_nothing_after_a_refused_connect_is_processed() -> None:
    """[MQTT-3.1.4-6]."""
    net = Net(authenticate=lambda user, password, client_id: False)
    sub = Client(net)
    sub.send_raw(encode(Connect("x")) + encode(Subscribe(1, (Subscription("t"),))))
    assert sub.recv() == [Connack(False, 0x86)] and sub.is_closed()


def test_a_failing_authorizer_closes_only_its_connection() -> None:
    """House style rule 9: our own failure is 0x83 for that connection alone."""

    def authorize(username: str | None, client_id: str, topic_filter: str) -> bool:
        if topic_filter == "boom":
            raise RuntimeError("authorizer bug")
        return True

    net = Net(authorize_subscribe=authorize)
    good, _, _ = connect(net, "good")
    subscribe(good, "t")
    bad, _, _ = connect(net, "bad", will=Will("t", b"will"))
    bad.send(Subscribe(1, (Subscription("boom"),)))
    assert bad.recv() == [Disconnect(0x83)] and bad.is_closed()
    events = [e for e in net.broker.events() if isinstance(e, ClientDisconnected)]
    assert [(e.client_id, e.reason_code, type(e.exception)) for e in events] == [
        ("bad", 0x83, RuntimeError)
    ]
    # [MQTT-3.1.2-8]: closed without DISCONNECT 0x00, so the Will is published.
    assert payloads(good.recv()) == [b"will"]
    pub, _, _ = connect(net, "pub")
    publish(pub, "t", b"still here")
    assert payloads(good.recv()) == [b"still here"]


def test_unknown_and_closed_connections_are_ignored() -> None:
    net = Net()
    broker = net.broker
    assert broker.output(99) == []
    broker.receive_data(99, b"\x10", 0)
    broker.receive_eof(99, 0)
    client, _, _ = connect(net)
    client.send(Disconnect())
    client.send(Pingreq())  # closed, not yet collected: ignored
    assert client.recv() == [] and client.is_closed()
    assert broker.output(client.conn) == []
    client.eof()  # the driver's finally clause
    assert broker.writable() == set()


def test_receive_eof_before_output_is_collected() -> None:
    net = Net()
    client, _, _ = connect(net)
    client.send(Disconnect())
    client.eof()
    assert net.broker.output(client.conn) == []


def test_writable_names_connections_with_output() -> None:
    net = Net()
    a, _, _ = connect(net, "a")
    b, _, _ = connect(net, "b")
    subscribe(a, "t")
    net.broker.writable()
    publish(b, "t", b"x", 1)
    assert net.broker.writable() == {a.conn, b.conn}
    assert net.broker.writable() == set()


# ---------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------


def _check_output(chunks: list[bytes], version: int) -> None:
    reader = PacketReader(version=version)
    for index, chunk in enumerate(chunks):
        if chunk:
            reader.feed(chunk)  # only whole, valid packets
        else:
            assert index == len(chunks) - 1


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([4, 5]),
    st.booleans(),
    st.lists(st.binary(max_size=64), max_size=6),
)
def test_random_bytes_give_output_or_a_close_and_nothing_else(
    version: int, connected: bool, chunks: list[bytes]
) -> None:
    net = Net()
    bystander, _, _ = connect(net, "bystander")
    subscribe(bystander, "#")
    client = Client(net, version)
    if connected:
        client.send(Connect("fuzz", protocol_level=version))
    for chunk in chunks:
        net.broker.receive_data(client.conn, chunk, net.now)
    net.tick(net.now + 100)
    _check_output(net.broker.output(client.conn), version)
    net.broker.receive_eof(client.conn, net.now)
    for event in net.broker.events():
        assert not (isinstance(event, ClientDisconnected) and event.exception is not None)
    # The other connection is untouched.
    bystander.send(Pingreq())
    packets = bystander.recv()
    assert packets[-1] == Pingresp() and not bystander.is_closed()


PACKETS: list[Callable[[int], Packet]] = [
    lambda v: Publish("t/a", b"p", 1, packet_id=1),
    lambda v: Publish("t/b", b"p", 2, True, packet_id=2),
    lambda v: Publish("t/c", b""),
    lambda v: Subscribe(3, (Subscription("t/#", 2),)),
    lambda v: Unsubscribe(4, ("t/#",)),
    lambda v: Pubrel(2),
    lambda v: Puback(1),
    lambda v: Pubrec(1),
    lambda v: Pubcomp(1),
    lambda v: Pingreq(),
    lambda v: Disconnect(),
    lambda v: Connect("again", protocol_level=v),
]


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([4, 5]),
    st.lists(st.integers(0, len(PACKETS) - 1), max_size=12),
    st.data(),
)
def test_valid_packets_split_anywhere_give_the_same_output(
    version: int, choice: list[int], data: st.DataObject
) -> None:
    """Split invariance: all at once or in pieces, the broker answers the same."""
    stream = encode(Connect("c", protocol_level=version)) + b"".join(
        encode(PACKETS[i](version), version=version) for i in choice
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=5)))
    outputs = []
    for pieces in (
        [stream],
        [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)],
    ):
        net = Net()
        client = Client(net, version)
        for piece in pieces:
            client.send_raw(piece)
        outputs.append(b"".join(net.broker.output(client.conn)))
        _check_output([outputs[-1]], version)
    assert outputs[0] == outputs[1]
