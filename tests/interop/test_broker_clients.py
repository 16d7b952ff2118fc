"""Real MQTT clients against our broker (``wire serve mqtt`` as a subprocess).

Clients nobody here wrote: paho-mqtt (3.1.1 and 5.0, callback API 2), gmqtt (5.0 and
3.1.1), aiomqtt (both) and mosquitto_pub / mosquitto_sub (``-V mqttv311`` / ``-V
mqttv5``). One broker serves the whole module; every test uses its own topics and
client identifiers. Every wait is bounded by :data:`TIMEOUT`; "nothing arrives"
is checked behind a fence (a later message that must arrive after it), not only by
waiting.

Where our broker departs from the specification the test asserts the spec's
behaviour and is marked ``xfail(strict=True)`` with the statement it breaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import pty
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from tests.interop.broker_fixture import BrokerProcess, wire_broker
from tests.peers import require, require_module

__all__ = ["wire_broker"]

#: Upper bound of every wait for something that must happen.
TIMEOUT = 5.0
#: How long "nothing more arrives" is watched before the fence is sent.
QUIET = 0.3
VERSIONS = pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
QOS = pytest.mark.parametrize("qos", [0, 1, 2], ids=["qos0", "qos1", "qos2"])

_counter = itertools.count()


@pytest.fixture
def names() -> Callable[[str], str]:
    """Topic and client-id maker unique to the test: ``names("sub")`` -> ``"bc17-sub"``."""
    prefix = f"bc{next(_counter)}"
    return lambda suffix: f"{prefix}-{suffix}"


@pytest.fixture
def broker(wire_broker: BrokerProcess) -> tuple[str, int]:
    assert wire_broker.process.poll() is None, f"broker died:\n{wire_broker.stderr()}"
    return wire_broker.address


def _get(source: queue.Queue[Any], what: str, timeout: float = TIMEOUT) -> Any:
    try:
        return source.get(timeout=timeout)
    except queue.Empty:
        pytest.fail(f"no {what} within {timeout} s")


def _drain(source: queue.Queue[Any]) -> list[Any]:
    items = []
    with contextlib.suppress(queue.Empty):
        while True:
            items.append(source.get_nowait())
    return items


# ---------------------------------------------------------------------------
# paho-mqtt
# ---------------------------------------------------------------------------


def _paho() -> Any:
    require_module("paho.mqtt")
    import paho.mqtt.client as mqtt

    return mqtt


def _props(packet: str, **values: Any) -> Any:
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    props = Properties(getattr(PacketTypes, packet))
    for name, value in values.items():
        setattr(props, name, value)
    return props


class Paho:
    """A paho-mqtt client with bounded waits.

    ``threaded`` (the default) runs paho's network loop in its thread; without it the
    test drives the loop (``_loop_until``) and ``drop()`` can cut the connection
    without a loop thread that would reconnect.
    """

    def __init__(
        self,
        address: tuple[str, int],
        client_id: str,
        version: int,
        *,
        clean: bool = True,
        session_expiry: int | None = None,
        will: tuple[str, bytes, int, bool] | None = None,
        will_properties: Any = None,
        threaded: bool = True,
        keepalive: int = 30,
    ) -> None:
        mqtt = _paho()
        self.threaded = threaded
        self.keepalive = keepalive
        self.address = address
        self.version = version
        self.clean = clean
        self.session_expiry = session_expiry
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5 if version == 5 else mqtt.MQTTv311,
            clean_session=None if version == 5 else clean,
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_unsubscribe = self._on_unsubscribe
        if will is not None:
            topic, payload, qos, retain = will
            self.client.will_set(topic, payload, qos, retain, properties=will_properties)
        self.messages: queue.Queue[Any] = queue.Queue()
        self._acks: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self.session_present: bool | None = None
        self.connack_properties: Any = None

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self._acks.put(("connack", flags, rc, props))

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        self.messages.put(message)

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, codes: Any, props: Any) -> None:
        self._acks.put(("suback", mid, codes))

    def _on_unsubscribe(self, client: Any, userdata: Any, mid: int, codes: Any, props: Any) -> None:
        self._acks.put(("unsuback", mid, codes))

    def _ack(self, kind: str) -> tuple[Any, ...]:
        ack = _get(self._acks, kind.upper())
        assert ack[0] == kind, ack
        return ack

    def connect(self) -> Paho:
        host, port = self.address
        if self.version == 5:
            props = None
            if self.session_expiry is not None:
                props = _props("CONNECT", SessionExpiryInterval=self.session_expiry)
            self.client.connect(
                host, port, keepalive=self.keepalive, clean_start=self.clean, properties=props
            )
        else:
            self.client.connect(host, port, keepalive=self.keepalive)
        if self.threaded:
            self.client.loop_start()
        else:
            # No network thread: run the loop by hand until CONNACK, so that drop()
            # can close the socket at once without a thread that would reconnect.
            deadline = time.monotonic() + TIMEOUT
            while self._acks.empty() and time.monotonic() < deadline:
                self.client.loop(timeout=0.05)
        _, flags, rc, props = self._ack("connack")
        assert not rc.is_failure, f"CONNACK refused: {rc}"
        self.session_present = bool(flags.session_present)
        self.connack_properties = props
        return self

    def subscribe(self, topic: str, qos: int = 1, properties: Any = None, **options: Any) -> Any:
        mqtt = _paho()
        if self.version == 5:
            opts = mqtt.SubscribeOptions(qos=qos, **options)
            result, mid = self.client.subscribe(topic, options=opts, properties=properties)
        else:
            result, mid = self.client.subscribe(topic, qos)
        assert result == mqtt.MQTT_ERR_SUCCESS
        _, acked, codes = self._ack("suback")
        assert acked == mid
        granted = [int(c.value) if hasattr(c, "value") else int(c) for c in codes]
        assert granted == [qos], f"SUBACK for {topic!r} granted {codes}, asked QoS {qos}"
        return codes

    def unsubscribe(self, topic: str) -> Any:
        result, mid = self.client.unsubscribe(topic)
        assert result == 0
        _, acked, codes = self._ack("unsuback")
        assert acked == mid
        return codes

    def publish(
        self, topic: str, payload: bytes, qos: int = 0, retain: bool = False, properties: Any = None
    ) -> None:
        info = self.client.publish(topic, payload, qos, retain, properties)
        info.wait_for_publish(TIMEOUT)
        assert info.is_published(), f"PUBLISH {topic!r} QoS {qos} not acknowledged"

    def receive(self, count: int = 1) -> list[Any]:
        return [_get(self.messages, f"message {i + 1}/{count}") for i in range(count)]

    def disconnect(self) -> None:
        """Clean DISCONNECT (reason 0x00): the broker must discard the Will."""
        self.client.disconnect()
        self.client.loop_stop()

    def drop(self) -> None:
        """Close the TCP connection without DISCONNECT, as a crashed client would."""
        assert not self.threaded, "drop() needs a client made with threaded=False"
        sock = self.client.socket()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


@contextlib.contextmanager
def paho(address: tuple[str, int], client_id: str, version: int, **kwargs: Any) -> Iterator[Paho]:
    client = Paho(address, client_id, version, **kwargs).connect()
    try:
        yield client
    finally:
        if client.client.is_connected():
            client.disconnect()
        else:
            client.client.loop_stop()


def _fence(address: tuple[str, int], observer: Paho, topic: str, version: int) -> None:
    """Publish to ``topic`` (which ``observer`` subscribes to) and wait for it there.

    Everything the broker routed to ``observer`` before the fence has arrived by then.
    """
    time.sleep(QUIET)
    with paho(address, f"{topic}-fencer", version) as fencer:
        fencer.publish(topic, b"fence", 1)
    message = observer.receive()[0]
    assert (message.topic, message.payload) == (topic, b"fence"), (
        f"unexpected message before the fence: {message.topic!r} {message.payload!r}"
    )


@VERSIONS
@QOS
def test_paho_publish_subscribe(
    broker: tuple[str, int], names: Any, version: int, qos: int
) -> None:
    topic = names("data")
    with (
        paho(broker, names("sub"), version) as sub,
        paho(broker, names("pub"), version) as pub,
    ):
        sub.subscribe(topic, qos)
        payloads = [b"first", bytes(range(256)), b""]
        for payload in payloads:
            pub.publish(topic, payload, qos)
        got = sub.receive(len(payloads))
        assert [(m.topic, m.payload, m.qos, m.retain) for m in got] == [
            (topic, p, qos, False) for p in payloads
        ]
        # The subscription's QoS caps the delivery QoS (5.0 [MQTT-3.8.4-8]; 3.1.1 section 3.8.4).
        pub.publish(topic, b"capped", 2)
        message = sub.receive()[0]
        assert (message.payload, message.qos) == (b"capped", qos)


@VERSIONS
def test_paho_retained_late_subscriber_and_clear(
    broker: tuple[str, int], names: Any, version: int
) -> None:
    base = names("retained")
    kept, cleared = f"{base}/kept", f"{base}/cleared"
    with paho(broker, names("pub"), version) as pub:
        pub.publish(kept, b"kept-1", 1, retain=True)
        pub.publish(kept, b"kept-2", 1, retain=True)  # replaces kept-1 ([MQTT-3.3.1-5])
        pub.publish(cleared, b"soon gone", 2, retain=True)
        with paho(broker, names("late"), version) as late:
            late.subscribe(f"{base}/#", 2)
            got = {m.topic: m for m in late.receive(2)}
            assert {t: (m.payload, m.qos, m.retain) for t, m in got.items()} == {
                kept: (
                    b"kept-2",
                    1,
                    True,
                ),  # RETAIN 1 for a new subscription (3.1.1 [MQTT-3.3.1-8])
                cleared: (b"soon gone", 2, True),
            }
            # A message published while subscribed is not flagged retained
            # (3.1.1 [MQTT-3.3.1-9]; 5.0 Retain As Published 0 [MQTT-3.3.1-12]).
            pub.publish(kept, b"kept-3", 1, retain=True)
            live = late.receive()[0]
            assert (live.topic, live.payload, live.retain) == (kept, b"kept-3", False)
            # An empty retained message clears the topic and is still delivered.
            pub.publish(cleared, b"", 1, retain=True)
            gone = late.receive()[0]
            assert (gone.topic, gone.payload, gone.retain) == (cleared, b"", False)
        with paho(broker, names("later"), version) as later:
            later.subscribe(f"{base}/#", 1)
            message = later.receive()[0]
            assert (message.topic, message.payload, message.retain) == (kept, b"kept-3", True)
            _fence(broker, later, f"{base}/fence", version)
    with paho(broker, names("cleanup"), version) as pub:
        pub.publish(kept, b"", 1, retain=True)


@VERSIONS
def test_paho_will_on_abrupt_close(broker: tuple[str, int], names: Any, version: int) -> None:
    will_topic = names("will")
    will_props = None
    if version == 5:
        will_props = _props(
            "WILLMESSAGE",
            UserProperty=[("why", "gone"), ("why", "twice")],
            ContentType="text/plain",
            ResponseTopic=names("reply"),
            CorrelationData=b"\x00corr",
        )
    with paho(broker, names("watch"), version) as watcher:
        watcher.subscribe(will_topic, 1)
        dying = Paho(
            broker,
            names("dying"),
            version,
            will=(will_topic, b"I died", 1, False),
            will_properties=will_props,
            threaded=False,
        ).connect()
        dying.drop()
        will = watcher.receive()[0]
        assert (will.topic, will.payload, will.qos, will.retain) == (
            will_topic,
            b"I died",
            1,
            False,
        )
        if version == 5:
            props = will.properties
            assert props.UserProperty == [("why", "gone"), ("why", "twice")]
            assert props.ContentType == "text/plain"
            assert props.ResponseTopic == names("reply")
            assert props.CorrelationData == b"\x00corr"


@VERSIONS
def test_paho_no_will_on_clean_disconnect(
    broker: tuple[str, int], names: Any, version: int
) -> None:
    base = names("will")
    with paho(broker, names("watch"), version) as watcher:
        watcher.subscribe(f"{base}/#", 1)
        leaving = Paho(
            broker, names("leaving"), version, will=(f"{base}/last", b"should not", 1, False)
        ).connect()
        leaving.disconnect()
        # [MQTT-3.1.2-8], [MQTT-3.1.2-10]: a (0x00) DISCONNECT removes the Will.
        _fence(broker, watcher, f"{base}/fence", version)


@VERSIONS
def test_paho_persistent_session(broker: tuple[str, int], names: Any, version: int) -> None:
    topic, client_id = names("queued"), names("persistent")
    expiry = 60 if version == 5 else None
    sub = Paho(broker, client_id, version, clean=False, session_expiry=expiry).connect()
    assert sub.session_present is False
    sub.subscribe(f"{topic}/#", 2)
    sub.disconnect()
    with paho(broker, names("pub"), version) as pub:
        pub.publish(f"{topic}/a", b"one", 1)
        pub.publish(f"{topic}/b", b"two", 2)
        pub.publish(f"{topic}/a", b"three", 1)
    again = Paho(broker, client_id, version, clean=False, session_expiry=expiry).connect()
    try:
        assert again.session_present is True  # section 3.2.2.1.1
        got = [(m.topic, m.payload, m.qos) for m in again.receive(3)]
        # Order is promised per topic and QoS ([MQTT-4.6.0-6]); paho hands a QoS 2
        # message over only at PUBREL, so it may come after a later QoS 1 one.
        assert sorted(got) == sorted(
            [(f"{topic}/a", b"one", 1), (f"{topic}/b", b"two", 2), (f"{topic}/a", b"three", 1)]
        )
        assert [g for g in got if g[0] == f"{topic}/a"] == [
            (f"{topic}/a", b"one", 1),
            (f"{topic}/a", b"three", 1),
        ]
        # The subscription survived: new messages arrive without subscribing again.
        with paho(broker, names("pub2"), version) as pub:
            pub.publish(f"{topic}/c", b"live", 2)
        live = again.receive()[0]
        assert (live.topic, live.payload, live.qos) == (f"{topic}/c", b"live", 2)
    finally:
        again.disconnect()
    # Clean start discards the session.
    fresh = Paho(broker, client_id, version, clean=True).connect()
    assert fresh.session_present is False
    fresh.disconnect()


def test_paho_shared_subscription(broker: tuple[str, int], names: Any) -> None:
    topic = names("work")
    with (
        paho(broker, names("worker-a"), 5) as a,
        paho(broker, names("worker-b"), 5) as b,
        paho(broker, names("plain"), 5) as plain,
        paho(broker, names("pub"), 5) as pub,
    ):
        a.subscribe(f"$share/g/{topic}", 1)
        b.subscribe(f"$share/g/{topic}", 1)
        plain.subscribe(topic, 1)
        payloads = [f"job-{i}".encode() for i in range(10)]
        for payload in payloads:
            pub.publish(topic, payload, 1)
        # A plain subscriber still gets every message.
        assert [m.payload for m in plain.receive(len(payloads))] == payloads
        got: dict[str, list[bytes]] = {"a": [], "b": []}
        deadline = time.monotonic() + TIMEOUT
        while len(got["a"]) + len(got["b"]) < len(payloads) and time.monotonic() < deadline:
            for name, client in (("a", a), ("b", b)):
                with contextlib.suppress(queue.Empty):
                    message = client.messages.get(timeout=0.05)
                    assert (message.topic, message.qos) == (topic, 1)
                    got[name].append(message.payload)
        time.sleep(QUIET)
        got["a"] += [m.payload for m in _drain(a.messages)]
        got["b"] += [m.payload for m in _drain(b.messages)]
        # Section 4.8.2: each message goes to exactly one member of the group.
        assert sorted(got["a"] + got["b"]) == sorted(payloads), got
        assert not set(got["a"]) & set(got["b"]), got


def test_paho_topic_alias(broker: tuple[str, int], names: Any) -> None:
    topic = names("aliased")
    with (
        paho(broker, names("sub"), 5) as sub,
        paho(broker, names("pub"), 5) as pub,
    ):
        assert pub.connack_properties.TopicAliasMaximum >= 1
        sub.subscribe(topic, 1)
        pub.publish(topic, b"sets alias", 1, properties=_props("PUBLISH", TopicAlias=1))
        pub.publish("", b"uses alias", 1, properties=_props("PUBLISH", TopicAlias=1))
        pub.publish("", b"uses alias q0", 0, properties=_props("PUBLISH", TopicAlias=1))
        got = sub.receive(3)
        assert [(m.topic, m.payload) for m in got] == [
            (topic, b"sets alias"),
            (topic, b"uses alias"),
            (topic, b"uses alias q0"),
        ]
        # An alias belongs to the publisher's connection (section 3.3.2.3.4): not forwarded.
        assert all(not hasattr(m.properties, "TopicAlias") for m in got)


def test_paho_properties_pass_through(broker: tuple[str, int], names: Any) -> None:
    topic = names("request")
    with (
        paho(broker, names("sub"), 5) as sub,
        paho(broker, names("pub"), 5) as pub,
    ):
        sub.subscribe(topic, 2)
        user = [("b", "2"), ("a", "1"), ("a", "1"), ("ü", "ünïcode")]
        for qos in (0, 1, 2):
            props = _props(
                "PUBLISH",
                UserProperty=user,
                CorrelationData=b"\x00\x01corr\xff",
                ResponseTopic=names("reply"),
                ContentType="application/json",
                PayloadFormatIndicator=1,
            )
            pub.publish(topic, b'{"q": %d}' % qos, qos, properties=props)
            message = sub.receive()[0]
            assert (message.payload, message.qos) == (b'{"q": %d}' % qos, qos)
            got = message.properties
            # [MQTT-3.3.2-17]/[MQTT-3.3.2-18]: user properties unchanged, in order.
            assert got.UserProperty == user
            assert got.CorrelationData == b"\x00\x01corr\xff"  # [MQTT-3.3.2-16]
            assert got.ResponseTopic == names("reply")  # [MQTT-3.3.2-15]
            assert got.ContentType == "application/json"  # [MQTT-3.3.2-20]
            assert got.PayloadFormatIndicator == 1  # [MQTT-3.3.2-4]


def test_paho_message_expiry(broker: tuple[str, int], names: Any) -> None:
    topic, client_id = names("expiring"), names("offline")
    sub = Paho(broker, client_id, 5, clean=False, session_expiry=60).connect()
    sub.subscribe(topic, 1)
    sub.disconnect()
    with paho(broker, names("pub"), 5) as pub:
        pub.publish(topic, b"before", 1)
        pub.publish(topic, b"expires", 1, properties=_props("PUBLISH", MessageExpiryInterval=1))
        pub.publish(topic, b"lasts", 1, properties=_props("PUBLISH", MessageExpiryInterval=60))
        pub.publish(topic, b"after", 1)
    time.sleep(2.1)
    with paho(broker, client_id, 5, clean=False, session_expiry=60) as again:
        assert again.session_present is True
        got = again.receive(3)
        # [MQTT-3.3.2-5]: an expired message is not delivered to a subscriber.
        assert [m.payload for m in got] == [b"before", b"lasts", b"after"]
        # [MQTT-3.3.2-6]: the expiry sent on is the time left (60 - the 2 s it waited).
        assert 55 <= got[1].properties.MessageExpiryInterval <= 58
        assert not hasattr(got[0].properties, "MessageExpiryInterval")
        again.client.disconnect()
    with paho(broker, client_id, 5, clean=True):
        pass


def test_paho_session_expiry(broker: tuple[str, int], names: Any) -> None:
    topic, client_id = names("short"), names("short-lived")
    sub = Paho(broker, client_id, 5, clean=False, session_expiry=1).connect()
    sub.subscribe(topic, 1)
    sub.disconnect()
    time.sleep(2.1)
    with paho(broker, names("pub"), 5) as pub:
        pub.publish(topic, b"nobody home", 1)
    with paho(broker, client_id, 5, clean=False, session_expiry=60) as again:
        # Section 3.1.2.11.2: the session ended when its expiry interval passed.
        assert again.session_present is False
        again.subscribe(names("fence"), 1)
        _fence(broker, again, names("fence"), 5)


def test_paho_subscription_identifiers(broker: tuple[str, int], names: Any) -> None:
    base = names("ids")
    with (
        paho(broker, names("sub"), 5) as sub,
        paho(broker, names("pub"), 5) as pub,
    ):
        sub.subscribe(f"{base}/+", 1, properties=_props("SUBSCRIBE", SubscriptionIdentifier=7))
        sub.subscribe(f"{base}/x", 2, properties=_props("SUBSCRIBE", SubscriptionIdentifier=300))
        sub.subscribe(f"{base}/#", 0)
        pub.publish(f"{base}/y", b"one match", 1)
        message = sub.receive()[0]
        # [MQTT-3.3.4-3]: the identifier of the matching subscription.
        assert (message.topic, message.payload) == (f"{base}/y", b"one match")
        assert message.properties.SubscriptionIdentifier == [7]
        pub.publish(f"{base}/x", b"three matches", 2)
        got = sub.receive(1)
        extra = _drain(sub.messages)
        time.sleep(QUIET)
        extra += _drain(sub.messages)
        messages = got + extra
        # One copy, or one per overlapping subscription (section 3.3.4): a single copy
        # carries every identifier ([MQTT-3.3.4-4]), several carry one each ([MQTT-3.3.4-5]).
        ids = sorted(
            i for m in messages for i in getattr(m.properties, "SubscriptionIdentifier", [])
        )
        assert ids == [7, 300]
        assert max(m.qos for m in messages) == 2


@VERSIONS
def test_paho_sys_topics(broker: tuple[str, int], names: Any, version: int) -> None:
    with paho(broker, names("sys"), version) as sub:
        sub.subscribe("$SYS/broker/#", 0)
        deadline = time.monotonic() + TIMEOUT
        seen: dict[str, bytes] = {}
        while "$SYS/broker/uptime" not in seen or "$SYS/broker/clients/connected" not in seen:
            left = deadline - time.monotonic()
            assert left > 0, f"$SYS topics seen: {sorted(seen)}"
            message = _get(sub.messages, "$SYS message", left)
            assert message.topic.startswith("$SYS/broker/")
            seen[message.topic] = message.payload
        assert seen["$SYS/broker/uptime"].endswith(b" seconds")
        assert int(seen["$SYS/broker/clients/connected"]) >= 0
    # [MQTT-4.7.2-1]: "#" does not match topics that begin with "$".
    # $SYS values are retained, so they would arrive at once if these matched.
    with paho(broker, names("all"), version) as everything:
        everything.subscribe("#", 0)
        everything.subscribe("+/broker/#", 0)
        time.sleep(QUIET)
        leaked = [m.topic for m in _drain(everything.messages) if m.topic.startswith("$")]
        assert leaked == []


@VERSIONS
def test_paho_unsubscribe_stops_delivery(broker: tuple[str, int], names: Any, version: int) -> None:
    gone, kept = names("gone"), names("kept")
    with (
        paho(broker, names("sub"), version) as sub,
        paho(broker, names("pub"), version) as pub,
    ):
        sub.subscribe(gone, 1)
        sub.subscribe(kept, 1)
        pub.publish(gone, b"before", 1)
        assert sub.receive()[0].payload == b"before"
        codes = sub.unsubscribe(gone)
        if version == 5:
            assert [int(c.value) for c in codes] == [0]
            # Section 3.11.3: 0x11 No subscription existed.
            assert [int(c.value) for c in sub.unsubscribe(names("never"))] == [0x11]
        pub.publish(gone, b"after", 1)
        pub.publish(kept, b"fence", 1)
        # Same publisher, same QoS: had "after" been routed it would come first.
        message = sub.receive()[0]
        assert (message.topic, message.payload) == (kept, b"fence")


def _disconnects(client: Paho) -> queue.Queue[Any]:
    """DISCONNECT reason codes the client gets (or its own code for a lost connection)."""
    reasons: queue.Queue[Any] = queue.Queue()
    client.client.on_disconnect = lambda c, u, flags, rc, props: reasons.put(rc)
    return reasons


def _loop_until(client: Paho, done: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Run a ``threaded=False`` client's network loop until ``done()``, bounded."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out running the paho loop"
        client.client.loop(timeout=0.05)


@VERSIONS
def test_paho_cross_version(broker: tuple[str, int], names: Any, version: int) -> None:
    """A message crosses from one protocol version to the other, flags intact."""
    other = 4 if version == 5 else 5
    topic = names("cross")
    with (
        paho(broker, names("sub"), other) as sub,
        paho(broker, names("pub"), version) as pub,
    ):
        sub.subscribe(topic, 2)
        props = None
        if version == 5:
            props = _props("PUBLISH", UserProperty=[("a", "b")], MessageExpiryInterval=60)
        pub.publish(topic, b"across versions", 2, properties=props)
        pub.publish(topic, b"retained across", 1, retain=True)
        # Sorted: paho hands a QoS 2 message over at PUBREL, possibly after the QoS 1 one.
        got = sorted(sub.receive(2), key=lambda m: m.qos, reverse=True)
        assert [(m.topic, m.payload, m.qos, m.retain) for m in got] == [
            (topic, b"across versions", 2, False),
            (topic, b"retained across", 1, False),
        ]
        if other == 5:
            # A 3.1.1 PUBLISH has no properties; none appear on the way to 5.0.
            assert [m.properties.json() for m in got] == [{}, {}]
    with paho(broker, names("late"), other) as late:
        late.subscribe(topic, 2)
        message = late.receive()[0]
        assert (message.payload, message.qos, message.retain) == (b"retained across", 1, True)
        late.publish(topic, b"", 1, retain=True)


def test_paho_session_resumed_across_versions(broker: tuple[str, int], names: Any) -> None:
    """A 3.1.1 session resumed by a 5.0 connection: its queue comes in 5.0 form."""
    client_id, topic = names("switch"), names("t")
    old = Paho(broker, client_id, 4, clean=False).connect()
    old.subscribe(topic, 1)
    old.disconnect()
    with paho(broker, names("pub"), 5) as pub:
        pub.publish(topic, b"queued", 1, properties=_props("PUBLISH", UserProperty=[("x", "y")]))
    with paho(broker, client_id, 5, clean=False, session_expiry=0) as new:
        assert new.session_present is True
        message = new.receive()[0]
        assert (message.payload, message.qos) == (b"queued", 1)
        assert message.properties.UserProperty == [("x", "y")]


def test_paho_v311_overlapping_subscriptions(broker: tuple[str, int], names: Any) -> None:
    """3.1.1 [MQTT-3.3.5-1]: overlapping subscriptions give one copy at the highest QoS."""
    base = names("overlap")
    with (
        paho(broker, names("sub"), 4) as sub,
        paho(broker, names("pub"), 4) as pub,
    ):
        sub.subscribe(f"{base}/#", 0)
        sub.subscribe(f"{base}/+", 2)
        sub.subscribe(names("fence"), 1)
        pub.publish(f"{base}/x", b"once", 2)
        message = sub.receive()[0]
        assert (message.topic, message.payload, message.qos) == (f"{base}/x", b"once", 2)
        _fence(broker, sub, names("fence"), 4)


@VERSIONS
@pytest.mark.parametrize("qos", [1, 2], ids=["qos1", "qos2"])
def test_paho_burst_in_order(broker: tuple[str, int], names: Any, version: int, qos: int) -> None:
    """A burst bigger than any in-flight window arrives complete and in order ([MQTT-4.6.0-6])."""
    topic, count = names("burst"), 1000
    with (
        paho(broker, names("sub"), version) as sub,
        paho(broker, names("pub"), version) as pub,
    ):
        sub.subscribe(topic, qos)
        infos = [pub.client.publish(topic, b"%d" % i, qos) for i in range(count)]
        got = [int(m.payload) for m in sub.receive(count)]
        assert got == list(range(count))
        infos[-1].wait_for_publish(TIMEOUT)  # the last PUBACK/PUBCOMP may still be on its way
        assert all(info.is_published() for info in infos)


def test_paho_will_delay(broker: tuple[str, int], names: Any) -> None:
    """5.0 Will Delay Interval: the Will waits; a reconnect in time cancels it."""
    base = names("delayed")
    delay = _props("WILLMESSAGE", WillDelayInterval=1)
    with paho(broker, names("watch"), 5) as watcher:
        watcher.subscribe(f"{base}/#", 1)
        kwargs: dict[str, Any] = {"session_expiry": 30, "threaded": False, "clean": False}
        dying = Paho(
            broker,
            names("dying"),
            5,
            will=(f"{base}/w1", b"late will", 1, False),
            will_properties=delay,
            **kwargs,
        ).connect()
        dropped = time.monotonic()
        dying.drop()
        will = watcher.receive()[0]
        waited = time.monotonic() - dropped
        assert (will.topic, will.payload) == (f"{base}/w1", b"late will")
        assert 0.9 <= waited < 3, f"Will came after {waited:.2f} s, delay 1 s"
        assert not hasattr(will.properties, "WillDelayInterval")
        # [MQTT-3.1.3-9]: a new connection to the session within the delay cancels it.
        back_id = names("back")
        coming_back = Paho(
            broker,
            back_id,
            5,
            will=(f"{base}/w2", b"cancelled will", 1, False),
            will_properties=delay,
            **kwargs,
        ).connect()
        coming_back.drop()
        with paho(broker, back_id, 5, clean=False, session_expiry=30) as again:
            assert again.session_present is True
            time.sleep(1.3)  # past the delay
            _fence(broker, watcher, f"{base}/fence", 5)
            again.client.disconnect(properties=_props("DISCONNECT", SessionExpiryInterval=0))


@VERSIONS
def test_paho_will_on_keep_alive_timeout(broker: tuple[str, int], names: Any, version: int) -> None:
    """Silent for 1.5 keep-alive periods: cut off and its Will sent.

    5.0 [MQTT-3.1.2-22], 3.1.1 [MQTT-3.1.2-24]. A client that sends PINGREQ in time
    stays connected.
    """
    base = names("keepalive")
    with (
        paho(broker, names("watch"), version) as watcher,
        paho(
            broker,
            names("pinging"),
            version,
            keepalive=1,
            will=(f"{base}/pinging", b"wrongly cut off", 1, False),
        ) as pinging,
    ):
        watcher.subscribe(f"{base}/#", 1)
        silent = Paho(
            broker,
            names("mute"),
            version,
            keepalive=1,
            threaded=False,
            will=(f"{base}/silent", b"timed out", 1, False),
        )
        reasons = _disconnects(silent)
        silent.connect()
        connected = time.monotonic()
        will = watcher.receive()[0]
        waited = time.monotonic() - connected
        assert (will.topic, will.payload) == (f"{base}/silent", b"timed out")
        assert 1.4 <= waited < 3, f"cut off after {waited:.2f} s with keep-alive 1 s"
        _loop_until(silent, lambda: not reasons.empty())
        if version == 5:
            assert int(reasons.get().value) == 0x8D  # Keep Alive timeout
        time.sleep(max(0.0, 2.2 - (time.monotonic() - connected)))
        assert pinging.client.is_connected()
        _fence(broker, watcher, f"{base}/fence", version)


def test_paho_retained_properties_and_expiry(broker: tuple[str, int], names: Any) -> None:
    """A retained message keeps its properties; once expired it is not sent ([MQTT-3.3.2-5])."""
    base = names("retained")
    with paho(broker, names("pub"), 5) as pub:
        pub.publish(
            f"{base}/short",
            b"short-lived",
            1,
            retain=True,
            properties=_props("PUBLISH", MessageExpiryInterval=1, UserProperty=[("k", "v")]),
        )
        pub.publish(
            f"{base}/long",
            b"long-lived",
            1,
            retain=True,
            properties=_props("PUBLISH", MessageExpiryInterval=100, ContentType="text/plain"),
        )
    with paho(broker, names("early"), 5) as early:
        early.subscribe(f"{base}/#", 1, properties=_props("SUBSCRIBE", SubscriptionIdentifier=3))
        got = {m.topic: m for m in early.receive(2)}
        short, long = got[f"{base}/short"].properties, got[f"{base}/long"].properties
        assert short.UserProperty == [("k", "v")]
        assert short.SubscriptionIdentifier == [3]
        assert long.ContentType == "text/plain"
        assert 99 <= long.MessageExpiryInterval <= 100
    time.sleep(1.2)
    with paho(broker, names("late"), 5) as late:
        late.subscribe(f"{base}/#", 1)
        message = late.receive()[0]
        assert (message.topic, message.payload) == (f"{base}/long", b"long-lived")
        _fence(broker, late, f"{base}/fence", 5)
        late.publish(f"{base}/long", b"", 1, retain=True)


def test_paho_subscription_options(broker: tuple[str, int], names: Any) -> None:
    """No Local, Retain As Published and Retain Handling (section 3.8.3.1)."""
    base = names("opts")
    topic = f"{base}/t"
    with (
        paho(broker, names("me"), 5) as me,
        paho(broker, names("other"), 5) as other,
    ):
        other.publish(topic, b"retained", 1, retain=True)
        me.subscribe(topic, 1, noLocal=True, retainAsPublished=True, retainHandling=0)
        first = me.receive()[0]
        assert (first.payload, first.retain) == (b"retained", True)
        # Retain Handling 1: no retained messages when the subscription already exists.
        me.subscribe(topic, 1, noLocal=True, retainAsPublished=True, retainHandling=1)
        me.publish(topic, b"my own", 1)  # 5.0 [MQTT-3.8.3-3]: No Local, not sent back
        other.publish(topic, b"theirs", 1, retain=True)
        message = me.receive()[0]
        # [MQTT-3.3.1-13]: Retain As Published keeps the RETAIN flag of the PUBLISH.
        assert (message.payload, message.retain) == (b"theirs", True)
        # Retain Handling 2: no retained messages, even for a new subscription.
        me.subscribe(f"{base}/#", 1, retainHandling=2)
        # Retain Handling 1 and a new subscription: the retained message is sent.
        me.subscribe(f"{base}/+", 1, retainHandling=1)
        again = me.receive()[0]
        assert (again.topic, again.payload, again.retain) == (topic, b"theirs", True)
        other.publish(f"{base}/fence", b"fence", 1)
        fence = me.receive()[0]
        assert (fence.topic, fence.payload) == (f"{base}/fence", b"fence")
        other.publish(topic, b"", 1, retain=True)


def test_paho_session_taken_over(broker: tuple[str, int], names: Any) -> None:
    """[MQTT-3.1.4-3]: a second connection with the client id takes over; 0x8E to the first."""
    client_id, topic = names("twin"), names("will")
    with paho(broker, names("watch"), 5) as watcher:
        watcher.subscribe(topic, 1)
        first = Paho(broker, client_id, 5, threaded=False, will=(topic, b"taken", 1, False))
        reasons = _disconnects(first)
        first.connect()
        with paho(broker, client_id, 5) as second:
            _loop_until(first, lambda: not reasons.empty())
            assert int(reasons.get().value) == 0x8E
            # The first connection ended without DISCONNECT from its client: its Will goes.
            will = watcher.receive()[0]
            assert (will.topic, will.payload) == (topic, b"taken")
            assert second.client.is_connected()


def test_paho_inflight_resent_with_dup(broker: tuple[str, int], names: Any) -> None:
    """[MQTT-4.4.0-1]: unacknowledged QoS 1 messages are resent on reconnect, DUP set."""
    topic, client_id = names("inflight"), names("slow")
    sub = Paho(broker, client_id, 5, clean=False, session_expiry=30, threaded=False)
    sub.client.manual_ack_set(True)
    sub.connect()
    sub.client.subscribe(topic, 1)
    _loop_until(sub, lambda: not sub._acks.empty())
    with paho(broker, names("pub"), 5) as pub:
        pub.publish(topic, b"unacked", 1)
    _loop_until(sub, lambda: not sub.messages.empty())
    first = sub.messages.get()
    assert (first.payload, first.dup) == (b"unacked", False)
    sub.drop()  # never sent PUBACK
    with paho(broker, client_id, 5, clean=False, session_expiry=0) as again:
        assert again.session_present is True
        resent = again.receive()[0]
        assert (resent.payload, resent.qos, resent.dup) == (b"unacked", 1, True)  # [MQTT-3.3.1-1]
        assert resent.mid == first.mid  # same packet identifier


def test_paho_receive_maximum(broker: tuple[str, int], names: Any) -> None:
    """[MQTT-3.3.4-9]: no more unacknowledged QoS 1 PUBLISHes than the client's Receive Maximum."""
    topic = names("window")
    sub = Paho(broker, names("sub"), 5, threaded=False)
    sub.client.manual_ack_set(True)
    sub.client.connect(*broker, properties=_props("CONNECT", ReceiveMaximum=2))
    _loop_until(sub, lambda: not sub._acks.empty())
    sub._ack("connack")
    sub.client.subscribe(topic, 1)
    _loop_until(sub, lambda: not sub._acks.empty())

    def settle(count: int) -> list[bytes]:
        _loop_until(sub, lambda: sub.messages.qsize() >= count)
        end = time.monotonic() + QUIET
        while time.monotonic() < end:
            sub.client.loop(timeout=0.05)
        batch = _drain(sub.messages)
        outstanding.extend(batch)
        return [m.payload for m in batch]

    outstanding: list[Any] = []
    with paho(broker, names("pub"), 5) as pub:
        for i in range(5):
            pub.publish(topic, b"m%d" % i, 1)
    assert settle(2) == [b"m0", b"m1"]
    for expected in (b"m2", b"m3", b"m4"):
        sub.client.ack(outstanding.pop(0).mid, 1)  # one PUBACK opens room for one
        assert settle(1) == [expected]
    for message in outstanding:
        sub.client.ack(message.mid, 1)
    sub.client.disconnect()


