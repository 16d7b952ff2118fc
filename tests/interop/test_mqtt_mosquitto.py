"""Our MQTT codec talking to a real mosquitto broker, in 3.1.1 and 5.0.

No client library in between: each test opens plain Trio TCP streams, writes
``wire.mqtt.encode(...)`` and reads with ``wire.mqtt.PacketReader``, so every
byte mosquitto sees was written by our encoder and every byte it sends is read by
our decoder. Every read is bounded by ``TIMEOUT``.

What mosquitto decides for itself (assigned client identifiers, packet
identifiers of the messages it forwards) is checked for shape, not value; the
values its defaults fix (Receive Maximum 20, Topic Alias Maximum 10) are pinned
as seen with mosquitto 2.0.11.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio

from wire import mqtt
from wire.mqtt import (
    Connack,
    Connect,
    ConnectReturnCode,
    Disconnect,
    Packet,
    Pingreq,
    Pingresp,
    Properties,
    PropertyId,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    ReasonCode,
    RetainHandling,
    Suback,
    Subscribe,
    Subscription,
    Unsuback,
    Unsubscribe,
    Will,
)

#: Longest wait for any network operation; a healthy broker answers in milliseconds.
TIMEOUT = 5.0

Address = tuple[str, int]
P = Properties.build

VERSIONS = [pytest.param(4, id="3.1.1"), pytest.param(5, id="5.0")]


class Closed(Exception):
    """The broker closed the connection while we waited for a packet."""


class Peer:
    """One MQTT connection: writes our encoding, reads with our PacketReader."""

    def __init__(self, stream: trio.SocketStream, version: int) -> None:
        self.stream = stream
        self.version = version
        self.reader = mqtt.PacketReader(version=version)
        self.pending: list[Packet] = []
        self.eof = False

    async def send(self, *packets: Packet) -> None:
        """Send ``packets`` in one write."""
        await self.send_raw(b"".join(mqtt.encode(p, version=self.version) for p in packets))

    async def send_raw(self, data: bytes) -> None:
        with trio.fail_after(TIMEOUT):
            await self.stream.send_all(data)

    async def _fill(self) -> None:
        """Read once from the socket into ``pending``; sets ``eof`` when it closes."""
        try:
            data = await self.stream.receive_some()
        except trio.BrokenResourceError:  # a reset after the broker gave up on us
            data = b""
        if not data:
            self.eof = True
            return
        self.pending += self.reader.feed(data)

    async def receive(self) -> Packet:
        """The next packet; fails after ``TIMEOUT`` or if the broker closes first."""
        with trio.fail_after(TIMEOUT):
            while not self.pending:
                if self.eof:
                    raise Closed
                await self._fill()
        return self.pending.pop(0)

    async def receive_until_closed(self) -> list[Packet]:
        """Every packet the broker sends before it closes the connection."""
        with trio.fail_after(TIMEOUT):
            while not self.eof:
                await self._fill()
        packets, self.pending = self.pending, []
        return packets

    async def ping(self) -> None:
        """A round trip: everything the broker sent before PINGRESP has been received."""
        await self.send(Pingreq())
        assert await self.receive() == Pingresp()

    async def disconnect(self) -> None:
        """Send DISCONNECT and wait until the broker closes, having sent nothing else."""
        await self.send(Disconnect())
        assert await self.receive_until_closed() == []

    async def aclose(self) -> None:
        with trio.move_on_after(TIMEOUT):
            await self.stream.aclose()


@asynccontextmanager
async def connected(
    address: Address,
    version: int,
    client_id: str,
    *,
    clean_start: bool = True,
    will: Will | None = None,
    properties: Properties | None = None,
) -> AsyncIterator[tuple[Peer, Connack]]:
    """Open a connection, send CONNECT, yield the peer and the CONNACK it got."""
    with trio.fail_after(TIMEOUT):
        stream = await trio.open_tcp_stream(*address)
    peer = Peer(stream, version)
    try:
        await peer.send(
            Connect(
                client_id=client_id,
                clean_start=clean_start,
                keep_alive=60,
                will=will,
                properties=properties or Properties(),
                protocol_level=version,
            )
        )
        connack = await peer.receive()
        assert isinstance(connack, Connack)
        yield peer, connack
    finally:
        await peer.aclose()


@asynccontextmanager
async def client(address: Address, version: int, client_id: str) -> AsyncIterator[Peer]:
    """A connection accepted with a clean session."""
    async with connected(address, version, client_id) as (peer, connack):
        assert connack.reason_code == 0
        assert not connack.session_present
        yield peer


def forwarded(
    received: Packet,
    topic: str,
    payload: bytes,
    *,
    qos: int = 0,
    retain: bool = False,
    properties: Properties | None = None,
) -> int:
    """Check ``received`` is this message; return the packet identifier the broker chose.

    The identifier is the broker's choice, so only its presence is checked (0 for QoS 0).
    """
    assert isinstance(received, Publish)
    packet_id = received.packet_id
    if qos:
        assert packet_id is not None
    assert received == Publish(
        topic,
        payload,
        qos=qos,
        retain=retain,
        packet_id=packet_id,
        properties=properties or Properties(),
    )
    return packet_id or 0


def ok_connack(version: int, *, session_present: bool = False) -> Connack:
    """The CONNACK mosquitto 2.0.11 sends to a named client with default settings."""
    if version == 4:
        return Connack(session_present, ConnectReturnCode.ACCEPTED)
    # Its defaults: max_inflight_messages 20 -> Receive Maximum 20 (3.2.2.3.3);
    # max_topic_alias 10 -> Topic Alias Maximum 10 (3.2.2.3.8).
    return Connack(
        session_present,
        ReasonCode.SUCCESS,
        P(topic_alias_maximum=10, receive_maximum=20),
    )


def mapping(properties: Properties) -> dict[PropertyId, Any]:
    """Properties compared regardless of order (User Properties keep theirs)."""
    return dict(properties.as_mapping())


# ---------------------------------------------------------------------------
# CONNECT / CONNACK
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_connect_connack(mosquitto: Address, version: int) -> None:
    async with connected(mosquitto, version, "interop-connect") as (peer, connack):
        assert connack == ok_connack(version)
        await peer.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
async def test_session_present(mosquitto: Address, version: int) -> None:
    """A kept session is reported by Session Present, and keeps its subscriptions."""
    # 3.1.1 keeps the session while Clean Session is 0; 5.0 needs a Session Expiry
    # Interval as well, or the session ends with the connection (3.1.2.11.2).
    keep = P(session_expiry_interval=60) if version == 5 else None
    async with connected(
        mosquitto, version, "interop-session", clean_start=False, properties=keep
    ) as (peer, connack):
        assert connack == ok_connack(version, session_present=False)
        await peer.send(Subscribe(1, (Subscription("session/t", 1),)))
        assert await peer.receive() == Suback(1, (1,))
        await peer.disconnect()
    async with connected(
        mosquitto, version, "interop-session", clean_start=False, properties=keep
    ) as (peer, connack):
        assert connack == ok_connack(version, session_present=True)
        async with client(mosquitto, version, "interop-session-pub") as publisher:
            await publisher.send(Publish("session/t", b"kept", qos=1, packet_id=1))
            assert await publisher.receive() == Puback(1)
        packet_id = forwarded(await peer.receive(), "session/t", b"kept", qos=1)
        await peer.send(Puback(packet_id))
        await peer.disconnect()
    # Clean start throws the session away.
    async with connected(mosquitto, version, "interop-session", properties=keep) as (
        peer,
        connack,
    ):
        assert connack == ok_connack(version, session_present=False)
        await peer.disconnect()


async def test_assigned_client_identifier(mosquitto: Address) -> None:
    """5.0: an empty Client Identifier is answered with one the server made up."""
    async with connected(mosquitto, 5, "") as (peer, connack):
        assigned = connack.properties.get(PropertyId.ASSIGNED_CLIENT_IDENTIFIER)
        assert isinstance(assigned, str)
        assert re.fullmatch(r"auto-[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}", assigned)
        assert mapping(connack.properties) == {
            PropertyId.TOPIC_ALIAS_MAXIMUM: 10,
            PropertyId.ASSIGNED_CLIENT_IDENTIFIER: assigned,
            PropertyId.RECEIVE_MAXIMUM: 20,
        }
        assert connack.session_present is False
        assert connack.reason_code == ReasonCode.SUCCESS
        await peer.disconnect()


async def test_empty_client_id_in_3_1_1(mosquitto: Address) -> None:
    """3.1.1: an empty Client Identifier is allowed with Clean Session 1 [MQTT-3.1.3-7]."""
    async with connected(mosquitto, 4, "") as (peer, connack):
        assert connack == Connack(False, ConnectReturnCode.ACCEPTED)
        await peer.ping()
        await peer.disconnect()


# ---------------------------------------------------------------------------
# SUBSCRIBE, PUBLISH at every QoS, retained messages, UNSUBSCRIBE
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_subscribe_grants_requested_qos(mosquitto: Address, version: int) -> None:
    async with client(mosquitto, version, "interop-sub") as peer:
        await peer.send(
            Subscribe(
                7,
                (
                    Subscription("grant/zero", 0),
                    Subscription("grant/one", 1),
                    Subscription("grant/two/+", 2),
                    Subscription("grant/#", 1),
                ),
            )
        )
        assert await peer.receive() == Suback(7, (0, 1, 2, 1))
        await peer.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
async def test_publish_every_qos(mosquitto: Address, version: int) -> None:
    """QoS 0, 1 and 2 from one client to another, both halves of each flow (4.3)."""
    async with (
        client(mosquitto, version, "interop-qos-sub") as sub,
        client(mosquitto, version, "interop-qos-pub") as pub,
    ):
        await sub.send(Subscribe(1, (Subscription("qos/t", 2),)))
        assert await sub.receive() == Suback(1, (2,))

        # QoS 0: fire and forget.
        await pub.send(Publish("qos/t", b"zero"))
        forwarded(await sub.receive(), "qos/t", b"zero")

        # QoS 1: PUBLISH / PUBACK on each side.
        await pub.send(Publish("qos/t", b"one", qos=1, packet_id=10))
        assert await pub.receive() == Puback(10)
        packet_id = forwarded(await sub.receive(), "qos/t", b"one", qos=1)
        await sub.send(Puback(packet_id))

        # QoS 2: PUBLISH / PUBREC / PUBREL / PUBCOMP on each side.
        await pub.send(Publish("qos/t", b"two", qos=2, packet_id=11))
        assert await pub.receive() == Pubrec(11)
        await pub.send(Pubrel(11))
        assert await pub.receive() == Pubcomp(11)
        packet_id = forwarded(await sub.receive(), "qos/t", b"two", qos=2)
        await sub.send(Pubrec(packet_id))
        assert await sub.receive() == Pubrel(packet_id)
        await sub.send(Pubcomp(packet_id))

        # Nothing is sent again or left over on either side.
        await sub.ping()
        await pub.ping()
        await sub.disconnect()
        await pub.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
async def test_delivery_qos_is_the_minimum(mosquitto: Address, version: int) -> None:
    """A message is delivered at the lower of its QoS and the granted one (3.8.4)."""
    async with (
        client(mosquitto, version, "interop-min-sub") as sub,
        client(mosquitto, version, "interop-min-pub") as pub,
    ):
        await sub.send(Subscribe(1, (Subscription("min/t", 1),)))
        assert await sub.receive() == Suback(1, (1,))
        await pub.send(Publish("min/t", b"down", qos=2, packet_id=1))
        assert await pub.receive() == Pubrec(1)
        await pub.send(Pubrel(1))
        assert await pub.receive() == Pubcomp(1)
        packet_id = forwarded(await sub.receive(), "min/t", b"down", qos=1)
        await sub.send(Puback(packet_id))
        await sub.ping()


@pytest.mark.parametrize("version", VERSIONS)
async def test_retained_message(mosquitto: Address, version: int) -> None:
    async with client(mosquitto, version, "interop-retain-pub") as pub:
        await pub.send(Publish("retained/t", b"kept", qos=1, retain=True, packet_id=1))
        # 5.0 tells the publisher nobody was subscribed (3.4.2.1, 0x10).
        nobody = ReasonCode.NO_MATCHING_SUBSCRIBERS if version == 5 else ReasonCode.SUCCESS
        assert await pub.receive() == Puback(1, nobody)

        async with client(mosquitto, version, "interop-retain-sub") as sub:
            await sub.send(Subscribe(1, (Subscription("retained/#", 1),)))
            assert await sub.receive() == Suback(1, (1,))
            # Sent because of a new subscription: RETAIN 1 (3.1.1 [MQTT-3.3.1-8]; 5.0 3.3.1.3).
            packet_id = forwarded(await sub.receive(), "retained/t", b"kept", qos=1, retain=True)
            await sub.send(Puback(packet_id))

            # An empty retained message clears the one kept (3.3.1.3). Forwarded to an
            # existing subscription it has RETAIN 0 (3.1.1 [MQTT-3.3.1-9]; 5.0: Retain As
            # Published is 0, [MQTT-3.3.1-12]).
            await pub.send(Publish("retained/t", b"", retain=True))
            forwarded(await sub.receive(), "retained/t", b"")
            await sub.ping()

        async with client(mosquitto, version, "interop-retain-late") as late:
            await late.send(Subscribe(1, (Subscription("retained/#", 1),)))
            assert await late.receive() == Suback(1, (1,))
            await late.ping()  # and no retained message before the PINGRESP


async def test_retain_handling_and_retain_as_published(mosquitto: Address) -> None:
    """5.0 subscription options: Retain Handling 2 and Retain As Published (3.8.3.1)."""
    async with client(mosquitto, 5, "interop-rh-pub") as pub:
        await pub.send(Publish("rh/t", b"kept", retain=True))
        await pub.ping()
        async with client(mosquitto, 5, "interop-rh-sub") as sub:
            await sub.send(
                Subscribe(
                    1,
                    (
                        Subscription(
                            "rh/t",
                            0,
                            retain_as_published=True,
                            retain_handling=RetainHandling.DO_NOT_SEND,
                        ),
                    ),
                )
            )
            assert await sub.receive() == Suback(1, (0,))
            await sub.ping()  # Retain Handling 2: no retained message on subscribe
            await pub.send(Publish("rh/t", b"live", retain=True))
            forwarded(await sub.receive(), "rh/t", b"live", retain=True)


@pytest.mark.parametrize("version", VERSIONS)
async def test_unsubscribe_stops_delivery(mosquitto: Address, version: int) -> None:
    async with (
        client(mosquitto, version, "interop-unsub-sub") as sub,
        client(mosquitto, version, "interop-unsub-pub") as pub,
    ):
        await sub.send(Subscribe(1, (Subscription("unsub/a", 1), Subscription("unsub/b", 1))))
        assert await sub.receive() == Suback(1, (1, 1))
        await sub.send(Unsubscribe(2, ("unsub/a",)))
        expected = Unsuback(2, (ReasonCode.SUCCESS,)) if version == 5 else Unsuback(2)
        assert await sub.receive() == expected
        if version == 5:
            await sub.send(Unsubscribe(3, ("unsub/never",)))
            assert await sub.receive() == Unsuback(3, (ReasonCode.NO_SUBSCRIPTION_EXISTED,))

        await pub.send(Publish("unsub/a", b"dropped", qos=1, packet_id=1))
        nobody = ReasonCode.NO_MATCHING_SUBSCRIBERS if version == 5 else ReasonCode.SUCCESS
        assert await pub.receive() == Puback(1, nobody)
        await pub.send(Publish("unsub/b", b"delivered", qos=1, packet_id=2))
        assert await pub.receive() == Puback(2)
        # mosquitto keeps one publisher's order; the first message to arrive is the second.
        packet_id = forwarded(await sub.receive(), "unsub/b", b"delivered", qos=1)
        await sub.send(Puback(packet_id))
        await sub.ping()


# ---------------------------------------------------------------------------
# PINGREQ, DISCONNECT, Will
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_pingreq_pingresp(mosquitto: Address, version: int) -> None:
    async with client(mosquitto, version, "interop-ping") as peer:
        await peer.send(Pingreq(), Pingreq(), Pingreq())
        assert [await peer.receive() for _ in range(3)] == [Pingresp()] * 3
        await peer.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
async def test_disconnect_drops_will(mosquitto: Address, version: int) -> None:
    """A normal DISCONNECT closes the connection and discards the Will [MQTT-3.14.4-3]."""
    async with client(mosquitto, version, "interop-will-watch") as watcher:
        await watcher.send(Subscribe(1, (Subscription("will/#", 1),)))
        assert await watcher.receive() == Suback(1, (1,))
        async with connected(
            mosquitto, version, "interop-will", will=Will("will/t", b"gone", qos=1)
        ) as (peer, connack):
            assert connack == ok_connack(version)
            await peer.disconnect()
        async with client(mosquitto, version, "interop-will-after") as after:
            await after.send(Publish("will/after", b"next", qos=1, packet_id=1))
            assert await after.receive() == Puback(1)
        # The first message the watcher gets is the one sent after the DISCONNECT.
        packet_id = forwarded(await watcher.receive(), "will/after", b"next", qos=1)
        await watcher.send(Puback(packet_id))
        await watcher.ping()


@pytest.mark.parametrize("version", VERSIONS)
async def test_will_published(mosquitto: Address, version: int) -> None:
    """The Will is published when the connection drops without a normal DISCONNECT.

    3.1.1: closing the socket (3.1.2.5). 5.0: DISCONNECT with 0x04 (3.14.2.1).
    """
    async with client(mosquitto, version, "interop-will-watch") as watcher:
        await watcher.send(Subscribe(1, (Subscription("will/#", 1),)))
        assert await watcher.receive() == Suback(1, (1,))
        will = Will(
            "will/t",
            b"gone",
            qos=1,
            properties=P(content_type="text/plain") if version == 5 else Properties(),
        )
        async with connected(mosquitto, version, "interop-will", will=will) as (peer, connack):
            assert connack == ok_connack(version)
            if version == 5:
                await peer.send(Disconnect(ReasonCode.DISCONNECT_WITH_WILL_MESSAGE))
                assert await peer.receive_until_closed() == []
        packet_id = forwarded(
            await watcher.receive(), "will/t", b"gone", qos=1, properties=will.properties
        )
        await watcher.send(Puback(packet_id))
        await watcher.ping()


# ---------------------------------------------------------------------------
# MQTT 5.0 only
# ---------------------------------------------------------------------------


async def test_publish_properties_round_trip(mosquitto: Address) -> None:
    """PUBLISH properties reach the subscriber (3.3.2.3); User Properties keep their order."""
    sent = P(
        payload_format_indicator=1,
        message_expiry_interval=60,
        content_type="application/json",
        response_topic="reply/to/me",
        correlation_data=b"\x00\x01corr\xff",
        user_property=[("b", "1"), ("a", "2"), ("b", "3"), ("ünï", "cödé")],
    )
    async with (
        client(mosquitto, 5, "interop-props-sub") as sub,
        client(mosquitto, 5, "interop-props-pub") as pub,
    ):
        await sub.send(Subscribe(1, (Subscription("props/t", 1),)))
        assert await sub.receive() == Suback(1, (1,))
        await pub.send(Publish("props/t", b'{"x": 1}', qos=1, packet_id=5, properties=sent))
        assert await pub.receive() == Puback(5)
        received = await sub.receive()
        assert isinstance(received, Publish)
        assert received.packet_id is not None
        await sub.send(Puback(received.packet_id))
        got = mapping(received.properties)
        # [MQTT-3.3.2-6]: the expiry forwarded is what is left of it.
        expiry = got.pop(PropertyId.MESSAGE_EXPIRY_INTERVAL)
        assert isinstance(expiry, int)
        assert 55 <= expiry <= 60
        expected = mapping(sent)
        del expected[PropertyId.MESSAGE_EXPIRY_INTERVAL]
        assert got == expected
        # [MQTT-3.3.2-18]: the order of User Properties is kept.
        assert received.properties.user_properties == sent.user_properties
        assert (received.topic_name, received.payload, received.qos) == ("props/t", b'{"x": 1}', 1)
        assert (received.retain, received.dup) == (False, False)


async def test_subscription_identifiers(mosquitto: Address) -> None:
    """Subscription Identifiers come back in the PUBLISH they caused (3.3.2.3.8)."""
    async with (
        client(mosquitto, 5, "interop-sid-sub") as sub,
        client(mosquitto, 5, "interop-sid-pub") as pub,
    ):
        await sub.send(
            Subscribe(1, (Subscription("sid/+", 1),), P(subscription_identifier=[7])),
            Subscribe(2, (Subscription("sid/#", 1),), P(subscription_identifier=[268_435_455])),
            Subscribe(3, (Subscription("sid/only/this", 1),), P(subscription_identifier=[300])),
        )
        assert [await sub.receive() for _ in range(3)] == [
            Suback(1, (1,)),
            Suback(2, (1,)),
            Suback(3, (1,)),
        ]
        # Matches "sid/+" and "sid/#": mosquitto sends one PUBLISH per subscription,
        # each with that subscription's identifier (3.3.4 [MQTT-3.3.4-5]).
        await pub.send(Publish("sid/x", b"both", qos=1, packet_id=1))
        assert await pub.receive() == Puback(1)
        first, second = await sub.receive(), await sub.receive()
        identifiers = []
        for received in (first, second):
            assert isinstance(received, Publish)
            assert received.packet_id is not None
            assert (received.topic_name, received.payload) == ("sid/x", b"both")
            ids = received.properties.get_all(PropertyId.SUBSCRIPTION_IDENTIFIER)
            assert len(ids) == 1
            identifiers += ids
            await sub.send(Puback(received.packet_id))
        assert sorted(identifiers) == [7, 268_435_455]

        # Matches "sid/#" and "sid/only/this": 300 is a two-byte Variable Byte Integer.
        await pub.send(Publish("sid/only/this", b"deep"))
        ids = []
        for _ in range(2):
            received = await sub.receive()
            assert isinstance(received, Publish)
            ids += received.properties.get_all(PropertyId.SUBSCRIPTION_IDENTIFIER)
        assert sorted(ids) == [300, 268_435_455]
        await sub.ping()


async def test_topic_alias_from_client(mosquitto: Address) -> None:
    """A Topic Alias set by the client stands for its topic afterwards (3.3.2.3.4)."""
    async with (
        client(mosquitto, 5, "interop-alias-sub") as sub,
        connected(mosquitto, 5, "interop-alias-pub") as (pub, connack),
    ):
        assert connack.properties.get(PropertyId.TOPIC_ALIAS_MAXIMUM) == 10
        await sub.send(Subscribe(1, (Subscription("alias/#", 0),)))
        assert await sub.receive() == Suback(1, (0,))
        await pub.send(
            Publish("alias/long/topic/name", b"1", properties=P(topic_alias=1)),
            Publish("", b"2", properties=P(topic_alias=1)),
            Publish("alias/other", b"3", properties=P(topic_alias=10)),
            Publish("", b"4", properties=P(topic_alias=10)),
            # Re-map alias 1 to another topic.
            Publish("alias/again", b"5", properties=P(topic_alias=1)),
            Publish("", b"6", properties=P(topic_alias=1)),
        )
        topics = [
            "alias/long/topic/name",
            "alias/long/topic/name",
            "alias/other",
            "alias/other",
            "alias/again",
            "alias/again",
        ]
        for number, topic in enumerate(topics, start=1):
            # mosquitto never assigns Topic Aliases towards its clients.
            assert await sub.receive() == Publish(topic, str(number).encode())
        await pub.ping()


async def test_topic_alias_over_maximum(mosquitto: Address) -> None:
    """An alias above the server's Topic Alias Maximum ends with 0x94 [MQTT-3.3.2-9]."""
    async with connected(mosquitto, 5, "interop-alias-bad") as (pub, connack):
        assert connack.properties.get(PropertyId.TOPIC_ALIAS_MAXIMUM) == 10
        await pub.send(Publish("alias/t", b"x", properties=P(topic_alias=11)))
        assert await pub.receive_until_closed() == [Disconnect(ReasonCode.TOPIC_ALIAS_INVALID)]


