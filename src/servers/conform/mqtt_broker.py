"""Broker conformance checks, keyed by MQTT normative statement.

Each check opens its own connections to the target with unique client ids and
topics under ``wire-conform/<random>/``, so checks can run side by side and
against a broker that serves other clients. Every check is bounded in time and
cleans up after itself, pass or fail: it closes its connections, clears the
retained messages it set and ends the sessions it left behind.

Statement ids are those of the OASIS standards, MQTT Version 3.1.1 Plus Errata 01
(protocol level 4) and MQTT Version 5.0 (protocol level 5), which number their
statements separately. Behaviour the standards describe without an id is keyed
by its section (``§3.3.1.3``). A check fails only on what a MUST/MUST NOT
requires; what the text only recommends (SHOULD, MAY, or a reason code it names
without a MUST) is reported as a note on a passing check.

Where a check provokes a client-side breach (a PUBLISH with a wildcard in its
topic, a Topic Alias above the maximum), it is keyed by the breached statement,
and the broker is expected to treat the breach as a protocol violation: close the
connection (3.1.1 [MQTT-4.8.0-1], 5.0 [MQTT-4.13.1-1]).
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import trio

from servers.conform._runner import Check, CheckFailed, Suite
from wire import mqtt
from wire.mqtt import Properties, PropertyId, ReasonCode

__all__ = ["SUITE", "Probe", "RawClient"]

P = TypeVar("P")

#: Seconds a check waits to be sure something does not arrive.
QUIET = 0.5
#: Seconds a check waits for something that should arrive.
PATIENCE = 3.0


class RawClient:
    """A bare client over TCP: our codec, explicit reads with timeouts."""

    def __init__(self, stream: trio.SocketStream, version: int) -> None:
        self.stream = stream
        self.version = version
        self.reader = mqtt.PacketReader(version=version, max_packet_size=1 << 24)
        self.pending: list[mqtt.Packet] = []
        self.raw = bytearray()  # every byte received, for checks that parse by hand

    @classmethod
    async def open(cls, target: tuple[str, int], version: int) -> RawClient:
        return cls(await trio.open_tcp_stream(*target), version)

    async def send(self, *packets: mqtt.Packet) -> None:
        await self.send_raw(b"".join(mqtt.encode(p, version=self.version) for p in packets))

    async def send_raw(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def _fill(self, *, decode: bool = True) -> bool:
        try:
            data = await self.stream.receive_some(65536)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return False
        if not data:
            return False
        self.raw += data
        if decode:
            try:
                self.pending += self.reader.feed(data)
            except mqtt.MQTTRemoteError as exc:
                raise CheckFailed(f"the broker sent malformed bytes: {exc}") from None
        return True

    async def receive(self, timeout: float = PATIENCE) -> mqtt.Packet:
        with trio.move_on_after(timeout):
            while not self.pending:
                if not await self._fill():
                    raise CheckFailed("the broker closed the connection")
            return self.pending.pop(0)
        raise CheckFailed(f"nothing received within {timeout:g} s")

    async def expect(self, kind: type[P], timeout: float = PATIENCE) -> P:
        packet = await self.receive(timeout)
        if not isinstance(packet, kind):
            raise CheckFailed(f"expected {kind.__name__}, got {packet!r}")
        return packet

    async def maybe(self, kind: type[P], timeout: float = QUIET) -> P | None:
        """The next packet if one of ``kind`` arrives within ``timeout``, else None."""
        with trio.move_on_after(timeout):
            return await self.expect(kind, timeout + 1)
        return None

    async def next_or_close(self, timeout: float = PATIENCE) -> mqtt.Packet | None:
        """The next packet, or None if the broker closes first."""
        with trio.move_on_after(timeout):
            while not self.pending:
                if not await self._fill():
                    return None
            return self.pending.pop(0)
        raise CheckFailed(f"nothing received within {timeout:g} s")

    async def nothing(self, seconds: float = QUIET) -> None:
        """Nothing may arrive for ``seconds``."""
        with trio.move_on_after(seconds):
            while True:
                if self.pending:
                    raise CheckFailed(f"unexpected {self.pending[0]!r}")
                if not await self._fill():
                    return
        if self.pending:
            raise CheckFailed(f"unexpected {self.pending[0]!r}")

    async def closed(self, timeout: float = PATIENCE) -> list[mqtt.Packet]:
        """Wait for the broker to close; returns what it sent before."""
        with trio.move_on_after(timeout):
            while await self._fill():
                pass
            seen, self.pending = self.pending, []
            return seen
        raise CheckFailed(f"the broker did not close the connection within {timeout:g} s")

    async def closed_raw(self, timeout: float = PATIENCE) -> bytes:
        """Wait for the broker to close without decoding; returns every byte it sent."""
        with trio.move_on_after(timeout):
            while await self._fill(decode=False):
                pass
            return bytes(self.raw)
        raise CheckFailed(f"the broker did not close the connection within {timeout:g} s")

    async def aclose(self) -> None:
        await trio.aclose_forcefully(self.stream)


class Probe:
    """What one run of one check owns: its connections, names, notes and clean-up."""

    def __init__(self, target: tuple[str, int], version: int) -> None:
        self.target = target
        self.version = version
        self.token = secrets.token_hex(4)
        self.clients: list[RawClient] = []
        self.notes: list[str] = []
        self._retained: list[str] = []
        self._sessions: list[str] = []

    def topic(self, leaf: str = "t") -> str:
        return f"wire-conform/{self.token}/{leaf}"

    def client_id(self, prefix: str = "conform") -> str:
        return f"{prefix}-{secrets.token_hex(4)}"

    def note(self, text: str) -> None:
        self.notes.append(text)

    def retained(self, topic: str) -> str:
        """Clear the retained message of ``topic`` when the check ends."""
        self._retained.append(topic)
        return topic

    def session(self, client_id: str) -> str:
        """End the session of ``client_id`` when the check ends."""
        self._sessions.append(client_id)
        return client_id

    async def open(self, version: int | None = None) -> RawClient:
        client = await RawClient.open(self.target, self.version if version is None else version)
        self.clients.append(client)
        return client

    async def connect(
        self,
        client_id: str | None = None,
        *,
        clean_start: bool = True,
        keep_alive: int = 60,
        will: mqtt.Will | None = None,
        properties: Properties | None = None,
        version: int | None = None,
    ) -> tuple[RawClient, mqtt.Connack]:
        """Open a connection and CONNECT; a refusal fails the check."""
        client = await self.open(version)
        await client.send(
            mqtt.Connect(
                client_id=self.client_id() if client_id is None else client_id,
                clean_start=clean_start,
                keep_alive=keep_alive,
                will=will,
                properties=properties or Properties(),
                protocol_level=client.version,
            )
        )
        connack = await client.expect(mqtt.Connack)
        if connack.reason_code != 0:
            raise CheckFailed(f"CONNECT refused: {connack!r}")
        return client, connack

    def persistent(self, expiry: int = 60) -> Properties:
        """CONNECT properties keeping the session ``expiry`` seconds (5.0; 3.1.1 needs none)."""
        return (
            Properties.build(session_expiry_interval=expiry) if self.version == 5 else Properties()
        )

    async def aclose(self) -> None:
        """Close everything; clear retained messages and sessions. Bounded, never raises."""
        with trio.CancelScope(shield=True), trio.move_on_after(3):
            for client in self.clients:
                await client.aclose()
            try:
                if self._retained:
                    cleaner = await RawClient.open(self.target, self.version)
                    await _handshake(cleaner, self.client_id("cleanup"))
                    for index, topic in enumerate(self._retained, start=1):
                        await publish_and_ack(
                            cleaner, mqtt.Publish(topic, b"", qos=1, retain=True, packet_id=index)
                        )
                    await cleaner.aclose()
                for client_id in self._sessions:
                    # A clean start discards the old session; the new one ends
                    # with this connection (3.1.1 CleanSession 1, 5.0 no expiry).
                    cleaner = await RawClient.open(self.target, self.version)
                    await _handshake(cleaner, client_id)
                    await cleaner.send(mqtt.Disconnect())
                    await cleaner.aclose()
            except (CheckFailed, OSError, trio.BrokenResourceError, trio.ClosedResourceError):
                pass


async def _handshake(client: RawClient, client_id: str) -> None:
    await client.send(mqtt.Connect(client_id=client_id, protocol_level=client.version))
    await client.expect(mqtt.Connack)


async def subscribe(
    client: RawClient,
    *subscriptions: mqtt.Subscription,
    packet_id: int = 7,
    properties: Properties | None = None,
) -> tuple[int, ...]:
    """SUBSCRIBE and wait for the SUBACK; returns its reason codes."""
    await client.send(mqtt.Subscribe(packet_id, subscriptions, properties or Properties()))
    return (await client.expect(mqtt.Suback)).reason_codes


async def publish_and_ack(client: RawClient, publish: mqtt.Publish) -> None:
    """PUBLISH and complete the QoS flow from the publisher's side."""
    await client.send(publish)
    if publish.qos == 1:
        await client.expect(mqtt.Puback)
    elif publish.qos == 2:
        pubrec = await client.expect(mqtt.Pubrec)
        await client.send(mqtt.Pubrel(pubrec.packet_id))
        await client.expect(mqtt.Pubcomp)