def test_paho_maximum_packet_size(broker: tuple[str, int], names: Any) -> None:
    """[MQTT-3.1.2-24], [MQTT-3.1.2-25]: nothing over the client's Maximum Packet Size."""
    topic = names("small")
    sub = Paho(broker, names("sub"), 5)
    sub.client.connect(*broker, properties=_props("CONNECT", MaximumPacketSize=64))
    sub.client.loop_start()
    sub._ack("connack")
    try:
        sub.subscribe(topic, 1)
        with paho(broker, names("pub"), 5) as pub:
            pub.publish(topic, b"x" * 100, 1)
            pub.publish(topic, b"fits", 1)
        assert [m.payload for m in sub.receive()] == [b"fits"]
    finally:
        sub.disconnect()


def test_paho_packet_too_large(broker: tuple[str, int], names: Any) -> None:
    """A PUBLISH over the broker's Maximum Packet Size ends with DISCONNECT 0x95."""
    client = Paho(broker, names("big"), 5, threaded=False).connect()
    limit = client.connack_properties.MaximumPacketSize
    reasons = _disconnects(client)
    client.client.publish(names("t"), b"x" * limit, 1)
    _loop_until(client, lambda: not reasons.empty())
    assert int(reasons.get().value) == 0x95


def test_paho_topic_alias_invalid(broker: tuple[str, int], names: Any) -> None:
    """Section 3.3.2.3.4: an alias above Topic Alias Maximum, or never set, is 0x94."""
    for alias, topic in ((None, names("t")), (3, "")):
        client = Paho(broker, names(f"alias{alias}"), 5, threaded=False).connect()
        maximum = client.connack_properties.TopicAliasMaximum
        reasons = _disconnects(client)
        props = _props("PUBLISH", TopicAlias=alias or maximum + 1)
        client.client.publish(topic, b"x", 0, properties=props)
        _loop_until(client, lambda: not reasons.empty())  # noqa: B023
        assert int(reasons.get().value) == 0x94