async def test_duplicate_subscription_identifier_in_subscribe(mosquitto: Address) -> None:
    """Two Subscription Identifiers in a SUBSCRIBE are a Protocol Error (3.8.2.1.2).

    Our encoder refuses to write it, so the bytes are spelled out; mosquitto 2.0.11
    closes the connection without a DISCONNECT, and our decoder rejects it too.
    """
    data = b"\x82\x0b\x00\x01\x04\x0b\x01\x0b\x02\x00\x01a\x00"
    with pytest.raises(mqtt.MQTTProtocolError):
        mqtt.decode(data, version=5)
    async with client(mosquitto, 5, "interop-dup-sid") as peer:
        await peer.send_raw(data)
        assert await peer.receive_until_closed() == []


# ---------------------------------------------------------------------------
# Malformed packets from us
# ---------------------------------------------------------------------------

_M = mqtt.MalformedPacket

#: (bytes, the error our decoder raises, whether mosquitto 2.0.11 sends DISCONNECT 0x81
#: before closing in 5.0). In 3.1.1 there is no DISCONNECT from a server (4.8): it closes.
MALFORMED = [
    pytest.param(b"\x36\x05\x00\x01t\x00\x01", _M, True, id="publish-qos-3"),  # [MQTT-3.3.1-4]
    pytest.param(b"\x30\x04\x00\x02\xc3\x28", _M, True, id="topic-not-utf8"),  # [MQTT-1.5.4-1]
    # [MQTT-3.3.2-2]: we answer 0x90 Topic Name invalid, mosquitto 0x81.
    pytest.param(b"\x30\x03\x00\x01+", mqtt.TopicNameInvalid, True, id="wildcard-in-topic"),
    pytest.param(b"\x82\x05\x00\x01\x00\x00\x00", _M, True, id="subscription-options-missing"),
    pytest.param(b"\x60\x02\x00\x01", _M, False, id="pubrel-flags"),  # [MQTT-3.6.1-1]
    pytest.param(b"\x30\xff\xff\xff\xff\x01", _M, False, id="remaining-length-5-bytes"),  # 1.5.5
    pytest.param(b"\x40\x02\x00\x00", _M, False, id="packet-id-0"),  # 2.2.1 [MQTT-2.2.1-5]
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("data", "error", "disconnect_first"), MALFORMED)
async def test_malformed_packet_closes_connection(
    mosquitto: Address,
    version: int,
    data: bytes,
    error: type[mqtt.MQTTRemoteError],
    disconnect_first: bool,
) -> None:
    """mosquitto closes the connection; in 5.0 it first sends DISCONNECT 0x81 for some.

    Our decoder agrees that each of these is invalid.
    """
    with pytest.raises(error):
        mqtt.decode(data, version=version)
    async with client(mosquitto, version, "interop-malformed") as peer:
        await peer.send_raw(data)
        closing = await peer.receive_until_closed()
    if version == 5 and disconnect_first:
        assert closing == [Disconnect(ReasonCode.MALFORMED_PACKET)]
    else:
        assert closing == []