async def ack(client: RawClient, message: mqtt.Publish) -> None:
    """Acknowledge a delivered PUBLISH as a subscriber (QoS 1 and 2)."""
    if message.qos == 1 and message.packet_id is not None:
        await client.send(mqtt.Puback(message.packet_id))
    elif message.qos == 2 and message.packet_id is not None:
        await client.send(mqtt.Pubrec(message.packet_id))
        pubrel = await client.expect(mqtt.Pubrel)
        await client.send(mqtt.Pubcomp(pubrel.packet_id))


async def collect(
    client: RawClient, seconds: float, *, acknowledge: bool = True
) -> list[mqtt.Publish]:
    """Every PUBLISH arriving within ``seconds``, acknowledged unless told otherwise."""
    messages: list[mqtt.Publish] = []
    with trio.move_on_after(seconds):
        while True:
            message = await client.expect(mqtt.Publish, seconds + 1)
            messages.append(message)
            if acknowledge:
                await ack(client, message)
    return messages


def require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def _connack_code(data: bytes) -> int | None:
    """The return/reason code of a CONNACK at the start of ``data``, parsed by hand.

    By hand because a broker refusing a protocol level may answer in either
    version's layout (3.1.1: 20 02 flags code; 5.0: 20 len flags code props).
    """
    if len(data) >= 4 and data[0] == 0x20:
        return data[3]
    return None


def _disconnect_codes(seen: list[mqtt.Packet]) -> list[int]:
    return [p.reason_code for p in seen if isinstance(p, mqtt.Disconnect)]


async def expect_protocol_close(
    p: Probe, client: RawClient, *, codes: tuple[int, ...] = (0x81, 0x82), what: str
) -> None:
    """The broker must close ``client`` after a protocol violation (MUST).

    In 5.0 it SHOULD first send DISCONNECT with one of ``codes`` (§4.13.1: 0x81 or
    0x82 unless the text names a more specific code); a missing DISCONNECT or
    another code is a note, not a failure.
    """
    seen = await client.closed()
    others = [x for x in seen if not isinstance(x, mqtt.Disconnect | mqtt.Puback)]
    require(not others, f"sent {others!r} after {what} before closing")
    if p.version != 5:
        return
    sent = _disconnect_codes(seen)
    if not sent:
        p.note(f"closed without DISCONNECT after {what} (SHOULD send one, §4.13.1)")
    elif sent[0] not in codes:
        expected = " or ".join(f"0x{c:02X}" for c in codes)
        p.note(f"DISCONNECT 0x{sent[0]:02X} after {what}; the text names {expected}")


# -- connection ---------------------------------------------------------------------------


async def first_packet_must_be_connect(p: Probe) -> None:
    client = await p.open()
    await client.send(mqtt.Pingreq())
    seen = await client.closed()
    require(not any(isinstance(x, mqtt.Pingresp) for x in seen), "PINGREQ before CONNECT answered")


async def second_connect_is_a_protocol_error(p: Probe) -> None:
    client, _ = await p.connect()
    await client.send(mqtt.Connect(client_id=p.client_id("again"), protocol_level=p.version))
    seen = await client.closed()
    require(not any(isinstance(x, mqtt.Connack) for x in seen), "a second CONNACK was sent")


async def reserved_connect_flag_closes(p: Probe) -> None:
    client = await p.open()
    data = bytearray(mqtt.encode(mqtt.Connect(client_id=p.client_id(), protocol_level=p.version)))
    data[9] |= 0x01  # the reserved bit of the Connect Flags
    await client.send_raw(bytes(data))
    code = _connack_code(await client.closed_raw())
    require(code is None or code != 0, "CONNECT with the reserved flag set was accepted")


async def unsupported_level_refused(p: Probe) -> None:
    client = await p.open()
    data = bytearray(mqtt.encode(mqtt.Connect(client_id=p.client_id(), protocol_level=p.version)))
    data[8] = 6  # protocol level 6 does not exist
    await client.send_raw(bytes(data))
    code = _connack_code(await client.closed_raw())
    if p.version == 4:
        # 3.1.1: CONNACK 0x01 (unacceptable protocol level), then disconnect.
        require(code == 0x01, f"CONNACK code {code}, expected 0x01 before closing")
        return
    # 5.0: MAY send CONNACK 0x84, MUST close.
    require(code != 0, "CONNECT with protocol level 6 was accepted")
    if code is None:
        p.note("closed without CONNACK (a CONNACK 0x84 is allowed, not required)")
    elif code != 0x84:
        p.note(f"CONNACK code 0x{code:02X}; 5.0 names 0x84")


async def empty_client_id_needs_clean_session(p: Probe) -> None:
    client = await p.open()
    await client.send(mqtt.Connect(client_id="", clean_start=False, protocol_level=4))
    code = _connack_code(await client.closed_raw())
    require(code == 0x02, f"CONNACK code {code}, expected 0x02 (identifier rejected)")


async def empty_client_id_is_assigned(p: Probe) -> None:
    first = await p.open()
    await first.send(mqtt.Connect(client_id="", protocol_level=5))
    connack = await first.expect(mqtt.Connack)
    if connack.reason_code != 0:
        # [MQTT-3.1.3-6]: accepting an empty ClientID is optional.
        p.note(f"empty ClientID refused with 0x{connack.reason_code:02X} (allowed)")
        return
    assigned = connack.properties.get(PropertyId.ASSIGNED_CLIENT_IDENTIFIER)
    require(isinstance(assigned, str) and bool(assigned), "no Assigned Client Identifier")
    second = await p.open()
    await second.send(mqtt.Connect(client_id="", protocol_level=5))
    other = (await second.expect(mqtt.Connack)).properties.get(
        PropertyId.ASSIGNED_CLIENT_IDENTIFIER
    )
    require(other != assigned, f"two clients were both assigned {assigned!r}")


# -- sessions -----------------------------------------------------------------------------