def test_paho_assigned_client_identifier(broker: tuple[str, int]) -> None:
    """[MQTT-3.2.2-16]: an empty client id gets an Assigned Client Identifier."""
    with paho(broker, "", 5) as client:
        assigned = client.connack_properties.AssignedClientIdentifier
        assert assigned
    with paho(broker, "", 5) as client:
        assert client.connack_properties.AssignedClientIdentifier != assigned


def test_paho_disconnect_changes_session_expiry(broker: tuple[str, int], names: Any) -> None:
    """Section 3.14.2.2.2: DISCONNECT may change the Session Expiry Interval."""
    client_id, topic = names("expiry"), names("t")
    client = Paho(broker, client_id, 5, clean=False, session_expiry=1).connect()
    client.subscribe(topic, 1)
    client.client.disconnect(properties=_props("DISCONNECT", SessionExpiryInterval=60))
    client.client.loop_stop()
    time.sleep(1.3)  # past the 1 s of CONNECT
    again = Paho(broker, client_id, 5, clean=False, session_expiry=30).connect()
    assert again.session_present is True
    again.client.disconnect(properties=_props("DISCONNECT", SessionExpiryInterval=0))
    again.client.loop_stop()
    with paho(broker, client_id, 5, clean=False) as last:
        assert last.session_present is False


