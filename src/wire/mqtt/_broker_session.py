"""Broker-side sessions: subscriptions, queued and in-flight messages (Sans-IO).

A session outlives its network connections (MQTT 5.0 section 4.1). It holds the
client's subscriptions, the messages waiting for it, the QoS 1 and 2 messages
in flight toward it, and the QoS 2 packet identifiers it has sent us that await
PUBREL.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from wire.mqtt._packets import Subscription
from wire.mqtt._properties import Properties

__all__ = ["Delivery", "InFlight", "Message", "Session", "SubscriptionEntry"]


@dataclass(slots=True, eq=False)
class Message:
    """An application message as the broker routes it.

    ``properties`` are the ones forwarded to subscribers (Topic Alias and
    Subscription Identifier removed). ``expires_at`` comes from the Message Expiry
    Interval and the time of receipt.
    """

    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: Properties
    expires_at: float | None
    origin: str
    #: Encoded deliveries, keyed by (version, qos, retain, subscription ids); for
    #: QoS > 0 the packet identifier bytes are patched per receiver. Bounded by the
    #: broker, since a retained message lives long and meets many subscriptions.
    templates: dict[tuple[int, int, bool, tuple[int, ...]], tuple[bytes, int]] = field(
        default_factory=dict
    )


@dataclass(slots=True, eq=False)
class SubscriptionEntry:
    """One subscription of one session, stored in the broker's topic matcher."""

    session: Session
    topic_filter: str
    options: Subscription
    subscription_id: int | None
    #: (share name, topic filter) for a shared subscription.
    share: tuple[str, str] | None = None


@dataclass(slots=True)
class Delivery:
    """A message on its way to one session, with the QoS and flags of that delivery."""

    message: Message
    qos: int
    retain: bool
    subscription_ids: tuple[int, ...]
    #: Its number in the session's durable store; 0 while not stored.
    number: int = 0


@dataclass(slots=True)
class InFlight:
    """A QoS 1 or 2 delivery sent to the client and not yet acknowledged."""

    delivery: Delivery
    #: For QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP.
    released: bool = False
    #: Sent on an earlier connection and not yet resent on this one, because the
    #: client's Receive Maximum leaves no room for it now.
    held: bool = False


@dataclass(slots=True, eq=False)
class Session:
    """The state of one client identifier."""

    client_id: str
    #: Seconds the session outlives its connection; None means never expires.
    expiry_interval: float | None
    subscriptions: dict[str, SubscriptionEntry] = field(default_factory=dict)
    queue: deque[Delivery] = field(default_factory=deque)
    inflight: OrderedDict[int, InFlight] = field(default_factory=OrderedDict)
    #: How many of ``inflight`` are held (see :attr:`InFlight.held`).
    held: int = 0
    #: QoS 2 packet identifiers received and acknowledged with PUBREC, awaiting PUBREL.
    incoming_qos2: set[int] = field(default_factory=set)
    #: The id of the network connection, while the client is connected.
    connection: int | None = None
    #: When the session expires, set while it has no connection.
    expires_at: float | None = None
    next_packet_id: int = 1
    #: Durable broker only: QoS 1/2 deliveries the store knows, by number.
    stored: dict[int, Delivery] = field(default_factory=dict)
    #: Durable broker only: the store holds this session.
    durable: bool = False
    next_number: int = 1

    def allocate_packet_id(self) -> int:
        """A packet identifier not in use toward this client ([MQTT-2.2.1-4]).

        The caller keeps fewer than 65535 deliveries in flight (the window is at
        most 65535), so a free identifier always exists.
        """
        packet_id = self.next_packet_id
        inflight = self.inflight
        while packet_id in inflight:
            packet_id = packet_id % 0xFFFF + 1
        self.next_packet_id = packet_id % 0xFFFF + 1
        return packet_id