async def _leave_session(p: Probe, client_id: str, topic: str) -> None:
    """Create a session for ``client_id`` subscribed to ``topic`` at QoS 1, then leave it."""
    client, _ = await p.connect(p.session(client_id), clean_start=False, properties=p.persistent())
    await subscribe(client, mqtt.Subscription(topic, qos=1))
    await client.send(mqtt.Disconnect())
    await client.closed()


async def clean_start_has_no_session(p: Probe) -> None:
    client_id = p.client_id("clean")
    await _leave_session(p, client_id, p.topic())
    _, connack = await p.connect(client_id, clean_start=True)
    require(not connack.session_present, "Session Present 1 after a clean start")


async def clean_start_discards_session(p: Probe) -> None:
    client_id, topic = p.client_id("discard"), p.topic()
    await _leave_session(p, client_id, topic)
    client, _ = await p.connect(client_id, clean_start=True)
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"old subscription", qos=1, packet_id=1))
    await client.nothing()


async def session_present_on_resume(p: Probe) -> None:
    client_id = p.client_id("resume")
    await _leave_session(p, client_id, p.topic())
    _, connack = await p.connect(client_id, clean_start=False, properties=p.persistent())
    require(connack.session_present, "Session Present 0 for an existing session")


async def queued_messages_delivered_on_resume(p: Probe) -> None:
    client_id, topic = p.client_id("queued"), p.topic()
    await _leave_session(p, client_id, topic)
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"while away", qos=1, packet_id=1))
    sub, _ = await p.connect(client_id, clean_start=False, properties=p.persistent())
    message = await sub.expect(mqtt.Publish)
    await ack(sub, message)
    require(message.payload == b"while away", f"got {message.payload!r}")


async def unacknowledged_resent_on_resume(p: Probe) -> None:
    client_id, topic = p.session(p.client_id("resend")), p.topic()
    sub, _ = await p.connect(client_id, clean_start=False, properties=p.persistent())
    await subscribe(sub, mqtt.Subscription(topic, qos=1))
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"unacked", qos=1, packet_id=1))
    first = await sub.expect(mqtt.Publish)
    await sub.aclose()  # no PUBACK, no DISCONNECT: the delivery stays unacknowledged
    sub, connack = await p.connect(client_id, clean_start=False, properties=p.persistent())
    require(connack.session_present, "the session was not kept")
    again = await sub.expect(mqtt.Publish)
    await ack(sub, again)
    require(
        again.payload == b"unacked" and again.packet_id == first.packet_id,
        f"resent {again!r}, expected packet id {first.packet_id}",
    )
    if not again.dup:
        p.note("the resent PUBLISH has DUP 0 ([MQTT-3.3.1-1] wants 1)")


async def session_ends_without_expiry(p: Probe) -> None:
    client_id = p.session(p.client_id("noexpiry"))
    client, _ = await p.connect(client_id, clean_start=False)  # no Session Expiry Interval
    await subscribe(client, mqtt.Subscription(p.topic(), qos=1))
    await client.send(mqtt.Disconnect())
    await client.closed()
    _, connack = await p.connect(client_id, clean_start=False)
    require(not connack.session_present, "the session outlived a connection without expiry")


async def session_expires(p: Probe) -> None:
    client_id = p.session(p.client_id("expiry"))
    client, _ = await p.connect(client_id, clean_start=False, properties=p.persistent(1))
    await subscribe(client, mqtt.Subscription(p.topic(), qos=1))
    await client.send(mqtt.Disconnect())
    await client.closed()
    await trio.sleep(3)
    _, connack = await p.connect(client_id, clean_start=False, properties=p.persistent(1))
    require(not connack.session_present, "the session outlived its 1 s expiry interval by 2 s")


async def session_taken_over(p: Probe) -> None:
    client_id = p.client_id("takeover")
    old, _ = await p.connect(client_id)
    new, _ = await p.connect(client_id)
    seen = await old.closed()
    if p.version == 5:
        # 3.1.4-3 describes DISCONNECT 0x8E without a MUST; only the close is required.
        codes = _disconnect_codes(seen)
        if not codes:
            p.note("existing connection closed without DISCONNECT 0x8E (described, not required)")
        elif codes != [0x8E]:
            p.note(f"DISCONNECT codes {codes}; the text names 0x8E")
    await new.send(mqtt.Pingreq())
    await new.expect(mqtt.Pingresp)


#: Seconds a broker may take beyond 1.5 x Keep Alive to close the connection. The
#: standards name no tolerance; brokers sweep keep-alives on a timer, often with
#: whole-second clocks. A close later than 1 s past the limit is noted.
KEEP_ALIVE_SLACK = 6.5


async def _closed_for_silence(p: Probe, client: RawClient, keep_alive: int, since: float) -> None:
    limit = keep_alive * 1.5
    seen = await client.closed(timeout=limit + KEEP_ALIVE_SLACK - (trio.current_time() - since))
    waited = trio.current_time() - since
    others = [x for x in seen if not isinstance(x, mqtt.Disconnect)]
    require(not others, f"sent {others!r} before closing")
    if waited > limit + 1:
        p.note(f"closed {waited:.1f} s after the last packet; 1.5 x Keep Alive is {limit:g} s")
    elif waited < limit - 0.1:
        p.note(f"closed after {waited:.1f} s of silence, before 1.5 x Keep Alive ({limit:g} s)")


async def keep_alive_enforced(p: Probe) -> None:
    since = trio.current_time()
    client, connack = await p.connect(keep_alive=1)
    keep_alive = 1
    if p.version == 5:
        server = connack.properties.get(PropertyId.SERVER_KEEP_ALIVE)
        if isinstance(server, int):
            keep_alive = server
            if server == 0 or server > 2:
                p.note(f"Server Keep Alive {server} s replaces ours; not observable here")
                return
    await _closed_for_silence(p, client, keep_alive, since)


async def server_keep_alive_used(p: Probe) -> None:
    since = trio.current_time()
    client, connack = await p.connect(keep_alive=60)
    server = connack.properties.get(PropertyId.SERVER_KEEP_ALIVE)
    if not isinstance(server, int) or server == 0:
        p.note("no Server Keep Alive in CONNACK; nothing to check")
        return
    if server > 2:
        p.note(f"Server Keep Alive {server} s is too long to observe here")
        return
    await _closed_for_silence(p, client, server, since)


async def pingreq_answered(p: Probe) -> None:
    client, _ = await p.connect()
    await client.send(mqtt.Pingreq())
    await client.expect(mqtt.Pingresp)


# -- will ---------------------------------------------------------------------------------


async def _watch(p: Probe, topic: str) -> RawClient:
    watcher, _ = await p.connect()
    await subscribe(watcher, mqtt.Subscription(topic))
    return watcher


async def will_on_abrupt_close(p: Probe) -> None:
    topic = p.topic("will")
    watcher = await _watch(p, topic)
    dying, _ = await p.connect(will=mqtt.Will(topic, b"gone"))
    await dying.aclose()
    message = await watcher.expect(mqtt.Publish)
    require(message.payload == b"gone", f"will payload {message.payload!r}")


async def no_will_on_disconnect(p: Probe) -> None:
    topic = p.topic("will")
    watcher = await _watch(p, topic)
    leaving, _ = await p.connect(will=mqtt.Will(topic, b"should not"))
    await leaving.send(mqtt.Disconnect())
    await leaving.closed()
    await watcher.nothing()


async def will_on_disconnect_with_will(p: Probe) -> None:
    topic = p.topic("will")
    watcher = await _watch(p, topic)
    leaving, _ = await p.connect(will=mqtt.Will(topic, b"asked"))
    await leaving.send(mqtt.Disconnect(ReasonCode.DISCONNECT_WITH_WILL_MESSAGE))
    message = await watcher.expect(mqtt.Publish)
    require(message.payload == b"asked", f"will payload {message.payload!r}")