def test_paho_shared_subscription_members_come_and_go(broker: tuple[str, int], names: Any) -> None:
    """Messages go to connected members; an unsubscribed member gets none."""
    topic, away_id = names("work"), names("away")
    share = f"$share/g/{topic}"
    with (
        paho(broker, names("here"), 5) as here,
        paho(broker, names("quitter"), 5) as quitter,
        paho(broker, names("pub"), 5) as pub,
    ):
        here.subscribe(share, 1)
        quitter.subscribe(share, 1)
        quitter.unsubscribe(share)
        away = Paho(broker, away_id, 5, clean=False, session_expiry=30).connect()
        away.subscribe(share, 1)
        away.disconnect()
        for i in range(4):
            pub.publish(topic, b"%d" % i, 1)
        assert [m.payload for m in here.receive(4)] == [b"0", b"1", b"2", b"3"]
        quitter.subscribe(names("fence"), 1)
        _fence(broker, quitter, names("fence"), 5)
    with paho(broker, away_id, 5, clean=False, session_expiry=0) as back:
        back.subscribe(names("fence2"), 1)
        _fence(broker, back, names("fence2"), 5)


def test_paho_clients_cannot_publish_to_sys(broker: tuple[str, int], names: Any) -> None:
    topic = f"$SYS/broker/{names('spoof')}"
    with (
        paho(broker, names("sub"), 5) as sub,
        paho(broker, names("pub"), 5) as pub,
    ):
        sub.subscribe(topic, 1)
        sub.subscribe(names("fence"), 1)
        pub.publish(topic, b"spoofed", 1, retain=True)
        try:
            _fence(broker, sub, names("fence"), 5)
        finally:
            pub.publish(topic, b"", 1, retain=True)


def test_paho_broker_shutdown_says_goodbye(names: Any) -> None:
    """SIGTERM: 5.0 clients get DISCONNECT 0x8B, 3.1.1 clients a closed connection."""
    from tests.interop.broker_fixture import STOP_TIMEOUT, running_broker

    with running_broker() as own:
        v5 = Paho(own.address, names("v5"), 5, threaded=False).connect()
        v311 = Paho(own.address, names("v311"), 4, threaded=False).connect()
        reasons5, reasons311 = _disconnects(v5), _disconnects(v311)
        own.process.send_signal(signal.SIGTERM)
        _loop_until(v5, lambda: not reasons5.empty())
        _loop_until(v311, lambda: not reasons311.empty())
        assert int(reasons5.get().value) == 0x8B  # Server shutting down
        assert own.process.wait(STOP_TIMEOUT) == 0
        assert "SIGTERM: shutting down" in own.stdout_lines


# ---------------------------------------------------------------------------
# Clients in a process of their own, killed to test the Will
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def _client_process(code: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    """Run ``code`` in a fresh interpreter; it prints ``ready`` once connected."""
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=lambda: [lines.put(line) for line in process.stdout or ()], daemon=True
        ).start()
        line = _get(lines, "'ready' from the client process", TIMEOUT)
        assert line.strip() == "ready", line
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(TIMEOUT)
        if process.stdout is not None:
            process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()


