"""Broker conformance checks, keyed by MQTT normative statement.

Each check opens its own connections to the target with unique client ids and
topics under ``wire-conform/<random>/``, so checks can run side by side and
against a broker that serves other clients. Statement ids are the ones of the
OASIS standards (3.1.1 and 5.0 number them separately); a few checks of
behaviour the standards describe without an id use the section number.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import TypeVar

import trio

from servers.conform._runner import Check, CheckFailed, Suite
from wire import mqtt
from wire.mqtt import Properties, PropertyId, ReasonCode

__all__ = ["SUITE"]

P = TypeVar("P")


class RawClient:
    """A bare client over TCP: our codec, explicit reads with timeouts."""

    def __init__(self, stream: trio.SocketStream, version: int) -> None:
        self.stream = stream
        self.version = version
        self.reader = mqtt.PacketReader(version=version, max_packet_size=1 << 24)
        self.pending: list[mqtt.Packet] = []

    @classmethod
    async def open(cls, target: tuple[str, int], version: int) -> RawClient:
        return cls(await trio.open_tcp_stream(*target), version)

    async def send(self, *packets: mqtt.Packet) -> None:
        await self.send_raw(b"".join(mqtt.encode(p, version=self.version) for p in packets))

    async def send_raw(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def _fill(self) -> bool:
        try:
            data = await self.stream.receive_some(65536)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return False
        if not data:
            return False
        try:
            self.pending += self.reader.feed(data)
        except mqtt.MQTTRemoteError as exc:
            raise CheckFailed(f"the broker sent malformed bytes: {exc}") from None
        return True

    async def receive(self, timeout: float = 3.0) -> mqtt.Packet:
        with trio.move_on_after(timeout):
            while not self.pending:
                if not await self._fill():
                    raise CheckFailed("the broker closed the connection")
            return self.pending.pop(0)
        raise CheckFailed(f"nothing received within {timeout:g} s")

    async def expect(self, kind: type[P], timeout: float = 3.0) -> P:
        packet = await self.receive(timeout)
        if not isinstance(packet, kind):
            raise CheckFailed(f"expected {kind.__name__}, got {packet!r}")
        return packet

    async def nothing(self, seconds: float = 0.5) -> None:
        """Nothing may arrive for ``seconds`` (PINGREQ/PINGRESP aside)."""
        with trio.move_on_after(seconds):
            while True:
                if self.pending:
                    raise CheckFailed(f"unexpected {self.pending[0]!r}")
                if not await self._fill():
                    return

    async def closed(self, timeout: float = 3.0) -> list[mqtt.Packet]:
        """Wait for the broker to close; returns what it sent before."""
        with trio.move_on_after(timeout):
            while await self._fill():
                pass
            seen, self.pending = self.pending, []
            return seen
        raise CheckFailed(f"the broker did not close the connection within {timeout:g} s")

    async def aclose(self) -> None:
        await trio.aclose_forcefully(self.stream)


def _name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


async def _connect(
    target: tuple[str, int], version: int, client_id: str | None = None, **kwargs: object
) -> tuple[RawClient, mqtt.Connack]:
    client = await RawClient.open(target, version)
    await client.send(
        mqtt.Connect(
            client_id=_name("conform") if client_id is None else client_id,
            protocol_level=version,
            **kwargs,  # type: ignore[arg-type]
        )
    )
    connack = await client.expect(mqtt.Connack)
    if connack.reason_code != 0:
        raise CheckFailed(f"CONNECT refused: {connack!r}")
    return client, connack


async def _subscribe(
    client: RawClient, *subscriptions: mqtt.Subscription, properties: Properties | None = None
) -> tuple[int, ...]:
    await client.send(mqtt.Subscribe(7, subscriptions, properties or Properties()))
    suback = await client.expect(mqtt.Suback)
    if suback.packet_id != 7:
        raise CheckFailed(f"SUBACK packet id {suback.packet_id}, expected 7")
    return suback.reason_codes


def _topic(leaf: str = "t") -> str:
    return f"wire-conform/{secrets.token_hex(4)}/{leaf}"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


async def _publish_and_ack(client: RawClient, publish: mqtt.Publish) -> None:
    await client.send(publish)
    if publish.qos == 1:
        await client.expect(mqtt.Puback)
    elif publish.qos == 2:
        pubrec = await client.expect(mqtt.Pubrec)
        await client.send(mqtt.Pubrel(pubrec.packet_id))
        await client.expect(mqtt.Pubcomp)


# -- the checks; each takes (target, version) ---------------------------------------------


async def first_packet_must_be_connect(target: tuple[str, int], version: int) -> None:
    client = await RawClient.open(target, version)
    await client.send(mqtt.Pingreq())
    seen = await client.closed()
    _require(not any(isinstance(p, mqtt.Pingresp) for p in seen), "PINGREQ before CONNECT answered")


async def second_connect_is_a_protocol_error(target: tuple[str, int], version: int) -> None:
    client, _ = await _connect(target, version)
    await client.send(mqtt.Connect(client_id=_name("again"), protocol_level=version))
    seen = await client.closed()
    _require(not any(isinstance(p, mqtt.Connack) for p in seen), "a second CONNACK was sent")


async def reserved_connect_flag_closes(target: tuple[str, int], version: int) -> None:
    client = await RawClient.open(target, version)
    data = bytearray(mqtt.encode(mqtt.Connect(client_id=_name("flag"), protocol_level=version)))
    data[9] |= 0x01  # the reserved bit of the Connect Flags
    await client.send_raw(bytes(data))
    seen = await client.closed()
    accepted = [p for p in seen if isinstance(p, mqtt.Connack) and p.reason_code == 0]
    _require(not accepted, "CONNECT with the reserved flag set was accepted")


async def unsupported_level_refused(target: tuple[str, int], version: int) -> None:
    client = await RawClient.open(target, 4)
    data = bytearray(mqtt.encode(mqtt.Connect(client_id=_name("level"), protocol_level=4)))
    data[8] = 6  # protocol level 6 does not exist
    await client.send_raw(bytes(data))
    seen = await client.closed()
    codes = [p.reason_code for p in seen if isinstance(p, mqtt.Connack)]
    _require(codes in ([], [0x01], [0x84]), f"CONNACK codes {codes}, expected 0x01 or 0x84")


async def empty_client_id_needs_clean_session(target: tuple[str, int], version: int) -> None:
    client = await RawClient.open(target, 4)
    await client.send(mqtt.Connect(client_id="", clean_start=False, protocol_level=4))
    seen = await client.closed()
    codes = [p.reason_code for p in seen if isinstance(p, mqtt.Connack)]
    _require(codes == [0x02], f"CONNACK codes {codes}, expected [0x02] identifier rejected")


async def empty_client_id_is_assigned(target: tuple[str, int], version: int) -> None:
    client, connack = await _connect(target, 5, client_id="")
    assigned = connack.properties.get(PropertyId.ASSIGNED_CLIENT_IDENTIFIER)
    _require(isinstance(assigned, str) and bool(assigned), "no Assigned Client Identifier")
    await client.aclose()


async def clean_start_has_no_session(target: tuple[str, int], version: int) -> None:
    client_id = _name("clean")
    client, connack = await _connect(target, version, client_id, clean_start=True)
    _require(not connack.session_present, "Session Present 1 after Clean Start")
    await client.aclose()


async def session_present_on_resume(target: tuple[str, int], version: int) -> None:
    client_id = _name("resume")
    props = Properties.build(session_expiry_interval=60) if version == 5 else Properties()
    first, _ = await _connect(target, version, client_id, clean_start=False, properties=props)
    await _subscribe(first, mqtt.Subscription(_topic(), qos=1))
    await first.send(mqtt.Disconnect())
    await first.closed()
    second, connack = await _connect(
        target, version, client_id, clean_start=False, properties=props
    )
    _require(connack.session_present, "Session Present 0 for an existing session")
    await second.send(
        mqtt.Disconnect(properties=Properties.build(session_expiry_interval=0))
        if version == 5
        else mqtt.Disconnect()
    )
    await second.closed()


async def queued_messages_delivered_on_resume(target: tuple[str, int], version: int) -> None:
    client_id = _name("queued")
    topic = _topic()
    props = Properties.build(session_expiry_interval=60) if version == 5 else Properties()
    sub, _ = await _connect(target, version, client_id, clean_start=False, properties=props)
    await _subscribe(sub, mqtt.Subscription(topic, qos=1))
    await sub.send(mqtt.Disconnect())
    await sub.closed()
    pub, _ = await _connect(target, version)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"while away", qos=1, packet_id=1))
    sub, _ = await _connect(target, version, client_id, clean_start=False, properties=props)
    message = await sub.expect(mqtt.Publish)
    _require(message.payload == b"while away", f"got {message.payload!r}")
    _require(message.qos == 1, f"QoS {message.qos}, expected 1")
    await sub.send(mqtt.Puback(message.packet_id or 1))
    await sub.aclose()
    await pub.aclose()


async def retained_delivered_to_new_subscriber(target: tuple[str, int], version: int) -> None:
    topic = _topic("retained")
    pub, _ = await _connect(target, version)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"kept", qos=1, retain=True, packet_id=1))
    sub, _ = await _connect(target, version)
    await _subscribe(sub, mqtt.Subscription(topic, qos=1))
    message = await sub.expect(mqtt.Publish)
    _require(message.payload == b"kept", f"payload {message.payload!r}")
    _require(message.retain, "a retained message delivered on subscribe must have RETAIN 1")
    await pub.send(mqtt.Publish(topic, b"", retain=True))  # clean up
    await pub.send(mqtt.Pingreq())
    await pub.expect(mqtt.Pingresp)


async def empty_retained_clears(target: tuple[str, int], version: int) -> None:
    topic = _topic("cleared")
    pub, _ = await _connect(target, version)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"old", qos=1, retain=True, packet_id=1))
    await _publish_and_ack(pub, mqtt.Publish(topic, b"", qos=1, retain=True, packet_id=2))
    sub, _ = await _connect(target, version)
    await _subscribe(sub, mqtt.Subscription(topic, qos=1))
    await sub.nothing()


async def live_delivery_clears_retain(target: tuple[str, int], version: int) -> None:
    topic = _topic("live")
    sub, _ = await _connect(target, version)
    await _subscribe(sub, mqtt.Subscription(topic))
    pub, _ = await _connect(target, version)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"now", qos=1, retain=True, packet_id=1))
    message = await sub.expect(mqtt.Publish)
    _require(not message.retain, "a live delivery to an existing subscription kept RETAIN 1")
    await pub.send(mqtt.Publish(topic, b"", retain=True))


async def qos_is_downgraded(target: tuple[str, int], version: int) -> None:
    topic = _topic()
    sub, _ = await _connect(target, version)
    await _subscribe(sub, mqtt.Subscription(topic, qos=0))
    pub, _ = await _connect(target, version)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"q2", qos=2, packet_id=1))
    message = await sub.expect(mqtt.Publish)
    _require(message.qos == 0, f"delivered at QoS {message.qos} to a QoS 0 subscription")


async def qos1_flow(target: tuple[str, int], version: int) -> None:
    topic = _topic()
    sub, _ = await _connect(target, version)
    granted = await _subscribe(sub, mqtt.Subscription(topic, qos=1))
    _require(granted == (1,), f"granted {granted}, expected (1,)")
    pub, _ = await _connect(target, version)
    await pub.send(mqtt.Publish(topic, b"one", qos=1, packet_id=42))
    puback = await pub.expect(mqtt.Puback)
    _require(puback.packet_id == 42, f"PUBACK for {puback.packet_id}, expected 42")
    message = await sub.expect(mqtt.Publish)
    _require(message.qos == 1 and message.packet_id is not None, f"got {message!r}")


async def qos2_exactly_once(target: tuple[str, int], version: int) -> None:
    topic = _topic()
    sub, _ = await _connect(target, version)
    await _subscribe(sub, mqtt.Subscription(topic, qos=2))
    pub, _ = await _connect(target, version)
    publish = mqtt.Publish(topic, b"once", qos=2, packet_id=9)
    await pub.send(publish)
    pubrec = await pub.expect(mqtt.Pubrec)
    _require(pubrec.packet_id == 9, f"PUBREC for {pubrec.packet_id}")
    # A resend before PUBREL must not be delivered again ([MQTT-4.3.3-10] in 5.0).
    await pub.send(mqtt.Publish(topic, b"once", qos=2, dup=True, packet_id=9))
    await pub.expect(mqtt.Pubrec)
    await pub.send(mqtt.Pubrel(9))
    pubcomp = await pub.expect(mqtt.Pubcomp)
    _require(pubcomp.packet_id == 9, f"PUBCOMP for {pubcomp.packet_id}")
    message = await sub.expect(mqtt.Publish)
    _require(message.qos == 2, f"QoS {message.qos}")
    await sub.send(mqtt.Pubrec(message.packet_id or 1))
    pubrel = await sub.expect(mqtt.Pubrel)
    _require(pubrel.packet_id == message.packet_id, "PUBREL for another packet id")
    await sub.send(mqtt.Pubcomp(pubrel.packet_id))
    await sub.nothing()


async def unsubscribe_stops_delivery(target: tuple[str, int], version: int) -> None:
    topic = _topic()
    sub, _ = await _connect(target, version)
    await _subscribe(sub, mqtt.Subscription(topic))
    await sub.send(mqtt.Unsubscribe(11, (topic,)))
    unsuback = await sub.expect(mqtt.Unsuback)
    _require(unsuback.packet_id == 11, f"UNSUBACK for {unsuback.packet_id}")
    pub, _ = await _connect(target, version)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"gone", qos=1, packet_id=1))
    await sub.nothing()


async def unsubscribe_unknown_reports_0x11(target: tuple[str, int], version: int) -> None:
    sub, _ = await _connect(target, 5)
    await sub.send(mqtt.Unsubscribe(3, (_topic(),)))
    unsuback = await sub.expect(mqtt.Unsuback)
    _require(unsuback.reason_codes == (0x11,), f"codes {unsuback.reason_codes}, expected 0x11")


async def pingreq_answered(target: tuple[str, int], version: int) -> None:
    client, _ = await _connect(target, version)
    await client.send(mqtt.Pingreq())
    await client.expect(mqtt.Pingresp)


async def wildcard_topic_name_refused(target: tuple[str, int], version: int) -> None:
    client, _ = await _connect(target, version)
    await client.send_raw(b"\x30\x05\x00\x03a/+" if version == 4 else b"\x30\x06\x00\x03a/+\x00")
    seen = await client.closed()
    _require(all(isinstance(p, mqtt.Disconnect) for p in seen), f"sent {seen!r} before closing")


async def will_on_abrupt_close(target: tuple[str, int], version: int) -> None:
    topic = _topic("will")
    watcher, _ = await _connect(target, version)
    await _subscribe(watcher, mqtt.Subscription(topic))
    dying, _ = await _connect(target, version, will=mqtt.Will(topic, b"gone"))
    await dying.aclose()
    message = await watcher.expect(mqtt.Publish)
    _require(message.payload == b"gone", f"will payload {message.payload!r}")


async def no_will_on_disconnect(target: tuple[str, int], version: int) -> None:
    topic = _topic("will")
    watcher, _ = await _connect(target, version)
    await _subscribe(watcher, mqtt.Subscription(topic))
    leaving, _ = await _connect(target, version, will=mqtt.Will(topic, b"should not"))
    await leaving.send(mqtt.Disconnect())
    await leaving.closed()
    await watcher.nothing()


async def will_on_disconnect_with_will(target: tuple[str, int], version: int) -> None:
    topic = _topic("will")
    watcher, _ = await _connect(target, 5)
    await _subscribe(watcher, mqtt.Subscription(topic))
    leaving, _ = await _connect(target, 5, will=mqtt.Will(topic, b"asked"))
    await leaving.send(mqtt.Disconnect(ReasonCode.DISCONNECT_WITH_WILL_MESSAGE))
    message = await watcher.expect(mqtt.Publish)
    _require(message.payload == b"asked", f"will payload {message.payload!r}")


async def dollar_topics_not_matched_by_wildcards(target: tuple[str, int], version: int) -> None:
    client, _ = await _connect(target, version)
    await _subscribe(client, mqtt.Subscription("#"))
    pub, _ = await _connect(target, version)
    marker = _topic("marker")
    await _publish_and_ack(pub, mqtt.Publish(marker, b"x", qos=1, packet_id=1))
    # Everything up to the marker is fair; "$" topics must never appear.
    with trio.move_on_after(2):
        while True:
            message = await client.expect(mqtt.Publish)
            _require(not message.topic_name.startswith("$"), f"'#' matched {message.topic_name}")
            if message.topic_name == marker:
                return
    raise CheckFailed("the marker message never arrived")


async def keep_alive_enforced(target: tuple[str, int], version: int) -> None:
    client, _ = await _connect(target, version, keep_alive=1)
    seen = await client.closed(timeout=4)
    if version == 5:
        codes = [p.reason_code for p in seen if isinstance(p, mqtt.Disconnect)]
        _require(codes in ([], [0x8D]), f"DISCONNECT codes {codes}")


async def session_taken_over(target: tuple[str, int], version: int) -> None:
    client_id = _name("takeover")
    old, _ = await _connect(target, version, client_id)
    new, _ = await _connect(target, version, client_id)
    seen = await old.closed()
    if version == 5:
        codes = [p.reason_code for p in seen if isinstance(p, mqtt.Disconnect)]
        _require(codes == [0x8E], f"DISCONNECT codes {codes}, expected [0x8E]")
    await new.send(mqtt.Pingreq())
    await new.expect(mqtt.Pingresp)


async def no_local(target: tuple[str, int], version: int) -> None:
    topic = _topic()
    client, _ = await _connect(target, 5)
    await _subscribe(client, mqtt.Subscription(topic, no_local=True))
    await _publish_and_ack(client, mqtt.Publish(topic, b"mine", qos=1, packet_id=1))
    await client.nothing()


async def retain_as_published(target: tuple[str, int], version: int) -> None:
    topic = _topic()
    sub, _ = await _connect(target, 5)
    await _subscribe(sub, mqtt.Subscription(topic, retain_as_published=True))
    pub, _ = await _connect(target, 5)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"r", qos=1, retain=True, packet_id=1))
    message = await sub.expect(mqtt.Publish)
    _require(message.retain, "Retain As Published did not keep RETAIN 1")
    await pub.send(mqtt.Publish(topic, b"", retain=True))


async def retain_handling_2(target: tuple[str, int], version: int) -> None:
    topic = _topic()
    pub, _ = await _connect(target, 5)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"r", qos=1, retain=True, packet_id=1))
    sub, _ = await _connect(target, 5)
    await _subscribe(sub, mqtt.Subscription(topic, retain_handling=2))
    await sub.nothing()
    await pub.send(mqtt.Publish(topic, b"", retain=True))


async def retain_handling_1(target: tuple[str, int], version: int) -> None:
    topic = _topic()
    pub, _ = await _connect(target, 5)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"r", qos=1, retain=True, packet_id=1))
    sub, _ = await _connect(target, 5)
    await _subscribe(sub, mqtt.Subscription(topic, retain_handling=1))
    await sub.expect(mqtt.Publish)
    await _subscribe(sub, mqtt.Subscription(topic, retain_handling=1))
    await sub.nothing()
    await pub.send(mqtt.Publish(topic, b"", retain=True))


async def subscription_identifier_echoed(target: tuple[str, int], version: int) -> None:
    topic = _topic()
    sub, _ = await _connect(target, 5)
    await _subscribe(
        sub, mqtt.Subscription(topic), properties=Properties.build(subscription_identifier=77)
    )
    pub, _ = await _connect(target, 5)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"id", qos=1, packet_id=1))
    message = await sub.expect(mqtt.Publish)
    ids = message.properties.get_all(PropertyId.SUBSCRIPTION_IDENTIFIER)
    _require(ids == [77], f"Subscription Identifiers {ids}, expected [77]")


async def properties_forwarded(target: tuple[str, int], version: int) -> None:
    topic = _topic()
    sub, _ = await _connect(target, 5)
    await _subscribe(sub, mqtt.Subscription(topic))
    pub, _ = await _connect(target, 5)
    sent = Properties.build(
        payload_format_indicator=1,
        content_type="text/plain",
        response_topic=_topic("reply"),
        correlation_data=b"\x01\x02",
        user_property=[("b", "2"), ("a", "1"), ("b", "3")],
    )
    await _publish_and_ack(pub, mqtt.Publish(topic, b"p", qos=1, packet_id=1, properties=sent))
    message = await sub.expect(mqtt.Publish)
    got = message.properties
    for pid in (
        PropertyId.PAYLOAD_FORMAT_INDICATOR,
        PropertyId.CONTENT_TYPE,
        PropertyId.RESPONSE_TOPIC,
        PropertyId.CORRELATION_DATA,
    ):
        _require(got.get(pid) == sent.get(pid), f"{pid.spec_name} {got.get(pid)!r}")
    # [MQTT-3.3.2-18]: User Properties keep their order.
    _require(got.user_properties == sent.user_properties, f"user properties {got.user_properties}")


async def topic_alias_accepted(target: tuple[str, int], version: int) -> None:
    topic = _topic()
    sub, _ = await _connect(target, 5)
    await _subscribe(sub, mqtt.Subscription(topic))
    pub, connack = await _connect(target, 5)
    maximum = connack.properties.get(PropertyId.TOPIC_ALIAS_MAXIMUM, 0)
    if not maximum:
        return  # the broker accepts no aliases, which it may
    alias = Properties.build(topic_alias=1)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"1", qos=1, packet_id=1, properties=alias))
    await _publish_and_ack(pub, mqtt.Publish("", b"2", qos=1, packet_id=2, properties=alias))
    first = await sub.expect(mqtt.Publish)
    second = await sub.expect(mqtt.Publish)
    _require(
        (first.topic_name, second.topic_name) == (topic, topic),
        f"topics {first.topic_name!r}, {second.topic_name!r}",
    )


async def shared_subscription_one_member(target: tuple[str, int], version: int) -> None:
    topic = _topic()
    group = f"$share/g{secrets.token_hex(2)}/{topic}"
    members = []
    for _ in range(2):
        member, _ = await _connect(target, 5)
        await _subscribe(member, mqtt.Subscription(group, qos=1))
        members.append(member)
    pub, _ = await _connect(target, 5)
    for index in range(10):
        await _publish_and_ack(
            pub, mqtt.Publish(topic, str(index).encode(), qos=1, packet_id=index + 1)
        )
    received: list[bytes] = []
    for member in members:
        with trio.move_on_after(1):
            while True:
                message = await member.expect(mqtt.Publish)
                await member.send(mqtt.Puback(message.packet_id or 1))
                received.append(message.payload)
    _require(
        sorted(received, key=int) == [str(i).encode() for i in range(10)],
        f"the group received {sorted(received)}",
    )


async def expired_message_not_delivered(target: tuple[str, int], version: int) -> None:
    client_id = _name("expiry")
    topic = _topic()
    props = Properties.build(session_expiry_interval=60)
    sub, _ = await _connect(target, 5, client_id, clean_start=False, properties=props)
    await _subscribe(sub, mqtt.Subscription(topic, qos=1))
    await sub.send(mqtt.Disconnect())
    await sub.closed()
    pub, _ = await _connect(target, 5)
    short = Properties.build(message_expiry_interval=1)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"stale", qos=1, packet_id=1, properties=short))
    await trio.sleep(2.2)
    sub, _ = await _connect(target, 5, client_id, clean_start=False, properties=props)
    await sub.nothing()
    await sub.send(mqtt.Disconnect(properties=Properties.build(session_expiry_interval=0)))


async def message_expiry_counts_down(target: tuple[str, int], version: int) -> None:
    client_id = _name("countdown")
    topic = _topic()
    props = Properties.build(session_expiry_interval=60)
    sub, _ = await _connect(target, 5, client_id, clean_start=False, properties=props)
    await _subscribe(sub, mqtt.Subscription(topic, qos=1))
    await sub.send(mqtt.Disconnect())
    await sub.closed()
    pub, _ = await _connect(target, 5)
    expiry = Properties.build(message_expiry_interval=30)
    await _publish_and_ack(pub, mqtt.Publish(topic, b"m", qos=1, packet_id=1, properties=expiry))
    await trio.sleep(1.5)
    sub, _ = await _connect(target, 5, client_id, clean_start=False, properties=props)
    message = await sub.expect(mqtt.Publish)
    remaining = message.properties.get(PropertyId.MESSAGE_EXPIRY_INTERVAL)
    _require(isinstance(remaining, int) and remaining < 30, f"Message Expiry {remaining!r}")
    await sub.send(mqtt.Disconnect(properties=Properties.build(session_expiry_interval=0)))


Runner = Callable[[tuple[str, int], int], Awaitable[None]]

# One row per check: the statement id in each version it applies to (3.1.1 and 5.0
# number their statements separately), what it checks, and the check itself.
_TABLE: list[tuple[dict[int, str], str, Runner]] = [
    (
        {4: "MQTT-3.1.0-1", 5: "MQTT-3.1.0-1"},
        "first packet must be CONNECT",
        first_packet_must_be_connect,
    ),
    (
        {4: "MQTT-3.1.0-2", 5: "MQTT-3.1.0-2"},
        "a second CONNECT is a protocol error",
        second_connect_is_a_protocol_error,
    ),
    (
        {4: "MQTT-3.1.2-3", 5: "MQTT-3.1.2-3"},
        "CONNECT reserved flag set: close",
        reserved_connect_flag_closes,
    ),
    ({4: "MQTT-3.1.2-2"}, "unsupported protocol level refused", unsupported_level_refused),
    (
        {4: "MQTT-3.1.3-8"},
        "empty client id with clean session 0: CONNACK 0x02",
        empty_client_id_needs_clean_session,
    ),
    (
        {5: "MQTT-3.2.2-3"},
        "empty client id gets an Assigned Client Identifier",
        empty_client_id_is_assigned,
    ),
    (
        {4: "MQTT-3.2.2-2", 5: "MQTT-3.2.2-2"},
        "clean start gives session present 0",
        clean_start_has_no_session,
    ),
    (
        {4: "MQTT-3.2.2-2/resume", 5: "MQTT-3.2.2-2/resume"},
        "resumed session gives session present 1",
        session_present_on_resume,
    ),
    (
        {4: "MQTT-4.4.0-1", 5: "MQTT-4.4.0-1"},
        "QoS 1 queued for an offline session is delivered on resume",
        queued_messages_delivered_on_resume,
    ),
    (
        {4: "MQTT-3.3.1-6", 5: "MQTT-3.3.1-6"},
        "retained message sent to a new subscriber, RETAIN 1",
        retained_delivered_to_new_subscriber,
    ),
    (
        {4: "MQTT-3.3.1-10", 5: "MQTT-3.3.1-10"},
        "empty retained message clears the topic",
        empty_retained_clears,
    ),
    (
        {4: "MQTT-3.3.1-12", 5: "MQTT-3.3.1-12"},
        "live delivery clears RETAIN",
        live_delivery_clears_retain,
    ),
    (
        {4: "MQTT-3.8.4-8", 5: "MQTT-3.8.4-8"},
        "QoS downgraded to the subscription's",
        qos_is_downgraded,
    ),
    ({4: "MQTT-4.3.2-1", 5: "MQTT-4.3.2-1"}, "QoS 1 flow: PUBACK with the packet id", qos1_flow),
    (
        {4: "MQTT-4.3.3-10", 5: "MQTT-4.3.3-10"},
        "QoS 2 resend before PUBREL not delivered twice",
        qos2_exactly_once,
    ),
    (
        {4: "MQTT-3.10.4-1", 5: "MQTT-3.10.4-1"},
        "UNSUBSCRIBE stops delivery, UNSUBACK echoes the id",
        unsubscribe_stops_delivery,
    ),
    (
        {5: "MQTT-3.11.3-1"},
        "UNSUBACK 0x11 when no subscription existed",
        unsubscribe_unknown_reports_0x11,
    ),
    ({4: "MQTT-3.12.4-1", 5: "MQTT-3.12.4-1"}, "PINGREQ answered with PINGRESP", pingreq_answered),
    (
        {4: "MQTT-3.3.2-2", 5: "MQTT-3.3.2-2"},
        "wildcard in a topic name closes the connection",
        wildcard_topic_name_refused,
    ),
    (
        {4: "MQTT-3.1.2-8", 5: "MQTT-3.1.2-8"},
        "Will published on abrupt close",
        will_on_abrupt_close,
    ),
    (
        {4: "MQTT-3.1.2-10", 5: "MQTT-3.1.2-10"},
        "Will discarded on DISCONNECT",
        no_will_on_disconnect,
    ),
    ({5: "MQTT-3.14.4-3/0x04"}, "DISCONNECT 0x04 publishes the Will", will_on_disconnect_with_will),
    (
        {4: "MQTT-4.7.2-1", 5: "MQTT-4.7.2-1"},
        "'#' does not match '$' topics",
        dollar_topics_not_matched_by_wildcards,
    ),
    (
        {4: "MQTT-3.1.2-22", 5: "MQTT-3.1.2-22"},
        "keep-alive: close after 1.5 periods of silence",
        keep_alive_enforced,
    ),
    (
        {4: "MQTT-3.1.4-3", 5: "MQTT-3.1.4-3"},
        "same client id takes the session over",
        session_taken_over,
    ),
    ({5: "MQTT-3.8.3-3"}, "No Local: own messages not received", no_local),
    ({5: "MQTT-3.3.1-13"}, "Retain As Published keeps RETAIN", retain_as_published),
    ({5: "MQTT-3.3.1-11/2"}, "Retain Handling 2: no retained on subscribe", retain_handling_2),
    (
        {5: "MQTT-3.3.1-10/1"},
        "Retain Handling 1: retained only for a new subscription",
        retain_handling_1,
    ),
    (
        {5: "MQTT-3.3.4-3"},
        "Subscription Identifier sent with matching messages",
        subscription_identifier_echoed,
    ),
    (
        {5: "MQTT-3.3.2-18"},
        "message properties forwarded, user properties in order",
        properties_forwarded,
    ),
    ({5: "MQTT-3.3.2-12"}, "topic alias from the client accepted", topic_alias_accepted),
    (
        {5: "MQTT-4.8.2-3"},
        "shared subscription: each message to one member",
        shared_subscription_one_member,
    ),
    ({5: "MQTT-3.3.2-5"}, "expired message not delivered", expired_message_not_delivered),
    (
        {5: "MQTT-3.3.2-6"},
        "Message Expiry Interval counts down while queued",
        message_expiry_counts_down,
    ),
]


def _bind(runner: Runner, version: int) -> Callable[[tuple[str, int]], Awaitable[None]]:
    async def run(target: tuple[str, int]) -> None:
        await runner(target, version)

    return run


SUITE = Suite(
    "mqtt-broker",
    [
        Check(statement, version, summary, _bind(runner, version))
        for ids, summary, runner in _TABLE
        for version, statement in ids.items()
    ],
)