def _delayed_will(topic: str, delay: int) -> mqtt.Will:
    return mqtt.Will(topic, b"late", properties=Properties.build(will_delay_interval=delay))


async def will_delayed(p: Probe) -> None:
    topic = p.topic("will")
    watcher = await _watch(p, topic)
    client_id = p.session(p.client_id("delay"))
    dying, _ = await p.connect(client_id, will=_delayed_will(topic, 1), properties=p.persistent(10))
    await dying.aclose()
    start = trio.current_time()
    message = await watcher.expect(mqtt.Publish, timeout=4)
    waited = trio.current_time() - start
    require(message.payload == b"late", f"will payload {message.payload!r}")
    require(waited >= 0.8, f"will published {waited:.2f} s after the close, delay was 1 s")


async def will_cancelled_by_reconnect(p: Probe) -> None:
    topic = p.topic("will")
    watcher = await _watch(p, topic)
    client_id = p.session(p.client_id("return"))
    dying, _ = await p.connect(client_id, will=_delayed_will(topic, 2), properties=p.persistent(10))
    await dying.aclose()
    back, _ = await p.connect(client_id, clean_start=False, properties=p.persistent(10))
    await watcher.nothing(3)
    await back.send(mqtt.Disconnect(properties=Properties.build(session_expiry_interval=0)))


# -- retained messages --------------------------------------------------------------------


async def _retain(p: Probe, topic: str, payload: bytes = b"kept", **props: int) -> RawClient:
    pub, _ = await p.connect()
    properties = Properties.build(**props) if props else Properties()
    await publish_and_ack(
        pub,
        mqtt.Publish(
            p.retained(topic), payload, qos=1, retain=True, packet_id=1, properties=properties
        ),
    )
    return pub


async def retained_delivered_to_new_subscriber(p: Probe) -> None:
    topic = p.topic("retained")
    await _retain(p, topic)
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic, qos=1))
    message = await sub.expect(mqtt.Publish)
    await ack(sub, message)
    require(message.payload == b"kept", f"payload {message.payload!r}")


async def retained_flag_on_subscribe(p: Probe) -> None:
    topic = p.topic("retained")
    await _retain(p, topic)
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic, qos=1))
    message = await sub.expect(mqtt.Publish)
    await ack(sub, message)
    require(message.retain, "a retained message sent on subscribe has RETAIN 0")


async def empty_retained_clears(p: Probe) -> None:
    topic = p.topic("cleared")
    pub = await _retain(p, topic, b"old")
    await publish_and_ack(pub, mqtt.Publish(topic, b"", qos=1, retain=True, packet_id=2))
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic, qos=1))
    await sub.nothing()


async def live_delivery_clears_retain(p: Probe) -> None:
    topic = p.retained(p.topic("live"))
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic))
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"now", qos=1, retain=True, packet_id=1))
    message = await sub.expect(mqtt.Publish)
    require(not message.retain, "a live delivery to an existing subscription kept RETAIN 1")


async def retain_as_published(p: Probe) -> None:
    topic = p.retained(p.topic())
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic, retain_as_published=True))
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"r", qos=1, retain=True, packet_id=1))
    message = await sub.expect(mqtt.Publish)
    require(message.retain, "Retain As Published did not keep RETAIN 1")


async def retain_handling_2(p: Probe) -> None:
    topic = p.topic()
    await _retain(p, topic)
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic, retain_handling=2))
    await sub.nothing()


async def retain_handling_1(p: Probe) -> None:
    topic = p.topic()
    await _retain(p, topic)
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic, retain_handling=1))
    await sub.expect(mqtt.Publish)
    await subscribe(sub, mqtt.Subscription(topic, retain_handling=1))
    await sub.nothing()


async def retained_message_expires(p: Probe) -> None:
    topic = p.topic("expiring")
    await _retain(p, topic, b"stale", message_expiry_interval=1)
    await trio.sleep(2.5)
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic))
    await sub.nothing()


async def resubscribe_resends_retained(p: Probe) -> None:
    topic = p.topic()
    await _retain(p, topic)
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic))
    await sub.expect(mqtt.Publish)
    await subscribe(sub, mqtt.Subscription(topic))
    message = await sub.expect(mqtt.Publish)
    require(message.payload == b"kept", f"payload {message.payload!r}")


# -- subscriptions ------------------------------------------------------------------------


async def suback_packet_id(p: Probe) -> None:
    client, _ = await p.connect()
    await client.send(mqtt.Subscribe(0x2A2A, (mqtt.Subscription(p.topic()),)))
    suback = await client.expect(mqtt.Suback)
    require(suback.packet_id == 0x2A2A, f"SUBACK for packet id {suback.packet_id}, sent 10794")


async def suback_code_per_filter(p: Probe) -> None:
    client, _ = await p.connect()
    requested = (0, 1, 2)
    codes = await subscribe(
        client, *(mqtt.Subscription(p.topic(f"f{q}"), qos=q) for q in requested)
    )
    require(len(codes) == len(requested), f"{len(codes)} codes for {len(requested)} filters")
    for qos, code in zip(requested, codes, strict=True):
        require(code <= qos or code >= 0x80, f"code {code} granted for a QoS {qos} request")


async def invalid_filter_refused(p: Probe) -> None:
    client, _ = await p.connect()
    await client.send(mqtt.Subscribe(5, (mqtt.Subscription(p.topic("#/after")),)))
    packet = await client.next_or_close()
    if packet is None or isinstance(packet, mqtt.Disconnect):
        # Closed: the filter breaks a MUST of the client's, a protocol violation.
        p.note("answered by closing the connection")
        return
    require(isinstance(packet, mqtt.Suback), f"got {packet!r}")
    assert isinstance(packet, mqtt.Suback)
    code = packet.reason_codes[0] if packet.reason_codes else None
    require(code is not None and code >= 0x80, f"the invalid filter was granted (code {code})")


async def subscription_replaced(p: Probe) -> None:
    topic = p.topic()
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic, qos=1))
    (granted,) = await subscribe(sub, mqtt.Subscription(topic, qos=0))
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"once", qos=1, packet_id=1))
    messages = await collect(sub, 1.0)
    require(len(messages) == 1, f"{len(messages)} copies after re-subscribing, expected 1")
    require(messages[0].qos == min(1, granted), f"delivered at QoS {messages[0].qos}")


async def overlapping_subscriptions(p: Probe) -> None:
    topic = p.topic("t")
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(p.topic("+"), qos=0), mqtt.Subscription(topic, qos=1))
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"both", qos=1, packet_id=1))
    messages = await collect(sub, 1.0)
    qos = sorted(m.qos for m in messages)
    require(bool(messages), "the message was not delivered")
    require(1 in qos, f"copies at QoS {qos}; the highest matching subscription is QoS 1")
    require(len(messages) <= 2, f"{len(messages)} copies for 2 matching subscriptions")
    if len(messages) == 2:
        p.note("one copy per matching subscription (allowed)")


async def unsubscribe_stops_delivery(p: Probe) -> None:
    topic = p.topic()
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic))
    await sub.send(mqtt.Unsubscribe(11, (topic,)))
    await sub.expect(mqtt.Unsuback)
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"gone", qos=1, packet_id=1))
    await sub.nothing()


async def unsuback_packet_id(p: Probe) -> None:
    topic = p.topic()
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic))
    await sub.send(mqtt.Unsubscribe(0x1234, (topic,)))
    unsuback = await sub.expect(mqtt.Unsuback)
    require(unsuback.packet_id == 0x1234, f"UNSUBACK for packet id {unsuback.packet_id}")