def _kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL: the kernel closes the socket, the client sends no DISCONNECT."""
    process.send_signal(signal.SIGKILL)
    process.wait(TIMEOUT)


# ---------------------------------------------------------------------------
# gmqtt (asyncio)
# ---------------------------------------------------------------------------


def _run(coro: Any) -> Any:
    """Run an asyncio test body with an overall bound."""
    return asyncio.run(asyncio.wait_for(coro, 4 * TIMEOUT))


def _gmqtt() -> Any:
    require_module("gmqtt")
    import gmqtt

    return gmqtt


async def _aget(source: asyncio.Queue[Any], what: str, timeout: float = TIMEOUT) -> Any:
    try:
        return await asyncio.wait_for(source.get(), timeout)
    except TimeoutError:
        pytest.fail(f"no {what} within {timeout} s")


class Gmqtt:
    """A gmqtt client; messages arrive as (topic, payload, qos, properties)."""

    def __init__(
        self,
        address: tuple[str, int],
        client_id: str,
        version: int,
        *,
        clean: bool = True,
        session_expiry: int | None = None,
        will: Any = None,
    ) -> None:
        gmqtt = _gmqtt()
        self.address = address
        self.version = version
        kwargs = {"session_expiry_interval": session_expiry} if session_expiry is not None else {}
        self.client = gmqtt.Client(client_id, clean_session=clean, will_message=will, **kwargs)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_unsubscribe = self._on_unsubscribe
        self.messages: asyncio.Queue[tuple[str, bytes, int, dict[str, Any]]] = asyncio.Queue()
        self._acks: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self.session_present: bool | None = None

    def _on_connect(self, client: Any, flags: int, rc: int, properties: Any) -> None:
        self.session_present = bool(flags)

    def _on_message(self, client: Any, topic: str, payload: bytes, qos: int, props: Any) -> int:
        self.messages.put_nowait((topic, payload, qos, props))
        return 0

    def _on_subscribe(self, client: Any, mid: int, qos: Any, properties: Any) -> None:
        self._acks.put_nowait(("suback", mid, qos))

    def _on_unsubscribe(self, client: Any, mid: int, qos: Any) -> None:
        self._acks.put_nowait(("unsuback", mid, qos))

    async def connect(self) -> Gmqtt:
        from gmqtt.mqtt.constants import MQTTv50, MQTTv311

        host, port = self.address
        version = MQTTv50 if self.version == 5 else MQTTv311
        await asyncio.wait_for(
            self.client.connect(host, port, keepalive=30, version=version), TIMEOUT
        )
        return self

    async def subscribe(self, topic: str, qos: int = 1, **kwargs: Any) -> None:
        mid = self.client.subscribe(topic, qos, **kwargs)
        kind, acked, codes = await _aget(self._acks, "SUBACK")
        assert (kind, acked) == ("suback", mid)
        assert [int(c) for c in codes] == [qos], f"SUBACK for {topic!r}: {codes}"

    async def unsubscribe(self, topic: str) -> None:
        mid = self.client.unsubscribe(topic)
        kind, acked, _ = await _aget(self._acks, "UNSUBACK")
        assert (kind, acked) == ("unsuback", mid)

    async def receive(self, count: int = 1) -> list[tuple[str, bytes, int, dict[str, Any]]]:
        return [await _aget(self.messages, f"message {i + 1}/{count}") for i in range(count)]

    async def disconnect(self) -> None:
        await asyncio.wait_for(self.client.disconnect(), TIMEOUT)


@contextlib.asynccontextmanager
async def gmqtt_client(
    address: tuple[str, int], client_id: str, version: int, **kwargs: Any
) -> AsyncIterator[Gmqtt]:
    client = await Gmqtt(address, client_id, version, **kwargs).connect()
    try:
        yield client
    finally:
        await client.disconnect()


async def _gmqtt_fence(address: tuple[str, int], observer: Gmqtt, topic: str) -> None:
    await asyncio.sleep(QUIET)
    async with gmqtt_client(address, f"{topic}-fencer", observer.version) as fencer:
        fencer.client.publish(topic, b"fence", 1)
        received = await observer.receive()
    assert received[0][:2] == (topic, b"fence"), f"unexpected before the fence: {received}"


@VERSIONS
@QOS
def test_gmqtt_publish_subscribe(
    broker: tuple[str, int], names: Any, version: int, qos: int
) -> None:
    topic = names("data")

    async def body() -> None:
        async with (
            gmqtt_client(broker, names("sub"), version) as sub,
            gmqtt_client(broker, names("pub"), version) as pub,
        ):
            await sub.subscribe(topic, qos)
            payloads = [b"gmqtt", bytes(range(256)) * 4, b""]
            for payload in payloads:
                pub.client.publish(topic, payload, qos)
            got = await sub.receive(len(payloads))
            assert [(t, p, q, props["retain"]) for t, p, q, props in got] == [
                (topic, p, qos, 0) for p in payloads
            ]

    _run(body())


@VERSIONS
def test_gmqtt_retained_late_subscriber_and_clear(
    broker: tuple[str, int], names: Any, version: int
) -> None:
    base = names("retained")

    async def body() -> None:
        async with gmqtt_client(broker, names("pub"), version) as pub:
            pub.client.publish(f"{base}/a", b"retained a", 1, retain=True)
            pub.client.publish(f"{base}/b", b"retained b", 2, retain=True)
            async with gmqtt_client(broker, names("late"), version) as late:
                await late.subscribe(f"{base}/+", 2)
                got = sorted(await late.receive(2))
                assert [(t, p, q, props["retain"]) for t, p, q, props in got] == [
                    (f"{base}/a", b"retained a", 1, 1),
                    (f"{base}/b", b"retained b", 2, 1),
                ]
                pub.client.publish(f"{base}/a", b"", 1, retain=True)
                cleared = (await late.receive())[0]
                assert (cleared[0], cleared[1], cleared[3]["retain"]) == (f"{base}/a", b"", 0)
            async with gmqtt_client(broker, names("later"), version) as later:
                await later.subscribe(f"{base}/+", 2)
                only = (await later.receive())[0]
                assert (only[0], only[1], only[3]["retain"]) == (f"{base}/b", b"retained b", 1)
                await _gmqtt_fence(broker, later, f"{base}/fence")
            pub.client.publish(f"{base}/b", b"", 1, retain=True)

    _run(body())


_GMQTT_WILL_CLIENT = """
import asyncio, sys
import gmqtt
from gmqtt.mqtt.constants import MQTTv50, MQTTv311

host, port, version, client_id, topic = sys.argv[1:]
props = {"user_property": [("from", "gmqtt")], "content_type": "text/plain"}
if version != "5":
    props = {}

