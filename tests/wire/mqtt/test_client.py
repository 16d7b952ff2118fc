"""The MQTT client session machine: every flow, limits, errors, any bytes, splits."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire import mqtt
from wire.errors import LocalProtocolError, RemoteProtocolError
from wire.mqtt import _client
from wire.mqtt._client import ClientConfig, ClientConnection
from wire.mqtt._client_events import (
    LOSS_CLEAN_START,
    LOSS_NOT_ALLOWED,
    LOSS_SESSION_NOT_PRESENT,
    AuthRequested,
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
from wire.mqtt._client_state import (
    TRANSITIONS,
    ClientInput,
    ClientState,
    allowed_inputs,
    input_for_packet,
    state_diagram,
)
from wire.mqtt.strategies import packets

P = mqtt.Properties.build
R = mqtt.ReasonCode
S = ClientState
VERSIONS = [4, 5]
EVENT_TYPES = (
    Connected,
    ConnectionRefused,
    MessageReceived,
    PublishAcknowledged,
    Subscribed,
    Unsubscribed,
    AuthRequested,
    Reauthenticated,
    PongReceived,
    MessagesLost,
    RequestsAbandoned,
    Disconnected,
)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def enc(packet: mqtt.Packet, version: int = 5) -> bytes:
    return mqtt.encode(packet, version=version)


def sent(conn: ClientConnection) -> list[Any]:
    """Decode what the client wants to write; ``None`` stands for ``b""`` (close)."""
    out: list[Any] = []
    reader = mqtt.PacketReader(version=conn.version, max_packet_size=mqtt.MAX_PACKET_SIZE_LIMIT)
    for data in conn.data_to_send():
        if data:
            out += reader.feed(data)
        else:
            out.append(None)
    return out


def feed(conn: ClientConnection, *packets_: mqtt.Packet) -> list[Any]:
    conn.receive_data(b"".join(enc(p, conn.version) for p in packets_))
    return conn.events()


def connected(
    version: int = 5,
    config: ClientConfig | None = None,
    connack: mqtt.Connack | None = None,
    **kwargs: Any,
) -> ClientConnection:
    conn = ClientConnection(version=version, config=config)
    conn.connect(0.0, **kwargs)
    conn.data_to_send()
    events = feed(conn, connack or mqtt.Connack())
    assert isinstance(events[0], Connected)
    assert conn.state is S.CONNECTED
    return conn


def reconnect(
    conn: ClientConnection, connack: mqtt.Connack, now: float = 100.0, **kwargs: Any
) -> list[Any]:
    conn.connection_lost()
    kwargs.setdefault("clean_start", False)
    kwargs.setdefault("client_id", "c")
    conn.connect(now, **kwargs)
    assert isinstance(sent(conn)[0], mqtt.Connect)
    return feed(conn, connack)


def assert_failed(
    conn: ClientConnection, code: int, error_type: type = mqtt.MQTTRemoteError
) -> Disconnected:
    """The broker broke the rules: DISCONNECT (5.0) and close, terminal event."""
    out = sent(conn)
    if conn.version == 5:
        assert out == [mqtt.Disconnect(code), None]
    else:
        assert out == [None]
    events = conn.events()
    last = events[-1]
    assert isinstance(last, Disconnected)
    assert isinstance(last.error, error_type)
    assert last.reason_code == (code if conn.version == 5 else None)
    assert conn.state is S.DISCONNECTED
    assert conn.next_deadline() is None
    return last


# ---------------------------------------------------------------------------
# Construction and the table
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_packet_size": 1},
        {"max_packet_size": mqtt.MAX_PACKET_SIZE_LIMIT + 1},
        {"receive_maximum": 0},
        {"receive_maximum": 0x10000},
        {"topic_alias_maximum": -1},
        {"max_inflight": 0},
        {"max_queued_messages": -1},
        {"connect_timeout": 0},
        {"ping_timeout": 0},
    ],
)
def test_config_is_validated(kwargs: dict[str, Any]) -> None:
    with pytest.raises(LocalProtocolError):
        ClientConfig(**kwargs)


def test_constructor_is_validated() -> None:
    with pytest.raises(LocalProtocolError, match="version"):
        ClientConnection(version=3)
    with pytest.raises(LocalProtocolError, match="config"):
        ClientConnection(config=object())  # type: ignore[arg-type]
    conn = ClientConnection(version=4)
    assert (conn.version, conn.state, conn.client_id, conn.keep_alive) == (4, S.DISCONNECTED, "", 0)
    assert conn.next_deadline() is None
    conn.tick(5.0)
    assert conn.data_to_send() == [] and conn.events() == []


def test_table_and_diagram() -> None:
    assert allowed_inputs(S.DISCONNECTED) == {
        ClientInput.CONNECT,
        ClientInput.CONNECTION_LOST,
        ClientInput.EOF,
    }
    # Packets only a broker receives are never allowed.
    for inp in (ClientInput.RECV_CONNECT, ClientInput.RECV_SUBSCRIBE, ClientInput.RECV_PINGREQ):
        assert all(key[1] is not inp for key in TRANSITIONS)
    diagram = state_diagram()
    assert diagram.startswith("stateDiagram-v2\n")
    for state in ClientState:
        assert state.name in diagram
    assert input_for_packet(mqtt.PacketType.CONNACK, 0) is ClientInput.RECV_CONNACK
    assert input_for_packet(mqtt.PacketType.CONNACK, 0x87) is ClientInput.RECV_CONNACK_REFUSED
    assert input_for_packet(mqtt.PacketType.AUTH, 0x19) is ClientInput.RECV_AUTH_REAUTHENTICATE
    assert input_for_packet(mqtt.PacketType.PINGRESP, 0) is ClientInput.RECV_PINGRESP


# ---------------------------------------------------------------------------
# Events validate their fields
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: Connected(False, object()),  # type: ignore[arg-type]
        lambda: Connected(False, mqtt.Connack(reason_code=0x87)),
        lambda: Connected(True, mqtt.Connack()),
        lambda: Connected(1, mqtt.Connack(True)),  # type: ignore[arg-type]
        lambda: ConnectionRefused(0),
        lambda: ConnectionRefused(256),
        lambda: ConnectionRefused(True),  # type: ignore[arg-type]
        lambda: ConnectionRefused("x"),  # type: ignore[arg-type]
        lambda: ConnectionRefused(0x87, {}),  # type: ignore[arg-type]
        lambda: MessageReceived(object()),  # type: ignore[arg-type]
        lambda: MessageReceived(mqtt.Publish("", properties=P(topic_alias=1))),
        lambda: PublishAcknowledged(0),
        lambda: PublishAcknowledged(True),  # type: ignore[arg-type]
        lambda: PublishAcknowledged(1, 300),
        lambda: Subscribed(1, ()),
        lambda: Subscribed(1, (300,)),
        lambda: Subscribed(1, 5),  # type: ignore[arg-type]
        lambda: Unsubscribed(70000),
        lambda: AuthRequested(None),  # type: ignore[arg-type]
        lambda: Reauthenticated(None),  # type: ignore[arg-type]
        lambda: MessagesLost((), LOSS_SESSION_NOT_PRESENT),
        lambda: MessagesLost((object(),), LOSS_SESSION_NOT_PRESENT),  # type: ignore[arg-type]
        lambda: MessagesLost((mqtt.Publish("t"),), LOSS_SESSION_NOT_PRESENT),
        lambda: MessagesLost((mqtt.Publish("t", qos=1, packet_id=1),), "other"),
        lambda: RequestsAbandoned(()),
        lambda: RequestsAbandoned((mqtt.Pingreq(),)),  # type: ignore[arg-type]
        lambda: Disconnected(300),
        lambda: Disconnected(None, None),  # type: ignore[arg-type]
        lambda: Disconnected(None, mqtt.Properties(), ValueError()),  # type: ignore[arg-type]
    ],
)
def test_events_validate(build: Any) -> None:
    with pytest.raises(LocalProtocolError):
        build()


def test_events_normalise_sequences() -> None:
    publish = mqtt.Publish("t", qos=1, packet_id=1)
    assert MessagesLost([publish], LOSS_NOT_ALLOWED).publishes == (publish,)  # type: ignore[arg-type]
    sub = mqtt.Subscribe(1, (mqtt.Subscription("a"),))
    assert RequestsAbandoned([sub]).requests == (sub,)  # type: ignore[arg-type]
    assert Subscribed(1, [0, R.GRANTED_QOS_1]).reason_codes == (0, 1)  # type: ignore[arg-type]
    assert Unsubscribed(2).reason_codes == ()
    assert Disconnected(error=mqtt.MalformedPacket("x")).reason_code is None
    assert PongReceived() == PongReceived()


# ---------------------------------------------------------------------------
# CONNECT / CONNACK
# ---------------------------------------------------------------------------


def test_connect_v5_adds_our_limits() -> None:
    config = ClientConfig(receive_maximum=10, topic_alias_maximum=4, max_packet_size=5000)
    conn = ClientConnection(config=config)
    conn.connect(7.0, client_id="c1", keep_alive=30, properties=P(receive_maximum=20))
    [connect] = sent(conn)
    assert connect == mqtt.Connect(
        "c1",
        keep_alive=30,
        properties=P(receive_maximum=20, maximum_packet_size=5000, topic_alias_maximum=4),
    )
    assert conn.state is S.CONNECTING
    assert conn.next_deadline() == 37.0
    assert conn.client_id == "c1"


def test_connect_v5_default_limits() -> None:
    conn = ClientConnection()
    conn.connect(0.0)
    [connect] = sent(conn)
    assert connect.properties == P(maximum_packet_size=mqtt.DEFAULT_MAX_PACKET_SIZE)
    conn = ClientConnection(config=ClientConfig(max_packet_size=mqtt.MAX_PACKET_SIZE_LIMIT))
    conn.connect(0.0, properties=P(session_expiry_interval=60))
    assert sent(conn)[0].properties == P(session_expiry_interval=60)


def test_connect_v4() -> None:
    conn = ClientConnection(version=4)
    will = mqtt.Will("w", b"bye", qos=1)
    conn.connect(0.0, client_id="c", username="u", password=b"p", will=will, keep_alive=5)
    [connect] = sent(conn)
    assert connect == mqtt.Connect(
        "c", keep_alive=5, username="u", password=b"p", will=will, protocol_level=4
    )


@pytest.mark.parametrize(
    ("version", "kwargs"),
    [
        (4, {"clean_start": False}),
        (4, {"client_id": "c", "properties": P(session_expiry_interval=1)}),
        (5, {"keep_alive": -1}),
        (5, {"properties": {}}),
    ],
)
def test_connect_misuse_changes_nothing(version: int, kwargs: dict[str, Any]) -> None:
    conn = ClientConnection(version=version)
    with pytest.raises(LocalProtocolError):
        conn.connect(0.0, **kwargs)
    assert conn.state is S.DISCONNECTED
    assert conn.data_to_send() == []


def test_connect_needs_a_number_and_no_connection() -> None:
    conn = ClientConnection()
    with pytest.raises(LocalProtocolError, match="now"):
        conn.connect("soon")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="now"):
        conn.connect(True)
    conn.connect(0)
    with pytest.raises(LocalProtocolError, match="connect"):
        conn.connect(1.0)


@pytest.mark.parametrize("version", VERSIONS)
def test_connack_accepted(version: int) -> None:
    conn = ClientConnection(version=version)
    conn.connect(0.0, client_id="me", keep_alive=20)
    conn.data_to_send()
    events = feed(conn, mqtt.Connack())
    assert events == [Connected(False, mqtt.Connack())]
    assert conn.state is S.CONNECTED
    assert conn.keep_alive == 20
    assert conn.next_deadline() == 20.0
    assert conn.data_to_send() == []


def test_connack_properties_apply() -> None:
    props = P(assigned_client_identifier="auto-1", server_keep_alive=5)
    conn = connected(connack=mqtt.Connack(properties=props), keep_alive=60)
    assert conn.client_id == "auto-1"
    assert conn.keep_alive == 5
    assert conn.next_deadline() == 5.0


@pytest.mark.parametrize(
    ("version", "code"), [(5, R.NOT_AUTHORIZED), (4, mqtt.ConnectReturnCode.NOT_AUTHORIZED)]
)
def test_connack_refused(version: int, code: int) -> None:
    conn = ClientConnection(version=version)
    conn.connect(0.0, client_id="c")
    conn.data_to_send()
    props = P(reason_string="no") if version == 5 else mqtt.Properties()
    events = feed(conn, mqtt.Connack(reason_code=code, properties=props))
    assert events == [ConnectionRefused(code, props)]
    assert sent(conn) == [None]
    assert conn.state is S.DISCONNECTED
    # A new network connection may follow.
    conn.connect(1.0, client_id="c")
    assert conn.state is S.CONNECTING


@pytest.mark.parametrize("version", VERSIONS)
def test_connect_timeout(version: int) -> None:
    conn = ClientConnection(version=version, config=ClientConfig(connect_timeout=5))
    conn.connect(10.0, client_id="c")
    conn.data_to_send()
    conn.tick(14.9)
    assert conn.events() == [] and conn.data_to_send() == []
    conn.tick(15.0)
    [event] = conn.events()
    assert isinstance(event, Disconnected)
    assert event.reason_code is None
    assert isinstance(event.error, mqtt.MQTTRemoteError)
    assert event.error.reason_code == R.KEEP_ALIVE_TIMEOUT
    assert conn.data_to_send() == [b""]
    assert conn.state is S.DISCONNECTED


@pytest.mark.parametrize("version", VERSIONS)
def test_session_present_after_clean_start_is_an_error(version: int) -> None:
    conn = ClientConnection(version=version)
    conn.connect(0.0, client_id="c", clean_start=True)
    conn.data_to_send()
    conn.receive_data(enc(mqtt.Connack(session_present=True), version))
    assert_failed(conn, R.PROTOCOL_ERROR)


@pytest.mark.parametrize(
    "packet",
    [
        mqtt.Publish("t"),
        mqtt.Puback(1),
        mqtt.Pingresp(),
        mqtt.Disconnect(R.SERVER_BUSY),
        mqtt.Auth(R.SUCCESS),
        mqtt.Subscribe(1, (mqtt.Subscription("a"),)),
    ],
)
def test_packets_before_connack_are_errors(packet: mqtt.Packet) -> None:
    conn = ClientConnection()
    conn.connect(0.0, properties=P(authentication_method="m"))
    conn.data_to_send()
    conn.receive_data(enc(packet))
    assert_failed(conn, R.PROTOCOL_ERROR)


def test_second_connack_is_an_error() -> None:
    conn = connected()
    conn.receive_data(enc(mqtt.Connack()))
    assert_failed(conn, R.PROTOCOL_ERROR)


@pytest.mark.parametrize("method", [None, "other"])
def test_connack_authentication_method_must_match(method: str | None) -> None:
    conn = ClientConnection()
    props = P(authentication_method="m") if method is None else mqtt.Properties()
    conn.connect(0.0, properties=props)
    conn.data_to_send()
    back = P(authentication_method=method) if method else mqtt.Properties()
    conn.receive_data(enc(mqtt.Connack(properties=back)))
    assert_failed(conn, R.PROTOCOL_ERROR)


def test_requests_before_connack_are_refused() -> None:
    conn = ClientConnection()
    for call in (
        lambda: conn.publish("t"),
        lambda: conn.subscribe([mqtt.Subscription("t")]),
        lambda: conn.unsubscribe(["t"]),
        conn.disconnect,
    ):
        with pytest.raises(LocalProtocolError):
            call()
    conn.connect(0.0)
    conn.data_to_send()
    with pytest.raises(LocalProtocolError, match="publish"):
        conn.publish("t")
    with pytest.raises(LocalProtocolError, match="subscribe"):
        conn.subscribe(mqtt.Subscription("t"))
    assert conn.data_to_send() == []


# ---------------------------------------------------------------------------
# Our publishes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_publish_qos0(version: int) -> None:
    conn = connected(version)
    assert conn.publish("a/b", b"x", retain=True) is None
    assert sent(conn) == [mqtt.Publish("a/b", b"x", retain=True)]
    assert conn.inflight_messages == 0


@pytest.mark.parametrize("version", VERSIONS)
def test_publish_qos1_flow(version: int) -> None:
    conn = connected(version)
    assert conn.publish("a", b"1", qos=1) == 1
    assert conn.publish("a", b"2", qos=1) == 2
    assert sent(conn) == [
        mqtt.Publish("a", b"1", qos=1, packet_id=1),
        mqtt.Publish("a", b"2", qos=1, packet_id=2),
    ]
    assert conn.inflight_messages == 2
    assert feed(conn, mqtt.Puback(2), mqtt.Puback(1)) == [
        PublishAcknowledged(2),
        PublishAcknowledged(1),
    ]
    assert conn.inflight_messages == 0
    assert conn.data_to_send() == []


def test_puback_failure_code_and_properties() -> None:
    conn = connected()
    conn.publish("a", qos=1)
    conn.data_to_send()
    ack = mqtt.Puback(1, R.QUOTA_EXCEEDED, P(reason_string="full"))
    assert feed(conn, ack) == [PublishAcknowledged(1, R.QUOTA_EXCEEDED, P(reason_string="full"))]


@pytest.mark.parametrize("version", VERSIONS)
def test_publish_qos2_flow(version: int) -> None:
    conn = connected(version)
    assert conn.publish("a", b"x", qos=2) == 1
    assert sent(conn) == [mqtt.Publish("a", b"x", qos=2, packet_id=1)]
    assert feed(conn, mqtt.Pubrec(1)) == []
    assert sent(conn) == [mqtt.Pubrel(1)]
    # A repeated PUBREC gets the PUBREL again.
    assert feed(conn, mqtt.Pubrec(1)) == []
    assert sent(conn) == [mqtt.Pubrel(1)]
    assert conn.inflight_messages == 1
    assert feed(conn, mqtt.Pubcomp(1)) == [PublishAcknowledged(1)]
    assert conn.inflight_messages == 0
    assert conn.data_to_send() == []


def test_pubrec_failure_ends_the_flow() -> None:
    conn = connected(connack=mqtt.Connack(properties=P(receive_maximum=1)))
    conn.publish("a", qos=2)
    conn.publish("b", qos=2)
    assert [p.topic_name for p in sent(conn)] == ["a"]
    events = feed(conn, mqtt.Pubrec(1, R.NOT_AUTHORIZED))
    assert events == [PublishAcknowledged(1, R.NOT_AUTHORIZED)]
    # No PUBREL; the freed quota sends the queued message.
    assert sent(conn) == [mqtt.Publish("b", qos=2, packet_id=2)]


@pytest.mark.parametrize(
    "packet",
    [mqtt.Puback(9), mqtt.Pubrec(9), mqtt.Pubcomp(9), mqtt.Puback(2), mqtt.Pubcomp(1)],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_unexpected_acknowledgements_are_errors(version: int, packet: mqtt.Packet) -> None:
    conn = connected(version)
    conn.publish("a", qos=1)  # id 1: QoS 1, waits for PUBACK
    conn.publish("a", qos=2)  # id 2: QoS 2, waits for PUBREC
    conn.data_to_send()
    conn.receive_data(enc(packet, version))
    assert_failed(conn, R.PROTOCOL_ERROR)


def test_pubcomp_before_pubrec_is_an_error() -> None:
    conn = connected()
    conn.publish("a", qos=2)
    conn.data_to_send()
    conn.receive_data(enc(mqtt.Pubcomp(1)))
    assert_failed(conn, R.PROTOCOL_ERROR)


def test_receive_maximum_queues_and_bounds() -> None:
    config = ClientConfig(max_queued_messages=2)
    conn = connected(config=config, connack=mqtt.Connack(properties=P(receive_maximum=2)))
    ids = [conn.publish("t", bytes([i]), qos=1) for i in range(4)]
    assert ids == [1, 2, 3, 4]
    assert [p.packet_id for p in sent(conn)] == [1, 2]
    assert (conn.inflight_messages, conn.queued_messages) == (2, 2)
    with pytest.raises(LocalProtocolError, match="wait"):
        conn.publish("t", qos=2)
    assert (conn.inflight_messages, conn.queued_messages) == (2, 2)
    # QoS 0 is not subject to Receive Maximum.
    conn.publish("t", b"now")
    assert sent(conn) == [mqtt.Publish("t", b"now")]
    feed(conn, mqtt.Puback(1))
    assert [p.packet_id for p in sent(conn)] == [3]
    assert conn.publish("t", qos=1) == 5
    assert conn.data_to_send() == []
    assert feed(conn, mqtt.Puback(2), mqtt.Puback(3)) == [
        PublishAcknowledged(2),
        PublishAcknowledged(3),
    ]
    assert [p.packet_id for p in sent(conn)] == [4, 5]


def test_no_queue_means_refuse_when_quota_is_spent() -> None:
    config = ClientConfig(max_queued_messages=0, max_inflight=1)
    conn = connected(4, config=config)
    conn.publish("t", qos=1)
    with pytest.raises(LocalProtocolError):
        conn.publish("t", qos=1)
    assert [p.packet_id for p in sent(conn)] == [1]


def test_broker_capabilities_are_enforced() -> None:
    props = P(maximum_qos=1, retain_available=0, maximum_packet_size=40)
    conn = connected(connack=mqtt.Connack(properties=props))
    with pytest.raises(LocalProtocolError, match="Maximum QoS"):
        conn.publish("t", qos=2)
    with pytest.raises(LocalProtocolError, match="retain"):
        conn.publish("t", retain=True)
    with pytest.raises(LocalProtocolError, match="maximum"):
        conn.publish("t", b"x" * 40)
    with pytest.raises(LocalProtocolError, match="maximum"):
        conn.subscribe([mqtt.Subscription("x" * 40)])
    with pytest.raises(LocalProtocolError, match="maximum"):
        conn.unsubscribe(["x" * 40])
    with pytest.raises(LocalProtocolError, match="maximum"):
        conn.disconnect(properties=P(reason_string="x" * 40))
    assert conn.publish("t", b"x" * 10, qos=1) == 1
    assert conn.data_to_send() != []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"topic": "a/+"}, "topic"),
        ({"topic": ""}, "topic"),
        ({"topic": "t", "qos": 3}, "qos"),
        ({"topic": "t", "payload": 5}, "payload"),
        ({"topic": "t", "properties": P(topic_alias=1)}, "alias"),
        ({"topic": "t", "properties": P(subscription_identifier=[1])}, "Subscription"),
    ],
)
def test_publish_misuse_changes_nothing(kwargs: dict[str, Any], match: str) -> None:
    conn = connected()
    with pytest.raises(LocalProtocolError, match=match):
        conn.publish(**kwargs)
    assert conn.data_to_send() == []
    assert conn.publish("t", qos=1) == 1  # the id was not taken


def test_publish_v4_refuses_properties() -> None:
    conn = connected(4)
    with pytest.raises(LocalProtocolError, match="properties"):
        conn.publish("t", properties=P(content_type="x"))


def test_packet_ids_are_allocated_and_exhausted() -> None:
    conn = connected(4)
    for expected in range(1, 0x10000):
        assert conn.publish("t", qos=1) == expected
    conn.data_to_send()
    with pytest.raises(LocalProtocolError, match="identifiers"):
        conn.publish("t", qos=1)
    with pytest.raises(LocalProtocolError, match="identifiers"):
        conn.subscribe([mqtt.Subscription("t")])
    conn.publish("t")  # QoS 0 needs no id
    feed(conn, mqtt.Puback(70), mqtt.Puback(5))
    # The allocator wraps around and skips the ids still in use.
    assert conn.publish("t", qos=1) == 5
    assert conn.publish("t", qos=1) == 70


# ---------------------------------------------------------------------------
# Outgoing topic aliases
# ---------------------------------------------------------------------------


def test_outgoing_topic_aliases() -> None:
    config = ClientConfig(use_topic_aliases=True)
    conn = connected(config=config, connack=mqtt.Connack(properties=P(topic_alias_maximum=1)))
    conn.publish("sensors/one", b"1")
    conn.publish("sensors/one", b"2", qos=1)
    conn.publish("sensors/two", b"3")
    assert sent(conn) == [
        mqtt.Publish("sensors/one", b"1", properties=P(topic_alias=1)),
        mqtt.Publish("", b"2", qos=1, packet_id=1, properties=P(topic_alias=1)),
        mqtt.Publish("sensors/two", b"3"),
    ]
    # Aliases belong to one network connection.
    events = reconnect(conn, mqtt.Connack(True, properties=P(topic_alias_maximum=1)), client_id="c")
    assert isinstance(events[0], Connected)
    assert sent(conn) == [
        mqtt.Publish("sensors/one", b"2", qos=1, dup=True, packet_id=1, properties=P(topic_alias=1))
    ]


def test_topic_aliases_off_by_default_and_never_too_large() -> None:
    conn = connected(connack=mqtt.Connack(properties=P(topic_alias_maximum=5)))
    conn.publish("t/x")
    assert sent(conn) == [mqtt.Publish("t/x")]
    # A Topic Alias property costs 3 bytes: allow only 1 byte more than the plain form.
    limit = len(enc(mqtt.Publish("t/x", b"123"))) + 1
    config = ClientConfig(use_topic_aliases=True)
    props = P(topic_alias_maximum=5, maximum_packet_size=limit)
    conn = connected(config=config, connack=mqtt.Connack(properties=props))
    conn.publish("t/x", b"123")
    conn.publish("t/x", b"1")
    conn.publish("t/x", b"123")
    # The aliased form would not fit: the plain one goes, and no alias is set up.
    assert sent(conn) == [
        mqtt.Publish("t/x", b"123"),
        mqtt.Publish("t/x", b"1", properties=P(topic_alias=1)),
        mqtt.Publish("", b"123", properties=P(topic_alias=1)),
    ]


# ---------------------------------------------------------------------------
# Messages from the broker
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_incoming_qos0_and_qos1(version: int) -> None:
    conn = connected(version)
    m0 = mqtt.Publish("a", b"0")
    m1 = mqtt.Publish("a", b"1", qos=1, packet_id=7)
    m1_dup = mqtt.Publish("a", b"1", qos=1, packet_id=7, dup=True)
    assert feed(conn, m0, m1, m1_dup) == [
        MessageReceived(m0),
        MessageReceived(m1),
        MessageReceived(m1_dup),
    ]
    assert sent(conn) == [mqtt.Puback(7), mqtt.Puback(7)]


@pytest.mark.parametrize("version", VERSIONS)
def test_incoming_qos2_is_delivered_once(version: int) -> None:
    conn = connected(version)
    message = mqtt.Publish("a", b"x", qos=2, packet_id=3)
    assert feed(conn, message) == [MessageReceived(message)]
    assert sent(conn) == [mqtt.Pubrec(3)]
    # [MQTT-4.3.3]: the same id before PUBREL is acknowledged, not delivered.
    assert feed(conn, mqtt.Publish("a", b"x", qos=2, packet_id=3, dup=True)) == []
    assert sent(conn) == [mqtt.Pubrec(3)]
    assert feed(conn, mqtt.Pubrel(3)) == []
    assert sent(conn) == [mqtt.Pubcomp(3)]
    # After PUBREL the id is free: a new message with it is delivered.
    again = mqtt.Publish("a", b"y", qos=2, packet_id=3)
    assert feed(conn, again) == [MessageReceived(again)]


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_pubrel_is_completed(version: int) -> None:
    conn = connected(version)
    assert feed(conn, mqtt.Pubrel(9)) == []
    expected = mqtt.Pubcomp(9, R.PACKET_IDENTIFIER_NOT_FOUND) if version == 5 else mqtt.Pubcomp(9)
    assert sent(conn) == [expected]


def test_receive_maximum_v5() -> None:
    conn = connected(config=ClientConfig(receive_maximum=2))
    feed(conn, mqtt.Publish("a", qos=2, packet_id=1), mqtt.Publish("a", qos=1, packet_id=9))
    feed(conn, mqtt.Publish("a", qos=2, packet_id=2))
    sent(conn)
    # Two QoS 2 messages await PUBREL: the quota is spent. PUBCOMP gives one back.
    feed(conn, mqtt.Pubrel(1))
    feed(conn, mqtt.Publish("a", qos=1, packet_id=10))
    assert sent(conn) == [mqtt.Pubcomp(1), mqtt.Puback(10)]
    conn.receive_data(enc(mqtt.Publish("a", qos=1, packet_id=11)))
    assert conn.events() != []
    assert sent(conn) == [mqtt.Puback(11)]
    conn.receive_data(enc(mqtt.Publish("a", qos=2, packet_id=3)))
    conn.events()
    assert sent(conn) == [mqtt.Pubrec(3)]
    # Spent again: even a QoS 1 message exceeds it.
    conn.receive_data(enc(mqtt.Publish("a", qos=1, packet_id=12)))
    assert_failed(conn, R.RECEIVE_MAXIMUM_EXCEEDED)


def test_receive_maximum_v4_counts_qos2_awaiting_pubrel() -> None:
    conn = connected(4, config=ClientConfig(receive_maximum=1))
    feed(conn, mqtt.Publish("a", qos=2, packet_id=1))
    feed(conn, mqtt.Publish("a", qos=2, packet_id=1, dup=True))
    feed(conn, mqtt.Publish("a", qos=1, packet_id=5))
    assert sent(conn) == [mqtt.Pubrec(1), mqtt.Pubrec(1), mqtt.Puback(5)]
    conn.receive_data(enc(mqtt.Publish("a", qos=2, packet_id=2), 4))
    assert_failed(conn, R.RECEIVE_MAXIMUM_EXCEEDED)


def test_incoming_topic_aliases() -> None:
    conn = connected(config=ClientConfig(topic_alias_maximum=2), client_id="c")
    first = mqtt.Publish("s/1", b"a", properties=P(topic_alias=2))
    second = mqtt.Publish("", b"b", qos=1, packet_id=1, properties=P(topic_alias=2))
    events = feed(conn, first, second)
    assert [e.publish.topic_name for e in events] == ["s/1", "s/1"]
    assert events[1].publish.payload == b"b"
    # Aliases reset with the network connection.
    reconnect(conn, mqtt.Connack(True))
    conn.receive_data(enc(mqtt.Publish("", properties=P(topic_alias=2))))
    assert_failed(conn, R.TOPIC_ALIAS_INVALID)


def test_topic_alias_above_our_maximum() -> None:
    conn = connected(config=ClientConfig(topic_alias_maximum=2))
    conn.receive_data(enc(mqtt.Publish("t", properties=P(topic_alias=3))))
    assert_failed(conn, R.TOPIC_ALIAS_INVALID)


# ---------------------------------------------------------------------------
# SUBSCRIBE / UNSUBSCRIBE
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_subscribe_and_unsubscribe(version: int) -> None:
    conn = connected(version)
    subs = (mqtt.Subscription("a/#", qos=1), mqtt.Subscription("b/+"))
    assert conn.subscribe(subs) == 1
    assert conn.subscribe(mqtt.Subscription("c")) == 2
    assert conn.unsubscribe("a/#") == 3
    assert conn.unsubscribe(["b/+", "c"]) == 4
    assert sent(conn) == [
        mqtt.Subscribe(1, subs),
        mqtt.Subscribe(2, (mqtt.Subscription("c"),)),
        mqtt.Unsubscribe(3, ("a/#",)),
        mqtt.Unsubscribe(4, ("b/+", "c")),
    ]
    unsub_codes = (0,) if version == 5 else ()
    events = feed(
        conn,
        mqtt.Suback(1, (1, 0x80)),
        mqtt.Suback(2, (0,)),
        mqtt.Unsuback(3, unsub_codes),
        mqtt.Unsuback(4, (0, 0x11) if version == 5 else ()),
    )
    assert events == [
        Subscribed(1, (1, 0x80)),
        Subscribed(2, (0,)),
        Unsubscribed(3, unsub_codes),
        Unsubscribed(4, (0, 0x11) if version == 5 else ()),
    ]
    assert conn.subscribe(mqtt.Subscription("d")) == 5


def test_subscribe_properties_are_passed() -> None:
    conn = connected()
    props = P(subscription_identifier=[4], user_property=[("k", "v")])
    conn.subscribe(mqtt.Subscription("a"), props)
    assert sent(conn) == [mqtt.Subscribe(1, (mqtt.Subscription("a"),), props)]


@pytest.mark.parametrize(
    ("connack_props", "subscription", "props", "match"),
    [
        (None, mqtt.Subscription("a/#/b"), None, "filter"),
        (P(shared_subscription_available=0), mqtt.Subscription("$share/g/a"), None, "shared"),
        (P(wildcard_subscription_available=0), mqtt.Subscription("a/+"), None, "wildcard"),
        (P(wildcard_subscription_available=0), mqtt.Subscription("a/#"), None, "wildcard"),
        (None, mqtt.Subscription("a"), P(subscription_identifier=[1, 2]), "at most one"),
        (
            P(subscription_identifier_available=0),
            mqtt.Subscription("a"),
            P(subscription_identifier=[1]),
            "identifiers",
        ),
        (None, mqtt.Subscription("a"), {}, "properties"),
    ],
)
def test_subscribe_misuse_changes_nothing(
    connack_props: mqtt.Properties | None,
    subscription: mqtt.Subscription,
    props: Any,
    match: str,
) -> None:
    conn = connected(connack=mqtt.Connack(properties=connack_props or mqtt.Properties()))
    with pytest.raises(LocalProtocolError, match=match):
        conn.subscribe([subscription], props if props is not None else mqtt.Properties())
    assert conn.data_to_send() == []
    assert conn.subscribe([mqtt.Subscription("ok")]) == 1


def test_subscribe_v4_allows_what_v5_checks() -> None:
    conn = connected(4)
    conn.subscribe([mqtt.Subscription("$share/g/a/+")])
    with pytest.raises(LocalProtocolError, match="only a QoS"):
        conn.subscribe([mqtt.Subscription("a", no_local=True)])
    assert sent(conn) == [mqtt.Subscribe(1, (mqtt.Subscription("$share/g/a/+"),))]


def test_unsubscribe_misuse_changes_nothing() -> None:
    conn = connected()
    with pytest.raises(LocalProtocolError, match="filter"):
        conn.unsubscribe(["a/#/b"])
    with pytest.raises(LocalProtocolError):
        conn.unsubscribe([])
    assert conn.data_to_send() == []


@pytest.mark.parametrize(
    "packet",
    [
        mqtt.Suback(3, (0,)),
        mqtt.Suback(1, (0, 0)),
        mqtt.Unsuback(2, (0,)),
        mqtt.Unsuback(3, (0, 0)),
    ],
)
def test_unexpected_subacks_are_errors(packet: mqtt.Packet) -> None:
    conn = connected()
    conn.subscribe(mqtt.Subscription("a"))
    conn.subscribe(mqtt.Subscription("b"))
    conn.unsubscribe("a")
    conn.data_to_send()
    conn.receive_data(enc(packet))
    assert_failed(conn, R.PROTOCOL_ERROR)


def test_pending_requests_are_abandoned_when_the_connection_ends() -> None:
    conn = connected()
    conn.subscribe(mqtt.Subscription("a"))
    conn.unsubscribe("b")
    conn.receive_eof()
    events = conn.events()
    assert events == [
        RequestsAbandoned(
            (mqtt.Subscribe(1, (mqtt.Subscription("a"),)), mqtt.Unsubscribe(2, ("b",)))
        ),
        Disconnected(),
    ]
    # Their ids are free again.
    reconnect(conn, mqtt.Connack(True))
    assert conn.subscribe(mqtt.Subscription("c")) == 3
    conn.connection_lost()
    [abandoned] = conn.events()
    assert isinstance(abandoned, RequestsAbandoned)


# ---------------------------------------------------------------------------
# Keep-alive
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_keep_alive_pings_and_pongs(version: int) -> None:
    conn = connected(version, keep_alive=10)
    assert conn.next_deadline() == 10.0
    conn.tick(9.9)
    assert conn.data_to_send() == []
    conn.tick(10.0)
    assert sent(conn) == [mqtt.Pingreq()]
    # Waiting for the answer: half the keep-alive.
    assert conn.next_deadline() == 15.0
    assert feed(conn, mqtt.Pingresp()) == [PongReceived()]
    assert conn.next_deadline() == 20.0
    # Anything we send pushes the next ping back.
    conn.tick(12.0)
    conn.publish("t")
    conn.data_to_send()
    assert conn.next_deadline() == 22.0


@pytest.mark.parametrize("version", VERSIONS)
def test_silent_broker_is_dead(version: int) -> None:
    conn = connected(version, keep_alive=10)
    conn.tick(10.0)
    conn.data_to_send()
    conn.tick(14.9)
    assert conn.events() == []
    conn.tick(15.0)
    [event] = conn.events()
    assert isinstance(event, Disconnected)
    assert event.reason_code is None
    assert event.error is not None and event.error.code == R.KEEP_ALIVE_TIMEOUT
    # No DISCONNECT: 0x8D is the server's to send. Just close.
    assert conn.data_to_send() == [b""]


def test_any_packet_answers_a_ping() -> None:
    conn = connected(keep_alive=10)
    conn.tick(10.0)
    conn.data_to_send()
    feed(conn, mqtt.Publish("t"))
    assert conn.next_deadline() == 20.0
    conn.tick(19.0)
    assert conn.events() == [] and conn.state is S.CONNECTED


def test_ping_timeout_longer_than_keep_alive() -> None:
    conn = connected(config=ClientConfig(ping_timeout=25), keep_alive=10)
    conn.tick(10.0)
    conn.tick(20.0)
    assert sent(conn) == [mqtt.Pingreq(), mqtt.Pingreq()]
    assert conn.next_deadline() == 30.0
    conn.tick(30.0)
    # The second PINGREQ did not move the deadline of the first.
    assert conn.next_deadline() == 35.0
    assert sent(conn) == [mqtt.Pingreq()]
    conn.tick(35.0)
    assert isinstance(conn.events()[-1], Disconnected)


def test_connack_must_come_within_the_keep_alive() -> None:
    conn = ClientConnection()
    conn.connect(100.0, keep_alive=10)
    assert conn.next_deadline() == 110.0
    conn.tick(110.0)
    assert isinstance(conn.events()[-1], Disconnected)


def test_keep_alive_zero_needs_no_clock() -> None:
    conn = connected(keep_alive=0)
    assert conn.next_deadline() is None
    conn.tick(1e9)
    assert conn.data_to_send() == [] and conn.events() == []


def test_server_keep_alive_can_disable_pings() -> None:
    conn = connected(connack=mqtt.Connack(properties=P(server_keep_alive=0)), keep_alive=10)
    assert conn.keep_alive == 0
    assert conn.next_deadline() is None


# ---------------------------------------------------------------------------
# Sessions across network connections
# ---------------------------------------------------------------------------


def _session_with_everything(version: int) -> ClientConnection:
    """id 1: QoS 1 sent; id 2: QoS 2 released; id 3: QoS 2 sent; id 4: queued."""
    props = P(receive_maximum=3) if version == 5 else mqtt.Properties()
    config = ClientConfig(max_inflight=3)
    conn = connected(version, config, mqtt.Connack(properties=props), client_id="c")
    conn.publish("t", b"1", qos=1)
    conn.publish("t", b"2", qos=2)
    conn.publish("t", b"3", qos=2)
    conn.publish("t", b"4", qos=1)
    feed(conn, mqtt.Pubrec(2))
    assert [type(p).__name__ for p in sent(conn)] == ["Publish"] * 3 + ["Pubrel"]
    assert (conn.inflight_messages, conn.queued_messages) == (3, 1)
    return conn


@pytest.mark.parametrize("version", VERSIONS)
def test_session_resume_resends_in_order(version: int) -> None:
    conn = _session_with_everything(version)
    conn.publish("t", b"lost")  # QoS 0, never written: gone with the connection
    events = reconnect(conn, mqtt.Connack(session_present=True))
    assert events == [Connected(True, mqtt.Connack(True))]
    assert sent(conn) == [
        mqtt.Pubrel(2),
        mqtt.Publish("t", b"1", qos=1, dup=True, packet_id=1),
        mqtt.Publish("t", b"3", qos=2, dup=True, packet_id=3),
        mqtt.Publish("t", b"4", qos=1, packet_id=4),
    ]
    events = feed(conn, mqtt.Pubcomp(2), mqtt.Puback(1), mqtt.Pubrec(3), mqtt.Puback(4))
    assert [e.packet_id for e in events] == [2, 1, 4]
    feed(conn, mqtt.Pubcomp(3))
    assert conn.inflight_messages == conn.queued_messages == 0


@pytest.mark.parametrize("version", VERSIONS)
def test_session_not_present_reports_losses(version: int) -> None:
    conn = _session_with_everything(version)
    feed(conn, mqtt.Publish("in", qos=2, packet_id=8))  # awaiting PUBREL
    events = reconnect(conn, mqtt.Connack(session_present=False))
    assert events[0] == Connected(False, mqtt.Connack())
    lost = events[1]
    assert isinstance(lost, MessagesLost)
    assert lost.reason == LOSS_SESSION_NOT_PRESENT
    assert [p.packet_id for p in lost.publishes] == [2, 1, 3]
    # The message never sent is sent on the new session.
    assert sent(conn) == [mqtt.Publish("t", b"4", qos=1, packet_id=4)]
    # The incoming QoS 2 state went with the session: id 8 is a new message.
    assert len(feed(conn, mqtt.Publish("in", qos=2, packet_id=8))) == 1
    # Lost ids are free again.
    assert conn.publish("t", qos=1) == 5
    feed(conn, mqtt.Puback(4), mqtt.Puback(5))
    assert conn.publish("t", qos=1) == 6


def test_clean_start_discards_the_session_at_connect() -> None:
    conn = _session_with_everything(5)
    feed(conn, mqtt.Publish("in", qos=2, packet_id=8))  # awaiting PUBREL
    conn.connection_lost()
    conn.connect(1.0, client_id="c", clean_start=True)
    # At once, not at CONNACK: should that CONNACK be lost, the next one's
    # "session present" would be about the new session.
    [lost] = conn.events()
    assert isinstance(lost, MessagesLost) and lost.reason == LOSS_CLEAN_START
    assert [p.packet_id for p in lost.publishes] == [2, 1, 3]
    assert (conn.inflight_messages, conn.queued_messages) == (0, 1)
    conn.data_to_send()
    assert feed(conn, mqtt.Connack()) == [Connected(False, mqtt.Connack())]
    assert sent(conn) == [mqtt.Publish("t", b"4", qos=1, packet_id=4)]
    assert len(feed(conn, mqtt.Publish("in", qos=2, packet_id=8))) == 1


@pytest.mark.parametrize("refused", [False, True])
def test_clean_start_holds_until_a_connack_accepts_it(refused: bool) -> None:
    conn = connected(client_id="c", clean_start=True)
    conn.connection_lost()
    conn.connect(1.0, client_id="c", clean_start=True)
    if refused:
        feed(conn, mqtt.Connack(reason_code=R.SERVER_BUSY))
    conn.connection_lost()  # the CONNECT or its CONNACK was lost
    conn.connect(2.0, client_id="c", clean_start=False)
    assert sent(conn)[0].clean_start is True
    feed(conn, mqtt.Connack())
    conn.connection_lost()
    conn.connect(3.0, client_id="c", clean_start=False)
    assert sent(conn)[0].clean_start is False


def test_resume_respects_the_new_receive_maximum() -> None:
    conn = connected(connack=mqtt.Connack(properties=P(receive_maximum=3)), client_id="c")
    for i in range(3):
        conn.publish("t", bytes([i]), qos=1)
    conn.data_to_send()
    events = reconnect(conn, mqtt.Connack(True, properties=P(receive_maximum=1)))
    assert len(events) == 1
    assert sent(conn) == [mqtt.Publish("t", b"\x00", qos=1, dup=True, packet_id=1)]
    assert conn.queued_messages == 2
    # Held back after a resume, they are DUPs and are lost with the next session.
    conn.publish("t", b"new", qos=1)
    events = reconnect(conn, mqtt.Connack(False))
    assert [p.packet_id for p in events[1].publishes] == [1, 2, 3]
    assert sent(conn) == [mqtt.Publish("t", b"new", qos=1, packet_id=4)]


def test_resume_drops_what_the_new_limits_forbid() -> None:
    conn = connected(connack=mqtt.Connack(properties=P(receive_maximum=1)), client_id="c")
    conn.publish("t", b"x" * 50, qos=1)  # in flight, becomes too large
    conn.publish("t", b"q", qos=2)  # queued, QoS too high after
    conn.publish("t", b"r", qos=1, retain=True)  # queued, retain unavailable after
    conn.publish("t", b"ok", qos=1)  # queued, fine
    conn.data_to_send()
    props = P(maximum_packet_size=30, maximum_qos=1, retain_available=0)
    events = reconnect(conn, mqtt.Connack(True, properties=props))
    lost = events[1]
    assert isinstance(lost, MessagesLost) and lost.reason == LOSS_NOT_ALLOWED
    assert [p.packet_id for p in lost.publishes] == [1, 2, 3]
    assert sent(conn) == [mqtt.Publish("t", b"ok", qos=1, packet_id=4)]


def test_resumed_qos2_in_flight_keeps_its_qos() -> None:
    conn = connected(client_id="c")
    conn.publish("t", qos=2, retain=True)
    conn.data_to_send()
    props = P(maximum_qos=1, retain_available=0)
    events = reconnect(conn, mqtt.Connack(True, properties=props))
    assert len(events) == 1
    assert sent(conn) == [mqtt.Publish("t", qos=2, retain=True, dup=True, packet_id=1)]


@pytest.mark.parametrize("version", VERSIONS)
def test_incoming_qos2_state_survives_a_resume(version: int) -> None:
    conn = connected(version, client_id="c")
    message = mqtt.Publish("a", qos=2, packet_id=4)
    feed(conn, message)
    reconnect(conn, mqtt.Connack(True))
    assert feed(conn, mqtt.Publish("a", qos=2, packet_id=4, dup=True)) == []
    assert sent(conn) == [mqtt.Pubrec(4)]


@pytest.mark.parametrize("version", VERSIONS)
def test_connection_lost(version: int) -> None:
    conn = connected(version, client_id="c")
    conn.publish("t", qos=1)
    conn.connection_lost()
    assert conn.data_to_send() == []
    assert conn.events() == []
    assert conn.state is S.DISCONNECTED
    conn.connection_lost()  # a second report is harmless
    conn.receive_eof()
    conn.receive_data(enc(mqtt.Pingresp(), version))
    assert conn.events() == [] and conn.data_to_send() == []
    assert conn.inflight_messages == 1


@pytest.mark.parametrize("version", VERSIONS)
def test_end_of_stream(version: int) -> None:
    conn = connected(version)
    conn.receive_data(b"")
    conn.receive_eof()
    assert conn.events() == [Disconnected()]
    assert conn.data_to_send() == [b""]
    conn = ClientConnection(version=version)
    conn.connect(0.0)
    conn.receive_eof()
    assert conn.events() == [Disconnected()]


# ---------------------------------------------------------------------------
# DISCONNECT
# ---------------------------------------------------------------------------


def test_broker_disconnect_v5() -> None:
    conn = connected()
    props = P(reason_string="bye", server_reference="other")
    events = feed(conn, mqtt.Disconnect(R.SERVER_SHUTTING_DOWN, props))
    assert events == [Disconnected(R.SERVER_SHUTTING_DOWN, props)]
    assert conn.data_to_send() == [b""]
    assert conn.state is S.DISCONNECTED


def test_broker_disconnect_v4_is_an_error() -> None:
    conn = connected(4)
    conn.receive_data(enc(mqtt.Disconnect(), 4))
    assert_failed(conn, R.PROTOCOL_ERROR)


@pytest.mark.parametrize("version", VERSIONS)
def test_client_disconnect(version: int) -> None:
    conn = connected(version)
    conn.publish("t", qos=1)
    conn.data_to_send()
    conn.disconnect()
    assert sent(conn) == [mqtt.Disconnect(), None]
    assert conn.events() == []
    assert conn.state is S.DISCONNECTED
    with pytest.raises(LocalProtocolError):
        conn.disconnect()
    assert conn.inflight_messages == 1


def test_client_disconnect_while_connecting() -> None:
    conn = ClientConnection()
    conn.connect(0.0)
    conn.data_to_send()
    conn.disconnect(R.DISCONNECT_WITH_WILL_MESSAGE)
    assert sent(conn) == [mqtt.Disconnect(R.DISCONNECT_WITH_WILL_MESSAGE), None]


@pytest.mark.parametrize(
    ("version", "args"),
    [
        (4, (R.UNSPECIFIED_ERROR,)),
        (5, (R.SUCCESS, P(session_expiry_interval=10))),
        (5, (R.RE_AUTHENTICATE,)),
        (5, (300,)),
    ],
)
def test_client_disconnect_misuse(version: int, args: tuple[Any, ...]) -> None:
    conn = connected(version)
    with pytest.raises(LocalProtocolError):
        conn.disconnect(*args)
    assert conn.state is S.CONNECTED
    assert conn.data_to_send() == []


def test_client_disconnect_may_shorten_a_session_expiry() -> None:
    conn = connected(properties=P(session_expiry_interval=100))
    conn.disconnect(properties=P(session_expiry_interval=0))
    assert sent(conn) == [mqtt.Disconnect(properties=P(session_expiry_interval=0)), None]


# ---------------------------------------------------------------------------
# AUTH
# ---------------------------------------------------------------------------


def _authenticating() -> ClientConnection:
    conn = ClientConnection()
    conn.connect(0.0, properties=P(authentication_method="SCRAM", authentication_data=b"hi"))
    conn.data_to_send()
    challenge = P(authentication_method="SCRAM", authentication_data=b"c1")
    assert feed(conn, mqtt.Auth(R.CONTINUE_AUTHENTICATION, challenge)) == [AuthRequested(challenge)]
    assert conn.state is S.AUTHENTICATING
    assert conn.next_deadline() == 30.0
    return conn


def test_enhanced_authentication() -> None:
    conn = _authenticating()
    conn.auth(R.CONTINUE_AUTHENTICATION, P(authentication_data=b"r1"))
    assert sent(conn) == [
        mqtt.Auth(
            R.CONTINUE_AUTHENTICATION, P(authentication_method="SCRAM", authentication_data=b"r1")
        )
    ]
    assert conn.state is S.CONNECTING
    connack = mqtt.Connack(properties=P(authentication_method="SCRAM"))
    assert feed(conn, connack) == [Connected(False, connack)]


def test_authentication_refused() -> None:
    conn = _authenticating()
    events = feed(conn, mqtt.Connack(reason_code=R.BAD_AUTHENTICATION_METHOD))
    assert events == [ConnectionRefused(R.BAD_AUTHENTICATION_METHOD)]
    assert conn.data_to_send() == [b""]


def test_authentication_timeout() -> None:
    conn = _authenticating()
    conn.tick(30.0)
    assert isinstance(conn.events()[-1], Disconnected)


def test_reauthentication() -> None:
    method = P(authentication_method="SCRAM")
    conn = connected(
        connack=mqtt.Connack(properties=method),
        properties=method,
    )
    conn.auth(R.RE_AUTHENTICATE, method)
    assert sent(conn) == [mqtt.Auth(R.RE_AUTHENTICATE, method)]
    assert conn.state is S.REAUTHENTICATING
    # Traffic continues during re-authentication.
    conn.publish("t", qos=1)
    assert feed(conn, mqtt.Auth(R.CONTINUE_AUTHENTICATION, method)) == [AuthRequested(method)]
    assert conn.state is S.REAUTH_CHALLENGED
    with pytest.raises(LocalProtocolError):
        conn.auth(R.RE_AUTHENTICATE)
    conn.auth(R.CONTINUE_AUTHENTICATION)
    assert conn.state is S.REAUTHENTICATING
    assert feed(conn, mqtt.Puback(1), mqtt.Auth(R.SUCCESS, method)) == [
        PublishAcknowledged(1),
        Reauthenticated(method),
    ]
    assert conn.state is S.CONNECTED


@pytest.mark.parametrize(
    ("auth_packet", "connect_props"),
    [
        (mqtt.Auth(R.CONTINUE_AUTHENTICATION), None),
        (mqtt.Auth(R.CONTINUE_AUTHENTICATION, P(authentication_method="x")), "m"),
        (mqtt.Auth(R.CONTINUE_AUTHENTICATION), "m"),
        (mqtt.Auth(R.RE_AUTHENTICATE, P(authentication_method="m")), "m"),
    ],
)
def test_bad_auth_from_broker(auth_packet: mqtt.Auth, connect_props: str | None) -> None:
    conn = ClientConnection()
    props = P(authentication_method=connect_props) if connect_props else mqtt.Properties()
    conn.connect(0.0, properties=props)
    conn.data_to_send()
    conn.receive_data(enc(auth_packet))
    assert_failed(conn, R.PROTOCOL_ERROR)


def test_unsolicited_auth_when_connected_is_an_error() -> None:
    method = P(authentication_method="m")
    conn = connected(connack=mqtt.Connack(properties=method), properties=method)
    conn.receive_data(enc(mqtt.Auth(R.SUCCESS, method)))
    assert_failed(conn, R.PROTOCOL_ERROR)


def test_auth_misuse() -> None:
    with pytest.raises(LocalProtocolError, match=r"3\.1\.1"):
        connected(4).auth(R.RE_AUTHENTICATE)
    conn = connected()
    with pytest.raises(LocalProtocolError, match="Authentication Method"):
        conn.auth(R.RE_AUTHENTICATE)
    with pytest.raises(LocalProtocolError, match="0x18 or 0x19"):
        conn.auth(R.SUCCESS)
    with pytest.raises(LocalProtocolError, match="reason_code"):
        conn.auth(300)
    method = P(authentication_method="m")
    conn = connected(connack=mqtt.Connack(properties=method), properties=method)
    with pytest.raises(LocalProtocolError, match="not allowed"):
        conn.auth(R.CONTINUE_AUTHENTICATION)
    with pytest.raises(LocalProtocolError, match="in use"):
        conn.auth(R.RE_AUTHENTICATE, P(authentication_method="other"))
    assert conn.state is S.CONNECTED and conn.data_to_send() == []


# ---------------------------------------------------------------------------
# Protocol errors and the safety net
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_malformed_bytes(version: int) -> None:
    conn = connected(version)
    conn.receive_data(b"\x00\x00")
    assert_failed(conn, R.MALFORMED_PACKET, mqtt.MalformedPacket)
    # Anything after the end is ignored.
    conn.receive_data(enc(mqtt.Pingresp(), version))
    assert conn.events() == [] and conn.data_to_send() == []


def test_packet_too_large() -> None:
    conn = connected(config=ClientConfig(max_packet_size=100))
    conn.receive_data(enc(mqtt.Publish("t", b"x" * 100)))
    assert_failed(conn, R.PACKET_TOO_LARGE, mqtt.PacketTooLarge)


def test_packets_before_an_error_are_handled() -> None:
    conn = connected()
    conn.receive_data(enc(mqtt.Publish("t", b"1")) + b"\x00\x00")
    first, last = conn.events()
    assert first == MessageReceived(mqtt.Publish("t", b"1"))
    assert isinstance(last, Disconnected)
    assert isinstance(last.error, mqtt.MalformedPacket)
    assert sent(conn) == [mqtt.Disconnect(R.MALFORMED_PACKET), None]


def test_packets_after_the_end_are_ignored() -> None:
    conn = connected()
    conn.receive_data(enc(mqtt.Disconnect()) + enc(mqtt.Publish("t")) + b"\x00\x00")
    assert conn.events() == [Disconnected(0)]
    assert conn.data_to_send() == [b""]


def test_broker_connect_with_unknown_level() -> None:
    conn = connected()
    bad = b"\x10\x0a\x00\x04MQTT\x03\x02\x00\x3c\x00\x00"
    conn.receive_data(bad)
    event = assert_failed(conn, R.PROTOCOL_ERROR, mqtt.UnsupportedProtocolVersion)
    assert event.error is not None and event.error.code == R.UNSUPPORTED_PROTOCOL_VERSION


def test_internal_errors_become_0x83(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(conn: ClientConnection, packet: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setitem(_client._HANDLERS, ClientInput.RECV_PINGRESP, boom)
    conn = connected()
    with caplog.at_level(logging.ERROR, logger="wire.mqtt._client"):
        conn.receive_data(enc(mqtt.Pingresp()))
    assert_failed(conn, R.IMPLEMENTATION_SPECIFIC_ERROR)
    assert "unexpected internal error" in caplog.text


# ---------------------------------------------------------------------------
# Property tests: any bytes, split invariance
# ---------------------------------------------------------------------------


def _fresh(version: int, connack: bool) -> ClientConnection:
    conn = ClientConnection(
        version=version,
        config=ClientConfig(receive_maximum=3, topic_alias_maximum=3, max_packet_size=4096),
    )
    conn.connect(0.0, client_id="c", clean_start=False, keep_alive=10)
    if connack:
        conn.receive_data(enc(mqtt.Connack(), version))
        conn.publish("t", qos=1)
        conn.publish("t", qos=2)
        conn.subscribe(mqtt.Subscription("a/#"))
        conn.unsubscribe("a/#")
    conn.events()
    conn.data_to_send()
    return conn


def _comparable(event: Any) -> Any:
    """Exceptions compare by identity: compare their type, message and code instead."""
    if isinstance(event, Disconnected) and event.error is not None:
        error = event.error
        return (event.reason_code, event.properties, type(error), str(error), error.code)
    return event


def _check_outcome(conn: ClientConnection) -> tuple[list[Any], list[bytes]]:
    events = conn.events()
    out = conn.data_to_send()
    for event in events:
        assert isinstance(event, EVENT_TYPES)
    terminal = [e for e in events if isinstance(e, Disconnected | ConnectionRefused)]
    if conn.state is S.DISCONNECTED:
        assert len(terminal) == 1 and events[-1] is terminal[0]
        assert out and out[-1] == b""
        if isinstance(terminal[0], Disconnected) and terminal[0].error is not None:
            assert isinstance(terminal[0].error, RemoteProtocolError)
    else:
        assert not terminal
        assert b"" not in out
    return [_comparable(e) for e in events], out


_ids = st.integers(1, 5)
_reasons = st.sampled_from([0, 0x10, 0x80, 0x92, 0x97])


def _targeted(version: int) -> st.SearchStrategy[mqtt.Packet]:
    """What a broker sends a client, with packet ids and aliases that hit live state."""
    alias = st.none() | st.integers(1, 4)

    def publish(topic: str, qos: int, packet_id: int, dup: bool, alias: int | None) -> mqtt.Packet:
        props = P(topic_alias=alias) if alias and version == 5 else mqtt.Properties()
        if alias and version == 5 and not topic:
            return mqtt.Publish(
                "", b"p", qos, False, dup and qos > 0, packet_id if qos else None, props
            )
        return mqtt.Publish(
            topic or "t", b"p", qos, False, dup and qos > 0, packet_id if qos else None, props
        )

    acks: list[st.SearchStrategy[mqtt.Packet]] = [
        st.builds(cls, _ids) for cls in (mqtt.Puback, mqtt.Pubrec, mqtt.Pubrel, mqtt.Pubcomp)
    ]
    if version == 5:
        acks.append(st.builds(mqtt.Pubrec, _ids, st.sampled_from([0x10, 0x80, 0x97])))
        acks.append(st.builds(mqtt.Pubcomp, _ids, st.sampled_from([0, 0x92])))
    return st.one_of(
        st.builds(
            publish, st.sampled_from(["", "a/b"]), st.integers(0, 2), _ids, st.booleans(), alias
        ),
        *acks,
        st.builds(
            mqtt.Suback,
            _ids,
            st.lists(st.sampled_from([0, 1, 0x80]), min_size=1, max_size=2).map(tuple),
        ),
        st.builds(mqtt.Unsuback, _ids, st.just((0,) if version == 5 else ())),
        st.just(mqtt.Pingresp()),
        st.builds(mqtt.Connack, st.booleans()),
        st.just(mqtt.Disconnect()),
    )


_STREAMS = {
    version: st.lists(
        st.one_of(
            _targeted(version).map(lambda p, v=version: enc(p, v)),
            packets(version).map(lambda p, v=version: enc(p, v)),
            st.binary(max_size=8),
        ),
        max_size=8,
    ).map(b"".join)
    for version in VERSIONS
}


def _stream(version: int) -> st.SearchStrategy[bytes]:
    return _STREAMS[version]


@pytest.mark.parametrize("connack", [False, True])
@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.binary(max_size=200))
def test_any_bytes_give_events_or_a_terminal_error(
    version: int, connack: bool, data: bytes
) -> None:
    conn = _fresh(version, connack)
    conn.receive_data(data)
    _check_outcome(conn)


@pytest.mark.parametrize("connack", [False, True])
@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_any_packets_give_events_or_a_terminal_error(
    version: int, connack: bool, data: st.DataObject
) -> None:
    conn = _fresh(version, connack)
    conn.receive_data(data.draw(_stream(version)))
    _check_outcome(conn)


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_split_invariance(version: int, data: st.DataObject) -> None:
    stream = enc(mqtt.Connack(), version) + data.draw(_stream(version))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    whole = _fresh(version, connack=False)
    whole.receive_data(stream)
    split = _fresh(version, connack=False)
    start = 0
    for cut in [*cuts, len(stream)]:
        split.receive_data(memoryview(stream)[start:cut])
        start = cut
    assert _check_outcome(split) == _check_outcome(whole)
    assert split.state is whole.state


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_byte_by_byte(version: int, data: st.DataObject) -> None:
    stream = enc(mqtt.Connack(), version) + data.draw(_stream(version))
    whole = _fresh(version, connack=False)
    whole.receive_data(bytearray(stream))
    split = _fresh(version, connack=False)
    for i in range(len(stream)):
        split.receive_data(stream[i : i + 1])
    assert _check_outcome(split) == _check_outcome(whole)