async def unsuback_without_subscription(p: Probe) -> None:
    sub, _ = await p.connect()
    await sub.send(mqtt.Unsubscribe(0x4321, (p.topic(),)))
    unsuback = await sub.expect(mqtt.Unsuback)
    require(unsuback.packet_id == 0x4321, f"UNSUBACK for packet id {unsuback.packet_id}")
    if p.version == 5 and unsuback.reason_codes != (0x11,):
        p.note(f"UNSUBACK codes {unsuback.reason_codes}; 0x11 (No subscription existed) fits")


async def no_local(p: Probe) -> None:
    topic = p.topic()
    client, _ = await p.connect()
    await subscribe(client, mqtt.Subscription(topic, no_local=True))
    await publish_and_ack(client, mqtt.Publish(topic, b"mine", qos=1, packet_id=1))
    await client.nothing()


async def subscription_identifier_echoed(p: Probe) -> None:
    topic = p.topic()
    sub, _ = await p.connect()
    await subscribe(
        sub, mqtt.Subscription(topic), properties=Properties.build(subscription_identifier=77)
    )
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"id", qos=1, packet_id=1))
    message = await sub.expect(mqtt.Publish)
    ids = message.properties.get_all(PropertyId.SUBSCRIPTION_IDENTIFIER)
    require(ids == [77], f"Subscription Identifiers {ids}, expected [77]")


async def shared_subscription_one_member(p: Probe) -> None:
    topic = p.topic()
    group = f"$share/g{p.token}/{topic}"
    members = []
    for _ in range(2):
        member, _ = await p.connect()
        await subscribe(member, mqtt.Subscription(group, qos=1))
        members.append(member)
    pub, _ = await p.connect()
    for index in range(10):
        await publish_and_ack(
            pub, mqtt.Publish(topic, str(index).encode(), qos=1, packet_id=index + 1)
        )
    received = [m.payload for member in members for m in await collect(member, 1.0)]
    require(
        sorted(received, key=int) == [str(i).encode() for i in range(10)],
        f"the group received {sorted(received, key=int)}",
    )


# -- QoS flows ----------------------------------------------------------------------------


async def qos_is_downgraded(p: Probe) -> None:
    topic = p.topic()
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic, qos=0))
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"q2", qos=2, packet_id=1))
    message = await sub.expect(mqtt.Publish)
    require(message.qos == 0, f"delivered at QoS {message.qos} to a QoS 0 subscription")


async def puback_packet_id(p: Probe) -> None:
    pub, _ = await p.connect()
    await pub.send(mqtt.Publish(p.topic(), b"one", qos=1, packet_id=42))
    puback = await pub.expect(mqtt.Puback)
    require(puback.packet_id == 42, f"PUBACK for {puback.packet_id}, expected 42")


async def qos1_outgoing_publish(p: Probe) -> None:
    topic = p.topic()
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic, qos=1))
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"one", qos=1, packet_id=1))
    message = await sub.expect(mqtt.Publish)
    await ack(sub, message)
    require(
        message.qos == 1 and message.packet_id is not None and not message.dup,
        f"delivered QoS {message.qos}, packet id {message.packet_id}, DUP {message.dup}",
    )


async def qos2_exactly_once(p: Probe) -> None:
    topic = p.topic()
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic, qos=2))
    pub, _ = await p.connect()
    await pub.send(mqtt.Publish(topic, b"once", qos=2, packet_id=9))
    await pub.expect(mqtt.Pubrec)
    # The same PUBLISH again before PUBREL: acknowledged, not delivered again.
    await pub.send(mqtt.Publish(topic, b"once", qos=2, dup=True, packet_id=9))
    pubrec = await pub.expect(mqtt.Pubrec)
    require(pubrec.packet_id == 9, f"second PUBREC for {pubrec.packet_id}")
    await pub.send(mqtt.Pubrel(9))
    await pub.expect(mqtt.Pubcomp)
    messages = await collect(sub, 1.0)
    require(len(messages) == 1, f"{len(messages)} copies delivered, expected 1")


async def pubrel_unknown_packet_id(p: Probe) -> None:
    client, _ = await p.connect()
    await client.send(mqtt.Pubrel(0x0BAD))
    pubcomp = await client.expect(mqtt.Pubcomp)
    require(pubcomp.packet_id == 0x0BAD, f"PUBCOMP for {pubcomp.packet_id}, expected 2989")
    if p.version == 5 and pubcomp.reason_code != 0x92:
        p.note(f"PUBCOMP code 0x{pubcomp.reason_code:02X}; 0x92 (Packet Identifier not found) fits")


async def ordered_delivery(p: Probe) -> None:
    topic = p.topic()
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic, qos=1))
    pub, _ = await p.connect()
    count = 10
    await pub.send(
        *(mqtt.Publish(topic, str(i).encode(), qos=1, packet_id=i + 1) for i in range(count))
    )
    for _ in range(count):
        await pub.expect(mqtt.Puback)
    received: list[bytes] = []
    while len(received) < count:
        message = await sub.expect(mqtt.Publish)
        await ack(sub, message)
        received.append(message.payload)
    expected = [str(i).encode() for i in range(count)]
    require(received == expected, f"received {[int(x) for x in received]}")


async def receive_maximum_respected(p: Probe) -> None:
    topic = p.topic()
    sub, _ = await p.connect(properties=Properties.build(receive_maximum=2))
    await subscribe(sub, mqtt.Subscription(topic, qos=1))
    pub, _ = await p.connect()
    for index in range(5):
        await publish_and_ack(pub, mqtt.Publish(topic, bytes([index]), qos=1, packet_id=index + 1))
    unacked = await collect(sub, 1.0, acknowledge=False)
    require(len(unacked) <= 2, f"{len(unacked)} unacknowledged QoS 1 messages, Receive Maximum 2")
    received = len(unacked)
    while unacked:
        await ack(sub, unacked.pop(0))
        more = await sub.maybe(mqtt.Publish, 1.0)
        if more is not None:
            unacked.append(more)
            received += 1
            require(len(unacked) <= 2, "3 unacknowledged QoS 1 messages, Receive Maximum 2")
    if received < 5:
        p.note(f"only {received} of 5 messages arrived as they were acknowledged")


async def maximum_packet_size_respected(p: Probe) -> None:
    topic = p.topic()
    sub, _ = await p.connect(properties=Properties.build(maximum_packet_size=256))
    await subscribe(sub, mqtt.Subscription(topic, qos=1))
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"x" * 1000, qos=1, packet_id=1))
    await publish_and_ack(pub, mqtt.Publish(topic, b"small", qos=1, packet_id=2))
    message = await sub.expect(mqtt.Publish)
    await ack(sub, message)
    require(message.payload == b"small", f"a {len(message.payload)}-byte payload was sent")


async def payload_unaltered(p: Probe) -> None:
    topic = p.topic()
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic, qos=1))
    pub, _ = await p.connect()
    payloads = [bytes(range(256)) * 4, b"", secrets.token_bytes(64 * 1024)]
    for index, payload in enumerate(payloads, start=1):
        await publish_and_ack(pub, mqtt.Publish(topic, payload, qos=1, packet_id=index))
    for payload in payloads:
        message = await sub.expect(mqtt.Publish)
        await ack(sub, message)
        require(
            message.payload == payload,
            f"sent {len(payload)} bytes, got {len(message.payload)} different bytes",
        )


# -- topics -------------------------------------------------------------------------------


