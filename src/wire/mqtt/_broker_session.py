"""Broker-side sessions: subscriptions, queued and in-flight messages (Sans-IO).

A session outlives its network connections (MQTT 5.0 section 4.1). It holds the
client's subscriptions, the messages waiting for it, the QoS 1 and 2 messages
in flight toward it, and the QoS 2 packet identifiers it has sent us that await
PUBREL.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from wire.mqtt._packets import Subscription, Will
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
    #: QoS > 0 the packet identifier bytes are patched per receiver.
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
    share_name: str | None = None


@dataclass(slots=True)
class Delivery:
    """A message on its way to one session, with the QoS and flags of that delivery."""

    message: Message
    qos: int
    retain: bool
    subscription_ids: tuple[int, ...]


@dataclass(slots=True)
class InFlight:
    """A QoS 1 or 2 delivery sent to the client and not yet acknowledged."""

    delivery: Delivery
    #: For QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP.
    released: bool = False


@dataclass(slots=True, eq=False)
class Session:
    """The state of one client identifier."""

    client_id: str
    version: int
    #: Seconds the session outlives its connection; None means never expires.
    expiry_interval: float | None
    subscriptions: dict[str, SubscriptionEntry] = field(default_factory=dict)
    queue: deque[Delivery] = field(default_factory=deque)
    inflight: OrderedDict[int, InFlight] = field(default_factory=OrderedDict)
    #: QoS 2 packet identifiers received and acknowledged with PUBREC, awaiting PUBREL.
    incoming_qos2: set[int] = field(default_factory=set)
    connection: int | None = None
    will: Will | None = None
    #: When the session expires, set while it has no connection.
    expires_at: float | None = None
    next_packet_id: int = 1
    #: Shared-subscription groups this session belongs to, by (share name, filter).
    username: str | None = None

    def allocate_packet_id(self) -> int:
        """A packet identifier not in use toward this client ([MQTT-2.2.1-3])."""
        packet_id = self.next_packet_id
        inflight = self.inflight
        for _ in range(0xFFFF):
            if packet_id not in inflight:
                break
            packet_id = packet_id % 0xFFFF + 1
        self.next_packet_id = packet_id % 0xFFFF + 1
        return packet_id
