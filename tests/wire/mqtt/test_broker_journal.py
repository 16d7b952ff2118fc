"""The durable broker core: the journal, held replies and restore."""

from __future__ import annotations

from wire import mqtt
from wire.mqtt import Broker, BrokerConfig, Properties
from wire.mqtt._broker_store import (
    MemoryStore,
    MessageDone,
    MessageInFlight,
    MessageQueued,
    RetainedCleared,
    RetainedSet,
    SessionDeleted,
    SessionSaved,
    SubscriptionDeleted,
    SubscriptionSaved,
)

EXPIRY = Properties.build(session_expiry_interval=600)


class Harness:
    """A journaling broker whose changes go to a MemoryStore on commit()."""

    def __init__(self, broker: Broker | None = None, store: MemoryStore | None = None) -> None:
        self.broker = broker or Broker(BrokerConfig(journal=True, sys_interval=0))
        self.store = store or MemoryStore()
        self.readers: dict[int, mqtt.PacketReader] = {}
        self.pending: dict[int, list[mqtt.Packet]] = {}
        self.changes: list[object] = []

    def open(self, version: int = 5) -> int:
        conn = self.broker.open_connection(0.0)
        self.readers[conn] = mqtt.PacketReader(version=version)
        return conn

    def send(self, conn: int, *packets: mqtt.Packet, now: float = 0.0) -> None:
        version = self.readers[conn].version
        self.broker.receive_data(
            conn, b"".join(mqtt.encode(p, version=version) for p in packets), now
        )

    def read(self, conn: int) -> list[mqtt.Packet]:
        out: list[mqtt.Packet] = self.pending.pop(conn, [])
        for chunk in self.broker.output(conn):
            if chunk:
                out += self.readers[conn].feed(chunk)
        return out

    def commit(self) -> None:
        changes, token = self.broker.take_journal()
        self.changes += changes
        self.store.apply(changes)
        self.broker.journal_committed(token)

    def connect(self, client_id: str, *, clean_start: bool = True, version: int = 5) -> int:
        conn = self.open(version)
        props = EXPIRY if version == 5 else Properties()
        self.send(
            conn,
            mqtt.Connect(
                client_id=client_id,
                clean_start=clean_start,
                properties=props,
                protocol_level=version,
            ),
        )
        self.commit()
        connack, *rest = self.read(conn)
        assert isinstance(connack, mqtt.Connack) and connack.reason_code == 0
        self.pending[conn] = rest
        return conn


def test_replies_wait_for_the_commit() -> None:
    h = Harness()
    sub = h.connect("sub")
    h.send(sub, mqtt.Subscribe(1, (mqtt.Subscription("t", qos=1),)))
    assert h.broker.journal_pending
    assert h.read(sub) == []  # SUBACK held until the subscription is durable
    h.commit()
    assert h.read(sub) == [mqtt.Suback(1, (1,))]
    pub = h.connect("pub", clean_start=True)
    h.send(pub, mqtt.Publish("t", b"m", qos=1, packet_id=5))
    assert h.read(pub) == []  # PUBACK held: the message is queued for a durable session
    h.commit()
    assert h.read(pub) == [mqtt.Puback(5)]
    assert any(isinstance(c, MessageQueued) for c in h.changes)
    delivered = h.read(sub)
    assert [p.payload for p in delivered] == [b"m"]  # type: ignore[union-attr]
    h.send(sub, mqtt.Puback(delivered[0].packet_id))  # type: ignore[union-attr]
    h.commit()
    assert isinstance(h.changes[-1], MessageDone)
    assert h.store.deliveries["sub"] == {}


def test_nothing_to_journal_releases_at_once() -> None:
    h = Harness()
    conn = h.open()
    h.send(conn, mqtt.Connect(client_id="clean"))  # Session Expiry 0: nothing durable
    assert not h.broker.journal_pending
    assert isinstance(h.read(conn)[0], mqtt.Connack)
    assert h.broker.take_journal()[0] == []