async def dollar_topics_not_matched_by_wildcards(p: Probe) -> None:
    dollar = f"$wire-conform/{p.token}/t"
    wild, _ = await p.connect()
    await subscribe(wild, mqtt.Subscription(f"+/{p.token}/t"), mqtt.Subscription("+/broker/#"))
    plain, _ = await p.connect()
    await subscribe(plain, mqtt.Subscription(dollar))
    pub, _ = await p.connect()
    await pub.send(mqtt.Publish(dollar, b"dollar"))
    marker = p.topic("t")
    marker_pub, _ = await p.connect()
    await publish_and_ack(marker_pub, mqtt.Publish(marker, b"marker", qos=1, packet_id=1))
    seen = await collect(wild, 1.0)
    matched = sorted({m.topic_name for m in seen if m.topic_name.startswith("$")})
    require(not matched, f"filters starting with a wildcard matched {matched}")
    require(any(m.topic_name == marker for m in seen), "the marker message never arrived")
    if await plain.maybe(mqtt.Publish, QUIET) is None:
        p.note(f"a client PUBLISH to {dollar!r} was not routed; only $SYS could be tested")


async def wildcard_topic_name_refused(p: Probe) -> None:
    client, _ = await p.connect()
    await client.send_raw(b"\x30\x05\x00\x03a/+" if p.version == 4 else b"\x30\x06\x00\x03a/+\x00")
    await expect_protocol_close(
        p, client, codes=(0x81, 0x82, 0x90), what="a wildcard in a Topic Name"
    )


async def topic_names_not_normalised(p: Probe) -> None:
    composed = unicodedata.normalize("NFC", f"{p.topic('température')}/日本/🙂")
    decomposed = unicodedata.normalize("NFD", composed)
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(composed, qos=1))
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(decomposed, b"nfd", qos=1, packet_id=1))
    await publish_and_ack(pub, mqtt.Publish(composed, b"nfc", qos=1, packet_id=2))
    messages = await collect(sub, 1.0)
    require(
        [m.payload for m in messages] == [b"nfc"],
        f"received {[m.payload for m in messages]}; only the NFC topic matches",
    )
    require(messages[0].topic_name == composed, f"topic came back as {messages[0].topic_name!r}")


async def empty_topic_level(p: Probe) -> None:
    base = p.topic("x")
    wild, _ = await p.connect()
    await subscribe(wild, mqtt.Subscription(f"{base}/+/b"))
    flat, _ = await p.connect()
    await subscribe(flat, mqtt.Subscription(f"{base}/b"))
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(f"{base}//b", b"empty level", qos=1, packet_id=1))
    message = await wild.expect(mqtt.Publish)
    require(message.topic_name == f"{base}//b", f"topic came back as {message.topic_name!r}")
    await flat.nothing()


# -- 5.0 properties -----------------------------------------------------------------------


async def _forwarded(p: Probe, sent: Properties) -> Properties:
    topic = p.topic()
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic))
    pub, _ = await p.connect()
    await publish_and_ack(pub, mqtt.Publish(topic, b"p", qos=1, packet_id=1, properties=sent))
    return (await sub.expect(mqtt.Publish)).properties


def _forwards(pid: PropertyId, value: object) -> Runner:
    async def check(p: Probe) -> None:
        sent = Properties.build(**{pid.name.lower(): value})  # type: ignore[arg-type]
        got = (await _forwarded(p, sent)).get(pid)
        require(got == sent.get(pid), f"{pid.spec_name} sent {sent.get(pid)!r}, got {got!r}")

    check.__name__ = f"forwards_{pid.name.lower()}"
    return check


_USER_PROPERTIES = (("b", "2"), ("a", "1"), ("b", "3"), ("ü", "日本"))


async def user_properties_unaltered(p: Probe) -> None:
    got = list(
        (await _forwarded(p, Properties.build(user_property=_USER_PROPERTIES))).user_properties
    )
    for pair in _USER_PROPERTIES:
        require(pair in got, f"User Property {pair} missing from {got}")
        got.remove(pair)


async def user_properties_in_order(p: Probe) -> None:
    got = (await _forwarded(p, Properties.build(user_property=_USER_PROPERTIES))).user_properties
    ours = [pair for pair in got if pair in _USER_PROPERTIES]
    require(ours == list(_USER_PROPERTIES), f"User Properties came back as {ours}")


async def subscription_identifier_from_client(p: Probe) -> None:
    client, _ = await p.connect()
    await client.send(
        mqtt.Publish(p.topic(), b"x", properties=Properties.build(subscription_identifier=5))
    )
    await expect_protocol_close(p, client, what="a Subscription Identifier from a client")


async def _alias_maximum(p: Probe) -> tuple[RawClient, int]:
    client, connack = await p.connect()
    maximum = connack.properties.get(PropertyId.TOPIC_ALIAS_MAXIMUM, 0)
    assert isinstance(maximum, int)
    return client, maximum


async def topic_alias_accepted(p: Probe) -> None:
    topic = p.topic()
    sub, _ = await p.connect()
    await subscribe(sub, mqtt.Subscription(topic))
    pub, maximum = await _alias_maximum(p)
    if not maximum:
        p.note("Topic Alias Maximum 0: the broker takes no aliases (allowed)")
        return
    for packet_id, alias in enumerate(sorted({1, maximum}), start=1):
        props = Properties.build(topic_alias=alias)
        await publish_and_ack(
            pub, mqtt.Publish(topic, b"set", qos=1, packet_id=packet_id, properties=props)
        )
        await publish_and_ack(
            pub, mqtt.Publish("", b"use", qos=1, packet_id=packet_id + 2, properties=props)
        )
        for expected in (b"set", b"use"):
            message = await sub.expect(mqtt.Publish)
            require(
                (message.topic_name, message.payload) == (topic, expected),
                f"alias {alias}: got {message.payload!r} on {message.topic_name!r}",
            )


async def topic_alias_above_maximum(p: Probe) -> None:
    client, maximum = await _alias_maximum(p)
    if maximum >= 0xFFFF:
        p.note("Topic Alias Maximum 65535: no alias is above it")
        return
    props = Properties.build(topic_alias=maximum + 1)
    await client.send(mqtt.Publish(p.topic(), b"x", properties=props))
    await expect_protocol_close(p, client, codes=(0x94,), what=f"Topic Alias {maximum + 1}")


async def topic_alias_unknown(p: Probe) -> None:
    client, maximum = await _alias_maximum(p)
    if not maximum:
        p.note("Topic Alias Maximum 0: covered by the alias-above-maximum check")
        return
    await client.send(mqtt.Publish("", b"x", properties=Properties.build(topic_alias=1)))
    await expect_protocol_close(p, client, codes=(0x82,), what="an unmapped Topic Alias")


async def expired_message_not_delivered(p: Probe) -> None:
    client_id, topic = p.client_id("expiry"), p.topic()
    await _leave_session(p, client_id, topic)
    pub, _ = await p.connect()
    short = Properties.build(message_expiry_interval=1)
    await publish_and_ack(pub, mqtt.Publish(topic, b"stale", qos=1, packet_id=1, properties=short))
    await trio.sleep(2.2)
    sub, _ = await p.connect(client_id, clean_start=False, properties=p.persistent())
    await sub.nothing()


async def message_expiry_counts_down(p: Probe) -> None:
    client_id, topic = p.client_id("countdown"), p.topic()
    await _leave_session(p, client_id, topic)
    pub, _ = await p.connect()
    expiry = Properties.build(message_expiry_interval=30)
    await publish_and_ack(pub, mqtt.Publish(topic, b"m", qos=1, packet_id=1, properties=expiry))
    await trio.sleep(1.5)
    sub, _ = await p.connect(client_id, clean_start=False, properties=p.persistent())
    message = await sub.expect(mqtt.Publish)
    await ack(sub, message)
    remaining = message.properties.get(PropertyId.MESSAGE_EXPIRY_INTERVAL)
    require(isinstance(remaining, int) and remaining < 30, f"Message Expiry {remaining!r}")