async def main():
    will = gmqtt.Message(topic, b"gmqtt died", qos=1, retain=True, **props)
    client = gmqtt.Client(client_id, will_message=will)
    await client.connect(host, int(port), version=MQTTv50 if version == "5" else MQTTv311)
    print("ready", flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


@VERSIONS
def test_gmqtt_will_on_killed_process(broker: tuple[str, int], names: Any, version: int) -> None:
    _gmqtt()
    topic = names("will")

    async def body() -> None:
        async with gmqtt_client(broker, names("watch"), version) as watcher:
            await watcher.subscribe(topic, 1)
            with _client_process(
                _GMQTT_WILL_CLIENT, broker[0], str(broker[1]), str(version), names("dying"), topic
            ) as process:
                _kill(process)
            will_topic, payload, qos, props = (await watcher.receive())[0]
            # Live: RETAIN 0 (3.1.1 [MQTT-3.3.1-9]; 5.0 [MQTT-3.3.1-12]).
            assert (will_topic, payload, qos, props["retain"]) == (topic, b"gmqtt died", 1, 0)
            if version == 5:
                assert props["user_property"] == [("from", "gmqtt")]
                assert props["content_type"] == ["text/plain"]
        # The Will was retained ([MQTT-3.1.2-17]): a late subscriber gets it.
        async with gmqtt_client(broker, names("late"), version) as late:
            await late.subscribe(topic, 1)
            retained = (await late.receive())[0]
            assert (retained[0], retained[1], retained[3]["retain"]) == (topic, b"gmqtt died", 1)
            late.client.publish(topic, b"", 1, retain=True)

    _run(body())


@VERSIONS
def test_gmqtt_no_will_on_clean_disconnect(
    broker: tuple[str, int], names: Any, version: int
) -> None:
    gmqtt = _gmqtt()
    base = names("will")

    async def body() -> None:
        async with gmqtt_client(broker, names("watch"), version) as watcher:
            await watcher.subscribe(f"{base}/#", 1)
            will = gmqtt.Message(f"{base}/last", b"should not", qos=1)
            leaving = await Gmqtt(broker, names("leaving"), version, will=will).connect()
            await leaving.disconnect()
            await _gmqtt_fence(broker, watcher, f"{base}/fence")

    _run(body())


@VERSIONS
def test_gmqtt_persistent_session(broker: tuple[str, int], names: Any, version: int) -> None:
    topic, client_id = names("queued"), names("persistent")
    expiry = 60 if version == 5 else None

    async def body() -> None:
        sub = await Gmqtt(broker, client_id, version, clean=False, session_expiry=expiry).connect()
        assert sub.session_present is False
        await sub.subscribe(topic, 1)
        await sub.disconnect()
        async with gmqtt_client(broker, names("pub"), version) as pub:
            for payload in (b"q1", b"q2", b"q3"):
                pub.client.publish(topic, payload, 1)
            # A round trip through the broker on the same connection: all three are routed.
            await pub.subscribe(names("sync"), 1)
        again = await Gmqtt(
            broker, client_id, version, clean=False, session_expiry=expiry
        ).connect()
        try:
            assert again.session_present is True
            got = await again.receive(3)
            assert [(t, p, q) for t, p, q, _ in got] == [
                (topic, b"q1", 1),
                (topic, b"q2", 1),
                (topic, b"q3", 1),
            ]
        finally:
            await again.disconnect()
        fresh = await Gmqtt(broker, client_id, version, clean=True).connect()
        assert fresh.session_present is False
        await fresh.disconnect()

    _run(body())


def test_gmqtt_shared_subscription(broker: tuple[str, int], names: Any) -> None:
    topic = names("work")

    async def body() -> None:
        async with (
            gmqtt_client(broker, names("a"), 5) as a,
            gmqtt_client(broker, names("b"), 5) as b,
            gmqtt_client(broker, names("pub"), 5) as pub,
        ):
            await a.subscribe(f"$share/grp/{topic}", 2)
            await b.subscribe(f"$share/grp/{topic}", 2)
            payloads = [f"task-{i}".encode() for i in range(10)]
            for payload in payloads:
                pub.client.publish(topic, payload, 2)
            got: list[tuple[str, bytes]] = []
            deadline = time.monotonic() + TIMEOUT
            while len(got) < len(payloads) and time.monotonic() < deadline:
                for name, client in (("a", a), ("b", b)):
                    with contextlib.suppress(asyncio.QueueEmpty):
                        t, p, q, _ = client.messages.get_nowait()
                        assert (t, q) == (topic, 2)
                        got.append((name, p))
                await asyncio.sleep(0.01)
            await asyncio.sleep(QUIET)
            for name, client in (("a", a), ("b", b)):
                while not client.messages.empty():
                    got.append((name, client.messages.get_nowait()[1]))
            # Each message to exactly one member of the group (section 4.8.2).
            assert sorted(p for _, p in got) == sorted(payloads), got

    _run(body())


def test_gmqtt_properties_alias_and_identifiers(broker: tuple[str, int], names: Any) -> None:
    topic = names("props")

    async def body() -> None:
        async with (
            gmqtt_client(broker, names("sub"), 5) as sub,
            gmqtt_client(broker, names("pub"), 5) as pub,
        ):
            await sub.subscribe(topic, 1, subscription_identifier=42)
            pub.client.publish(
                topic,
                b"with properties",
                1,
                user_property=[("k", "v1"), ("k", "v2")],
                correlation_data=b"\x01\x02",
                response_topic=names("reply"),
                content_type="text/plain",
                payload_format_id=1,
                topic_alias=3,
            )
            # The alias set above stands for the topic now (section 3.3.2.3.4).
            pub.client.publish("", b"by alias", 1, topic_alias=3)
            first, second = await sub.receive(2)
            assert first[:3] == (topic, b"with properties", 1)
            props = first[3]
            assert props["user_property"] == [("k", "v1"), ("k", "v2")]
            assert props["correlation_data"] == [b"\x01\x02"]
            assert props["response_topic"] == [names("reply")]
            assert props["content_type"] == ["text/plain"]
            assert props["payload_format_id"] == [1]
            assert props["subscription_identifier"] == [42]
            assert "topic_alias" not in props
            assert second[:3] == (topic, b"by alias", 1)
            assert second[3]["subscription_identifier"] == [42]
            assert "user_property" not in second[3]

    _run(body())


def test_gmqtt_message_expiry(broker: tuple[str, int], names: Any) -> None:
    topic, client_id = names("expiring"), names("offline")

    async def body() -> None:
        sub = await Gmqtt(broker, client_id, 5, clean=False, session_expiry=60).connect()
        await sub.subscribe(topic, 1)
        await sub.disconnect()
        async with gmqtt_client(broker, names("pub"), 5) as pub:
            pub.client.publish(topic, b"expires", 1, message_expiry_interval=1)
            pub.client.publish(topic, b"stays", 1)
            await pub.subscribe(names("sync"), 1)
        await asyncio.sleep(2.1)
        again = await Gmqtt(broker, client_id, 5, clean=False, session_expiry=60).connect()
        try:
            assert again.session_present is True
            got = await again.receive()
            assert got[0][:2] == (topic, b"stays")  # [MQTT-3.3.2-5]
        finally:
            await again.disconnect()

    _run(body())


@VERSIONS
def test_gmqtt_sys_topics(broker: tuple[str, int], names: Any, version: int) -> None:
    async def body() -> None:
        async with gmqtt_client(broker, names("sys"), version) as sub:
            await sub.subscribe("$SYS/broker/clients/total", 0)
            topic, payload, qos, props = (await sub.receive())[0]
            assert (topic, qos, props["retain"]) == ("$SYS/broker/clients/total", 0, 1)
            assert int(payload) >= 1

    _run(body())


@VERSIONS
def test_gmqtt_unsubscribe_stops_delivery(
    broker: tuple[str, int], names: Any, version: int
) -> None:
    gone, kept = names("gone"), names("kept")

    async def body() -> None:
        async with (
            gmqtt_client(broker, names("sub"), version) as sub,
            gmqtt_client(broker, names("pub"), version) as pub,
        ):
            await sub.subscribe(gone, 1)
            await sub.subscribe(kept, 1)
            pub.client.publish(gone, b"before", 1)
            assert (await sub.receive())[0][:2] == (gone, b"before")
            await sub.unsubscribe(gone)
            pub.client.publish(gone, b"after", 1)
            pub.client.publish(kept, b"fence", 1)
            assert (await sub.receive())[0][:2] == (kept, b"fence")

    _run(body())


@VERSIONS
def test_gmqtt_invalid_topics(broker: tuple[str, int], names: Any, version: int) -> None:
    """gmqtt does not check topics, so the broker's own checks show."""

    async def body() -> None:
        async with gmqtt_client(broker, names("sub"), version) as sub:
            for bad in ("a/#/b", "a+/b", "$share/g", "$share/g+/t"):
                mid = sub.client.subscribe(bad, 1)
                kind, acked, codes = await _aget(sub._acks, "SUBACK")
                assert (kind, acked) == ("suback", mid)
                # 5.0: 0x8F Topic Filter invalid; 3.1.1: 0x80 Failure.
                assert [int(c) for c in codes] == [0x8F if version == 5 else 0x80], bad
        publisher = await Gmqtt(broker, names("pub"), version).connect()
        publisher.client.set_config({"reconnect_delay": 60})
        packets: asyncio.Queue[bytes] = asyncio.Queue()
        publisher.client.on_disconnect = lambda client, packet, exc=None: packets.put_nowait(packet)
        # [MQTT-3.3.2-2]: a Topic Name must not hold wildcards.
        publisher.client.publish(f"{names('t')}/+", b"wild", 1)
        packet = await _aget(packets, "disconnect")
        if version == 5:
            assert packet[:1] == b"\x90"  # DISCONNECT 0x90 Topic Name invalid
        else:
            assert packet == b""  # 3.1.1 has no DISCONNECT from the server: just closed

    _run(body())


@VERSIONS
def test_gmqtt_several_filters_in_one_packet(
    broker: tuple[str, int], names: Any, version: int
) -> None:
    """One SUBACK/UNSUBACK code per filter, in order ([MQTT-3.9.3-1], [MQTT-3.11.3-1])."""
    gmqtt = _gmqtt()

    async def body() -> None:
        async with gmqtt_client(broker, names("sub"), version) as sub:
            filters = [
                gmqtt.Subscription(names("a"), qos=0),
                gmqtt.Subscription(f"{names('x')}/#/y", qos=1),
                gmqtt.Subscription(names("b"), qos=2),
            ]
            mid = sub.client.subscribe(filters)
            kind, acked, codes = await _aget(sub._acks, "SUBACK")
            assert (kind, acked) == ("suback", mid)
            assert [int(c) for c in codes] == [0, 0x8F if version == 5 else 0x80, 2]
            mid = sub.client.unsubscribe([names("a"), names("never"), names("b")])
            kind, acked, codes = await _aget(sub._acks, "UNSUBACK")
            assert (kind, acked) == ("unsuback", mid)
            if version == 5:
                assert [int(c) for c in codes] == [0x00, 0x11, 0x00]

    _run(body())


# ---------------------------------------------------------------------------
# aiomqtt (asyncio, on paho)
# ---------------------------------------------------------------------------


def _aiomqtt() -> Any:
    require_module("aiomqtt")
    import aiomqtt

    return aiomqtt


def aiomqtt_client(
    address: tuple[str, int],
    client_id: str,
    version: int,
    *,
    clean: bool = True,
    session_expiry: int | None = None,
    will: Any = None,
) -> Any:
    aiomqtt = _aiomqtt()
    kwargs: dict[str, Any] = {}
    if version == 5:
        kwargs["protocol"] = aiomqtt.ProtocolVersion.V5
        kwargs["clean_start"] = clean
        if session_expiry is not None:
            kwargs["properties"] = _props("CONNECT", SessionExpiryInterval=session_expiry)
    else:
        kwargs["protocol"] = aiomqtt.ProtocolVersion.V311
        kwargs["clean_session"] = clean
    return aiomqtt.Client(
        address[0],
        address[1],
        identifier=client_id,
        will=will,
        timeout=TIMEOUT,
        keepalive=30,
        **kwargs,
    )


async def _next(client: Any, count: int = 1) -> list[Any]:
    got = []
    for i in range(count):
        try:
            got.append(await asyncio.wait_for(client.messages.__anext__(), TIMEOUT))
        except TimeoutError:
            pytest.fail(f"aiomqtt: no message {i + 1}/{count} within {TIMEOUT} s")
    return got


async def _aiomqtt_fence(address: tuple[str, int], observer: Any, topic: str, version: int) -> None:
    await asyncio.sleep(QUIET)
    async with aiomqtt_client(address, f"{topic}-fencer", version) as fencer:
        await fencer.publish(topic, b"fence", 1)
    message = (await _next(observer))[0]
    assert (message.topic.value, message.payload) == (topic, b"fence"), message.topic.value


@VERSIONS
@QOS
def test_aiomqtt_publish_subscribe(
    broker: tuple[str, int], names: Any, version: int, qos: int
) -> None:
    topic = names("data")

    async def body() -> None:
        async with (
            aiomqtt_client(broker, names("sub"), version) as sub,
            aiomqtt_client(broker, names("pub"), version) as pub,
        ):
            await sub.subscribe(topic, qos)
            payloads = [b"aiomqtt", "snowman \u2603".encode(), b""]
            for payload in payloads:
                await pub.publish(topic, payload, qos)
            got = await _next(sub, len(payloads))
            assert [(m.topic.value, m.payload, m.qos, m.retain) for m in got] == [
                (topic, p, qos, False) for p in payloads
            ]

    _run(body())


@VERSIONS
def test_aiomqtt_retained_late_subscriber_and_clear(
    broker: tuple[str, int], names: Any, version: int
) -> None:
    base = names("retained")

    async def body() -> None:
        async with aiomqtt_client(broker, names("pub"), version) as pub:
            await pub.publish(f"{base}/x", b"retained x", 2, retain=True)
            async with aiomqtt_client(broker, names("late"), version) as late:
                await late.subscribe(f"{base}/#", 1)
                message = (await _next(late))[0]
                # At the lower of message and subscription QoS (5.0 [MQTT-3.8.4-8]).
                assert (message.topic.value, message.payload, message.qos, message.retain) == (
                    f"{base}/x",
                    b"retained x",
                    1,
                    True,
                )
            await pub.publish(f"{base}/x", b"", 1, retain=True)
            async with aiomqtt_client(broker, names("later"), version) as later:
                await later.subscribe(f"{base}/#", 1)
                await _aiomqtt_fence(broker, later, f"{base}/fence", version)

    _run(body())


_AIOMQTT_WILL_CLIENT = """
import asyncio, sys
import aiomqtt

host, port, version, client_id, topic = sys.argv[1:]

async def main():
    protocol = aiomqtt.ProtocolVersion.V5 if version == "5" else aiomqtt.ProtocolVersion.V311
    will = aiomqtt.Will(topic, b"aiomqtt died", qos=2, retain=False)
    async with aiomqtt.Client(host, int(port), identifier=client_id, protocol=protocol, will=will):
        print("ready", flush=True)
        await asyncio.sleep(60)

asyncio.run(main())
"""


@VERSIONS
def test_aiomqtt_will_on_killed_process(broker: tuple[str, int], names: Any, version: int) -> None:
    topic = names("will")

    async def body() -> None:
        async with aiomqtt_client(broker, names("watch"), version) as watcher:
            await watcher.subscribe(topic, 2)
            with _client_process(
                _AIOMQTT_WILL_CLIENT, broker[0], str(broker[1]), str(version), names("dying"), topic
            ) as process:
                _kill(process)
            will = (await _next(watcher))[0]
            assert (will.topic.value, will.payload, will.qos, will.retain) == (
                topic,
                b"aiomqtt died",
                2,
                False,
            )

    _run(body())


@VERSIONS
def test_aiomqtt_no_will_on_clean_disconnect(
    broker: tuple[str, int], names: Any, version: int
) -> None:
    aiomqtt = _aiomqtt()
    base = names("will")

    async def body() -> None:
        async with aiomqtt_client(broker, names("watch"), version) as watcher:
            await watcher.subscribe(f"{base}/#", 1)
            will = aiomqtt.Will(f"{base}/last", b"should not", qos=1)
            async with aiomqtt_client(broker, names("leaving"), version, will=will):
                pass
            await _aiomqtt_fence(broker, watcher, f"{base}/fence", version)

    _run(body())


@VERSIONS
def test_aiomqtt_persistent_session(broker: tuple[str, int], names: Any, version: int) -> None:
    topic, client_id = names("queued"), names("persistent")
    expiry = 60 if version == 5 else None

    async def body() -> None:
        async with aiomqtt_client(
            broker, client_id, version, clean=False, session_expiry=expiry
        ) as sub:
            await sub.subscribe(topic, 2)
        async with aiomqtt_client(broker, names("pub"), version) as pub:
            for i in range(5):
                await pub.publish(topic, f"queued {i}".encode(), 2)
        async with aiomqtt_client(
            broker, client_id, version, clean=False, session_expiry=expiry
        ) as again:
            got = await _next(again, 5)
            assert [(m.topic.value, m.payload, m.qos) for m in got] == [
                (topic, f"queued {i}".encode(), 2) for i in range(5)
            ]
        async with aiomqtt_client(broker, client_id, version, clean=True):
            pass

    _run(body())


def test_aiomqtt_shared_subscription(broker: tuple[str, int], names: Any) -> None:
    topic = names("work")

    async def body() -> None:
        async with (
            aiomqtt_client(broker, names("a"), 5) as a,
            aiomqtt_client(broker, names("b"), 5) as b,
            aiomqtt_client(broker, names("pub"), 5) as pub,
        ):
            await a.subscribe(f"$share/pool/{topic}", 1)
            await b.subscribe(f"$share/pool/{topic}", 1)
            payloads = [f"m{i}".encode() for i in range(8)]
            for payload in payloads:
                await pub.publish(topic, payload, 1)
            got: list[bytes] = []
            deadline = time.monotonic() + TIMEOUT
            while len(got) < len(payloads) and time.monotonic() < deadline:
                for client in (a, b):
                    while len(client.messages):
                        message = (await _next(client))[0]
                        assert (message.topic.value, message.qos) == (topic, 1)
                        got.append(message.payload)
                await asyncio.sleep(0.01)
            await asyncio.sleep(QUIET)
            for client in (a, b):
                while len(client.messages):
                    got.append((await _next(client))[0].payload)
            assert sorted(got) == sorted(payloads)  # each to exactly one (section 4.8.2)

    _run(body())


def test_aiomqtt_request_response(broker: tuple[str, int], names: Any) -> None:
    """Response Topic and Correlation Data let a responder answer a requester."""
    requests, replies = names("requests"), names("replies")

    async def body() -> None:
        async with (
            aiomqtt_client(broker, names("responder"), 5) as responder,
            aiomqtt_client(broker, names("requester"), 5) as requester,
        ):
            await responder.subscribe(
                requests, properties=_props("SUBSCRIBE", SubscriptionIdentifier=5)
            )
            await requester.subscribe(replies, 1)
            await requester.publish(
                requests,
                b"ping?",
                1,
                properties=_props(
                    "PUBLISH",
                    ResponseTopic=replies,
                    CorrelationData=b"req-1",
                    UserProperty=[("trace", "abc")],
                ),
            )
            request = (await _next(responder))[0]
            assert request.payload == b"ping?"
            props = request.properties
            assert props.ResponseTopic == replies
            assert props.CorrelationData == b"req-1"
            assert props.UserProperty == [("trace", "abc")]
            assert props.SubscriptionIdentifier == [5]
            await responder.publish(
                props.ResponseTopic,
                b"pong!",
                1,
                properties=_props("PUBLISH", CorrelationData=props.CorrelationData),
            )
            reply = (await _next(requester))[0]
            assert (reply.topic.value, reply.payload) == (replies, b"pong!")
            assert reply.properties.CorrelationData == b"req-1"

    _run(body())


def test_aiomqtt_message_expiry(broker: tuple[str, int], names: Any) -> None:
    topic, client_id = names("expiring"), names("offline")

    async def body() -> None:
        async with aiomqtt_client(broker, client_id, 5, clean=False, session_expiry=60) as sub:
            await sub.subscribe(topic, 1)
        async with aiomqtt_client(broker, names("pub"), 5) as pub:
            await pub.publish(
                topic, b"expires", 1, properties=_props("PUBLISH", MessageExpiryInterval=1)
            )
            await pub.publish(topic, b"stays", 1)
        await asyncio.sleep(2.1)
        async with aiomqtt_client(broker, client_id, 5, clean=False, session_expiry=0) as again:
            message = (await _next(again))[0]
            assert message.payload == b"stays"  # [MQTT-3.3.2-5]

    _run(body())


@VERSIONS
def test_aiomqtt_sys_topics(broker: tuple[str, int], names: Any, version: int) -> None:
    async def body() -> None:
        async with aiomqtt_client(broker, names("sys"), version) as sub:
            await sub.subscribe("$SYS/broker/+", 0)
            message = (await _next(sub))[0]
            assert message.topic.value.startswith("$SYS/broker/")
            assert message.retain is True

    _run(body())


@VERSIONS
def test_aiomqtt_unsubscribe_stops_delivery(
    broker: tuple[str, int], names: Any, version: int
) -> None:
    gone, kept = names("gone"), names("kept")

    async def body() -> None:
        async with (
            aiomqtt_client(broker, names("sub"), version) as sub,
            aiomqtt_client(broker, names("pub"), version) as pub,
        ):
            await sub.subscribe(gone, 2)
            await sub.subscribe(kept, 2)
            await pub.publish(gone, b"before", 2)
            assert (await _next(sub))[0].payload == b"before"
            await sub.unsubscribe(gone)
            await pub.publish(gone, b"after", 2)
            await pub.publish(kept, b"fence", 2)
            message = (await _next(sub))[0]
            assert (message.topic.value, message.payload) == (kept, b"fence")

    _run(body())


# ---------------------------------------------------------------------------
# mosquitto_pub / mosquitto_sub
# ---------------------------------------------------------------------------

_V311_FORMAT = r"MSG\t%t\t%q\t%r\t%x"
_V5_FORMAT = _V311_FORMAT + r"\t%P\t%R\t%S\t%C\t%E\t%D"


def _mqtt_version(version: int) -> list[str]:
    return ["-V", "mqttv5" if version == 5 else "mqttv311"]


class MosquittoSub:
    """A ``mosquitto_sub -d -F ...`` process; messages are parsed from its output.

    A message is a dict: topic, qos, retain, payload and, in 5.0, user (the ``%P``
    text), response_topic, subscription_id, content_type, expiry, correlation.
    """

    def __init__(self, address: tuple[str, int], version: int, client_id: str, *args: str) -> None:
        self.version = version
        command = [
            require("mosquitto_sub"),
            "-h",
            address[0],
            "-p",
            str(address[1]),
            *_mqtt_version(version),
            "-i",
            client_id,
            "-d",
            "-W",
            str(int(6 * TIMEOUT)),  # a backstop: the test ends it long before
            "-F",
            _V5_FORMAT if version == 5 else _V311_FORMAT,
            *args,
        ]
        # mosquitto_sub line-buffers its output only on a terminal: give it one.
        master, slave = pty.openpty()
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave
            )
        finally:
            os.close(slave)
        self._output = open(master, encoding="utf-8", errors="replace", newline="")  # noqa: SIM115
        self.log: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        fields = ["topic", "qos", "retain", "payload"]
        if self.version == 5:
            fields += ["user", "response_topic", "subscription_id", "content_type"]
            fields += ["expiry", "correlation"]
        while True:
            try:
                line = self._output.readline()
            except OSError:  # EIO: the process exited and closed the terminal
                return
            if not line:
                return
            line = line.rstrip("\r\n")
            self.log.append(line)
            if line.startswith("MSG\t"):
                message = dict(zip(fields, line.split("\t")[1:], strict=True))
                message["qos"] = int(message["qos"])
                message["retain"] = message["retain"] == "1"
                message["payload"] = bytes.fromhex(message["payload"])
                self.messages.put(message)
            else:
                self._lines.put(line)

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"mosquitto_sub never printed {text!r}; output: {self.log}")
            with contextlib.suppress(queue.Empty):
                if text in self._lines.get(timeout=left):
                    return

    def receive(self, count: int = 1) -> list[dict[str, Any]]:
        return [
            _get(self.messages, f"mosquitto_sub message {i + 1}/{count} (log {self.log})")
            for i in range(count)
        ]

    def wait(self) -> int:
        """Wait for the process to exit by itself and for its output to be read."""
        code = self.process.wait(TIMEOUT)
        self._reader.join(TIMEOUT)
        return code

    def stop(self) -> int:
        """SIGINT: mosquitto_sub sends DISCONNECT (5.0: reason 0x04, "send my Will") and exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.wait()
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(TIMEOUT)
            pytest.fail("mosquitto_sub ignored SIGINT")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(TIMEOUT)


@contextlib.contextmanager
def mosquitto_sub(
    address: tuple[str, int], version: int, client_id: str, *args: str, subscribed: bool = True
) -> Iterator[MosquittoSub]:
    sub = MosquittoSub(address, version, client_id, *args)
    try:
        if subscribed:
            sub.wait_for("received SUBACK")
        yield sub
    finally:
        sub.close()


def mosquitto_pub(address: tuple[str, int], version: int, *args: str, stdin: str = "") -> str:
    result = subprocess.run(
        [
            require("mosquitto_pub"),
            "-h",
            address[0],
            "-p",
            str(address[1]),
            *_mqtt_version(version),
            "-d",
            *args,
        ],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"mosquitto_pub {args}: {result.stdout}{result.stderr}"
    return result.stdout


def _mosquitto_fence(address: tuple[str, int], sub: MosquittoSub, topic: str) -> None:
    time.sleep(QUIET)
    mosquitto_pub(address, sub.version, "-t", topic, "-m", "fence", "-q", "1")
    message = sub.receive()[0]
    assert (message["topic"], message["payload"]) == (topic, b"fence"), message


@VERSIONS
@QOS
def test_mosquitto_publish_subscribe(
    broker: tuple[str, int], names: Any, version: int, qos: int
) -> None:
    topic = names("data")
    with mosquitto_sub(
        broker, version, names("sub"), "-t", topic, "-q", str(qos), "-C", "2"
    ) as sub:
        mosquitto_pub(broker, version, "-t", topic, "-m", "hello mosquitto", "-q", str(qos))
        mosquitto_pub(broker, version, "-t", topic, "-n", "-q", str(qos))  # empty payload
        got = sub.receive(2)
        assert [(m["topic"], m["payload"], m["qos"], m["retain"]) for m in got] == [
            (topic, b"hello mosquitto", qos, False),
            (topic, b"", qos, False),
        ]
        assert sub.wait() == 0  # -C 2: DISCONNECT and exit after two messages


@VERSIONS
def test_mosquitto_retained_late_subscriber_and_clear(
    broker: tuple[str, int], names: Any, version: int
) -> None:
    base = names("retained")
    mosquitto_pub(broker, version, "-t", f"{base}/a", "-m", "keep a", "-q", "1", "-r")
    mosquitto_pub(broker, version, "-t", f"{base}/b", "-m", "keep b", "-q", "2", "-r")
    with mosquitto_sub(broker, version, names("late"), "-t", f"{base}/#", "-q", "2") as late:
        got = sorted(late.receive(2), key=lambda m: m["topic"])
        assert [(m["topic"], m["payload"], m["qos"], m["retain"]) for m in got] == [
            (f"{base}/a", b"keep a", 1, True),
            (f"{base}/b", b"keep b", 2, True),
        ]
    mosquitto_pub(broker, version, "-t", f"{base}/a", "-n", "-r", "-q", "1")
    with mosquitto_sub(broker, version, names("later"), "-t", f"{base}/#", "-q", "1") as later:
        only = later.receive()[0]
        assert (only["topic"], only["payload"], only["retain"]) == (f"{base}/b", b"keep b", True)
        _mosquitto_fence(broker, later, f"{base}/fence")
    mosquitto_pub(broker, version, "-t", f"{base}/b", "-n", "-r", "-q", "1")


@VERSIONS
def test_mosquitto_will_on_killed_process(
    broker: tuple[str, int], names: Any, version: int
) -> None:
    topic = names("will")
    with mosquitto_sub(broker, version, names("watch"), "-t", topic, "-q", "2") as watcher:
        dying = MosquittoSub(
            broker,
            version,
            names("dying"),
            "-t",
            names("unused"),
            "--will-topic",
            topic,
            "--will-payload",
            "mosquitto died",
            "--will-qos",
            "2",
        )
        try:
            dying.wait_for("received SUBACK")
            dying.process.send_signal(signal.SIGKILL)
            will = watcher.receive()[0]
        finally:
            dying.close()
        assert (will["topic"], will["payload"], will["qos"], will["retain"]) == (
            topic,
            b"mosquitto died",
            2,
            False,
        )


@VERSIONS
def test_mosquitto_no_will_on_clean_exit(broker: tuple[str, int], names: Any, version: int) -> None:
    base = names("will")
    with mosquitto_sub(broker, version, names("watch"), "-t", f"{base}/#", "-q", "1") as watcher:
        # -E: DISCONNECT with reason 0x00 once subscribed; the Will is discarded.
        with mosquitto_sub(
            broker,
            version,
            names("leaving"),
            "-t",
            names("unused"),
            "-E",
            "--will-topic",
            f"{base}/last",
            "--will-payload",
            "should not",
            subscribed=False,
        ) as leaving:
            assert leaving.wait() == 0
            assert "sending DISCONNECT" in "\n".join(leaving.log)
        _mosquitto_fence(broker, watcher, f"{base}/fence")


@VERSIONS
def test_mosquitto_sigint_disconnect(broker: tuple[str, int], names: Any, version: int) -> None:
    """On SIGINT mosquitto_sub sends DISCONNECT; in 5.0 with reason 0x04 (send the Will)."""
    base = names("will")
    with mosquitto_sub(broker, version, names("watch"), "-t", f"{base}/#", "-q", "1") as watcher:
        with mosquitto_sub(
            broker,
            version,
            names("leaving"),
            "-t",
            names("unused"),
            "--will-topic",
            f"{base}/last",
            "--will-payload",
            "sigint",
        ) as leaving:
            # Let it settle after SUBACK: its handler sends DISCONNECT from inside the
            # signal handler, which can hang if the signal lands mid-packet.
            time.sleep(QUIET)
            assert leaving.stop() == 0
            assert "sending DISCONNECT" in "\n".join(leaving.log)
        if version == 5:
            # Section 3.14.2.1: 0x04 Disconnect with Will Message.
            will = watcher.receive()[0]
            assert (will["topic"], will["payload"]) == (f"{base}/last", b"sigint")
        _mosquitto_fence(broker, watcher, f"{base}/fence")


@VERSIONS
def test_mosquitto_persistent_session(broker: tuple[str, int], names: Any, version: int) -> None:
    topic, client_id = names("queued"), names("persistent")
    session = ["-c", "-x", "60"] if version == 5 else ["-c"]
    with mosquitto_sub(
        broker, version, client_id, *session, "-t", topic, "-q", "1", "-E", subscribed=False
    ) as first:
        assert first.wait() == 0
        assert "received SUBACK" in "\n".join(first.log)
    for payload in ("m1", "m2", "m3"):
        mosquitto_pub(broker, version, "-t", topic, "-m", payload, "-q", "1")
    with mosquitto_sub(
        broker, version, client_id, *session, "-t", topic, "-q", "1", "-C", "3", subscribed=False
    ) as again:
        got = again.receive(3)
        assert [(m["payload"], m["qos"]) for m in got] == [(b"m1", 1), (b"m2", 1), (b"m3", 1)]
        assert again.wait() == 0
    # End the session.
    with mosquitto_sub(broker, version, client_id, "-t", topic, "-E", subscribed=False) as last:
        assert last.wait() == 0


def test_mosquitto_shared_subscription(broker: tuple[str, int], names: Any) -> None:
    topic = names("work")
    shared = ["-t", f"$share/mq/{topic}", "-q", "1"]
    with (
        mosquitto_sub(broker, 5, names("a"), *shared) as a,
        mosquitto_sub(broker, 5, names("b"), *shared) as b,
    ):
        payloads = "\n".join(f"line {i}" for i in range(10))
        mosquitto_pub(broker, 5, "-t", topic, "-l", "-q", "1", stdin=payloads + "\n")
        got: list[bytes] = []
        deadline = time.monotonic() + TIMEOUT
        while len(got) < 10 and time.monotonic() < deadline:
            for sub in (a, b):
                with contextlib.suppress(queue.Empty):
                    message = sub.messages.get(timeout=0.05)
                    assert (message["topic"], message["qos"]) == (topic, 1)
                    got.append(message["payload"])
        time.sleep(QUIET)
        got += [m["payload"] for sub in (a, b) for m in _drain(sub.messages)]
        assert sorted(got) == sorted(f"line {i}".encode() for i in range(10))


def test_mosquitto_properties(broker: tuple[str, int], names: Any) -> None:
    topic = names("props")
    with mosquitto_sub(
        broker,
        5,
        names("sub"),
        "-t",
        topic,
        "-q",
        "1",
        "-D",
        "subscribe",
        "subscription-identifier",
        "77",
    ) as sub:
        mosquitto_pub(
            broker,
            5,
            "-t",
            topic,
            "-m",
            "props",
            "-q",
            "1",
            *("-D", "publish", "user-property", "first", "1"),
            *("-D", "publish", "user-property", "second", "2"),
            *("-D", "publish", "response-topic", names("reply")),
            *("-D", "publish", "correlation-data", "corr-77"),
            *("-D", "publish", "content-type", "text/x-test"),
            *("-D", "publish", "message-expiry-interval", "300"),
        )
        message = sub.receive()[0]
        assert message["payload"] == b"props"
        assert message["user"] == "first:1 second:2"
        assert message["response_topic"] == names("reply")
        assert message["correlation"] == "corr-77"
        assert message["content_type"] == "text/x-test"
        assert message["subscription_id"] == "77"
        assert 299 <= int(message["expiry"]) <= 300


def test_mosquitto_topic_alias(broker: tuple[str, int], names: Any) -> None:
    topic = names("aliased")
    with mosquitto_sub(broker, 5, names("sub"), "-t", topic, "-q", "1") as sub:
        # With -l and a topic alias, mosquitto_pub sends the topic once, then only the alias.
        out = mosquitto_pub(
            broker,
            5,
            "-t",
            topic,
            "-l",
            "-q",
            "1",
            "-D",
            "publish",
            "topic-alias",
            "1",
            stdin="one\ntwo\nthree\n",
        )
        assert "'(null)'" in out  # the alias-only PUBLISH was really sent
        got = sub.receive(3)
        assert [(m["topic"], m["payload"]) for m in got] == [
            (topic, b"one"),
            (topic, b"two"),
            (topic, b"three"),
        ]


def test_mosquitto_message_expiry(broker: tuple[str, int], names: Any) -> None:
    topic, client_id = names("expiring"), names("offline")
    session = ["-c", "-x", "60", "-t", topic, "-q", "1"]
    with mosquitto_sub(broker, 5, client_id, *session, "-E", subscribed=False) as first:
        assert first.wait() == 0
    mosquitto_pub(
        broker, 5, "-t", topic, "-m", "expires", "-q", "1", "-D", "publish",
        "message-expiry-interval", "1",
    )  # fmt: skip
    mosquitto_pub(broker, 5, "-t", topic, "-m", "stays", "-q", "1")
    time.sleep(2.1)
    with mosquitto_sub(broker, 5, client_id, *session, "-C", "1", subscribed=False) as again:
        message = again.receive()[0]
        assert message["payload"] == b"stays"  # [MQTT-3.3.2-5]
        assert again.wait() == 0
    with mosquitto_sub(broker, 5, client_id, "-t", topic, "-E", subscribed=False) as last:
        assert last.wait() == 0


@VERSIONS
def test_mosquitto_sys_topics(broker: tuple[str, int], names: Any, version: int) -> None:
    with mosquitto_sub(
        broker, version, names("sys"), "-t", "$SYS/broker/messages/received", "-C", "1"
    ) as sub:
        message = sub.receive()[0]
        assert (message["topic"], message["retain"]) == ("$SYS/broker/messages/received", True)
        assert int(message["payload"]) >= 0


@VERSIONS
def test_mosquitto_unsubscribe_stops_delivery(
    broker: tuple[str, int], names: Any, version: int
) -> None:
    gone, kept, client_id = names("gone"), names("kept"), names("unsub")
    session = ["-c", "-x", "60"] if version == 5 else ["-c"]
    with mosquitto_sub(
        broker, version, client_id, *session, "-t", gone, "-t", kept, "-q", "1", "-E",
        subscribed=False,
    ) as first:  # fmt: skip
        assert first.wait() == 0
    # -U sends UNSUBSCRIBE for a subscription the persistent session holds.
    with mosquitto_sub(
        broker, version, client_id, *session, "-U", gone, "-t", kept, "-q", "1", "-C", "1",
        subscribed=False,
    ) as sub:  # fmt: skip
        sub.wait_for("received UNSUBACK")
        mosquitto_pub(broker, version, "-t", gone, "-m", "after", "-q", "1")
        mosquitto_pub(broker, version, "-t", kept, "-m", "fence", "-q", "1")
        message = sub.receive()[0]
        assert (message["topic"], message["payload"]) == (kept, b"fence")
        assert sub.wait() == 0
    with mosquitto_sub(broker, version, client_id, "-t", kept, "-E", subscribed=False) as last:
        assert last.wait() == 0


def test_mosquitto_rr_request_response(broker: tuple[str, int], names: Any) -> None:
    """mosquitto_rr (5.0) sends a request with a Response Topic and waits for the answer."""
    rr = require("mosquitto_rr")
    requests, responses = names("requests"), names("responses")
    with paho(broker, names("responder"), 5) as responder:
        responder.subscribe(requests, 1)
        process = subprocess.Popen(
            [
                rr,
                "-h",
                broker[0],
                "-p",
                str(broker[1]),
                "-t",
                requests,
                "-e",
                responses,
                "-m",
                "ping",
                "-q",
                "1",
                "-W",
                str(int(TIMEOUT)),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            request = responder.receive()[0]
            assert (request.payload, request.qos) == (b"ping", 1)
            assert request.properties.ResponseTopic == responses
            responder.publish(responses, b"pong", 1)
            out, err = process.communicate(timeout=TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        assert (process.returncode, out, err) == (0, "pong\n", "")