def test_restore_resumes_sessions_messages_and_retained() -> None:
    h = Harness()
    sub = h.connect("sub")
    h.send(
        sub,
        mqtt.Subscribe(1, (mqtt.Subscription("a/+", qos=2), mqtt.Subscription("$share/g/s", 1))),
        mqtt.Subscribe(2, (mqtt.Subscription("gone"),)),
        mqtt.Unsubscribe(3, ("gone",)),
    )
    h.commit()
    h.read(sub)
    pub = h.connect("pub")
    h.send(
        pub,
        mqtt.Publish("a/1", b"q2", qos=2, packet_id=1),
        mqtt.Publish("a/2", b"q1", qos=1, packet_id=2),
        mqtt.Publish("r", b"kept", retain=True),
        mqtt.Publish("r2", b"x", retain=True),
        mqtt.Publish("r2", b"", retain=True),
    )
    h.commit()
    assert [type(p) for p in h.read(pub)] == [mqtt.Pubrec, mqtt.Puback]
    first = h.read(sub)
    assert [p.payload for p in first] == [b"q2", b"q1"]  # type: ignore[union-attr]
    # The subscriber acknowledges the QoS 2 PUBLISH (PUBREC), the broker releases it.
    h.send(sub, mqtt.Pubrec(first[0].packet_id))  # type: ignore[union-attr]
    h.commit()
    assert h.read(sub) == [mqtt.Pubrel(first[0].packet_id)]  # type: ignore[union-attr]
    assert any(isinstance(c, MessageInFlight) and c.released for c in h.changes)
    assert any(isinstance(c, RetainedSet) for c in h.changes)
    assert any(isinstance(c, RetainedCleared) for c in h.changes)
    assert any(isinstance(c, SubscriptionDeleted) for c in h.changes)
    assert any(isinstance(c, SubscriptionSaved) for c in h.changes)
    assert any(isinstance(c, SessionSaved) for c in h.changes)

    # The process dies; a new broker starts from the store.
    restored = Broker(BrokerConfig(journal=True, sys_interval=0))
    restored.restore(h.store.load(), 100.0)
    h2 = Harness(restored, h.store)
    sub = h2.connect("sub", clean_start=False)
    again = h2.read(sub)
    # In flight before: the released QoS 2 (PUBREL again) and the QoS 1 (resent, DUP).
    assert again[0] == mqtt.Pubrel(first[0].packet_id)  # type: ignore[union-attr]
    assert isinstance(again[1], mqtt.Publish) and again[1].dup and again[1].payload == b"q1"
    # The publisher's QoS 2 id awaits PUBREL across the restart: no second routing.
    pub = h2.connect("pub", clean_start=False)
    h2.send(pub, mqtt.Publish("a/1", b"q2", qos=2, dup=True, packet_id=1), mqtt.Pubrel(1))
    h2.commit()
    assert h2.read(pub) == [mqtt.Pubrec(1), mqtt.Pubcomp(1)]
    assert h2.read(sub) == []
    # Subscriptions (plain and shared) and the retained message came back.
    h2.send(pub, mqtt.Publish("a/9", b"new", qos=1, packet_id=3), mqtt.Publish("s", b"sh"))
    h2.commit()
    h2.read(pub)
    assert [p.payload for p in h2.read(sub)] == [b"new", b"sh"]  # type: ignore[union-attr]
    late = h2.connect("late")
    h2.send(late, mqtt.Subscribe(1, (mqtt.Subscription("r"),)))
    h2.commit()
    assert [p.payload for p in h2.read(late) if isinstance(p, mqtt.Publish)] == [b"kept"]


def test_clean_start_deletes_the_stored_session() -> None:
    h = Harness()
    h.connect("gone")
    h.connect("gone", clean_start=True)
    assert any(isinstance(c, SessionDeleted) for c in h.changes)
    assert "gone" in h.store.sessions  # saved again as the new session