# -- the table ----------------------------------------------------------------------------

Runner = Callable[[Probe], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Row:
    """One check: its name, the statement it decides per protocol level, what it checks."""

    name: str
    ids: dict[int, str]
    summary: str
    runner: Runner
    timeout: float = 10.0


def _both(v4: str, v5: str) -> dict[int, str]:
    return {4: v4, 5: v5}


# The statement ids per protocol level (4 = 3.1.1 Plus Errata 01, 5 = 5.0), checked
# against the OASIS texts; "§x.y" marks behaviour the standard states without an id.
_TABLE: list[Row] = [
    # connection
    Row(
        "first-packet-connect",
        _both("MQTT-3.1.0-1", "MQTT-3.1.0-1"),
        "a packet before CONNECT: closed, not answered",
        first_packet_must_be_connect,
    ),
    Row(
        "second-connect",
        _both("MQTT-3.1.0-2", "MQTT-3.1.0-2"),
        "a second CONNECT: closed, no second CONNACK",
        second_connect_is_a_protocol_error,
    ),
    Row(
        "connect-reserved-flag",
        _both("MQTT-3.1.2-3", "MQTT-3.1.2-3"),
        "CONNECT reserved flag set: refused and closed",
        reserved_connect_flag_closes,
    ),
    Row(
        "unsupported-protocol-level",
        _both("MQTT-3.1.2-2", "MQTT-3.1.2-2"),
        "protocol level 6: closed (3.1.1: after CONNACK 0x01)",
        unsupported_level_refused,
    ),
    Row(
        "empty-client-id-persistent",
        {4: "MQTT-3.1.3-8"},
        "empty ClientID with CleanSession 0: CONNACK 0x02",
        empty_client_id_needs_clean_session,
    ),
    Row(
        "empty-client-id-assigned",
        {5: "MQTT-3.2.2-16"},
        "empty ClientID accepted: a unique Assigned Client Identifier",
        empty_client_id_is_assigned,
    ),
    Row(
        "keep-alive",
        _both("MQTT-3.1.2-24", "MQTT-3.1.2-22"),
        "silent past 1.5 x Keep Alive: closed",
        keep_alive_enforced,
    ),
    Row(
        "server-keep-alive",
        {5: "§3.2.2.3.14"},
        "a Server Keep Alive in CONNACK is the one enforced",
        server_keep_alive_used,
    ),
    Row(
        "pingreq",
        _both("MQTT-3.12.4-1", "MQTT-3.12.4-1"),
        "PINGREQ answered with PINGRESP",
        pingreq_answered,
    ),
    Row(
        "session-takeover",
        _both("MQTT-3.1.4-2", "MQTT-3.1.4-3"),
        "same ClientID connects again: the old connection is closed",
        session_taken_over,
    ),
    # sessions
    Row(
        "clean-start-session-present",
        _both("MQTT-3.2.2-1", "MQTT-3.2.2-2"),
        "clean start over an old session: Session Present 0",
        clean_start_has_no_session,
    ),
    Row(
        "clean-start-discards-session",
        _both("MQTT-3.1.2-6", "MQTT-3.1.2-4"),
        "clean start: the old session's subscriptions are gone",
        clean_start_discards_session,
    ),
    Row(
        "resume-session-present",
        _both("MQTT-3.2.2-2", "MQTT-3.2.2-3"),
        "resumed session: Session Present 1",
        session_present_on_resume,
    ),
    Row(
        "offline-messages-queued",
        _both("MQTT-3.1.2-5", "MQTT-4.5.0-1"),
        "QoS 1 published while away is delivered on resume",
        queued_messages_delivered_on_resume,
    ),
    Row(
        "unacked-resent-on-resume",
        _both("MQTT-4.4.0-1", "MQTT-4.4.0-1"),
        "unacknowledged PUBLISH resent on resume, same packet id",
        unacknowledged_resent_on_resume,
    ),
    Row(
        "session-ends-without-expiry",
        {5: "§3.1.2.11.2"},
        "no Session Expiry Interval: the session ends with the connection",
        session_ends_without_expiry,
    ),
    Row(
        "session-expires",
        {5: "MQTT-4.1.0-2"},
        "session discarded once its expiry interval has passed",
        session_expires,
        12.0,
    ),
    # will
    Row(
        "will-on-abrupt-close",
        _both("MQTT-3.1.2-8", "MQTT-3.1.2-8"),
        "Will published when the connection drops",
        will_on_abrupt_close,
    ),
    Row(
        "no-will-after-disconnect",
        _both("MQTT-3.14.4-3", "MQTT-3.14.4-3"),
        "Will discarded on a normal DISCONNECT",
        no_will_on_disconnect,
    ),
    Row(
        "will-on-disconnect-0x04",
        {5: "§3.14.2.1"},
        "DISCONNECT 0x04 publishes the Will",
        will_on_disconnect_with_will,
    ),
    Row(
        "will-delay", {5: "§3.1.3.2.2"}, "Will held back for its Will Delay Interval", will_delayed
    ),
    Row(
        "will-cancelled-by-reconnect",
        {5: "MQTT-3.1.3-9"},
        "reconnecting within the Will Delay Interval cancels the Will",
        will_cancelled_by_reconnect,
    ),
    # retained messages
    Row(
        "retained-on-subscribe",
        _both("MQTT-3.3.1-6", "MQTT-3.3.1-9"),
        "retained message sent to a new subscription",
        retained_delivered_to_new_subscriber,
    ),
    Row(
        "retained-flag-on-subscribe",
        _both("MQTT-3.3.1-8", "§3.3.1.3"),
        "retained message sent on subscribe has RETAIN 1",
        retained_flag_on_subscribe,
    ),
    Row(
        "empty-retained-clears",
        _both("MQTT-3.3.1-10", "MQTT-3.3.1-6"),
        "empty retained message removes the retained one",
        empty_retained_clears,
    ),
    Row(
        "live-delivery-retain-0",
        _both("MQTT-3.3.1-9", "MQTT-3.3.1-12"),
        "delivery to an existing subscription has RETAIN 0",
        live_delivery_clears_retain,
    ),
    Row(
        "retain-as-published",
        {5: "MQTT-3.3.1-13"},
        "Retain As Published keeps RETAIN 1",
        retain_as_published,
    ),
    Row(
        "retain-handling-1",
        {5: "MQTT-3.3.1-10"},
        "Retain Handling 1: retained only for a new subscription",
        retain_handling_1,
    ),
    Row(
        "retain-handling-2",
        {5: "MQTT-3.3.1-11"},
        "Retain Handling 2: no retained message on subscribe",
        retain_handling_2,
    ),
    Row(
        "retained-expiry",
        {5: "§3.3.1.3"},
        "an expired retained message is not sent",
        retained_message_expires,
    ),
    # subscriptions
    Row(
        "suback-packet-id",
        _both("MQTT-3.8.4-2", "MQTT-3.8.4-2"),
        "SUBACK carries the SUBSCRIBE's packet id",
        suback_packet_id,
    ),
    Row(
        "suback-code-per-filter",
        _both("MQTT-3.8.4-5", "MQTT-3.8.4-6"),
        "one SUBACK code per filter, none above the request",
        suback_code_per_filter,
    ),
    Row(
        "invalid-filter-refused",
        _both("MQTT-4.7.1-2", "MQTT-4.7.1-1"),
        "filter with '#' not last: failure code or close",
        invalid_filter_refused,
    ),
    Row(
        "subscription-replaced",
        _both("MQTT-3.8.4-3", "MQTT-3.8.4-3"),
        "same filter again replaces the subscription: one copy, new QoS",
        subscription_replaced,
    ),
    Row(
        "resubscribe-resends-retained",
        _both("MQTT-3.8.4-3", "MQTT-3.8.4-4"),
        "same filter again: retained messages sent again",
        resubscribe_resends_retained,
    ),
    Row(
        "overlapping-subscriptions",
        _both("MQTT-3.3.5-1", "MQTT-3.3.4-2"),
        "overlapping subscriptions: a copy at the highest QoS",
        overlapping_subscriptions,
    ),
    Row(
        "unsubscribe-stops-delivery",
        _both("MQTT-3.10.4-2", "MQTT-3.10.4-2"),
        "after UNSUBSCRIBE no more messages",
        unsubscribe_stops_delivery,
    ),
    Row(
        "unsuback-packet-id",
        _both("MQTT-3.10.4-4", "MQTT-3.10.4-5"),
        "UNSUBACK carries the UNSUBSCRIBE's packet id",
        unsuback_packet_id,
    ),
    Row(
        "unsuback-without-subscription",
        _both("MQTT-3.10.4-5", "MQTT-3.10.4-5"),
        "UNSUBACK even when no subscription matched",
        unsuback_without_subscription,
    ),
    Row("no-local", {5: "MQTT-3.8.3-3"}, "No Local: own messages not received", no_local),
    Row(
        "subscription-identifier",
        {5: "MQTT-3.3.4-3"},
        "Subscription Identifier sent with matching messages",
        subscription_identifier_echoed,
    ),
    Row(
        "shared-subscription",
        {5: "§4.8.2"},
        "shared subscription: each message to exactly one member",
        shared_subscription_one_member,
    ),
    # QoS
    Row(
        "qos-downgraded",
        _both("MQTT-3.8.4-6", "MQTT-3.8.4-8"),
        "delivered at the lower of message and subscription QoS",
        qos_is_downgraded,
    ),
    Row(
        "puback-packet-id",
        _both("MQTT-4.3.2-2", "MQTT-4.3.2-4"),
        "QoS 1 PUBLISH answered by PUBACK with its packet id",
        puback_packet_id,
    ),
    Row(
        "qos1-outgoing-publish",
        _both("MQTT-4.3.2-1", "MQTT-4.3.2-2"),
        "QoS 1 delivery: QoS 1, a packet id, DUP 0",
        qos1_outgoing_publish,
    ),
    Row(
        "qos2-no-duplicate",
        _both("MQTT-4.3.3-2", "MQTT-4.3.3-10"),
        "QoS 2 resent before PUBREL: PUBREC again, one delivery",
        qos2_exactly_once,
    ),
    Row(
        "pubrel-unknown-id",
        _both("MQTT-4.3.3-2", "MQTT-4.3.3-11"),
        "PUBREL for an unknown packet id: PUBCOMP with that id",
        pubrel_unknown_packet_id,
    ),
    Row(
        "ordered-delivery",
        _both("MQTT-4.6.0-6", "MQTT-4.6.0-5"),
        "QoS 1 from one publisher arrives in publishing order",
        ordered_delivery,
    ),
    Row(
        "receive-maximum",
        {5: "MQTT-3.3.4-9"},
        "no more unacknowledged QoS 1 than the client's Receive Maximum",
        receive_maximum_respected,
    ),
    Row(
        "maximum-packet-size",
        {5: "MQTT-3.1.2-24"},
        "nothing larger than the client's Maximum Packet Size",
        maximum_packet_size_respected,
    ),
    Row(
        "payload-unaltered",
        _both("§3.3.3", "§3.3.3"),
        "payloads delivered byte for byte: binary, empty, 64 KiB",
        payload_unaltered,
    ),
    # topics
    Row(
        "dollar-topics",
        _both("MQTT-4.7.2-1", "MQTT-4.7.2-1"),
        "filters starting with a wildcard do not match '$' topics",
        dollar_topics_not_matched_by_wildcards,
    ),
    Row(
        "wildcard-in-topic-name",
        _both("MQTT-3.3.2-2", "MQTT-3.3.2-2"),
        "PUBLISH with a wildcard in its topic: closed",
        wildcard_topic_name_refused,
    ),
    Row(
        "topic-not-normalised",
        _both("MQTT-4.7.3-4", "MQTT-4.7.3-4"),
        "non-ASCII topics matched byte for byte, no normalisation",
        topic_names_not_normalised,
    ),
    Row(
        "empty-topic-level",
        _both("§4.7.1.1", "§4.7.1.1"),
        "'a//b' has an empty level: '+' matches it, 'a/b' does not",
        empty_topic_level,
    ),
    # 5.0 properties
    Row(
        "payload-format-indicator",
        {5: "MQTT-3.3.2-4"},
        "Payload Format Indicator forwarded unaltered",
        _forwards(PropertyId.PAYLOAD_FORMAT_INDICATOR, 1),
    ),
    Row(
        "response-topic",
        {5: "MQTT-3.3.2-15"},
        "Response Topic forwarded unaltered",
        _forwards(PropertyId.RESPONSE_TOPIC, "wire-conform/reply/ü"),
    ),
    Row(
        "correlation-data",
        {5: "MQTT-3.3.2-16"},
        "Correlation Data forwarded unaltered",
        _forwards(PropertyId.CORRELATION_DATA, b"\x00\x01\xfe\xff"),
    ),
    Row(
        "user-properties",
        {5: "MQTT-3.3.2-17"},
        "User Properties forwarded unaltered",
        user_properties_unaltered,
    ),
    Row(
        "user-properties-order",
        {5: "MQTT-3.3.2-18"},
        "User Properties keep their order",
        user_properties_in_order,
    ),
    Row(
        "content-type",
        {5: "MQTT-3.3.2-20"},
        "Content Type forwarded unaltered",
        _forwards(PropertyId.CONTENT_TYPE, "application/json; charset=utf-8"),
    ),
    Row(
        "subscription-identifier-from-client",
        {5: "MQTT-3.3.4-6"},
        "PUBLISH from a client with a Subscription Identifier: closed",
        subscription_identifier_from_client,
    ),
    Row(
        "topic-alias-accepted",
        {5: "MQTT-3.3.2-12"},
        "Topic Aliases 1 and the maximum accepted",
        topic_alias_accepted,
    ),
    Row(
        "topic-alias-above-maximum",
        {5: "MQTT-3.3.2-9"},
        "Topic Alias above the maximum: closed",
        topic_alias_above_maximum,
    ),
    Row(
        "topic-alias-unknown",
        {5: "§3.3.4"},
        "empty topic with an unmapped Topic Alias: closed",
        topic_alias_unknown,
    ),
    Row(
        "message-expiry-drops",
        {5: "MQTT-3.3.2-5"},
        "a message that expired while queued is not delivered",
        expired_message_not_delivered,
    ),
    Row(
        "message-expiry-counts-down",
        {5: "MQTT-3.3.2-6"},
        "Message Expiry Interval reduced by the time queued",
        message_expiry_counts_down,
    ),
]


def _bind(runner: Runner, version: int) -> Callable[[tuple[str, int]], Awaitable[str | None]]:
    async def run(target: tuple[str, int]) -> str | None:
        probe = Probe(target, version)
        try:
            await runner(probe)
        finally:
            await probe.aclose()
        return "; ".join(probe.notes) or None

    return run


SUITE = Suite(
    "mqtt-broker",
    [
        Check(row.name, statement, version, row.summary, _bind(row.runner, version), row.timeout)
        for row in _TABLE
        for version, statement in row.ids.items()
    ],
)