def test_session_expiry_deletes_it_from_the_store() -> None:
    h = Harness()
    conn = h.connect("brief")
    h.send(conn, mqtt.Disconnect(properties=Properties.build(session_expiry_interval=5)))
    h.commit()
    assert h.store.sessions["brief"].expires_at is not None
    h.broker.tick(10.0)
    h.commit()
    assert "brief" not in h.store.sessions


def test_restored_session_without_connection_expires() -> None:
    store = MemoryStore()
    store.apply([SessionSaved("old", 5, 5.0, None), SessionSaved("forever", 4, None, None)])
    broker = Broker(BrokerConfig(journal=True, sys_interval=0))
    broker.restore(store.load(), 100.0)
    assert broker.next_deadline() == 105.0
    broker.tick(106.0)
    changes, _ = broker.take_journal()
    assert SessionDeleted("old") in changes


def test_expired_retained_message_is_cleared_from_the_store() -> None:
    h = Harness()
    pub = h.connect("p")
    h.send(
        pub,
        mqtt.Publish(
            "r", b"short", retain=True, properties=Properties.build(message_expiry_interval=1)
        ),
    )
    h.commit()
    sub = h.connect("s")
    h.send(sub, mqtt.Subscribe(1, (mqtt.Subscription("r"),)), now=50.0)
    h.commit()
    assert RetainedCleared("r") in h.changes


def test_queued_messages_survive_a_restart() -> None:
    h = Harness()
    sub = h.connect("offline")
    h.send(sub, mqtt.Subscribe(1, (mqtt.Subscription("q", qos=1),)), mqtt.Disconnect())
    h.commit()
    pub = h.connect("pub")
    h.send(pub, *(mqtt.Publish("q", b"%d" % i, qos=1, packet_id=i + 1) for i in range(3)))
    h.commit()
    queued = [c for c in h.changes if isinstance(c, MessageQueued)]
    assert len(queued) == 3 and not any(isinstance(c, MessageInFlight) for c in h.changes)
    restored = Broker(BrokerConfig(journal=True, sys_interval=0))
    restored.restore(h.store.load(), 0.0)
    h2 = Harness(restored, h.store)
    sub = h2.connect("offline", clean_start=False)
    assert [p.payload for p in h2.read(sub)] == [b"0", b"1", b"2"]  # type: ignore[union-attr]


def test_changes_of_a_session_ended_in_the_same_batch_are_not_saved() -> None:
    h = Harness()
    conn = h.connect("short")
    h.send(
        conn,
        mqtt.Subscribe(1, (mqtt.Subscription("self", qos=1),)),
        mqtt.Publish("self", b"echo", qos=1, packet_id=1),
        mqtt.Publish("other", b"x", qos=2, packet_id=2),
        mqtt.Disconnect(properties=Properties.build(session_expiry_interval=0)),
    )
    h.commit()
    assert "short" not in h.store.sessions
    assert not any(
        isinstance(c, SubscriptionSaved | MessageQueued) and c.client_id == "short"
        for c in h.changes[1:]
    )


def test_resuming_with_expiry_zero_voids_the_stored_session() -> None:
    h = Harness()
    h.connect("fickle")
    conn = h.open()
    h.send(conn, mqtt.Connect(client_id="fickle", clean_start=False))  # expiry 0 now
    h.commit()
    connack = h.read(conn)[0]
    assert isinstance(connack, mqtt.Connack) and connack.session_present
    assert "fickle" not in h.store.sessions


def test_clients_cannot_publish_to_dollar_topics() -> None:
    h = Harness(Broker(BrokerConfig(sys_interval=0)))
    watcher = h.connect("watcher")
    h.send(watcher, mqtt.Subscribe(1, (mqtt.Subscription("$SYS/#"),)))
    h.read(watcher)
    spoofer = h.connect("spoofer")
    h.send(spoofer, mqtt.Publish("$SYS/broker/uptime", b"hacked", qos=1, packet_id=1, retain=True))
    assert h.read(spoofer) == [mqtt.Puback(1, mqtt.ReasonCode.NOT_AUTHORIZED)]
    assert h.read(watcher) == []
